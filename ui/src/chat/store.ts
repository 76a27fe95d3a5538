//! The chat state as a pure reducer: rooms with their messages (kept in seq order, deduped by
//! seq; file messages too), own messages still pending until the server's copy with the same
//! `clientId` arrives, own uploads until the host posts their file message (transfers.ts),
//! members, who is typing, and unread counts. No DOM and no transport here, so it is unit-tested
//! directly; app.ts feeds it transport events and user actions.

import type { HistoryPage, Message } from '../protocol';
import type { ClientEvent, ConnState, JoinAck, PageAt } from '../transport/types';
import { addSpan, clipSpans, mergeBySeq, pageSpan, type Span } from './pages';
import { applyDownload, applyUpload, type DownloadChange, type DownloadView, settleUploads, type UploadChange, type UploadView } from './transfers';
import { applyUpdate, type ComposeTarget, isUpdate, mentions } from './conversation';

/** At most this many messages are kept per room; older ones fall off the top when new ones
 * arrive (pages loaded by scrolling up count too). */
export const MAX_MESSAGES = 5000;
/** A typing indicator without a refresh disappears after this long (a `false` may be lost). */
export const TYPING_TTL_MS = 6000;

/** A message as the chat keeps it: the protocol's fields minus room/history, plus `own`. */
export interface ChatMessage extends Omit<Message, 'room' | 'history'> {
  own: boolean;
}

export interface PendingMessage {
  clientId: string;
  message: string;
  ts: number;
  /** The seq of the message it replies to. */
  replyTo?: number;
  /** Set when the send failed for good: the error text to show. */
  failed?: string;
}

export type RoomStatus = 'joining' | 'joined' | 'kicked' | 'lost';

export interface RoomView {
  name: string;
  /** The nickname we joined with; messages under it are ours. */
  nickName: string;
  status: RoomStatus;
  /** Why the room is no longer live (kicked / rejoin failed). */
  notice?: { code: string; by?: string; reason: string };
  messages: ChatMessage[];
  pending: PendingMessage[];
  /** Our uploads to this room that the host has not posted yet (or that failed). */
  uploads: UploadView[];
  members: string[];
  /** Members on an unencrypted (plain HTTP) link. */
  unencrypted: string[];
  /** nickname → time (ms) its typing indicator expires. */
  typing: Record<string, number>;
  unread: number;
  /** Of the unread, how many mention us (`@nick`). */
  mentioned: number;
  /** Our public user id here (from the join ack): which messages are ours to edit. */
  userId?: string;
  /** A private conversation (`dm:` room): the other person's nickname, as the sidebar shows it. */
  peer?: string;
  /** The composer is replying to or editing a message (conversation.ts). */
  compose?: ComposeTarget;
  /** The first join ack arrived: history from now on is catch-up and counts as unread. */
  caughtUp: boolean;
  /** Which seqs between the loaded messages are known complete (chat/pages.ts). */
  spans: Span[];
}

export interface Toast {
  id: number;
  code: string;
  message: string;
}

export interface ChatState {
  rooms: RoomView[];
  active: string | null;
  /** The window is focused and visible: messages in the active room are read as they arrive. */
  attention: boolean;
  connection: ConnState;
  connectionReason?: string;
  /** The host's `serverClosing` text, shown as a banner. */
  serverNotice: string | null;
  toasts: Toast[];
  nextToastId: number;
  /** The window's downloads of file messages, by message id. */
  downloads: Record<string, DownloadView>;
}

export type Action =
  | { type: 'joining'; room: string; nickName: string; peer?: string }
  /** Someone wrote privately while we were not in the room: it shows as unread. */
  | { type: 'markUnread'; room: string }
  /** `background`: joined on someone else's initiative (a private invite): stay where we are. */
  | { type: 'joined'; ack: JoinAck; background?: boolean }
  | { type: 'joinFailed'; room: string }
  | { type: 'left'; room: string }
  | { type: 'event'; ev: ClientEvent; now: number }
  | { type: 'pending'; room: string; clientId: string; message: string; ts: number; replyTo?: number }
  | { type: 'sendFailed'; room: string; clientId: string; error: string }
  | { type: 'retry'; room: string; clientId: string }
  | { type: 'discard'; room: string; clientId: string }
  | { type: 'page'; room: string; at: PageAt; page: HistoryPage }
  | { type: 'upload'; room: string; change: UploadChange }
  | { type: 'download'; change: DownloadChange }
  | { type: 'compose'; room: string; target: ComposeTarget | null }
  | { type: 'activate'; room: string }
  | { type: 'attention'; value: boolean }
  | { type: 'tick'; now: number }
  | { type: 'toast'; code: string; message: string }
  | { type: 'dismissToast'; id: number }
  | { type: 'dismissServerNotice' }
  | { type: 'reset' };

