#!/usr/bin/env node
// lanchat end to end: two desktop windows (alice hosts, bob joins) and a browser guest (carol)
// chat through alice's embedded room server. See README.md for what each step proves.
//
// Everything runs on loopback under a private Xvfb; every process this script starts is stopped
// on the way out, pass or fail. Synchronisation is by polling the DOM for conditions, never by
// fixed sleeps.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { focusedInPage } from './lib/checks.mjs';
import { BrowserClient, describeUi, tid, waitDriverReady, WindowClient } from './lib/clients.mjs';
import { giveFileInPage, pdf, png, sha256 } from './lib/files.mjs';
import { freePorts, killAllSync, log, start, startXvfb, stopAll, waitFor, withTimeout } from './lib/harness.mjs';
import { tools, windowEnv } from './lib/setup.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ART = path.join(HERE, 'artifacts');
const OVERALL_MS = Number(process.env.E2E_TIMEOUT_MS || 300_000);

// ---- run state (for cleanup and failure reports) --------------------------------------------

const clients = []; // WindowClient | BrowserClient, in creation order
let browser = null;
let tmp = null;
let shotNo = 0;
const timings = [];

/** Screenshots of every live participant, `NN-label-name.png` in artifacts/. */
async function shots(label) {
  const n = String(++shotNo).padStart(2, '0');
  await Promise.all(
    clients
      .filter((c) => !c.closed)
      .map((c) =>
        c.screenshot(path.join(ART, `${n}-${label}-${c.name}.png`)).catch((e) => log(`screenshot of ${c.name} failed: ${e.message}`)),
      ),
  );
}

async function step(name, fn) {
  const t = Date.now();
  log(`▶ ${name}`);
  await fn();
  const ms = Date.now() - t;
  timings.push([name, ms]);
  log(`✔ ${name} (${(ms / 1000).toFixed(1)}s)`);
}

/** Whether a process named like the app binary is still in process group `pgid`. */
function appRunningIn(pgid) {
  const name = path.basename(cfgBin).slice(0, 15); // /proc/PID/stat truncates comm to 15 chars
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === name && Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      /* exited meanwhile */
    }
  }
  return false;
}

// ---- assertions over UI snapshots -----------------------------------------------------------

class AssertionFailed extends Error {}

function check(cond, client, message) {
  if (!cond) throw new AssertionFailed(`${client.name}: ${message}\n  ${client.name}'s UI:\n${describeUi(client.last)}`);
}

/** Confirmed chat messages (seq assigned) as `nick: text`. */
const chats = (s) => s.messages.filter((m) => m.kind === 'chat' && m.seq && !m.pending);

const hasChat = (s, nick, text) => chats(s).some((m) => m.nick === nick && m.text === text);
const mentions = (s, text) => s.messages.some((m) => m.text != null && m.text.includes(text));
const tab = (s, room) => s.tabs.find((t) => t.room === room);
const sameSet = (a, b) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** Waits until `client` shows exactly `expected` ([nick, text] in order) as the confirmed chat of `room`. */
async function conversationIs(client, me, room, expected, what) {
  const want = expected.map(([nick, text]) => `${nick}: ${text}`);
  const s = await client.until(`#${room} to show ${what}`, (s) => {
    if (s.active !== room) return false;
    const got = chats(s).map((m) => `${m.nick}: ${m.text}`);
    return got.length === want.length && got.every((g, i) => g === want[i]) && s;
  });
  for (const m of chats(s)) {
    check(m.own === String(m.nick === me), client, `message ${JSON.stringify(m.text)} by ${m.nick} has data-own=${m.own}`);
  }
  return s;
}

/** Types `text` into the composer of the active room, sends it, and waits for the server's copy. */
async function say(client, me, room, text) {
  await client.until(`#${room} to be active and joined before sending`, (s) => s.active === room && tab(s, room)?.status === 'joined');
  await client.type(tid('composer'), text);
  await client.until('the composer to hold the draft', () =>
    client.eval((sel) => document.querySelector(sel)?.value, tid('composer')).then((v) => v === text),
  );
  await client.click(tid('send'));
  const s = await client.until(`own message ${JSON.stringify(text)} to be confirmed in #${room}`, (s) =>
    chats(s).some((m) => m.text === text && m.nick === me && m.own === 'true') && s,
  );
  check(s.active === room, client, `sent in #${s.active}, expected #${room}`);
}

async function joinSidebarRoom(client, room) {
  await client.type(tid('join-room-input'), room);
  await client.click(tid('join-room-button'));
  await client.until(`#${room} joined and active`, (s) => tab(s, room)?.status === 'joined' && s.active === room);
}

async function openRoom(client, room) {
  await client.click(tid('room-tab', `[data-room="${room}"]`));
  await client.until(`#${room} to be the active tab`, (s) => s.active === room);
}

/**
 * Runs in a guest's page: a raw Socket.IO connection of its own (engine.io v4 over WebSocket, to
 * the page's host) joins `room` as `filler` and sends `lines` (one at a time, each after the last
 * one's ack, about 18 a second: under the host's rate limit). Resolves with how many were acked.
 */
