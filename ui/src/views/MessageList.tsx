//! The message log of one room: chat and file messages (grouped under one header when the same
//! person writes again within a few minutes), join/leave/kick/system notices, day separators, our
//! own messages that the server has not echoed yet (pending, or failed with Retry/Discard) and
//! our uploads in progress. A picture's preview opens the viewer. It sticks to the bottom unless
//! the user scrolled up to read. Scrollback: near the top it loads the page before (keeping what
//! is on screen in place) until "This is the beginning of #room"; a page loaded around a search
//! result leaves a gap with "Show newer messages"; "Jump to latest" (with the count of new
//! messages below) when scrolled up; a "New messages" divider where the user left off.

import { Component } from 'preact';
import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { noticeText } from '../chat/notice';
import { atBeginning, dividerSeq, gaps, newerThan } from '../chat/pages';
import type { ChatMessage, PendingMessage, RoomView } from '../chat/store';
import type { DownloadView } from '../chat/transfers';
import type { Lang, Translate } from '../i18n';
import { Avatar } from './Avatar';
import { toTransportError } from '../transport/types';
import { useApp } from './context';
import { MessageActions, Reactions, ReplyQuote } from './Conversation';
import { FileCard } from './FileCard';
import { ImageViewer } from './ImageViewer';
import { MessageText } from './MessageText';
import { roomLabel } from './roomLabel';
import { UploadRow } from './UploadRow';

/** Messages by the same person this close together share one header. */
const GROUP_MS = 5 * 60 * 1000;

function timeFmt(lang: Lang) {
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en', { hour: 'numeric', minute: '2-digit' });
}
function dayFmt(lang: Lang) {
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en', { weekday: 'short', month: 'short', day: 'numeric' });
}
function fullFmt(lang: Lang) {
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en', { dateStyle: 'medium', timeStyle: 'medium' });
}

function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

interface RowProps {
  msg: ChatMessage;
  compact: boolean;
  lang: Lang;
  /** The window's download of this message's file, if any. */
  download?: DownloadView;
  /** Flashed: the message a search result jumped to. */
  flash: boolean;
  onView: (messageId: string, opener: HTMLElement) => void;
  /** Conversations: the room, our user id and nickname, the message a reply quotes (when
   * loaded), whether we may delete anyone's message (the host), and whether the room is live. */
  room: string;
  me: string;
  userId?: string;
  original?: ChatMessage;
  canModerate: boolean;
  live: boolean;
  t: Translate;
}

/** Messages someone wrote or sent: they get a header and group with the sender's next ones. */
const authored = (m: ChatMessage) => m.kind === 'chat' || (m.kind === 'file' && Boolean(m.file));

/** One confirmed message; re-renders only when its own props change. */
class MessageRow extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps) {
    const p = this.props;
    return (
      next.msg !== p.msg ||
      next.compact !== p.compact ||
      next.lang !== p.lang ||
      next.download !== p.download ||
      next.flash !== p.flash ||
      next.original !== p.original ||
      next.userId !== p.userId ||
      next.me !== p.me ||
      next.canModerate !== p.canModerate ||
      next.live !== p.live ||
      next.t !== p.t
    );
  }

  override render({ msg, compact, lang, download, flash, onView, room, me, userId, original, canModerate, live, t }: RowProps) {
    const time = new Date(msg.ts);
    const stamp = (
      <time class="msg-time" dateTime={time.toISOString()} title={fullFmt(lang).format(time)}>
        {timeFmt(lang).format(time)}
      </time>
    );
    if (!authored(msg)) {
      return (
        <li class={`notice notice-${msg.kind}${flash ? ' flash' : ''}`} data-testid="message" data-kind={msg.kind} data-seq={msg.seq}>
          <span class="notice-text">{noticeText(msg, t)}</span>
          {stamp}
        </li>
      );
    }
    let cls = 'msg';
    if (msg.own) cls += ' own';
    if (compact && !msg.reply) cls += ' compact';
    const mentioned = !msg.own && Boolean(msg.mentions?.includes(me));
    if (mentioned) cls += ' mentioned';
    if (msg.deleted) cls += ' deleted';
    if (flash) cls += ' flash';
    compact = compact && !msg.reply;
    return (
      <li
        class={cls}
        data-testid="message"
        data-kind={msg.kind}
        data-seq={msg.seq}
        data-own={msg.own ? 'true' : 'false'}
        data-mentioned={mentioned ? 'true' : undefined}
        data-deleted={msg.deleted ? 'true' : undefined}
      >
        {compact ? <span class="msg-gutter">{stamp}</span> : <Avatar nick={msg.nickName} />}
        <div class="msg-main">
          {!compact && (
            <div class="msg-head">
              <span class="msg-nick">{msg.nickName}</span>
              {stamp}
            </div>
          )}
          {msg.reply && <ReplyQuote quote={msg.reply} original={original} />}
          {msg.deleted ? (
            <div class="msg-text msg-deleted" data-testid="message-deleted">
              {t('conv.deleted')}
            </div>
          ) : msg.file ? (
            <FileCard messageId={msg.id} file={msg.file} download={download} onView={onView} />
          ) : (
            <div class="msg-text">
              <MessageText text={msg.message} />
              {msg.editedTs && (
                <span class="msg-edited" data-testid="message-edited" title={t('conv.editedAt', { time: fullFmt(lang).format(new Date(msg.editedTs)) })}>
                  {' '}
                  {t('conv.edited')}
                </span>
              )}
            </div>
          )}
          <Reactions msg={msg} room={room} userId={userId} live={live} />
        </div>
        <MessageActions msg={msg} canModerate={canModerate} live={live} />
      </li>
    );
  }
}