export function initialState(attention = true): ChatState {
  return {
    rooms: [],
    active: null,
    attention,
    connection: 'disconnected',
    serverNotice: null,
    toasts: [],
    nextToastId: 1,
    downloads: {},
  };
}

export function findRoom(state: ChatState, name: string | null): RoomView | undefined {
  return name === null ? undefined : state.rooms.find((r) => r.name === name);
}

export function totalUnread(state: ChatState): number {
  return state.rooms.reduce((n, r) => n + r.unread, 0);
}

/** `(3) lanchat` when there are unread messages. */
export function documentTitle(state: ChatState, base = 'lanchat'): string {
  const n = totalUnread(state);
  return n > 0 ? `(${n}) ${base}` : base;
}

/** Who is typing in a room right now, in the order they started. */
export function typingNames(room: RoomView, now: number): string[] {
  return Object.entries(room.typing)
    .filter(([nick, until]) => until > now && nick !== room.nickName)
    .map(([nick]) => nick);
}

/** Messages someone wrote or sent (as opposed to notices): they count as unread and notify. */
export function isAuthored(kind: string): boolean {
  return kind === 'chat' || kind === 'file';
}

/** Whether a message event mentions us in its room (for the notification's wording). */
export function mentionsMe(state: ChatState, ev: ClientEvent): boolean {
  if (ev.type !== 'message') return false;
  const room = findRoom(state, ev.room);
  return Boolean(room && mentions(ev, room.nickName));
}

/** Whether a message event deserves a desktop notification in this state. */
export function shouldNotify(state: ChatState, ev: ClientEvent): boolean {
  if (ev.type !== 'message' || !isAuthored(ev.kind) || ev.history) return false;
  const room = findRoom(state, ev.room);
  if (!room || room.nickName === ev.nickName) return false;
  return !state.attention || state.active !== ev.room;
}

function newRoom(name: string, nickName: string): RoomView {
  return {
    name,
    nickName,
    status: 'joining',
    messages: [],
    pending: [],
    uploads: [],
    members: [],
    unencrypted: [],
    typing: {},
    unread: 0,
    mentioned: 0,
    caughtUp: false,
    spans: [],
  };
}

/** A protocol message as the chat keeps it, folded state included (edited text, deleted,
 * reactions, the reply's quote). The one conversion: live, replayed and paged messages all go
 * through it (event rows do not: they fold into their target, conversation.ts). */
export function chatMessage(m: Message, own: boolean): ChatMessage {
  const msg: ChatMessage = {
    id: m.id,
    seq: m.seq,
    ts: m.ts,
    kind: m.kind,
    nickName: m.nickName,
    message: m.message,
    own,
  };
  if (m.clientId) msg.clientId = m.clientId;
  if (m.kind === 'file' && m.file) msg.file = m.file;
  if (m.userId) msg.userId = m.userId;
  if (m.reply) msg.reply = m.reply;
  if (m.mentions?.length) msg.mentions = m.mentions;
  if (m.editedTs) msg.editedTs = m.editedTs;
  if (m.deleted) msg.deleted = true;
  if (m.reactions?.length) msg.reactions = m.reactions;
  return msg;
}

/** Ours by user id when both are known (a nickname can be taken by someone else later). */
function isOwn(m: Pick<Message, 'userId' | 'nickName'>, r: RoomView): boolean {
  return m.userId && r.userId ? m.userId === r.userId : m.nickName === r.nickName;
}

function updateRoom(state: ChatState, name: string, fn: (r: RoomView) => RoomView): ChatState {
  const i = state.rooms.findIndex((r) => r.name === name);
  if (i < 0) return state;
  const next = fn(state.rooms[i]);
  if (next === state.rooms[i]) return state;
  const rooms = state.rooms.slice();
  rooms[i] = next;
  return { ...state, rooms };
}

/** Inserts in seq order; returns the same array when that seq is already there. */
export function insertBySeq(list: ChatMessage[], msg: ChatMessage): ChatMessage[] {
  const last = list[list.length - 1];
  let out: ChatMessage[];
  if (!last || last.seq < msg.seq) {
    out = list.concat(msg);
  } else {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].seq < msg.seq) lo = mid + 1;
      else hi = mid;
    }
    if (list[lo]?.seq === msg.seq) return list;
    out = list.slice();
    out.splice(lo, 0, msg);
  }
  return out.length > MAX_MESSAGES ? out.slice(out.length - MAX_MESSAGES) : out;
}

