//! A browser guest's only card: join a room on the server that served this page. The room comes
//! from `?room=` (joined straight away once there is a nickname); the server's public rooms from
//! `/api/info` are offered as chips; a password field appears when the server asks for one.

import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../i18n';
import { checkRoomName, LIMITS } from '../protocol';
import type { GuestConfig } from './App';
import { useApp } from './context';
import { JoinError } from './JoinError';
import { PasswordField } from './PasswordField';
import { failure } from './failure';

interface RoomInfo {
  name: string;
  members: number;
}

async function fetchRooms(address: string): Promise<RoomInfo[]> {
  if (new URL(address).origin !== location.origin) return []; // the server sends no CORS headers
  try {
    const res = await fetch(new URL('/api/info', address));
    if (!res.ok) return [];
    const info = (await res.json()) as { rooms?: unknown };
    if (!Array.isArray(info.rooms)) return [];
    return info.rooms
      .filter((r): r is RoomInfo => r && typeof r.name === 'string')
      .map((r) => ({ name: r.name, members: Number(r.members) || 0 }));
  } catch {
    return [];
  }
}

export function GuestCard({ guest }: { guest: GuestConfig | null }) {
  const app = useApp();
  const { t } = app;
  const address = guest?.address ?? location.origin;
  const host = new URL(address).host;
  const [room, setRoom] = useState(guest?.room ?? 'lobby');
  const [password, setPassword] = useState('');
  const [needsPassword, setNeedsPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; text: string } | null>(null);
  const [rooms, setRooms] = useState<RoomInfo[]>([]);
  const passwordField = useRef<HTMLInputElement>(null);
  const roomField = useRef<HTMLInputElement>(null);

  const join = async (roomName: string) => {
    const bad = checkRoomName(roomName);
    if (bad) {
      setError({ code: bad, text: errorText(t, bad) });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await app.joinServer({ url: address, hostPort: host, room: roomName.trim(), password: password || undefined });
    } catch (e) {
      const f = failure(t, e);
      setError(f);
      if (f.code === 'password_required' || f.code === 'bad_password') {
        setNeedsPassword(true);
        setTimeout(() => passwordField.current?.focus());
      }
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    fetchRooms(address).then(setRooms);
    if (guest?.autoJoin && guest.room) {
      guest.autoJoin = false;
      void join(guest.room);
    } else {
      roomField.current?.focus();
    }
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
        <div class="field">
          <span class="label">{t('guest.rooms')}</span>
          <div class="chips">
            {rooms.map((r) => (
              <button
                type="button"
                key={r.name}
                class={r.name === room ? 'chip chip-on' : 'chip'}
                data-testid="server-room"
                onClick={() => setRoom(r.name)}
              >
                #{r.name} <span class="chip-count">{r.members}</span>
              </button>
            ))}
          </div>
        </div>
      )}
      {needsPassword && (
        <PasswordField
          id="guest-password"
          label={t('join.password')}
          value={password}
          onInput={setPassword}
          inputRef={passwordField}
        />
      )}
      <JoinError error={error} />
      <div class="card-actions">
        <button type="submit" class="btn btn-primary btn-block" data-testid="join-button" disabled={busy}>
          {busy ? t('join.joining') : t('join.button')}
        </button>
      </div>
    </form>
  );
}