function PendingRow({ p, room, t }: { p: PendingMessage; room: RoomView; t: Translate }) {
  const app = useApp();
  return (
    <li
      class={p.failed ? 'msg own pending failed' : 'msg own pending'}
      data-testid="message"
      data-kind="chat"
      data-pending="true"
      data-own="true"
      data-client-id={p.clientId}
    >
      <Avatar nick={room.nickName} />
      <div class="msg-main">
        <div class="msg-head">
          <span class="msg-nick">{room.nickName}</span>
          <span class="msg-status">{p.failed ? t('chat.failed', { reason: p.failed }) : t('chat.sending')}</span>
        </div>
        <div class="msg-text">
          <MessageText text={p.message} />
        </div>
        {p.failed && (
          <div class="msg-actions">
            <button type="button" class="link-btn" data-testid="message-retry" onClick={() => app.retry(room.name, p.clientId)}>
              {t('chat.retry')}
            </button>
            <button type="button" class="link-btn" data-testid="message-discard" onClick={() => app.discard(room.name, p.clientId)}>
              {t('chat.discard')}
            </button>
          </div>
        )}
      </div>
    </li>
  );
}

/** Closer than this to the top (px), the page before is loaded. */
const LOAD_MARGIN = 400;

export function MessageList({ room }: { room: RoomView }) {
  const app = useApp();
  const { t } = app;
  const lang = app.session.lang;
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  /** Scrolled up from the bottom: "Jump to latest" shows. */
  const [away, setAway] = useState(false);
  /** The newest message seen at the bottom: what "new below" counts from. */
  const seen = useRef(0);
  /** The last message read when the room was opened: the divider stays there while it is open. */
  const [readAtOpen] = useState(() => app.lastRead(room.name));
  /** The last page failed (`unsupported`: a tutorial server, which has no history to give). */
  const [loadFailed, setLoadFailed] = useState<false | 'failed' | 'unsupported'>(false);
  const [flash, setFlash] = useState<number | null>(null);
  /** Distance from the bottom before older messages were put on top, to keep the view still. */
  const prepend = useRef<number | null>(null);
  const firstSeq = useRef<number | undefined>(undefined);
  const lastPending = useRef(room.pending.length + room.uploads.length);
  const [viewing, setViewing] = useState<string | null>(null);
  /** The preview that opened the viewer: the focus goes back there. */
  const opener = useRef<HTMLElement | null>(null);
  const onView = useCallback((id: string, el: HTMLElement) => {
    opener.current = el;
    setViewing(id);
  }, []);
  const closeViewer = () => {
    setViewing(null);
    opener.current?.focus();
  };

  // Own new message or upload: jump to the bottom even if scrolled up.
  const ownCount = room.pending.length + room.uploads.length;
  if (ownCount > lastPending.current) stick.current = true;
  lastPending.current = ownCount;

  const beginning = atBeginning(room.spans);
  const loadOlder = () => {
    const el = scroller.current;
    if (!el || beginning || loadFailed || room.status !== 'joined' || app.isPaging(room.name)) return;
    prepend.current = el.scrollHeight - el.scrollTop;
    app.loadOlder(room.name).catch((e) => setLoadFailed(toTransportError(e).code === 'unknown_event' ? 'unsupported' : 'failed'));
  };

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = room.messages[0]?.seq;
    if (first !== firstSeq.current) {
      // Older messages went on top: keep what was on screen where it was.
      if (prepend.current !== null && !stick.current) el.scrollTop = el.scrollHeight - prepend.current;
      prepend.current = null;
      firstSeq.current = first;
    }
    if (stick.current) el.scrollTop = el.scrollHeight;
    const f = app.focus;
    if (f && f.room === room.name) {
      const li = el.querySelector<HTMLElement>(`[data-seq="${f.seq}"]`);
      if (li) {
        app.focused(f.n);
        stick.current = false;
        setAway(true);
        li.scrollIntoView?.({ block: 'center' });
        setFlash(f.seq);
        setTimeout(() => setFlash((x) => (x === f.seq ? null : x)), 2500);
      }
    }
    const last = room.messages[room.messages.length - 1];
    if (stick.current && last) {
      seen.current = last.seq;
      if (app.chat.active === room.name && app.chat.attention) app.markRead(room.name, last.seq);
    }
    // Not enough history to scroll: fetch more until there is, or until the beginning.
    if (el.scrollHeight <= el.clientHeight + 8) loadOlder();
  });

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    if (away === stick.current) setAway(!stick.current);
    if (el.scrollTop < LOAD_MARGIN) loadOlder();
  };

  const toLatest = () => {
    const el = scroller.current;
    stick.current = true;
    setAway(false);
    if (el) el.scrollTop = el.scrollHeight;
  };

  const divider = dividerSeq(room.messages, readAtOpen);
  const holes = new Map(gaps(room.spans).map((g) => [g.before, g.after]));
  const rows = [];
  if (room.messages.length > 0) {
    if (beginning) {
      rows.push(
        <li class="history-edge" key="beginning" data-testid="history-beginning">
          {t('history.beginning', { room: roomLabel(room, t) })}
        </li>,
      );
    } else if (loadFailed === 'unsupported') {
      // Nothing to say: the server keeps no history to page through.
    } else if (loadFailed) {
      rows.push(
        <li class="history-edge" key="failed" data-testid="history-failed">
          {t('history.loadFailed')}{' '}
          <button type="button" class="link-btn" onClick={() => setLoadFailed(false)}>
            {t('history.retry')}
          </button>
        </li>,
      );
    } else {
      rows.push(
        <li class="history-edge" key="loading" data-testid="history-loading" aria-busy="true">
          {t('history.loading')}
        </li>,
      );
    }
  }
  const today = dayKey(Date.now());
  const live = room.status === 'joined' && app.chat.connection !== 'disconnected';
  const canModerate = app.canModerate();
  const bySeq = new Map<number, ChatMessage>();
  for (const m of room.messages) if (m.kind === 'chat' || m.kind === 'file') bySeq.set(m.seq, m);
  let prev: ChatMessage | undefined;
  for (const msg of room.messages) {
    const after = holes.get(msg.seq);
    if (after !== undefined && prev) {
      rows.push(
        <li class="history-gap" key={`gap-${msg.seq}`}>
          <button
            type="button"
            class="btn btn-small"
            data-testid="history-gap"
            disabled={app.isPaging(room.name)}
            onClick={() => void app.loadPage(room.name, { after }).catch((e) => app.report(e))}
          >
            {t('history.gap')}
          </button>
        </li>,
      );
      prev = undefined;
    }
    const day = dayKey(msg.ts);
    if (!prev || dayKey(prev.ts) !== day) {
      rows.push(
        <li class="day-sep" key={`day-${day}-${msg.seq}`}>
          <span>{day === today ? t('chat.today') : dayFmt(lang).format(new Date(msg.ts))}</span>
        </li>,
      );
      prev = undefined;
    }
    if (msg.seq === divider) {
      rows.push(
        <li class="new-divider" key="new-divider" data-testid="new-divider">
          <span>{t('history.newMessages')}</span>
        </li>,
      );
      prev = undefined;
    }
    const compact = !!prev && authored(msg) && authored(prev) && prev.nickName === msg.nickName && msg.ts - prev.ts < GROUP_MS;
    rows.push(
      <MessageRow
        key={msg.id}
        msg={msg}
        compact={compact}
        lang={lang}
        download={app.chat.downloads[msg.id]}
        flash={msg.seq === flash}
        onView={onView}
        room={room.name}
        me={room.nickName}
        userId={room.userId}
        original={msg.reply ? bySeq.get(msg.reply.seq) : undefined}
        canModerate={canModerate}
        live={live}
        t={t}
      />,
    );
    prev = msg;
  }

  const shown = viewing ? room.messages.find((m) => m.id === viewing) : undefined;
  const empty = room.messages.length === 0 && room.pending.length === 0 && room.uploads.length === 0;
  const below = away ? newerThan(room.messages, seen.current) : 0;
  return (
    <>
      {/* The scroller is the polite live region (new messages are read out) and focusable, so the
          history can be scrolled from the keyboard. The viewer stays outside it. */}
      <div
        class="messages"
        ref={scroller}
        onScroll={onScroll}
        role="log"
        aria-live="polite"
        aria-label={t('chat.messages', { room: room.name })}
        tabIndex={0}
        data-testid="message-log"
      >
        {empty && <p class="empty-state">{t('chat.empty')}</p>}
        <ol class="message-list" data-testid="message-list">
          {rows}
          {room.pending.map((p) => (
            <PendingRow key={p.clientId} p={p} room={room} t={t} />
          ))}
          {room.uploads.map((u) => (
            <UploadRow key={u.id} u={u} room={room.name} nickName={room.nickName} />
          ))}
        </ol>
        {away && (
          <div class="jump-wrap">
            <button type="button" class="btn btn-small jump-latest" data-testid="jump-latest" onClick={toLatest}>
              <span aria-hidden="true">↓</span> {t('history.jumpLatest')}
              {below > 0 && (
                <span class="badge" data-testid="jump-latest-count">
                  {t('history.newBelow', { n: below })}
                </span>
              )}
            </button>
          </div>
        )}
      </div>
      {shown?.file && (
        <ImageViewer
          messageId={shown.id}
          file={shown.file}
          sender={shown.nickName}
          download={app.chat.downloads[shown.id]}
          onClose={closeViewer}
        />
      )}
    </>
  );
}
