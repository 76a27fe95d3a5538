//! The desktop transport: every call is a Tauri command of docs/ipc.md, and the Rust client's
//! events arrive on the `Channel` handed to `client_connect`. Loaded only inside the Tauri window
//! (main.tsx imports it dynamically), so the browser bundle never pulls in Tauri.

import { Channel, invoke } from '@tauri-apps/api/core';
import type { Message, UpdateAck } from '../generated/protocol';
import { isServerPath } from '../chat/files';
import type { ConnectInfo, TransferProgress } from '../generated/protocol';
import {
  CANCELLED,
  type ClientEvent,
  type ConnectOptions,
  type Discovery,
  type FoundHost,
  type DownloadControls,
  type HistoryPage,
  type HostControls,
  type HostInfo,
  type JoinAck,
  type OnProgress,
  type PrivateOpened,
  type RoomOverview,
  type SearchResults,
  type SendAck,
  type ServerInfo,
  type Transport,
  TransportError,
  toTransportError,
} from './types';

/**
 * A file picked, dropped or pasted in the page has no path Rust could read, so its bytes cross
 * IPC first, in raw-body chunks of this size, into a staging file the Rust client uploads from
 * (and resumes from after a cut). 8 MiB keeps each call short and the page's memory flat.
 */
export const STAGE_CHUNK = 8 * 1024 * 1024;

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toTransportError(e);
  }
}

const host: HostControls = {
  suggestPort: () => call<number>('suggest_port'),
  start: (port, password, announce = true) => call<HostInfo>('host_start', { port, password, announce }),
  stop: () => call<null>('host_stop').then(() => undefined),
  status: () => call<HostInfo | null>('host_status'),
  kick: (room, nickName) => call<null>('host_kick', { room, nickName }).then(() => undefined),
  rooms: () => call<RoomOverview[]>('host_rooms'),
  deleteMessage: (room, seq) => call<null>('host_delete_message', { room, seq }).then(() => undefined),
  clearRoom: (room) => call<null>('host_clear_room', { room }).then(() => undefined),
  roomMessages: (room) => call<Message[]>('host_room_messages', { room }),
  setPassword: (password) => call<HostInfo>('host_set_password', { password }),
  setAnnounce: (announce) => call<HostInfo>('host_set_announce', { announce }),
  setPlainGuests: (allow) => call<HostInfo>('host_set_plain_guests', { allow }),
};

const discovery: Discovery = {
  async browse(onHosts) {
    // One channel per look: a late list from an earlier look cannot reach this one's listener.
    const events = new Channel<FoundHost[]>();
    let live = true;
    events.onmessage = (hosts) => {
      if (live) onHosts(hosts);
    };
    const id = await call<number>('discovery_start', { events });
    return () => {
      live = false;
      call<null>('discovery_stop', { id }).catch((e) => console.warn('lanchat: discovery_stop failed', e));
    };
  },
};

/** A progress callback as the `Channel` the Rust side reports transfers on. */
function progressChannel(onProgress: OnProgress): Channel<TransferProgress> {
  const ch = new Channel<TransferProgress>();
  ch.onmessage = (p) => onProgress(p.done, p.total);
  return ch;
}

const downloads: DownloadControls = {
  save: (file, onProgress) =>
    call<string>('file_download', { url: file.url, name: file.name, sha256: file.sha256, progress: progressChannel(onProgress) }),
  open: (path) => call<null>('file_open', { path }).then(() => undefined),
  reveal: (path) => call<null>('file_reveal', { path }).then(() => undefined),
};

/** Stages `file` in Rust (see STAGE_CHUNK), then has the Rust client upload it. */
async function uploadFile(room: string, file: File, onProgress: OnProgress, signal: AbortSignal): Promise<SendAck> {
  const cancelled = () => new TransportError(CANCELLED, 'cancelled');
  if (signal.aborted) throw cancelled();
  const transferId = await call<string>('file_upload_begin', { room, name: file.name || 'file', size: file.size });
  const cancel = () => {
    call<null>('file_upload_cancel', { transferId }).catch((e) => console.warn('lanchat: cancelling an upload failed', e));
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (let offset = 0; offset < file.size; offset += STAGE_CHUNK) {
      if (signal.aborted) throw cancelled();
      const bytes = new Uint8Array(await file.slice(offset, offset + STAGE_CHUNK).arrayBuffer());
      await invoke('file_upload_chunk', bytes, { headers: { 'Transfer-Id': transferId, 'Upload-Offset': String(offset) } });
      onProgress(offset + bytes.byteLength, file.size, 'preparing');
    }
    return await call<SendAck>('file_upload_send', { transferId, progress: progressChannel(onProgress) });
  } catch (e) {
    if (signal.aborted) throw cancelled();
    throw toTransportError(e);
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

export function createTauriTransport(): Transport {
  const listeners = new Set<(ev: ClientEvent) => void>();
  /** `http://host:port` of the session, as the Rust client resolved the address. */
  let base: string | null = null;
  const dispatch = (ev: ClientEvent) => {
    for (const cb of listeners) cb(ev);
  };

  return {
    kind: 'tauri',
    host,
    discovery,
    downloads,

    async connect(opts: ConnectOptions): Promise<ServerInfo> {
      if (!opts.address) throw toTransportError({ code: 'connect_failed', message: 'no address' });
      // A fresh channel per connection: events of an older connection cannot leak into this one.
      const events = new Channel<ClientEvent>();
      events.onmessage = dispatch;
      base = null;
      const info = await call<ConnectInfo>('client_connect', {
        address: opts.address,
        nickName: opts.nickName,
        password: opts.password || null,
        events,
      });
      base = info.baseUrl;
      return info;
    },
    // The window has no command that asks a server's /api/info without connecting (a Rust
    // `server_info` command would add it); the desktop Join card does not need it.
    serverInfo: async () => null,
    join: (room) => call<JoinAck>('client_join', { room }),
    leave: (room) => call<null>('client_leave', { room }).then(() => undefined),
    send: (room, message, clientId, replyTo) =>
      call<null>('client_send', { room, message, clientId, replyTo: replyTo ?? null }).then(() => undefined),
    edit: (room, seq, message) => call<UpdateAck>('client_edit', { room, seq, message }).then(() => undefined),
    deleteMessage: (room, seq) => call<UpdateAck>('client_delete', { room, seq }).then(() => undefined),
    react: (room, seq, emoji, on) => call<UpdateAck>('client_react', { room, seq, emoji, on }).then(() => undefined),
    openPrivate: (room, nickName) => call<PrivateOpened>('client_open_private', { room, nickName }),
    typing: (room, typing) => call<null>('client_typing', { room, typing }).then(() => undefined),
    history: (room, at, limit) => call<HistoryPage>('client_history', { room, ...at, limit }),
    search: (room, q, limit) => call<SearchResults>('client_search', { room, q, limit }),
    uploadFile,
    fileUrl: (path) => (base && isServerPath(path) ? base + path : null),
    disconnect: () => {
      base = null;
      return call<null>('client_disconnect').then(() => undefined);
    },
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
}
