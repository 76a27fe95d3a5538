//! "Join" (desktop): the hosts found on this network (one click joins), a server address or a
//! pasted invite link (its `?room=` fills the room), the room, a password field once the server
//! asks for one, and recently used servers that are not among those found.

import { useRef, useState } from 'preact/hooks';
import type { FoundEntry } from '../discovery';
import { isSameServer, recentNotFound } from '../discovery';
import { cleanFingerprint, parseJoinTarget } from '../invite';
import { prefs, type RecentServer } from '../prefs';
import { LIMITS } from '../protocol';
import { useApp } from './context';
import { FoundHosts, useFoundHosts } from './FoundHosts';
import { JoinError } from './JoinError';
import { useJoinFlow } from './joinFlow';
import { PasswordField } from './PasswordField';
import { Icon } from './Icon';

export function JoinCard() {
  const app = useApp();
  const { t } = app;
  const [recent, setRecent] = useState<RecentServer[]>(() => prefs.recent());
  const [address, setAddress] = useState(() => recent[0]?.address ?? '');
  const [room, setRoom] = useState(() => recent[0]?.room ?? 'lobby');
  const flow = useJoinFlow();
  const addressField = useRef<HTMLInputElement>(null);
  const look = useFoundHosts(app.transport.discovery);

  const onAddress = (value: string) => {
    setAddress(value);
    flow.setError(null);
    const target = parseJoinTarget(value);
    if (target?.room) setRoom(target.room);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const target = parseJoinTarget(address);
    if (!target) {
      flow.setError({ code: 'bad_address', text: t('join.badAddress') });
      addressField.current?.focus();
      return;
    }
    // An address that is a found host keeps the record's fingerprint (e.g. the second try, with
    // the password, after a click on a locked host).
    const found = look.hosts.find((h) => isSameServer(address, h));
    const fp = found?.fingerprint ? cleanFingerprint(found.fingerprint) : null;
    if (!target.fingerprint && fp) target.fingerprint = fp;
    app.askNotifications();
    await flow.join(target, room.trim() || target.room || 'lobby');
  };

  /** A found host: fill the form with it and join at once (the password field appears if it
   * needs one). */
  const pick = async (entry: FoundEntry) => {
    onAddress(entry.host.address);
    setRoom(entry.room);
    const target = parseJoinTarget(entry.host.address);
    if (!target) return;
    // The record's fingerprint is pinned, so a host that only looks like it is refused.
    const fp = entry.host.fingerprint ? cleanFingerprint(entry.host.fingerprint) : null;
    if (fp) target.fingerprint = fp;
    app.askNotifications();
    await flow.join(target, entry.room);
  };

  const forget = (address: string) => {
    const next = recent.filter((r) => r.address !== address);
    prefs.setRecent(next);
    setRecent(next);
  };

  // A recent server that is found right now is listed (marked) among the found hosts instead.
  const shownRecent = recentNotFound(recent, look.hosts);

  return (
    <form class="card" aria-labelledby="join-title" data-testid="join-card" onSubmit={submit} noValidate>
      <header class="card-head">
        <span class="card-icon card-icon-join" aria-hidden="true" />
        <div>
          <h2 class="card-title" id="join-title">
            {t('join.title')}
          </h2>
          <p class="card-subtitle">{t('join.subtitle')}</p>
        </div>
      </header>
      <FoundHosts look={look} recent={recent} room={room} busy={flow.busy} onPick={(e) => void pick(e)} />
      <div class="field">
        <label for="join-address">{t('join.address')}</label>
        <input
          id="join-address"
          ref={addressField}
          data-testid="address-input"
          aria-invalid={flow.error?.code === 'bad_address' ? 'true' : undefined}
          class="mono"
          value={address}
          placeholder={t('join.addressPlaceholder')}
          autocomplete="off"
          spellcheck={false}
          onInput={(e) => onAddress((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      <div class="field-row">
        <div class="field">
          <label for="join-room">{t('join.room')}</label>
          <input
            id="join-room"
            data-testid="room-input"
            value={room}
            maxLength={LIMITS.roomName}
            onInput={(e) => setRoom((e.currentTarget as HTMLInputElement).value)}
          />
        </div>
        {flow.password && <PasswordField id="join-password" label={t('join.password')} {...flow.password} />}
      </div>
      <JoinError error={flow.error} />
      <div class="card-actions">
        <button type="submit" class="btn btn-primary" data-testid="join-button" disabled={flow.busy || !address.trim()}>
          {flow.busy ? t('join.joining') : t('join.button')}
        </button>
      </div>
      {shownRecent.length > 0 && (
        <div class="recent">
          <h3 class="recent-title">{t('join.recent')}</h3>
          <ul class="recent-list">
            {shownRecent.map((r) => (
              <li key={r.address} class="recent-item">
                <button
                  type="button"
                  class="recent-fill"
                  data-testid="recent-server"
                  data-address={r.address}
                  onClick={() => {
                    onAddress(r.address);
                    setRoom(r.room);
                  }}
                >
                  <span class="recent-server">
                    {r.name && <span class="recent-name">{r.name}</span>}
                    <span class="mono">{r.address}</span>
                  </span>
                  <span class="recent-room">#{r.room}</span>
                </button>
                <button
                  type="button"
                  class="icon-btn"
                  aria-label={t('join.forget', { server: r.address })}
                  title={t('join.forget', { server: r.address })}
                  onClick={() => forget(r.address)}
                >
                  <Icon name="close" />
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}
