//! The room server's protocol as the UI sees it (docs/protocol.md): the generated Rust payload
//! types re-exported, event names tied to their payloads, the few shapes Rust has no serde type
//! for, limits and validation. Only transport/browser.ts speaks it on the wire; the rest of the
//! app sees `ClientEvent`s (transport/types.ts).

import type {
  ErrorCode,
  FileUploadAck,
  HistoryPage,
  JoinAck,
  Kicked,
  Message,
  Presence,
  PrivateInvite,
  PrivateOpened,
  RequestError,
  SearchResults,
  SendAck,
  ServerClosing,
  Typing,
  UpdateAck,
  WireError,
} from './generated/protocol';

// The payloads the server sends are Rust types (src-tauri/protocol), generated into
// ./generated/protocol.ts; they are re-exported here, never restated.
export type {
  ErrorCode,
  FileMeta,
  FileUploadAck,
  HistoryPage,
  JoinAck,
  Kicked,
  Kind,
  Message,
  Presence,
  Quote,
  Reaction,
  Reactor,
  RequestError,
  RoomInfo,
  SearchHit,
  SearchResults,
  SendAck,
  ServerClosing,
  ServerInfo,
  Typing,
  UpdateAck,
  UploadTicket,
  WireError,
} from './generated/protocol';

// ---- client → server payloads ----
// The server parses these from raw JSON (src-tauri/protocol/request.rs) and has no serde type to
// generate them from, so they are written here, as docs/protocol.md describes them.

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
  /** The seq of the message (same room) this one replies to. */
  replyTo?: number;
}

/** `editMessage`: the author changes their chat message's text (docs/protocol.md, "Conversations"). */
export interface OpenPrivatePayload {
  room: string;
  nickName: string;
}

/** Private conversations are rooms named `dm:<userId>:<userId>` (docs/protocol.md). */
export const PRIVATE_PREFIX = 'dm:';

export function isPrivateRoom(room: string): boolean {
  return room.startsWith(PRIVATE_PREFIX);
}

export interface EditMessagePayload {
  room: string;
  seq: number;
  message: string;
}

/** `deleteMessage`: the author deletes their message. */
export interface DeleteMessagePayload {
  room: string;
  seq: number;
}

/** `react`: adds (`on`, the default) or takes back one emoji. */
export interface ReactPayload {
  room: string;
  seq: number;
  emoji: string;
  on?: boolean;
}

export interface LeaveRoomPayload {
  room: string;
}

/** Asks for a ticket to upload a file (docs/protocol.md, "Files"); the bytes go over HTTP. */
export interface FileUploadPayload {
  room: string;
  name: string;
  size: number;
  /** The sender's guess; the host keeps it only as a plain `type/subtype` its bytes do not contradict. */
  mime?: string;
  clientId?: string;
}

export interface TypingPayload {
  room: string;
  typing: boolean;
}

/** A page of a room's past: exactly one of `before` (scrolling up), `after` (scrolling down a page
 * loaded `around` a seq) and `around` (jumping to a search result). `limit` defaults to 50, max 100. */
export type HistoryPayload = { room: string; limit?: number } & (
  | { before: number; after?: never; around?: never }
  | { after: number; before?: never; around?: never }
  | { around: number; before?: never; after?: never }
);

/** Full-text search in a room: plain words, the last one also as a prefix. */
export interface SearchPayload {
  room: string;
  q: string;
  limit?: number;
}

/** The `leaveRoom` ack body. */
export interface LeaveAck {
  room: string;
}

/** Handshake `auth` object. */
export interface HandshakeAuth {
  password?: string;
  sessionId?: string;
  /** The user's secret key (kept in localStorage); the host derives the public `userId`. */
  userKey?: string;
}

/** An ack: `{ok: true, ...body}` or `{ok: false, error}`. */
export type Ack<T> = ({ ok: true } & T) | { ok: false; error: WireError };

// ---- event names, each tied to its payload ----

/** Client → server: each event's payload and the body of its `{ok: true}` ack. */
export interface C2SEvents {
  joinRoom: { payload: JoinRoomPayload; ack: JoinAck };
  sendMessage: { payload: SendMessagePayload; ack: SendAck };
  leaveRoom: { payload: LeaveRoomPayload; ack: LeaveAck };
  typing: { payload: TypingPayload; ack: never };
  fileUpload: { payload: FileUploadPayload; ack: FileUploadAck };
  editMessage: { payload: EditMessagePayload; ack: UpdateAck };
  deleteMessage: { payload: DeleteMessagePayload; ack: UpdateAck };
  react: { payload: ReactPayload; ack: UpdateAck };
  openPrivate: { payload: OpenPrivatePayload; ack: PrivateOpened };
  ping: { payload: Record<string, never>; ack: Record<string, never> };
  history: { payload: HistoryPayload; ack: HistoryPage };
  search: { payload: SearchPayload; ack: SearchResults };
}

/** Server → client: each event's payload (the generated Rust types). */
export interface S2CEvents {
  message: Message;
  /** Event rows (edit, delete, react, unreact) with `target`: never shown as lines. */
  messageUpdate: Message;
  presence: Presence;
  typing: Typing;
  requestError: RequestError;
  kicked: Kicked;
  privateInvite: PrivateInvite;
  serverClosing: ServerClosing;
}

/** Client → server event names (src-tauri/protocol `events::CLIENT`). */
export const C2S = {
  joinRoom: 'joinRoom',
  sendMessage: 'sendMessage',
  leaveRoom: 'leaveRoom',
  typing: 'typing',
  fileUpload: 'fileUpload',
  editMessage: 'editMessage',
  deleteMessage: 'deleteMessage',
  react: 'react',
  openPrivate: 'openPrivate',
  ping: 'ping',
  history: 'history',
  search: 'search',
} as const satisfies { [K in keyof C2SEvents]: K };

/** Server → client event names. */
export const S2C = {
  message: 'message',
  messageUpdate: 'messageUpdate',
  presence: 'presence',
  typing: 'typing',
  requestError: 'requestError',
  kicked: 'kicked',
  privateInvite: 'privateInvite',
  serverClosing: 'serverClosing',
} as const satisfies { [K in keyof S2CEvents]: K };

/** `connect_error` messages the server uses to refuse a connection (`connect_errors` in Rust). */
export const CONNECT_ERRORS = ['password_required', 'bad_password', 'server_full'] as const;
export type ConnectErrorMessage = (typeof CONNECT_ERRORS)[number];

/** A member list (from the join ack) with a `presence` delta applied: sorted, no repeats. */
export function applyPresence(members: readonly string[], p: Presence): string[] {
  const gone = new Set(p.left);
  const next = new Set(members.filter((n) => !gone.has(n)));
  for (const n of p.joined) next.add(n);
  return [...next].sort();
}

/** Extra codes that only cross the desktop IPC boundary (docs/ipc.md). */
export const IPC_ERROR_CODES = [
  'port_in_use',
  'not_connected',
  'not_hosting',
  'connect_failed',
  'bad_password',
  'password_required',
  'discovery_off',
  'discovery_failed',
] as const;
export type IpcErrorCode = (typeof IPC_ERROR_CODES)[number];

/** Every code an error can carry: the wire's (generated), the IPC's, and connection refusals. */
export type AnyErrorCode = ErrorCode | IpcErrorCode | ConnectErrorMessage;

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
