//! Scrollback, the pure part: which stretches of a room's history the client holds, merging a
//! page from `history` into the loaded messages, where the gaps are, the "new messages" divider
//! and search snippets. No DOM and no transport; unit-tested in test/pages.test.ts.
//!
//! A room's messages are one seq-sorted array. Which seqs between them are known to be complete
//! is kept as spans: `{from, to}` (inclusive; `to` is `Infinity` for the live tail, which the
//! room's broadcasts keep complete, and `from` is 0 when the span reaches the room's
//! beginning). The join's replay makes the first span; a page merges its own span in. Seqs can
//! have holes, so completeness is only ever learnt from the host's `more` / `moreAfter`, never
//! from seq arithmetic.

import type { HistoryPage } from '../protocol';
import type { PageAt } from '../transport/types';

export interface Span {
  from: number;
  to: number;
}

/** Marks in a search snippet around a matched word (docs/protocol.md, `search`). */
export const HIT_START = '\u0002';
export const HIT_END = '\u0003';

/** What a page covers, given where it was anchored and what the host said about either side. */
export function pageSpan(at: PageAt, page: Pick<HistoryPage, 'messages' | 'more' | 'moreAfter'>): Span {
  const first = page.messages[0]?.seq;
  const last = page.messages[page.messages.length - 1]?.seq;
  if ('before' in at) {
    return { from: page.more ? (first ?? at.before) : 0, to: at.before - 1 };
  }
  if ('after' in at) {
    return { from: at.after + 1, to: page.moreAfter ? (last ?? at.after + 1) : Infinity };
  }
  return {
    from: page.more ? (first ?? at.around) : 0,
    to: page.moreAfter ? (last ?? at.around) : Infinity,
  };
}

/** Adds a span, joining those that overlap or touch. Returns a new sorted list. */
export function addSpan(spans: readonly Span[], add: Span): Span[] {
  const all = spans.concat(add).sort((a, b) => a.from - b.from);
  const out: Span[] = [];
  for (const s of all) {
    const prev = out[out.length - 1];
    if (prev && s.from <= prev.to + 1) prev.to = Math.max(prev.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

/** Drops what lies before `seq` (the oldest messages were let go to bound memory). */
export function clipSpans(spans: readonly Span[], seq: number): Span[] {
  return spans.filter((s) => s.to >= seq).map((s) => (s.from < seq ? { from: seq, to: s.to } : s));
}

/** The span holding `seq`, if any. */
export function spanOf(spans: readonly Span[], seq: number): Span | undefined {
  return spans.find((s) => s.from <= seq && seq <= s.to);
}

/** Whether the oldest loaded message is the room's first: nothing to load above it. */
export function atBeginning(spans: readonly Span[]): boolean {
  return spans[0]?.from === 0;
}

/**
 * Where the list has holes: for each span after the first, the seq its first message starts
 * at and the `after` anchor that loads what is missing above it (the previous span's end).
 */
export function gaps(spans: readonly Span[]): { before: number; after: number }[] {
  const out = [];
  for (let i = 1; i < spans.length; i++) out.push({ before: spans[i].from, after: spans[i - 1].to });
  return out;
}

/** Merges page messages (any order, maybe overlapping) into a seq-sorted list, once per seq. */
export function mergeBySeq<T extends { seq: number }>(list: readonly T[], page: readonly T[]): T[] {
  if (page.length === 0) return list as T[];
  const have = new Set(list.map((m) => m.seq));
  const fresh = page.filter((m) => !have.has(m.seq));
  if (fresh.length === 0) return list as T[];
  return list.concat(fresh).sort((a, b) => a.seq - b.seq);
}

/**
 * Where the "new messages" divider goes: before the first message newer than `lastRead` that
 * someone else wrote. Null when there is none, or when nothing was read before (a first visit
 * shows no divider).
 */
export function dividerSeq(
  messages: readonly { seq: number; kind: string; own: boolean }[],
  lastRead: number | null,
): number | null {
  if (lastRead === null) return null;
  const m = messages.find((x) => x.seq > lastRead && !x.own && (x.kind === 'chat' || x.kind === 'file'));
  return m ? m.seq : null;
}

/** Messages others wrote after `seq`: the count on "jump to latest". */
export function newerThan(messages: readonly { seq: number; kind: string; own: boolean }[], seq: number): number {
  let n = 0;
  for (let i = messages.length - 1; i >= 0 && messages[i].seq > seq; i--) {
    const m = messages[i];
    if (!m.own && (m.kind === 'chat' || m.kind === 'file')) n++;
  }
  return n;
}

/** A search snippet as text parts, the matched words flagged, for rendering as text nodes. */
export function snippetParts(snippet: string): { text: string; hit: boolean }[] {
  const out: { text: string; hit: boolean }[] = [];
  let hit = false;
  let cur = '';
  for (const ch of snippet) {
    if (ch === HIT_START || ch === HIT_END) {
      if (cur) out.push({ text: cur, hit });
      cur = '';
      hit = ch === HIT_START;
    } else {
      cur += ch;
    }
  }
  if (cur) out.push({ text: cur, hit });
  return out;
}
