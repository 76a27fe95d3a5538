'use strict';
// Shared helpers for the interop tests: locating and spawning the servers, socket.io clients of
// both versions, and race-free waiting on events (every received event is logged, and waits scan
// the log first, then new arrivals, with a timeout — no fixed sleeps anywhere).

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const os = require('node:os');
const crypto = require('node:crypto');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURE_DIR = path.join(REPO_ROOT, 'tests', 'fixtures', 'tutorial-gateway');
const LISTEN_RE = /^listening on http:\/\/127\.0\.0\.1:(\d+)\s*$/;

// Default wait for one event. Generous because CI machines are small, but every wait is bounded.
const WAIT_MS = Number(process.env.INTEROP_WAIT_MS || 8000);

// The two client versions every socket test runs against: the one the tutorial pins (its
// <script src="https://cdn.socket.io/4.3.2/socket.io.min.js">) and the newest 4.x.
const CLIENTS = {
  '4.3.2': require('socket.io-client'),
  latest: require('socket.io-client-latest'),
};
const CLIENT_VERSIONS = {
  '4.3.2': require('socket.io-client/package.json').version,
  latest: require('socket.io-client-latest/package.json').version,
};

/** Path of the lanchat binary: $LANCHAT_BIN, else $CARGO_TARGET_DIR/debug/lanchat, else <repo>/target/debug/lanchat. */
function lanchatBin() {
  if (process.env.LANCHAT_BIN) return path.resolve(REPO_ROOT, process.env.LANCHAT_BIN);
  if (process.env.CARGO_TARGET_DIR) {
    const p = path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR, 'debug', 'lanchat');
    if (fs.existsSync(p)) return p;
  }
  return path.join(REPO_ROOT, 'target', 'debug', 'lanchat');
}

function requireLanchatBin() {
  const bin = lanchatBin();
  if (!fs.existsSync(bin)) {
    throw new Error(
      `lanchat binary not found at ${bin}: build it (cargo build) or set LANCHAT_BIN to its path`,
    );
  }
  return bin;
}

function uniq(prefix) {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
}

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/**
 * A spawned process with line-buffered stdout/stderr logs and waits on them.
 */
class Proc {
  constructor(cmd, args, opts = {}) {
    this.cmd = cmd;
    this.args = args;
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    this.stdoutLines = [];
    this.stdout = '';
    this.stderr = '';
    this._partial = '';
    this._waiters = new Set();
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve({ code, signal });
        this._notify();
      });
      this.child.on('error', (err) => {
        this.spawnError = err;
        this.exitCode = -1;
        resolve({ code: -1, signal: null, error: err });
        this._notify();
      });
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => {
      this.stdout += chunk;
      this._partial += chunk;
      let i;
      while ((i = this._partial.indexOf('\n')) >= 0) {
        this.stdoutLines.push(this._partial.slice(0, i).replace(/\r$/, ''));
        this._partial = this._partial.slice(i + 1);
      }
      this._notify();
    });
    this.child.stdout.on('end', () => {
      if (this._partial) {
        this.stdoutLines.push(this._partial.replace(/\r$/, ''));
        this._partial = '';
      }
      this._notify();
    });
    this.child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
    });
    // Writing to a child that already exited must not crash the test process.
    this.child.stdin.on('error', () => {});
  }

  _notify() {
    for (const w of [...this._waiters]) w();
  }

  describe() {
    return `${path.basename(this.cmd)} ${this.args.join(' ')}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Resolves with the first stdout line matching `re` (already printed or future). */
  waitForLine(re, ms = WAIT_MS, what = String(re)) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.stdoutLines.find((l) => re.test(l));
        if (line !== undefined) return done(null, line);
        if (this.exitCode !== undefined) {
          return done(new Error(`process exited (${this.exitCode}/${this.exitSignal}) before printing ${what}\n${this.describe()}`));
        }
      };
      const timer = setTimeout(
        () => done(new Error(`timed out after ${ms} ms waiting for stdout ${what}\n${this.describe()}`)),
        ms,
      );
      const done = (err, v) => {
        clearTimeout(timer);
        this._waiters.delete(check);
        err ? reject(err) : resolve(v);
      };
      this._waiters.add(check);
      check();
    });
  }

  /** Resolves with {code, signal} when the process exits; rejects after `ms`. */
  waitExit(ms = WAIT_MS) {
    return withTimeout(this.exited, ms, `exit of ${path.basename(this.cmd)} ${this.args.join(' ')}\n${this.describe()}`);
  }

  /** Stops the process (SIGTERM, then SIGKILL after a grace period) and waits for it. */
  async kill(graceMs = 3000) {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.exitCode === undefined) this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Spawns a server that prints "listening on http://127.0.0.1:PORT"; resolves to {proc, port, url}. */
async function spawnListening(cmd, args, opts = {}) {
  const proc = new Proc(cmd, args, opts);
  let line;
  try {
    line = await proc.waitForLine(LISTEN_RE, Number(process.env.INTEROP_START_MS || 20000), 'the "listening on" line');
  } catch (e) {
    await proc.kill();
    throw e;
  }
  const port = Number(LISTEN_RE.exec(line)[1]);
  if (!(port > 0)) {
    await proc.kill();
    throw new Error(`bad port in ${JSON.stringify(line)}`);
  }
  return { proc, port, url: `http://127.0.0.1:${port}`, stop: () => proc.kill() };
}

