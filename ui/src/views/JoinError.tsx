//! Why a join failed, under the Join and guest forms; a taken nickname offers to change it.

import { useApp } from './context';
import type { Failure } from './failure';

export function JoinError({ error }: { error: Failure | null }) {
  const app = useApp();
  if (!error) return null;
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
