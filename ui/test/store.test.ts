// The chat store: messages in seq order exactly once, pending own messages confirmed by clientId,
// unread counts, typing expiry, kicks and lost rooms.

import { describe, expect, it } from 'vitest';
import {
  type Action,
  type ChatState,
  documentTitle,
  findRoom,
  initialState,
  MAX_MESSAGES,
  reduce,
  shouldNotify,
  TYPING_TTL_MS,
  totalUnread,
  typingNames,
} from '../src/chat/store';
import type { ClientEvent } from '../src/transport/types';

function run(state: ChatState, ...actions: Action[]): ChatState {
  return actions.reduce(reduce, state);
}

function message(room: string, seq: number, extra: Partial<Extract<ClientEvent, { type: 'message' }>> = {}): Action {
  return {
    type: 'event',
    now: 0,
    ev: { type: 'message', id: `${room}-${seq}`, room, seq, ts: seq * 1000, kind: 'chat', nickName: 'bob', message: `m${seq}`, ...extra },
  };
}

function joinedRoom(room: string, state = initialState()): ChatState {
  return run(
    state,
    { type: 'joining', room, nickName: 'me' },
    { type: 'joined', ack: { room, nickName: 'me', lastSeq: 0, members: ['me'] } },
  );
}

const seqs = (s: ChatState, room: string) => findRoom(s, room)!.messages.map((m) => m.seq);

describe('messages', () => {
  it('keeps history that arrives before the join ack, in order, without counting it unread', () => {
    let s = run(initialState(), { type: 'joining', room: 'lobby', nickName: 'me' });
    s = run(s, message('lobby', 1, { history: true }), message('lobby', 2, { history: true }));
    s = run(s, { type: 'joined', ack: { room: 'lobby', nickName: 'me', lastSeq: 2, members: ['me', 'bob'] } });
    const r = findRoom(s, 'lobby')!;
    expect(r.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(r.status).toBe('joined');
    expect(r.members).toEqual(['me', 'bob']);
    expect(r.unread).toBe(0);
    expect(s.active).toBe('lobby');
  });

  it('dedupes by seq and sorts out-of-order arrivals', () => {
    let s = joinedRoom('lobby');
    s = run(s, message('lobby', 3), message('lobby', 1), message('lobby', 3), message('lobby', 2), message('lobby', 1));
    expect(seqs(s, 'lobby')).toEqual([1, 2, 3]);
  });

  it('drops everything before a clear notice, and asks for nothing older afterwards', () => {
    let s = joinedRoom('lobby');
    s = run(s, message('lobby', 1), message('lobby', 2), message('lobby', 3));
    s = run(s, message('lobby', 4, { kind: 'clear', nickName: 'the host', message: 'the host cleared the history of lobby' }));
    s = run(s, message('lobby', 5));
    expect(seqs(s, 'lobby')).toEqual([4, 5]);
    expect(findRoom(s, 'lobby')!.spans).toEqual([{ from: 0, to: Infinity }]);
  });

  it('ignores events for rooms we are not in', () => {
    const s = joinedRoom('lobby');
    expect(run(s, message('other', 1))).toBe(s);
  });

  it('keeps at most MAX_MESSAGES per room, dropping the oldest', () => {
    let s = joinedRoom('lobby');
    for (let i = 1; i <= MAX_MESSAGES + 5; i++) s = reduce(s, message('lobby', i));
    const list = seqs(s, 'lobby');
    expect(list).toHaveLength(MAX_MESSAGES);
    expect(list[0]).toBe(6);
  });

  it('marks messages under our nickname as own', () => {
    const s = run(joinedRoom('lobby'), message('lobby', 1, { nickName: 'me' }), message('lobby', 2));
    expect(findRoom(s, 'lobby')!.messages.map((m) => m.own)).toEqual([true, false]);
  });
});

describe('pending own messages', () => {
  it('shows a pending message until the server copy with the same clientId arrives', () => {
    let s = joinedRoom('lobby');
    s = run(s, { type: 'pending', room: 'lobby', clientId: 'c1', message: 'hi', ts: 1 });
    s = run(s, { type: 'pending', room: 'lobby', clientId: 'c2', message: 'there', ts: 2 });
    expect(findRoom(s, 'lobby')!.pending.map((p) => p.clientId)).toEqual(['c1', 'c2']);
    s = run(s, message('lobby', 7, { nickName: 'me', message: 'hi', clientId: 'c1' }));
    const r = findRoom(s, 'lobby')!;
    expect(r.pending.map((p) => p.clientId)).toEqual(['c2']);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]).toMatchObject({ seq: 7, own: true, clientId: 'c1' });
    expect(r.unread).toBe(0);
  });

  it('marks a failed send (also from an error event carrying the clientId), then retry clears it', () => {
    let s = run(joinedRoom('lobby'), { type: 'pending', room: 'lobby', clientId: 'c1', message: 'x', ts: 1 });
    s = run(s, { type: 'event', now: 0, ev: { type: 'error', code: 'message_too_long', message: 'too long', room: 'lobby', clientId: 'c1' } });
    expect(findRoom(s, 'lobby')!.pending[0].failed).toBe('too long');
    expect(s.toasts).toEqual([]);
    s = run(s, { type: 'retry', room: 'lobby', clientId: 'c1' });
    expect(findRoom(s, 'lobby')!.pending[0].failed).toBeUndefined();
    s = run(s, { type: 'discard', room: 'lobby', clientId: 'c1' });
    expect(findRoom(s, 'lobby')!.pending).toEqual([]);
  });
});

