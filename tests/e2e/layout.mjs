#!/usr/bin/env node
// The guest page at three sizes (390×844 phone, 768×1024 tablet, 1280×800 desktop), in both themes
// and both languages, against one `lanchat serve` (the UI it embeds, under its real CSP):
//   - nothing sticks out sideways, on the nickname, join and chat screens;
//   - the composer and Send are on screen and not covered;
//   - on the phone: touch targets are 44 px, the rooms and members drawers open and close (mouse,
//     keyboard, Escape, backdrop) and do not slide under prefers-reduced-motion, and the rooms
//     button shows unread messages of other rooms;
//   - axe-core finds nothing serious or critical on any of those screens;
//   - a message sent from the phone reaches another page (standing in for the window);
//   - resizing between wide and narrow re-lays the page (and closes a drawer left open);
//   - the theme switch overrides the system theme and is remembered;
//   - the page links a web app manifest with icons that the server serves;
//   - files: a picture and a long-named document in the room, the picture viewer (Escape gives
//     the focus back), an upload in progress (throttled) with Cancel, a refused upload in words,
//     and the drop zone — with the same overflow, axe and touch-target checks;
//   - the window-only screens (Host and Join cards, the hosting chat with Kick and a file saved to
//     Downloads, the host panel), through a stand-in for Tauri's IPC, pass the same checks.
// Screenshots of every screen go to out/ (git-ignored): look at them.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { AXE_SOURCE, axeInPage, focusedInPage, overflowInPage, placementInPage, smallTargetsInPage } from './lib/checks.mjs';
import { BrowserClient, tid } from './lib/clients.mjs';
import { pdf, png } from './lib/files.mjs';
import { killAllSync, log, start, stopAll, waitFor, withTimeout } from './lib/harness.mjs';
import { tools } from './lib/setup.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'out');
const OVERALL_MS = Number(process.env.LAYOUT_TIMEOUT_MS || 360_000);

const SIZES = [
  { name: 'phone', width: 390, height: 844, mobile: true },
  // A tablet is a touch screen with the wide layout: 44 px targets there too.
  { name: 'tablet', width: 768, height: 1024, mobile: false, touch: true },
  { name: 'desktop', width: 1280, height: 800, mobile: false },
];
const THEMES = ['light', 'dark'];
const LANGS = ['en', 'zh'];

/** What the seed page (the "window") says before the guests arrive: text that must wrap. */
const SEED = [
  'Morning all! The coffee machine on the 3rd floor works again.',
  'Release notes: https://example.com/releases/2026/11/lanchat-v0.2.0-with-a-really-long-path-that-has-to-wrap-on-phones?ref=lan',
  'supercalifragilisticexpialidocious-antidisestablishmentarianism-pneumonoultramicroscopicsilicovolcanoconiosis',
  'fn main() { println!("{}", std::env::args().collect::<Vec<_>>().join("/")); }',
  '午饭去哪儿吃？楼下新开了一家面馆，听说牛肉面很不错。',
];

/** Files the desk sends before the sized runs: a picture, and a document whose name must wrap. */
const PICTURE = { name: 'team-offsite-whiteboard.png', mimeType: 'image/png', buffer: png(900, 600, 160) };
const DOCUMENT = {
  name: 'Quarterly-planning-notes-for-the-whole-engineering-department-FINAL-v7-really-final.pdf',
  mimeType: 'application/pdf',
  buffer: pdf(1_234_567),
};
/** The server's file limit here, so that a bigger file is refused (the error row). */
const MAX_FILE = 4_000_000;

/** 32 code points, the server's limit, with nowhere to break. */
const LONG_NICK = 'Bartholomew_the_Extraordinary_32';

class Failed extends Error {}
const failures = [];
/** Records a failed expectation and carries on, so one run reports every broken screen. */
function expect(cond, message) {
  if (!cond) {
    failures.push(message);
    log(`✘ ${message}`);
  }
  return Boolean(cond);
}

/** `lanchat serve` on a port of its choosing; resolves to its base URL. */
async function startServer(bin) {
  const child = start('lanchat serve', bin, ['serve', '--port', '0', '--bind', '127.0.0.1', '--memory', '--max-file-size', String(MAX_FILE)], {
    logFile: path.join(OUT, 'server.log'),
    stdout: 'pipe',
  });
  return withTimeout(
    new Promise((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d) => {
        buf += d;
        const m = buf.match(/listening on (http:\/\/\S+)/);
        if (m) resolve(m[1].replace(/\/$/, ''));
      });
      child.once('exit', (code) => reject(new Error(`lanchat serve exited (${code}); see out/server.log`)));
    }),
    20000,
    'lanchat serve did not print its address within 20s',
  );
}

