//! What a host shares: pick one of this computer's LAN addresses, the room, then the invite link
//! (`http://HOST:PORT/?room=ROOM&fp=FINGERPRINT`; `https://` when plain guests are refused) with
//! a copy button and its QR code.

import { useEffect, useRef, useState } from 'preact/hooks';
import { inviteLink } from '../invite';
import { LIMITS } from '../protocol';
import type { HostInfo } from '../transport/types';
import { copyText } from './clipboard';
import { useApp } from './context';
import { QrCode } from './QrCode';

export function InviteBox({ hosting, idPrefix }: { hosting: HostInfo; idPrefix: string }) {
  const app = useApp();
  const { t } = app;
  const addresses = hosting.addresses.length > 0 ? hosting.addresses : ['127.0.0.1'];
  const [picked, setPicked] = useState(addresses[0]);
  const address = addresses.includes(picked) ? picked : addresses[0];
  const room = app.session.hostRoom;
  const link = inviteLink(address, hosting.port, room, hosting.fingerprint, !hosting.plainGuests);
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => setCopied(false), [link]);

  const copy = async () => {
    const ok = await copyText(link, field.current);
    setCopied(ok);
    if (ok) setTimeout(() => setCopied(false), 2000);
  };

  return (
    <div class="invite">
      <div class="invite-top">
        <div class="invite-fields">
          <div class="field">
            <span class="label" id={`${idPrefix}-addr-label`}>
              {t('host.addresses')}
            </span>
            {hosting.addresses.length === 0 && <p class="field-hint warn">{t('host.noAddresses')}</p>}
            <div class="chips" role="radiogroup" aria-labelledby={`${idPrefix}-addr-label`} data-testid="host-addresses">
              {addresses.map((a) => (
                <button
                  type="button"
                  key={a}
                  role="radio"
                  aria-checked={a === address}
                  class={a === address ? 'chip chip-on' : 'chip'}
                  data-testid="host-address"
                  onClick={() => setPicked(a)}
                >
                  {a}:{hosting.port}
                </button>
              ))}
            </div>
          </div>
          <div class="field">
            <label for={`${idPrefix}-room`}>{t('host.inviteRoom')}</label>
            <input
              id={`${idPrefix}-room`}
              data-testid="invite-room"
              value={room}
              maxLength={LIMITS.roomName}
              onInput={(e) => app.setHostRoom((e.currentTarget as HTMLInputElement).value)}
            />
          </div>
        </div>
        <figure class="qr">
          <QrCode text={link} label={t('host.qrAlt')} />
          <figcaption>{t('host.qr')}</figcaption>
        </figure>
      </div>
      <div class="field">
        <label for={`${idPrefix}-link`}>{t('host.invite')}</label>
        <div class="input-row">
          <input
            id={`${idPrefix}-link`}
            ref={field}
            readOnly
            class="mono"
            data-testid="invite-link"
            value={link}
            onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
          />
          <button type="button" class="btn btn-secondary" data-testid="invite-copy" onClick={() => void copy()}>
            {copied ? t('host.copied') : t('host.copy')}
          </button>
        </div>
      </div>
    </div>
  );
}
