// Scrollback, the pure part: spans of known-complete history, merging pages from `history` into
// the store (never counted as unread), gaps after a jump, the "new messages" divider, the
// "new below" count and search snippets.

import { describe, expect, it } from 'vitest';
import { addSpan, atBeginning, clipSpans, dividerSeq, gaps, newerThan, pageSpan, snippetParts } from '../src/chat/pages';
import { type Action, type ChatState, findRoom, initialState, reduce } from '../src/chat/store';
import type { Message } from '../src/protocol';
import type { PageAt } from '../src/transport/types';

function run(state: ChatState, ...actions: Action[]): ChatState {
  return actions.reduce(reduce, state);
}

const msg = (seq: number, nickName = 'bob'): Message => ({
  id: `m${seq}`,
  room: 'r',
  seq,
  ts: seq * 1000,
  kind: 'chat',
  nickName,
  message: `m${seq}`,
});

const live = (seq: number): Action => ({ type: 'event', now: 0, ev: { type: 'message', ...msg(seq) } });

function page(at: PageAt, seqs: number[], more: boolean, moreAfter = false): Action {
  return { type: 'page', room: 'r', at, page: { room: 'r', messages: seqs.map((s) => msg(s)), more, moreAfter } };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** A joined room `r` whose join replayed `replayed`, not the active room (so unread counts). */
function room(replayed: number[]): ChatState {
  let s = run(initialState(), { type: 'joining', room: 'r', nickName: 'me' });
  for (const seq of replayed) s = reduce(s, { type: 'event', now: 0, ev: { type: 'message', ...msg(seq), history: true } });
  s = run(s, { type: 'joined', ack: { room: 'r', nickName: 'me', lastSeq: 0, members: ['me'] } });
  return run(s, { type: 'joining', room: 'other', nickName: 'me' }, { type: 'activate', room: 'other' });
}

const view = (s: ChatState) => findRoom(s, 'r')!;
const seqs = (s: ChatState) => view(s).messages.map((m) => m.seq);

describe('spans', () => {
  it('says what a page covers from its anchor and the host’s more / moreAfter', () => {
    expect(pageSpan({ before: 50 }, { messages: [msg(40), msg(49)], more: true, moreAfter: false })).toEqual({ from: 40, to: 49 });
    expect(pageSpan({ before: 50 }, { messages: [msg(1)], more: false, moreAfter: false })).toEqual({ from: 0, to: 49 });
    expect(pageSpan({ after: 10 }, { messages: [msg(11), msg(20)], more: true, moreAfter: true })).toEqual({ from: 11, to: 20 });
    expect(pageSpan({ after: 10 }, { messages: [], more: true, moreAfter: false })).toEqual({ from: 11, to: Infinity });
    expect(pageSpan({ around: 30 }, { messages: [msg(25), msg(35)], more: true, moreAfter: true })).toEqual({ from: 25, to: 35 });
  });

  it('joins spans that touch or overlap, keeps gaps, and clips what was let go', () => {
    let s = addSpan([{ from: 100, to: Infinity }], { from: 40, to: 60 });
    expect(gaps(s)).toEqual([{ before: 100, after: 60 }]);
    s = addSpan(s, { from: 61, to: 99 });
    expect(s).toEqual([{ from: 40, to: Infinity }]);
    expect(atBeginning(s)).toBe(false);
    expect(atBeginning(addSpan(s, { from: 0, to: 39 }))).toBe(true);
    expect(clipSpans([{ from: 0, to: 10 }, { from: 20, to: Infinity }], 25)).toEqual([{ from: 25, to: Infinity }]);
  });
});

describe('pages in the store', () => {
  it('pages back to the beginning with every message once, in order, and no unread', () => {
    let s = room(range(901, 1000));
    expect(view(s).spans).toEqual([{ from: 901, to: Infinity }]);
    for (let top = 901; top > 1; top -= 100) {
      const first = Math.max(1, top - 100);
      s = reduce(s, page({ before: top }, range(first, top - 1), first > 1));
    }
    expect(seqs(s)).toEqual(range(1, 1000));
    expect(atBeginning(view(s).spans)).toBe(true);
    expect(view(s).unread).toBe(0);
    // A live message still counts, and lands at the end.
    s = reduce(s, live(1001));
    expect(view(s).unread).toBe(1);
    expect(seqs(s).at(-1)).toBe(1001);
  });

  it('a repeated or overlapping page changes nothing twice', () => {
    let s = room(range(51, 60));
    s = run(s, page({ before: 51 }, range(41, 50), true), page({ before: 55 }, range(45, 54), true));
    expect(seqs(s)).toEqual(range(41, 60));
    expect(view(s).spans).toEqual([{ from: 41, to: Infinity }]);
  });

  it('a jump far back leaves a gap that pages after it close', () => {
    let s = room(range(901, 1000));
    s = reduce(s, page({ around: 300 }, range(290, 309), true, true));
    expect(gaps(view(s).spans)).toEqual([{ before: 901, after: 309 }]);
    s = reduce(s, page({ after: 309 }, range(310, 900), true, false));
    expect(gaps(view(s).spans)).toEqual([]);
    expect(seqs(s)).toEqual(range(290, 1000));
  });

  it('marks own messages in a page as own', () => {
    let s = room([10]);
    s = reduce(s, { type: 'page', room: 'r', at: { before: 10 }, page: { room: 'r', messages: [msg(9, 'me')], more: false, moreAfter: false } });
    expect(view(s).messages[0].own).toBe(true);
  });

  it('keeps the folded state of paged messages, leaves event rows out and knows ours by user id', () => {
    let s = room([10]);
    s = run(s, { type: 'joined', ack: { room: 'r', nickName: 'me', lastSeq: 10, members: ['me'], userId: 'u-me' } }, { type: 'activate', room: 'other' });
    const edited: Message = { ...msg(7), message: 'new text', editedTs: 5, userId: 'u-bob', mentions: ['me'] };
    const deleted: Message = { ...msg(8, 'someone'), message: '', deleted: true, userId: 'u-me' };
    const reply: Message = {
      ...msg(9),
      reply: { seq: 7, nickName: 'bob', text: 'new text', deleted: false },
      reactions: [{ emoji: '👍', by: [{ userId: 'u-me', nickName: 'me' }] }],
    };
    const event: Message = { ...msg(6), kind: 'edit', target: 7, message: 'new text' };
    s = reduce(s, { type: 'page', room: 'r', at: { before: 10 }, page: { room: 'r', messages: [event, edited, deleted, reply], more: false, moreAfter: false } });
    const [m7, m8, m9] = view(s).messages;
    expect(seqs(s)).toEqual([7, 8, 9, 10]);
    expect(m7).toMatchObject({ message: 'new text', editedTs: 5, mentions: ['me'], own: false });
    expect(m8).toMatchObject({ deleted: true, own: true });
    expect(m9.reply).toEqual({ seq: 7, nickName: 'bob', text: 'new text', deleted: false });
    expect(m9.reactions?.[0].emoji).toBe('👍');
    expect(view(s).unread).toBe(0);
  });
});

describe('reading position', () => {
  const m = (seq: number, own = false, kind = 'chat') => ({ seq, own, kind });

  it('puts the divider before the first message from someone else after the last read', () => {
    const list = [m(1), m(2), m(3, true), m(4, false, 'join'), m(5), m(6)];
    expect(dividerSeq(list, 2)).toBe(5);
    expect(dividerSeq(list, 6)).toBeNull();
    expect(dividerSeq(list, null)).toBeNull();
  });

  it('counts others’ messages below what was seen', () => {
    expect(newerThan([m(1), m(2), m(3, true), m(4, false, 'leave'), m(5)], 1)).toBe(2);
    expect(newerThan([m(1)], 1)).toBe(0);
  });
});

describe('snippets', () => {
  it('splits on the host’s markers into text parts, the matches flagged', () => {
    expect(snippetParts('say \u0002hello\u0003 to <b>\u0002Hel\u0003lo</b>')).toEqual([
      { text: 'say ', hit: false },
      { text: 'hello', hit: true },
      { text: ' to <b>', hit: false },
      { text: 'Hel', hit: true },
      { text: 'lo</b>', hit: false },
    ]);
    expect(snippetParts('')).toEqual([]);
  });
});
