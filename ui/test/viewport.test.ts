// The shell follows the visual viewport (an on-screen keyboard shrinks it), but not pinch-zoom.

import { describe, expect, it } from 'vitest';
import { followVisualViewport } from '../src/viewport';

function fakeWindow() {
  const handlers: Record<string, () => void> = {};
  const props = new Map<string, string>();
  const vv = {
    height: 844,
    scale: 1,
    addEventListener: (ev: string, fn: () => void) => (handlers[ev] = fn),
    removeEventListener: (ev: string) => delete handlers[ev],
  };
  const win = {
    visualViewport: vv,
    innerHeight: 844,
    scrollY: 0,
    scrolled: [] as number[],
    scrollTo(_x: number, y: number) {
      this.scrolled.push(y);
      this.scrollY = y;
    },
    requestAnimationFrame: (fn: () => void) => {
      fn();
      return 0;
    },
    cancelAnimationFrame: () => undefined,
    document: {
      documentElement: {
        style: {
          setProperty: (k: string, v: string) => props.set(k, v),
          removeProperty: (k: string) => props.delete(k),
        },
      },
    },
  };
  return { win, vv, handlers, props };
}

describe('followVisualViewport', () => {
  it('sets --app-height to the visible height, and back when the keyboard goes', () => {
    const { win, vv, handlers, props } = fakeWindow();
    const stop = followVisualViewport(win as unknown as Window);
    expect(props.get('--app-height')).toBe('844px');
    vv.height = 512.4; // keyboard up
    win.scrollY = 120; // iOS scrolled the page to show the field
    handlers.resize();
    expect(props.get('--app-height')).toBe('512px');
    expect(win.scrolled).toEqual([0]);
    vv.height = 844;
    handlers.resize();
    expect(props.get('--app-height')).toBe('844px');
    stop();
    expect(Object.keys(handlers)).toEqual([]);
  });

  it('leaves the layout alone while pinch-zoomed', () => {
    const { win, vv, handlers, props } = fakeWindow();
    followVisualViewport(win as unknown as Window);
    vv.scale = 2;
    vv.height = 422;
    handlers.resize();
    expect(props.has('--app-height')).toBe(false);
  });
});
