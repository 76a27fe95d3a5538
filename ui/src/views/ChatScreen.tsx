//! The chat: rooms sidebar (unread badges, leave, join another), the active room (banners,
//! messages, who is typing, composer) and its member list.

import { useRef, useState } from 'preact/hooks';
import { findRoom, type RoomView, typingNames } from '../chat/store';
import { typingText } from '../chat/typing';
import { checkRoomName, LIMITS } from '../protocol';
import { errorText } from '../i18n';
import { Avatar } from './Avatar';
import { Composer } from './Composer';
import { useApp } from './context';
import { failure } from './failure';
import { MessageList } from './MessageList';

export function ChatScreen() {
  const app = useApp();
  const room = findRoom(app.chat, app.chat.active);
  return (
    <div class="chat">
      <Sidebar />
      <section class="room-pane" aria-label={room ? `#${room.name}` : undefined}>
        <Banners room={room} />
        {room ? <RoomBody room={room} key={room.name} /> : <p class="empty-state">{app.t('chat.noRoom')}</p>}
      </section>
      {room && <MemberList room={room} />}
    </div>
  );
}

function Sidebar() {
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
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await app.joinRoom(room);
      setName('');
    } catch (err) {
      setError(failure(t, err).text);
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <nav class="sidebar" aria-label={t('chat.rooms')}>
      <h2 class="sidebar-title">{t('chat.rooms')}</h2>
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
                onClick={() => app.activate(r.name)}
              >
                <span class="room-hash" aria-hidden="true">
                  #
                </span>
                <span class="room-name">{r.name}</span>
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
                aria-label={t('chat.leave', { room: r.name })}
                title={t('chat.leave', { room: r.name })}
                onClick={() => void app.leaveRoom(r.name).catch((err) => setError(failure(t, err).text))}
              >
                ×
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

function Banners({ room }: { room: RoomView | undefined }) {
  const app = useApp();
  const { t } = app;
  const { serverNotice, connection } = app.chat;
  return (
    <>
      {serverNotice && (
        <div class="banner banner-warn" data-testid="banner" data-kind="serverClosing" role="alert">
          <span>{t('chat.serverClosing', { message: serverNotice })}</span>
          <button type="button" class="btn btn-small" onClick={() => void app.leaveServer()}>
            {t('chat.disconnect')}
          </button>
        </div>
      )}
      {!serverNotice && connection === 'disconnected' && (
        <div class="banner banner-warn" data-testid="banner" data-kind="disconnected" role="alert">
          <span>{app.chat.connectionReason ? errorText(t, app.chat.connectionReason, t('state.disconnected')) : t('state.disconnected')}</span>
          <button type="button" class="btn btn-small" onClick={() => void app.leaveServer()}>
            {t('chat.disconnect')}
          </button>
        </div>
      )}
      {room?.notice && (
        <div class="banner banner-danger" data-testid="banner" data-kind={room.status} role="alert">
          <span>
            {room.status === 'kicked'
              ? t('chat.kicked', { room: room.name, by: room.notice.by || '?' })
              : t('chat.lost', { room: room.name, reason: errorText(t, room.notice.code, room.notice.reason) })}
            {room.status === 'kicked' && room.notice.reason && <em class="banner-reason"> “{room.notice.reason}”</em>}
          </span>
          <button
            type="button"
            class="btn btn-small"
            data-testid="room-rejoin"
            disabled={connection !== 'connected'}
            onClick={() => void app.joinRoom(room.name).catch((e) => app.report(e))}
          >
            {t('chat.rejoin')}
          </button>
        </div>
      )}
    </>
  );
}

function RoomBody({ room }: { room: RoomView }) {
  const app = useApp();
  const names = typingNames(room, Date.now());
  return (
    <>
      <header class="room-head">
        <h1 class="room-title">
          <span class="room-hash" aria-hidden="true">
            #
          </span>
          {room.name}
        </h1>
        <span class="room-meta">
          {room.members.length === 1
            ? app.t('chat.memberCountOne')
            : app.t('chat.memberCount', { n: room.members.length })}
        </span>
      </header>
      <MessageList room={room} />
      <div class="typing-line" data-testid="typing-indicator" aria-live="polite">
        {typingText(names, app.t)}
      </div>
      <Composer room={room} />
    </>
  );
}

function MemberList({ room }: { room: RoomView }) {
  const app = useApp();
  const { t } = app;
  const canKick = Boolean(app.session.hosting && app.session.server?.own);
  return (
    <aside class="members" aria-labelledby="members-title">
      <h2 class="sidebar-title" id="members-title">
        {t('chat.members')} <span class="count">{room.members.length}</span>
      </h2>
      <ul class="member-list" data-testid="member-list">
        {room.members.map((nick) => {
          const me = nick === room.nickName;
          return (
            <li key={nick} class="member" data-testid="member" data-nick={nick}>
              <Avatar nick={nick} />
              <span class="member-name">{nick}</span>
              {me && <span class="you-tag">{t('chat.you')}</span>}
              {canKick && !me && (
                <button
                  type="button"
                  class="member-kick"
                  data-testid="member-kick"
                  data-nick={nick}
                  aria-label={t('host.kickLabel', { nick, room: room.name })}
                  title={t('host.kickLabel', { nick, room: room.name })}
                  onClick={() => app.kickQuietly(room.name, nick)}
                >
                  {t('host.kick')}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