let browser;
const csp = [];

/** A fresh browser context (own storage) showing `url`. */
async function openPage(name, url, { size, theme, lang, motion = 'no-preference' }) {
  const context = await browser.newContext({
    viewport: { width: size.width, height: size.height },
    isMobile: size.mobile,
    hasTouch: size.mobile || Boolean(size.touch),
    colorScheme: theme,
    reducedMotion: motion,
    locale: lang === 'zh' ? 'zh-CN' : 'en-US',
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    const text = m.text();
    if (/Content Security Policy|Refused to/i.test(text)) csp.push(`${name}: ${text}`);
  });
  page.on('pageerror', (e) => failures.push(`${name}: page error ${e.message}`));
  await page.goto(url);
  const client = new BrowserClient(name, page);
  client.context = context;
  return client;
}

/** The checks every screen gets: no sideways overflow, axe, and a screenshot to look at. */
async function screen(client, label, { axe = true } = {}) {
  let last = [];
  try {
    await waitFor(`${client.name} ${label}: nothing wider than the viewport`, async () => {
      last = await client.eval(overflowInPage);
      return last.length === 0;
    }, { timeout: 3000 });
  } catch {
    expect(false, `${client.name} ${label}: overflows sideways:\n    ${last.join('\n    ')}`);
  }
  if (axe) {
    await client.page.evaluate(AXE_SOURCE);
    const violations = await client.eval(axeInPage);
    expect(violations.length === 0, `${client.name} ${label}: axe:\n    ${violations.join('\n    ')}`);
  }
  await client.screenshot(path.join(OUT, `${client.name}-${label}.png`));
}

async function composerOnScreen(client, label) {
  for (const id of ['composer', 'send']) {
    const p = await client.eval(placementInPage, tid(id));
    expect(p.found && p.inside && p.reachable, `${client.name} ${label}: ${id} not fully on screen and uncovered (${JSON.stringify(p)})`);
  }
}

const chats = (s) => s.messages.filter((m) => m.kind === 'chat' && m.seq && !m.pending);

async function sendFrom(client, text) {
  await client.type(tid('composer'), text);
  await client.click(tid('send'));
  await client.until(`own message ${JSON.stringify(text)} confirmed`, (s) => chats(s).some((m) => m.text === text && m.own === 'true'));
}

/** Waits (a drawer slides in) until the element is wholly on screen and uncovered. */
async function onScreen(client, label, id, what) {
  let p = null;
  try {
    await waitFor(`${client.name} ${label}: ${what} on screen`, async () => {
      p = await client.eval(placementInPage, tid(id));
      return p.inside && p.reachable;
    }, { timeout: 3000 });
  } catch {
    expect(false, `${client.name} ${label}: ${what} is not on screen (${JSON.stringify(p)})`);
  }
}

/** Waits a moment for the focus to land on `id` (it moves when the UI has rendered). */
async function focusLands(client, id, failure) {
  let now = null;
  try {
    await waitFor(`${client.name}: focus on ${id}`, async () => (now = await client.eval(focusedInPage)) === id, { timeout: 2000 });
  } catch {
    expect(false, `${client.name} ${failure} (focus is on ${now})`);
  }
}

const drawerOpen = (client, which) => client.eval((sel) => document.querySelector(sel)?.getAttribute('data-open'), tid(`${which}-drawer`));

async function waitDrawer(client, which, open) {
  await waitFor(`${client.name}: ${which} drawer ${open ? 'open' : 'closed'}`, async () => (await drawerOpen(client, which)) === String(open), {
    timeout: 5000,
  });
}

/** The phone's drawers: by mouse, by keyboard, Escape, the backdrop; focus goes back to the opener. */
async function drawers(client, label) {
  const { page } = client;
  await client.click(tid('rooms-open'));
  await waitDrawer(client, 'rooms', true);
  const slide = await client.eval((sel) => getComputedStyle(document.querySelector(sel)).transitionDuration, tid('rooms-drawer'));
  const still = slide.split(',').every((d) => parseFloat(d) === 0);
  expect(still === (client.motion === 'reduce'), `${client.name} ${label}: drawer transition ${slide} with ${client.motion} motion`);
  await onScreen(client, label, 'room-tab', 'the open rooms drawer');
  await focusLands(client, 'room-tab', `${label}: opening the rooms drawer did not focus the room tab`);
  await screen(client, `${label}-rooms-drawer`);
  await page.keyboard.press('Escape');
  await waitDrawer(client, 'rooms', false);
  await focusLands(client, 'rooms-open', `${label}: Escape did not return the focus to the rooms button`);

  // Keyboard only: Enter on the focused button opens, the close button (Enter) closes.
  await page.keyboard.press('Enter');
  await waitDrawer(client, 'rooms', true);
  await page.focus(tid('rooms-close'));
  await page.keyboard.press('Enter');
  await waitDrawer(client, 'rooms', false);

  await client.click(tid('members-open'));
  await waitDrawer(client, 'members', true);
  await onScreen(client, label, 'member', 'the open members drawer');
  await screen(client, `${label}-members-drawer`);
  // The backdrop is the visible part of the room beside the drawer.
  await page.mouse.click(20, 400);
  await waitDrawer(client, 'members', false);
}

