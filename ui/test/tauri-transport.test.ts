// @vitest-environment jsdom
// The desktop transport calls exactly the commands and arguments of docs/ipc.md and relays the
// Channel's events in order.

import { File as NodeFile } from 'node:buffer';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTauriTransport, STAGE_CHUNK } from '../src/transport/tauri';
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
    await host.setPlainGuests(true);
    await host.stop();

    expect(calls).toEqual([
      ['client_connect', { address: 'http://127.0.0.1:7878', nickName: 'me', password: null, events: 'Channel' }],
      ['client_join', { room: 'lobby' }],
      ['client_send', { room: 'lobby', message: 'hi', clientId: 'c1', replyTo: null }],
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
      ['host_set_plain_guests', { allow: true }],
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

  it('hands a file over in raw chunks, uploads it with progress, and cancels it', async () => {
    const calls: string[] = [];
    let progressId = -1;
    let finish: (v: unknown) => void = () => undefined;
    mockIPC((cmd, args) => {
      const a = args as Record<string, any>;
      if (cmd === 'client_connect') return { server: 'lanchat', name: 'box', version: '1', passwordRequired: false, rooms: [], legacy: false, baseUrl: 'http://10.0.0.2:7878' };
      if (cmd === 'file_upload_begin') {
        calls.push(`begin ${a.room} ${a.name} ${a.size}`);
        return 't1';
      }
      if (cmd === 'file_upload_chunk') {
        calls.push(`chunk ${(a as Uint8Array).byteLength}`);
        return null;
      }
      if (cmd === 'file_upload_send') {
        calls.push(`send ${a.transferId}`);
        progressId = a.progress.id;
        return new Promise((r) => (finish = r));
      }
      if (cmd === 'file_upload_cancel') {
        calls.push(`cancel ${a.transferId}`);
        finish(Promise.reject({ code: 'cancelled', message: 'cancelled' }));
        return null;
      }
      return null;
    });
    // The chunks' headers travel in invoke's options, which mockIPC does not pass on.
    const internals = (window as any).__TAURI_INTERNALS__;
    const invoke = internals.invoke;
    const headers: Record<string, string>[] = [];
    internals.invoke = (cmd: string, args: unknown, options?: { headers?: Record<string, string> }) => {
      if (cmd === 'file_upload_chunk') headers.push(options!.headers!);
      return invoke(cmd, args, options);
    };

    const tr = createTauriTransport();
    expect(tr.fileUrl('/files/x')).toBeNull(); // not connected
    await tr.connect({ address: '10.0.0.2:7878', nickName: 'me' });
    expect(tr.fileUrl('/thumbs/ab?room=r&sig=1')).toBe('http://10.0.0.2:7878/thumbs/ab?room=r&sig=1');
    expect(tr.fileUrl('http://evil/x')).toBeNull();

    // Node's File: jsdom's Blob cannot read itself (no arrayBuffer()), every browser's can.
    const file = new NodeFile([new Uint8Array(STAGE_CHUNK + 10)], 'big.bin') as unknown as File;
    const seen: string[] = [];
    const ctl = new AbortController();
    const up = tr.uploadFile('lobby', file, (done, _total, phase) => seen.push(`${phase ?? 'sending'} ${done}`), ctl.signal);
    await vi.waitFor(() => expect(progressId).toBeGreaterThan(0));
    expect(calls).toEqual([`begin lobby big.bin ${STAGE_CHUNK + 10}`, `chunk ${STAGE_CHUNK}`, 'chunk 10', 'send t1']);
    expect(headers).toEqual([
      { 'Transfer-Id': 't1', 'Upload-Offset': '0' },
      { 'Transfer-Id': 't1', 'Upload-Offset': String(STAGE_CHUNK) },
    ]);
    internals.runCallback(progressId, { index: 0, message: { done: 5, total: STAGE_CHUNK + 10 } });
    // Handing over is "preparing"; the Channel reports the upload itself.
    expect(seen).toEqual([`preparing ${STAGE_CHUNK}`, `preparing ${STAGE_CHUNK + 10}`, 'sending 5']);
    ctl.abort();
    await expect(up).rejects.toMatchObject({ code: 'cancelled' });
    expect(calls.at(-1)).toBe('cancel t1');
  });

  it('saves to Downloads and opens or shows only through its commands', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      const a = { ...(args as Record<string, any>) };
      if (a.progress) a.progress = 'Channel';
      calls.push([cmd, a]);
      return cmd === 'file_download' ? '/home/me/Downloads/cat.png' : null;
    });
    const tr = createTauriTransport();
    const file = { name: 'cat.png', size: 3, mime: 'image/png', sha256: 'ab'.repeat(32), url: '/files/ab/cat.png?room=r&sig=1' };
    await expect(tr.downloads!.save(file, () => undefined)).resolves.toBe('/home/me/Downloads/cat.png');
    await tr.downloads!.open('/home/me/Downloads/cat.png');
    await tr.downloads!.reveal('/home/me/Downloads/cat.png');
    expect(calls).toEqual([
      ['file_download', { url: file.url, name: 'cat.png', sha256: file.sha256, progress: 'Channel' }],
      ['file_open', { path: '/home/me/Downloads/cat.png' }],
      ['file_reveal', { path: '/home/me/Downloads/cat.png' }],
    ]);
  });
});