describe('unread counts', () => {
  it('counts chat from others in rooms not on screen, clears on activate', () => {
    let s = joinedRoom('a');
    s = joinedRoom('b', s); // b is now active
    s = run(s, message('a', 1), message('a', 2), message('a', 3, { kind: 'join' }), message('a', 4, { nickName: 'me' }), message('b', 1));
    expect(findRoom(s, 'a')!.unread).toBe(2);
    expect(findRoom(s, 'b')!.unread).toBe(0);
    expect(totalUnread(s)).toBe(2);
    expect(documentTitle(s)).toBe('(2) lanchat');
    s = run(s, { type: 'activate', room: 'a' });
    expect(findRoom(s, 'a')!.unread).toBe(0);
    expect(documentTitle(s)).toBe('lanchat');
  });

  it('counts the active room while the window is not looked at, clears when attention returns', () => {
    let s = joinedRoom('a');
    s = run(s, { type: 'attention', value: false }, message('a', 1), message('a', 2));
    expect(findRoom(s, 'a')!.unread).toBe(2);
    s = run(s, { type: 'attention', value: true });
    expect(findRoom(s, 'a')!.unread).toBe(0);
  });

  it('counts catch-up history after a reconnect (room already joined)', () => {
    let s = joinedRoom('a');
    s = joinedRoom('b', s);
    s = run(s, message('a', 5, { history: true }));
    expect(findRoom(s, 'a')!.unread).toBe(1);
  });
});

describe('notifications', () => {
  it('notifies for live chat from others when the window is not looked at or the room is hidden', () => {
    let s = joinedRoom('a');
    const ev = (extra = {}) => ({ type: 'message', id: 'x', room: 'a', seq: 9, ts: 0, kind: 'chat', nickName: 'bob', message: 'hi', ...extra }) as ClientEvent;
    expect(shouldNotify(s, ev())).toBe(false);
    s = run(s, { type: 'attention', value: false });
    expect(shouldNotify(s, ev())).toBe(true);
    expect(shouldNotify(s, ev({ history: true }))).toBe(false);
    expect(shouldNotify(s, ev({ nickName: 'me' }))).toBe(false);
    expect(shouldNotify(s, ev({ kind: 'join' }))).toBe(false);
  });
});

