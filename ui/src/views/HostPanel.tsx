//! The host's panel, opened from the chat header: invite link + QR, the password, whether people
//! on the network can find the room, whether browsers may join unencrypted, every room on the
//! server and its people (with Kick), and Stop. A modal `<dialog>`: focus stays inside and
//! Escape closes it.

import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from './context';
import { failure } from './failure';
import { formatFingerprint } from '../invite';
import { InviteBox } from './InviteBox';
import { HostRooms } from './HostRooms';
import { Icon } from './Icon';
import { Switch } from './Switch';

export function HostPanel({ onClose }: { onClose: () => void }) {
  const app = useApp();
  const { t } = app;
  const hosting = app.session.hosting;
  const dialog = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => d?.open && d.close();
  }, []);

  if (!hosting) return null;

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(failure(t, e).text);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      class="host-panel"
      data-testid="host-panel"
      aria-labelledby="host-panel-title"
      onClose={onClose}
      onCancel={onClose}
    >
      <header class="dialog-head">
        <h2 id="host-panel-title">{t('host.running', { port: hosting.port })}</h2>
        <span class={hosting.passwordRequired ? 'tag tag-lock' : 'tag'}>
          {hosting.passwordRequired ? t('host.protected') : t('host.open')}
        </span>
        <button type="button" class="icon-btn dialog-close" data-testid="host-panel-close" aria-label={t('common.close')} onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <InviteBox hosting={hosting} idPrefix="host-panel" />

      <form
        class="field"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => app.setHostPassword(password || null)).then(() => setPassword(''));
        }}
      >
        <label for="host-panel-password">{t('host.newPassword')}</label>
        <div class="input-row">
          <input
            id="host-panel-password"
            type="password"
            data-testid="host-set-password-input"
            autocomplete="new-password"
            value={password}
            onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit" class="btn btn-secondary" data-testid="host-set-password" disabled={busy}>
            {t('host.setPassword')}
          </button>
        </div>
      </form>
      <Switch
        id="host-panel-announce"
        label={t('host.announce')}
        hint={t('host.announceHint')}
        checked={hosting.announcedAs !== null}
        disabled={busy}
        onChange={(on) => void run(() => app.setAnnounce(on))}
      />
      {/* The effective state: until switched, it follows the password (on without one). */}
      <Switch
        id="host-panel-plain-guests"
        label={t('host.plainGuests')}
        hint={t('host.plainGuestsHint')}
        checked={hosting.plainGuests}
        disabled={busy}
        onChange={(on) => void run(() => app.setPlainGuests(on))}
      />
      <HostRooms busy={busy} run={run} />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <footer class="dialog-foot">
        {/* The host's identity, for people to compare with what their app shows. */}
        <div class="fingerprint" data-testid="host-fingerprint-box" title={t('host.fingerprintHint')}>
          <span class="fingerprint-label">{t('host.fingerprint')}</span>
          <code class="mono fingerprint-value" data-testid="host-fingerprint" data-fp={hosting.fingerprint}>
            {formatFingerprint(hosting.fingerprint)}
          </code>
        </div>
        <button type="button" class="btn btn-secondary" onClick={onClose}>
          {t('common.close')}
        </button>
        <button
          type="button"
          class="btn btn-danger"
          data-testid="host-stop"
          disabled={busy}
          onClick={() => void run(async () => {
            await app.stopHosting();
            onClose();
          })}
        >
          {t('host.stop')}
        </button>
      </footer>
    </dialog>
  );
}
