// In-page checks for the layout suite (layout.mjs). Each exported `*InPage` function is passed to
// `BrowserClient.eval`, so it must be self-contained: it runs in the page, not in Node.

import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** axe-core's browser bundle; evaluated in the page over CDP, so the page's strict CSP allows it. */
export const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Everything that sticks out of the viewport sideways: the document's scroll width, then each
 * visible element whose box crosses the left or right edge. Hidden things (closed drawers are
 * `visibility: hidden`, screen-reader-only text is 1 px) do not count.
 */
export function overflowInPage() {
  const vw = window.innerWidth;
  const bad = [];
  const sw = document.documentElement.scrollWidth;
  if (sw > vw) bad.push(`document scrollWidth ${sw} > innerWidth ${vw}`);
  const name = (el) => {
    const id = el.getAttribute('data-testid');
    const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
    return `${el.tagName.toLowerCase()}${id ? `[data-testid=${id}]` : ''}${cls}`;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none') continue;
    if (r.left < -0.5 || r.right > vw + 0.5) {
      bad.push(`${name(el)} spans x ${Math.round(r.left)}…${Math.round(r.right)} (viewport ${vw})`);
      if (bad.length > 12) break;
    }
  }
  return bad;
}

/** Where an element is, and whether it is wholly inside the viewport and not covered. */
export function placementInPage(selector) {
  const el = document.querySelector(selector);
  if (!el) return { found: false };
  const r = el.getBoundingClientRect();
  const inside = r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth && r.width > 0;
  const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {
    found: true,
    inside,
    reachable: Boolean(top && (top === el || el.contains(top))),
    rect: [Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)],
  };
}

/** Visible controls smaller than `min` px either way (inline links in text are exempt, as WCAG says). */
export function smallTargetsInPage(min) {
  const out = [];
  for (const el of document.querySelectorAll('button, select, input, textarea, [role="button"], a[href]')) {
    if (el.closest('.msg-text')) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none') continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;
    if (r.width < min - 0.5 || r.height < min - 0.5) {
      const id = el.getAttribute('data-testid') || el.getAttribute('aria-label') || el.textContent.trim().slice(0, 20);
      out.push(`${el.tagName.toLowerCase()} "${id}" ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return out;
}

/** axe-core's serious and critical violations (run after `AXE_SOURCE` was evaluated in the page). */
export async function axeInPage() {
  const res = await window.axe.run(document, { resultTypes: ['violations'] });
  return res.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n      ${v.nodes
      .slice(0, 4)
      .map((n) => `${n.target.join(' ')} — ${(n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160)}`)
      .join('\n      ')}`);
}

/** The element that has the focus, as its test id (or tag). */
export function focusedInPage() {
  const el = document.activeElement;
  return el ? el.getAttribute('data-testid') || el.tagName.toLowerCase() : null;
}
