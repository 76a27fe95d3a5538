// The browser transport against a fake socket: mapping, and the lossless-reconnect promises
// (rejoin with `since`, exactly-once in-order delivery, queued sends resent with the same clientId).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBrowserTransport, NODES_REFRESH_MS } from '../src/transport/browser';
import type { ClientEvent, Transport } from '../src/transport/types';
import { FakeSocket } from './fake-socket';

let sock: FakeSocket;
let sockets: FakeSocket[];
let lastAuth: unknown;
let events: ClientEvent[];
let tr: Transport;

function msg(room: string, seq: number, extra: Record<string, unknown> = {}) {
  return {
    id: `id-${room}-${seq}`,
    room,
    seq,
    ts: 1_700_000_000_000 + seq,
    kind: 'chat',
    nickName: 'bob',
    message: `m${seq}`,
    ...extra,
  };
}

const flush = () => new Promise<void>((r) => setTimeout(r, 0));
const seqs = (room: string) =>
  events.filter((e): e is Extract<ClientEvent, { type: 'message' }> => e.type === 'message' && e.room === room).map((e) => e.seq);
const states = () => events.filter((e) => e.type === 'state').map((e) => (e as { state: string }).state);

beforeEach(() => {
  sockets = [];
  events = [];
  tr = createBrowserTransport({
    socketFactory: (_url, auth) => {
      lastAuth = auth;
      sock = new FakeSocket();
      sockets.push(sock);
      return sock;
    },
    defaultAddress: 'http://127.0.0.1:7878',
    sessionId: 'sess-1',
    userKey: 'key-of-this-test-user',
    ackTimeoutMs: 5000,
    fetchInfo: async () => ({ server: 'lanchat', name: 'box', version: '0.1.0', passwordRequired: false, rooms: [{ name: 'lobby', members: 2 }] }),
  });
  tr.onEvent((e) => events.push(e));
});

afterEach(() => {
  vi.useRealTimers();
});

async function connected() {
  const p = tr.connect({ nickName: 'alice', password: 'pw' });
  sock.serverConnect();
  return p;
}

async function joined(room: string, history: number[] = []) {
  const p = tr.join(room);
  const [j] = sock.take('joinRoom');
  for (const s of history) sock.fire('message', msg(room, s, { history: true }));
  j.ack!({ ok: true, room, nickName: 'alice', lastSeq: history.at(-1) ?? 0, members: ['alice'] });
  return p;
}

describe('connect', () => {
  it('has no hosting and no discovery: a guest is already on a host page', () => {
    expect(tr.host).toBeUndefined();
    expect(tr.discovery).toBeUndefined();
  });

  it('sends password and session id, reports connecting then connected, returns server info', async () => {
    const info = await connected();
    expect(lastAuth).toEqual({ sessionId: 'sess-1', userKey: 'key-of-this-test-user', password: 'pw' });
    expect(info.name).toBe('box');
    expect(await tr.serverInfo()).toMatchObject({ server: 'lanchat', rooms: [{ name: 'lobby', members: 2 }] });
    expect(states()).toEqual(['connecting', 'connected']);
  });

  it('rejects with the server refusal code (password_required / bad_password)', async () => {
    const p = tr.connect({ nickName: 'alice' });
    sock.refuse('password_required');
    await expect(p).rejects.toMatchObject({ code: 'password_required' });
    expect(states()).toEqual(['connecting', 'disconnected']);
  });

  it('maps other connect errors to connect_failed', async () => {
    const p = tr.connect({ nickName: 'alice' });
    sock.fire('connect_error', new Error('xhr poll error'));
    await expect(p).rejects.toMatchObject({ code: 'connect_failed' });
  });
});

