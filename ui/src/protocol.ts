//! The UI's mirror of docs/protocol.md: Socket.IO event names, payload shapes and error codes of
//! the room server, written once here. Only transport/browser.ts speaks them on the wire; the rest
//! of the app sees `ClientEvent`s (transport/types.ts).

/** Client → server event names. */
export const C2S = {
  joinRoom: 'joinRoom',
  sendMessage: 'sendMessage',
  leaveRoom: 'leaveRoom',
  typing: 'typing',
  ping: 'ping',
} as const;

/** Server → client event names. */
export const S2C = {
  message: 'message',
  presence: 'presence',
  typing: 'typing',
  requestError: 'requestError',
  kicked: 'kicked',
  serverClosing: 'serverClosing',
} as const;

/** Handshake `auth` object. */
export interface HandshakeAuth {
  password?: string;
  sessionId?: string;
}

/** `connect_error` messages the server uses to refuse a connection. */
export const CONNECT_ERRORS = ['password_required', 'bad_password', 'server_full'] as const;
export type ConnectErrorMessage = (typeof CONNECT_ERRORS)[number];

export type MessageKind = 'chat' | 'join' | 'leave' | 'kick' | 'system';

// ---- client → server payloads ----

export interface JoinRoomPayload {
  roomName: string;
  nickName: string;
  since?: number;
}

export interface SendMessagePayload {
  room: string;
  nickName?: string;
  message: string;
  clientId?: string;
}

export interface LeaveRoomPayload {
  room: string;
}

export interface TypingPayload {
  room: string;
  typing: boolean;
}

// ---- server → client payloads ----

export interface MessagePayload {
  id: string;
  room: string;
  seq: number;
  ts: number;
  kind: MessageKind;
  nickName: string;
  message: string;
  clientId?: string;
  history?: boolean;
}

/** `presence`: who joined and who left a room since the last one. */
export interface PresencePayload {
  room: string;
  joined: string[];
  left: string[];
}

/** A member list (from the join ack) with a `presence` delta applied: sorted, no repeats. */
export function applyPresence(members: readonly string[], p: PresencePayload): string[] {
  const gone = new Set(p.left);
  const next = new Set(members.filter((n) => !gone.has(n)));
  for (const n of p.joined) next.add(n);
  return [...next].sort();
}

export interface TypingEventPayload {
  room: string;
  nickName: string;
  typing: boolean;
}

export interface RequestErrorPayload {
  event: string;
  code: ErrorCode | string;
  message: string;
}

export interface KickedPayload {
  room: string;
  by: string;
  reason: string;
}

export interface ServerClosingPayload {
  message: string;
}

// ---- acks ----

export interface WireError {
  code: ErrorCode | string;
  message: string;
}

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: WireError };

export interface JoinAckPayload {
  room: string;
  nickName: string;
  lastSeq: number;
  members: string[];
}

export interface SendAckPayload {
  id: string;
  seq: number;
  ts: number;
  duplicate: boolean;
}

export interface LeaveAckPayload {
  room: string;
}

// ---- error codes ----

export const ERROR_CODES = [
  'invalid_payload',
  'invalid_room',
  'invalid_nick',
  'invalid_message',
  'message_too_long',
  'invalid_client_id',
  'nick_taken',
  'not_in_room',
  'too_many_rooms',
  'rate_limited',
  'kicked',
  'unknown_event',
  'storage_failed',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra codes that only cross the desktop IPC boundary (docs/ipc.md). */
export const IPC_ERROR_CODES = [
  'port_in_use',
  'not_connected',
  'not_hosting',
  'connect_failed',
  'bad_password',
  'password_required',
] as const;

/** Limits the server enforces; the UI checks them first to give instant feedback. */
export const LIMITS = {
  roomName: 64,
  nickName: 32,
  clientId: 64,
  message: 4000,
} as const;

/** The port the desktop app suggests when it is free. */
export const DEFAULT_PORT = 7878;

/** Unicode code points, as the server (Rust `chars()`) counts them. */
export function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// Control characters (C0, DEL, C1). Messages may still contain newline and tab.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_NL_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** The server's `invalid_room` rule; returns the error code or null when valid. */
export function checkRoomName(name: string): 'invalid_room' | null {
  const t = name.trim();
  return t === '' || charCount(t) > LIMITS.roomName || CONTROL.test(t) ? 'invalid_room' : null;
}

/** The server's `invalid_nick` rule. */
export function checkNickName(nick: string): 'invalid_nick' | null {
  const t = nick.trim();
  return t === '' || charCount(t) > LIMITS.nickName || CONTROL.test(t) ? 'invalid_nick' : null;
}

/** The server's `invalid_message` / `message_too_long` rules (with the default limit). */
export function checkMessage(message: string): 'invalid_message' | 'message_too_long' | null {
  if (message.trim() === '' || CONTROL_EXCEPT_NL_TAB.test(message)) return 'invalid_message';
  return charCount(message) > LIMITS.message ? 'message_too_long' : null;
}