async function runSize(base, size, seedNicks) {
  for (const theme of THEMES) {
    for (const lang of LANGS) {
      const tag = `${size.name}-${theme}-${lang}`;
      const nick = `${size.name.slice(0, 1)}${theme.slice(0, 1)}${lang}`;
      log(`▶ ${tag}`);
      // Dark runs also ask for reduced motion: the drawers must then appear without sliding.
      const motion = theme === 'dark' ? 'reduce' : 'no-preference';
      const c = await openPage(tag, `${base}/`, { size, theme, lang, motion });
      c.motion = motion;
      try {
        await c.page.evaluate((l) => localStorage.setItem('lanchat.lang', l), lang);
        await c.page.reload();
        await c.until('the nickname prompt', (s) => s.screen === 'nick');
        await screen(c, '1-nick');
        await c.type(tid('nick-input'), nick);
        await c.click(tid('nick-submit'));
        await c.until('the join card with the server rooms', async (s) =>
          s.screen === 'setup' && (await c.eval((sel) => document.querySelectorAll(sel).length, tid('server-room'))) > 0,
        );
        await screen(c, '2-join');
        await c.click(tid('server-room', '[data-room="lobby"]'));
        await c.click(tid('join-button'));
        await c.until('the chat with the seeded history', (s) => s.screen === 'chat' && s.active === 'lobby' && chats(s).length >= SEED.length);
        await screen(c, '3-chat');
        await composerOnScreen(c, '3-chat');
        if (size.mobile || size.touch) {
          const coarse = await c.eval(() => matchMedia('(pointer: coarse)').matches);
          expect(coarse, `${tag}: the touch emulation does not report a coarse pointer`);
          await touchTargets(c, tag);
        }
        await fileScreens(c, size, tag);
        if (size.mobile) {
          await drawers(c, '4');
        } else {
          // Wide: no drawer buttons, the lists are columns.
          const btn = await c.eval(placementInPage, tid('rooms-open'));
          expect(btn.found && !btn.inside, `${tag}: the rooms button shows on a wide screen`);
          const members = await c.eval(placementInPage, tid('member-list'));
          expect(members.inside, `${tag}: the member list is not a visible column`);
        }
        seedNicks.push(nick);
      } finally {
        await c.context.close();
      }
    }
  }
}

/** A phone guest and a "window" talk; the phone joins a second room from its drawer by keyboard. */
async function phoneConversation(base, desk) {
  const size = SIZES[0];
  const phone = await openPage('phone-chat', `${base}/?room=lobby&nick=mei`, { size, theme: 'light', lang: 'en' });
  try {
    await phone.until('mei in #lobby', (s) => s.screen === 'chat' && s.active === 'lobby' && tab(s, 'lobby')?.status === 'joined');
    await sendFrom(phone, 'On my way, save me a seat!');
    await desk.until('the phone message at the desk', (s) => chats(s).some((m) => m.nick === 'mei' && m.text === 'On my way, save me a seat!'));
    await sendFrom(desk, 'Saved one by the window.');
    await phone.until('the desk reply on the phone', (s) => chats(s).some((m) => m.nick === 'desk' && m.text === 'Saved one by the window.'));
    await composerOnScreen(phone, 'conversation');
    await screen(phone, 'conversation', { axe: false });

    // Keyboard: open rooms, Tab to "+ Join a room", join #side, back to #lobby with Alt+↑.
    await phone.page.focus(tid('rooms-open'));
    await phone.page.keyboard.press('Enter');
    await waitDrawer(phone, 'rooms', true);
    await phone.page.focus(tid('join-room-input'));
    await phone.page.keyboard.type('side');
    await phone.page.keyboard.press('Enter');
    await phone.until('#side joined and active', (s) => s.active === 'side' && tab(s, 'side')?.status === 'joined');
    await waitDrawer(phone, 'rooms', false);
    expect(new URL(phone.page.url()).search === '?room=side', `phone: the address bar says ${phone.page.url()}, expected ?room=side`);
    await phone.page.keyboard.press('Alt+ArrowUp');
    await phone.until('back in #lobby by Alt+↑', (s) => s.active === 'lobby');

    // Unread in another room shows on the rooms button.
    await desk.type(tid('join-room-input'), 'side');
    await desk.click(tid('join-room-button'));
    await desk.until('desk in #side', (s) => s.active === 'side' && tab(s, 'side')?.status === 'joined');
    await sendFrom(desk, 'Psst, over here.');
    const badge = await waitFor('the unread badge on the rooms button', () =>
      phone.eval((sel) => document.querySelector(sel)?.textContent ?? null, tid('rooms-unread')),
    );
    expect(badge === '1', `phone: the rooms button badge says ${badge}, expected 1`);
    await screen(phone, 'unread-badge', { axe: false });
  } finally {
    await phone.context.close();
  }
}

