// What every suite needs before it starts: where the app binary, tauri-driver, WebKitWebDriver and
// Chromium are (environment first, then the usual places), and the environment of a window with a
// profile of its own.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function firstExisting(candidates) {
  return candidates.filter(Boolean).find((p) => fs.existsSync(p));
}

function onPath(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    if (dir && fs.existsSync(p)) return p;
  }
  return null;
}

/**
 * The programs a suite runs; throws a message saying what to install or set when one is missing.
 * `windows`: also tauri-driver and WebKitWebDriver (suites that drive the desktop window).
 */
export function tools({ windows = true } = {}) {
  const binCandidates = process.env.LANCHAT_BIN
    ? [process.env.LANCHAT_BIN]
    : [
        process.env.CARGO_TARGET_DIR && path.join(process.env.CARGO_TARGET_DIR, 'debug', 'lanchat'),
        path.join(os.homedir(), '.cache', 'lanchat', 'target', 'debug', 'lanchat'),
      ];
  const bin = firstExisting(binCandidates);
  if (!bin) throw new Error(`lanchat binary not found (tried ${binCandidates.filter(Boolean).join(', ')}); set LANCHAT_BIN`);
  const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (apt install chromium); or set CHROMIUM`);
  const found = { bin: path.resolve(bin), chromiumPath };
  if (!windows) return found;
  const tauriDriver =
    process.env.TAURI_DRIVER || onPath('tauri-driver') || firstExisting([path.join(os.homedir(), '.cargo', 'bin', 'tauri-driver')]);
  if (!tauriDriver) throw new Error('tauri-driver not found (cargo install tauri-driver --locked); or set TAURI_DRIVER');
  const nativeDriver = process.env.WEBKIT_WEBDRIVER || onPath('WebKitWebDriver') || '/usr/bin/WebKitWebDriver';
  if (!fs.existsSync(nativeDriver)) throw new Error(`WebKitWebDriver not found at ${nativeDriver} (apt install webkit2gtk-driver)`);
  return { ...found, tauriDriver, nativeDriver };
}

/**
 * The environment of a window whose profile (data, config, cache, state, runtime, Downloads) is
 * `dir`, shown on X display `display`. `discovery`: whether it may browse mDNS — only where the
 * network is one the suite made (a namespace); elsewhere it must never reach the real LAN.
 */
export function windowEnv(dir, display, { discovery = false } = {}) {
  const env = {
    ...process.env,
    DISPLAY: display,
    GDK_BACKEND: 'x11',
    WEBKIT_DISABLE_COMPOSITING_MODE: '1',
    WEBKIT_DISABLE_DMABUF_RENDERER: '1',
    NO_AT_BRIDGE: '1',
    XDG_DATA_HOME: path.join(dir, 'data'),
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_CACHE_HOME: path.join(dir, 'cache'),
    XDG_STATE_HOME: path.join(dir, 'state'),
    XDG_RUNTIME_DIR: path.join(dir, 'runtime'),
  };
  delete env.WAYLAND_DISPLAY;
  if (discovery) {
    delete env.LANCHAT_NO_DISCOVERY;
    delete env.LANCHAT_NO_ANNOUNCE;
  } else {
    env.LANCHAT_NO_DISCOVERY = '1';
  }
  for (const k of ['XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR']) {
    fs.mkdirSync(env[k], { recursive: true, mode: 0o700 });
  }
  // The window saves files to the XDG Downloads folder: this profile's own.
  fs.writeFileSync(path.join(env.XDG_CONFIG_HOME, 'user-dirs.dirs'), `XDG_DOWNLOAD_DIR="${path.join(dir, 'Downloads')}"\n`);
  return env;
}