describe('requests and events', () => {
  it('joins with {roomName, nickName} and resolves with the ack', async () => {
    await connected();
    const p = tr.join('lobby');
    const [j] = sock.take('joinRoom');
    expect(j.payload).toEqual({ roomName: 'lobby', nickName: 'alice' });
    j.ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 7, members: ['alice', 'bob'] });
    await expect(p).resolves.toEqual({ room: 'lobby', nickName: 'alice', lastSeq: 7, members: ['alice', 'bob'] });
  });

  it('rejects with the ack error code', async () => {
    await connected();
    const p = tr.join('lobby');
    sock.take('joinRoom')[0].ack!({ ok: false, error: { code: 'nick_taken', message: 'taken' } });
    await expect(p).rejects.toMatchObject({ code: 'nick_taken', message: 'taken' });
  });

  it('rejects a request whose ack never comes', async () => {
    vi.useFakeTimers();
    await connected();
    const p = tr.join('lobby');
    const assertion = expect(p).rejects.toMatchObject({ code: 'timeout' });
    await vi.advanceTimersByTimeAsync(5000);
    await assertion;
  });

  it('keeps who is on an unencrypted link from the ack and presence', async () => {
    await connected();
    const p = tr.join('lobby');
    sock.take('joinRoom')[0].ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 0, members: ['alice', 'pete'], unencrypted: ['pete'] });
    await expect(p).resolves.toMatchObject({ unencrypted: ['pete'] });
    sock.fire('presence', { room: 'lobby', joined: ['quin'], left: [], unencrypted: ['quin'] });
    sock.fire('presence', { room: 'lobby', joined: [], left: ['pete'] });
    const lists = events.filter((e) => e.type === 'members');
    expect(lists.at(-2)).toMatchObject({ members: ['alice', 'pete', 'quin'], unencrypted: ['pete', 'quin'] });
    expect(lists.at(-1)).toMatchObject({ members: ['alice', 'quin'], unencrypted: ['quin'] });
  });

  it('maps server events to ClientEvents', async () => {
    await connected();
    await joined('lobby');
    sock.fire('presence', { room: 'lobby', joined: ['bob'], left: [] });
    sock.fire('presence', { room: 'elsewhere', joined: ['zed'], left: [] });
    sock.fire('presence', { room: 'lobby', joined: ['carol'], left: ['alice'] });
    sock.fire('typing', { room: 'lobby', nickName: 'bob', typing: true });
    sock.fire('kicked', { room: 'lobby', by: 'host', reason: 'spam' });
    sock.fire('serverClosing', { message: 'bye' });
    sock.fire('requestError', { event: 'sendMessage', code: 'rate_limited', message: 'slow' });
    sock.fire('requestError', { event: 'typing', code: 'not_in_room', message: 'ignored' });
    expect(events.filter((e) => e.type !== 'state')).toEqual([
      { type: 'members', room: 'lobby', members: ['alice', 'bob'] },
      { type: 'members', room: 'lobby', members: ['bob', 'carol'] },
      { type: 'typing', room: 'lobby', nickName: 'bob', typing: true },
      { type: 'kicked', room: 'lobby', by: 'host', reason: 'spam' },
      { type: 'serverClosing', message: 'bye' },
      { type: 'error', code: 'rate_limited', message: 'slow' },
    ]);
  });

  it('delivers each seq once: duplicates are dropped', async () => {
    await connected();
    await joined('lobby', [1, 2]);
    sock.fire('message', msg('lobby', 2));
    sock.fire('message', msg('lobby', 3));
    sock.fire('message', msg('lobby', 3));
    expect(seqs('lobby')).toEqual([1, 2, 3]);
  });
});

