//! The message log of one room: chat messages (grouped under one header when the same person
//! writes again within a few minutes), join/leave/kick/system notices, day separators, and our own
//! messages that the server has not echoed yet (pending, or failed with Retry/Discard). It sticks
//! to the bottom unless the user scrolled up to read.

import { Component } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { ChatMessage, PendingMessage, RoomView } from '../chat/store';
import type { Lang, Translate } from '../i18n';
import { Avatar } from './Avatar';
import { useApp } from './context';
import { MessageText } from './MessageText';

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
}

/** One confirmed message; re-renders only when its own props change. */
class MessageRow extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps) {
    return next.msg !== this.props.msg || next.compact !== this.props.compact || next.lang !== this.props.lang;
  }

  override render({ msg, compact, lang }: RowProps) {
    const time = new Date(msg.ts);
    const stamp = (
      <time class="msg-time" dateTime={time.toISOString()} title={fullFmt(lang).format(time)}>
        {timeFmt(lang).format(time)}
      </time>
    );
    if (msg.kind !== 'chat') {
      return (
        <li class={`notice notice-${msg.kind}`} data-testid="message" data-kind={msg.kind} data-seq={msg.seq}>
          <span class="notice-text">{msg.message}</span>
          {stamp}
        </li>
      );
    }
    let cls = 'msg';
    if (msg.own) cls += ' own';
    if (compact) cls += ' compact';
    return (
      <li class={cls} data-testid="message" data-kind="chat" data-seq={msg.seq} data-own={msg.own ? 'true' : 'false'}>
        {compact ? <span class="msg-gutter">{stamp}</span> : <Avatar nick={msg.nickName} />}
        <div class="msg-main">
          {!compact && (
            <div class="msg-head">
              <span class="msg-nick">{msg.nickName}</span>
              {stamp}
            </div>
          )}
          <div class="msg-text">
            <MessageText text={msg.message} />
          </div>
        </div>
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

export function MessageList({ room }: { room: RoomView }) {
  const app = useApp();
  const { t } = app;
  const lang = app.session.lang;
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const lastPending = useRef(room.pending.length);

  // Own new message: jump to the bottom even if scrolled up.
  if (room.pending.length > lastPending.current) stick.current = true;
  lastPending.current = room.pending.length;

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });

  const onScroll = () => {
    const el = scroller.current;
    if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  };

  const rows = [];
  const today = dayKey(Date.now());
  let prev: ChatMessage | undefined;
  for (const msg of room.messages) {
    const day = dayKey(msg.ts);
    if (!prev || dayKey(prev.ts) !== day) {
      rows.push(
        <li class="day-sep" key={`day-${day}`}>
          <span>{day === today ? t('chat.today') : dayFmt(lang).format(new Date(msg.ts))}</span>
        </li>,
      );
      prev = undefined;
    }
    const compact =
      !!prev && msg.kind === 'chat' && prev.kind === 'chat' && prev.nickName === msg.nickName && msg.ts - prev.ts < GROUP_MS;
    rows.push(<MessageRow key={msg.id} msg={msg} compact={compact} lang={lang} />);
    prev = msg;
  }

  const empty = room.messages.length === 0 && room.pending.length === 0;
  return (
    // The scroller is the polite live region (new messages are read out) and focusable, so the
    // history can be scrolled from the keyboard.
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
      </ol>
    </div>
  );
}
