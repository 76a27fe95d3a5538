//! Splits message text into plain text and http(s) links. Views render the pieces as text nodes
//! and `<a>` elements built by DOM APIs, never as HTML, so a message can't inject markup; and only
//! http/https URLs become links (no `javascript:`, `data:`, `file:`…).

export type Segment = { type: 'text'; text: string } | { type: 'link'; text: string; href: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that usually ends the sentence rather than the URL. */
const TRAILING = /[.,;:!?'")\]}>。，；：！？）】]+$/;

function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (!url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}

export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  const pushText = (s: string) => {
    if (!s) return;
    const prev = out[out.length - 1];
    if (prev?.type === 'text') prev.text += s;
    else out.push({ type: 'text', text: s });
  };
  for (const m of text.matchAll(URL_RE)) {
    let raw = m[0];
    // Keep a closing paren that belongs to the URL, like wikipedia's "Foo_(bar)".
    const trail = raw.match(TRAILING)?.[0] ?? '';
    if (trail) {
      let cut = trail.length;
      if (trail.startsWith(')') && raw.slice(0, -cut).includes('(')) cut -= 1;
      raw = raw.slice(0, raw.length - cut);
    }
    const href = safeHref(raw);
    const start = m.index ?? 0;
    if (!href) continue;
    pushText(text.slice(last, start));
    out.push({ type: 'link', text: raw, href });
    last = start + raw.length;
  }
  pushText(text.slice(last));
  return out;
}
