//! What the app remembers between runs, in localStorage: nickname, language, theme, the room a
//! host invites to, whether a host announces itself on the LAN, recently joined servers, and the
//! last message read in each room. Storage can be missing or full (private windows);
//! every read and write tolerates that.

const KEYS = {
  nick: 'lanchat.nick',
  lang: 'lanchat.lang',
  theme: 'lanchat.theme',
  hostRoom: 'lanchat.hostRoom',
  hostPort: 'lanchat.hostPort',
  hostAnnounce: 'lanchat.hostAnnounce',
  recent: 'lanchat.recentServers',
  lastRead: 'lanchat.lastRead',
} as const;

/** Rooms whose last read message is remembered (the least recently read are forgotten). */
export const MAX_LAST_READ = 200;

export const MAX_RECENT = 6;

/** `system` follows `prefers-color-scheme`; the others pin the theme. */
export type ThemeChoice = 'system' | 'light' | 'dark';
export const THEMES: readonly ThemeChoice[] = ['system', 'light', 'dark'];

export interface RecentServer {
  /** `host:port` as typed. */
  address: string;
  room: string;
  /** ms since epoch, newest first. */
  at: number;
  /** The server's name when we joined (`/api/info`), if it said one. */
  name?: string;
}

type KV = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function storage(): KV | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function get(key: string): string | null {
  try {
    return storage()?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function set(key: string, value: string | null): void {
  try {
    const s = storage();
    if (value === null) s?.removeItem(key);
    else s?.setItem(key, value);
  } catch {
    /* storage full or disabled: the app still works, it just forgets */
  }
}

export const prefs = {
  nick: () => get(KEYS.nick),
  setNick: (v: string) => set(KEYS.nick, v),
  lang: () => get(KEYS.lang),
  setLang: (v: string) => set(KEYS.lang, v),
  theme(): ThemeChoice {
    const v = get(KEYS.theme);
    return v === 'light' || v === 'dark' ? v : 'system';
  },
  setTheme: (v: ThemeChoice) => set(KEYS.theme, v === 'system' ? null : v),
  hostRoom: () => get(KEYS.hostRoom) || 'lobby',
  setHostRoom: (v: string) => set(KEYS.hostRoom, v),
  hostPort: () => {
    const n = Number(get(KEYS.hostPort));
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : null;
  },
  setHostPort: (v: number) => set(KEYS.hostPort, String(v)),
  /** Let people on the network find a room this window hosts (mDNS); on unless turned off. */
  hostAnnounce: () => get(KEYS.hostAnnounce) !== 'off',
  setHostAnnounce: (on: boolean) => set(KEYS.hostAnnounce, on ? null : 'off'),
  recent(): RecentServer[] {
    try {
      const list = JSON.parse(get(KEYS.recent) ?? '[]');
      if (!Array.isArray(list)) return [];
      return list
        .filter((x) => x && typeof x.address === 'string' && typeof x.room === 'string')
        .map((x) => ({
          address: x.address,
          room: x.room,
          at: Number(x.at) || 0,
          ...(typeof x.name === 'string' && x.name ? { name: x.name.slice(0, 80) } : {}),
        }))
        .slice(0, MAX_RECENT);
    } catch {
      return [];
    }
  },
  setRecent: (list: RecentServer[]) => set(KEYS.recent, JSON.stringify(list.slice(0, MAX_RECENT))),
  /** The last message seen in a room of a server (`host:port`), for the "new messages" divider. */
  lastRead(server: string, room: string): number | null {
    const n = Number(lastReadMap()[`${server}#${room}`]);
    return Number.isSafeInteger(n) && n > 0 ? n : null;
  },
  setLastRead(server: string, room: string, seq: number) {
    const key = `${server}#${room}`;
    const map = lastReadMap();
    if (map[key] === seq) return;
    delete map[key];
    map[key] = seq;
    const keys = Object.keys(map);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_LAST_READ))) delete map[k];
    set(KEYS.lastRead, JSON.stringify(map));
  },
};

function lastReadMap(): Record<string, number> {
  try {
    const v = JSON.parse(get(KEYS.lastRead) ?? '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/** The recent list with `entry` moved to the front (one entry per address). */
export function addRecent(list: RecentServer[], entry: RecentServer): RecentServer[] {
  const key = entry.address.toLowerCase();
  return [entry, ...list.filter((x) => x.address.toLowerCase() !== key)].slice(0, MAX_RECENT);
}
