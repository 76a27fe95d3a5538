//! Typing indicators both ways: the sentence under the message list ("X and Y are typing…"), and
//! `TypingSignal`, which turns keystrokes into throttled `typing true` and a `false` on send or
//! after 3 s idle. Timers are injected so tests run on a fake clock.

import type { Translate } from '../i18n';

/** `true` is re-sent at most this often while the user keeps typing (receivers expire it). */
export const TYPING_REFRESH_MS = 2500;
/** No keystroke for this long means the user stopped typing. */
export const TYPING_IDLE_MS = 3000;

export function typingText(names: string[], t: Translate): string {
  switch (names.length) {
    case 0:
      return '';
    case 1:
      return t('typing.one', { a: names[0] });
    case 2:
      return t('typing.two', { a: names[0], b: names[1] });
    case 3:
      return t('typing.three', { a: names[0], b: names[1], c: names[2] });
    default:
      return t('typing.many', { n: String(names.length) });
  }
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Tells one room whether we are typing, without flooding the server. */
export class TypingSignal {
  private typing = false;
  private lastSent = 0;
  private idle: unknown = null;

  constructor(
    private readonly send: (typing: boolean) => void,
    private readonly clock: Clock = realClock,
  ) {}

  /** Call on every edit of the composer. An empty composer counts as not typing. */
  input(empty: boolean): void {
    if (empty) {
      this.stop();
      return;
    }
    const now = this.clock.now();
    if (!this.typing || now - this.lastSent >= TYPING_REFRESH_MS) {
      this.typing = true;
      this.lastSent = now;
      this.send(true);
    }
    if (this.idle !== null) this.clock.clearTimeout(this.idle);
    this.idle = this.clock.setTimeout(() => {
      this.idle = null;
      this.stop();
    }, TYPING_IDLE_MS);
  }

  /** Call when the message is sent, the room is switched, or the composer is cleared. */
  stop(): void {
    if (this.idle !== null) {
      this.clock.clearTimeout(this.idle);
      this.idle = null;
    }
    if (this.typing) {
      this.typing = false;
      this.send(false);
    }
  }
}
