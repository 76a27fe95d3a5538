//! "On this network" at the top of the desktop Join card: the hosts found on the LAN, live (name,
//! address, people, a lock when a password is needed), one click to join; while none is found it
//! says so and explains the other ways in (address, invite link, QR). The looking itself is Rust's
//! (`transport.discovery`); what to list is `discovery.ts`.

import { useEffect, useState } from 'preact/hooks';
import { discoveryStatus, type FoundEntry, foundEntries, NOTHING_FOUND_AFTER_MS } from '../discovery';
import type { RecentServer } from '../prefs';
import { type Discovery, type FoundHost, toTransportError } from '../transport/types';
import { useApp } from './context';
import { Icon } from './Icon';

export interface FoundLook {
  /** Whether there is discovery here at all (the window: yes; a browser guest: no). */
  available: boolean;
  hosts: FoundHost[];
  errorCode: string | null;
  /** The wait after which "nothing found" is said is over. */
  waited: boolean;
  retry(): void;
}

/** The hosts found by `discovery`, live, while the caller is mounted. */
export function useFoundHosts(discovery: Discovery | undefined): FoundLook {
  const [hosts, setHosts] = useState<FoundHost[]>([]);
  const [errorCode, setErrorCode] = useState<string | null>(null);
  const [waited, setWaited] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!discovery) return;
    let alive = true;
    let stop: (() => void) | null = null;
    setHosts([]);
    setErrorCode(null);
    setWaited(false);
    discovery
      .browse((list) => {
        if (alive) setHosts(list);
      })
      .then((s) => {
        if (alive) stop = s;
        else s();
      })
      .catch((e) => {
        if (alive) setErrorCode(toTransportError(e).code);
      });
    const timer = setTimeout(() => {
      if (alive) setWaited(true);
    }, NOTHING_FOUND_AFTER_MS);
    return () => {
      alive = false;
      clearTimeout(timer);
      stop?.();
    };
  }, [discovery, attempt]);

  return { available: Boolean(discovery), hosts, errorCode, waited, retry: () => setAttempt((n) => n + 1) };
}

export function FoundHosts({
  look,
  recent,
  room,
  busy,
  onPick,
}: {
  look: FoundLook;
  recent: readonly RecentServer[];
  /** The Join card's room field: what a click joins on a server not joined before. */
  room: string;
  busy: boolean;
  onPick: (entry: FoundEntry) => void;
}) {
  const app = useApp();
  const { t } = app;
  const entries = foundEntries(look.hosts, recent, app.session.hosting?.announcedAs ?? null, room.trim() || 'lobby');
  const status = discoveryStatus({
    available: look.available,
    errorCode: look.errorCode,
    waited: look.waited,
    count: entries.length,
  });
  if (status === 'unavailable') return null;

  const people = (n: number) => (n === 1 ? t('found.peopleOne') : t('found.people', { n }));
  const said = {
    searching: t('found.searching'),
    found: entries.length === 1 ? t('found.countOne') : t('found.count', { n: entries.length }),
    none: t('found.none'),
    off: t('found.off'),
    failed: t('found.failed'),
  }[status];

  return (
    <section class="found" aria-labelledby="found-title" data-testid="found" data-status={status}>
      <h3 class="recent-title" id="found-title">
        {t('found.title')}
      </h3>
      {entries.length > 0 && (
        <ul class="found-list">
          {entries.map((e) => {
            const h = e.host;
            const label = [t('found.join', { name: h.name }), h.address, people(h.people)];
            if (h.passwordRequired) label.push(t('found.locked'));
            return (
              <li key={h.id}>
                <button
                  type="button"
                  class="found-host"
                  data-testid="found-host"
                  data-address={h.address}
                  data-locked={h.passwordRequired ? 'true' : 'false'}
                  aria-label={label.join(', ')}
                  disabled={busy}
                  onClick={() => onPick(e)}
                >
                  <span class="found-name">
                    <span class="found-name-text">{h.name}</span>
                    {h.passwordRequired && (
                      <span class="found-lock" title={t('found.locked')}>
                        <Icon name="lock" />
                      </span>
                    )}
                  </span>
                  <span class="found-go" aria-hidden="true">
                    {t('join.button')}
                  </span>
                  <span class="found-meta">
                    <span class="mono">{h.address}</span>
                    <span class="found-people">
                      <Icon name="people" />
                      {people(h.people)}
                    </span>
                    {e.joinedBefore && <span class="found-before">{t('found.joinedBefore')}</span>}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <div
        class={status === 'found' ? 'visually-hidden' : `found-status found-${status}`}
        role="status"
        data-testid="found-status"
      >
        {status === 'searching' && <span class="found-spinner" aria-hidden="true" />}
        <p>{said}</p>
        {(status === 'none' || status === 'off' || status === 'failed') && <p class="found-help">{t('found.help')}</p>}
      </div>
      {status === 'failed' && (
        <button type="button" class="link-btn" data-testid="found-retry" onClick={look.retry}>
          {t('found.retry')}
        </button>
      )}
    </section>
  );
}
