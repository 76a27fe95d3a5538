#!/usr/bin/env bash
# Search and scrollback benchmark (issue #14): a million generated messages in one room, then
# search round trips, history pages and joins (+ the last 100 messages) through lanchat serve
# while that read load runs (bench/search.py).
#
#   bench/search.sh                       1,000,000 messages, 3 reps; bench/results/search-<ts>.{json,md}
#   bench/search.sh --messages 100000 --reps 1 --duration 5    a quick look
#
# The generated data directory lives under $BENCH_TMP (default /var/tmp) and is removed at the end.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
export CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-$HOME/.cache/lanchat/target-bench}"

for tool in taskset python3 cargo; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 2; }
done
echo "bench: building into $CARGO_TARGET_DIR" >&2
cargo build --release --locked --quiet --manifest-path "$BENCH/loadgen/Cargo.toml"
[ -f "$ROOT/ui/dist/index.html" ] || (cd "$ROOT/ui" && npm ci --no-audit --no-fund --silent && npm run --silent build)
cargo build --release --locked --quiet --no-default-features --manifest-path "$ROOT/Cargo.toml" --bin lanchat --example gen_history
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec python3 "$BENCH/search.py" --bin-dir "$CARGO_TARGET_DIR/release" "$@"