function fillRoomInPage(room, lines) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const timer = setTimeout(() => reject(new Error('filling the room timed out')), 90000);
    let next = 0;
    const send = () => ws.send(`42${next + 1}${JSON.stringify(['sendMessage', { room, message: lines[next] }])}`);
    ws.onerror = () => reject(new Error('filler WebSocket failed'));
    ws.onmessage = (e) => {
      const d = String(e.data);
      if (d.startsWith('0')) ws.send('40');
      else if (d === '2') ws.send('3');
      else if (d.startsWith('40')) ws.send(`420${JSON.stringify(['joinRoom', { roomName: room, nickName: 'filler' }])}`);
      else if (d.startsWith('430[')) send();
      else if (d.startsWith('43')) {
        if (d.includes('"ok":true')) next += 1;
        if (next === lines.length) {
          clearTimeout(timer);
          ws.close();
          resolve(next);
        } else setTimeout(send, d.includes('"ok":true') ? 55 : 1000);
      }
    };
  });
}

// ---- the scenario ---------------------------------------------------------------------------

let cfgBin = 'lanchat';
const downloadsOf = (name) => path.join(tmp, name, 'Downloads');

async function scenario(cfg) {
  cfgBin = cfg.bin;
  const [aDriver, aNative, bDriver, bNative, port] = await freePorts(5);
  let alice;
  let bob;
  let bobDriver;
  let carol;

  await step('start Xvfb, two tauri-drivers (own profiles), Chromium', async () => {
    // One X server per window: no window manager, so on one screen they would overlap.
    const displays = {};
    [displays.alice, displays.bob] = await Promise.all(['alice', 'bob'].map((n) => startXvfb(path.join(ART, `${n}-xvfb.log`))));
    log(`Xvfb ${displays.alice} (alice), ${displays.bob} (bob); room server port ${port}`);
    // The windows host on 0.0.0.0 and browse on the Join screen: never on the real network.
    const envFor = (name) => windowEnv(path.join(tmp, name), displays[name]);
    const driver = (name, p, native) =>
      start(`tauri-driver ${name}`, cfg.tauriDriver, ['--port', String(p), '--native-port', String(native), '--native-driver', cfg.nativeDriver], {
        env: envFor(name),
        logFile: path.join(ART, `${name}-driver.log`),
      });
    driver('alice', aDriver, aNative);
    bobDriver = driver('bob', bDriver, bNative);
    const launchBrowser = async () => {
      browser = await chromium.launch({
        executablePath: cfg.chromiumPath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        timeout: 60000,
      });
    };
    const openWindow = async (name, p) => {
      await waitDriverReady(p, name);
      const c = await WindowClient.open(name, p, cfg.bin);
      clients.push(c);
      return c;
    };
    [alice, bob] = await Promise.all([openWindow('alice', aDriver), openWindow('bob', bDriver), launchBrowser()]);
  });

  let guestUrl;
  let room;
  await step('alice hosts on the free port and joins her own room', async () => {
    await alice.type(tid('nick-input'), 'alice');
    await alice.click(tid('nick-submit'));
    await alice.until('the host form with a suggested port', (s) => s.hostPort);
    await alice.clear(tid('host-port'));
    await alice.type(tid('host-port'), String(port));
    await alice.until(`the port field to read ${port}`, (s) => s.hostPort === String(port));
    await alice.click(tid('host-start'));
    const s = await alice.until('the host panel with the invite link', (s) => s.hostPanel && s.inviteLink && s);
    await shots('hosting');

    const invite = new URL(s.inviteLink);
    room = invite.searchParams.get('room');
    check(invite.protocol === 'http:' && invite.port === String(port), alice, `invite ${s.inviteLink} is not http on port ${port}`);
    check(room === 'lobby', alice, `invite ${s.inviteLink} points to room ${room}, expected lobby`);
    // The host's identity: shown in the panel, carried by the invite, the same as /api/info's.
    const info = await (await fetch(`http://127.0.0.1:${port}/api/info`)).json();
    check(/^[0-9a-f]{64}$/.test(info.fingerprint ?? ''), alice, `/api/info has no fingerprint: ${JSON.stringify(info)}`);
    check(s.fingerprint === info.fingerprint, alice, `the host panel shows ${s.fingerprint}, /api/info says ${info.fingerprint}`);
    check(invite.searchParams.get('fp') === info.fingerprint, alice, `invite ${s.inviteLink} does not carry the fingerprint`);
    const lan = s.hostAddresses.map((a) => a.replace(/:\d+$/, ''));
    if (lan.length > 0) {
      check(invite.hostname === lan[0], alice, `invite host ${invite.hostname} is not the picked LAN address ${lan[0]}`);
      check(!invite.hostname.startsWith('127.'), alice, `invite uses loopback ${invite.hostname} although LAN addresses exist`);
    }
    log(`invite link ${s.inviteLink} (LAN addresses: ${lan.join(', ') || 'none'}); tests use 127.0.0.1`);
    invite.hostname = '127.0.0.1'; // loopback only from here on
    invite.searchParams.set('nick', 'carol');
    guestUrl = invite.toString();

    await alice.click(tid('host-panel-close'));
    await alice.until('the host panel to close', (s) => !s.hostPanel);
    await alice.until(`#${room} joined with alice's join notice`, (s) =>
      tab(s, room)?.status === 'joined' &&
      s.active === room &&
      s.state === 'connected' &&
      s.messages.some((m) => m.kind === 'join' && m.text.includes('alice')) &&
      s.members.includes('alice'),
    );
  });

  await step('bob joins 127.0.0.1:PORT from his window', async () => {
    await bob.type(tid('nick-input'), 'bob');
    await bob.click(tid('nick-submit'));
    await bob.type(tid('address-input'), `127.0.0.1:${port}`);
    await bob.clear(tid('room-input'));
    await bob.type(tid('room-input'), room);
    await bob.click(tid('join-button'));
    await bob.until(`#${room} joined, alice and bob present`, (s) =>
      tab(s, room)?.status === 'joined' &&
      s.active === room &&
      s.messages.some((m) => m.kind === 'join' && m.text.includes('bob')) &&
      sameSet(s.members, ['alice', 'bob']),
    );
    await alice.until("bob's join notice and bob in the member list", (s) =>
      s.messages.some((m) => m.kind === 'join' && m.text.includes('bob')) && sameSet(s.members, ['alice', 'bob']),
    );
  });

  const M = {
    a1: 'Good morning! Standup notes are in the shared folder.',
    b1: 'Thanks Alice. Is the 2nd floor printer working again?',
    c1: "Hi both! I'm in from my browser — nothing to install.",
    a2: 'Yes, fixed yesterday. Welcome, Carol!',
    b2: 'Lunch at 12:30 at the ramen place?',
  };

  await step('alice writes before carol arrives; carol (Chromium) joins and gets it as history', async () => {
    await say(alice, 'alice', room, M.a1);
    await bob.until("alice's first message", (s) => hasChat(s, 'alice', M.a1));

    const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
    const consoleLog = fs.createWriteStream(path.join(ART, 'carol-console.log'));
    page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
    carol = new BrowserClient('carol', page);
    clients.push(carol);
    log(`carol opens ${guestUrl}`);
    const res = await page.goto(guestUrl, { timeout: 30000 });
    if (!res.ok()) {
      const body = (await res.text().catch(() => '')).slice(0, 200);
      throw new AssertionFailed(
        `carol: GET ${guestUrl} answered HTTP ${res.status()} ${JSON.stringify(body)}: alice's room server does not serve the chat UI to browser guests`,
      );
    }
    const s = await carol.until(`#${room} joined with alice's message as history`, (s) =>
      tab(s, room)?.status === 'joined' &&
      s.active === room &&
      hasChat(s, 'alice', M.a1) &&
      s.messages.some((m) => m.kind === 'join' && m.text.includes('carol')) &&
      sameSet(s.members, ['alice', 'bob', 'carol']) &&
      s,
    );
    const iHistory = s.messages.findIndex((m) => m.kind === 'chat' && m.text === M.a1);
    const iJoin = s.messages.findIndex((m) => m.kind === 'join' && m.text.includes('carol'));
    check(iHistory < iJoin, carol, "alice's earlier message is not shown before carol's own join notice");
    check(chats(s).find((m) => m.text === M.a1).own === 'false', carol, "alice's message is marked as carol's own");
    for (const c of [alice, bob]) {
      await c.until("carol's join notice and carol in the member list", (s) =>
        s.messages.some((m) => m.kind === 'join' && m.text.includes('carol')) && sameSet(s.members, ['alice', 'bob', 'carol']),
      );
    }
  });

  await step('messages both ways between all three (alice also opens #random)', async () => {
    // A second room in alice's window (she is alone there): room tabs over IPC, and the sidebar
    // the README screenshot shows.
    await joinSidebarRoom(alice, 'random');
    await alice.until('#random with alice alone', (s) => sameSet(s.members, ['alice']) && tab(s, room)?.status === 'joined');
    await openRoom(alice, room);
    await say(bob, 'bob', room, M.b1);
    await carol.until("bob's message", (s) => hasChat(s, 'bob', M.b1));
    await say(carol, 'carol', room, M.c1);
    await alice.until("carol's message", (s) => hasChat(s, 'carol', M.c1));
    await say(alice, 'alice', room, M.a2);
    await bob.until("alice's reply", (s) => hasChat(s, 'alice', M.a2));
    await say(bob, 'bob', room, M.b2);
    const expected = [
      ['alice', M.a1],
      ['bob', M.b1],
      ['carol', M.c1],
      ['alice', M.a2],
      ['bob', M.b2],
    ];
    await conversationIs(alice, 'alice', room, expected, 'the five messages, right nicknames, own marked');
    await conversationIs(bob, 'bob', room, expected, 'the five messages, right nicknames, own marked');
    await conversationIs(carol, 'carol', room, expected, 'the five messages, right nicknames, own marked');
    for (const c of [alice, bob, carol]) {
      const s = await c.until('no pending messages', (s) => !s.messages.some((m) => m.pending) && s);
      check(sameSet(s.members, ['alice', 'bob', 'carol']), c, 'member list is not alice, bob, carol');
    }
    await shots('conversation');
  });

  const S = {
    b1: "Psst, side room: cake for Alice's birthday on Friday?",
    c1: "Back in the lobby: see you all at lunch.",
    a1: 'Lobby only: the quarterly review moved to 3pm.',
    c2: "I'll bring candles. Keep it quiet!",
  };

  await step(`bob and carol open #side; nothing crosses between #side and #${room}`, async () => {
    await joinSidebarRoom(bob, 'side');
    await joinSidebarRoom(carol, 'side');
    await bob.until('#side members bob and carol', (s) => s.active === 'side' && sameSet(s.members, ['bob', 'carol']));
    await say(bob, 'bob', 'side', S.b1);
    await carol.until("bob's #side message in #side", (s) => s.active === 'side' && hasChat(s, 'bob', S.b1));

    // A later lobby message (sent after the #side message was delivered) reaches alice: anything
    // leaked from #side would have arrived before it.
    await openRoom(carol, room);
    await say(carol, 'carol', room, S.c1);
    let s = await alice.until(`carol's later #${room} message`, (s) => s.active === room && hasChat(s, 'carol', S.c1) && s);
    check(!mentions(s, S.b1), alice, `the #side message shows in alice's #${room}`);
    check(!tab(s, 'side'), alice, 'alice has a #side tab although she never joined it');
    check(sameSet(s.members, ['alice', 'bob', 'carol']), alice, `#${room} members changed`);
    await bob.until(`an unread badge on #${room} while bob reads #side`, (s) => s.active === 'side' && Number(tab(s, room)?.unread) >= 1);

    // alice's lobby-only message, then a later #side message: bob's and carol's #side views must
    // show the two #side messages and nothing from the lobby.
    await say(alice, 'alice', room, S.a1);
    await carol.until(`alice's lobby-only message in #${room}`, (s) => s.active === room && hasChat(s, 'alice', S.a1));
    await openRoom(carol, 'side');
    await say(carol, 'carol', 'side', S.c2);
    const side = [
      ['bob', S.b1],
      ['carol', S.c2],
    ];
    s = await conversationIs(bob, 'bob', 'side', side, 'only the two #side messages');
    check(!mentions(s, S.a1) && !mentions(s, S.c1), bob, `a #${room} message shows in #side`);
    s = await conversationIs(carol, 'carol', 'side', side, 'only the two #side messages');
    check(!mentions(s, S.a1) && !mentions(s, S.c1), carol, `a #${room} message shows in #side`);
    await shots('side-room');

    // and bob's #lobby view has the lobby messages, none of #side's
    await openRoom(bob, room);
    s = await bob.until(`#${room} with the lobby-only message`, (s) => hasChat(s, 'alice', S.a1) && s);
    check(!mentions(s, S.b1) && !mentions(s, S.c2), bob, `a #side message shows in bob's #${room}`);
  });

  const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>';
  const AFTER = 'Nice try, Bob.';
  await step('bob sends HTML/script: literal text everywhere, nothing runs', async () => {
    await say(bob, 'bob', room, HOSTILE);
    await openRoom(carol, room);
    for (const c of [alice, carol, bob]) {
      const s = await c.until("bob's HTML message", (s) => s.active === room && chats(s).some((m) => m.text === HOSTILE) && s);
      const m = chats(s).find((m) => m.text === HOSTILE);
      const own = String(c === bob);
      check(m.nick === 'bob' && m.own === own, c, `HTML message attributed to ${m.nick} (own=${m.own}, expected ${own})`);
      check(m.elements.length === 0, c, `the HTML message rendered elements: <${m.elements.join('>, <')}>`);
    }
    // A later message: by the time it shows, an <img onerror> would have fired.
    await say(carol, 'carol', room, AFTER);
    await alice.until("carol's follow-up", (s) => hasChat(s, 'carol', AFTER));
    await bob.until("carol's follow-up", (s) => hasChat(s, 'bob', HOSTILE) && hasChat(s, 'carol', AFTER));
    for (const c of [alice, bob, carol]) {
      const s = await c.snapshot();
      check(s.pwned === null, c, `window.__pwned is ${s.pwned}`);
      const stray = await c.eval(
        (sel) => document.querySelectorAll(`${sel} b, ${sel} img, ${sel} script`).length,
        `${tid('message-list')} > ${tid('message')}`,
      );
      check(stray === 0, c, `${stray} <b>/<img>/<script> element(s) inside message items`);
    }
    // alice's #lobby is still exactly the lobby conversation: nothing from #side, before or after.
    await conversationIs(alice, 'alice', room, [
      ['alice', M.a1],
      ['bob', M.b1],
      ['carol', M.c1],
      ['alice', M.a2],
      ['bob', M.b2],
      ['carol', S.c1],
      ['alice', S.a1],
      ['bob', HOSTILE],
      ['carol', AFTER],
    ], 'the whole lobby conversation and nothing else');
    await shots('html-message');
  });

  const IMG = png(800, 600, 200);
  const IMG_NAME = 'whiteboard.png';
  const DOC = pdf(1_500_000);
  const DOC_NAME = 'Q4 planning — notes for the whole team (final, really final).pdf';
  const isImg = (m) => m.kind === 'file' && m.file?.name === IMG_NAME;
  const isDoc = (m) => m.kind === 'file' && m.file?.name === DOC_NAME;

  await step('files: alice drops a picture; everyone sees its preview; carol downloads it byte-identical and opens the viewer; bob saves it', async () => {
    for (const c of [alice, bob, carol]) await c.until(`#${room} active`, (s) => s.active === room);
    // The drop event a drag from the file manager ends with (the page's own code path).
    const took = await alice.eval(giveFileInPage, 'drop', IMG_NAME, 'image/png', IMG.toString('base64'));
    check(took, alice, 'the room did not take the dropped file');
    for (const c of [alice, bob, carol]) {
      const s = await c.until("alice's picture with its preview loaded", (s) =>
        s.messages.some((m) => isImg(m) && m.nick === 'alice' && m.seq && m.file.thumb?.loaded) && s,
      );
      const m = s.messages.find(isImg);
      check(m.own === String(c === alice), c, `the picture has data-own=${m.own}`);
      check(/^PNG · .* · 800 x 600$/.test(m.file.meta), c, `the picture's details read ${JSON.stringify(m.file.meta)}`);
    }
    await alice.until('no upload row left once the message is there', (s) => s.uploads.length === 0);

    // carol: a plain download link; the bytes are the original's.
    let s = await carol.snapshot();
    const m = s.messages.find(isImg);
    check(m.file.download === IMG_NAME && m.file.href?.includes('dl=1'), carol, `download link ${m.file.href} (${m.file.download})`);
    const item = `${tid('message')}[data-seq="${m.seq}"]`;
    const [download] = await Promise.all([carol.page.waitForEvent('download', { timeout: 20000 }), carol.click(`${item} ${tid('file-download')}`)]);
    const got = fs.readFileSync(await download.path());
    check(sha256(got) === sha256(IMG), carol, `downloaded ${got.length} bytes with another hash than the ${IMG.length} sent`);
    check(download.suggestedFilename() === IMG_NAME, carol, `the download is named ${download.suggestedFilename()}`);

    // The viewer: the original at full size; Escape closes it and the focus goes back.
    await carol.click(`${item} ${tid('file-thumb')}`);
    await carol.until('the viewer open', (s) => s.viewer);
    await waitFor('the full-size picture in the viewer', () =>
      carol.eval((sel) => document.querySelector(sel)?.naturalWidth === 800, tid('viewer-image')),
    );
    await shots('file-viewer');
    await carol.page.keyboard.press('Escape');
    await carol.until('the viewer closed by Escape', (s) => !s.viewer);
    const focus = await carol.eval(focusedInPage);
    check(focus === 'file-thumb', carol, `after the viewer closed the focus is on ${focus}, not the preview`);

    // bob's window: Download saves into his Downloads folder through the Rust client.
    await bob.click(`${item} ${tid('file-download')}`);
    s = await bob.until('the picture saved, with Open and Show in folder', (s) => s.messages.find(isImg)?.file?.saved && s);
    const saved = s.messages.find(isImg).file.saved;
    check(saved === path.join(downloadsOf('bob'), IMG_NAME), bob, `saved to ${saved}`);
    check(sha256(fs.readFileSync(saved)) === sha256(IMG), bob, 'the saved file differs from the original');

    // carol sends a document with the paperclip's file input: a file card, no preview.
    await carol.eval(giveFileInPage, 'input', DOC_NAME, 'application/pdf', DOC.toString('base64'));
    for (const c of [alice, bob, carol]) {
      const s = await c.until("carol's document", (s) => s.messages.some((m) => isDoc(m) && m.seq && m.nick === 'carol') && s);
      const d = s.messages.find(isDoc);
      check(d.file.thumb === null && d.file.mime === 'application/pdf', c, `the document shows as ${JSON.stringify(d.file)}`);
    }
    await shots('files');
  });

  await step('scrollback and search: carol pages back through #archive to its beginning, then a search jumps to an old message', async () => {
    // 250 lines, so the join's 100 leave two pages to load; line 20 holds the word to search.
    const lines = Array.from({ length: 250 }, (_, i) => (i + 1 === 20 ? 'the quarterly zeppelin budget, line 20' : `archive line ${i + 1}`));
    const acked = await carol.eval(fillRoomInPage, 'archive', lines);
    check(acked === 250, carol, `only ${acked} of 250 archive lines were sent`);
    await joinSidebarRoom(carol, 'archive');
    const archive = (s) => chats(s).map((m) => m.text);
    // The join replays the last 100 messages, notices (the filler leaving, carol joining) included.
    const lastHundred = (s) => archive(s).length >= 95 && archive(s).length < 100 && archive(s).at(-1) === 'archive line 250';
    await carol.until('#archive with the last lines', lastHundred);
    const toTop = () => {
      const log = document.querySelector('[data-testid="message-log"]');
      log.scrollTop = 0;
      log.dispatchEvent(new Event('scroll'));
      return log.scrollTop;
    };
    for (let i = 0; i < 6; i++) {
      const s = await carol.snapshot();
      if (archive(s).length === 250) break;
      await carol.eval(toTop);
      await carol.until('an older page to arrive', (t) => archive(t).length > archive(s).length, { timeout: 15000 });
    }
    await carol.until('the beginning of #archive, every line once and in order', async (s) => {
      const got = archive(s);
      return got.length === 250 && got.every((t, i) => t === lines[i]) && (await carol.eval(() => Boolean(document.querySelector('[data-testid="history-beginning"]'))));
    });
    await shots('scrollback-beginning');

    // Leave and come back: only the last 100 are loaded again; the search finds line 20.
    await carol.click('[data-testid="room-leave"][data-room="archive"]');
    await carol.until('#archive left', (s) => !tab(s, 'archive'));
    await joinSidebarRoom(carol, 'archive');
    await carol.until('#archive with the last lines again', lastHundred);
    await carol.click('[data-testid="search-open"]');
    await carol.type('[data-testid="search-input"]', 'zeppe');
    await carol.click('[data-testid="search-go"]');
    await carol.until('one search result, the word marked', () =>
      carol.eval(() => {
        const hits = document.querySelectorAll('[data-testid="search-hit"]');
        return hits.length === 1 && hits[0].querySelector('mark')?.textContent === 'zeppelin' && !hits[0].innerHTML.includes('\u0002');
      }),
    );
    await shots('search-results');
    await carol.click('[data-testid="search-hit"]');
    await carol.until('line 20 loaded around the jump, flashed, with a gap below the page', async (s) => {
      if (!archive(s).includes(lines[19])) return false;
      return carol.eval(() => {
        const li = [...document.querySelectorAll('[data-testid="message"].flash')];
        return li.length === 1 && li[0].textContent.includes('zeppelin') && Boolean(document.querySelector('[data-testid="history-gap"]'));
      });
    });
    await shots('search-jump');
    await carol.click('[data-testid="search-close"]');
    await openRoom(carol, room);
  });

  await step("moderation: from her host panel alice deletes carol's #side message and clears #archive (rooms her window never joined)", async () => {
    await openRoom(carol, 'side');
    const c2 = (await carol.until("carol's #side message", (s) => chats(s).find((m) => m.text === S.c2))).seq;
    await alice.click(tid('host-panel-open'));
    await alice.until('the host panel', (s) => s.hostPanel);
    // The panel scrolls, its Close/Stop bar stays on top: bring each control to the middle first.
    const panelClick = async (sel) => {
      await alice.ready(sel);
      await alice.eval((q) => document.querySelector(q).scrollIntoView({ block: 'center' }), sel);
      await alice.click(sel);
    };
    await panelClick(tid('panel-messages', '[data-room="side"]'));
    await panelClick(tid('panel-delete', `[data-seq="${c2}"]`));
    await panelClick(tid('panel-delete-confirm'));
    await carol.until('her #side message deleted for everyone', (s) =>
      s.messages.some((m) => m.seq === c2 && m.deleted) && !chats(s).some((m) => m.text === S.c2),
    );
    await shots('host-deleted');
    await panelClick(tid('panel-clear', '[data-room="archive"]'));
    await panelClick(tid('panel-clear-confirm'));
    await openRoom(carol, 'archive');
    await carol.until('#archive cleared: no lines left, the clear notice shown', (s) =>
      chats(s).length === 0 && s.messages.some((m) => m.kind === 'clear'),
    );
    await shots('cleared');
    await alice.click(tid('host-panel-close'));
    await alice.until('the host panel to close', (s) => !s.hostPanel);
    await openRoom(carol, room);
  });

  await step('a second guest (dave, on a phone) pastes a screenshot; everyone sees it', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const dave = new BrowserClient('dave', page);
    clients.push(dave);
    await page.goto(guestUrl.replace('nick=carol', 'nick=dave'), { timeout: 30000 });
    await dave.until(`#${room} joined`, (s) => tab(s, room)?.status === 'joined' && s.active === room);
    const shot = png(1280, 720, 30);
    const took = await dave.eval(giveFileInPage, 'paste', 'image.png', 'image/png', shot.toString('base64'));
    check(took, dave, 'the paste of a picture was not taken as a file');
    const isShot = (m) => m.kind === 'file' && m.nick === 'dave' && /^screenshot-\d{4}-\d{2}-\d{2}-\d{6}\.png$/.test(m.file?.name ?? '');
    for (const c of [alice, bob, carol, dave]) {
      await c.until("dave's pasted screenshot with its preview", (s) => s.messages.some((m) => isShot(m) && m.seq && m.file.thumb?.loaded));
    }
    await shots('pasted-screenshot');
    await page.close();
    dave.closed = true;
    for (const c of [alice, carol]) {
      await c.until('dave gone again', (s) => sameSet(s.members, ['alice', 'bob', 'carol']));
    }
  });


  // ---- conversations (issue #14) between the windows and the browser guest ----
  const C = {
    reply: 'Thanks for fixing it — printing my slides now.',
    edited: 'Yes, fixed yesterday (new toner too). Welcome, Carol!',
    mention: 'the cake is in the kitchen.',
  };
  /** A part of message `seq`'s row. */
  const inMsg = (seq, id, extra = '') => `${tid('message', `[data-seq="${seq}"]`)} ${tid(id, extra)}`;
  const seqOf = (s, nick, text) => chats(s).find((m) => m.nick === nick && m.text === text)?.seq;
  /** Opens message `seq`'s actions. The "⋯" button shows on hover or focus: focused and pressed here. */
  async function openActions(client, seq) {
    await client.eval((sel) => {
      const b = document.querySelector(sel);
      b.focus();
      b.click();
    }, inMsg(seq, 'message-more'));
    await client.until(`the actions of #${seq}`, () => client.eval((sel) => Boolean(document.querySelector(sel)), inMsg(seq, 'message-menu')));
  }

  await step('conversations: carol replies and reacts from the browser, bob adds his reaction, alice edits and deletes in her window, carol gets a mention notification', async () => {
    for (const c of [alice, bob, carol]) await openRoom(c, room);
    const s0 = await alice.until('the lobby conversation', (s) => s.active === room && seqOf(s, 'alice', M.a2) && s);
    const a2 = seqOf(s0, 'alice', M.a2);
    const a1 = seqOf(s0, 'alice', M.a1);

    // A reply from the browser, quoting alice's message.
    await openActions(carol, a2);
    await carol.click(inMsg(a2, 'message-reply'));
    await carol.until('the reply bar above the composer', (s) => s.compose === 'reply');
    await say(carol, 'carol', room, C.reply);
    for (const c of [alice, bob, carol]) {
      await c.until("carol's reply with a quote of alice's message", (s) =>
        chats(s).some((m) => m.text === C.reply && m.reply?.to === a2 && m.reply.nick === 'alice' && m.reply.text.startsWith('Yes, fixed')),
      );
    }

    // A reaction from the browser, then bob toggles the same one from his window.
    await openActions(carol, a2);
    await carol.click(inMsg(a2, 'react-pick', '[data-emoji="🎉"]'));
    const oneParty = (n) => (s) => {
      const m = chats(s).find((x) => x.seq === a2);
      return m?.reactions?.length === 1 && m.reactions[0].emoji === '🎉' && m.reactions[0].count === String(n) && m;
    };
    for (const c of [alice, bob, carol]) await c.until('🎉 1 on alice\'s message', oneParty(1));
    await bob.click(inMsg(a2, 'reaction', '[data-emoji="🎉"]'));
    for (const c of [alice, bob, carol]) {
      const m = await c.until('🎉 2 on alice\'s message', oneParty(2));
      check(m.reactions[0].mine === (c !== alice), c, `🎉 marked mine=${m.reactions[0].mine}`);
      check(/carol/.test(m.reactions[0].who) && /bob/.test(m.reactions[0].who), c, `who reacted: ${m.reactions[0].who}`);
    }

    // alice edits her message in the window: the composer starts from its text.
    await openActions(alice, a2);
    await alice.click(inMsg(a2, 'message-edit'));
    await alice.until('the edit bar with the old text', async (s) =>
      s.compose === 'edit' && (await alice.eval((sel) => document.querySelector(sel)?.value, tid('composer'))) === M.a2,
    );
    await alice.clear(tid('composer'));
    await alice.type(tid('composer'), C.edited);
    await alice.click(tid('send'));
    for (const c of [alice, bob, carol]) {
      await c.until('the edited text, marked edited, and the reply quoting it', (s) =>
        chats(s).some((m) => m.seq === a2 && m.text === C.edited && m.edited) &&
        chats(s).some((m) => m.text === C.reply && m.reply?.text.startsWith('Yes, fixed yesterday (new toner')),
      );
    }

    // alice deletes her first message (two presses: Delete, then confirm).
    await openActions(alice, a1);
    await alice.click(inMsg(a1, 'message-delete'));
    await alice.click(inMsg(a1, 'message-delete-confirm'));
    for (const c of [alice, bob, carol]) {
      await c.until('a "message deleted" placeholder', (s) =>
        s.messages.some((m) => m.seq === a1 && m.deleted && m.text === 'Message deleted') && !chats(s).some((m) => m.text === M.a1),
      );
    }
    await shots('conversations');

    // A mention while carol looks at #side: a notification and a mention count in her sidebar.
    await openRoom(carol, 'side');
    await carol.eval(() => {
      window.__notes = [];
      window.Notification = class {
        static permission = 'granted';
        static requestPermission() {
          return Promise.resolve('granted');
        }
        constructor(title, o) {
          window.__notes.push(`${title} | ${o?.body ?? ''}`);
        }
        close() {}
      };
    });
    await alice.type(tid('composer'), 'Heads up @car');
    await alice.until('carol offered to mention', async () =>
      alice.eval((sel) => Array.from(document.querySelectorAll(sel), (e) => e.textContent).includes('@carol'), tid('mention-option')),
    );
    await alice.type(tid('composer'), '\uE004'); // Tab takes the suggestion
    await alice.until('the completed mention', async () =>
      (await alice.eval((sel) => document.querySelector(sel)?.value, tid('composer'))) === 'Heads up @carol ',
    );
    await alice.type(tid('composer'), C.mention);
    await alice.click(tid('send'));
    const full = `Heads up @carol ${C.mention}`;
    const n = await carol.until('a mention notification and @1 on the lobby tab', (s) =>
      s.notes?.some((t) => t.startsWith(`alice mentioned you in #${room}`)) && tab(s, room)?.mentions === '@1' && s,
    );
    log(`carol's notifications: ${JSON.stringify(n.notes)}`);
    await shots('mention');
    await openRoom(carol, room);
    await carol.until('the mention highlighted in the lobby', (s) => chats(s).some((m) => m.text === full && m.mentioned));
    await alice.until('no highlight on her own mention', (s) => chats(s).some((m) => m.text === full && !m.mentioned));
  });

  await step('a private message: carol writes to alice from the member list; alice answers from her window; bob sees none of it', async () => {
    await openRoom(carol, room);
    await carol.click(tid('member-pm', '[data-nick="alice"]'));
    const s = await carol.until('a private room with alice, joined and active', (s) =>
      s.active?.startsWith('dm:') && tab(s, s.active)?.status === 'joined' && s,
    );
    const dm = s.active;
    await say(carol, 'carol', dm, 'Can you print my slides? (just between us)');
    await alice.until('the private room joined in the background, unread, her lobby still open', (s) =>
      tab(s, dm)?.status === 'joined' && tab(s, dm)?.unread === '1' && s.active === room,
    );
    await openRoom(alice, dm);
    await alice.until("carol's private message", (s) => hasChat(s, 'carol', 'Can you print my slides? (just between us)'));
    await say(alice, 'alice', dm, 'Sure, after lunch.');
    await carol.until("alice's private answer", (s) => hasChat(s, 'alice', 'Sure, after lunch.'));
    await shots('private');
    const b = await bob.until('bob has no private room', (s) => s.tabs.length > 0 && s);
    check(!b.tabs.some((t) => t.room === dm), bob, `bob has ${dm}`);
    check(!mentions(b, 'print my slides'), bob, 'bob sees the private message');
    for (const c of [alice, carol]) await openRoom(c, room);
  });

  await step("bob's window closes: alice and carol see him leave", async () => {
    await bob.close();
    await waitFor('bob\'s lanchat process to exit after its WebDriver session was deleted', () => !appRunningIn(bobDriver.pid), {
      timeout: 20000,
    });
    const left = (s) => s.messages.some((m) => m.kind === 'leave' && m.text.includes('bob'));
    await alice.until("bob's leave notice, bob gone from the members", (s) =>
      s.active === room && left(s) && sameSet(s.members, ['alice', 'carol']),
    );
    await carol.until(`bob's leave notice in #${room}`, (s) => s.active === room && left(s) && sameSet(s.members, ['alice', 'carol']));
    await openRoom(carol, 'side');
    await carol.until("bob's leave notice in #side", (s) => left(s) && sameSet(s.members, ['carol']));
    await openRoom(carol, room);
    await shots('bob-left');
  });
}

