//! Entry point: picks the transport — Tauri IPC inside the desktop window, socket.io-client for
//! browser guests — each behind a dynamic import so neither bundle carries the other, then mounts
//! the app. Everything past this file sees only the `Transport` interface.

import { render } from 'preact';
import { ChatApp } from './app';
import { type GuestConfig, guestConfig, parseGuestQuery } from './invite';
import { browserNotifier, type Notifier, tauriNotifier } from './notify';
import { setExternalOpener } from './external';
import { prefs } from './prefs';
import { checkNickName } from './protocol';
import type { Transport } from './transport/types';
import { Root } from './views/App';
import { followVisualViewport } from './viewport';
import './styles/theme.css';
import './styles.css';
import './styles/files.css';
import './styles/conversation.css';
import './styles/history.css';
import './styles/narrow.css';

/** `?server=URL` points a page at another room server; production builds ignore it. */
const ALLOW_SERVER_PARAM = import.meta.env.MODE !== 'production';

/**
 * The native window title follows `document.title` (where the unread count lives, as "(3) …"),
 * and the taskbar badge shows the same count (`set_unread`, docs/ipc.md).
 */
async function mirrorTitleToWindow() {
  const { getCurrentWindow } = await import('@tauri-apps/api/window');
  const { invoke } = await import('@tauri-apps/api/core');
  const win = getCurrentWindow();
  let last = '';
  const sync = () => {
    if (document.title === last) return;
    last = document.title;
    win.setTitle(last).catch((e) => console.warn('lanchat: could not set the window title', e));
    const unread = /^\((\d+)\)/.exec(last);
    invoke('set_unread', { count: unread ? Number(unread[1]) : 0 }).catch((e) =>
      console.warn('lanchat: could not set the unread badge', e),
    );
  };
  const title = document.querySelector('title') ?? document.head.appendChild(document.createElement('title'));
  new MutationObserver(sync).observe(title, { childList: true, characterData: true, subtree: true });
  sync();
}

/**
 * Keeps `?room=` on the guest's address bar pointing at the open room, so a reload, a bookmark or
 * "Add to Home Screen" (Safari uses the current address, not `start_url`) comes back to it.
 */
function mirrorRoomToUrl(app: ChatApp) {
  let shown: string | null = null;
  app.subscribe(() => {
    const room = app.chat.active;
    if (!room || room === shown || app.session.phase !== 'chat') return;
    shown = room;
    const url = new URL(location.href);
    url.searchParams.set('room', room);
    url.searchParams.delete('nick'); // a shared link should ask the next person for theirs
    history.replaceState(history.state, '', url);
  });
}

async function boot() {
  let transport: Transport;
  let notifier: Notifier;
  let guest: GuestConfig | null = null;

  if ('__TAURI_INTERNALS__' in window) {
    const { createTauriTransport } = await import('./transport/tauri');
    transport = createTauriTransport();
    const { openUrl } = await import('@tauri-apps/plugin-opener');
    setExternalOpener((href) => openUrl(href));
    await mirrorTitleToWindow();
    notifier = await tauriNotifier().catch((e) => {
      console.warn('lanchat: notification plugin unavailable', e);
      return browserNotifier();
    });
  } else {
    const query = parseGuestQuery(location.search, ALLOW_SERVER_PARAM);
    const address = query.server ?? location.origin;
    const { createBrowserTransport } = await import('./transport/browser');
    transport = createBrowserTransport({ defaultAddress: address });
    notifier = browserNotifier();
    const installed = typeof matchMedia === 'function' && matchMedia('(display-mode: standalone)').matches;
    guest = guestConfig(address, query, prefs.recent(), installed);
  }

  const visible = () => document.visibilityState === 'visible' && document.hasFocus();
  const app = new ChatApp(transport, notifier, {
    languages: navigator.languages?.length ? navigator.languages : [navigator.language],
    attention: visible(),
  });
  app.setLang(app.session.lang);
  app.setTheme(app.session.theme);
  followVisualViewport();

  if (guest?.nick && !checkNickName(guest.nick)) {
    app.setNick(guest.nick); // `&nick=N`: join at once
  } else if (guest?.autoJoin) {
    app.requireNick(); // `?room=R`: confirm the nickname first, then join R
  }
  if (guest) mirrorRoomToUrl(app);

  const sync = () => app.setAttention(visible());
  window.addEventListener('focus', sync);
  window.addEventListener('blur', sync);
  document.addEventListener('visibilitychange', sync);

  if (transport.host) void app.refreshHosting();

  const root = document.getElementById('app');
  if (root) render(<Root app={app} guest={guest} />, root);
}

boot().catch((e) => {
  console.error('lanchat: failed to start', e);
  const root = document.getElementById('app');
  if (root) root.textContent = `lanchat failed to start: ${String(e)}`;
});