function withoutTyping(r: RoomView, nick: string): Record<string, number> {
  if (!(nick in r.typing)) return r.typing;
  const typing = { ...r.typing };
  delete typing[nick];
  return typing;
}

function reduceEvent(state: ChatState, ev: ClientEvent, now: number): ChatState {
  switch (ev.type) {
    case 'message':
      return updateRoom(state, ev.room, (r) => {
        // Edits, deletes and reactions change a message we have (conversation.ts); not a line.
        if (isUpdate(ev)) {
          const messages = applyUpdate(r.messages, ev);
          return messages === r.messages ? r : { ...r, messages };
        }
        const own = isOwn(ev, r);
        const msg = chatMessage(ev, own);
        let messages = insertBySeq(r.messages, msg);
        if (messages === r.messages) return r;
        // The first message starts the live span; letting the oldest go clips the spans.
        let spans = r.spans.length === 0 ? [{ from: msg.seq, to: Infinity }] : r.spans;
        if (messages.length <= r.messages.length) spans = clipSpans(spans, messages[0].seq);
        if (ev.kind === 'clear') {
          // The host cleared the history: nothing before the notice exists any more.
          messages = messages.filter((m) => m.seq >= msg.seq);
          spans = [{ from: 0, to: Infinity }];
        }
        const pending = ev.clientId ? r.pending.filter((p) => p.clientId !== ev.clientId) : r.pending;
        const uploads = ev.kind === 'file' ? settleUploads(r.uploads, ev.id) : r.uploads;
        const seen = state.active === r.name && state.attention;
        const authored = isAuthored(ev.kind);
        const counts = authored && !own && !seen && (!ev.history || r.caughtUp);
        const typing = authored ? withoutTyping(r, ev.nickName) : r.typing;
        const mentioned = counts && mentions(ev, r.nickName) ? r.mentioned + 1 : r.mentioned;
        return { ...r, messages, spans, pending, uploads, typing, unread: counts ? r.unread + 1 : r.unread, mentioned };
      });
    case 'members':
      return updateRoom(state, ev.room, (r) => ({ ...r, members: ev.members, unencrypted: ev.unencrypted ?? [] }));
    case 'typing':
      return updateRoom(state, ev.room, (r) => {
        if (ev.nickName === r.nickName) return r;
        if (!ev.typing) return { ...r, typing: withoutTyping(r, ev.nickName) };
        return { ...r, typing: { ...r.typing, [ev.nickName]: now + TYPING_TTL_MS } };
      });
    case 'state': {
      const next = { ...state, connection: ev.state, connectionReason: ev.reason };
      if (ev.state === 'connected') next.serverNotice = null;
      return next;
    }
    case 'kicked':
      return updateRoom(state, ev.room, (r) => ({
        ...r,
        status: 'kicked',
        notice: { code: 'kicked', by: ev.by, reason: ev.reason },
        members: [],
        unencrypted: [],
        typing: {},
        pending: r.pending.map((p) => (p.failed ? p : { ...p, failed: ev.reason || 'kicked' })),
      }));
    case 'serverClosing':
      return { ...state, serverNotice: ev.message };
    case 'privateInvite':
      // The app joins the room (app.ts); here the invite only names who it is with.
      return updateRoom(state, ev.room, (r) => (r.peer ? r : { ...r, peer: ev.nickName }));
    case 'error':
      if (ev.room && ev.clientId) {
        return reduce(state, { type: 'sendFailed', room: ev.room, clientId: ev.clientId, error: ev.message || ev.code });
      }
      if (ev.room && findRoom(state, ev.room)) {
        return updateRoom(state, ev.room, (r) => ({
          ...r,
          status: 'lost',
          notice: { code: ev.code, reason: ev.message },
          members: [],
          unencrypted: [],
          typing: {},
        }));
      }
      return reduce(state, { type: 'toast', code: ev.code, message: ev.message });
  }
}

