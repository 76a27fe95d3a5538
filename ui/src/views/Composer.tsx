//! The message box: Enter sends, Shift+Enter adds a line (and Enter while an IME is composing,
//! e.g. pinyin, is left to the IME). Edits drive the typing signal; drafts survive room switches.
//! Sending is allowed while reconnecting: the transport queues and delivers later. The paperclip
//! picks files to send (pasting and dropping are the room's, ChatScreen.tsx). Replying or editing
//! shows a bar above the box (Escape cancels; an edit starts from the message's text and puts the
//! draft back afterwards), and `@` offers the room's members to mention (arrows, Enter or Tab).

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { mentionCandidates, mentionQuery } from '../chat/conversation';
import type { RoomView } from '../chat/store';
import { charCount, LIMITS } from '../protocol';
import { useApp } from './context';
import { ComposeBar } from './Conversation';
import { Icon } from './Icon';
import { roomLabel } from './roomLabel';

const drafts = new Map<string, string>();

function matchesCoarsePointer(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;
}
const MAX_HEIGHT = 160;

export function Composer({ room }: { room: RoomView }) {
  const app = useApp();
  const { t } = app;
  const [text, setText] = useState(() => drafts.get(room.name) ?? '');
  const area = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const live = room.status === 'joined' && app.chat.connection !== 'disconnected';
  const count = charCount(text);
  const tooLong = count > LIMITS.message;
  const compose = room.compose;
  const editing = compose?.mode === 'edit';
  /** The draft set aside while editing a message, put back when the edit ends. */
  const aside = useRef<string | null>(null);
  const [caret, setCaret] = useState(0);
  const [pick, setPick] = useState(0);
  const [noSuggest, setNoSuggest] = useState(false);
  const q = live && !noSuggest ? mentionQuery(text, caret) : null;
  const candidates = q ? mentionCandidates(room.members, room.nickName, q.query) : [];

  // An edit starts from the message's text; when it ends, the draft comes back.
  const editKey = editing ? `${compose.seq}` : null;
  useEffect(() => {
    if (editKey !== null) {
      if (aside.current === null) aside.current = drafts.get(room.name) ?? '';
      setText(compose?.text ?? '');
      area.current?.focus();
    } else if (aside.current !== null) {
      setText(aside.current);
      aside.current = null;
    }
  }, [editKey]);
  useEffect(() => {
    if (compose?.mode === 'reply') area.current?.focus();
  }, [compose?.mode, compose?.seq]);

  useEffect(() => {
    // Not on touch screens: focusing would pop the on-screen keyboard over the conversation.
    if (live && !matchesCoarsePointer()) area.current?.focus();
  }, [room.name, live]);

  // Grow with the text up to MAX_HEIGHT (CSSOM property, allowed by the strict CSP).
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT)}px`;
  }, [text]);

  const update = (value: string) => {
    setText(value);
    if (!editing) drafts.set(room.name, value);
    app.composing(value.trim() === '');
  };

  const send = () => {
    if (!live || tooLong) return;
    if (app.send(text)) {
      if (editing) setText(aside.current ?? '');
      else update('');
    }
  };

  const complete = (nick: string) => {
    if (!q) return;
    const before = `${text.slice(0, q.start)}@${nick} `;
    const next = before + text.slice(caret);
    update(next);
    setPick(0);
    // After the re-render that puts the new text in (a timer, not a frame: an idle page under
    // Xvfb may not paint).
    setTimeout(() => {
      const el = area.current;
      if (el) {
        el.focus();
        el.setSelectionRange(before.length, before.length);
        setCaret(before.length);
      }
    }, 0);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (candidates.length > 0 && !e.isComposing) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = candidates.length;
        setPick((p) => (p + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        e.preventDefault();
        complete(candidates[Math.min(pick, candidates.length - 1)]);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setNoSuggest(true);
        return;
      }
    }
    if (e.key === 'Escape' && compose) {
      e.preventDefault();
      app.cancelCompose();
      return;
    }
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    send();
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label class="visually-hidden" for="composer-input">
        {t('chat.composer', { room: roomLabel(room, t) })}
      </label>
      {compose && <ComposeBar target={compose} />}
      {candidates.length > 0 && (
        <ul class="mention-list" role="listbox" id="mention-list" aria-label={t('conv.mentionSuggestions')} data-testid="mention-list">
          {candidates.map((nick, i) => (
            <li
              key={nick}
              id={`mention-${i}`}
              role="option"
              aria-selected={i === pick % candidates.length}
              class={i === pick % candidates.length ? 'mention-option active' : 'mention-option'}
              data-testid="mention-option"
              onPointerDown={(e) => {
                e.preventDefault();
                complete(nick);
              }}
            >
              @{nick}
            </li>
          ))}
        </ul>
      )}
      <div class={tooLong ? 'composer-box too-long' : 'composer-box'}>
        <button
          type="button"
          class="icon-btn attach-btn"
          data-testid="attach"
          aria-label={t('files.attach')}
          title={t('files.attach')}
          disabled={!live}
          onClick={() => picker.current?.click()}
        >
          <Icon name="paperclip" />
        </button>
        {/* Opened by the paperclip; hidden, so it is neither a second tab stop nor a second name. */}
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const input = e.currentTarget as HTMLInputElement;
            const files = Array.from(input.files ?? []);
            input.value = ''; // the same file may be picked again later
            app.sendFiles(files);
          }}
        />
        <textarea
          id="composer-input"
          ref={area}
          data-testid="composer"
          rows={1}
          value={text}
          disabled={!live}
          placeholder={t('chat.composer', { room: roomLabel(room, t) })}
          aria-describedby="composer-hint"
          aria-autocomplete="list"
          aria-controls={candidates.length > 0 ? 'mention-list' : undefined}
          aria-activedescendant={candidates.length > 0 ? `mention-${pick % candidates.length}` : undefined}
          onInput={(e) => {
            const el = e.currentTarget as HTMLTextAreaElement;
            setCaret(el.selectionStart ?? el.value.length);
            setNoSuggest(false);
            update(el.value);
          }}
          onKeyUp={(e) => {
            const el = e.currentTarget as HTMLTextAreaElement;
            if (!e.key.startsWith('Arrow') || candidates.length === 0) setCaret(el.selectionStart ?? el.value.length);
          }}
          onClick={(e) => setCaret((e.currentTarget as HTMLTextAreaElement).selectionStart ?? 0)}
          onKeyDown={onKeyDown}
          onBlur={() => app.composing(true)}
        />
        <button
          type="submit"
          class="btn btn-primary send-btn"
          data-testid="send"
          disabled={!live || tooLong || text.trim() === ''}
        >
          {editing ? t('conv.save') : t('chat.send')}
        </button>
      </div>
      <div class="composer-foot">
        <span class="composer-hint" id="composer-hint">
          {t('chat.hint')}
        </span>
        {count > LIMITS.message * 0.8 && (
          <span class={tooLong ? 'char-count over' : 'char-count'}>
            {count}/{LIMITS.message}
          </span>
        )}
      </div>
    </form>
  );
}
