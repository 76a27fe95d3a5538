#!/usr/bin/env bash
# Desktop benchmark: lanchat's release binary vs an empty Tauri 2 window, same run, under Xvfb.
#   bench/desktop.sh [--runs N]
# Needs the build dependencies (./dev.sh run installs them) and Xvfb.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
export CARGO_TARGET_DIR="${BENCH_RELEASE_DIR:-$HOME/.cache/lanchat/target-release}"
(cd "$ROOT/ui" && npm run --silent build)
cargo build --release --locked --manifest-path "$ROOT/Cargo.toml"
cargo build --release --manifest-path "$BENCH/desktop/empty-tauri/Cargo.toml"
mkdir -p "$BENCH/results"
python3 "$BENCH/desktop.py" --lanchat "$CARGO_TARGET_DIR/release/lanchat" \
  --empty "$CARGO_TARGET_DIR/release/empty-tauri" \
  --out "$BENCH/results/desktop-$(date +%Y%m%d-%H%M%S).json" "$@"
