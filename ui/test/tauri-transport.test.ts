// @vitest-environment jsdom
// The desktop transport calls exactly the commands and arguments of docs/ipc.md and relays the
// Channel's events in order.

import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { createTauriTransport } from '../src/transport/tauri';
import type { ClientEvent } from '../src/transport/types';

afterEach(() => clearMocks());

describe('tauri transport', () => {
  it('maps every call to its command with camelCase args', async () => {
    const calls: [string, unknown][] = [];
    let channelId = -1;
    mockIPC((cmd, args) => {
      const a = args as Record<string, any>;
      if (cmd === 'client_connect') {
        channelId = a.events.id;
        calls.push([cmd, { ...a, events: 'Channel' }]);
        return { server: 'lanchat', name: 'box', version: '0.1.0', passwordRequired: false, rooms: [] };
      }
      calls.push([cmd, a]);
      if (cmd === 'client_join') return { room: a.room, nickName: 'me', lastSeq: 3, members: ['me'] };
      if (cmd === 'suggest_port') return 7878;
      if (cmd === 'host_start' || cmd === 'host_set_password') return { port: 7878, addresses: ['192.168.1.2'], passwordRequired: true };
      if (cmd === 'host_status') return null;
      return null;
    });
    const tr = createTauriTransport();
    const events: ClientEvent[] = [];
    tr.onEvent((e) => events.push(e));

    await tr.connect({ address: 'http://127.0.0.1:7878', nickName: 'me' });
    await expect(tr.join('lobby')).resolves.toMatchObject({ lastSeq: 3 });
    await tr.send('lobby', 'hi', 'c1');
    await tr.typing('lobby', true);
    await tr.leave('lobby');
    await tr.disconnect();
    const host = tr.host!;
    await expect(host.suggestPort()).resolves.toBe(7878);
    await host.start(7878, 'pw');
    await host.start(7878, null, false);
    await host.status();
    await host.kick('lobby', 'bob');
    await host.setPassword(null);
    await host.setAnnounce(false);
    await host.stop();

    expect(calls).toEqual([
      ['client_connect', { address: 'http://127.0.0.1:7878', nickName: 'me', password: null, events: 'Channel' }],
      ['client_join', { room: 'lobby' }],
      ['client_send', { room: 'lobby', message: 'hi', clientId: 'c1' }],
      ['client_typing', { room: 'lobby', typing: true }],
      ['client_leave', { room: 'lobby' }],
      ['client_disconnect', {}],
      ['suggest_port', {}],
      ['host_start', { port: 7878, password: 'pw', announce: true }],
      ['host_start', { port: 7878, password: null, announce: false }],
      ['host_status', {}],
      ['host_kick', { room: 'lobby', nickName: 'bob' }],
      ['host_set_password', { password: null }],
      ['host_set_announce', { announce: false }],
      ['host_stop', {}],
    ]);

    // Rust pushes {index, message} into the channel; out-of-order deliveries are reordered.
    const internals = (window as any).__TAURI_INTERNALS__;
    const state: ClientEvent = { type: 'state', state: 'connected' };
    const members: ClientEvent = { type: 'members', room: 'lobby', members: ['me'] };
    internals.runCallback(channelId, { index: 1, message: members });
    internals.runCallback(channelId, { index: 0, message: state });
    expect(events).toEqual([state, members]);
  });

  it('streams found hosts from discovery_start until the look is stopped', async () => {
    const calls: string[] = [];
    let channelId = -1;
    mockIPC((cmd, args) => {
      calls.push(cmd === 'discovery_stop' ? `${cmd} ${(args as any).id}` : cmd);
      if (cmd === 'discovery_start') {
        channelId = (args as any).events.id;
        return 7;
      }
      return null;
    });
    const tr = createTauriTransport();
    const lists: unknown[][] = [];
    const stop = await tr.discovery!.browse((hosts) => lists.push(hosts));
    const internals = (window as any).__TAURI_INTERNALS__;
    const a = { id: 'a', name: 'A', address: '10.0.0.2:7878', addresses: ['10.0.0.2'], port: 7878, version: '0.1.0', passwordRequired: false, people: 1 };
    internals.runCallback(channelId, { index: 0, message: [] });
    internals.runCallback(channelId, { index: 1, message: [a] });
    stop();
    internals.runCallback(channelId, { index: 2, message: [] });
    expect(lists).toEqual([[], [a]]);
    expect(calls).toEqual(['discovery_start', 'discovery_stop 7']);
  });

  it('says when discovery is turned off', async () => {
    mockIPC(() => Promise.reject({ code: 'discovery_off', message: 'LANCHAT_NO_DISCOVERY is set' }));
    const tr = createTauriTransport();
    await expect(tr.discovery!.browse(() => {})).rejects.toMatchObject({ code: 'discovery_off' });
  });

  it('rejects with the IPC error as a TransportError', async () => {
    mockIPC(() => Promise.reject({ code: 'port_in_use', message: 'in use' }));
    const tr = createTauriTransport();
    await expect(tr.host!.start(80, null)).rejects.toMatchObject({ name: 'TransportError', code: 'port_in_use', message: 'in use' });
  });
});
