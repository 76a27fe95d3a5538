// Process and timing plumbing for the e2e run: free ports, child processes in their own process
// groups (so a whole tree — tauri-driver → WebKitWebDriver → lanchat → WebKit helpers — can be
// stopped by group id), condition polling with readable timeouts, and step logging.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

const T0 = Date.now();
export const elapsed = () => ((Date.now() - T0) / 1000).toFixed(1).padStart(5);
export const log = (msg) => console.log(`[${elapsed()}s] ${msg}`);

/** `n` distinct ports the OS says are free on loopback right now (all bound at once, then closed). */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      await new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', resolve);
      });
      servers.push(srv);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** Every child this run started; `stopAll` ends them (and their descendants) by process group. */
const children = [];

/**
 * Starts `cmd` as the leader of a new process group, output appended to `logFile`.
 * Returns the ChildProcess; `exited` is a promise for its exit.
 */
export function start(name, cmd, args, { env, logFile, stdout = 'log' } = {}) {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    env: env ?? process.env,
    detached: true, // own process group: kill(-pid) reaches the whole tree
    stdio: ['ignore', stdout === 'pipe' ? 'pipe' : out, out],
  });
  fs.closeSync(out);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('error', (e) => log(`${name}: failed to start ${cmd}: ${e.message}`));
  child.label = name;
  children.push(child);
  return child;
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM every process group we started, then SIGKILL what is left after a grace period. */
export async function stopAll(graceMs = 3000) {
  const groups = children.map((c) => c.pid).filter((pid) => pid && groupAlive(pid));
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + graceMs;
  while (groups.some(groupAlive) && Date.now() < deadline) await sleep(50);
  for (const pgid of groups.filter(groupAlive)) {
    log(`process group ${pgid} ignored SIGTERM; SIGKILL`);
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  children.length = 0;
}

/** Synchronous last resort for `process.on('exit')`. */
export function killAllSync() {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Only for polling intervals — never used to wait for the app. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class TimeoutError extends Error {}

/**
 * Polls `probe()` until it returns a truthy value (returned). `describe()` (optional, may be
 * async) explains the last observed state in the timeout message.
 */
export async function waitFor(what, probe, { timeout = 20000, interval = 100, describe } = {}) {
  const deadline = Date.now() + timeout;
  let lastErr;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
      lastErr = undefined;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      let detail = '';
      if (describe) {
        try {
          detail = `\n${await describe()}`;
        } catch (e) {
          detail = `\n(could not describe state: ${e.message})`;
        }
      }
      if (lastErr) detail += `\nlast error: ${lastErr.message}`;
      throw new TimeoutError(`timed out after ${(timeout / 1000).toFixed(0)}s waiting for ${what}${detail}`);
    }
    await sleep(interval);
  }
}

/** Starts a private Xvfb and resolves to its display (":N"), picked by Xvfb itself (-displayfd). */
export async function startXvfb(logFile) {
  const x = start('Xvfb', 'Xvfb', ['-displayfd', '1', '-screen', '0', '1280x900x24', '-nolisten', 'tcp', '-noreset'], {
    logFile,
    stdout: 'pipe',
  });
  const display = await withTimeout(
    new Promise((resolve, reject) => {
      let buf = '';
      x.stdout.on('data', (d) => {
        buf += d;
        const m = buf.match(/^(\d+)\n/);
        if (m) resolve(`:${m[1]}`);
      });
      x.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before reporting its display; see ${logFile}`)));
    }),
    15000,
    `Xvfb did not report a display within 15s; see ${logFile}`,
  );
  return display;
}

/** `promise`, or a rejection with `message` after `ms` (the timer never outlives the race). */
export function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
