// Join, leave, removal and clear notices are said in the reader's language from their fields; other
// notices, and removals not in the host's own words, stay as the host sent them.

import { describe, expect, it } from 'vitest';
import { noticeText } from '../src/chat/notice';
import { translator } from '../src/i18n';

const en = translator('en');
const zh = translator('zh');

describe('notice text', () => {
  it('says joins and leaves in the UI language, whatever the room', () => {
    const join = { kind: 'join' as const, nickName: 'Mei', message: 'Mei joined lobby' };
    const leave = { kind: 'leave' as const, nickName: 'Mei', message: 'Mei left the private conversation' };
    expect(noticeText(join, en)).toBe('Mei joined');
    expect(noticeText(join, zh)).toBe('Mei 进入了房间');
    expect(noticeText(leave, en)).toBe('Mei left');
    expect(noticeText(leave, zh)).toBe('Mei 离开了房间');
  });

  it('keeps who removed someone, and a nickname that itself contains the words', () => {
    const kick = { kind: 'kick' as const, nickName: 'bob', message: 'bob was removed by alice (host)' };
    expect(noticeText(kick, zh)).toBe('bob 已被 alice (host) 移出');
    const odd = { kind: 'kick' as const, nickName: 'x was removed by y', message: 'x was removed by y was removed by z' };
    expect(noticeText(odd, en)).toBe('x was removed by y was removed by z');
    expect(noticeText(odd, zh)).toBe('x was removed by y 已被 z 移出');
  });

  it('says who cleared the history', () => {
    const clear = { kind: 'clear' as const, nickName: 'alice', message: 'alice cleared the history of lobby' };
    expect(noticeText(clear, en)).toBe('alice cleared the history');
    expect(noticeText(clear, zh)).toBe('alice 清空了聊天记录');
  });

  it('shows other notices as sent', () => {
    const odd = { kind: 'kick' as const, nickName: 'bob', message: 'bob left for a reason' };
    expect(noticeText({ kind: 'system', nickName: '', message: 'The host is restarting' }, zh)).toBe('The host is restarting');
    expect(noticeText(odd, zh)).toBe('bob left for a reason');
  });
});