// ---- main -----------------------------------------------------------------------------------

async function failureReport(err) {
  console.error(`\n✘ FAILED: ${err.stack || err}\n`);
  try {
    await withTimeout(shots('FAILURE'), 30000, 'failure screenshots timed out');
  } catch (e) {
    log(e.message);
  }
  const states = [];
  for (const c of clients.filter((c) => !c.closed)) {
    try {
      await withTimeout(c.snapshot(), 10000, 'snapshot timed out');
      states.push(`${c.name}:\n${describeUi(c.last)}`);
    } catch (e) {
      states.push(`${c.name}: could not read the UI: ${e.message}`);
    }
  }
  fs.writeFileSync(path.join(ART, 'FAILURE.txt'), `${err.stack || err}\n\n${states.join('\n\n')}\n`);
  console.error(`UI at failure:\n${states.join('\n\n')}\n\nscreenshots and logs: ${ART}`);
}

let cleaning = null;
async function cleanup() {
  cleaning ??= (async () => {
    for (const c of clients.filter((c) => c instanceof WindowClient && !c.closed)) {
      await withTimeout(c.close(), 10000, 'session delete timed out').catch(() => undefined);
    }
    if (browser) await withTimeout(browser.close(), 10000, 'browser close timed out').catch(() => undefined);
    await stopAll();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  })();
  return cleaning;
}

