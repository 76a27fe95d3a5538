//! The active room's members (ours tagged "you"; a button to write privately; Kick for the host in
//! its own server). A column on
//! wide screens, a drawer from the right on narrow ones.

import type { RoomView } from '../chat/store';
import { isPrivateRoom } from '../protocol';
import { Avatar } from './Avatar';
import { useApp } from './context';
import { DrawerHead, type DrawerProps } from './Drawer';
import { Icon } from './Icon';

export function MemberList({
  room,
  open,
  onFocusOut,
  onClose,
}: {
  room: RoomView;
} & DrawerProps) {
  const app = useApp();
  const { t } = app;
  const canKick = Boolean(app.session.hosting && app.session.server?.own);
  // In a room (not already a private conversation) anyone else can be written to privately.
  const canMessage = !isPrivateRoom(room.name) && room.status === 'joined';
  return (
    <aside
      class={open ? 'members drawer is-open' : 'members drawer'}
      id="members-drawer"
      data-testid="members-drawer"
      data-open={open ? 'true' : 'false'}
      aria-labelledby="members-title"
      onFocusOut={onFocusOut}
    >
      <DrawerHead id="members-title" title={t('chat.members')} count={room.members.length} onClose={onClose} />
      <ul class="member-list" data-testid="member-list">
        {room.members.map((nick) => {
          const me = nick === room.nickName;
          return (
            <li key={nick} class="member" data-testid="member" data-nick={nick}>
              <Avatar nick={nick} />
              <span class="member-name">{nick}</span>
              {me && <span class="you-tag">{t('chat.you')}</span>}
              {room.unencrypted.includes(nick) && (
                // An open padlock, not the words: the column is narrow and the name comes first.
                <span
                  class="member-plain"
                  role="img"
                  data-testid="member-unencrypted"
                  title={t('chat.unencryptedLabel', { nick })}
                  aria-label={t('chat.unencryptedLabel', { nick })}
                >
                  <Icon name="unlock" />
                </span>
              )}
              {canMessage && !me && (
                <button
                  type="button"
                  class="member-pm"
                  data-testid="member-pm"
                  data-nick={nick}
                  aria-label={t('pm.messageLabel', { nick })}
                  title={t('pm.messageLabel', { nick })}
                  onClick={() => {
                    onClose();
                    app.openPrivate(room.name, nick).catch((e) => app.report(e));
                  }}
                >
                  <Icon name="chat" />
                </button>
              )}
              {canKick && !me && (
                <button
                  type="button"
                  class="member-kick"
                  data-testid="member-kick"
                  data-nick={nick}
                  aria-label={t('host.kickLabel', { nick, room: room.name })}
                  title={t('host.kickLabel', { nick, room: room.name })}
                  onClick={() => app.kickQuietly(room.name, nick)}
                >
                  {t('host.kick')}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