const tab = (s, room) => s.tabs.find((t) => t.room === room);

async function touchTargets(c, label) {
  const small = await c.eval(smallTargetsInPage, 44);
  expect(small.length === 0, `${label}: touch targets under 44 px:\n    ${small.join('\n    ')}`);
}

/** The desk sends the picture and the document with the paperclip's file input. */
async function seedFiles(desk) {
  await desk.click(tid('room-tab', '[data-room="lobby"]'));
  await desk.until('desk back in #lobby', (s) => s.active === 'lobby');
  await desk.page.setInputFiles(tid('file-input'), [PICTURE, DOCUMENT]);
  await desk.until('both files in #lobby with the preview loaded', (s) =>
    s.messages.some((m) => m.file?.name === DOCUMENT.name && m.seq) &&
    s.messages.some((m) => m.file?.name === PICTURE.name && m.seq && m.file.thumb?.loaded),
  );
}

/** Throttles (or, with -1, frees) this page's uploads, so that one stays in progress a while. */
async function uploadSpeed(c, bytesPerSecond) {
  c.cdp ??= await c.context.newCDPSession(c.page);
  await c.cdp.send('Network.enable');
  await c.cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
}

/** In the page: files dragged over the room (dragenter with a file), or gone again. */
function dragOverRoomInPage(enter) {
  const dt = new DataTransfer();
  dt.items.add(new File(['x'], 'x.txt', { type: 'text/plain' }));
  document.querySelector('.room-pane').dispatchEvent(new DragEvent(enter ? 'dragenter' : 'dragleave', { dataTransfer: dt, bubbles: true, cancelable: true }));
}

/** The files screens: cards, the viewer, an upload in progress, a refusal, the drop zone. */
async function fileScreens(c, size, tag) {
  const touch = size.mobile || size.touch;
  const picture = `${tid('file-card')}[data-mime="image/png"]`;
  await c.until('the seeded files with the preview loaded', (s) =>
    s.messages.some((m) => m.file?.name === DOCUMENT.name) && s.messages.some((m) => m.file?.name === PICTURE.name && m.file.thumb?.loaded),
  );
  await c.eval((sel) => document.querySelector(sel).scrollIntoView({ block: 'end' }), picture);
  await screen(c, '3b-files');
  if (touch) await touchTargets(c, `${tag} files`);

  // The viewer: full size, closes on Escape, the focus goes back to the preview.
  await c.click(`${picture} ${tid('file-thumb')}`);
  await c.until('the viewer', (s) => s.viewer);
  await waitFor(`${tag}: the full picture in the viewer`, () =>
    c.eval((sel) => document.querySelector(sel)?.naturalWidth === 900, tid('viewer-image')),
  );
  await onScreen(c, '3c-viewer', 'viewer-close', 'the viewer’s close button');
  await screen(c, '3c-viewer');
  if (touch) await touchTargets(c, `${tag} viewer`);
  await c.page.keyboard.press('Escape');
  await c.until('the viewer closed by Escape', (s) => !s.viewer);
  await focusLands(c, 'file-thumb', `${tag}: closing the viewer did not give the focus back to the preview`);

  // An upload in progress (throttled to ~100 KB/s), with its speed; Cancel takes it away.
  await uploadSpeed(c, 100_000);
  await c.page.setInputFiles(tid('file-input'), {
    name: 'holiday-photos-from-the-long-weekend-in-the-mountains-2026.zip',
    mimeType: 'application/zip',
    buffer: Buffer.alloc(1_500_000, 7),
  });
  await c.until('the upload in progress with its speed', async (s) =>
    s.uploads[0]?.status === 'sending' && /\/s/.test(await c.eval((sel) => document.querySelector(sel)?.textContent ?? '', tid('upload-detail'))),
  );
  await composerOnScreen(c, '3d-upload');
  await screen(c, '3d-upload');
  if (touch) await touchTargets(c, `${tag} upload`);
  await c.click(tid('upload-cancel'));
  await c.until('the cancelled upload gone', (s) => s.uploads.length === 0);
  await uploadSpeed(c, -1);

  // A file over the host's limit: refused, in words, on its row.
  await c.page.setInputFiles(tid('file-input'), { name: 'disk-image.iso', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MAX_FILE + 1, 1) });
  await c.until('the refusal on the row', (s) => s.uploads[0]?.status === 'failed' && s.uploads[0].code === 'file_too_large');
  await screen(c, '3e-upload-refused');
  if (touch) await touchTargets(c, `${tag} refused upload`);
  await c.click(tid('upload-dismiss'));
  await c.until('the refused upload removed', (s) => s.uploads.length === 0);

  // Files dragged over the room: the drop zone (decorative; axe skips nothing it hides).
  await c.eval(dragOverRoomInPage, true);
  // It lets the pointer through (the drop lands on the room), so it is only checked for place.
  const zone = await c.eval(placementInPage, tid('drop-zone'));
  expect(zone.found && zone.inside, `${tag} 3f-drop: the drop zone is not on screen (${JSON.stringify(zone)})`);
  await screen(c, '3f-drop');
  await c.eval(dragOverRoomInPage, false);
  await waitFor(`${tag}: the drop zone gone`, async () => !(await c.eval((sel) => document.querySelector(sel) !== null, tid('drop-zone'))));
}

