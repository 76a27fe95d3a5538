//! First-run card: asks for the nickname (remembered in localStorage). Browser guests who came
//! through an invite see which room they are about to join.

import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../i18n';
import { checkNickName, LIMITS } from '../protocol';
import type { GuestConfig } from '../invite';
import { useApp } from './context';

export function NickPrompt({ guest }: { guest: GuestConfig | null }) {
  const app = useApp();
  const { t } = app;
  const [nick, setNick] = useState(app.session.nickName ?? guest?.nick ?? '');
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = (e: Event) => {
    e.preventDefault();
    const code = checkNickName(nick);
    if (code) {
      setError(errorText(t, code));
      input.current?.focus();
      return;
    }
    app.askNotifications(); // a user gesture: the only moment browsers let us ask
    app.setNick(nick);
  };

  return (
    <div class="center-stage">
      <form class="card card-narrow" onSubmit={submit} noValidate>
        <div class="hero-mark" aria-hidden="true" />
        <h1 class="card-title">
          {guest?.room ? t('guest.title', { room: `#${guest.room}` }) : t('nick.title')}
        </h1>
        <p class="card-subtitle">{t('nick.subtitle')}</p>
        <div class="field">
          <label for="nick-input">{t('nick.label')}</label>
          <input
            id="nick-input"
            ref={input}
            data-testid="nick-input"
            value={nick}
            maxLength={LIMITS.nickName}
            autocomplete="nickname"
            placeholder={t('nick.placeholder')}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'nick-error' : undefined}
            onInput={(e) => {
              setNick((e.currentTarget as HTMLInputElement).value);
              setError(null);
            }}
          />
          {error && (
            <p class="field-error" id="nick-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit" class="btn btn-primary btn-block" data-testid="nick-submit">
          {t('nick.continue')}
        </button>
      </form>
    </div>
  );
}
