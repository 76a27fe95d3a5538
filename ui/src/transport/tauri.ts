//! The desktop transport: every call is a Tauri command of docs/ipc.md, and the Rust client's
//! events arrive on the `Channel` handed to `client_connect`. Loaded only inside the Tauri window
//! (main.tsx imports it dynamically), so the browser bundle never pulls in Tauri.

import { Channel, invoke } from '@tauri-apps/api/core';
import {
  type ClientEvent,
  type ConnectOptions,
  type Discovery,
  type FoundHost,
  type HostControls,
  type HostInfo,
  type JoinAck,
  type ServerInfo,
  type Transport,
  toTransportError,
} from './types';

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
  setPassword: (password) => call<HostInfo>('host_set_password', { password }),
  setAnnounce: (announce) => call<HostInfo>('host_set_announce', { announce }),
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

export function createTauriTransport(): Transport {
  const listeners = new Set<(ev: ClientEvent) => void>();
  const dispatch = (ev: ClientEvent) => {
    for (const cb of listeners) cb(ev);
  };

  return {
    kind: 'tauri',
    host,
    discovery,

    async connect(opts: ConnectOptions): Promise<ServerInfo> {
      if (!opts.address) throw toTransportError({ code: 'connect_failed', message: 'no address' });
      // A fresh channel per connection: events of an older connection cannot leak into this one.
      const events = new Channel<ClientEvent>();
      events.onmessage = dispatch;
      return call<ServerInfo>('client_connect', {
        address: opts.address,
        nickName: opts.nickName,
        password: opts.password || null,
        events,
      });
    },
    // The window has no command that asks a server's /api/info without connecting (a Rust
    // `server_info` command would add it); the desktop Join card does not need it.
    serverInfo: async () => null,
    join: (room) => call<JoinAck>('client_join', { room }),
    leave: (room) => call<null>('client_leave', { room }).then(() => undefined),
    send: (room, message, clientId) =>
      call<null>('client_send', { room, message, clientId }).then(() => undefined),
    typing: (room, typing) => call<null>('client_typing', { room, typing }).then(() => undefined),
    disconnect: () => call<null>('client_disconnect').then(() => undefined),
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
}
