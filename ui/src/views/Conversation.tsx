//! A message's conversation parts (issue #14): the quote of the message it replies to (a click
//! scrolls to the original when it is loaded), its reaction chips (who reacted in the title; a
//! press toggles ours), and its actions — reply, react, edit, delete, only the allowed ones —
//! behind a "⋯" button that is reachable by keyboard and by tap on phones. Plus the bar above the
//! composer that says what it is replying to or editing.

import { useEffect, useRef, useState } from 'preact/hooks';
import { type ComposeTarget, hasReacted, QUICK_EMOJI, quoteText } from '../chat/conversation';
import type { ChatMessage } from '../chat/store';
import type { Quote } from '../protocol';
import { useApp } from './context';
import { Icon } from './Icon';

/** Scrolls the message log to message `seq` and flashes it; false when it is not loaded. */
export function scrollToMessage(seq: number): boolean {
  const el = document.querySelector<HTMLElement>(`[data-testid="message-list"] [data-seq="${seq}"]`);
  if (!el) return false;
  el.scrollIntoView({ block: 'center', behavior: 'smooth' });
  el.classList.remove('flash');
  void el.offsetWidth; // restart the animation
  el.classList.add('flash');
  return true;
}

/** The quote a reply shows: from the original when it is loaded (so edits and deletes show). */
export function ReplyQuote({ quote, original }: { quote: Quote; original?: ChatMessage }) {
  const { t } = useApp();
  const nick = original?.nickName ?? quote.nickName;
  const deleted = original ? original.deleted : quote.deleted;
  const text = deleted ? t('conv.deleted') : quoteText(original ? original.message || original.file?.name || '' : quote.text);
  return (
    <button
      type="button"
      class={deleted ? 'reply-quote deleted' : 'reply-quote'}
      data-testid="reply-quote"
      data-reply-to={quote.seq}
      title={original ? t('conv.jumpTo') : undefined}
      onClick={() => scrollToMessage(quote.seq)}
    >
      {/* The visible words are the name (axe: label-content-name-mismatch); "Reply to" is read first. */}
      <Icon name="reply" class="reply-icon" />
      <span class="visually-hidden">{t('conv.reply')}: </span>
      <span class="reply-nick">{nick}</span>
      <span class="visually-hidden">: </span>
      <span class="reply-text">{text}</span>
    </button>
  );
}

/** Reaction chips: emoji and count, who in the title, pressed when one is ours. */
export function Reactions({ msg, room, userId, live }: { msg: ChatMessage; room: string; userId?: string; live: boolean }) {
  const app = useApp();
  if (!msg.reactions?.length) return null;
  return (
    <div class="reactions" data-testid="reactions">
      {msg.reactions.map((r) => {
        const who = r.by.map((x) => x.nickName).join(', ');
        const mine = hasReacted(msg, userId, r.emoji);
        return (
          <button
            type="button"
            key={r.emoji}
            class={mine ? 'reaction mine' : 'reaction'}
            data-testid="reaction"
            data-emoji={r.emoji}
            aria-pressed={mine}
            disabled={!live}
            title={app.t('conv.reaction', { emoji: r.emoji, who })}
            aria-label={app.t('conv.reactionToggle', { emoji: r.emoji, n: r.by.length, who })}
            onClick={() => app.chat.active === room && app.react(msg.seq, r.emoji)}
          >
            <span class="reaction-emoji">{r.emoji}</span>
            <span class="reaction-count">{r.by.length}</span>
          </button>
        );
      })}
    </div>
  );
}

/**
 * The "⋯" button and the menu it opens: quick reactions, Reply, Edit (own chat messages),
 * Delete (own messages, or anyone's for the host — after a second press to confirm). Escape or
 * a press outside closes it and gives the focus back to the button.
 */
export function MessageActions({ msg, canModerate, live }: { msg: ChatMessage; canModerate: boolean; live: boolean }) {
  const app = useApp();
  const { t } = app;
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const close = (focus = true) => {
    setOpen(false);
    setConfirming(false);
    if (focus) button.current?.focus();
  };
  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLElement>('button')?.focus();
    const outside = (e: Event) => {
      const target = e.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) close(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);
  if (msg.deleted || !live) return null;
  const canEdit = msg.own && msg.kind === 'chat';
  const canDelete = msg.own || canModerate;
  const act = (fn: () => void) => () => {
    fn();
    close();
  };
  return (
    <div class={open ? 'msg-tools open' : 'msg-tools'}>
      <button
        ref={button}
        type="button"
        class="icon-btn msg-more"
        data-testid="message-more"
        aria-label={t('conv.more')}
        title={t('conv.actions')}
        aria-haspopup="true"
        aria-expanded={open}
        onClick={() => (open ? close() : setOpen(true))}
      >
        <Icon name="more" />
      </button>
      {open && (
        <div
          ref={menu}
          class="msg-menu"
          role="group"
          aria-label={t('conv.actions')}
          data-testid="message-menu"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              close();
            }
          }}
        >
          <div class="msg-menu-emoji" role="group" aria-label={t('conv.picker')}>
            {QUICK_EMOJI.map((emoji) => (
              <button
                type="button"
                key={emoji}
                class="emoji-btn"
                data-testid="react-pick"
                data-emoji={emoji}
                aria-label={emoji}
                onClick={act(() => app.react(msg.seq, emoji))}
              >
                {emoji}
              </button>
            ))}
          </div>
          <div class="msg-menu-actions">
            <button type="button" class="menu-btn" data-testid="message-reply" onClick={act(() => app.startCompose('reply', msg.seq))}>
              <Icon name="reply" />
              {t('conv.reply')}
            </button>
            {canEdit && (
              <button type="button" class="menu-btn" data-testid="message-edit" onClick={act(() => app.startCompose('edit', msg.seq))}>
                <Icon name="edit" />
                {t('conv.edit')}
              </button>
            )}
            {canDelete && !confirming && (
              <button type="button" class="menu-btn danger" data-testid="message-delete" onClick={() => setConfirming(true)}>
                <Icon name="trash" />
                {t('conv.delete')}
              </button>
            )}
            {confirming && (
              <span class="menu-confirm" role="alert">
                {t('conv.deleteConfirm')}
                <button type="button" class="menu-btn danger" data-testid="message-delete-confirm" onClick={act(() => app.deleteMessage(msg.seq))}>
                  {t('conv.delete')}
                </button>
                <button type="button" class="menu-btn" onClick={() => setConfirming(false)}>
                  {t('conv.cancel')}
                </button>
              </span>
            )}
          </div>
        </div>
      )}
    </div>
  );
}

/** Above the composer: what it is replying to or editing, with Cancel. */
export function ComposeBar({ target }: { target: ComposeTarget }) {
  const app = useApp();
  const { t } = app;
  return (
    <div class="compose-bar" data-testid="compose-bar" data-mode={target.mode}>
      <Icon name={target.mode === 'reply' ? 'reply' : 'edit'} class="compose-icon" />
      <button type="button" class="compose-what" onClick={() => scrollToMessage(target.seq)}>
        <strong>{target.mode === 'reply' ? t('conv.replyingTo', { nick: target.nickName }) : t('conv.editing')}</strong>
        {target.mode === 'reply' && <span class="compose-quote">{target.text}</span>}
      </button>
      <button
        type="button"
        class="icon-btn"
        data-testid="compose-cancel"
        aria-label={t('conv.cancel')}
        title={t('conv.cancel')}
        onClick={() => app.cancelCompose()}
      >
        <Icon name="close" />
      </button>
    </div>
  );
}