/** docs/screenshot-phone.png: a small conversation in its own room, seen on a phone. */
async function docScreenshot(base) {
  const wide = { size: SIZES[2], theme: 'light', lang: 'en' };
  const ana = await openPage('doc-ana', `${base}/?room=team&nick=Ana`, wide);
  const ben = await openPage('doc-ben', `${base}/?room=team&nick=Ben`, wide);
  const mei = await openPage('doc-mei', `${base}/?room=team&nick=Mei`, { size: SIZES[0], theme: 'light', lang: 'en' });
  try {
    for (const c of [ana, ben, mei]) await c.until('in #team', (s) => s.screen === 'chat' && tab(s, 'team')?.status === 'joined');
    await sendFrom(ana, 'Lunch at 12:30? The noodle place downstairs finally opened.');
    await sendFrom(ben, "I'm in. Slides for the afternoon are at http://192.168.1.20:8080/q4-review.pdf");
    await sendFrom(mei, 'On my way, save me a seat!');
    await sendFrom(ana, '好的，我先去占座。Bring your badge, the lift needs it.');
    await mei.until('all four messages', (s) => chats(s).length === 4);
    await mei.screenshot(path.join(OUT, 'screenshot-phone.png'));
  } finally {
    await Promise.all([ana, ben, mei].map((c) => c.context.close()));
  }
}

/**
 * The window's setup screen (Host + Join cards), which only the desktop transport shows: the same
 * page with a stand-in for Tauri's IPC, answering just what that screen asks (no hosting yet, or
 * hosting with two LAN addresses and a password, which shows the invite link and its QR code).
 */
