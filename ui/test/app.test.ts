// @vitest-environment jsdom
// The controller's flows against a scripted transport: join a server, send (pending → confirmed),
// failures that send the user back, hosting then joining our own server over loopback.

import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatApp } from '../src/app';
import { findRoom } from '../src/chat/store';
import type { Notifier } from '../src/notify';
import {
  type ClientEvent,
  type ConnectOptions,
  type HistoryPage,
  type HostControls,
  type HostInfo,
  type JoinAck,
  type PageAt,
  type SearchResults,
  type OnProgress,
  type SendAck,
  type ServerInfo,
  type Transport,
  TransportError,
} from '../src/transport/types';

/** An upload the test drives: report progress, then finish or fail it. */
interface ScriptedUpload {
  room: string;
  file: File;
  progress: OnProgress;
  signal: AbortSignal;
  finish(ack: SendAck): void;
  fail(e: TransportError): void;
}

/** Host controls that answer every call with `info` unless `over` says otherwise. */
function hostStub(info: HostInfo, over: Partial<HostControls> = {}): HostControls {
  return {
    suggestPort: async () => 7878,
    start: async () => info,
    stop: async () => {},
    status: async () => null,
    kick: async () => {},
    clearRoom: async () => {},
    roomMessages: async () => [],
    rooms: async () => [],
    deleteMessage: async () => {},
    setPassword: async () => info,
    setAnnounce: async () => info,
    setPlainGuests: async () => info,
    ...over,
  };
}

class ScriptedTransport implements Transport {
  readonly kind = 'browser' as const;
  calls: string[] = [];
  listeners = new Set<(e: ClientEvent) => void>();
  connectError: TransportError | null = null;
  joinError: TransportError | null = null;
  host?: HostControls;

