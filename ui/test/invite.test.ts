// What the Join card accepts as an address, and the invite links a host hands out.

import { describe, expect, it } from 'vitest';
import {
  cleanFingerprint,
  connectAddress,
  formatFingerprint,
  guestConfig,
  inviteLink,
  parseGuestQuery,
  parseJoinTarget,
} from '../src/invite';

describe('parseJoinTarget', () => {
  it('takes host:port', () => {
    expect(parseJoinTarget('192.168.1.20:7878')).toEqual({
      url: 'http://192.168.1.20:7878',
      hostPort: '192.168.1.20:7878',
      host: '192.168.1.20',
      port: 7878,
    });
  });

  it('defaults a bare host to port 7878', () => {
    expect(parseJoinTarget('  my-laptop.local ')).toMatchObject({ url: 'http://my-laptop.local:7878', port: 7878 });
  });

  it('reads the room (and nick) from a pasted invite link', () => {
    expect(parseJoinTarget('http://10.0.0.5:9000/?room=team%20chat&nick=bo')).toMatchObject({
      url: 'http://10.0.0.5:9000',
      hostPort: '10.0.0.5:9000',
      room: 'team chat',
      nick: 'bo',
    });
  });

  it('uses port 7878 when a URL has none (like the Rust client), but keeps an explicit :80', () => {
    expect(parseJoinTarget('http://host/?room=x')).toMatchObject({ port: 7878, room: 'x' });
    expect(parseJoinTarget('http://host:80/?room=x')).toMatchObject({ port: 80, url: 'http://host:80' });
    expect(parseJoinTarget('https://host:443')).toMatchObject({ port: 443, url: 'https://host:443' });
  });

  it('brackets IPv6 hosts', () => {
    expect(parseJoinTarget('[fe80::1]:7878')).toMatchObject({ url: 'http://[fe80::1]:7878', host: 'fe80::1' });
  });

  it('rejects what is not an http(s) address', () => {
    for (const bad of ['', '   ', 'javascript:alert(1)', 'ftp://x:21', 'host:99999', 'host:abc', 'http://u:p@host:1', 'data:text/html,x']) {
      expect(parseJoinTarget(bad), bad).toBeNull();
    }
  });
});

describe('inviteLink', () => {
  it('builds http://HOST:PORT/?room=ROOM with the room encoded', () => {
    expect(inviteLink('192.168.1.20', 7878, 'lobby')).toBe('http://192.168.1.20:7878/?room=lobby');
    expect(inviteLink('10.0.0.1', 80, 'a b&c')).toBe('http://10.0.0.1:80/?room=a%20b%26c');
    expect(inviteLink('10.0.0.1', 80, '  ')).toBe('http://10.0.0.1:80/?room=lobby');
  });

  it('round-trips through parseJoinTarget', () => {
    const link = inviteLink('fe80::2', 7001, '中文 room');
    expect(parseJoinTarget(link)).toMatchObject({ host: 'fe80::2', port: 7001, room: '中文 room' });
  });
});

describe('fingerprints', () => {
  const fp = '3f2a9c01'.repeat(8);

  it('an invite carries the fingerprint, https when plain guests are refused, and parses back', () => {
    const link = inviteLink('192.168.1.20', 7878, 'lobby', fp, true);
    expect(link).toBe(`https://192.168.1.20:7878/?room=lobby&fp=${fp}`);
    const target = parseJoinTarget(link);
    expect(target).toMatchObject({ url: 'https://192.168.1.20:7878', room: 'lobby', fingerprint: fp });
    // What the app client is handed keeps the fingerprint, so it pins it.
    expect(connectAddress(target!)).toBe(`https://192.168.1.20:7878/?fp=${fp}`);
    expect(connectAddress({ url: 'http://h:1' })).toBe('http://h:1');
  });

  it('reads the grouped form, refuses a malformed one rather than dropping it', () => {
    const shown = formatFingerprint(fp);
    expect(shown.split(' ')).toHaveLength(16);
    expect(shown).toBe(shown.toUpperCase());
    expect(cleanFingerprint(shown)).toBe(fp);
    expect(cleanFingerprint(shown.replaceAll(' ', ':'))).toBe(fp);
    expect(cleanFingerprint('abc')).toBeNull();
    expect(parseJoinTarget('10.0.0.1:7878/?fp=abc')).toBeNull();
  });
});

describe('parseGuestQuery', () => {
  it('reads room and nick', () => {
    expect(parseGuestQuery('?room=lobby&nick=al', false)).toEqual({ room: 'lobby', nick: 'al' });
  });

  it('honours ?server= only when allowed, and only for http(s)', () => {
    expect(parseGuestQuery('?server=http://127.0.0.1:5000', false)).toEqual({});
    expect(parseGuestQuery('?server=http://127.0.0.1:5000', true)).toEqual({ server: 'http://127.0.0.1:5000' });
    expect(parseGuestQuery('?server=javascript:alert(1)', true)).toEqual({});
  });
});

describe('guestConfig', () => {
  const recent = [
    { address: '192.168.1.20:7878', room: 'team', at: 2 },
    { address: '10.0.0.5:7878', room: 'lobby', at: 1 },
  ];
  const at = 'http://192.168.1.20:7878';

  it('joins ?room= (the invite link) whatever was before', () => {
    expect(guestConfig(at, { room: 'side', nick: 'mei' }, recent, false)).toEqual({
      address: at,
      room: 'side',
      nick: 'mei',
      autoJoin: true,
    });
  });

  it('an installed page (start_url without ?room=) rejoins the last room on this server', () => {
    expect(guestConfig(at, {}, recent, true)).toMatchObject({ room: 'team', autoJoin: true });
  });

  it('a plain visit without ?room= only offers the last room; a new server offers none', () => {
    expect(guestConfig(at, {}, recent, false)).toMatchObject({ room: 'team', autoJoin: false });
    expect(guestConfig('http://192.168.1.99:7878', {}, recent, true)).toMatchObject({ room: undefined, autoJoin: false });
  });
});
