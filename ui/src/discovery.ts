//! The Join screen's hosts on this network, as pure functions: which found hosts to list (not the
//! one this window hosts), which room a click joins on each (the one used there before), which
//! recent servers are not already among them, and what the list says while nothing is found.

import type { FoundHost } from './generated/protocol';
import type { RecentServer } from './prefs';

/** With nothing found after this long, the Join card says so and explains the other ways in. */
export const NOTHING_FOUND_AFTER_MS = 5000;

export interface FoundEntry {
  host: FoundHost;
  /** The room a click joins: the one last used on this server, else the default. */
  room: string;
  /** This server is in the recent list. */
  joinedBefore: boolean;
}

/** `host:port` as people type it, for comparing: lowercase, no scheme, path or query. */
function normalise(address: string): string {
  return address
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/[/?#].*$/, '');
}

/** Whether a recent server's address (as typed) is this found host. */
export function isSameServer(address: string, host: FoundHost): boolean {
  const a = normalise(address);
  return a === normalise(host.address) || host.addresses.some((ip) => a === `${ip}:${host.port}`);
}

/**
 * The found hosts to list, in the order given (Rust sorts them by name), without `ownId` (the
 * instance this window announces: you do not join your own server from the list).
 */
export function foundEntries(
  found: readonly FoundHost[],
  recent: readonly RecentServer[],
  ownId: string | null,
  defaultRoom = 'lobby',
): FoundEntry[] {
  return found
    .filter((h) => h.id !== ownId)
    .map((host) => {
      const before = recent.find((r) => isSameServer(r.address, host));
      return { host, room: before?.room || defaultRoom, joinedBefore: Boolean(before) };
    });
}

/** Recent servers that are not in the found list (those are shown there, marked). */
export function recentNotFound(recent: readonly RecentServer[], found: readonly FoundHost[]): RecentServer[] {
  return recent.filter((r) => !found.some((h) => isSameServer(r.address, h)));
}

/**
 * What the list area shows: `searching` at first, `found` once there are hosts, `none` when the
 * wait is over and there are none (multicast blocked, or nobody hosts), `off` when discovery is
 * turned off on this computer, `failed` when it could not start, `unavailable` where there is
 * no discovery at all (a browser guest).
 */
export type DiscoveryStatus = 'searching' | 'found' | 'none' | 'off' | 'failed' | 'unavailable';

export function discoveryStatus(s: {
  available: boolean;
  errorCode: string | null;
  waited: boolean;
  count: number;
}): DiscoveryStatus {
  if (!s.available) return 'unavailable';
  if (s.count > 0) return 'found';
  if (s.errorCode === 'discovery_off') return 'off';
  if (s.errorCode) return 'failed';
  return s.waited ? 'none' : 'searching';
}
