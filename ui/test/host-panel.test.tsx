// @vitest-environment jsdom
// The host panel's switch for browsers on plain http://: it shows what the server allows now,
// is named by its visible label, asks the host to change it, and stays as it was when refused.

import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatApp } from '../src/app';
import type { Notifier } from '../src/notify';
import type { HostControls, HostInfo, Transport } from '../src/transport/types';
import { TransportError } from '../src/transport/types';
import { AppContext, useAppUpdates } from '../src/views/context';
import { HostPanel } from '../src/views/HostPanel';

const notifier: Notifier = { ask() {}, show() {} };
const FP = 'ab'.repeat(32);

let root: HTMLElement;
let hosting: HostInfo;
let asked: boolean[];
let refuse: TransportError | null;

const host: HostControls = {
  suggestPort: async () => 7878,
  start: async () => hosting,
  stop: async () => {},
  status: async () => hosting,
  kick: async () => {},
  rooms: async () => [],
  deleteMessage: async () => {},
  clearRoom: async () => {},
  roomMessages: async () => [],
  setPassword: async () => hosting,
  setAnnounce: async () => hosting,
  setPlainGuests: async (allow) => {
    asked.push(allow);
    if (refuse) throw refuse;
    hosting = { ...hosting, plainGuests: allow };
    return hosting;
  },
};

/** Just what the panel reaches: the host controls (the chat side is never used here). */
const transport = { kind: 'tauri', host, onEvent: () => () => {} } as unknown as Transport;

function Panel({ app }: { app: ChatApp }) {
  useAppUpdates(app);
  return (
    <AppContext.Provider value={app}>
      <HostPanel onClose={() => {}} />
    </AppContext.Provider>
  );
}

async function mount() {
  const app = new ChatApp(transport, notifier);
  await app.refreshHosting();
  await act(async () => {
    render(<Panel app={app} />, root);
  });
  return app;
}

/** Lets the click's promise chain (the IPC call, then the re-render) run. */
async function settle() {
  await act(async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  });
}

const plainSwitch = () => root.querySelector<HTMLInputElement>('[data-testid=host-panel-plain-guests]')!;

beforeEach(() => {
  localStorage.clear();
  localStorage.setItem('lanchat.nick', 'me');
  localStorage.setItem('lanchat.lang', 'en');
  // jsdom has <dialog> but not its modal methods.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
  hosting = { port: 7878, addresses: ['192.168.1.9'], passwordRequired: true, announcedAs: null, fingerprint: FP, plainGuests: false };
  asked = [];
  refuse = null;
  root = document.createElement('div');
  document.body.appendChild(root);
});

afterEach(() => {
  render(null, root);
  root.remove();
});

describe('host panel: plain http:// guests', () => {
  it('is a switch named by its label, showing what the server allows now', async () => {
    await mount();
    const box = plainSwitch();
    expect(box.getAttribute('role')).toBe('switch');
    expect(box.checked).toBe(false);
    const label = root.querySelector(`label[for=${box.id}]`)!;
    expect(label.textContent).toBe('Let browsers join without encryption (http://)');
    const hint = document.getElementById(box.getAttribute('aria-describedby')!)!;
    expect(hint.textContent).toContain('password and the messages');
    expect(hint.textContent).toContain('already connected stay');
  });

  it('turns plain guests on and off through the host', async () => {
    const app = await mount();
    await act(async () => plainSwitch().click());
    await settle();
    expect(asked).toEqual([true]);
    expect(plainSwitch().checked).toBe(true);
    expect(app.session.hosting?.plainGuests).toBe(true);
    await act(async () => plainSwitch().click());
    await settle();
    expect(asked).toEqual([true, false]);
    expect(plainSwitch().checked).toBe(false);
  });

  it('stays as it was when the host refuses, and says why', async () => {
    await mount();
    refuse = new TransportError('not_hosting', 'not hosting');
    await act(async () => plainSwitch().click());
    await settle();
    expect(asked).toEqual([true]);
    expect(plainSwitch().checked).toBe(false);
    expect(root.querySelector('[role=alert]')?.textContent).toBe('This computer is not hosting a server.');
  });
});