function fakeTauri({ hosting }) {
  const info = {
    port: 7878,
    addresses: ['192.168.1.20', '10.0.0.5'],
    passwordRequired: true,
    announcedAs: null,
    fingerprint: '3f2a9c01b7e45d60'.repeat(4),
    plainGuests: false,
  };
  const callbacks = new Map();
  let next = 1;
  /** Sends a ClientEvent down the Channel handed to `client_connect`, as Rust would. */
  let emit = () => undefined;
  window.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
    transformCallback: (cb) => {
      callbacks.set(next, cb);
      return next++;
    },
    unregisterCallback: (id) => callbacks.delete(id),
    convertFileSrc: (p) => p,
    invoke: async (cmd, args = {}) => {
      if (cmd === 'host_status') return hosting ? info : null;
      // The host panel's switch for plain http:// guests (the suite only looks at it).
      if (cmd === 'host_set_plain_guests') return { ...info, plainGuests: args.allow };
      if (cmd === 'suggest_port') return 7878;
      // The moderation view: the window's own room, and one it never joined.
      if (cmd === 'host_rooms') {
        return [
          { name: 'design-review', members: ['Kofi', 'Priya'], unencrypted: ['Priya'], lastSeq: 212 },
          { name: 'lobby', members: ['alice', 'bob', 'Mei'], unencrypted: [], lastSeq: 6 },
        ];
      }
      if (cmd.startsWith('plugin:notification|')) return cmd.endsWith('permission_granted') ? true : 'granted';
      if (cmd === 'client_connect') {
        const cb = callbacks.get(args.events.id);
        let index = 0;
        emit = (message) => cb?.({ index: index++, message });
        setTimeout(() => emit({ type: 'state', state: 'connected' }));
        return { server: 'lanchat', name: 'alice-laptop', version: '0.1.0', passwordRequired: true, rooms: [] };
      }
      // The room's history starts with what the join replayed: nothing older to page through.
      if (cmd === 'client_history') return { room: args.room, messages: [], more: false, moreAfter: false };
      if (cmd === 'client_search') return { room: args.room, results: [], more: false };
      if (cmd === 'client_join') {
        const { room } = args;
        const lines = [
          ['join', 'alice', `alice joined ${room}`],
          ['join', 'bob', `bob joined ${room}`],
          ['chat', 'bob', 'Is the projector in room 2 free after lunch?'],
          ['join', 'Mei', `Mei joined ${room}`],
          ['chat', 'Mei', 'I can bring the HDMI adapter.'],
        ];
        const guide = {
          name: 'Projector-setup-guide-for-room-2-with-HDMI-and-USB-C-adapters.pdf',
          size: 2_345_678,
          mime: 'application/pdf',
          sha256: 'ab'.repeat(32),
          url: '/files/abab/guide.pdf?room=lobby&sig=1',
        };
        setTimeout(() => {
          lines.forEach(([kind, nickName, message], i) =>
            emit({ type: 'message', id: `m${i}`, room, seq: i + 1, ts: Date.now(), kind, nickName, message, history: true }),
          );
          const message = `📎 ${guide.name} (2.3 MB)`;
          emit({ type: 'message', id: 'f1', room, seq: lines.length + 1, ts: Date.now(), kind: 'file', nickName: 'bob', message, history: true, file: guide });
          // Conversations: a reply that mentions alice with reactions, her edited answer, a deleted message.
          const n = lines.length + 1;
          const who = (nickName) => ({ userId: `${nickName}-id`, nickName });
          emit({
            type: 'message', id: 'c1', room, seq: n + 1, ts: Date.now(), kind: 'chat', nickName: 'Mei', userId: 'Mei-id',
            message: '@alice could you book it for 2pm?', mentions: ['alice'], history: true,
            reply: { seq: 3, nickName: 'bob', text: 'Is the projector in room 2 free after lunch?' },
            reactions: [{ emoji: '👍', by: [who('bob'), who('alice')] }, { emoji: '🎉', by: [who('bob')] }],
          });
          emit({ type: 'message', id: 'c2', room, seq: n + 2, ts: Date.now(), kind: 'chat', nickName: 'alice', userId: 'alice-id', message: 'Booked, see you there.', editedTs: Date.now(), history: true });
          emit({ type: 'message', id: 'c3', room, seq: n + 3, ts: Date.now(), kind: 'chat', nickName: 'bob', userId: 'bob-id', message: '', deleted: true, history: true });
        });
        return { room, nickName: 'alice', lastSeq: lines.length + 4, members: ['alice', 'bob', 'Mei'], userId: 'alice-id' };
      }
      // Saved into Downloads at once (the Rust side is tested on its own).
      if (cmd === 'file_download') return `/home/alice/Downloads/${args.name}`;
      // An upload: taken over, then a third of it sent, and it stays there until cancelled.
      if (cmd === 'file_upload_begin') {
        window.__fakeUploadSize = args.size;
        return 't1';
      }
      if (cmd === 'file_upload_chunk') return null;
      if (cmd === 'file_upload_send') {
        const cb = callbacks.get(args.progress.id);
        const total = window.__fakeUploadSize;
        // Ten reports of a thirtieth each, then the last one again after a pause: the UI paints
        // progress at most every 200 ms, so only a report after a quiet spell surely shows.
        let i = 0;
        const report = (n) => cb?.({ index: i++, message: { done: Math.round((total * n) / 30), total } });
        const tick = setInterval(() => (i < 10 ? report(i + 1) : clearInterval(tick)), 100);
        setTimeout(() => report(10), 1600);
        return new Promise((_, reject) => {
          window.__fakeCancel = () => {
            clearInterval(tick);
            reject({ code: 'cancelled', message: 'cancelled' });
          };
        });
      }
      if (cmd === 'file_upload_cancel') {
        window.__fakeCancel?.();
        return null;
      }
      return null;
    },
  };
  localStorage.setItem('lanchat.nick', 'alice');
  localStorage.setItem('lanchat.recentServers', JSON.stringify([{ address: '192.168.1.31:7878', room: 'lobby', at: 1 }]));
}

