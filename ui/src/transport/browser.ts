//! The browser guest's transport: socket.io-client straight to the room server, turning protocol
//! events into `ClientEvent`s. Its job beyond mapping is a lossless reconnect: after any reconnect
//! it rejoins each room with `since` = the last seq seen, and only then lets that room's queued
//! sends go out again (delivery.ts drops replays and resends with the same `clientId`), so every
//! message arrives exactly once and in order. In a cluster, when its node does not take it back
//! after a couple of tries, it moves to another node (nodes.ts says which) and resumes the same way.

import { io } from 'socket.io-client';
import { isServerPath } from '../chat/files';
import { randomId, storedUserKey, tabSessionId } from '../ids';
import {
  applyPresence,
  C2S,
  type C2SEvents,
  type HistoryPayload,
  CONNECT_ERRORS,
  type HandshakeAuth,
  type JoinRoomPayload,
  S2C,
  type S2CEvents,
} from '../protocol';
import { ackError, Delivery, type RoomSync } from './delivery';
import { NodeRing } from './nodes';
import { DEFAULT_TIMING, type Http, upload, type UploadTiming, xhrHttp } from './upload';
import {
  type ClientEvent,
  type ConnState,
  type ConnectOptions,
  type JoinAck,
  type ServerInfo,
  type Transport,
  TransportError,
} from './types';

/** The part of a socket.io-client `Socket` this transport uses; tests pass a fake. */
export interface SocketLike {
  readonly connected: boolean;
  /** socket.io-client: true while it will keep trying to (re)connect by itself. */
  readonly active: boolean;
  on(event: string, fn: (...args: any[]) => void): unknown;
  emit(event: string, ...args: any[]): unknown;
  connect(): unknown;
  disconnect(): unknown;
}

export type SocketFactory = (url: string, auth: HandshakeAuth) => SocketLike;

export interface BrowserTransportOptions {
  /** Creates the socket; defaults to socket.io-client. */
  socketFactory?: SocketFactory;
  /** Where to connect when `connect()` gets no address; defaults to the page's origin. */
  defaultAddress?: string;
  sessionId?: string;
  /** The user key sent as `auth.userKey`; defaults to the one kept in localStorage. */
  userKey?: string;
  /** How long to wait for an ack before resending (sends) or giving up (joins). */
  ackTimeoutMs?: number;
  /** Looks up `GET /api/info`; defaults to fetch. Returning null means "unknown". */
  fetchInfo?: (address: string) => Promise<ServerInfo | null>;
  /** HTTP for file uploads; defaults to XMLHttpRequest. */
  http?: Http;
  uploadTiming?: UploadTiming;
}

/** Pause before reconnecting after the server closed the connection itself. */
const SERVER_DISCONNECT_RETRY_MS = 1000;

/**
 * Failed reconnects to its node before a guest in a cluster moves to another node: one failure can
 * be a blip (socket.io's first retry comes after ~0.5 s), two in a row (~1.5 s) mean it is gone.
 */
export const FAILOVER_AFTER = 2;

/**
 * How often a guest of a cluster asks its page's node for the node list again (besides after each
 * reconnect), so that a node that joins later is known before the guest's own node dies.
 */
export const NODES_REFRESH_MS = 30_000;

const defaultSocketFactory: SocketFactory = (url, auth) =>
  io(url, {
    auth: { ...auth },
    // WebSocket only: no long-polling upgrade dance on a LAN, and it works cross-origin without
    // CORS (for `?server=` in dev and e2e builds).
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });

/** `/api/info` as the server sent it, or null if it is not that shape (another kind of server). */
function parseInfo(v: unknown): ServerInfo | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o.server !== 'string' || typeof o.name !== 'string') return null;
  const rooms = Array.isArray(o.rooms) ? o.rooms : [];
  // A cluster's nodes (absent on a single host): only entries with an http(s) address.
  const nodes = (Array.isArray(o.nodes) ? o.nodes : [])
    .filter((n): n is { id?: unknown; url: string; connections?: unknown } => Boolean(n) && typeof n.url === 'string' && /^https?:\/\//.test(n.url))
    .map((n) => ({ id: Number(n.id) || 0, url: n.url, connections: Number(n.connections) || 0 }));
  return {
    server: o.server,
    name: o.name,
    version: typeof o.version === 'string' ? o.version : '',
    passwordRequired: Boolean(o.passwordRequired),
    rooms: rooms
      .filter((r): r is { name: string; members?: unknown } => Boolean(r) && typeof r.name === 'string')
      .map((r) => ({ name: r.name, members: Number(r.members) || 0 })),
    ...(nodes.length ? { nodes } : {}),
  };
}

