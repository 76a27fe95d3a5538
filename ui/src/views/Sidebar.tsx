//! The rooms list: a tab per room (unread badge, leave), "+ Join a room", and who we are. A column
//! on wide screens, a drawer from the left on narrow ones.

import { useRef, useState } from 'preact/hooks';
import { findRoom } from '../chat/store';
import { errorText } from '../i18n';
import { checkRoomName, LIMITS } from '../protocol';
import { Avatar } from './Avatar';
import { useApp } from './context';
import { DrawerHead, type DrawerProps } from './Drawer';
import { failure } from './failure';
import { Icon } from './Icon';
import { roomName, roomSigil } from './roomLabel';

export function Sidebar({
  open,
  onFocusOut,
  onClose,
  onPicked,
}: DrawerProps & { onPicked: () => void }) {
  const app = useApp();
  const { t } = app;
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const join = async (e: Event) => {
    e.preventDefault();
    const room = name.trim();
    if (!room) return;
    const bad = checkRoomName(room);
    if (bad) {
      setError(errorText(t, bad));
      return;
    }
    if (findRoom(app.chat, room)?.status === 'joined') {
      app.activate(room);
      setName('');
      onPicked();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await app.joinRoom(room);
      setName('');
      onPicked();
    } catch (err) {
      setError(failure(t, err).text);
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <nav
      class={open ? 'sidebar drawer is-open' : 'sidebar drawer'}
      id="rooms-drawer"
      data-testid="rooms-drawer"
      data-open={open ? 'true' : 'false'}
      aria-labelledby="rooms-title"
      onFocusOut={onFocusOut}
    >
      <DrawerHead id="rooms-title" title={t('chat.rooms')} onClose={onClose} />
      <ul class="room-list">
        {app.chat.rooms.map((r) => {
          const active = r.name === app.chat.active;
          return (
            <li key={r.name} class={active ? 'room-item active' : 'room-item'}>
              <button
                type="button"
                class="room-tab"
                data-testid="room-tab"
                data-room={r.name}
                data-status={r.status}
                aria-current={active ? 'page' : undefined}
                onClick={() => {
                  app.activate(r.name);
                  onPicked();
                }}
              >
                <span class="room-hash" aria-hidden="true">
                  {roomSigil(r)}
                </span>
                <span class="room-name">{roomName(r, t)}</span>
                {r.mentioned > 0 && (
                  <span class="badge badge-mention" data-testid="room-mentions" aria-label={t('conv.mentions', { n: r.mentioned })}>
                    @{r.mentioned > 99 ? '99+' : r.mentioned}
                  </span>
                )}
                {r.unread > 0 && (
                  <span class="badge" data-testid="room-unread" aria-label={t('chat.unread', { n: r.unread })}>
                    {r.unread > 99 ? '99+' : r.unread}
                  </span>
                )}
              </button>
              <button
                type="button"
                class="room-leave"
                data-testid="room-leave"
                data-room={r.name}
                aria-label={t('chat.leave', { room: roomName(r, t) })}
                title={t('chat.leave', { room: roomName(r, t) })}
                onClick={() => void app.leaveRoom(r.name).catch((err) => setError(failure(t, err).text))}
              >
                <Icon name="close" />
              </button>
            </li>
          );
        })}
      </ul>
      <form class="join-room" onSubmit={join}>
        <label class="visually-hidden" for="join-room-input">
          {t('chat.joinPlaceholder')}
        </label>
        <input
          id="join-room-input"
          ref={input}
          data-testid="join-room-input"
          value={name}
          maxLength={LIMITS.roomName}
          placeholder={t('chat.joinPlaceholder')}
          onInput={(e) => {
            setName((e.currentTarget as HTMLInputElement).value);
            setError(null);
          }}
        />
        <button type="submit" class="btn btn-small" data-testid="join-room-button" disabled={busy || !name.trim()}>
          {t('chat.join')}
        </button>
        {error && (
          <p class="field-error" role="alert" data-testid="join-room-error">
            {error}
          </p>
        )}
      </form>
      <div class="sidebar-me">
        <Avatar nick={app.session.nickName ?? ''} />
        <span class="me-name">{app.session.nickName}</span>
      </div>
    </nav>
  );
}