/** The environment for lanchat processes: LANCHAT_PASSWORD (read by serve and join) is dropped so
 * that only the tests' own --password flags count. */
function lanchatEnv() {
  const env = { ...process.env };
  delete env.LANCHAT_PASSWORD;
  // `lanchat join` remembers hosts it trusts: in a file of this run's, never the user's.
  env.LANCHAT_KNOWN_HOSTS = KNOWN_HOSTS;
  return env;
}

const KNOWN_HOSTS = path.join(os.tmpdir(), `lanchat-interop-known-hosts-${process.pid}`);
process.on('exit', () => fs.rmSync(KNOWN_HOSTS, { force: true }));

/** `$LANCHAT_BIN serve --port 0 --bind 127.0.0.1 --memory [extra...]` */
function startLanchat(extraArgs = []) {
  const bin = requireLanchatBin();
  return spawnListening(bin, ['serve', '--port', '0', '--bind', '127.0.0.1', '--memory', ...extraArgs], {
    cwd: REPO_ROOT,
    env: lanchatEnv(),
  });
}

/** The tutorial gateway fixture (plain Node socket.io server). */
function startFixture() {
  if (!fs.existsSync(path.join(FIXTURE_DIR, 'node_modules', 'socket.io'))) {
    throw new Error(
      `fixture dependencies missing in ${FIXTURE_DIR}: run "npm ci" in tests/interop (its postinstall installs them)`,
    );
  }
  return spawnListening(process.execPath, [path.join(FIXTURE_DIR, 'server.js'), '--port', '0'], {
    cwd: FIXTURE_DIR,
    env: { ...process.env, PORT: '' },
  });
}

/** Spawns `$LANCHAT_BIN <args...>` (for `lanchat join`). */
function spawnLanchat(args, opts = {}) {
  return new Proc(requireLanchatBin(), args, { cwd: REPO_ROOT, env: lanchatEnv(), ...opts });
}

/** A port that nothing listens on (bound then released). */
function closedPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A socket.io client whose every incoming event (and every ack) is appended, in arrival order,
 * to `log`, so tests can wait for events that may already have arrived and check ordering.
 */
class Client {
  constructor(version, url, opts = {}) {
    const lib = CLIENTS[version];
    if (!lib) throw new Error(`unknown client version ${version}`);
    this.version = version;
    this.log = []; // {event, data}
    this._waiters = new Set();
    this.socket = lib.io(url, { forceNew: true, reconnection: false, timeout: WAIT_MS, ...opts });
    this.socket.onAny((event, ...args) => this._push(event, args[0]));
    for (const ev of ['connect', 'connect_error', 'disconnect']) {
      this.socket.on(ev, (arg) => this._push(`@${ev}`, arg));
    }
  }

