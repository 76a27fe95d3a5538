//! After the nickname: the desktop shows "Host on this computer" and "Join" side by side; a
//! browser guest only gets the card that joins a room on the server that served the page.

import { GuestCard } from './GuestCard';
import type { GuestConfig } from '../invite';
import { useApp } from './context';
import { HostCard } from './HostCard';
import { JoinCard } from './JoinCard';

export function SetupScreen({ guest, onHosted }: { guest: GuestConfig | null; onHosted: () => void }) {
  const app = useApp();
  const { t } = app;
  const single = Boolean(guest) || !app.isDesktop;
  return (
    <div class={single ? 'setup setup-guest' : 'setup'}>
      <div class="setup-hello">
        <h1>{t('setup.hello', { nick: app.session.nickName ?? '' })}</h1>
        <button type="button" class="link-btn" data-testid="nick-change" onClick={() => void app.changeNick()}>
          {t('nick.change')}
        </button>
      </div>
      {single ? (
        <div class="setup-cards setup-single">
          <GuestCard guest={guest} />
        </div>
      ) : (
        <div class="setup-cards">
          <HostCard onHosted={onHosted} />
          <JoinCard />
        </div>
      )}
    </div>
  );
}
