//! The one seam between the app and the network: a `Transport` that the Tauri window implements
//! with IPC commands (tauri.ts) and the browser guest with socket.io-client (browser.ts). App code
//! imports only this file, so it cannot tell the two apart. Shapes follow docs/ipc.md.

import type { ClientEvent, FileMeta, FoundHost, HistoryPage, HostInfo, JoinAck, Message, PrivateOpened, RoomOverview, SearchResults, SendAck, ServerInfo } from '../generated/protocol';

// What crosses this seam from Rust — `client_connect`'s ServerInfo, `client_join`'s JoinAck, the
// `Channel`'s ClientEvents — is generated from the Rust types; the browser transport builds the
// same values from the protocol's events.
export type { ClientEvent, ConnState, FileMeta, HistoryPage, JoinAck, Message, PrivateOpened, RoomOverview, SearchHit, SearchResults, SendAck, ServerInfo } from '../generated/protocol';

/** Where a page of history is anchored (docs/protocol.md, `history`). */
export type PageAt = { before: number } | { after: number } | { around: number };

/** A room message as a `ClientEvent`. */
export type MessageEvent = Extract<ClientEvent, { type: 'message' }>;

export interface ConnectOptions {
  /** `http://host:port`. Browser guests may omit it: they use the page's own origin. */
  address?: string;
  nickName: string;
  password?: string;
}

/** `host_start` / `host_status` (docs/ipc.md), generated from the Rust type. */
export type { HostInfo } from '../generated/protocol';

/** A host found on the LAN (docs/protocol.md "Discovery"), generated from the Rust type. */
export type { FoundHost } from '../generated/protocol';

/** What every transport call rejects with: the `{code, message}` shape of docs/ipc.md. */
export class TransportError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message || code);
    this.name = 'TransportError';
    this.code = code;
  }
}

/** Turns anything a promise rejected with (IPC error object, Error, string) into a TransportError. */
export function toTransportError(e: unknown): TransportError {
  if (e instanceof TransportError) return e;
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    const { code, message } = e as { code: string; message?: unknown };
    return new TransportError(code, typeof message === 'string' ? message : code);
  }
  if (e instanceof Error) return new TransportError('unknown', e.message);
  return new TransportError('unknown', String(e));
}

/** Hosting a room server on this computer; only the desktop window has it. */
export interface HostControls {
  suggestPort(): Promise<number>;
  /** `announce`: let people on the LAN find it (mDNS); on unless false. */
  start(port: number, password: string | null, announce?: boolean): Promise<HostInfo>;
  stop(): Promise<void>;
  status(): Promise<HostInfo | null>;
  kick(room: string, nickName: string): Promise<void>;
  /** Every occupied room on the hosted server with its members (the moderation view). */
  rooms(): Promise<RoomOverview[]>;
  /** Deletes anyone's message in a room this window hosts (moderation). */
  deleteMessage(room: string, seq: number): Promise<void>;
  /** Clears a hosted room's history for everyone (moderation). */
  clearRoom(room: string): Promise<void>;
  /** A hosted room's newest messages, for the moderation view (rooms this window never joined too). */
  roomMessages(room: string): Promise<Message[]>;
  setPassword(password: string | null): Promise<HostInfo>;
  /** The host panel's switch: announce on the LAN or stop. Rejects with `discovery_off`… */
  setAnnounce(announce: boolean): Promise<HostInfo>;
  /**
   * The host panel's switch: let browsers join over plain http:// from now on, or refuse new
   * ones (those connected stay). Overrides the default ("only while no password is set").
   */
  setPlainGuests(allow: boolean): Promise<HostInfo>;
}

/**
 * Looking for hosts on the LAN (mDNS, done in Rust). Only the desktop window has it: a browser
 * guest is already on a host's page.
 */
export interface Discovery {
  /**
   * Starts looking. `onHosts` gets the whole list at once and after every change. Resolves to a
   * function that stops looking; rejects with `discovery_off` (turned off on this computer) or
   * `discovery_failed`.
   */
  browse(onHosts: (hosts: FoundHost[]) => void): Promise<() => void>;
}

