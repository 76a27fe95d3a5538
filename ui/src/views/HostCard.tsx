//! "Host on this computer" (desktop only): port (suggested by the Rust side), optional password,
//! whether people on the network can find it, Start. While hosting it shows the invite
//! (addresses, link, QR), Open chat and Stop.

import { useEffect, useState } from 'preact/hooks';
import { prefs } from '../prefs';
import { DEFAULT_PORT } from '../protocol';
import { useApp } from './context';
import { failure } from './failure';
import { InviteBox } from './InviteBox';
import { Switch } from './Switch';

export function HostCard({ onHosted }: { onHosted: () => void }) {
  const app = useApp();
  const { t } = app;
  const hosting = app.session.hosting;
  const [port, setPort] = useState('');
  const [password, setPassword] = useState('');
  const [announce, setAnnounce] = useState(() => prefs.hostAnnounce());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    app.transport.host
      ?.suggestPort()
      .then((p) => setPort((cur) => cur || String(p)))
      .catch(() => setPort((cur) => cur || String(DEFAULT_PORT)));
  }, [app]);

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(failure(t, e).text);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const start = async (e: Event) => {
    e.preventDefault();
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      setError(t('host.badPort'));
      return;
    }
    if (await run(() => app.startHosting(n, password || null, announce))) onHosted();
  };

  if (hosting) {
    return (
      <section class="card" aria-labelledby="host-title" data-testid="host-card" data-hosting="true">
        <header class="card-head">
          <span class="card-icon card-icon-host" aria-hidden="true" />
          <div>
            <h2 class="card-title" id="host-title">
              {t('host.running', { port: hosting.port })}
            </h2>
            <p class="card-subtitle">
              <span class={hosting.passwordRequired ? 'tag tag-lock' : 'tag'}>
                {hosting.passwordRequired ? t('host.protected') : t('host.open')}
              </span>
            </p>
          </div>
        </header>
        <InviteBox hosting={hosting} idPrefix="host-card" />
        {app.needsHostPassword && (
          <div class="field">
            <label for="host-own-password">{t('join.password')}</label>
            <input
              id="host-own-password"
              type="password"
              value={password}
              onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
            />
          </div>
        )}
        {error && (
          <p class="form-error" role="alert" data-testid="host-error">
            {error}
          </p>
        )}
        <div class="card-actions">
          <button
            type="button"
            class="btn btn-primary"
            data-testid="host-open-chat"
            disabled={busy}
            onClick={() => void run(() => app.joinOwnServer(password || undefined))}
          >
            {t('host.openChat')}
          </button>
          <button
            type="button"
            class="btn btn-danger-outline"
            data-testid="host-stop"
            disabled={busy}
            onClick={() => void run(() => app.stopHosting())}
          >
            {t('host.stop')}
          </button>
        </div>
      </section>
    );
  }

  return (
    <form class="card" aria-labelledby="host-title" data-testid="host-card" data-hosting="false" onSubmit={start} noValidate>
      <header class="card-head">
        <span class="card-icon card-icon-host" aria-hidden="true" />
        <div>
          <h2 class="card-title" id="host-title">
            {t('host.title')}
          </h2>
          <p class="card-subtitle">{t('host.subtitle')}</p>
        </div>
      </header>
      <div class="field">
        <label for="host-port">{t('host.port')}</label>
        <input
          id="host-port"
          data-testid="host-port"
          inputMode="numeric"
          class="input-port"
          value={port}
          onInput={(e) => setPort((e.currentTarget as HTMLInputElement).value.replace(/\D/g, ''))}
        />
      </div>
      <div class="field">
        <label for="host-password">{t('host.password')}</label>
        <input
          id="host-password"
          type="password"
          data-testid="host-password"
          autocomplete="new-password"
          value={password}
          aria-describedby="host-password-hint"
          onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
        />
        <p class="field-hint" id="host-password-hint">
          {t('host.passwordHint')}
        </p>
      </div>
      <Switch
        id="host-announce"
        label={t('host.announce')}
        hint={t('host.announceHint')}
        checked={announce}
        disabled={busy}
        onChange={setAnnounce}
      />
      {error && (
        <p class="form-error" role="alert" data-testid="host-error">
          {error}
        </p>
      )}
      <div class="card-actions">
        <button type="submit" class="btn btn-primary" data-testid="host-start" disabled={busy || !port}>
          {busy ? t('host.starting') : t('host.start')}
        </button>
      </div>
    </form>
  );
}
