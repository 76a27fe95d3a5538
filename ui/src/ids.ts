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
