// One small interface over the two kinds of participant:
//   WindowClient  — a lanchat desktop window, driven through tauri-driver (W3C WebDriver, plain fetch)
//   BrowserClient — a guest page in headless Chromium (playwright-core)
// Both offer: snapshot() (the UI state read from the DOM by `readUi` below), eval(fn, ...args),
// click(selector), type(selector, text), clear(selector), screenshot(file), and `until()` to poll
// the snapshot for a condition.

import fs from 'node:fs';
import { sleep, waitFor, withTimeout } from './harness.mjs';

export const tid = (id, extra = '') => `[data-testid="${id}"]${extra}`;

/**
 * Runs in the page (WebKit or Chromium): everything the test looks at, as plain JSON.
 * Chat rows that continue a group (`.compact`) have no nickname header; they belong to the
 * nickname of the chat row above them (the UI groups only consecutive messages of one person).
 */
export function readUi() {
  const T = (id) => `[data-testid="${id}"]`;
  const all = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const text = (el) => (el ? el.textContent : null);
  let groupNick = null;
  const messages = all(`${T('message-list')} > ${T('message')}`).map((li) => {
    const kind = li.getAttribute('data-kind');
    const m = {
      kind,
      seq: li.getAttribute('data-seq'),
      own: li.getAttribute('data-own'),
      pending: li.getAttribute('data-pending') === 'true',
    };
    if (kind === 'chat' || kind === 'file') {
      const nickEl = li.querySelector('.msg-nick');
      m.nick = nickEl ? nickEl.textContent : groupNick;
      groupNick = m.nick;
      const body = li.querySelector('.msg-text');
      // The "(edited)" marker sits inside the text's box; the text is what comes before it.
      const edited = body?.querySelector('.msg-edited');
      m.text = edited ? body.textContent.slice(0, -edited.textContent.length) : text(body);
      m.edited = Boolean(edited);
      m.deleted = li.getAttribute('data-deleted') === 'true';
      m.mentioned = li.getAttribute('data-mentioned') === 'true';
      const quote = li.querySelector(T('reply-quote'));
      if (quote) m.reply = { to: quote.getAttribute('data-reply-to'), nick: text(quote.querySelector('.reply-nick')), text: text(quote.querySelector('.reply-text')) };
      const chips = all(T('reaction'), li);
      if (chips.length) {
        m.reactions = chips.map((b) => ({
          emoji: b.getAttribute('data-emoji'),
          count: text(b.querySelector('.reaction-count')),
          mine: b.getAttribute('aria-pressed') === 'true',
          who: b.getAttribute('title'),
        }));
      }
      m.elements = body ? all('*', body).map((e) => e.tagName.toLowerCase()) : [];
      const card = li.querySelector(T('file-card'));
      if (card) {
        const img = card.querySelector(`${T('file-thumb')} img`);
        const link = card.querySelector(`a${T('file-download')}`);
        m.file = {
          name: text(card.querySelector(T('file-name'))),
          meta: text(card.querySelector(T('file-meta'))),
          mime: card.getAttribute('data-mime'),
          // A preview counts once the picture has actually loaded.
          thumb: img ? { src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0 } : null,
          href: link ? link.getAttribute('href') : null,
          download: link ? link.getAttribute('download') : null,
          saved: card.querySelector(T('file-saved'))?.getAttribute('data-path') ?? null,
        };
      }
    } else {
      groupNick = null;
      m.text = text(li.querySelector('.notice-text'));
    }
    return m;
  });
  const tabs = all(T('room-tab')).map((b) => ({
    room: b.getAttribute('data-room'),
    status: b.getAttribute('data-status'),
    active: b.getAttribute('aria-current') === 'page',
    unread: text(b.querySelector(T('room-unread'))),
    mentions: text(b.querySelector(T('room-mentions'))),
  }));
  const attr = (id, name) => document.querySelector(T(id))?.getAttribute(name) ?? null;
  return {
    title: document.title,
    screen: document.querySelector(T('nick-input'))
      ? 'nick'
      : document.querySelector(T('message-list')) || document.querySelector(T('room-tab'))
        ? 'chat'
        : document.querySelector(T('join-card'))
          ? 'setup'
          : 'other',
    state: attr('state-pill', 'data-state'),
    tabs,
    active: tabs.find((t) => t.active)?.room ?? null,
    messages,
    members: all(T('member')).map((m) => m.getAttribute('data-nick')),
    hostPort: document.querySelector(T('host-port'))?.value ?? null,
    inviteLink: document.querySelector(T('invite-link'))?.value ?? null,
    fingerprint: document.querySelector(T('host-fingerprint'))?.getAttribute('data-fp') ?? null,
    hostAddresses: all(T('host-address')).map((b) => b.textContent),
    hostPanel: Boolean(document.querySelector(`${T('host-panel')}[open]`)),
    errors: all(`${T('join-error')}, ${T('host-error')}, ${T('join-room-error')}`).map(
      (e) => `${e.getAttribute('data-testid')}[${e.getAttribute('data-code') ?? ''}]: ${e.textContent}`,
    ),
    toasts: all(T('toast')).map((e) => `${e.getAttribute('data-code')}: ${e.textContent}`),
    uploads: all(T('upload')).map((e) => ({
      name: e.getAttribute('data-name'),
      status: e.getAttribute('data-status'),
      code: e.getAttribute('data-code'),
      progress: e.querySelector(T('upload-progress'))?.getAttribute('aria-valuenow') ?? null,
    })),
    viewer: Boolean(document.querySelector(`${T('viewer')}[open]`)),
    banners: all(T('banner')).map((e) => `${e.getAttribute('data-kind')}: ${e.textContent}`),
    pwned: typeof window.__pwned === 'undefined' ? null : String(window.__pwned),
    compose: document.querySelector(T('compose-bar'))?.getAttribute('data-mode') ?? null,
    notes: window.__notes ?? null,
  };
}