/** The window hosting, in its own room: the chat with Kick in the member list, then the host panel. */
async function hostControls(c, size) {
  await c.click(tid('host-open-chat'));
  await c.until('the window in #lobby with history', (s) => s.screen === 'chat' && s.state === 'connected' && s.messages.length >= 5);
  if (size.mobile) {
    await c.click(tid('members-open'));
    await waitDrawer(c, 'members', true);
    await onScreen(c, 'host', 'member-kick', 'Kick in the members drawer');
    await screen(c, '7-window-members');
    await c.page.keyboard.press('Escape');
    await waitDrawer(c, 'members', false);
  } else {
    await screen(c, '7-window-chat');
  }
  // A file card in the window: Download saves it, then Open and Show in folder.
  await c.click(tid('file-download'));
  await c.until('the file saved, with Open and Show in folder', async () => (await c.eval((sel) => document.querySelectorAll(sel).length, tid('file-saved'))) === 1);
  await screen(c, '7b-window-file-saved');
  if (size.mobile || size.touch) await touchTargets(c, `window ${size.name} file saved`);
  // An upload from the window: handed over, then in progress; Cancel takes it away.
  await c.page.setInputFiles(tid('file-input'), { name: 'slides-for-the-quarterly-review.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(3_000_000, 1) });
  await c.until('the window upload in progress', (s) => s.uploads[0]?.status === 'sending' && Number(s.uploads[0].progress) === 33);
  await screen(c, '7c-window-upload');
  if (size.mobile || size.touch) await touchTargets(c, `window ${size.name} upload`);
  await c.click(tid('upload-cancel'));
  await c.until('the cancelled window upload gone', (s) => s.uploads.length === 0);
  await c.click(tid('host-panel-open'));
  await c.until('the host panel', (s) => s.hostPanel);
  await onScreen(c, 'host panel', 'host-stop', 'Stop in the host panel');
  await screen(c, '8-host-panel');
  await c.page.keyboard.press('Escape');
  await c.until('the host panel closed by Escape', (s) => !s.hostPanel);
}

async function desktopSetup(base) {
  for (const size of SIZES) {
    for (const theme of THEMES) {
      for (const lang of LANGS) {
        for (const hosting of [false, true]) {
          const tag = `${size.name}-${theme}-${lang}`;
          const c = await openPage(`window-${tag}`, 'about:blank', { size, theme, lang });
          try {
            await c.context.addInitScript(fakeTauri, { hosting });
            await c.context.addInitScript((l) => localStorage.setItem('lanchat.lang', l), lang);
            await c.page.goto(`${base}/`);
            await c.until('the desktop setup screen', async () =>
              (await c.eval((sel) => document.querySelector(sel)?.getAttribute('data-hosting'), tid('host-card'))) === String(hosting),
            );
            if (hosting) {
              await waitFor('the QR code', () => c.eval((sel) => document.querySelector(sel)?.getAttribute('data-text'), tid('invite-qr')));
            }
            await screen(c, hosting ? '6-setup-hosting' : '5-setup');
            if (hosting) await hostControls(c, size);
          } finally {
            await c.context.close();
          }
        }
      }
    }
  }
}

/** Wide → narrow → wide on one page: the layout follows, and a drawer left open does not linger. */
async function resizing(desk) {
  const { page } = desk;
  await page.setViewportSize({ width: 390, height: 844 });
  await onScreen(desk, 'resized to 390', 'rooms-open', 'the rooms button');
  await screen(desk, 'resized-narrow', { axe: false });
  await desk.click(tid('rooms-open'));
  await waitDrawer(desk, 'rooms', true);
  await page.setViewportSize({ width: 1280, height: 800 });
  await waitDrawer(desk, 'rooms', false);
  await onScreen(desk, 'resized to 1280', 'member-list', 'the member column');
  const backdrop = await desk.eval((sel) => document.querySelectorAll(sel).length, tid('drawer-backdrop'));
  expect(backdrop === 0, 'resize: the drawer backdrop stayed after widening');
  await screen(desk, 'resized-wide', { axe: false });
}

/** The manual switch beats the system theme, survives a reload, and "system" hands back. */
async function themeSwitch(base) {
  const c = await openPage('theme', `${base}/`, { size: SIZES[0], theme: 'light', lang: 'en' });
  try {
    const bg = () => c.eval(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    // On a phone the switches are behind the settings button.
    await c.click(tid('settings-toggle'));
    await c.page.selectOption(tid('theme-switch'), 'dark');
    const dark = await bg();
    expect(light !== dark, `theme: choosing dark left the background at ${light}`);
    await c.page.reload();
    await c.until('the page again', (s) => s.screen !== 'other');
    expect((await bg()) === dark, 'theme: dark was not remembered across a reload');
    expect((await c.eval((sel) => document.querySelector(sel).value, tid('theme-switch'))) === 'dark', 'theme: the switch forgot "dark"');
    await c.click(tid('settings-toggle'));
    await screen(c, 'settings-open');
    await c.page.keyboard.press('Escape');
    const closed = await c.eval((sel) => getComputedStyle(document.querySelector(sel)).display, tid('settings-panel'));
    expect(closed === 'none', `theme: Escape left the settings panel open (${closed})`);
    await c.click(tid('settings-toggle'));
    await c.page.selectOption(tid('theme-switch'), 'system');
    expect((await bg()) === light, 'theme: "system" did not follow the (light) system theme again');
  } finally {
    await c.context.close();
  }
}

/** The install bits: manifest linked and served, with icons the server has. */
async function manifest(base) {
  const c = await openPage('manifest', `${base}/?room=lobby`, { size: SIZES[0], theme: 'light', lang: 'en' });
  try {
    const href = await c.eval(() => document.querySelector('link[rel="manifest"]')?.href ?? null);
    expect(href, `manifest: index.html links no manifest (${c.page.url()}: ${(await c.page.content()).slice(0, 300)})`);
    if (!href) return;
    const res = await c.page.request.get(href);
    expect(res.ok(), `manifest: GET ${href} answered ${res.status()}`);
    const m = await res.json();
    expect(m.start_url && m.display === 'standalone' && m.theme_color, `manifest: incomplete ${JSON.stringify(m)}`);
    const sizes = new Set();
    for (const icon of m.icons ?? []) {
      const r = await c.page.request.get(new URL(icon.src, href).href);
      expect(r.ok() && r.headers()['content-type']?.startsWith('image/png'), `manifest: icon ${icon.src} answered ${r.status()}`);
      sizes.add(icon.sizes);
    }
    expect(sizes.has('192x192') && sizes.has('512x512'), `manifest: needs 192 and 512 px icons, has ${[...sizes]}`);
  } finally {
    await c.context.close();
  }
}

async function main() {
  const cfg = tools({ windows: false });
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const base = await startServer(cfg.bin);
  log(`lanchat serve at ${base}`);
  browser = await chromium.launch({
    executablePath: cfg.chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: 60000,
  });

  // The "window": a desktop-sized page that seeds #lobby and stays to answer.
  const desk = await openPage('desk', `${base}/?room=lobby&nick=desk`, { size: SIZES[2], theme: 'light', lang: 'en' });
  await desk.until('desk in #lobby', (s) => s.screen === 'chat' && tab(s, 'lobby')?.status === 'joined');
  for (const text of SEED) await sendFrom(desk, text);
  // The longest nickname the server allows, unbroken: its notices and header must fit a phone too.
  const long = await openPage('long-nick', `${base}/?room=lobby&nick=${LONG_NICK}`, { size: SIZES[2], theme: 'light', lang: 'en' });
  await long.until('the long nickname in #lobby', (s) => s.screen === 'chat' && tab(s, 'lobby')?.status === 'joined');
  await sendFrom(long, 'Hello from the longest name on the LAN.');
  await long.context.close();

  await manifest(base);
  await themeSwitch(base);
  await resizing(desk);
  await phoneConversation(base, desk);
  await docScreenshot(base);
  await seedFiles(desk);
  const nicks = [];
  for (const size of SIZES) await runSize(base, size, nicks);
  await desktopSetup(base);
  await desk.screenshot(path.join(OUT, 'desk-final.png'));

  expect(csp.length === 0, `CSP violations:\n    ${csp.join('\n    ')}`);
  if (failures.length) throw new Failed(`${failures.length} check(s) failed:\n  - ${failures.join('\n  - ')}`);
  log(`✔ layout: ${SIZES.length} sizes × ${THEMES.length} themes × ${LANGS.length} languages; screenshots in ${path.relative(process.cwd(), OUT) || OUT}`);
}

process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

let code = 0;
try {
  await withTimeout(main(), OVERALL_MS, `layout run exceeded ${OVERALL_MS / 1000}s`);
} catch (e) {
  code = 1;
  console.error(`\nFAILED: ${e.message}`);
  if (e.stack && !(e instanceof Failed)) console.error(e.stack);
} finally {
  await browser?.close().catch(() => undefined);
  await stopAll();
}
process.exit(code);
