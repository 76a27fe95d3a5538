//! What the browser transport remembers per room so that nothing is lost or doubled across
//! reconnects: the last seq delivered (anything at or below it is a replay and dropped), and an
//! outbox of sends that go out one at a time, in order, and are retried with the same `clientId`
//! (the server dedupes) until acked. The socket is reached only through `Wire`, so this is plain
//! logic; browser.ts decides when a room is ready (joined, not rejoining).

import { C2S, type Message, type SendMessagePayload } from '../protocol';
import { type ClientEvent, TransportError } from './types';

/** How many times a `rate_limited` send is retried (with growing pauses) before it fails. */
const RATE_LIMIT_RETRIES = 8;
const RATE_LIMIT_PAUSE_MS = 500;

/** The socket as seen from here. */
export interface Wire {
  connected(): boolean;
  emit(event: typeof C2S.sendMessage, payload: SendMessagePayload, ack: (res: unknown) => void): void;
}

/** A send waiting for its ack. `attempt` tells the current try's ack from an abandoned one's. */
interface Outgoing {
  clientId: string;
  message: string;
  replyTo?: number;
  attempt: number;
  retries: number;
  resolve: () => void;
  reject: (e: TransportError) => void;
}

export interface RoomSync {
  /** Highest seq delivered to the app; anything at or below it is a duplicate. */
  lastSeq: number;
  /** The first join was acked; only such rooms are rejoined after a reconnect. */
  joined: boolean;
  /** A rejoin is in flight: sends wait until it is acked so the server knows we are in. */
  rejoining: boolean;
  /** Sends in order; the head is the one on the wire while `sending`. */
  outbox: Outgoing[];
  sending: boolean;
}

/** The error of an `{ok:false}` ack, or null for a success (or a legacy server's bare ack). */
export function ackError(res: unknown): TransportError | null {
  if (res && typeof res === 'object' && (res as { ok?: unknown }).ok === false) {
    const err = (res as { error?: { code?: string; message?: string } }).error ?? {};
    return new TransportError(err.code ?? 'unknown', err.message ?? '');
  }
  return null;
}

export class Delivery {
  readonly rooms = new Map<string, RoomSync>();
  private attempts = 0;

  constructor(
    private readonly wire: Wire,
    private readonly report: (ev: ClientEvent) => void,
    private readonly ackTimeoutMs: number,
  ) {}

  /** The room's state, created (not yet joined) if new. */
  open(room: string): RoomSync {
    let r = this.rooms.get(room);
    if (!r) {
      r = { lastSeq: 0, joined: false, rejoining: false, outbox: [], sending: false };
      this.rooms.set(room, r);
    }
    return r;
  }

  /** Forgets a room; its queued sends fail with `code` (reported per clientId). */
  remove(room: string, code: string, message: string): void {
    const r = this.rooms.get(room);
    if (!r) return;
    this.rooms.delete(room);
    for (const item of r.outbox.splice(0)) {
      item.reject(new TransportError(code, message));
      this.report({ type: 'error', code, message, room, clientId: item.clientId });
    }
  }

  clear(code: string, message: string): void {
    for (const room of [...this.rooms.keys()]) this.remove(room, code, message);
  }

  /** The connection dropped: whatever was on the wire goes again after the rejoin. */
  connectionLost(): void {
    for (const r of this.rooms.values()) {
      r.sending = false;
      r.rejoining = false;
    }
  }

  /**
   * Whether a `message` (or `messageUpdate`: edits, deletes and reactions carry seqs in the
   * same sequence) is new; a new one of ours also settles its queued send.
   */
  accept(p: Message): boolean | 'gap' {
    const r = this.rooms.get(p.room);
    if (!r) return true; // not tracked (e.g. a legacy broadcast): pass it on
    if (p.seq <= r.lastSeq) return false;
    // A live message that skips seqs means we missed some (the server dropped them for a lagging
    // connection): hold it back and resync with `since`; the replay brings it again, in order.
    // Replayed history is authoritative (seqs a failed store never used may be missing there).
    if (!p.history && r.joined && !r.rejoining && r.lastSeq > 0 && p.seq > r.lastSeq + 1) return 'gap';
    r.lastSeq = p.seq;
    if (p.clientId) {
      // Our own message came back, maybe as history after a reconnect that ate its ack. The head
      // on the wire is left to its ack, which will come (or be a duplicate on resend).
      const i = r.outbox.findIndex((o) => o.clientId === p.clientId);
      if (i > 0 || (i === 0 && !r.sending)) r.outbox.splice(i, 1)[0].resolve();
    }
    return true;
  }

  enqueue(room: string, message: string, clientId: string, replyTo?: number): Promise<void> {
    const r = this.rooms.get(room);
    if (!r) return Promise.reject(new TransportError('not_in_room', `not in ${room}`));
    return new Promise<void>((resolve, reject) => {
      r.outbox.push({ clientId, message, replyTo, attempt: 0, retries: 0, resolve, reject });
      this.pump(room);
    });
  }

  /** Puts the head of a room's outbox on the wire when the room is ready for it. */
  pump(room: string): void {
    const r = this.rooms.get(room);
    if (!r || !this.wire.connected() || !r.joined || r.rejoining || r.sending) return;
    const item = r.outbox[0];
    if (!item) return;
    r.sending = true;
    const attempt = ++this.attempts;
    item.attempt = attempt;
    const current = () => this.rooms.get(room) === r && r.outbox[0] === item && item.attempt === attempt;
    const timer = setTimeout(() => {
      if (!current()) return;
      r.sending = false; // no ack in time: send again, the server dedupes by clientId
      this.pump(room);
    }, this.ackTimeoutMs);
    const payload: SendMessagePayload = { room, message: item.message, clientId: item.clientId };
    if (item.replyTo !== undefined) payload.replyTo = item.replyTo;
    this.wire.emit(C2S.sendMessage, payload, (res) => {
      clearTimeout(timer);
      if (!current()) return;
      r.sending = false;
      const err = ackError(res);
      if (!err) {
        r.outbox.shift();
        item.resolve();
      } else if (err.code === 'rate_limited' && item.retries < RATE_LIMIT_RETRIES) {
        item.retries += 1;
        item.attempt = 0;
        setTimeout(() => this.pump(room), RATE_LIMIT_PAUSE_MS * item.retries);
        return;
      } else {
        r.outbox.shift();
        item.reject(err);
        this.report({ type: 'error', code: err.code, message: err.message, room, clientId: item.clientId });
      }
      this.pump(room);
    });
  }
}