export function reduce(state: ChatState, action: Action): ChatState {
  switch (action.type) {
    case 'joining': {
      const existing = findRoom(state, action.room);
      if (existing) {
        // Joining again after a kick or a lost rejoin: keep the history we have.
        return updateRoom(state, action.room, (r) => ({
          ...r,
          nickName: action.nickName,
          status: 'joining',
          notice: undefined,
          peer: action.peer ?? r.peer,
        }));
      }
      const room = newRoom(action.room, action.nickName);
      return { ...state, rooms: state.rooms.concat(action.peer ? { ...room, peer: action.peer } : room) };
    }
    case 'joined': {
      const { ack } = action;
      const next = updateRoom(state, ack.room, (r) => ({
        ...r,
        nickName: ack.nickName || r.nickName,
        status: 'joined',
        members: ack.members,
        userId: ack.userId ?? r.userId,
        unencrypted: ack.unencrypted ?? [],
        caughtUp: true,
      }));
      if (action.background && state.active && state.active !== ack.room) return next;
      return reduce(next, { type: 'activate', room: ack.room });
    }
    case 'joinFailed': {
      const r = findRoom(state, action.room);
      if (!r) return state;
      if (r.messages.length > 0) return updateRoom(state, action.room, (x) => ({ ...x, status: 'lost' }));
      return reduce(state, { type: 'left', room: action.room });
    }
    case 'left': {
      const i = state.rooms.findIndex((r) => r.name === action.room);
      if (i < 0) return state;
      const rooms = state.rooms.filter((r) => r.name !== action.room);
      let active = state.active;
      if (active === action.room) active = (rooms[i] ?? rooms[i - 1])?.name ?? null;
      return { ...state, rooms, active };
    }
    case 'event':
      return reduceEvent(state, action.ev, action.now);
    case 'pending':
      return updateRoom(state, action.room, (r) => ({
        ...r,
        pending: r.pending.concat({
          clientId: action.clientId,
          message: action.message,
          ts: action.ts,
          ...(action.replyTo !== undefined ? { replyTo: action.replyTo } : {}),
        }),
      }));
    case 'sendFailed':
      return updateRoom(state, action.room, (r) => {
        if (!r.pending.some((p) => p.clientId === action.clientId)) return r;
        return {
          ...r,
          pending: r.pending.map((p) => (p.clientId === action.clientId ? { ...p, failed: action.error } : p)),
        };
      });
    case 'retry':
      return updateRoom(state, action.room, (r) => ({
        ...r,
        pending: r.pending.map((p) => (p.clientId === action.clientId ? { ...p, failed: undefined } : p)),
      }));
    case 'discard':
      return updateRoom(state, action.room, (r) => ({
        ...r,
        pending: r.pending.filter((p) => p.clientId !== action.clientId),
      }));
    case 'page':
      // Older (or, around a jump, newer) history: shown in place, never counted as unread.
      return updateRoom(state, action.room, (r) => {
        // Pages hold folded messages only; an event row here (a host that lists them) is skipped.
        const page = action.page.messages.filter((m) => !isUpdate(m)).map((m) => chatMessage(m, isOwn(m, r)));
        return { ...r, messages: mergeBySeq(r.messages, page), spans: addSpan(r.spans, pageSpan(action.at, action.page)) };
      });
    case 'upload':
      return updateRoom(state, action.room, (r) => {
        const uploads = applyUpload(r.uploads, action.change, (id) => r.messages.some((m) => m.id === id));
        return uploads === r.uploads ? r : { ...r, uploads };
      });
    case 'download':
      return { ...state, downloads: applyDownload(state.downloads, action.change) };
    case 'markUnread':
      if (state.attention && state.active === action.room) return state;
      return updateRoom(state, action.room, (r) => (r.unread > 0 ? r : { ...r, unread: 1 }));
    case 'activate': {
      if (!findRoom(state, action.room)) return state;
      const next = { ...state, active: action.room };
      return state.attention ? updateRoom(next, action.room, (r) => (r.unread || r.mentioned ? { ...r, unread: 0, mentioned: 0 } : r)) : next;
    }
    case 'compose':
      return updateRoom(state, action.room, (r) => {
        if (!action.target) return r.compose ? { ...r, compose: undefined } : r;
        return { ...r, compose: action.target };
      });
    case 'attention': {
      const next = { ...state, attention: action.value };
      if (!action.value || state.active === null) return next;
      return updateRoom(next, state.active, (r) => (r.unread || r.mentioned ? { ...r, unread: 0, mentioned: 0 } : r));
    }
    case 'tick': {
      let next = state;
      for (const r of state.rooms) {
        const expired = Object.entries(r.typing).filter(([, until]) => until <= action.now);
        if (expired.length === 0) continue;
        next = updateRoom(next, r.name, (x) => {
          const typing = { ...x.typing };
          for (const [nick] of expired) delete typing[nick];
          return { ...x, typing };
        });
      }
      return next;
    }
    case 'toast': {
      const toast = { id: state.nextToastId, code: action.code, message: action.message };
      return { ...state, toasts: state.toasts.slice(-3).concat(toast), nextToastId: state.nextToastId + 1 };
    }
    case 'dismissToast':
      return { ...state, toasts: state.toasts.filter((t) => t.id !== action.id) };
    case 'dismissServerNotice':
      return { ...state, serverNotice: null };
    case 'reset':
      return { ...initialState(state.attention), nextToastId: state.nextToastId };
  }
}
