#!/usr/bin/env node
// lanchat end to end, found on the LAN: a desktop win on one machine sees no host and says how
// else to join; `lanchat serve` starts on another machine with a password; the host appears in the
// window's Join screen (timed from the host's start), a click and the password join it over TLS
// pinned to the discovery record's fingerprint, and a message goes through.
//
// The two machines are network namespaces on a bridge this script makes (lib/netns.mjs), so the
// mDNS multicast crosses real (virtual) interfaces and never this computer's own network. Needs
// root and iproute2: without them it says SKIPPED and why (a failure when LANCHAT_REQUIRE_NETNS is
// set, as in CI). The script re-runs itself inside the window's namespace (Xvfb, tauri-driver,
// WebKitWebDriver and the win all live there); the host runs in the other one.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeUi, tid, waitDriverReady, WindowClient } from './lib/clients.mjs';
import { freePorts, killAllSync, log, start, startXvfb, stopAll, waitFor, withTimeout } from './lib/harness.mjs';
import { Lan, lanUnavailable } from './lib/netns.mjs';
import { tools, windowEnv } from './lib/setup.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ART = path.join(HERE, 'artifacts-discover');
const OVERALL_MS = Number(process.env.E2E_TIMEOUT_MS || 180_000);
/** Set (to the LAN's description) in the run inside the window's namespace. */
const INSIDE = process.env.LANCHAT_E2E_LAN;

const HOST_NAME = 'Physics lab';
const PASSWORD = 'ohm-sweet-ohm';
const TEXT = 'Found you without typing an address';
/** The goal for host start → listed in another instance's Join screen. */
const APPEAR_GOAL_MS = 2000;

// ---- outside: make the LAN, run the scenario inside it, delete the LAN --------------------------

async function outside() {
  const why = lanUnavailable();
  if (why) {
    if (process.env.LANCHAT_REQUIRE_NETNS) {
      console.error(`discover: LANCHAT_REQUIRE_NETNS is set but ${why}`);
      return 1;
    }
    console.log(`SKIPPED discover: ${why}. It needs root and iproute2 (CI has both).`);
    return 0;
  }
  fs.rmSync(ART, { recursive: true, force: true });
  fs.mkdirSync(ART, { recursive: true });
  const lan = new Lan(['host', 'desk']);
  const gone = () => lan.remove();
  process.on('exit', gone);
  try {
    const desc = { hostNs: lan.ns('host'), hostAddr: lan.addr('host'), deskAddr: lan.addr('desk') };
    const child = spawn('ip', ['netns', 'exec', lan.ns('desk'), process.execPath, fileURLToPath(import.meta.url)], {
      env: { ...process.env, LANCHAT_E2E_LAN: JSON.stringify(desc) },
      stdio: 'inherit',
    });
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => child.kill(sig));
    const [code, signal] = await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    return code ?? (signal ? 1 : 0);
  } finally {
    gone();
  }
}

// ---- inside the window's namespace ---------------------------------------------------------------

let win = null;
let tmp = null;
const timings = [];

async function step(name, fn) {
  const t = Date.now();
  log(`▶ ${name}`);
  await fn();
  timings.push([name, Date.now() - t]);
  log(`✔ ${name} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
}

class AssertionFailed extends Error {}
function check(cond, message) {
  if (!cond) throw new AssertionFailed(`${message}\n  dana's UI:\n${describeUi(win?.last)}`);
}

/** The found-host buttons in the win, as plain data. */
function foundInPage() {
  return Array.from(document.querySelectorAll('[data-testid="found-host"]')).map((b) => ({
    address: b.getAttribute('data-address'),
    locked: b.getAttribute('data-locked'),
    name: b.querySelector('.found-name-text')?.textContent ?? null,
  }));
}

/** The first file named `name` under `dir`, or null. */
function findFile(dir, name) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name === name) return p;
    if (e.isDirectory()) {
      const hit = findFile(p, name);
      if (hit) return hit;
    }
  }
  return null;
}

