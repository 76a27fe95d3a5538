// The UI's copy of the server's validation rules gives the same verdicts as docs/protocol.md.

import { describe, expect, it } from 'vitest';
import { applyPresence, checkMessage, checkNickName, checkRoomName } from '../src/protocol';

describe('validation mirrors the server', () => {
  it('rooms: 1–64 chars after trim, no control chars', () => {
    expect(checkRoomName('lobby')).toBeNull();
    expect(checkRoomName('  ')).toBe('invalid_room');
    expect(checkRoomName('x'.repeat(64))).toBeNull();
    expect(checkRoomName('x'.repeat(65))).toBe('invalid_room');
    expect(checkRoomName('a\u0007b')).toBe('invalid_room');
    expect(checkRoomName('房'.repeat(64))).toBeNull();
  });

  it('nicknames: 1–32 code points', () => {
    expect(checkNickName('alice')).toBeNull();
    expect(checkNickName('😀'.repeat(32))).toBeNull();
    expect(checkNickName('😀'.repeat(33))).toBe('invalid_nick');
    expect(checkNickName('a\nb')).toBe('invalid_nick');
  });

  it('messages: newline and tab allowed, other control chars and >4000 not', () => {
    expect(checkMessage('line 1\n\tline 2')).toBeNull();
    expect(checkMessage(' \n ')).toBe('invalid_message');
    expect(checkMessage('bell\u0007')).toBe('invalid_message');
    expect(checkMessage('x'.repeat(4000))).toBeNull();
    expect(checkMessage('x'.repeat(4001))).toBe('message_too_long');
  });
});

describe('presence deltas', () => {
  it('apply on top of the join ack: sorted, no repeats, idempotent', () => {
    const ack = ['bob', 'me'];
    const once = applyPresence(ack, { room: 'r', joined: ['ann', 'me'], left: ['bob', 'zed'] });
    expect(once).toEqual(['ann', 'me']);
    expect(applyPresence(once, { room: 'r', joined: ['ann', 'me'], left: ['bob', 'zed'] })).toEqual(once);
  });
});