async function main() {
  const t0 = Date.now();
  fs.rmSync(ART, { recursive: true, force: true });
  fs.mkdirSync(ART, { recursive: true });
  let cfg;
  try {
    cfg = tools();
  } catch (e) {
    console.error(`e2e: ${e.message}`);
    return 2;
  }
  log(`lanchat ${cfg.bin}`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lanchat-e2e-'));
  let ok = false;
  try {
    await withTimeout(scenario(cfg), OVERALL_MS, `the whole run exceeded ${OVERALL_MS / 1000}s (E2E_TIMEOUT_MS)`);
    ok = true;
  } catch (e) {
    await failureReport(e);
  } finally {
    await cleanup();
  }
  const total = ((Date.now() - t0) / 1000).toFixed(1);
  console.log('\nsteps:');
  for (const [name, ms] of timings) console.log(`  ${(ms / 1000).toFixed(1).padStart(5)}s  ${name}`);
  console.log(ok ? `\nPASS e2e in ${total}s (artifacts: ${path.relative(process.cwd(), ART) || ART})` : `\nFAIL e2e after ${total}s`);
  return ok ? 0 : 1;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    log(`${sig}: stopping everything`);
    cleanup().finally(() => process.exit(130));
  });
}
process.on('exit', killAllSync);

main().then(
  (code) => process.exit(code),
  async (e) => {
    console.error(e);
    await cleanup();
    process.exit(1);
  },
);
