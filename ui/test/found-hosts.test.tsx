// @vitest-environment jsdom
// The desktop Join card's "On this network": hosts appear and go as the Rust browse reports them,
// a click joins one, and when nothing is found (or discovery is off) it says so and what to do.

import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatApp } from '../src/app';
import { NOTHING_FOUND_AFTER_MS } from '../src/discovery';
import type { Notifier } from '../src/notify';
import type { ClientEvent, Discovery, FoundHost, HostControls, JoinAck, SendAck, ServerInfo, Transport } from '../src/transport/types';
import { TransportError } from '../src/transport/types';
import { AppContext } from '../src/views/context';
import { JoinCard } from '../src/views/JoinCard';

const notifier: Notifier = { ask() {}, show() {} };

function host(name: string, ip: string, extra: Partial<FoundHost> = {}): FoundHost {
  return {
    id: `lanchat-${name}._lanchat._tcp.local.`,
    name,
    address: `${ip}:7878`,
    addresses: [ip],
    port: 7878,
    version: '0.1.0',
    passwordRequired: false,
    people: 2,
    ...extra,
  };
}

/** A desktop transport whose discovery the test drives. */
class FakeDesktop implements Transport {
  readonly kind = 'tauri' as const;
  calls: string[] = [];
  onHosts: ((h: FoundHost[]) => void) | null = null;
  browseError: TransportError | null = null;
  stopped = 0;
  host = {} as HostControls;
  discovery: Discovery = {
    browse: async (onHosts) => {
      if (this.browseError) throw this.browseError;
      this.onHosts = onHosts;
      onHosts([]);
      return () => {
        this.stopped += 1;
      };
    },
  };
  async connect(o: { address?: string; nickName: string; password?: string }): Promise<ServerInfo> {
    this.calls.push(`connect ${o.address}`);
    return { server: 'lanchat', name: 'A', version: '0.1.0', passwordRequired: false, rooms: [] };
  }
  serverInfo = async () => null;
  async join(room: string): Promise<JoinAck> {
    this.calls.push(`join ${room}`);
    return { room, nickName: 'me', lastSeq: 0, members: ['me'] };
  }
  leave = async () => {};
  send = async () => {};
  typing = async () => {};
  edit = async () => {};
  deleteMessage = async () => {};
  react = async () => {};
  openPrivate = async (_room: string, nickName: string) => ({ room: "dm:a:b", nickName });
  history = async (room: string) => ({ room, messages: [], more: false, moreAfter: false });
  search = async (room: string) => ({ room, results: [], more: false });
  disconnect = async () => {};
  uploadFile = async (): Promise<SendAck> => {
    throw new Error('not in this test');
  };
  fileUrl = () => null;
  onEvent(_cb: (e: ClientEvent) => void) {
    return () => {};
  }
}

let root: HTMLElement;
let tr: FakeDesktop;

async function mount() {
  const app = new ChatApp(tr, notifier);
  await act(async () => {
    render(
      <AppContext.Provider value={app}>
        <JoinCard />
      </AppContext.Provider>,
      root,
    );
  });
  await settle();
  return app;
}

/** Lets promise chains started by effects and clicks run (fake timers or not). */
async function settle() {
  await act(async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  });
}

const q = (sel: string) => root.querySelector<HTMLElement>(sel);
const found = () => [...root.querySelectorAll<HTMLElement>('[data-testid=found-host]')];

beforeEach(() => {
  localStorage.clear();
  localStorage.setItem('lanchat.nick', 'me');
  root = document.createElement('div');
  document.body.appendChild(root);
  tr = new FakeDesktop();
});

afterEach(() => {
  render(null, root);
  root.remove();
  vi.useRealTimers();
});

describe('hosts on this network', () => {
  it('lists hosts as they come and go, with a lock where a password is needed', async () => {
    await mount();
    expect(q('[data-testid=found]')?.dataset.status).toBe('searching');
    await act(async () => tr.onHosts!([host('Room A', '10.0.0.2'), host('Room B', '10.0.0.3', { passwordRequired: true, people: 1 })]));
    expect(q('[data-testid=found]')?.dataset.status).toBe('found');
    expect(found().map((b) => [b.dataset.address, b.dataset.locked])).toEqual([
      ['10.0.0.2:7878', 'false'],
      ['10.0.0.3:7878', 'true'],
    ]);
    expect(found()[1].getAttribute('aria-label')).toBe('Join Room B, 10.0.0.3:7878, 1 person, Password needed');
    expect(q('[data-testid=found-status]')?.textContent).toBe('2 rooms found');
    await act(async () => tr.onHosts!([host('Room B', '10.0.0.3')]));
    expect(found().map((b) => b.dataset.address)).toEqual(['10.0.0.3:7878']);
  });

  it('joins a found host in one click', async () => {
    const app = await mount();
    await act(async () => tr.onHosts!([host('Room A', '10.0.0.2')]));
    await act(async () => found()[0].click());
    await settle();
    expect(tr.calls).toEqual(['connect http://10.0.0.2:7878', 'join lobby']);
    expect(app.session.phase).toBe('chat');
  });

  it('keeps a locked host\'s fingerprint when Join is pressed again with the password', async () => {
    const fp = 'ab'.repeat(32);
    tr.connect = async (o) => {
      tr.calls.push(`connect ${o.address} ${o.password ?? '-'}`);
      if (!o.password) throw new TransportError('password_required', 'password required');
      return { server: 'lanchat', name: 'Lab', version: '0.1.0', passwordRequired: true, rooms: [] };
    };
    const app = await mount();
    await act(async () => tr.onHosts!([host('Lab', '10.0.0.2', { passwordRequired: true, fingerprint: fp })]));
    await act(async () => found()[0].click());
    await settle();
    const field = q('[data-testid=password-input]') as HTMLInputElement;
    expect(field).not.toBeNull();
    await act(async () => {
      field.value = 's3cret';
      field.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => q('[data-testid=join-button]')!.click());
    await settle();
    expect(tr.calls).toEqual([`connect http://10.0.0.2:7878/?fp=${fp} -`, `connect http://10.0.0.2:7878/?fp=${fp} s3cret`, 'join lobby']);
    expect(app.session.phase).toBe('chat');
  });

  it('says when nothing was found, and how else to join', async () => {
    vi.useFakeTimers();
    await mount();
    await act(async () => {
      vi.advanceTimersByTime(NOTHING_FOUND_AFTER_MS);
    });
    expect(q('[data-testid=found]')?.dataset.status).toBe('none');
    const text = q('[data-testid=found-status]')?.textContent ?? '';
    expect(text).toContain('No rooms found on this network.');
    expect(text).toContain('invite link');
    expect(text).toContain('QR code');
    // A host that starts later still shows up.
    await act(async () => tr.onHosts!([host('Late', '10.0.0.9')]));
    expect(found().length).toBe(1);
  });

  it('says when looking is turned off on this computer, and stops looking when left', async () => {
    tr.browseError = new TransportError('discovery_off', 'LANCHAT_NO_DISCOVERY is set');
    await mount();
    expect(q('[data-testid=found]')?.dataset.status).toBe('off');
    expect(q('[data-testid=found-status]')?.textContent).toContain('turned off');

    tr = new FakeDesktop();
    await mount();
    await act(async () => {
      render(null, root);
    });
    expect(tr.stopped).toBe(1);
  });
});
