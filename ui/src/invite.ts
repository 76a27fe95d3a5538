//! Server addresses and invite links: what the Join card accepts (`host:port`, `host`, or a pasted
//! `http://HOST:PORT/?room=ROOM&fp=FINGERPRINT` invite) and what the host panel hands out.

import type { RecentServer } from './prefs';
import { DEFAULT_PORT } from './protocol';

export interface JoinTarget {
  /** `http://host:port`, what a transport connects to. */
  url: string;
  /** `host:port` for display and the recent-servers list. */
  hostPort: string;
  host: string;
  port: number;
  /** From `?room=` of a pasted invite. */
  room?: string;
  /** From `&nick=` of a pasted invite. */
  nick?: string;
  /** The host's certificate fingerprint (64 lower-case hex) from `&fp=` or a discovery record:
   * the app pins it (src-tauri/tls). */
  fingerprint?: string;
}

/** `3F2A 9C01 …`: a fingerprint's 64 hex digits in 16 groups of four, for people to compare. */
export function formatFingerprint(hex: string | undefined): string {
  return ((hex ?? '').toUpperCase().match(/.{1,4}/g) ?? []).join(' ');
}

/** 64 lower-case hex digits, or null: spaces, colons and dashes are ignored, case too. */
export function cleanFingerprint(text: string): string | null {
  const digits = text.replace(/^sha256:/i, '').replace(/[\s:-]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(digits) ? digits : null;
}

/** What the app client connects to: the address, with `?fp=` when the fingerprint is known. */
export function connectAddress(target: { url: string; fingerprint?: string }): string {
  return target.fingerprint ? `${target.url}/?fp=${target.fingerprint}` : target.url;
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatHostPort(host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${h}:${port}`;
}

/**
 * The link a host shares: opening it in a browser joins `room` on that server; an app joining
 * with it pins `fingerprint`. `https://` when plain guests are refused (browsers would be sent
 * there anyway), `http://` while they are allowed (no certificate warning, a "not encrypted"
 * notice instead).
 */
export function inviteLink(host: string, port: number, room: string, fingerprint?: string, secure = false): string {
  const r = room.trim() || 'lobby';
  const fp = fingerprint ? `&fp=${fingerprint}` : '';
  return `${secure ? 'https' : 'http'}://${formatHostPort(host, port)}/?room=${encodeURIComponent(r)}${fp}`;
}

/** Parses what the user typed or pasted; null when it is not a usable http(s) address. */
export function parseJoinTarget(input: string, defaultPort = DEFAULT_PORT): JoinTarget | null {
  const text = input.trim();
  if (!text) return null;
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  if (!hasScheme && /^[a-z][a-z0-9+.-]*:(?!\d)/i.test(text)) return null; // javascript:, mailto:…
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `http://${text}`);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname || url.username || url.password) return null;
  // Like the Rust side (src-tauri/client/address.rs): no port means lanchat's port, even in a URL.
  // (URL drops a scheme's default port, so `http://h:80` also lands here; look at the text.)
  const typedPort = /^(?:[a-z]+:\/\/)?(?:\[[^\]]*\]|[^/?#:]*):(\d+)/i.exec(text)?.[1];
  const port = url.port ? Number(url.port) : typedPort ? Number(typedPort) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const hostPort = formatHostPort(host, port);
  const target: JoinTarget = { url: `${url.protocol}//${hostPort}`, hostPort, host, port };
  const room = url.searchParams.get('room')?.trim();
  if (room) target.room = room;
  const nick = url.searchParams.get('nick')?.trim();
  if (nick) target.nick = nick;
  const fp = url.searchParams.get('fp');
  if (fp) {
    // A malformed fingerprint makes the link unusable rather than silently unpinned.
    const clean = cleanFingerprint(fp);
    if (!clean) return null;
    target.fingerprint = clean;
  }
  return target;
}

/** What a browser guest's URL asked for (docs: `/?room=R&nick=N`); built by main.tsx. */
export interface GuestConfig {
  /** Where the room server is: the page origin, or `?server=` in dev/e2e builds. */
  address: string;
  room?: string;
  nick?: string;
  /** Join `room` as soon as there is a nickname; cleared after the first try. */
  autoJoin: boolean;
}

export interface GuestQuery {
  room?: string;
  nick?: string;
  /** `?server=http://127.0.0.1:PORT`: only honoured by dev and e2e builds (see README). */
  server?: string;
}

/** Reads a browser guest's `/?room=R&nick=N` (and, where allowed, `&server=URL`). */
export function parseGuestQuery(search: string, allowServer: boolean): GuestQuery {
  const q = new URLSearchParams(search);
  const out: GuestQuery = {};
  const room = q.get('room')?.trim();
  if (room) out.room = room;
  const nick = q.get('nick')?.trim();
  if (nick) out.nick = nick;
  const server = q.get('server');
  if (allowServer && server) {
    const target = parseJoinTarget(server);
    if (target) out.server = target.url;
  }
  return out;
}

/**
 * What a guest page joins. `?room=R` joins R (after the nickname). An installed guest page starts
 * at the manifest's `start_url` (`./`), which cannot know the room, so it rejoins the room this
 * guest was last in on this server (`recent`, newest first); a plain visit without `?room=` only
 * offers that room.
 */
export function guestConfig(address: string, query: GuestQuery, recent: RecentServer[], installed: boolean): GuestConfig {
  const { room, nick } = query;
  if (room) return { address, room, nick, autoJoin: true };
  const host = new URL(address).host;
  const last = recent.find((r) => r.address.toLowerCase() === host.toLowerCase())?.room;
  return { address, room: last, nick, autoJoin: installed && Boolean(last) };
}