describe('typing', () => {
  it('shows others typing until false, a message from them, or the TTL', () => {
    let s = joinedRoom('a');
    const typing = (nickName: string, value: boolean, now = 0): Action => ({
      type: 'event',
      now,
      ev: { type: 'typing', room: 'a', nickName, typing: value },
    });
    s = run(s, typing('bob', true), typing('cy', true), typing('me', true));
    expect(typingNames(findRoom(s, 'a')!, 1)).toEqual(['bob', 'cy']);
    s = run(s, typing('bob', false));
    expect(typingNames(findRoom(s, 'a')!, 1)).toEqual(['cy']);
    s = run(s, typing('bob', true), message('a', 1, { nickName: 'bob' }));
    expect(typingNames(findRoom(s, 'a')!, 1)).toEqual(['cy']);
    s = run(s, { type: 'tick', now: TYPING_TTL_MS });
    expect(findRoom(s, 'a')!.typing).toEqual({});
  });
});

describe('room lifecycle', () => {
  it('leaving removes the room and activates a neighbour', () => {
    let s = joinedRoom('a');
    s = joinedRoom('b', s);
    s = joinedRoom('c', s);
    s = run(s, { type: 'activate', room: 'b' }, { type: 'left', room: 'b' });
    expect(s.rooms.map((r) => r.name)).toEqual(['a', 'c']);
    expect(s.active).toBe('c');
    s = run(s, { type: 'left', room: 'c' }, { type: 'left', room: 'a' });
    expect(s.active).toBeNull();
  });

  it('a failed first join removes the room', () => {
    const s = run(initialState(), { type: 'joining', room: 'x', nickName: 'me' }, { type: 'joinFailed', room: 'x' });
    expect(s.rooms).toEqual([]);
  });

  it('a kick marks the room, fails its pending messages, and a rejoin restores it with its history', () => {
    let s = run(joinedRoom('a'), message('a', 1), { type: 'pending', room: 'a', clientId: 'c', message: 'x', ts: 0 });
    s = run(s, { type: 'event', now: 0, ev: { type: 'kicked', room: 'a', by: 'host', reason: 'spam' } });
    let r = findRoom(s, 'a')!;
    expect(r.status).toBe('kicked');
    expect(r.notice).toEqual({ code: 'kicked', by: 'host', reason: 'spam' });
    expect(r.pending[0].failed).toBe('spam');
    s = run(s, { type: 'joining', room: 'a', nickName: 'me' }, { type: 'joined', ack: { room: 'a', nickName: 'me', lastSeq: 1, members: ['me'] } });
    r = findRoom(s, 'a')!;
    expect(r.status).toBe('joined');
    expect(r.notice).toBeUndefined();
    expect(r.messages.map((m) => m.seq)).toEqual([1]);
  });

  it('an error event naming a room without clientId marks it lost; other errors become toasts', () => {
    let s = joinedRoom('a');
    s = run(s, { type: 'event', now: 0, ev: { type: 'error', code: 'kicked', message: 'wait', room: 'a' } });
    expect(findRoom(s, 'a')!.status).toBe('lost');
    s = run(s, { type: 'event', now: 0, ev: { type: 'error', code: 'rate_limited', message: 'slow' } });
    expect(s.toasts).toEqual([{ id: 1, code: 'rate_limited', message: 'slow' }]);
    s = run(s, { type: 'dismissToast', id: 1 });
    expect(s.toasts).toEqual([]);
  });

  it('tracks connection state and the serverClosing notice until connected again', () => {
    let s = run(initialState(), { type: 'event', now: 0, ev: { type: 'serverClosing', message: 'bye' } });
    s = run(s, { type: 'event', now: 0, ev: { type: 'state', state: 'reconnecting', reason: 'transport close' } });
    expect(s.serverNotice).toBe('bye');
    expect(s.connection).toBe('reconnecting');
    s = run(s, { type: 'event', now: 0, ev: { type: 'state', state: 'connected' } });
    expect(s.serverNotice).toBeNull();
  });
});
