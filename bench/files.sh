#!/usr/bin/env bash
# File transfer benchmark (issue #12): lanchat vs nginx vs dd for one big file over loopback,
# the host's RSS during the upload and the chat's p99 while it runs (bench/files.py).
#
#   bench/files.sh                  1 GiB, 3 reps; writes bench/results/files-<timestamp>.{json,md}
#   bench/files.sh --size-mib 64 --reps 1   a quick look
#
# Needs nginx (Debian's package: `apt-get install nginx`; started here on a loopback port with
# its own temporary config), curl, taskset and python3. The file and the servers' data live in
# a temporary directory under $BENCH_TMP (default /var/tmp), removed at the end.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
export CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-$HOME/.cache/lanchat/target-bench}"

for tool in nginx curl taskset python3 cargo dd; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 2; }
done
echo "bench: building into $CARGO_TARGET_DIR" >&2
cargo build --release --locked --quiet --manifest-path "$BENCH/loadgen/Cargo.toml"
[ -f "$ROOT/ui/dist/index.html" ] || (cd "$ROOT/ui" && npm ci --no-audit --no-fund --silent && npm run --silent build)
cargo build --release --locked --quiet --no-default-features --manifest-path "$ROOT/Cargo.toml"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec python3 "$BENCH/files.py" --bin-dir "$CARGO_TARGET_DIR/release" "$@"
