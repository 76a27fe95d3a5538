//! The message box: Enter sends, Shift+Enter adds a line (and Enter while an IME is composing,
//! e.g. pinyin, is left to the IME). Edits drive the typing signal; drafts survive room switches.
//! Sending is allowed while reconnecting: the transport queues and delivers later. The paperclip
//! picks files to send (pasting and dropping are the room's, ChatScreen.tsx).

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { RoomView } from '../chat/store';
import { charCount, LIMITS } from '../protocol';
import { useApp } from './context';
import { Icon } from './Icon';

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
    drafts.set(room.name, value);
    app.composing(value.trim() === '');
  };

  const send = () => {
    if (!live || tooLong) return;
    if (app.send(text)) update('');
  };

  const onKeyDown = (e: KeyboardEvent) => {
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
        {t('chat.composer', { room: room.name })}
      </label>
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
          placeholder={t('chat.composer', { room: room.name })}
          aria-describedby="composer-hint"
          onInput={(e) => update((e.currentTarget as HTMLTextAreaElement).value)}
          onKeyDown={onKeyDown}
          onBlur={() => app.composing(true)}
        />
        <button
          type="submit"
          class="btn btn-primary send-btn"
          data-testid="send"
          disabled={!live || tooLong || text.trim() === ''}
        >
          {t('chat.send')}
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