/** A readable digest of a snapshot for failure messages. */
export function describeUi(s) {
  if (!s) return '(no snapshot)';
  const lines = [
    `screen=${s.screen} state=${s.state} title=${JSON.stringify(s.title)} active=#${s.active}`,
    `tabs: ${s.tabs.map((t) => `#${t.room}(${t.status}${t.active ? ',active' : ''}${t.unread ? `,unread ${t.unread}` : ''})`).join(' ') || '-'}`,
    `members: ${s.members.join(', ') || '-'}`,
  ];
  if (s.errors.length) lines.push(`errors: ${s.errors.join(' | ')}`);
  if (s.toasts.length) lines.push(`toasts: ${s.toasts.join(' | ')}`);
  if (s.uploads?.length) lines.push(`uploads: ${s.uploads.map((u) => `${u.name} ${u.status}${u.code ? ` ${u.code}` : ''}`).join(' | ')}`);
  if (s.banners.length) lines.push(`banners: ${s.banners.join(' | ')}`);
  if (s.pwned !== null) lines.push(`window.__pwned = ${s.pwned}`);
  lines.push(`messages (${s.messages.length}, last 12):`);
  for (const m of s.messages.slice(-12)) {
    const flags = [
      m.seq ? `seq ${m.seq}` : 'no seq',
      m.own ? `own=${m.own}` : '',
      m.pending ? 'pending' : '',
      m.edited ? 'edited' : '',
      m.deleted ? 'deleted' : '',
      m.mentioned ? 'mentions me' : '',
      m.reply ? `reply to #${m.reply.to} ${m.reply.nick}: ${JSON.stringify(m.reply.text)}` : '',
      m.reactions ? `reactions ${m.reactions.map((r) => `${r.emoji}${r.count}${r.mine ? '*' : ''}`).join(' ')}` : '',
    ]
      .filter(Boolean)
      .join(',');
    const body = m.file ? `file ${JSON.stringify(m.file.name)}${m.file.thumb ? ` thumb ${m.file.thumb.loaded ? 'loaded' : 'not loaded'}` : ''}` : JSON.stringify(m.text);
    lines.push(`  [${m.kind}${m.nick ? ` ${m.nick}` : ''} ${flags}] ${body}`);
  }
  return lines.map((l) => `    ${l}`).join('\n');
}

class Client {
  constructor(name) {
    this.name = name;
    this.last = null;
  }

  async snapshot() {
    this.last = await this.eval(readUi);
    return this.last;
  }

  /** Polls the UI until `pred(snapshot)` is truthy; returns that value. */
  until(what, pred, opts = {}) {
    return waitFor(
      `${this.name}: ${what}`,
      async () => pred(await this.snapshot()),
      { ...opts, describe: () => `  ${this.name}'s UI:\n${describeUi(this.last)}` },
    );
  }

