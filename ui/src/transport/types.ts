//! The one seam between the app and the network: a `Transport` that the Tauri window implements
//! with IPC commands (tauri.ts) and the browser guest with socket.io-client (browser.ts). App code
//! imports only this file, so it cannot tell the two apart. Shapes follow docs/ipc.md.

import type { ClientEvent, FoundHost, HostInfo, JoinAck, ServerInfo } from '../generated/protocol';

// What crosses this seam from Rust — `client_connect`'s ServerInfo, `client_join`'s JoinAck, the
// `Channel`'s ClientEvents — is generated from the Rust types; the browser transport builds the
// same values from the protocol's events.
export type { ClientEvent, ConnState, JoinAck, ServerInfo } from '../generated/protocol';

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
  setPassword(password: string | null): Promise<HostInfo>;
  /** The host panel's switch: announce on the LAN or stop. Rejects with `discovery_off`… */
  setAnnounce(announce: boolean): Promise<HostInfo>;
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
  send(room: string, message: string, clientId: string): Promise<void>;
  typing(room: string, typing: boolean): Promise<void>;
  disconnect(): Promise<void>;
  onEvent(cb: (ev: ClientEvent) => void): () => void;
  host?: HostControls;
  discovery?: Discovery;
}
