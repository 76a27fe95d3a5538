//! The chat: rooms sidebar (unread badges, leave, join another), the active room (banners,
//! messages, who is typing, composer) and its member list. Wide, the three sit side by side; on a
//! narrow screen the room takes the whole width and the rooms and members open as drawers from
//! the room's header (Escape, the backdrop, or moving focus out closes them). Files dropped on the
//! room or pasted into it are sent there (fileDrop.ts).

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { findRoom, type RoomView, totalUnread, typingNames } from '../chat/store';
import { typingText } from '../chat/typing';
import { errorText } from '../i18n';
import { isPrivateRoom } from '../protocol';
import { Composer } from './Composer';
import { useApp } from './context';
import type { Drawer } from './Drawer';
import { pastedFiles, useFileDrop, useIgnoreStrayDrops } from './fileDrop';
import { Icon } from './Icon';
import { NARROW, useMediaQuery } from './media';
import { MemberList } from './MemberList';
import { MessageList } from './MessageList';
import { roomLabel, roomName, roomSigil } from './roomLabel';
import { SearchPanel } from './SearchPanel';
import { Sidebar } from './Sidebar';

export function ChatScreen() {
  const app = useApp();
  const room = findRoom(app.chat, app.chat.active);
  const narrow = useMediaQuery(NARROW);
  const [drawer, setDrawer] = useState<Drawer | null>(null);
  /** The search panel is open (for the active room; switching rooms closes it). */
  const [searching, setSearching] = useState(false);
  const searchBtn = useRef<HTMLButtonElement | null>(null);
  const closeSearch = () => {
    setSearching(false);
    searchBtn.current?.focus();
  };
  useEffect(() => setSearching(false), [room?.name]);
  const open = narrow ? drawer : null;
  /** The button that opened the drawer gets the focus back when it closes. */
  const opener = useRef<HTMLElement | null>(null);
  const live = room?.status === 'joined' && app.chat.connection !== 'disconnected';
  const drop = useFileDrop(live, (files) => app.sendFiles(files));
  useIgnoreStrayDrops();

  const onPaste = (e: ClipboardEvent) => {
    if (!live) return;
    const files = pastedFiles(e.clipboardData, new Date());
    if (files.length === 0) return;
    e.preventDefault();
    app.sendFiles(files);
  };

  const openDrawer = (which: Drawer, e: Event) => {
    opener.current = e.currentTarget as HTMLElement;
    setDrawer(which);
  };
  const close = (restoreFocus = true) => {
    setDrawer(null);
    if (restoreFocus) opener.current?.focus();
  };

  useEffect(() => {
    if (!narrow) setDrawer(null);
  }, [narrow]);

  // Into the drawer when it opens: the current room's tab, or its first control. A layout
  // effect, so the focus moves in the same task that opens the drawer, not a frame later.
  useLayoutEffect(() => {
    if (!open) return;
    const panel = document.getElementById(`${open}-drawer`);
    const target =
      panel?.querySelector<HTMLElement>('[aria-current="page"]') ?? panel?.querySelector<HTMLElement>('button, input');
    target?.focus();
  }, [open]);

  // Escape closes a drawer; Alt+↑ / Alt+↓ switch rooms from anywhere in the chat.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && open && !e.defaultPrevented) {
        e.preventDefault();
        close();
      } else if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        const rooms = app.chat.rooms;
        if (rooms.length < 2) return;
        const i = rooms.findIndex((r) => r.name === app.chat.active);
        const next = rooms[(i + (e.key === 'ArrowDown' ? 1 : rooms.length - 1)) % rooms.length];
        e.preventDefault();
        app.activate(next.name);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  /** Focus moving out of an open drawer (Tab past its end, a click elsewhere) closes it. */
  const onFocusOut = (e: FocusEvent) => {
    const to = e.relatedTarget as Node | null;
    if (open && to && !(e.currentTarget as HTMLElement).contains(to)) close(false);
  };

  return (
    <div class={open ? `chat drawer-open` : 'chat'}>
      <Sidebar open={open === 'rooms'} onFocusOut={onFocusOut} onClose={() => close()} onPicked={() => close()} />
      <section
        class="room-pane"
        aria-label={room ? roomLabel(room, app.t) : undefined}
        onDragEnter={drop.onDragEnter}
        onDragOver={drop.onDragOver}
        onDragLeave={drop.onDragLeave}
        onDrop={drop.onDrop}
        onPaste={onPaste}
      >
        <RoomHead
          room={room}
          open={open}
          onOpen={openDrawer}
          searching={searching}
          searchBtn={searchBtn}
          onSearch={() => (searching ? closeSearch() : setSearching(true))}
        />
        <Banners room={room} />
        {room && searching && (
          <SearchPanel room={room} onClose={closeSearch} onJumped={() => narrow && setSearching(false)} />
        )}
        {room ? <RoomBody room={room} key={room.name} /> : <p class="empty-state">{app.t('chat.noRoom')}</p>}
        {room && drop.dragging && (
          // Pointer-only and decorative: keyboard and screen-reader users have the paperclip.
          <div class="drop-zone" data-testid="drop-zone" aria-hidden="true">
            <div class="drop-zone-inner">
              <Icon name="upload" class="drop-zone-icon" />
              <strong>{app.t('files.drop', { room: room.name })}</strong>
              <span>{app.t('files.dropHint')}</span>
            </div>
          </div>
        )}
      </section>
      {room && <MemberList room={room} open={open === 'members'} onFocusOut={onFocusOut} onClose={() => close()} />}
      {open && <div class="drawer-backdrop" data-testid="drawer-backdrop" aria-hidden="true" onClick={() => close()} />}
    </div>
  );
}

