// Upload rows and downloads as pure state, the speed meter, and the store's file messages: an
// upload's row goes once its file message is in the room (whichever of the two comes first),
// file messages replay and count like chat messages.

import { describe, expect, it } from 'vitest';
import { type Action, type ChatState, findRoom, initialState, reduce, shouldNotify } from '../src/chat/store';
import {
  applyDownload,
  applyUpload,
  fraction,
  newUpload,
  secondsLeft,
  SpeedMeter,
  type UploadView,
} from '../src/chat/transfers';
import type { FileMeta } from '../src/generated/protocol';
import type { ClientEvent } from '../src/transport/types';

const file = { name: 'cat.png', size: 1000, type: 'image/png' };
const never = () => false;

describe('upload rows', () => {
  it('go queued → preparing → sending with progress → done', () => {
    let list: UploadView[] = [];
    list = applyUpload(list, { type: 'added', upload: newUpload('u1', file) }, never);
    expect(list[0]).toMatchObject({ status: 'queued', sent: 0, speed: null });
    list = applyUpload(list, { type: 'progress', id: 'u1', sent: 0, speed: null, status: 'preparing' }, never);
    expect(list[0].status).toBe('preparing');
    list = applyUpload(list, { type: 'progress', id: 'u1', sent: 400, speed: 2000 }, never);
    expect(list[0]).toMatchObject({ status: 'sending', sent: 400, speed: 2000 });
    expect(fraction(list[0])).toBe(0.4);
    expect(secondsLeft(list[0])).toBe(0.3);
    list = applyUpload(list, { type: 'done', id: 'u1', messageId: 'm1' }, never);
    expect(list[0]).toMatchObject({ status: 'done', sent: 1000, messageId: 'm1' });
  });

  it('disappear at once when the file message arrived before the upload’s answer', () => {
    const list = applyUpload([newUpload('u1', file)], { type: 'done', id: 'u1', messageId: 'm1' }, (id) => id === 'm1');
    expect(list).toEqual([]);
  });

  it('keep a failure, which late progress cannot undo; retry starts over', () => {
    let list = applyUpload([newUpload('u1', file)], { type: 'failed', id: 'u1', code: 'file_too_large', message: 'too big' }, never);
    expect(list[0]).toMatchObject({ status: 'failed', error: { code: 'file_too_large', message: 'too big' } });
    expect(applyUpload(list, { type: 'progress', id: 'u1', sent: 10, speed: null }, never)).toBe(list);
    list = applyUpload(list, { type: 'retry', id: 'u1' }, never);
    expect(list[0]).toMatchObject({ status: 'queued', sent: 0, error: undefined });
    expect(applyUpload(list, { type: 'removed', id: 'u1' }, never)).toEqual([]);
  });

  it('clamp progress to the file and ignore unknown ids', () => {
    const list = [newUpload('u1', file)];
    expect(applyUpload(list, { type: 'progress', id: 'u1', sent: 5000, speed: 1 }, never)[0].sent).toBe(1000);
    expect(applyUpload(list, { type: 'progress', id: 'nope', sent: 5, speed: 1 }, never)).toBe(list);
    expect(fraction({ sent: 0, size: 0 })).toBe(0);
  });
});

describe('the speed meter', () => {
  it('measures over the last seconds and knows nothing from one burst', () => {
    const m = new SpeedMeter(3000);
    m.add(0, 0);
    m.add(100_000, 100);
    expect(m.rate()).toBeNull();
    m.add(1_000_000, 1000);
    expect(m.rate()).toBe(1_000_000);
    // Much later and faster: the old samples fall out of the window.
    m.add(2_000_000, 4000);
    m.add(32_000_000, 7000);
    expect(m.rate()).toBe(10_000_000);
  });

  it('starts over when the total goes back (a resumed upload reports from the host’s offset)', () => {
    const m = new SpeedMeter();
    m.add(0, 0);
    m.add(500, 1000);
    m.add(200, 1100);
    expect(m.rate()).toBeNull();
  });
});

