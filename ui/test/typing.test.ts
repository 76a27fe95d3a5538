// "X is typing…" sentences, and the throttled typing signal sent while composing.

import { describe, expect, it } from 'vitest';
import { type Clock, TYPING_IDLE_MS, TypingSignal, typingText } from '../src/chat/typing';
import { translator } from '../src/i18n';

describe('typingText', () => {
  const en = translator('en');
  const zh = translator('zh');

  it('names one, two, three people, then counts', () => {
    expect(typingText([], en)).toBe('');
    expect(typingText(['Ann'], en)).toBe('Ann is typing…');
    expect(typingText(['Ann', 'Bo'], en)).toBe('Ann and Bo are typing…');
    expect(typingText(['Ann', 'Bo', 'Cy'], en)).toBe('Ann, Bo and Cy are typing…');
    expect(typingText(['a', 'b', 'c', 'd'], en)).toBe('4 people are typing…');
  });

  it('speaks Chinese', () => {
    expect(typingText(['小明', '小红'], zh)).toBe('小明 和 小红 正在输入…');
  });
});

class FakeClock implements Clock {
  t = 0;
  timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== id);
  };
  advance(ms: number) {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.at <= this.t)) {
      this.timers = this.timers.filter((x) => x !== timer);
      timer.fn();
    }
  }
}

describe('TypingSignal', () => {
  it('sends true once per refresh window while typing, false after 3 s idle', () => {
    const clock = new FakeClock();
    const sent: boolean[] = [];
    const sig = new TypingSignal((v) => sent.push(v), clock);
    sig.input(false);
    clock.advance(500);
    sig.input(false);
    clock.advance(500);
    sig.input(false);
    expect(sent).toEqual([true]);
    clock.advance(TYPING_IDLE_MS - 1);
    expect(sent).toEqual([true]);
    clock.advance(1);
    expect(sent).toEqual([true, false]);
  });

  it('refreshes true while typing for long', () => {
    const clock = new FakeClock();
    const sent: boolean[] = [];
    const sig = new TypingSignal((v) => sent.push(v), clock);
    for (let i = 0; i < 12; i++) {
      sig.input(false);
      clock.advance(500);
    }
    expect(sent.filter((v) => v).length).toBe(3); // at 0, 2500, 5000 ms
    expect(sent).not.toContain(false);
  });

  it('sends false on send (stop) and when the composer is emptied, only once', () => {
    const clock = new FakeClock();
    const sent: boolean[] = [];
    const sig = new TypingSignal((v) => sent.push(v), clock);
    sig.input(false);
    sig.stop();
    sig.stop();
    clock.advance(10_000);
    expect(sent).toEqual([true, false]);
    sig.input(false);
    sig.input(true);
    expect(sent).toEqual([true, false, true, false]);
  });
});