async function scenario(cfg, lan) {
  const [driverPort, nativePort] = await freePorts(2);
  const profile = path.join(tmp, 'dana');
  await step('start Xvfb, tauri-driver and the window (discovery on: this LAN is the test\'s own)', async () => {
    const display = await startXvfb(path.join(ART, 'xvfb.log'));
    start('tauri-driver', cfg.tauriDriver, ['--port', String(driverPort), '--native-port', String(nativePort), '--native-driver', cfg.nativeDriver], {
      env: windowEnv(profile, display, { discovery: true }),
      logFile: path.join(ART, 'driver.log'),
    });
    await waitDriverReady(driverPort, 'dana');
    win = await WindowClient.open('dana', driverPort, cfg.bin);
  });

  await step('with no host on the LAN, the Join screen says so and how else to join', async () => {
    await win.type(tid('nick-input'), 'dana');
    await win.click(tid('nick-submit'));
    const status = await waitFor(
      'the found list to say nothing was found',
      () => win.eval(() => {
        const f = document.querySelector('[data-testid="found"]');
        return f?.getAttribute('data-status') === 'none' && document.querySelector('[data-testid="found-status"]').textContent;
      }),
      { timeout: 20000, describe: async () => describeUi(await win.snapshot()) },
    );
    check(/address|invite|QR/i.test(status), `the empty list does not explain the fallback: ${JSON.stringify(status)}`);
    await win.screenshot(path.join(ART, '1-nothing-found.png'));
  });

  let appearedMs;
  let port;
  let host;
  await step(`"${HOST_NAME}" starts on the other machine and appears in the Join screen`, async () => {
    const t0 = Date.now();
    const env = { ...process.env, RUST_LOG: 'warn', LANCHAT_PASSWORD: PASSWORD };
    delete env.LANCHAT_NO_DISCOVERY;
    delete env.LANCHAT_NO_ANNOUNCE;
    host = start('lanchat serve (host machine)', 'ip', ['netns', 'exec', lan.hostNs, cfg.bin, 'serve', '--memory', '--port', '0', '--name', HOST_NAME], {
      env,
      logFile: path.join(ART, 'host.log'),
      stdout: 'pipe',
    });
    const listening = new Promise((resolve) => {
      let buf = '';
      host.stdout.on('data', (d) => {
        buf += d;
        const m = buf.match(/listening on https?:\/\/[^:]+:(\d+)/);
        if (m) resolve(Number(m[1]));
      });
    });
    port = await withTimeout(listening, 30000, 'the host did not say where it listens');
    const want = `${lan.hostAddr}:${port}`;
    const hit = await waitFor(
      `${want} in the found list`,
      () => win.eval(foundInPage).then((list) => list.find((h) => h.address === want)),
      { timeout: 30000, interval: 50, describe: async () => JSON.stringify(await win.eval(foundInPage)) },
    );
    appearedMs = Date.now() - t0;
    log(`listed ${appearedMs} ms after the host started (goal < ${APPEAR_GOAL_MS} ms)`);
    check(hit.name === HOST_NAME, `listed as ${JSON.stringify(hit.name)}, expected ${HOST_NAME}`);
    check(hit.locked === 'true', 'a host with a password is listed without the lock');
    await win.screenshot(path.join(ART, '2-found.png'));
  });

  let fingerprint;
  await step('a click asks for the password; with it the window joins over TLS pinned to the record', async () => {
    const info = await (await fetch(`http://${lan.hostAddr}:${port}/api/info`)).json();
    fingerprint = info.fingerprint;
    check(/^[0-9a-f]{64}$/.test(fingerprint ?? ''), `/api/info has no fingerprint: ${JSON.stringify(info)}`);
    await win.click(tid('found-host', `[data-address="${lan.hostAddr}:${port}"]`));
    await win.ready(tid('password-input'), 'the password field');
    await win.screenshot(path.join(ART, '3-password.png'));
    await win.type(tid('password-input'), PASSWORD);
    await win.click(tid('join-button'));
    await win.until('#lobby joined on the found host', (s) =>
      s.screen === 'chat' && s.state === 'connected' && s.tabs.some((t) => t.room === 'lobby' && t.status === 'joined') && s.members.includes('dana'),
    );
    // Pinned from the record: the window's known_hosts holds the host's fingerprint.
    const known = findFile(path.join(profile, 'data'), 'known_hosts');
    check(known, `no known_hosts under ${profile}/data after joining`);
    const remembered = fs.readFileSync(known, 'utf8');
    check(remembered.includes(fingerprint), `known_hosts does not hold ${fingerprint}:\n${remembered}`);
  });

  await step('a message goes through the found host', async () => {
    await win.type(tid('composer'), TEXT);
    await win.click(tid('send'));
    await win.until('the message confirmed by the host', (s) =>
      s.messages.some((m) => m.kind === 'chat' && m.text === TEXT && m.seq && !m.pending),
    );
    await win.screenshot(path.join(ART, '4-chat.png'));
  });

  fs.writeFileSync(path.join(ART, 'discover.json'), `${JSON.stringify({ appearedMs, goalMs: APPEAR_GOAL_MS }, null, 2)}\n`);
  return appearedMs;
}

let cleaning = null;
async function cleanup() {
  cleaning ??= (async () => {
    if (win && !win.closed) await withTimeout(win.close(), 10000, 'session delete timed out').catch(() => undefined);
    await stopAll();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  })();
  return cleaning;
}

async function inside() {
  const t0 = Date.now();
  const lan = JSON.parse(INSIDE);
  let cfg;
  try {
    cfg = tools();
  } catch (e) {
    console.error(`discover: ${e.message}`);
    return 2;
  }
  log(`lanchat ${cfg.bin}; host machine ${lan.hostAddr}, window machine ${lan.deskAddr}`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lanchat-discover-'));
  let ok = false;
  let appeared;
  try {
    appeared = await withTimeout(scenario(cfg, lan), OVERALL_MS, `the whole run exceeded ${OVERALL_MS / 1000}s (E2E_TIMEOUT_MS)`);
    ok = true;
  } catch (e) {
    console.error(`\n✘ FAILED: ${e.stack || e}\n`);
    if (win && !win.closed) {
      await withTimeout(win.screenshot(path.join(ART, 'FAILURE-dana.png')), 20000, 'screenshot timed out').catch(() => undefined);
    }
    fs.writeFileSync(path.join(ART, 'FAILURE.txt'), `${e.stack || e}\n\n${describeUi(win?.last)}\n`);
  } finally {
    await cleanup();
  }
  console.log('\nsteps:');
  for (const [name, ms] of timings) console.log(`  ${(ms / 1000).toFixed(1).padStart(5)}s  ${name}`);
  const total = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(ok ? `\nPASS discover in ${total}s (host listed after ${appeared} ms; artifacts: ${ART})` : `\nFAIL discover after ${total}s`);
  return ok ? 0 : 1;
}

if (INSIDE) {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      log(`${sig}: stopping everything`);
      cleanup().finally(() => process.exit(130));
    });
  }
  process.on('exit', killAllSync);
}

(INSIDE ? inside() : outside()).then(
  (code) => process.exit(code),
  async (e) => {
    console.error(e);
    if (INSIDE) await cleanup();
    process.exit(1);
  },
);