async function defaultFetchInfo(address: string): Promise<ServerInfo | null> {
  // The server sends no CORS headers; a cross-origin page (`?server=` in dev) would only log errors.
  if (typeof location !== 'undefined' && new URL(address).origin !== location.origin) return null;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 3000);
  try {
    const res = await fetch(new URL('/api/info', address), { signal: ctl.signal });
    if (!res.ok) return null;
    return parseInfo(await res.json());
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

export function createBrowserTransport(opts: BrowserTransportOptions = {}): Transport {
  const socketFactory = opts.socketFactory ?? defaultSocketFactory;
  const ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
  const fetchInfo = opts.fetchInfo ?? defaultFetchInfo;
  const sessionId =
    opts.sessionId ?? tabSessionId(typeof sessionStorage === 'undefined' ? null : sessionStorage);
  const userKey = opts.userKey ?? storedUserKey(typeof localStorage === 'undefined' ? null : localStorage);

  const listeners = new Set<(ev: ClientEvent) => void>();
  /** Rejects of requests awaiting an ack on the current connection. */
  const inflight = new Set<(e: TransportError) => void>();
  let socket: SocketLike | null = null;
  let nickName = '';
  /** `http://host:port` of the current connection: file links and uploads are relative to it. */
  let base: string | null = null;
  /** The handshake's auth, kept to open a socket on another node of the cluster. */
  let auth: HandshakeAuth = { sessionId, userKey };
  /** The cluster's nodes and which to try next (a single host: just that one). */
  let ring: NodeRing | null = null;
  /** The address the page joined (its own origin, normally): where the node list is asked. */
  let home: string | null = null;
  /** Asks for the node list every NODES_REFRESH_MS while in a cluster. */
  let refreshTimer: ReturnType<typeof setInterval> | null = null;

  const dispatch = (ev: ClientEvent) => {
    for (const cb of listeners) {
      try {
        cb(ev);
      } catch (e) {
        console.error('lanchat: event listener failed', e);
      }
    }
  };
  const setState = (state: ConnState, reason?: string) =>
    dispatch(reason ? { type: 'state', state, reason } : { type: 'state', state });

  /** Refreshes the node list from the page's own node (kept as it was if that one is gone). */
  function learnNodes() {
    const r = ring;
    if (!r || !home) return;
    fetchInfo(home).then((info) => {
      if (info?.nodes && ring === r) r.learn(info.nodes.map((n) => n.url));
    });
  }

  /** The node does not take us back: open a socket on the next node of the cluster, if any. */
  function failOver(from: SocketLike): boolean {
    const r = ring;
    if (!r || socket !== from) return false;
    const was = r.current();
    const next = r.failed();
    if (next === was) return false;
    socket = socketFactory(next, auth);
    base = new URL(next).origin;
    wire(socket, () => {}, true);
    from.disconnect();
    setState('reconnecting', `moving to ${new URL(next).host}`);
    return true;
  }

  const delivery = new Delivery(
    {
      connected: () => Boolean(socket?.connected),
      emit: (event, payload, ack) => socket?.emit(event, payload, ack),
    },
    dispatch,
    ackTimeoutMs,
  );
  const rooms = delivery.rooms;
  /** Each joined room's members: whole from the join ack, then kept by `presence` deltas. */
  const members = new Map<string, string[]>();

  /** Each joined room's members on an unencrypted link (from the ack, then `presence`). */
  const unencrypted = new Map<string, string[]>();

  function setMembers(room: string, list: string[], plain?: string[]) {
    members.set(room, list);
    const kept = (plain ?? unencrypted.get(room) ?? []).filter((n) => list.includes(n));
    unencrypted.set(room, kept);
    // Absent when empty, as on the wire.
    dispatch(kept.length ? { type: 'members', room, members: list, unencrypted: kept } : { type: 'members', room, members: list });
  }

  /** Emits with an ack; rejects on an `{ok:false}` ack, on timeout, or if the connection drops. */
  function request<E extends keyof C2SEvents>(event: E, payload: C2SEvents[E]['payload']): Promise<Partial<C2SEvents[E]['ack']>> {
    type T = Partial<C2SEvents[E]['ack']>;
    const s = socket;
    if (!s || !s.connected) {
      return Promise.reject(new TransportError('not_connected', 'not connected'));
    }
    return new Promise<T>((resolve, reject) => {
      const fail = (e: TransportError) => {
        clearTimeout(timer);
        inflight.delete(fail);
        reject(e);
      };
      const timer = setTimeout(
        () => fail(new TransportError('timeout', `no answer to ${event}`)),
        ackTimeoutMs,
      );
      inflight.add(fail);
      s.emit(event, payload, (res: unknown) => {
        if (!inflight.has(fail)) return; // timed out or the connection dropped meanwhile
        clearTimeout(timer);
        inflight.delete(fail);
        const err = ackError(res);
        if (err) reject(err);
        else resolve((res ?? {}) as T);
      });
    });
  }

  /**
   * A join acked without `more`: every row up to `lastSeq` was replayed or deliberately left
   * out (a plain join replays the newest shown messages, not the edits and reactions folded into
   * them), so the next live row after it is not a gap.
   */
  function caughtUp(r: RoomSync, lastSeq: number | undefined) {
    if (typeof lastSeq === 'number' && lastSeq > r.lastSeq) r.lastSeq = lastSeq;
  }

  /** After a reconnect: back into the room from where we left off, then resume its sends. */
  function rejoin(room: string, r: RoomSync, tries = 0) {
    r.rejoining = true;
    const payload: JoinRoomPayload = { roomName: room, nickName, since: r.lastSeq };
    request(C2S.joinRoom, payload).then(
      (ack) => {
        if (rooms.get(room) !== r) return;
        r.rejoining = false;
        if (ack.members) setMembers(room, ack.members, ack.unencrypted ?? []);
        // The server cut the replay at its byte budget: the rest, from the last seq received.
        if (ack.more) return rejoin(room, r);
        caughtUp(r, ack.lastSeq);
        delivery.pump(room);
      },
      (e: TransportError) => {
        if (rooms.get(room) !== r || e.code === 'not_connected') return; // the next connect retries
        // A stale connection of ours may still hold the nickname until the server notices.
        if ((e.code === 'nick_taken' || e.code === 'timeout' || e.code === 'rate_limited') && tries < 5) {
          setTimeout(() => {
            if (rooms.get(room) === r && socket?.connected) rejoin(room, r, tries + 1);
          }, 1000 * (tries + 1));
          return;
        }
        delivery.remove(room, e.code, e.message);
        dispatch({ type: 'error', code: e.code, message: e.message, room });
      },
    );
  }

  /**
   * Maps one socket's events. `moved`: a socket opened on another node of the cluster, whose first
   * connect resumes the session (rejoins with `since`) like any reconnect.
   */
  function wire(s: SocketLike, settle: (e: TransportError | null) => void, moved = false) {
    /** A server event with its generated payload type. */
    const on = <E extends keyof S2CEvents>(event: E, fn: (p: S2CEvents[E]) => void) => s.on(event, fn);
    let everConnected = moved;
    /** Reconnects to this socket's node that failed in a row. */
    let failures = 0;
    const isCurrent = () => socket === s;

    s.on('connect', () => {
      if (!isCurrent()) return;
      failures = 0;
      ring?.connected();
      if (moved && base) {
        moved = false;
        dispatch({ type: 'state', state: 'connected', server: base });
      } else setState('connected');
      if (!everConnected) {
        everConnected = true;
        settle(null);
        return;
      }
      learnNodes();
      for (const [room, r] of rooms) if (r.joined) rejoin(room, r);
    });

    s.on('disconnect', (reason: string) => {
      if (!isCurrent()) return;
      for (const fail of [...inflight]) fail(new TransportError('not_connected', 'connection lost'));
      delivery.connectionLost();
      if (reason === 'io client disconnect') return; // our own disconnect() reports it
      if (reason === 'io server disconnect') {
        // The server closed us on purpose: it is stopping (after `serverClosing`) or dropped us for
        // lagging. socket.io gives up here; we keep trying so a restarted host finds us again.
        setState('reconnecting', reason);
        setTimeout(() => {
          if (socket === s && !s.connected) s.connect();
        }, SERVER_DISCONNECT_RETRY_MS);
        return;
      }
      setState(s.active ? 'reconnecting' : 'disconnected', reason);
    });

    s.on('connect_error', (err: { message?: string }) => {
      if (!isCurrent()) return;
      const msg = err?.message ?? '';
      const code = (CONNECT_ERRORS as readonly string[]).includes(msg) ? msg : 'connect_failed';
      if (!everConnected) {
        settle(new TransportError(code, msg));
        return;
      }
      if (code === 'connect_failed') {
        failures += 1;
        if (failures >= FAILOVER_AFTER && failOver(s)) return;
      }
      if (code !== 'connect_failed' || !s.active) {
        // Refused for good (e.g. the host changed the password): socket.io will not retry.
        dispatch({ type: 'error', code, message: msg });
        setState('disconnected', msg);
      }
    });

    // Messages and event rows (edits, deletes, reactions) share the room's seqs: one tracker.
    const onRow = (p: S2CEvents['message']) => {
      const verdict = delivery.accept(p);
      if (verdict === 'gap') {
        const r = rooms.get(p.room);
        if (r && !r.rejoining) rejoin(p.room, r);
      } else if (verdict) {
        dispatch({ type: 'message', ...p });
      }
    };
    on(S2C.message, onRow);
    on(S2C.messageUpdate, onRow);
    on(S2C.presence, (p) => {
      const list = members.get(p.room);
      if (!list || !rooms.has(p.room)) return;
      const plain = (unencrypted.get(p.room) ?? []).filter((n) => !p.joined.includes(n));
      setMembers(p.room, applyPresence(list, p), [...plain, ...(p.unencrypted ?? [])].sort());
    });
    on(S2C.typing, (p) =>
      dispatch({ type: 'typing', room: p.room, nickName: p.nickName, typing: p.typing }),
    );
    on(S2C.kicked, (p) => {
      delivery.remove(p.room, 'kicked', p.reason);
      dispatch({ type: 'kicked', room: p.room, by: p.by, reason: p.reason });
    });
    on(S2C.privateInvite, (p) => dispatch({ type: 'privateInvite', room: p.room, nickName: p.nickName, lastSeq: p.lastSeq }));
    on(S2C.serverClosing, (p) =>
      dispatch({ type: 'serverClosing', message: p.message }),
    );
    on(S2C.requestError, (p) => {
      if (p.event === C2S.typing) return; // typing is best effort; an error there is noise
      dispatch({ type: 'error', code: p.code, message: p.message });
    });
  }

  function closeSocket() {
    const s = socket;
    socket = null;
    ring = null;
    if (refreshTimer) clearInterval(refreshTimer);
    refreshTimer = null;
    for (const fail of [...inflight]) fail(new TransportError('not_connected', 'disconnected'));
    delivery.clear('not_connected', 'disconnected');
    s?.disconnect();
  }

  return {
    kind: 'browser',

    connect(o: ConnectOptions): Promise<ServerInfo> {
      closeSocket();
      nickName = o.nickName;
      const address = o.address || opts.defaultAddress || location.origin;
      base = new URL(address).origin;
      home = address;
      ring = new NodeRing(address);
      auth = { sessionId, userKey };
      if (o.password) auth.password = o.password;
      setState('connecting');
      return new Promise<ServerInfo>((resolve, reject) => {
        let settled = false;
        const s = socketFactory(address, auth);
        socket = s;
        wire(s, (err) => {
          if (settled) return;
          settled = true;
          if (err) {
            if (socket === s) socket = null;
            s.disconnect();
            setState('disconnected', err.code);
            reject(err);
            return;
          }
          fetchInfo(address).then((info) => {
            if (info?.nodes?.length && socket === s && ring) {
              ring.learn(info.nodes.map((n) => n.url));
              refreshTimer ??= setInterval(learnNodes, NODES_REFRESH_MS);
            }
            // Unknown (another origin, or no answer): only what the connection itself showed.
            resolve(info ?? { server: '', name: '', version: '', passwordRequired: Boolean(o.password), rooms: [] });
          });
        });
      });
    },

    serverInfo(address?: string): Promise<ServerInfo | null> {
      return fetchInfo(address || opts.defaultAddress || location.origin);
    },

    async join(room: string): Promise<JoinAck> {
      const r = delivery.open(room);
      const payload: JoinRoomPayload = { roomName: room, nickName };
      if (r.lastSeq > 0) payload.since = r.lastSeq;
      try {
        const ack = await request(C2S.joinRoom, payload);
        r.joined = true;
        members.set(room, ack.members ?? []);
        unencrypted.set(room, ack.unencrypted ?? []);
        if (ack.more) rejoin(room, r);
        else {
          caughtUp(r, ack.lastSeq);
          delivery.pump(room);
        }
        return {
          room: ack.room ?? room,
          nickName: ack.nickName ?? nickName,
          lastSeq: ack.lastSeq ?? r.lastSeq,
          members: ack.members ?? [],
          ...(ack.userId ? { userId: ack.userId } : {}),
          ...(ack.unencrypted?.length ? { unencrypted: ack.unencrypted } : {}),
        };
      } catch (e) {
        if (!r.joined && rooms.get(room) === r) rooms.delete(room);
        throw e;
      }
    },

    async leave(room: string): Promise<void> {
      delivery.remove(room, 'not_in_room', 'left the room');
      if (socket?.connected) await request(C2S.leaveRoom, { room });
    },

    send(room: string, message: string, clientId: string, replyTo?: number): Promise<void> {
      return delivery.enqueue(room, message, clientId, replyTo);
    },

    async edit(room, seq, message) {
      await request(C2S.editMessage, { room, seq, message });
    },

    async deleteMessage(room, seq) {
      await request(C2S.deleteMessage, { room, seq });
    },

    async react(room, seq, emoji, on) {
      await request(C2S.react, { room, seq, emoji, on });
    },

    async openPrivate(room, nickName) {
      const ack = await request(C2S.openPrivate, { room, nickName });
      if (!ack.room) throw new TransportError('unknown', 'the host sent no private room');
      return { room: ack.room, nickName: ack.nickName ?? nickName };
    },

    async typing(room: string, typing: boolean): Promise<void> {
      const r = rooms.get(room);
      if (socket?.connected && r?.joined && !r.rejoining) {
        const payload: C2SEvents['typing']['payload'] = { room, typing };
        socket.emit(C2S.typing, payload);
      }
    },

    async history(room, at, limit) {
      const ack = await request(C2S.history, { room, ...at, ...(limit ? { limit } : {}) } as HistoryPayload);
      return { room: ack.room ?? room, messages: ack.messages ?? [], more: Boolean(ack.more), moreAfter: Boolean(ack.moreAfter) };
    },

    async search(room, q, limit) {
      const ack = await request(C2S.search, { room, q, ...(limit ? { limit } : {}) });
      return { room: ack.room ?? room, results: ack.results ?? [], more: Boolean(ack.more) };
    },

    uploadFile(room, file, onProgress, signal) {
      const address = base;
      if (!address) return Promise.reject(new TransportError('not_connected', 'not connected'));
      const payload: C2SEvents['fileUpload']['payload'] = {
        room,
        name: file.name || 'file',
        size: file.size,
        clientId: randomId(),
      };
      if (file.type) payload.mime = file.type;
      const ticket = () => {
        // Only a member gets a ticket: while the room is being rejoined after a reconnect,
        // asking would be refused, so it counts as not connected yet (the upload waits).
        const r = rooms.get(room);
        if (!r) return Promise.reject(new TransportError('not_in_room', `not in ${room}`));
        if (!socket?.connected || !r.joined || r.rejoining) {
          return Promise.reject(new TransportError('not_connected', 'not connected'));
        }
        return request(C2S.fileUpload, payload);
      };
      return upload({ ticket, http: opts.http ?? xhrHttp, base: address }, file, onProgress, signal, opts.uploadTiming ?? DEFAULT_TIMING);
    },

    fileUrl(path) {
      return base && isServerPath(path) ? base + path : null;
    },

    async disconnect(): Promise<void> {
      const had = socket !== null;
      closeSocket();
      if (had) setState('disconnected');
    },

    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
}