/** The room's title bar; on narrow screens also the buttons that open the two drawers. */
function RoomHead({
  room,
  open,
  onOpen,
  searching,
  searchBtn,
  onSearch,
}: {
  room: RoomView | undefined;
  open: Drawer | null;
  onOpen: (which: Drawer, e: Event) => void;
  searching: boolean;
  searchBtn: { current: HTMLButtonElement | null };
  onSearch: () => void;
}) {
  const app = useApp();
  const { t } = app;
  const unread = totalUnread(app.chat);
  return (
    <header class="room-head">
      <button
        type="button"
        class="icon-btn drawer-btn"
        data-testid="rooms-open"
        aria-controls="rooms-drawer"
        aria-expanded={open === 'rooms'}
        aria-label={unread > 0 ? t('chat.roomsUnread', { n: unread }) : t('chat.rooms')}
        onClick={(e) => onOpen('rooms', e)}
      >
        <Icon name="menu" />
        {unread > 0 && (
          <span class="badge badge-dot" data-testid="rooms-unread" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      {room && (
        <>
          <h1 class="room-title" title={isPrivateRoom(room.name) ? t('pm.only', { nick: roomName(room, t) }) : undefined}>
            <span class="room-hash" aria-hidden="true">
              {roomSigil(room)}
            </span>
            {roomName(room, t)}
          </h1>
          <span class="room-meta">
            {room.members.length === 1
              ? t('chat.memberCountOne')
              : t('chat.memberCount', { n: room.members.length })}
          </span>
          <button
            type="button"
            class="icon-btn search-btn"
            ref={searchBtn}
            data-testid="search-open"
            aria-expanded={searching}
            disabled={room.status !== 'joined'}
            onClick={onSearch}
          >
            <Icon name="search" />
            <span class="visually-hidden">{t('search.open')}</span>
          </button>
          <button
            type="button"
            class="icon-btn drawer-btn members-btn"
            data-testid="members-open"
            aria-controls="members-drawer"
            aria-expanded={open === 'members'}
            onClick={(e) => onOpen('members', e)}
          >
            <Icon name="people" />
            <span class="visually-hidden">{t('chat.members')}</span>
            <span class="members-btn-count">{room.members.length}</span>
          </button>
        </>
      )}
    </header>
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
      <MessageList room={room} />
      <div class="typing-line" data-testid="typing-indicator" aria-live="polite">
        {typingText(names, app.t)}
      </div>
      <Composer room={room} />
    </>
  );
}

