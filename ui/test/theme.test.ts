// @vitest-environment jsdom
// The theme switch: remembered in localStorage, applied as <html data-theme>, and the browser's
// theme-color follows a pinned choice.

import { beforeEach, describe, expect, it } from 'vitest';
import { prefs } from '../src/prefs';
import { applyTheme } from '../src/theme';

beforeEach(() => {
  localStorage.clear();
  document.head.innerHTML =
    '<meta name="theme-color" content="#ffffff" media="(prefers-color-scheme: light)">' +
    '<meta name="theme-color" content="#171a21" media="(prefers-color-scheme: dark)">';
  delete document.documentElement.dataset.theme;
});

const colours = () => [...document.querySelectorAll<HTMLMetaElement>('meta[name="theme-color"]')].map((m) => m.content);

describe('theme', () => {
  it('defaults to the system theme and remembers a pinned one', () => {
    expect(prefs.theme()).toBe('system');
    prefs.setTheme('dark');
    expect(prefs.theme()).toBe('dark');
    prefs.setTheme('system');
    expect(localStorage.getItem('lanchat.theme')).toBeNull();
    localStorage.setItem('lanchat.theme', 'neon');
    expect(prefs.theme()).toBe('system');
  });

  it('pins with data-theme; system hands back to the media query', () => {
    applyTheme(document, 'dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(colours()).toEqual(['#171a21', '#171a21']);
    applyTheme(document, 'light');
    expect(colours()).toEqual(['#ffffff', '#ffffff']);
    applyTheme(document, 'system');
    expect(document.documentElement.dataset.theme).toBeUndefined();
    expect(colours()).toEqual(['#ffffff', '#171a21']);
  });
});