describe('gaps', () => {
  it('asks for the rest of a replay the server cut short (more), from the last seq received', async () => {
    await connected();
    const p = tr.join('lobby');
    const [j] = sock.take('joinRoom');
    for (const s of [1, 2, 3]) sock.fire('message', msg('lobby', s, { history: true }));
    j.ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 6, members: ['alice'], more: true });
    await p;
    await flush();
    const [rest] = sock.take('joinRoom');
    expect(rest.payload).toEqual({ roomName: 'lobby', nickName: 'alice', since: 3 });
    for (const s of [4, 5, 6]) sock.fire('message', msg('lobby', s, { history: true }));
    rest.ack?.({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 6, members: ['alice'] });
    sock.fire('message', msg('lobby', 7));
    expect(seqs('lobby')).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('takes the join ack lastSeq as seen: rows a plain join leaves out (folded edits, reactions) are no gap', async () => {
    await connected();
    const p = tr.join('lobby');
    const [j] = sock.take('joinRoom');
    for (const s of [1, 2]) sock.fire('message', msg('lobby', s, { history: true }));
    j.ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 5, members: ['alice'] });
    await p;
    sock.fire('messageUpdate', msg('lobby', 6, { kind: 'react', target: 2, message: '👍', userId: 'u' }));
    sock.fire('message', msg('lobby', 7));
    expect(seqs('lobby')).toEqual([1, 2, 6, 7]);
    expect(sock.take('joinRoom')).toEqual([]);
  });

  it('resyncs with since when a live message skips seqs, then shows everything once, in order', async () => {
    await connected();
    await joined('lobby', [1, 2]);
    sock.fire('message', msg('lobby', 5)); // 3 and 4 never arrived
    expect(seqs('lobby')).toEqual([1, 2]);
    const [rejoin] = sock.take('joinRoom');
    expect(rejoin.payload).toEqual({ roomName: 'lobby', nickName: 'alice', since: 2 });
    for (const s of [3, 4, 5]) sock.fire('message', msg('lobby', s, { history: true }));
    rejoin.ack?.({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 5, members: [] });
    sock.fire('message', msg('lobby', 6));
    expect(seqs('lobby')).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('lossless reconnect', () => {
  it('rejoins every joined room with since = last seq and drops replayed duplicates', async () => {
    await connected();
    await joined('lobby', [1, 2, 3]);
    await joined('dev', [10]);
    sock.drop();
    expect(states().at(-1)).toBe('reconnecting');
    sock.serverConnect();
    expect(states().at(-1)).toBe('connected');
    const rejoins = sock.take('joinRoom').map((j) => j.payload);
    expect(rejoins).toEqual([
      { roomName: 'lobby', nickName: 'alice', since: 3 },
      { roomName: 'dev', nickName: 'alice', since: 10 },
    ]);
    // A server that replays a bit too much still yields each message once, in order.
    for (const s of [3, 4, 5]) sock.fire('message', msg('lobby', s, { history: true }));
    expect(seqs('lobby')).toEqual([1, 2, 3, 4, 5]);
  });

  it('does not rejoin rooms that were left or kicked from', async () => {
    await connected();
    await joined('a');
    await joined('b');
    await joined('c');
    const leaving = tr.leave('a');
    sock.take('leaveRoom')[0].ack!({ ok: true, room: 'a' });
    await leaving;
    sock.fire('kicked', { room: 'b', by: 'host', reason: '' });
    sock.drop();
    sock.serverConnect();
    expect(sock.take('joinRoom').map((j) => j.payload.roomName)).toEqual(['c']);
  });

  it('queues sends while offline and sends them after the rejoin ack, in order, one at a time', async () => {
    await connected();
    await joined('lobby', [1]);
    sock.drop();
    const p1 = tr.send('lobby', 'first', 'c1');
    const p2 = tr.send('lobby', 'second', 'c2');
    expect(sock.take('sendMessage')).toEqual([]);
    sock.serverConnect();
    expect(sock.take('sendMessage')).toEqual([]); // not before the rejoin is acked
    sock.take('joinRoom')[0].ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 1, members: [] });
    await flush();
    const [s1] = sock.take('sendMessage');
    expect(s1.payload).toEqual({ room: 'lobby', message: 'first', clientId: 'c1' });
    expect(sock.take('sendMessage')).toEqual([]); // second waits for the first ack
    s1.ack!({ ok: true, id: 'x1', seq: 2, ts: 1, duplicate: false });
    await p1;
    const [s2] = sock.take('sendMessage');
    expect(s2.payload).toEqual({ room: 'lobby', message: 'second', clientId: 'c2' });
    s2.ack!({ ok: true, id: 'x2', seq: 3, ts: 1, duplicate: false });
    await p2;
  });

  it('resends an unacked send with the same clientId after a reconnect; the duplicate ack settles it', async () => {
    await connected();
    await joined('lobby');
    const p = tr.send('lobby', 'hello', 'c-9');
    const [first] = sock.take('sendMessage');
    expect(first.payload.clientId).toBe('c-9');
    sock.drop(); // the ack is lost with the connection
    sock.serverConnect();
    sock.take('joinRoom')[0].ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 0, members: [] });
    await flush();
    const [again] = sock.take('sendMessage');
    expect(again.payload).toEqual({ room: 'lobby', message: 'hello', clientId: 'c-9' });
    first.ack?.({ ok: true, id: 'late', seq: 1, ts: 1, duplicate: false }); // a stale ack changes nothing
    again.ack!({ ok: true, id: 'x', seq: 1, ts: 1, duplicate: true });
    await expect(p).resolves.toBeUndefined();
    expect(sock.take('sendMessage')).toEqual([]);
  });

  it('does not resend a message whose echo came back in the catch-up history', async () => {
    await connected();
    await joined('lobby');
    const p = tr.send('lobby', 'hello', 'c-1');
    sock.take('sendMessage');
    sock.drop();
    sock.serverConnect();
    const [j] = sock.take('joinRoom');
    sock.fire('message', msg('lobby', 1, { nickName: 'alice', message: 'hello', clientId: 'c-1', history: true }));
    j.ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 1, members: [] });
    await p;
    await flush();
    expect(sock.take('sendMessage')).toEqual([]);
    expect(seqs('lobby')).toEqual([1]);
  });

  it('resends after an ack timeout while still connected', async () => {
    vi.useFakeTimers();
    await connected();
    await joined('lobby');
    const p = tr.send('lobby', 'x', 'c-t');
    expect(sock.take('sendMessage')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    const [again] = sock.take('sendMessage');
    expect(again.payload.clientId).toBe('c-t');
    again.ack!({ ok: true, id: 'i', seq: 1, ts: 1, duplicate: true });
    await p;
  });

  it('fails a send the server refuses, reports it with room and clientId, and moves on', async () => {
    await connected();
    await joined('lobby');
    const bad = tr.send('lobby', 'too long', 'c-bad');
    const good = tr.send('lobby', 'ok', 'c-good');
    sock.take('sendMessage')[0].ack!({ ok: false, error: { code: 'message_too_long', message: 'max 4000' } });
    await expect(bad).rejects.toMatchObject({ code: 'message_too_long' });
    expect(events).toContainEqual({ type: 'error', code: 'message_too_long', message: 'max 4000', room: 'lobby', clientId: 'c-bad' });
    const [next] = sock.take('sendMessage');
    expect(next.payload.clientId).toBe('c-good');
    next.ack!({ ok: true, id: 'i', seq: 1, ts: 1, duplicate: false });
    await good;
  });

  it('retries a rate-limited send after a pause with the same clientId', async () => {
    vi.useFakeTimers();
    await connected();
    await joined('lobby');
    const p = tr.send('lobby', 'x', 'c-r');
    sock.take('sendMessage')[0].ack!({ ok: false, error: { code: 'rate_limited', message: 'slow' } });
    expect(sock.take('sendMessage')).toEqual([]);
    await vi.advanceTimersByTimeAsync(600);
    const [again] = sock.take('sendMessage');
    expect(again.payload.clientId).toBe('c-r');
    again.ack!({ ok: true, id: 'i', seq: 1, ts: 1, duplicate: false });
    await p;
  });

  it('keeps trying after the server closed the connection itself (host restarting)', async () => {
    vi.useFakeTimers();
    await connected();
    await joined('lobby', [4]);
    sock.fire('serverClosing', { message: 'bye' });
    sock.serverDisconnect();
    expect(states().at(-1)).toBe('reconnecting');
    expect(sock.connectCalls).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sock.connectCalls).toBe(1);
    sock.serverConnect();
    expect(sock.take('joinRoom').map((j) => j.payload)).toEqual([{ roomName: 'lobby', nickName: 'alice', since: 4 }]);
  });

  it('reports a refused reconnect (password changed) as an error and disconnected', async () => {
    await connected();
    sock.drop();
    sock.refuse('bad_password');
    expect(events).toContainEqual({ type: 'error', code: 'bad_password', message: 'bad_password' });
    expect(states().at(-1)).toBe('disconnected');
  });

  it('reports a room it could not rejoin and drops it', async () => {
    await connected();
    await joined('lobby');
    sock.drop();
    sock.serverConnect();
    sock.take('joinRoom')[0].ack!({ ok: false, error: { code: 'kicked', message: 'wait' } });
    await flush();
    expect(events).toContainEqual({ type: 'error', code: 'kicked', message: 'wait', room: 'lobby' });
    sock.drop();
    sock.serverConnect();
    expect(sock.take('joinRoom')).toEqual([]);
  });

  it('disconnect() rejects queued sends and reports disconnected', async () => {
    await connected();
    await joined('lobby');
    sock.drop();
    const p = tr.send('lobby', 'x', 'c-d');
    await tr.disconnect();
    await expect(p).rejects.toMatchObject({ code: 'not_connected' });
    expect(states().at(-1)).toBe('disconnected');
  });
});

