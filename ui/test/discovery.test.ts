import { describe, expect, it } from 'vitest';
import { discoveryStatus, foundEntries, isSameServer, recentNotFound } from '../src/discovery';
import type { FoundHost } from '../src/generated/protocol';
import type { RecentServer } from '../src/prefs';

function host(id: string, ip: string, extra: Partial<FoundHost> = {}): FoundHost {
  return {
    id: `${id}._lanchat._tcp.local.`,
    name: id,
    address: `${ip}:7878`,
    addresses: [ip],
    port: 7878,
    version: '0.1.0',
    passwordRequired: false,
    people: 0,
    ...extra,
  };
}

const recent = (address: string, room: string): RecentServer => ({ address, room, at: 1 });

describe('found hosts on the Join screen', () => {
  it('joins the room used on a server before, else the default room', () => {
    const a = host('a', '10.0.0.2');
    const b = host('b', '10.0.0.3');
    const entries = foundEntries([a, b], [recent('10.0.0.3:7878', 'ops')], null);
    expect(entries.map((e) => [e.host.name, e.room, e.joinedBefore])).toEqual([
      ['a', 'lobby', false],
      ['b', 'ops', true],
    ]);
  });

  it('leaves out the server this window hosts', () => {
    const own = host('own', '10.0.0.9');
    expect(foundEntries([own, host('a', '10.0.0.2')], [], own.id).map((e) => e.host.name)).toEqual(['a']);
  });

  it('recognises a recent server however its address was typed, on any of its addresses', () => {
    const h = host('a', '192.168.1.20', { addresses: ['192.168.1.20', '10.8.0.4'] });
    expect(isSameServer('192.168.1.20:7878', h)).toBe(true);
    expect(isSameServer(' HTTP://192.168.1.20:7878/?room=x ', h)).toBe(true);
    expect(isSameServer('10.8.0.4:7878', h)).toBe(true);
    expect(isSameServer('192.168.1.20:7879', h)).toBe(false);
    expect(isSameServer('192.168.1.2:7878', h)).toBe(false);
  });

  it('lists a recent server once: among the found hosts when it is there, under Recent when not', () => {
    const found = [host('a', '10.0.0.2')];
    const list = [recent('10.0.0.2:7878', 'lobby'), recent('example.lan:7878', 'x')];
    expect(recentNotFound(list, found).map((r) => r.address)).toEqual(['example.lan:7878']);
    expect(recentNotFound(list, []).length).toBe(2);
  });
});

describe('what the list says', () => {
  const base = { available: true, errorCode: null, waited: false, count: 0 };
  it('searches, then says nothing was found, and lists hosts whenever there are some', () => {
    expect(discoveryStatus(base)).toBe('searching');
    expect(discoveryStatus({ ...base, waited: true })).toBe('none');
    expect(discoveryStatus({ ...base, count: 2 })).toBe('found');
    expect(discoveryStatus({ ...base, waited: true, count: 1 })).toBe('found');
  });

  it('tells turned-off and failed discovery apart, and has nothing to say without discovery', () => {
    expect(discoveryStatus({ ...base, errorCode: 'discovery_off' })).toBe('off');
    expect(discoveryStatus({ ...base, errorCode: 'discovery_failed', waited: true })).toBe('failed');
    expect(discoveryStatus({ ...base, available: false })).toBe('unavailable');
  });
});