  /** Polls an in-page condition on the element matching `selector`. */
  async ready(selector, what = 'visible and enabled', timeout = 20000) {
    await waitFor(
      `${this.name}: ${selector} ${what}`,
      () =>
        this.eval((sel) => {
          const el = document.querySelector(sel);
          if (!el || el.disabled) return false;
          const r = el.getBoundingClientRect();
          return r.width > 0 && r.height > 0;
        }, selector),
      { timeout, describe: async () => `  ${this.name}'s UI:\n${describeUi(await this.snapshot())}` },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// WebDriver (tauri-driver) — just the W3C endpoints this test needs.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const RETRYABLE = new Set(['no such element', 'stale element reference', 'element not interactable', 'element click intercepted']);

class WebDriverError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

async function wd(base, method, path, body, timeoutMs = 30000) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (!res.ok || json?.value?.error) {
    const v = json?.value ?? {};
    throw new WebDriverError(v.error ?? `HTTP ${res.status}`, `${method} ${path}: ${v.message ?? text.slice(0, 300)}`);
  }
  return json.value;
}

export async function waitDriverReady(port, what, timeout = 30000) {
  await waitFor(`${what} (tauri-driver on :${port}) to answer GET /status`, async () => {
    const v = await wd(`http://127.0.0.1:${port}`, 'GET', '/status', undefined, 2000);
    return v?.ready !== false;
  }, { timeout });
}

export class WindowClient extends Client {
  static async open(name, port, application) {
    const base = `http://127.0.0.1:${port}`;
    const caps = { capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application } } } };
    const v = await wd(base, 'POST', '/session', caps, 90000);
    const c = new WindowClient(name, base, v.sessionId);
    await waitFor(`${name}: the lanchat window to render its UI`, () =>
      c.eval(() => document.readyState === 'complete' && document.querySelector('[data-testid="lang-switch"]') !== null),
      { timeout: 30000 },
    );
    return c;
  }

  constructor(name, base, sessionId) {
    super(name);
    this.base = base;
    this.sid = sessionId;
    this.closed = false;
  }

  cmd(method, path, body, timeoutMs) {
    return wd(this.base, method, `/session/${this.sid}${path}`, body, timeoutMs);
  }

  eval(fn, ...args) {
    return this.cmd('POST', '/execute/sync', { script: `return (${fn}).apply(null, arguments);`, args });
  }

  async element(selector) {
    const v = await this.cmd('POST', '/element', { using: 'css selector', value: selector });
    return v[ELEMENT];
  }

  /** Runs `action(elementId)` once the element is ready, retrying only while it is not there yet. */
  async withElement(selector, action, timeout = 20000) {
    await this.ready(selector, 'visible and enabled', timeout);
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        return await action(await this.element(selector));
      } catch (e) {
        if (!(e instanceof WebDriverError && RETRYABLE.has(e.code)) || Date.now() > deadline) {
          throw new Error(`${this.name}: ${selector}: ${e.message}`);
        }
        await sleep(100);
      }
    }
  }

  click(selector) {
    return this.withElement(selector, (id) => this.cmd('POST', `/element/${id}/click`, {}));
  }

  clear(selector) {
    return this.withElement(selector, (id) => this.cmd('POST', `/element/${id}/clear`, {}));
  }

  type(selector, text) {
    return this.withElement(selector, (id) => this.cmd('POST', `/element/${id}/value`, { text }));
  }

  /**
   * WebKitWebDriver answers a screenshot only after the page's next paint, and an idle page (no
   * caret blinking, no animation) never paints under Xvfb: the request hangs. So while it runs, a
   * 1×1 px fixed element in the corner flips between two invisible backgrounds every frame.
   */
  async screenshot(file) {
    await this.eval(() => {
      if (document.getElementById('e2e-repaint')) return;
      const el = document.createElement('div');
      el.id = 'e2e-repaint';
      Object.assign(el.style, {
        position: 'fixed', right: '0', bottom: '0', width: '1px', height: '1px', pointerEvents: 'none', zIndex: '2147483647',
      });
      document.body.appendChild(el);
      let on = false;
      window.__e2eRepaint = setInterval(() => {
        on = !on;
        el.style.backgroundColor = on ? 'rgba(255,255,255,0.01)' : 'rgba(255,255,255,0)';
      }, 16);
    });
    try {
      const b64 = await this.cmd('GET', '/screenshot', undefined, 20000);
      fs.writeFileSync(file, Buffer.from(b64, 'base64'));
    } finally {
      await this.eval(() => {
        clearInterval(window.__e2eRepaint);
        document.getElementById('e2e-repaint')?.remove();
      }).catch(() => undefined);
    }
  }

  /** Ends the session; tauri-driver closes the window and the app exits. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    await wd(this.base, 'DELETE', `/session/${this.sid}`, undefined, 15000);
  }
}

// ---------------------------------------------------------------------------------------------
// Chromium guest (playwright-core).

export class BrowserClient extends Client {
  constructor(name, page) {
    super(name);
    this.page = page;
  }

  eval(fn, ...args) {
    return this.page.evaluate(`(${fn}).apply(null, ${JSON.stringify(args)})`);
  }

  async click(selector) {
    await this.ready(selector);
    await this.page.click(selector, { timeout: 10000 });
  }

  async clear(selector) {
    await this.ready(selector);
    await this.page.fill(selector, '', { timeout: 10000 });
  }

  async type(selector, text) {
    await this.ready(selector);
    await this.page.fill(selector, text, { timeout: 10000 });
  }

  screenshot(file) {
    return withTimeout(this.page.screenshot({ path: file }), 20000, `${this.name}: screenshot timed out`);
  }
}

