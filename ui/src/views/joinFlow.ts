//! The join-with-password flow of the Join card (desktop) and the guest card: check the room,
//! connect and join, and when the server asks for a password (or refuses the one given) show the
//! password field and put the focus there. Both cards render the same `PasswordField` and
//! `JoinError` from what this returns.

import type { Ref } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { errorText } from '../i18n';
import { checkRoomName } from '../protocol';
import { useApp } from './context';
import { type Failure, failure } from './failure';

export interface JoinFlow {
  /** Validates `room`, then connects to `url` and joins it; failures land in `error`. */
  join(target: { url: string; hostPort: string; fingerprint?: string }, room: string): Promise<void>;
  busy: boolean;
  error: Failure | null;
  setError(f: Failure | null): void;
  /** Props for `PasswordField` once the server wants a password; null before. */
  password: { value: string; onInput: (v: string) => void; inputRef: Ref<HTMLInputElement> } | null;
}

const PASSWORD_CODES = new Set(['password_required', 'bad_password']);

export function useJoinFlow(): JoinFlow {
  const app = useApp();
  const [password, setPassword] = useState('');
  const [needsPassword, setNeedsPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Failure | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  const join = async (target: { url: string; hostPort: string; fingerprint?: string }, room: string) => {
    const bad = checkRoomName(room);
    if (bad) {
      setError({ code: bad, text: errorText(app.t, bad) });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await app.joinServer({
        url: target.url,
        hostPort: target.hostPort,
        fingerprint: target.fingerprint,
        room: room.trim(),
        password: password || undefined,
      });
    } catch (e) {
      const f = failure(app.t, e);
      setError(f);
      if (PASSWORD_CODES.has(f.code)) {
        setNeedsPassword(true);
        setTimeout(() => inputRef.current?.focus()); // after the field has rendered
      }
    } finally {
      setBusy(false);
    }
  };

  return {
    join,
    busy,
    error,
    setError,
    password: needsPassword ? { value: password, onInput: setPassword, inputRef } : null,
  };
}