  emit(e: ClientEvent) {
    for (const l of this.listeners) l(e);
  }
  async connect(o: ConnectOptions): Promise<ServerInfo> {
    this.calls.push(`connect ${o.address} ${o.nickName} ${o.password ?? '-'}`);
    if (this.connectError) throw this.connectError;
    this.emit({ type: 'state', state: 'connected' });
    return { server: 'lanchat', name: 'box', version: '1', passwordRequired: false, rooms: [] };
  }
  async serverInfo(): Promise<ServerInfo | null> {
    return null;
  }
  async join(room: string): Promise<JoinAck> {
    this.calls.push(`join ${room}`);
    if (this.joinError) throw this.joinError;
    this.emit({ type: 'message', id: 'h1', room, seq: 1, ts: 1, kind: 'chat', nickName: 'bob', message: 'old', history: true });
    return { room, nickName: 'me', lastSeq: 1, members: ['bob', 'me'] };
  }
  async leave(room: string) {
    this.calls.push(`leave ${room}`);
  }
  async send(room: string, message: string, clientId: string) {
    this.calls.push(`send ${room} ${message} ${clientId}`);
  }
  async typing(room: string, typing: boolean) {
    this.calls.push(`typing ${room} ${typing}`);
  }
  async edit(room: string, seq: number, message: string) {
    this.calls.push(`edit ${room} ${seq} ${message}`);
  }
  async deleteMessage(room: string, seq: number) {
    this.calls.push(`delete ${room} ${seq}`);
  }
  async react(room: string, seq: number, emoji: string, on: boolean) {
    this.calls.push(`react ${room} ${seq} ${emoji} ${on}`);
  }
  async openPrivate(room: string, nickName: string) {
    this.calls.push(`openPrivate ${room} ${nickName}`);
    return { room: 'dm:aaa:bbb', nickName };
  }
  /** What `history` answers (the anchor is recorded in `calls`). */
  pages: HistoryPage[] = [];
  async history(room: string, at: PageAt, limit?: number): Promise<HistoryPage> {
    this.calls.push(`history ${room} ${JSON.stringify(at)} ${limit ?? '-'}`);
    const page = this.pages.shift();
    if (!page) throw new TransportError('not_in_room', 'no page scripted');
    return page;
  }
  async search(room: string, q: string): Promise<SearchResults> {
    this.calls.push(`search ${room} ${q}`);
    return { room, results: [{ seq: 1, ts: 1, nickName: 'bob', snippet: '\u0002old\u0003' }], more: false };
  }
  uploads: ScriptedUpload[] = [];
  uploadFile(room: string, file: File, progress: OnProgress, signal: AbortSignal): Promise<SendAck> {
    this.calls.push(`upload ${room} ${file.name}`);
    return new Promise<SendAck>((finish, fail) => {
      signal.addEventListener('abort', () => fail(new TransportError('cancelled', 'cancelled')));
      this.uploads.push({ room, file, progress, signal, finish, fail });
    });
  }
  fileUrl(path: string) {
    return `http://box:7878${path}`;
  }
  async disconnect() {
    this.calls.push('disconnect');
    this.emit({ type: 'state', state: 'disconnected' });
  }
  onEvent(cb: (e: ClientEvent) => void) {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
}

const notified: string[] = [];
const notifier: Notifier = { ask() {}, show: (title, body) => notified.push(`${title}: ${body}`) };

beforeEach(() => {
  localStorage.clear();
  localStorage.setItem('lanchat.nick', 'me');
  notified.length = 0;
});

/** A host fingerprint (64 hex digits). */
const FP = 'ab'.repeat(32);

describe('ChatApp', () => {
  it('starts at the nickname prompt on first run', () => {
    localStorage.clear();
    const app = new ChatApp(new ScriptedTransport(), notifier);
    expect(app.session.phase).toBe('nick');
    app.setNick('  Zoe ');
    expect(app.session).toMatchObject({ phase: 'setup', nickName: 'Zoe' });
    expect(localStorage.getItem('lanchat.nick')).toBe('Zoe');
  });

  it('opens a private conversation from a room: joins it under the other person\'s name', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://h:1', hostPort: 'h:1', room: 'lobby' });
    await app.openPrivate('lobby', 'bob');
    expect(tr.calls.slice(-2)).toEqual(['openPrivate lobby bob', 'join dm:aaa:bbb']);
    expect(app.chat.active).toBe('dm:aaa:bbb');
    expect(findRoom(app.chat, 'dm:aaa:bbb')).toMatchObject({ peer: 'bob', status: 'joined' });
  });

  it('joins a private conversation someone started, notifies, and marks it unread', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://h:1', hostPort: 'h:1', room: 'lobby' });
    notified.length = 0;
    tr.emit({ type: 'privateInvite', room: 'dm:aaa:bbb', nickName: 'bob' });
    await vi.waitFor(() => expect(findRoom(app.chat, 'dm:aaa:bbb')?.unread).toBe(1));
    expect(findRoom(app.chat, 'dm:aaa:bbb')).toMatchObject({ peer: 'bob', unread: 1 });
    expect(notified).toEqual(['bob wrote to you privately: ']);
    expect(app.chat.active).toBe('lobby');
    // A second invite for a room we are in changes nothing.
    tr.emit({ type: 'privateInvite', room: 'dm:aaa:bbb', nickName: 'bob' });
    expect(tr.calls.filter((c) => c === 'join dm:aaa:bbb')).toHaveLength(1);
  });

