//! Light and dark: `system` leaves it to `prefers-color-scheme` (styles.css); a pinned choice sets
//! `<html data-theme>`, which the stylesheet prefers over the media query. The browser's own
//! chrome follows through `color-scheme` and the `theme-color` meta tags.

import type { ThemeChoice } from './prefs';

/** The top bar's background in each theme (styles.css `--surface`), for `theme-color`. */
const BAR = { light: '#ffffff', dark: '#171a21' } as const;

export function applyTheme(doc: Document, theme: ThemeChoice): void {
  const root = doc.documentElement;
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
  for (const meta of doc.querySelectorAll<HTMLMetaElement>('meta[name="theme-color"]')) {
    // Each tag has a media query for its scheme; a pinned theme gives both the same colour.
    const scheme = (meta.getAttribute('media') ?? '').includes('dark') ? 'dark' : 'light';
    meta.content = BAR[theme === 'system' ? scheme : theme];
  }
}
