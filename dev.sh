#!/usr/bin/env bash
# One entry point for people and CI on Debian/Ubuntu:
#   ./dev.sh run    install what is missing, build, open the lanchat window
#   ./dev.sh test   install what is missing, build, run every test suite
# Installs are idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lanchat/target}"
BIN="$CARGO_TARGET_DIR/debug/lanchat"

APT_BUILD=(libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libsoup-3.0-dev libayatana-appindicator3-dev pkg-config build-essential)
# iproute2: tests/discovery.rs and tests/e2e/discover.mjs build a private LAN of network namespaces with `ip`.
# redis-server: tests/cluster.rs starts its own Redis on a loopback port (cluster mode).
APT_TEST=(xvfb webkit2gtk-driver chromium imagemagick iproute2 redis-server)

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

npm_ci() { # npm ci only when package-lock.json changed since the last install
  local dir=$1 stamp="$1/node_modules/.lanchat-lock"
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then return 0; fi
  log "npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
}

need_tools() {
  command -v cargo >/dev/null || { echo "Rust is required: https://rustup.rs" >&2; exit 1; }
  command -v npm >/dev/null || { echo "Node.js 20+ with npm is required" >&2; exit 1; }
}

build() {
  need_tools
  apt_install "${APT_BUILD[@]}"
  npm_ci ui
  log "building the UI"
  (cd ui && npm run --silent build)
  log "building lanchat ($CARGO_TARGET_DIR)"
  cargo build --locked
}

install_test_tools() {
  apt_install "${APT_TEST[@]}"
  npm_ci tests/interop
  npm_ci tests/e2e
  if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
  fi
  if ! tauri-driver --help >/dev/null 2>&1; then
    log "installing tauri-driver 2.x"
    cargo install tauri-driver --locked --version '^2'
  fi
}

case "${1:-}" in
  run)
    build
    exec "$BIN"
    ;;
  test)
    build
    install_test_tools
    # No test or benchmark may announce or browse on this machine's real network: everything
    # started from here has mDNS off. tests/discovery.rs turns it back on only for the lanchat
    # processes it runs inside its own network namespaces, and in CI it must run, not skip.
    export LANCHAT_NO_DISCOVERY=1
    if [ "${CI:-}" = true ]; then export LANCHAT_REQUIRE_NETNS=1; fi
    log "rust: fmt, clippy"
    cargo fmt --all -- --check
    cargo clippy --locked --all-targets -- -D warnings
    log "rust: unit and integration tests"
    cargo test --locked
    log "rust: headless build has no GTK/WebKit"
    cargo check --locked --no-default-features
    if cargo tree --locked --no-default-features -e normal | grep -E -q 'gtk|webkit|tauri'; then
      echo "the headless build depends on GTK/WebKit/Tauri" >&2; exit 1
    fi
    log "fuzz: protocol payload validation (30 s)"
    FUZZ_TARGET_DIR="$CARGO_TARGET_DIR-fuzz" fuzz/run-smoke.sh 30
    log "ui: unit tests"
    (cd ui && npm test --silent)
    log "interop: socket.io-client 4.3.2 + latest, tutorial gateway"
    (cd tests/interop && LANCHAT_BIN="$BIN" npm test --silent)
    log "end to end: guest page layout, two windows and a browser guest, a host found on the LAN"
    (cd tests/e2e && LANCHAT_BIN="$BIN" npm test --silent)
    log "benchmark harness smoke (a few hundred deliveries per peer)"
    npm_ci bench/node-peer
    BENCH_TARGET_DIR="$CARGO_TARGET_DIR-bench" bench/run.sh --smoke
    log "all tests passed"
    ;;
  *)
    echo "usage: ./dev.sh run | ./dev.sh test" >&2
    exit 2
    ;;
esac