describe('downloads', () => {
  it('go saving → saved with a path, or failed with a code', () => {
    let d = applyDownload({}, { type: 'progress', key: 'm1', received: 10, total: 100 });
    expect(d.m1).toEqual({ status: 'saving', received: 10, total: 100 });
    d = applyDownload(d, { type: 'saved', key: 'm1', path: '/home/me/Downloads/cat.png' });
    expect(d.m1).toMatchObject({ status: 'saved', path: '/home/me/Downloads/cat.png', received: 100 });
    d = applyDownload(d, { type: 'failed', key: 'm2', code: 'forbidden', message: 'bad link' });
    expect(d.m2).toMatchObject({ status: 'failed', error: { code: 'forbidden' } });
  });
});

// ---- the store ----

const meta: FileMeta = {
  name: 'cat.png',
  size: 48213,
  mime: 'image/png',
  sha256: 'ab'.repeat(32),
  width: 640,
  height: 480,
  url: '/files/ab/cat.png?room=lobby&sig=1',
  thumbUrl: '/thumbs/ab?room=lobby&sig=1',
};

function run(state: ChatState, ...actions: Action[]): ChatState {
  return actions.reduce(reduce, state);
}

function fileMessage(seq: number, extra: Partial<Extract<ClientEvent, { type: 'message' }>> = {}): Action {
  return {
    type: 'event',
    now: 0,
    ev: { type: 'message', id: `m${seq}`, room: 'lobby', seq, ts: seq, kind: 'file', nickName: 'bob', message: '📎 cat.png (48.2 KB)', file: meta, ...extra },
  };
}

function joined(attention = true): ChatState {
  return run(
    initialState(attention),
    { type: 'joining', room: 'lobby', nickName: 'me' },
    { type: 'joined', ack: { room: 'lobby', nickName: 'me', lastSeq: 0, members: ['me'] } },
  );
}

describe('the store and files', () => {
  it('keeps a file message’s file, in seq order and once, from history and live', () => {
    const s = run(joined(), fileMessage(2, { history: true }), fileMessage(1, { history: true }), fileMessage(2));
    const r = findRoom(s, 'lobby')!;
    expect(r.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(r.messages[0]).toMatchObject({ kind: 'file', file: meta, own: false });
  });

  it('counts others’ files as unread and notifies of them, like chat', () => {
    let s = run(joined(false), fileMessage(1));
    expect(findRoom(s, 'lobby')!.unread).toBe(1);
    const ev = (fileMessage(2) as Extract<Action, { type: 'event' }>).ev;
    expect(shouldNotify(s, ev)).toBe(true);
    s = run(s, fileMessage(3, { nickName: 'me' }));
    expect(findRoom(s, 'lobby')!.unread).toBe(1);
  });

  it('drops an upload row once its file message arrives, whichever comes first', () => {
    const add: Action = { type: 'upload', room: 'lobby', change: { type: 'added', upload: newUpload('u1', file) } };
    // The answer first, then the message.
    let s = run(joined(), add, { type: 'upload', room: 'lobby', change: { type: 'done', id: 'u1', messageId: 'm5' } });
    expect(findRoom(s, 'lobby')!.uploads).toHaveLength(1);
    s = run(s, fileMessage(5, { nickName: 'me' }));
    expect(findRoom(s, 'lobby')!.uploads).toEqual([]);
    // The message first, then the answer.
    s = run(joined(), add, fileMessage(6, { nickName: 'me' }), { type: 'upload', room: 'lobby', change: { type: 'done', id: 'u1', messageId: 'm6' } });
    expect(findRoom(s, 'lobby')!.uploads).toEqual([]);
  });

  it('forgets uploads and downloads when leaving the server', () => {
    let s = run(joined(), { type: 'upload', room: 'lobby', change: { type: 'added', upload: newUpload('u1', file) } });
    s = run(s, { type: 'download', change: { type: 'progress', key: 'm1', received: 1, total: 2 } });
    expect(s.downloads.m1).toBeDefined();
    s = run(s, { type: 'reset' });
    expect(s.rooms).toEqual([]);
    expect(s.downloads).toEqual({});
  });
});