  it('at connect, opens only the private conversations written since they were last read', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://h:1', hostPort: 'h:1', room: 'lobby' });
    app.markRead('dm:aaa:ccc', 7);
    notified.length = 0;
    tr.emit({ type: 'privateInvite', room: 'dm:aaa:ccc', nickName: 'cy', lastSeq: 7 });
    tr.emit({ type: 'privateInvite', room: 'dm:aaa:bbb', nickName: 'bob', lastSeq: 3 });
    await vi.waitFor(() => expect(findRoom(app.chat, 'dm:aaa:bbb')?.unread).toBe(1));
    expect(findRoom(app.chat, 'dm:aaa:ccc')).toBeUndefined();
    expect(notified).toEqual(['bob wrote to you privately: ']);
  });

  it('joins a server, keeps the history, remembers the server, and shows the chat', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://10.0.0.2:7878', hostPort: '10.0.0.2:7878', room: 'lobby', password: 'pw' });
    expect(tr.calls).toEqual(['connect http://10.0.0.2:7878 me pw', 'join lobby']);
    expect(app.session.phase).toBe('chat');
    expect(findRoom(app.chat, 'lobby')!.messages.map((m) => m.message)).toEqual(['old']);
    expect(JSON.parse(localStorage.getItem('lanchat.recentServers')!)[0]).toMatchObject({ address: '10.0.0.2:7878', room: 'lobby' });
  });

  it('names the node of a cluster it moved to, and keeps the address joined for recents and last read', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://10.0.0.2:7878', hostPort: '10.0.0.2:7878', room: 'lobby' });
    expect(app.session.server?.node).toBeUndefined();
    tr.emit({ type: 'state', state: 'reconnecting', reason: 'connection lost' });
    tr.emit({ type: 'state', state: 'connected', server: 'https://10.0.0.3:7878' });
    expect(app.session.server).toMatchObject({ hostPort: '10.0.0.2:7878', node: '10.0.0.3:7878' });
    expect(app.chat.connection).toBe('connected');
    // Back on the node joined: nothing to point out.
    tr.emit({ type: 'state', state: 'connected', server: 'http://10.0.0.2:7878' });
    expect(app.session.server?.node).toBeUndefined();
  });

  it('shows an own message as pending until the server copy arrives, and updates the title on unread', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://h:1', hostPort: 'h:1', room: 'lobby' });
    expect(app.send('hello')).toBe(true);
    const sent = tr.calls.at(-1)!.split(' ');
    const clientId = sent[3];
    expect(sent.slice(0, 3)).toEqual(['send', 'lobby', 'hello']);
    expect(findRoom(app.chat, 'lobby')!.pending).toHaveLength(1);
    tr.emit({ type: 'message', id: 'm2', room: 'lobby', seq: 2, ts: 2, kind: 'chat', nickName: 'me', message: 'hello', clientId });
    const r = findRoom(app.chat, 'lobby')!;
    expect(r.pending).toHaveLength(0);
    expect(r.messages.at(-1)).toMatchObject({ seq: 2, own: true });

    app.setAttention(false);
    tr.emit({ type: 'message', id: 'm3', room: 'lobby', seq: 3, ts: 3, kind: 'chat', nickName: 'bob', message: 'yo', clientId: 'x' });
    expect(document.title).toBe('(1) lanchat');
    expect(notified).toEqual(['bob in #lobby: yo']);
    app.setAttention(true);
    expect(document.title).toBe('lanchat');
  });

  it('marks a message failed when the transport rejects it, and retries with the same clientId', async () => {
    const tr = new ScriptedTransport();
    tr.send = async (room, message, clientId) => {
      tr.calls.push(`send ${room} ${message} ${clientId}`);
      throw new TransportError('message_too_long', 'too long');
    };
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://h:1', hostPort: 'h:1', room: 'lobby' });
    app.send('x');
    await new Promise((r) => setTimeout(r, 0));
    const p = findRoom(app.chat, 'lobby')!.pending[0];
    expect(p.failed).toBe('too long');
    app.retry('lobby', p.clientId);
    expect(tr.calls.at(-1)).toBe(`send lobby x ${p.clientId}`);
  });

  it('stays on setup and disconnects when the first join fails', async () => {
    const tr = new ScriptedTransport();
    tr.joinError = new TransportError('nick_taken', 'taken');
    const app = new ChatApp(tr, notifier);
    await expect(app.joinServer({ url: 'http://h:1', hostPort: 'h:1', room: 'lobby' })).rejects.toMatchObject({ code: 'nick_taken' });
    expect(app.session.phase).toBe('setup');
    expect(app.session.server).toBeNull();
    expect(app.chat.rooms).toEqual([]);
    expect(tr.calls.at(-1)).toBe('disconnect');
  });

  it('hosts, then joins its own server over loopback with the same password', async () => {
    const tr = new ScriptedTransport();
    const info = (password: string | null, plainGuests = !password) => ({ port: 7878, addresses: [], passwordRequired: !!password, announcedAs: null, fingerprint: FP, plainGuests });
    tr.host = hostStub(info('pw'), {
      start: async (port, password) => ({ ...info(password), port, addresses: ['192.168.1.9'] }),
      stop: async () => {
        tr.calls.push('host_stop');
      },
      setPassword: async (password) => info(password),
      setPlainGuests: async (allow) => info('pw', allow),
    });
    const app = new ChatApp(tr, notifier);
    expect(app.isDesktop).toBe(true);
    await app.startHosting(7878, 'pw');
    expect(tr.calls).toEqual(['connect http://127.0.0.1:7878 me pw', 'join lobby']);
    expect(app.session.server?.own).toBe(true);
    expect(app.session.phase).toBe('chat');
    expect(localStorage.getItem('lanchat.recentServers')).toBeNull(); // our own server is not "recent"
    await app.stopHosting();
    expect(tr.calls.slice(-2)).toEqual(['host_stop', 'disconnect']);
    expect(app.session).toMatchObject({ phase: 'setup', hosting: null, server: null });
  });

  it('announces as asked, remembers the choice, and the host panel switch turns it off', async () => {
    const tr = new ScriptedTransport();
    const asked: boolean[] = [];
    const info = (announce: boolean) => ({ port: 7878, addresses: [], passwordRequired: false, announcedAs: announce ? 'lanchat-1._lanchat._tcp.local.' : null, fingerprint: FP, plainGuests: true });
    tr.host = hostStub(info(true), {
      start: async (_port, _password, announce = true) => {
        asked.push(announce);
        return info(announce);
      },
      setAnnounce: async (announce) => {
        asked.push(announce);
        return info(announce);
      },
    });
    const app = new ChatApp(tr, notifier);
    await app.startHosting(7878, null);
    expect(asked).toEqual([true]); // on unless turned off
    expect(app.session.hosting?.announcedAs).toBe('lanchat-1._lanchat._tcp.local.');
    await app.setAnnounce(false);
    expect(app.session.hosting?.announcedAs).toBeNull();
    expect(localStorage.getItem('lanchat.hostAnnounce')).toBe('off');
    await app.stopHosting();
    await app.startHosting(7878, null);
    expect(asked).toEqual([true, false, false]); // the switch is remembered for next time
  });

  it('the host panel switch for plain guests shows what the host now allows', async () => {
    const tr = new ScriptedTransport();
    const asked: boolean[] = [];
    const info = (plainGuests: boolean) => ({ port: 7878, addresses: [], passwordRequired: true, announcedAs: null, fingerprint: FP, plainGuests });
    tr.host = hostStub(info(false), {
      setPlainGuests: async (allow) => {
        asked.push(allow);
        return info(allow);
      },
    });
    const app = new ChatApp(tr, notifier);
    await app.startHosting(7878, 'pw');
    expect(app.session.hosting?.plainGuests).toBe(false);
    await app.setPlainGuests(true);
    expect(asked).toEqual([true]);
    expect(app.session.hosting?.plainGuests).toBe(true);
    await app.setPlainGuests(false);
    expect(asked).toEqual([true, false]);
    expect(app.session.hosting?.plainGuests).toBe(false);
  });

  it('remembers the server name with a recent server', async () => {
    const app = new ChatApp(new ScriptedTransport(), notifier);
    await app.joinServer({ url: 'http://10.0.0.2:7878', hostPort: '10.0.0.2:7878', room: 'ops' });
    expect(JSON.parse(localStorage.getItem('lanchat.recentServers') ?? '[]')[0]).toMatchObject({
      address: '10.0.0.2:7878',
      room: 'ops',
      name: 'box',
    });
  });

  it('leaving a room tells the server and moves to the next room', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://h:1', hostPort: 'h:1', room: 'a' });
    await app.joinRoom('b');
    expect(app.chat.active).toBe('b');
    await app.leaveRoom('b');
    expect(tr.calls.at(-1)).toBe('leave b');
    expect(app.chat.active).toBe('a');
  });
});

