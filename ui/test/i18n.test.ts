// Language choice and fallback: a missing Chinese string shows the English one.

import { describe, expect, it } from 'vitest';
import { errorText, MESSAGE_KEYS, pickLang, translate, translator } from '../src/i18n';

describe('i18n', () => {
  it('picks the saved language, else the browser one, else English', () => {
    expect(pickLang('zh', ['en-US'])).toBe('zh');
    expect(pickLang(null, ['zh-CN', 'en'])).toBe('zh');
    expect(pickLang(null, ['zh-Hant-TW'])).toBe('zh');
    expect(pickLang(null, ['fr-FR', 'en-GB'])).toBe('en');
    expect(pickLang(null, ['fr-FR'])).toBe('en');
    expect(pickLang('klingon', [])).toBe('en');
  });

  it('translates with parameters', () => {
    expect(translate('en', 'host.running', { port: 7878 })).toBe('Hosting on port 7878');
    expect(translate('zh', 'host.running', { port: 7878 })).toBe('正在端口 7878 上运行');
  });

  it('falls back to English for a key Chinese lacks', () => {
    // 'join.addressPlaceholder' is deliberately not translated (an address is an address).
    expect(translate('zh', 'join.addressPlaceholder')).toBe(translate('en', 'join.addressPlaceholder'));
    expect(translate('zh', 'app.name')).toBe('lanchat');
  });

  it('leaves unknown placeholders visible rather than empty', () => {
    expect(translate('en', 'typing.one', {})).toBe('{a} is typing…');
  });

  it('turns error codes into sentences, unknown codes into the server text', () => {
    const t = translator('en');
    expect(errorText(t, 'bad_password')).toBe('Wrong password.');
    expect(errorText(t, 'brand_new_code', 'server says no')).toBe('server says no');
    expect(errorText(t, 'brand_new_code')).toBe('Something went wrong.');
  });

  it('has no emoji or pictographs in the UI strings (they show as empty boxes without the font)', () => {
    for (const lang of ['en', 'zh'] as const) {
      for (const key of MESSAGE_KEYS) {
        expect(translate(lang, key), `${lang} ${key}`).not.toMatch(/[\p{Extended_Pictographic}\u2190-\u21ff\u2300-\u23ff\u2500-\u27bf\u00d7]/u);
      }
    }
  });
});
