//! Why a join failed, under the Join and guest forms; a taken nickname offers to change it.

import { useApp } from './context';
import type { Failure } from './failure';

export function JoinError({ error }: { error: Failure | null }) {
  const app = useApp();
  if (!error) return null;
  if (error.code === 'host_changed') {
    // Not a form error: someone may be impersonating the host. The sentence names both
    // fingerprints (src-tauri/tls/verify.rs); nothing was sent.
    return (
      <div class="host-warning" role="alert" data-testid="join-error" data-code={error.code}>
        <strong>{app.t('join.hostChanged')}</strong>
        <p>{error.text}</p>
      </div>
    );
  }
  return (
    <p class="form-error" role="alert" data-testid="join-error" data-code={error.code}>
      {error.text}
      {error.code === 'nick_taken' && (
        <>
          {' '}
          <button type="button" class="link-btn" onClick={() => void app.changeNick()}>
            {app.t('nick.change')}
          </button>
        </>
      )}
    </p>
  );
}
