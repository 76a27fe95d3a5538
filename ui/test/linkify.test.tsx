// @vitest-environment jsdom
// Messages render as text: markup stays text, and only http(s) URLs become safe links.

import { render } from 'preact';
import { describe, expect, it } from 'vitest';
import { linkify } from '../src/chat/linkify';
import { MessageText } from '../src/views/MessageText';

function renderText(text: string): HTMLElement {
  const el = document.createElement('div');
  render(<MessageText text={text} />, el);
  return el;
}

describe('linkify', () => {
  it('splits text and http(s) links', () => {
    expect(linkify('see https://example.com/a?b=1, then http://x.io.')).toEqual([
      { type: 'text', text: 'see ' },
      { type: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { type: 'text', text: ', then ' },
      { type: 'link', text: 'http://x.io', href: 'http://x.io/' },
      { type: 'text', text: '.' },
    ]);
  });

  it('keeps a closing paren that belongs to the URL', () => {
    expect(linkify('(https://en.wikipedia.org/wiki/Foo_(bar))')[1]).toMatchObject({
      text: 'https://en.wikipedia.org/wiki/Foo_(bar)',
    });
  });

  it('does not linkify other schemes', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd', 'JAVASCRIPT://%0aalert(1)']) {
      expect(linkify(text), text).toEqual([{ type: 'text', text }]);
    }
  });
});

describe('MessageText', () => {
  it('renders a <script> message as text, creating no elements', () => {
    const el = renderText('<script>alert(1)</script><img src=x onerror=alert(2)>');
    expect(el.querySelector('script, img')).toBeNull();
    expect(el.children).toHaveLength(0);
    expect(el.textContent).toBe('<script>alert(1)</script><img src=x onerror=alert(2)>');
  });

  it('renders links as <a> with noopener noreferrer and a new tab', () => {
    const el = renderText('go to https://example.com/<b>now</b> ok');
    const links = el.querySelectorAll('a');
    expect(links).toHaveLength(1);
    const a = links[0];
    expect(a.getAttribute('href')).toBe('https://example.com/');
    expect(a.textContent).toBe('https://example.com/');
    expect(a.rel).toBe('noopener noreferrer');
    expect(a.target).toBe('_blank');
    expect(el.querySelector('b')).toBeNull();
    expect(el.textContent).toBe('go to https://example.com/<b>now</b> ok');
  });

  it('leaves javascript: URLs as plain text', () => {
    const el = renderText('click javascript:alert(document.cookie)');
    expect(el.querySelector('a')).toBeNull();
  });

  it('keeps quotes inside a link from breaking out of the attribute', () => {
    const el = renderText('http://x.io/a"onmouseover="alert(1)');
    const a = el.querySelector('a')!;
    expect(a.getAttribute('onmouseover')).toBeNull();
    expect(a.getAttribute('href')).toBe('http://x.io/a');
  });
});
