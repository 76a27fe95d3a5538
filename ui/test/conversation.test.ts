// Conversations in the chat store: event rows (edit, delete, react, unreact) fold into the
// message they target and are never lines; folding twice (a `since` replay) changes nothing;
// own messages follow the user id; mentions count and notify; the composer's reply/edit target.

import { describe, expect, it } from 'vitest';
import { applyUpdate, foldUpdate, mentionCandidates, mentionQuery } from '../src/chat/conversation';
import { type Action, type ChatState, findRoom, initialState, mentionsMe, reduce, shouldNotify } from '../src/chat/store';
import type { ClientEvent } from '../src/transport/types';

type Msg = Extract<ClientEvent, { type: 'message' }>;

const run = (state: ChatState, ...actions: Action[]) => actions.reduce(reduce, state);

function ev(seq: number, extra: Partial<Msg> = {}): Action {
  return {
    type: 'event',
    now: 0,
    ev: { type: 'message', id: `r-${seq}`, room: 'r', seq, ts: seq * 1000, kind: 'chat', nickName: 'bob', userId: 'bob-id', message: `m${seq}`, ...extra },
  };
}

function joined(): ChatState {
  return run(
    initialState(),
    { type: 'joining', room: 'r', nickName: 'me' },
    { type: 'joined', ack: { room: 'r', nickName: 'me', lastSeq: 0, members: ['bob', 'me'], userId: 'me-id' } },
  );
}

const room = (s: ChatState) => findRoom(s, 'r')!;
const bySeq = (s: ChatState, seq: number) => room(s).messages.find((m) => m.seq === seq)!;

describe('folding event rows', () => {
  it('edits, reactions and deletes change their target and add no line', () => {
    const s = run(
      joined(),
      ev(1, { message: 'helo' }),
      ev(2, { kind: 'edit', target: 1, message: 'hello' }),
      ev(3, { kind: 'react', target: 1, message: '👍', nickName: 'ann', userId: 'ann-id' }),
      ev(4, { kind: 'react', target: 1, message: '👍', nickName: 'me', userId: 'me-id' }),
      ev(5, { kind: 'unreact', target: 1, message: '👍', nickName: 'ann', userId: 'ann-id' }),
    );
    expect(room(s).messages.map((m) => m.seq)).toEqual([1]);
    const m = bySeq(s, 1);
    expect(m.message).toBe('hello');
    expect(m.editedTs).toBe(2000);
    expect(m.reactions).toEqual([{ emoji: '👍', by: [{ userId: 'me-id', nickName: 'me' }] }]);
    const d = run(s, ev(6, { kind: 'delete', target: 1, message: '' }));
    expect(bySeq(d, 1)).toMatchObject({ deleted: true, message: '' });
    expect(bySeq(d, 1).reactions).toBeUndefined();
    // An edit after a delete (replayed out of order) does not bring the text back.
    expect(bySeq(run(d, ev(7, { kind: 'edit', target: 1, message: 'back' })), 1).message).toBe('');
  });

  it('is idempotent: replaying rows over a message that already shows them changes nothing', () => {
    const folded = { id: 'x', seq: 1, ts: 1, kind: 'chat' as const, nickName: 'bob', message: 'hi', own: false, reactions: [{ emoji: '🎉', by: [{ userId: 'u', nickName: 'u' }] }] };
    const react = { type: 'message' as const, id: 'y', room: 'r', seq: 2, ts: 2, kind: 'react' as const, nickName: 'u', userId: 'u', message: '🎉', target: 1 };
    expect(foldUpdate(folded, react)).toBe(folded);
    const list = [folded];
    expect(applyUpdate(list, react)).toBe(list);
    expect(applyUpdate(list, { ...react, target: 9 })).toBe(list);
  });

  it('an update counts as nothing unread and notifies nobody', () => {
    const s = run(joined(), { type: 'activate', room: 'r' }, { type: 'attention', value: false }, ev(1));
    const edit = { type: 'message' as const, id: 'e', room: 'r', seq: 2, ts: 2, kind: 'edit' as const, nickName: 'bob', message: 'x', target: 1 };
    expect(shouldNotify(s, edit)).toBe(false);
    expect(room(run(s, { type: 'event', now: 0, ev: edit })).unread).toBe(room(s).unread);
  });
});

describe('identity and mentions', () => {
  it('a message is ours by user id, not by a nickname someone else took', () => {
    const s = run(joined(), ev(1, { nickName: 'me', userId: 'someone-else' }), ev(2, { nickName: 'me2', userId: 'me-id' }));
    expect(bySeq(s, 1).own).toBe(false);
    expect(bySeq(s, 2).own).toBe(true);
  });

  it('mentions of us are counted apart from unread, and reset when the room is read', () => {
    let s = run(joined(), { type: 'attention', value: false });
    s = run(s, ev(1, { message: 'hey @me', mentions: ['me'] }), ev(2));
    expect([room(s).unread, room(s).mentioned]).toEqual([2, 1]);
    const msg = { type: 'message' as const, id: 'z', room: 'r', seq: 3, ts: 3, kind: 'chat' as const, nickName: 'bob', message: '@me', mentions: ['me'] };
    expect(mentionsMe(s, msg)).toBe(true);
    s = run(s, { type: 'attention', value: true }, { type: 'activate', room: 'r' });
    expect([room(s).unread, room(s).mentioned]).toEqual([0, 0]);
  });

  it('completes @names from the members before the caret', () => {
    expect(mentionQuery('hi @an', 6)).toEqual({ start: 3, query: 'an' });
    expect(mentionQuery('mail a@b', 8)).toBeNull();
    expect(mentionCandidates(['Ann', 'annie', 'bob', 'me'], 'me', 'an')).toEqual(['Ann', 'annie']);
  });

  it('the composer remembers a reply or edit target per room', () => {
    const s = run(joined(), { type: 'compose', room: 'r', target: { mode: 'reply', seq: 1, nickName: 'bob', text: 'm1' } });
    expect(room(s).compose?.mode).toBe('reply');
    expect(room(run(s, { type: 'compose', room: 'r', target: null })).compose).toBeUndefined();
  });
});
