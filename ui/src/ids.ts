//! Random ids for `clientId` and the handshake `sessionId`. Uses `crypto.getRandomValues`, which,
//! unlike `crypto.randomUUID`, also exists on plain-http LAN pages (not a secure context).

export function randomId(bytes = 16): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}

const SESSION_KEY = 'lanchat.sessionId';

/** One id per browser tab, kept across reloads so a reload can take over its stale nickname. */
export function tabSessionId(storage: Pick<Storage, 'getItem' | 'setItem'> | null): string {
  try {
    const existing = storage?.getItem(SESSION_KEY);
    if (existing) return existing;
    const id = randomId();
    storage?.setItem(SESSION_KEY, id);
    return id;
  } catch {
    return randomId();
  }
}

const USER_KEY = 'lanchat.userKey';

/**
 * The guest's user key (docs/security.md, "Identity"): 32 random bytes in base64url, kept in
 * this browser's localStorage so that the host knows the same user across tabs, reloads and
 * restarts (edits and deletes of one's own messages follow it). Never shown; without storage, a
 * key for this page only.
 */
export function storedUserKey(storage: Pick<Storage, 'getItem' | 'setItem'> | null): string {
  const make = () => {
    const buf = new Uint8Array(32);
    crypto.getRandomValues(buf);
    return btoa(String.fromCharCode(...buf)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  try {
    const existing = storage?.getItem(USER_KEY);
    if (existing && existing.length >= 16 && existing.length <= 128) return existing;
    const key = make();
    storage?.setItem(USER_KEY, key);
    return key;
  } catch {
    return make();
  }
}