describe('ChatApp files', () => {
  const pick = (...names: string[]) => names.map((n) => new File([new Uint8Array(100)], n, { type: 'application/pdf' }));
  const settle = () => new Promise((r) => setTimeout(r, 0));
  const rows = (app: ChatApp) => findRoom(app.chat, 'lobby')!.uploads.map((u) => `${u.name}:${u.status}`);

  it('uploads two at a time in the order picked; a row goes when its file message arrives', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://h:1', hostPort: 'h:1', room: 'lobby' });
    expect(app.sendFiles(pick('a.pdf', 'b.pdf', 'c.pdf'))).toBe(true);
    expect(tr.calls.filter((c) => c.startsWith('upload'))).toEqual(['upload lobby a.pdf', 'upload lobby b.pdf']);
    expect(rows(app)).toEqual(['a.pdf:preparing', 'b.pdf:preparing', 'c.pdf:queued']);

    tr.uploads[0].progress(100, 100);
    expect(rows(app)[0]).toBe('a.pdf:sending');
    // The window's handing over before the upload proper is its own phase, with its own bar.
    tr.uploads[1].progress(60, 100, 'preparing');
    expect(findRoom(app.chat, 'lobby')!.uploads[1]).toMatchObject({ status: 'preparing', sent: 60 });
    tr.uploads[0].finish({ id: 'm9', seq: 9, ts: 9, duplicate: false });
    await settle();
    expect(tr.calls.at(-1)).toBe('upload lobby c.pdf');
    expect(rows(app)).toEqual(['a.pdf:done', 'b.pdf:preparing', 'c.pdf:preparing']);
    tr.emit({ type: 'message', id: 'm9', room: 'lobby', seq: 9, ts: 9, kind: 'file', nickName: 'me', message: '📎 a.pdf (100 B)' });
    expect(rows(app)).toEqual(['b.pdf:preparing', 'c.pdf:preparing']);
  });

  it('shows a refusal on the row; Retry sends again, Remove forgets it; Cancel aborts the transfer', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://h:1', hostPort: 'h:1', room: 'lobby' });
    app.sendFiles(pick('big.iso', 'small.pdf'));
    const [id1, id2] = findRoom(app.chat, 'lobby')!.uploads.map((u) => u.id);
    tr.uploads[0].fail(new TransportError('file_too_large', 'over the limit'));
    await settle();
    expect(findRoom(app.chat, 'lobby')!.uploads[0]).toMatchObject({ status: 'failed', error: { code: 'file_too_large' } });
    app.files.retry('lobby', id1);
    expect(tr.calls.at(-1)).toBe('upload lobby big.iso');
    app.files.cancel('lobby', id2);
    expect(tr.uploads[1].signal.aborted).toBe(true);
    await settle();
    expect(rows(app)).toEqual(['big.iso:preparing']);
    tr.uploads[2].fail(new TransportError('quota_exceeded', 'full'));
    await settle();
    app.files.cancel('lobby', id1);
    expect(rows(app)).toEqual([]);
  });

  it('stops uploads to a room it leaves, and sends nothing without a live room', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://h:1', hostPort: 'h:1', room: 'lobby' });
    app.sendFiles(pick('a.pdf'));
    await app.leaveRoom('lobby');
    expect(tr.uploads[0].signal.aborted).toBe(true);
    expect(app.sendFiles(pick('b.pdf'))).toBe(false);
    expect(app.fileUrl('/files/x')).toBe('http://box:7878/files/x');
  });
});