describe('browser transport: files', () => {
  it('asks for a ticket as a member, sends the bytes to the same server, and resolves the links there', async () => {
    const requests: string[] = [];
    const ftr = createBrowserTransport({
      socketFactory: () => (sock = new FakeSocket()),
      defaultAddress: 'http://127.0.0.1:7878',
      sessionId: 's',
      fetchInfo: async () => null,
      http: {
        async request(method, url, req) {
          requests.push(`${method} ${url} ${req?.headers?.['Upload-Offset']}`);
          return { status: 200, header: () => null, body: { ok: true, id: 'm1', seq: 3, ts: 1, duplicate: false } };
        },
      },
    });
    const conn = ftr.connect({ nickName: 'alice' });
    sock.serverConnect();
    await conn;
    expect(ftr.fileUrl('/thumbs/ab?room=lobby&sig=1')).toBe('http://127.0.0.1:7878/thumbs/ab?room=lobby&sig=1');
    expect(ftr.fileUrl('//evil.example/x')).toBeNull();

    // Not a member: refused before asking.
    const file = new File([new Uint8Array(10)], 'cat.png', { type: 'image/png' });
    await expect(ftr.uploadFile('lobby', file, () => undefined, new AbortController().signal)).rejects.toMatchObject({ code: 'not_in_room' });

    const joined = ftr.join('lobby');
    sock.take('joinRoom')[0].ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 0, members: ['alice'] });
    await joined;
    const up = ftr.uploadFile('lobby', file, () => undefined, new AbortController().signal);
    await flush();
    const [ask] = sock.take('fileUpload');
    expect(ask.payload).toMatchObject({ room: 'lobby', name: 'cat.png', size: 10, mime: 'image/png' });
    expect(ask.payload.clientId).toMatch(/^[0-9a-f]{32}$/);
    ask.ack!({ ok: true, upload: { id: 'u1', url: '/api/uploads/u1', offset: 0, maxSize: 100 } });
    await expect(up).resolves.toMatchObject({ id: 'm1', seq: 3 });
    expect(requests).toEqual(['PATCH http://127.0.0.1:7878/api/uploads/u1 0']);
  });
});

