// The stylesheet's promises that a type checker cannot see.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (f: string) => readFileSync(new URL(`../src/${f}`, import.meta.url), 'utf8');
const css = read('styles/theme.css');
const narrow = read('styles/narrow.css');

/** The custom properties declared in the first block that `opener` starts. */
function vars(opener: string): Record<string, string> {
  const start = css.indexOf(opener);
  expect(start, opener).toBeGreaterThanOrEqual(0);
  const body = css.slice(start + opener.length, css.indexOf('}', start));
  return Object.fromEntries([...body.matchAll(/(--[\w-]+):\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]));
}

describe('the stylesheets', () => {
  it('has one dark palette: the system one and the pinned one are the same', () => {
    const system = vars(":root:not([data-theme='light']) {");
    const pinned = vars(":root[data-theme='dark'] {");
    expect(Object.keys(system).length).toBeGreaterThan(20);
    expect(pinned).toEqual(system);
  });

  it('the dark palette overrides every colour the light one sets', () => {
    const light = vars(':root {');
    const dark = vars(":root[data-theme='dark'] {");
    const colours = Object.keys(light).filter((k) => /^(#|rgba?\()/.test(light[k]));
    expect(colours.filter((k) => !(k in dark) && k !== '--on-primary')).toEqual([]);
  });

  it('breaks at the width the views use for drawers', async () => {
    const { NARROW } = await import('../src/views/media');
    expect(narrow).toContain(`@media ${NARROW}`);
  });
});
