//! The host's moderation view inside the host panel: every room on the server this window hosts
//! and who is in it — also rooms the window never joined — with Kick, its newest messages with
//! Delete, and Clear history (deleting and clearing after a second press to confirm). Refreshed
//! while open, since the host's own chat state only knows the rooms it joined.

import { useEffect, useState } from 'preact/hooks';
import type { Message, RoomOverview } from '../transport/types';
import { useApp } from './context';

/** How often the open panel asks the server again (ms). */
const REFRESH_MS = 2000;

export function HostRooms({ busy, run }: { busy: boolean; run: (fn: () => Promise<void>) => Promise<void> }) {
  const app = useApp();
  const { t } = app;
  const [rooms, setRooms] = useState<RoomOverview[] | null>(null);
  const [tick, setTick] = useState(0);
  // The room whose Clear history waits for its confirming press.
  const [clearing, setClearing] = useState<string | null>(null);
  // The room whose messages are shown.
  const [showing, setShowing] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    app.hostedRooms().then(
      (r) => live && setRooms(r),
      () => live && setRooms([]),
    );
    const timer = setTimeout(() => setTick((n) => n + 1), REFRESH_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [app, tick]);

  // The window's own nickname in each room it joined on its own server.
  const own = new Map(
    app.session.server?.own ? app.chat.rooms.filter((r) => r.status === 'joined').map((r) => [r.name, r.nickName]) : [],
  );

  return (
    <section class="panel-rooms" aria-labelledby="host-rooms-title" data-testid="host-rooms">
      <h3 id="host-rooms-title">{t('host.rooms')}</h3>
      {rooms !== null && rooms.length === 0 && <p class="panel-rooms-empty">{t('host.noRooms')}</p>}
      {rooms?.map((r) => (
        <section class="panel-room" key={r.name} data-testid="host-room" data-room={r.name}>
          <h4>
            #{r.name}{' '}
            <span class="panel-room-count">{t('host.roomCount', { count: r.members.length, messages: r.lastSeq })}</span>
          </h4>
          {clearing === r.name ? (
            <p class="panel-room-confirm" role="alert">
              {t('host.clearConfirm', { room: r.name })}{' '}
              <button
                type="button"
                class="btn btn-small btn-danger-outline"
                data-testid="panel-clear-confirm"
                disabled={busy}
                onClick={() =>
                  void run(async () => {
                    setClearing(null);
                    await app.clearRoom(r.name);
                    setTick((n) => n + 1);
                  })
                }
              >
                {t('host.clear')}
              </button>{' '}
              <button type="button" class="btn btn-small" onClick={() => setClearing(null)}>
                {t('host.cancel')}
              </button>
            </p>
          ) : (
            r.lastSeq > 0 && (
              <button
                type="button"
                class="btn btn-small btn-danger-outline"
                data-testid="panel-clear"
                data-room={r.name}
                disabled={busy}
                aria-label={t('host.clearLabel', { room: r.name })}
                onClick={() => setClearing(r.name)}
              >
                {t('host.clear')}
              </button>
            )
          )}
          <button
            type="button"
            class="btn btn-small"
            data-testid="panel-messages"
            data-room={r.name}
            aria-expanded={showing === r.name}
            onClick={() => setShowing(showing === r.name ? null : r.name)}
          >
            {t('host.messages')}
          </button>
          {showing === r.name && <RoomMessages room={r.name} tick={tick} busy={busy} run={run} />}
          <ul class="panel-members">
            {r.members.map((nick) => (
              <li key={nick} data-testid="panel-member" data-nick={nick} data-room={r.name}>
                <span>{nick}</span>
                {r.unencrypted.includes(nick) && (
                  <span class="tag tag-warn" data-testid="panel-unencrypted" title={t('chat.unencryptedLabel', { nick })}>
                    {t('chat.unencrypted')}
                  </span>
                )}
                {nick === own.get(r.name) ? (
                  <span class="you-tag">{t('chat.you')}</span>
                ) : (
                  <button
                    type="button"
                    class="btn btn-small btn-danger-outline"
                    data-testid="panel-kick"
                    data-nick={nick}
                    data-room={r.name}
                    disabled={busy}
                    aria-label={t('host.kickLabel', { nick, room: r.name })}
                    onClick={() =>
                      void run(async () => {
                        await app.kick(r.name, nick);
                        setTick((n) => n + 1);
                      })
                    }
                  >
                    {t('host.kick')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}

/** A hosted room's newest messages, each with Delete (a second press confirms). */
function RoomMessages({ room, tick, busy, run }: { room: string; tick: number; busy: boolean; run: (fn: () => Promise<void>) => Promise<void> }) {
  const app = useApp();
  const { t } = app;
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    app.hostedMessages(room).then(
      (m) => live && setMessages(m),
      () => live && setMessages([]),
    );
    return () => {
      live = false;
    };
  }, [app, room, tick, reload]);

  const shown = (messages ?? []).filter((m) => m.kind === 'chat' || m.kind === 'file');
  if (messages !== null && shown.length === 0) return <p class="panel-rooms-empty">{t('host.noMessages')}</p>;
  return (
    <ul class="panel-messages" data-testid="panel-message-list" data-room={room}>
      {shown.map((m) => (
        <li key={m.seq} data-testid="panel-message" data-seq={m.seq} data-room={room}>
          <span class="panel-message-text">
            <strong>{m.nickName}</strong> {m.deleted ? <em>{t('host.deleted')}</em> : m.message}
          </span>
          {!m.deleted &&
            (confirming === m.seq ? (
              <button
                type="button"
                class="btn btn-small btn-danger-outline"
                data-testid="panel-delete-confirm"
                disabled={busy}
                onClick={() =>
                  void run(async () => {
                    setConfirming(null);
                    await app.hostDelete(room, m.seq);
                    setReload((n) => n + 1);
                  })
                }
              >
                {t('host.deleteConfirm')}
              </button>
            ) : (
              <button
                type="button"
                class="btn btn-small btn-danger-outline"
                data-testid="panel-delete"
                data-seq={m.seq}
                disabled={busy}
                aria-label={t('host.deleteLabel', { nick: m.nickName, room })}
                onClick={() => setConfirming(m.seq)}
              >
                {t('host.delete')}
              </button>
            ))}
        </li>
      ))}
    </ul>
  );
}