describe('ChatApp history and search', () => {
  it('jumps to a message that is not loaded: the page around it, then the focus', async () => {
    const tr = new ScriptedTransport();
    const app = new ChatApp(tr, notifier);
    await app.joinServer({ url: 'http://box:7878', hostPort: 'box:7878', room: 'lobby' });
    tr.pages.push({
      room: 'lobby',
      messages: [{ id: 'x', room: 'lobby', seq: 0, ts: 1, kind: 'chat', nickName: 'bob', message: 'first' }],
      more: false,
      moreAfter: true,
    });
    const found = await app.search('lobby', 'old');
    expect(found.results[0].seq).toBe(1);
    await app.jumpTo('lobby', 0);
    expect(tr.calls).toContain('history lobby {"around":0} 50');
    expect(app.focus).toMatchObject({ room: 'lobby', seq: 0 });
    // Loaded already: no page, just the focus.
    await app.jumpTo('lobby', 1);
    expect(tr.calls.filter((c) => c.startsWith('history'))).toHaveLength(1);
    expect(app.focus).toMatchObject({ seq: 1 });
  });

  it('remembers the last message read per server and room', async () => {
    const app = new ChatApp(new ScriptedTransport(), notifier);
    await app.joinServer({ url: 'http://box:7878', hostPort: 'box:7878', room: 'lobby' });
    expect(app.lastRead('lobby')).toBeNull();
    app.markRead('lobby', 42);
    expect(app.lastRead('lobby')).toBe(42);
    expect(new ChatApp(new ScriptedTransport(), notifier).lastRead('lobby')).toBeNull();
  });
});