  _push(event, data) {
    this.log.push({ event, data });
    for (const w of [...this._waiters]) w();
  }

  /**
   * Waits until the log holds an entry (at index >= from) whose event is `event` (or one of them,
   * if an array) and whose data matches pred; resolves to {event, data, index}.
   */
  waitFor(event, pred = () => true, { from = 0, ms = WAIT_MS, what } = {}) {
    const events = Array.isArray(event) ? event : [event];
    const label = what || `${events.map((e) => `"${e}"`).join(' or ')} on ${this.version} client`;
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.log.length; i++) {
          const e = this.log[i];
          if (events.includes(e.event) && pred(e.data)) return done(null, { ...e, index: i });
        }
      };
      const timer = setTimeout(() => {
        done(new Error(`timed out after ${ms} ms waiting for ${label}; got:\n${this.dump()}`));
      }, ms);
      const done = (err, v) => {
        clearTimeout(timer);
        this._waiters.delete(check);
        err ? reject(err) : resolve(v);
      };
      this._waiters.add(check);
      check();
    });
  }

  async connected() {
    const e = await this.waitFor(['@connect', '@connect_error'], undefined, { what: `connect (${this.version})` });
    if (e.event === '@connect_error') throw new Error(`connect_error: ${e.data && e.data.message}`);
  }

  /** The connect_error that refused this client (fails if it connected instead). */
  async refused() {
    const e = await this.waitFor(['@connect', '@connect_error'], undefined, { what: `connect_error (${this.version})` });
    if (e.event === '@connect') throw new Error('connected, but a connect_error was expected');
    return e.data;
  }

  /** Emits without an ack callback (the tutorial's style). */
  emit(event, ...args) {
    this.socket.emit(event, ...args);
  }

  /** Emits with an ack callback; resolves to the ack (logged as "@ack:<event>"). Works on 4.3.2 (no .timeout()). */
  request(event, payload, ms = WAIT_MS) {
    return withTimeout(
      new Promise((resolve) => {
        this.socket.emit(event, payload, (res) => {
          this._push(`@ack:${event}`, res);
          resolve(res);
        });
      }),
      ms,
      `ack of "${event}" ${JSON.stringify(payload)}`.slice(0, 300),
    );
  }

  /** Like request(), for events without a payload (emit(event, ack)). */
  requestNoPayload(event, ms = WAIT_MS) {
    return withTimeout(
      new Promise((resolve) => {
        this.socket.emit(event, (res) => {
          this._push(`@ack:${event}`, res);
          resolve(res);
        });
      }),
      ms,
      `ack of "${event}"`,
    );
  }

  messages(from = 0) {
    return this.log.slice(from).filter((e) => e.event === 'message').map((e) => e.data);
  }

  dump() {
    return this.log.map((e) => `  ${e.event} ${JSON.stringify(e.data)}`.slice(0, 400)).join('\n') || '  (nothing)';
  }

  close() {
    this.socket.disconnect();
  }
}

/** Connects a client; returns it once connected. */
async function connect(version, url, opts) {
  const c = new Client(version, url, opts);
  try {
    await c.connected();
  } catch (e) {
    c.close();
    throw e;
  }
  return c;
}

/** Tracks clients/processes opened in a test and closes them all. */
class Cleanup {
  constructor() {
    this.items = [];
  }
  add(x) {
    this.items.push(x);
    return x;
  }
  async run() {
    const items = this.items.splice(0).reverse();
    for (const x of items) {
      try {
        if (x instanceof Client) x.close();
        else if (x instanceof Proc) await x.kill();
        else if (x && x.proc instanceof Proc) await x.proc.kill();
        else if (typeof x === 'function') await x();
      } catch {
        /* best effort */
      }
    }
  }
}

module.exports = {
  CLIENTS,
  CLIENT_VERSIONS,
  Cleanup,
  Client,
  FIXTURE_DIR,
  Proc,
  REPO_ROOT,
  WAIT_MS,
  closedPort,
  connect,
  lanchatBin,
  requireLanchatBin,
  spawnLanchat,
  startFixture,
  startLanchat,
  uniq,
  withTimeout,
};
