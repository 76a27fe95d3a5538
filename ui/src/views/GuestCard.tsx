//! A browser guest's only card: join a room on the server that served this page. The room comes
//! from `?room=` (joined straight away once there is a nickname); the server's public rooms (from
//! `/api/info`, asked through the transport) are offered as chips; a password field appears when
//! the server asks for one.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { GuestConfig } from '../invite';
import { LIMITS, type RoomInfo } from '../protocol';
import { useApp } from './context';
import { JoinError } from './JoinError';
import { useJoinFlow } from './joinFlow';
import { PasswordField } from './PasswordField';

export function GuestCard({ guest }: { guest: GuestConfig | null }) {
  const app = useApp();
  const { t } = app;
  const address = guest?.address ?? location.origin;
  const host = new URL(address).host;
  const [room, setRoom] = useState(guest?.room ?? 'lobby');
  const [rooms, setRooms] = useState<RoomInfo[]>([]);
  const roomField = useRef<HTMLInputElement>(null);
  const flow = useJoinFlow();
  const join = (name: string) => flow.join({ url: address, hostPort: host }, name);

  useEffect(() => {
    let live = true;
    app.transport.serverInfo(address).then(
      (info) => live && setRooms(info?.rooms ?? []),
      () => undefined,
    );
    if (guest?.autoJoin && guest.room) {
      guest.autoJoin = false;
      void join(guest.room);
    } else {
      roomField.current?.focus();
    }
    return () => {
      live = false;
    };
  }, []);

  const submit = (e: Event) => {
    e.preventDefault();
    app.askNotifications();
    void join(room);
  };

  return (
    <form class="card card-guest" aria-labelledby="guest-title" data-testid="join-card" onSubmit={submit} noValidate>
      <header class="card-head">
        <span class="card-icon card-icon-join" aria-hidden="true" />
        <div>
          <h2 class="card-title" id="guest-title">
            {guest?.room ? t('guest.title', { room: `#${guest.room}` }) : t('guest.titleNoRoom')}
          </h2>
          <p class="card-subtitle">{t('guest.subtitle', { server: host })}</p>
        </div>
      </header>
      <div class="field">
        <label for="guest-room">{t('join.room')}</label>
        <input
          id="guest-room"
          ref={roomField}
          data-testid="room-input"
          value={room}
          maxLength={LIMITS.roomName}
          onInput={(e) => setRoom((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      {rooms.length > 0 && (
        <div class="field" role="group" aria-labelledby="guest-rooms-label">
          <span class="label" id="guest-rooms-label">
            {t('guest.rooms')}
          </span>
          <div class="chips">
            {rooms.map((r) => (
              <button
                type="button"
                key={r.name}
                class={r.name === room ? 'chip chip-on' : 'chip'}
                aria-pressed={r.name === room}
                data-testid="server-room"
                data-room={r.name}
                onClick={() => setRoom(r.name)}
              >
                #{r.name} <span class="chip-count">{r.members}</span>
              </button>
            ))}
          </div>
        </div>
      )}
      {flow.password && <PasswordField id="guest-password" label={t('join.password')} {...flow.password} />}
      <JoinError error={flow.error} />
      <div class="card-actions">
        <button type="submit" class="btn btn-primary btn-block" data-testid="join-button" disabled={flow.busy}>
          {flow.busy ? t('join.joining') : t('join.button')}
        </button>
      </div>
    </form>
  );
}
