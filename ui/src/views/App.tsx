//! The root view: header (brand, server, connection pill, language, hosting), then the screen for
//! the current phase — nickname prompt, setup cards, or the chat — and the toast stack.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatApp } from '../app';
import { errorText, type Lang, LANGS } from '../i18n';
import type { GuestConfig } from '../invite';
import { THEMES, type ThemeChoice } from '../prefs';
import { ChatScreen } from './ChatScreen';
import { AppContext, useApp, useAppUpdates } from './context';
import { HostPanel } from './HostPanel';
import { NickPrompt } from './NickPrompt';
import { SetupScreen } from './SetupScreen';
import { Icon } from './Icon';

export function Root({ app, guest }: { app: ChatApp; guest: GuestConfig | null }) {
  useAppUpdates(app);
  const [hostPanelOpen, setHostPanelOpen] = useState(false);
  const { phase } = app.session;
  return (
    <AppContext.Provider value={app}>
      <div class="shell">
        <Header onHostPanel={() => setHostPanelOpen(true)} />
        {!app.isDesktop && location.protocol === 'http:' && !isLoopback(location.hostname) && (
          <p class="plain-notice" role="status" data-testid="plain-notice">
            {app.t('guest.plain')}
          </p>
        )}
        <main class="content" id="main">
          {phase === 'nick' && <NickPrompt guest={guest} />}
          {phase === 'setup' && <SetupScreen guest={guest} onHosted={() => setHostPanelOpen(true)} />}
          {phase === 'chat' && <ChatScreen />}
        </main>
        <Toasts />
        {hostPanelOpen && app.session.hosting && <HostPanel onClose={() => setHostPanelOpen(false)} />}
      </div>
    </AppContext.Provider>
  );
}

/** A page on this computer itself (a dev server, the E2E's own host) crosses no network. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

function Header({ onHostPanel }: { onHostPanel: () => void }) {
  const app = useApp();
  const { t } = app;
  const { server, hosting, phase } = app.session;
  const state = app.chat.connection;
  const showPill = phase === 'chat' || state !== 'disconnected';
  return (
    <header class="topbar">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true" />
        <span class={phase === 'chat' ? 'brand-name brand-name-chat' : 'brand-name'}>{t('app.name')}</span>
        {server && phase === 'chat' && (
          <span class="server-label" title={server.node ? `${server.url} → ${server.node}` : server.url} data-testid="server-label">
            {server.info.name && server.info.name !== server.hostPort
              ? `${server.info.name} · ${server.node ?? server.hostPort}`
              : (server.node ?? server.hostPort)}
          </span>
        )}
      </div>
      <div class="topbar-actions">
        {showPill && (
          <span
            class={`pill pill-${state}`}
            data-testid="state-pill"
            data-state={state}
            role="status"
            aria-live="polite"
          >
            <span class="pill-dot" aria-hidden="true" />
            {t(`state.${state}`)}
          </span>
        )}
        {hosting && phase === 'chat' && (
          <button type="button" class="btn btn-host" data-testid="host-panel-open" onClick={onHostPanel}>
            {t('host.panel')} :{hosting.port}
          </button>
        )}
        <Settings />
        {phase === 'chat' && (
          <button
            type="button"
            class="btn btn-ghost btn-leave"
            data-testid="disconnect-button"
            title={t('chat.disconnect')}
            onClick={() => void app.leaveServer()}
          >
            <Icon name="leave" />
            <span class="btn-label">{t('chat.disconnect')}</span>
          </button>
        )}
      </div>
    </header>
  );
}

/**
 * Language and theme. Wide, the two selects sit in the header; narrow, they fold behind one
 * button (a disclosure: Escape or moving focus away closes it) so the header fits a phone.
 */
function Settings() {
  const app = useApp();
  const { t } = app;
  const [open, setOpen] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  return (
    <div
      class="settings"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.preventDefault();
          setOpen(false);
          toggle.current?.focus();
        }
      }}
      onFocusOut={(e) => {
        const to = e.relatedTarget as Node | null;
        if (open && to && !(e.currentTarget as HTMLElement).contains(to)) setOpen(false);
      }}
    >
      <button
        type="button"
        ref={toggle}
        class="icon-btn settings-toggle"
        data-testid="settings-toggle"
        aria-label={t('settings.label')}
        aria-expanded={open}
        aria-controls="settings-panel"
        onClick={() => setOpen(!open)}
      >
        <Icon name="sliders" />
      </button>
      <div id="settings-panel" class={open ? 'settings-panel is-open' : 'settings-panel'} data-testid="settings-panel">
        <label class="select-wrap">
          <span class="select-label">{t('lang.label')}</span>
          <select
            data-testid="lang-switch"
            value={app.session.lang}
            onChange={(e) => app.setLang((e.currentTarget as HTMLSelectElement).value as Lang)}
          >
            {LANGS.map((l) => (
              <option key={l.id} value={l.id} lang={l.id === 'zh' ? 'zh-CN' : 'en'}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
        <label class="select-wrap">
          <span class="select-label">{t('theme.label')}</span>
          <select
            data-testid="theme-switch"
            value={app.session.theme}
            onChange={(e) => app.setTheme((e.currentTarget as HTMLSelectElement).value as ThemeChoice)}
          >
            {THEMES.map((id) => (
              <option key={id} value={id}>
                {t(`theme.${id}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
    </div>
  );
}

/** How long an error toast stays unless dismissed. */
const TOAST_MS = 7000;

function Toasts() {
  const app = useApp();
  const { toasts } = app.chat;
  const first = toasts[0]?.id;
  useEffect(() => {
    if (first === undefined) return;
    const timer = setTimeout(() => app.dismissToast(first), TOAST_MS);
    return () => clearTimeout(timer);
  }, [first]);
  if (toasts.length === 0) return null;
  return (
    <div class="toasts" role="alert">
      {toasts.map((toast) => (
        <div class="toast" key={toast.id} data-testid="toast" data-code={toast.code}>
          <span>{errorText(app.t, toast.code, toast.message)}</span>
          <button
            type="button"
            class="icon-btn"
            aria-label={app.t('common.dismiss')}
            onClick={() => app.dismissToast(toast.id)}
          >
            <Icon name="close" />
          </button>
        </div>
      ))}
    </div>
  );
}