/**
 * A transfer's progress: bytes done out of `total`. Called often; throttle before rendering.
 * `preparing`: the bytes are being handed to the window's Rust side before the upload proper
 * (the window's staging; the browser has no such step).
 */
export type OnProgress = (done: number, total: number, phase?: 'preparing') => void;

/** What a cancelled upload rejects with. */
export const CANCELLED = 'cancelled';

/**
 * The window's downloads (docs/ipc.md): into the user's Downloads folder through the Rust
 * client (a broken download resumes), then open the file or show it in its folder. A browser
 * has none of this: its file cards are plain download links.
 */
export interface DownloadControls {
  /** Saves a file message's file; resolves to the path it was saved under. */
  save(file: FileMeta, onProgress: OnProgress): Promise<string>;
  open(path: string): Promise<void>;
  reveal(path: string): Promise<void>;
}

export interface Transport {
  readonly kind: 'tauri' | 'browser';
  /** Opens the connection; rejects with `password_required`, `bad_password`, `connect_failed`… */
  connect(opts: ConnectOptions): Promise<ServerInfo>;
  /**
   * What `GET /api/info` says about a server (name, password, public rooms) without joining it.
   * Null when it cannot be asked (another origin, no answer, or the window, which has no command
   * for it yet).
   */
  serverInfo(address?: string): Promise<ServerInfo | null>;
  join(room: string): Promise<JoinAck>;
  leave(room: string): Promise<void>;
  /**
   * Hands a message to the transport. It is delivered at least once (resent with the same
   * `clientId` across reconnects; the server dedupes) — the server's copy arrives as a
   * `message` event carrying `clientId`. Rejects if it can never be delivered.
   */
  send(room: string, message: string, clientId: string, replyTo?: number): Promise<void>;
  /**
   * Conversations (docs/protocol.md): change our message's text, delete our message, add or take
   * back a reaction. Each resolves once the host stored the change (its event row then arrives
   * as a `message` event with `target`); rejects with `not_author`, `no_such_message`,
   * `message_deleted`, `too_many_reactions`, `invalid_emoji`…
   */
  edit(room: string, seq: number, message: string): Promise<void>;
  deleteMessage(room: string, seq: number): Promise<void>;
  react(room: string, seq: number, emoji: string, on: boolean): Promise<void>;
  /** The private room with `nickName`, who is in `room` with us (join it next). */
  openPrivate(room: string, nickName: string): Promise<PrivateOpened>;
  typing(room: string, typing: boolean): Promise<void>;
  /**
   * A page of a joined room's past (docs/protocol.md, `history`): at most `limit` messages
   * (default 50, max 100) before, after or around a seq, oldest first, with `more` (older exist)
   * and `moreAfter` (newer exist). Members only: rejects with `not_in_room` otherwise.
   */
  history(room: string, at: PageAt, limit?: number): Promise<HistoryPage>;
  /** Full-text search in a joined room, newest first (docs/protocol.md, `search`). */
  search(room: string, q: string, limit?: number): Promise<SearchResults>;
  /**
   * Sends a file to `room` (docs/protocol.md, "Files"): a ticket from the host, then the bytes,
   * continued from the host's offset after a cut. Resolves with the ack of the file message the
   * host posts once the file is stored (the message itself arrives as a `message` event).
   * Aborting `signal` cancels it (the host drops what arrived) and rejects with `cancelled`.
   */
  uploadFile(room: string, file: File, onProgress: OnProgress, signal: AbortSignal): Promise<SendAck>;
  /**
   * A path from a file message (`/files/…`, `/thumbs/…`) as a URL this page can load from the
   * server it is connected to; null when it is not such a path or there is no server.
   */
  fileUrl(path: string): string | null;
  /** Saving files to disk: only the window has it. */
  downloads?: DownloadControls;
  disconnect(): Promise<void>;
  onEvent(cb: (ev: ClientEvent) => void): () => void;
  host?: HostControls;
  discovery?: Discovery;
}