describe('browser transport: cluster failover', () => {
  const A = 'http://127.0.0.1:7001';
  const B = 'http://127.0.0.1:7002';
  let urls: string[];
  let socks: FakeSocket[];
  let evs: ClientEvent[];
  let infoNodes: { id: number; url: string; connections: number }[] | undefined;
  let ctr: Transport;

  beforeEach(() => {
    urls = [];
    socks = [];
    evs = [];
    infoNodes = [
      { id: 1, url: A, connections: 3 },
      { id: 2, url: B, connections: 2 },
    ];
    ctr = createBrowserTransport({
      socketFactory: (url) => {
        urls.push(url);
        const s = new FakeSocket();
        socks.push(s);
        return s;
      },
      defaultAddress: A,
      sessionId: 'sess-c',
      userKey: 'key-c',
      ackTimeoutMs: 5000,
      fetchInfo: async (address) =>
        address === A
          ? { server: 'lanchat', name: 'cluster', version: '0.1.0', passwordRequired: false, rooms: [], ...(infoNodes ? { nodes: infoNodes } : {}) }
          : null,
    });
    ctr.onEvent((e) => evs.push(e));
  });

  const last = () => socks.at(-1)!;
  const connectError = (s: FakeSocket) => s.fire('connect_error', new Error('websocket error'));

  async function joinedOnA() {
    const p = ctr.connect({ nickName: 'alice' });
    last().serverConnect();
    await p;
    await flush();
    const j = ctr.join('lobby');
    const [req] = last().take('joinRoom');
    last().fire('message', msg('lobby', 4, { history: true }));
    req.ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 4, members: ['alice', 'bob'] });
    await j;
  }

  it('moves to another node after its own refuses two reconnects, and resumes there with since', async () => {
    await joinedOnA();
    const a = last();
    const sent = ctr.send('lobby', 'hello', 'c-7');
    a.take('sendMessage'); // on the wire; its ack is lost with node A
    a.drop();
    connectError(a);
    expect(socks).toHaveLength(1); // one failure may be a blip
    connectError(a);
    expect(urls).toEqual([A, B]);
    const b = last();
    expect(evs.filter((e) => e.type === 'state').at(-1)).toMatchObject({ state: 'reconnecting' });
    b.serverConnect();
    expect(evs.filter((e) => e.type === 'state').at(-1)).toEqual({ type: 'state', state: 'connected', server: B });
    const [rejoin] = b.take('joinRoom');
    expect(rejoin.payload).toEqual({ roomName: 'lobby', nickName: 'alice', since: 4 });
    // Node B replays from since: 4 again (a duplicate), then 5 (ours, acked on A before it died).
    b.fire('message', msg('lobby', 4, { history: true }));
    b.fire('message', msg('lobby', 5, { history: true, nickName: 'alice', message: 'hello', clientId: 'c-7' }));
    rejoin.ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 5, members: ['alice', 'bob'] });
    await sent;
    await flush();
    expect(b.take('sendMessage')).toEqual([]); // its echo settled it: not sent twice
    expect(seqs2('lobby')).toEqual([4, 5]);
    // Live on B.
    b.fire('message', msg('lobby', 6));
    expect(seqs2('lobby')).toEqual([4, 5, 6]);
  });

  it('resends an unacked send on the new node with the same clientId', async () => {
    await joinedOnA();
    const a = last();
    const sent = ctr.send('lobby', 'hello', 'c-8');
    a.take('sendMessage');
    a.drop();
    connectError(a);
    connectError(a);
    const b = last();
    b.serverConnect();
    b.take('joinRoom')[0].ack!({ ok: true, room: 'lobby', nickName: 'alice', lastSeq: 4, members: [] });
    await flush();
    const [again] = b.take('sendMessage');
    expect(again.payload).toEqual({ room: 'lobby', message: 'hello', clientId: 'c-8' });
    again.ack!({ ok: true, id: 'x', seq: 5, ts: 1, duplicate: false });
    await expect(sent).resolves.toBeUndefined();
  });

  it('goes on to the next node when the new one fails too, and back to the first', async () => {
    infoNodes = [
      { id: 1, url: A, connections: 1 },
      { id: 2, url: B, connections: 1 },
      { id: 3, url: 'http://127.0.0.1:7003', connections: 1 },
    ];
    await joinedOnA();
    last().drop();
    for (let i = 0; i < 6; i += 1) connectError(last());
    expect(new Set(urls.slice(0, 3)).size).toBe(3);
    expect(urls[3]).toBe(A);
    expect(socks.slice(0, -1).every((s) => !s.active)).toBe(true); // the sockets left behind are closed
  });

  it('learns a node that joined the cluster later, and can move there', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    infoNodes = [{ id: 1, url: A, connections: 1 }];
    await joinedOnA();
    infoNodes = [
      { id: 1, url: A, connections: 1 },
      { id: 2, url: B, connections: 0 },
    ];
    await vi.advanceTimersByTimeAsync(NODES_REFRESH_MS);
    await flush();
    last().drop();
    connectError(last());
    connectError(last());
    expect(urls).toEqual([A, B]);
    await ctr.disconnect();
  });

  it('stays on a single host: socket.io keeps retrying it', async () => {
    infoNodes = undefined;
    await joinedOnA();
    last().drop();
    for (let i = 0; i < 5; i += 1) connectError(last());
    expect(urls).toEqual([A]);
    expect(evs.filter((e) => e.type === 'state').at(-1)).toMatchObject({ state: 'reconnecting' });
  });

  it('does not move when its node refuses it for good (password changed)', async () => {
    await joinedOnA();
    last().drop();
    connectError(last());
    last().refuse('bad_password');
    expect(urls).toEqual([A]);
    expect(evs.filter((e) => e.type === 'state').at(-1)).toMatchObject({ state: 'disconnected' });
  });

  const seqs2 = (room: string) =>
    evs.filter((e): e is Extract<ClientEvent, { type: 'message' }> => e.type === 'message' && e.room === room).map((e) => e.seq);
});
