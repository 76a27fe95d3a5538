//! Search in the active room: a search box, the newest matches with their sender, time and a
//! snippet whose matched words are marked (built from text nodes, never HTML), and a click that
//! jumps to the message in the list (loading the page around it when it is not loaded).

import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { snippetParts } from '../chat/pages';
import type { RoomView } from '../chat/store';
import { errorText } from '../i18n';
import type { SearchResults } from '../transport/types';
import { toTransportError } from '../transport/types';
import { useApp } from './context';
import { Icon } from './Icon';
import { roomLabel } from './roomLabel';

type Found = { q: string; res: SearchResults } | { q: string; error: string } | null;

export function SearchPanel({ room, onClose, onJumped }: { room: RoomView; onClose: () => void; onJumped: () => void }) {
  const app = useApp();
  const { t } = app;
  const input = useRef<HTMLInputElement>(null);
  const [q, setQ] = useState('');
  const [busy, setBusy] = useState(false);
  const [found, setFound] = useState<Found>(null);
  /** Only the latest search's answer is shown. */
  const asked = useRef(0);

  useLayoutEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const query = q.trim();
    if (!query) return;
    const n = ++asked.current;
    setBusy(true);
    try {
      const res = await app.search(room.name, query);
      if (n === asked.current) setFound({ q: query, res });
    } catch (err) {
      const x = toTransportError(err);
      if (n === asked.current) setFound({ q: query, error: errorText(t, x.code, x.message) });
    } finally {
      if (n === asked.current) setBusy(false);
    }
  };

  const jump = (seq: number) => {
    onJumped();
    app.jumpTo(room.name, seq).catch((e) => app.report(e));
  };

  const time = new Intl.DateTimeFormat(app.session.lang === 'zh' ? 'zh-CN' : 'en', { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <section
      class="search-panel"
      data-testid="search-panel"
      aria-label={t('search.label', { room: roomLabel(room, t) })}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <form class="search-form" role="search" onSubmit={submit}>
        <input
          ref={input}
          type="search"
          class="input search-input"
          data-testid="search-input"
          placeholder={t('search.placeholder')}
          aria-label={t('search.label', { room: roomLabel(room, t) })}
          maxLength={200}
          value={q}
          onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)}
        />
        <button type="submit" class="btn btn-small" data-testid="search-go" disabled={busy || !q.trim()}>
          {t('search.go')}
        </button>
        <button type="button" class="icon-btn" data-testid="search-close" onClick={onClose}>
          <Icon name="close" />
          <span class="visually-hidden">{t('search.close')}</span>
        </button>
      </form>
      <div class="search-status" aria-live="polite">
        {busy
          ? t('search.searching')
          : found && 'error' in found
            ? found.error
            : found && found.res.results.length === 0
              ? t('search.none', { q: found.q })
              : found
                ? found.res.results.length === 1
                  ? t('search.countOne')
                  : t('search.count', { n: found.res.results.length })
                : ''}
      </div>
      {found && 'res' in found && found.res.results.length > 0 && (
        <ol class="search-results" data-testid="search-results">
          {found.res.results.map((h) => (
            <li key={h.seq}>
              <button
                type="button"
                class="search-hit"
                data-testid="search-hit"
                data-seq={h.seq}
                title={t('search.jump', { nick: h.nickName })}
                onClick={() => jump(h.seq)}
              >
                <span class="search-hit-head">
                  <span class="msg-nick">{h.nickName}</span>
                  <time dateTime={new Date(h.ts).toISOString()}>{time.format(new Date(h.ts))}</time>
                </span>
                <span class="search-snippet">
                  {snippetParts(h.snippet).map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : p.text))}
                </span>
              </button>
            </li>
          ))}
        </ol>
      )}
      {found && 'res' in found && found.res.more && <p class="search-more">{t('search.more', { n: found.res.results.length })}</p>}
    </section>
  );
}
