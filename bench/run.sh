#!/usr/bin/env bash
# lanchat benchmarks: builds what they need, then runs lanchat serve, a Node socket.io server
# and a bare socketioxide relay side by side under the same load (bench/suite.py).
#
#   bench/run.sh            full comparison (< 20 min), writes bench/results/<timestamp>.{json,md,svg}
#   bench/run.sh --smoke    a few hundred deliveries per peer (< 30 s once built); exits non-zero
#                           on any loss, duplicate, reordering or request error
#   extra arguments go to bench/suite.py (e.g. --peers lanchat,relay --only fanout --reps 1;
#   --peers lanchat,lanchat-tls runs the same server with plain and TLS clients side by side;
#   --peers lanchat,lanchat-redis1,lanchat-redis2,lanchat-redis3 compares cluster mode: 1-3 nodes
#   on one Redis, started fresh by the suite for every run)
#
# Environment: BENCH_TARGET_DIR (default ~/.cache/lanchat/target-bench) is the cargo target dir for every
# build here, kept apart from the main tree's target/ so builds do not wait on each other's lock.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
export CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-$HOME/.cache/lanchat/target-bench}"

peers="lanchat,node,relay"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --peers) peers="${args[$((i + 1))]}" ;;
    --peers=*) peers="${args[$i]#--peers=}" ;;
  esac
done
has() { [[ ",$peers," == *",$1,"* ]]; }
# Cluster peers (lanchat-redis1..3) are lanchat serve nodes on a Redis the suite starts.
cluster=false
[[ ",$peers," == *",lanchat-redis"* ]] && cluster=true

for tool in taskset python3 cargo; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 2; }
done
if [ "$(nproc)" -lt 2 ]; then
  echo "bench: needs 2 CPUs (server and generator each pinned to one)" >&2
  exit 2
fi

echo "bench: building into $CARGO_TARGET_DIR" >&2
cargo build --release --locked --quiet --manifest-path "$BENCH/loadgen/Cargo.toml"
if $cluster; then
  command -v redis-server >/dev/null || { echo "bench: redis-server is required for the lanchat-redis peers (apt-get install redis-server)" >&2; exit 2; }
fi
if has lanchat || $cluster; then
  # The binary embeds the web UI, so it must be built first.
  [ -f "$ROOT/ui/dist/index.html" ] || (cd "$ROOT/ui" && npm ci --no-audit --no-fund --silent && npm run --silent build)
  cargo build --release --locked --quiet --no-default-features --manifest-path "$ROOT/Cargo.toml"
fi
if has relay; then
  cargo build --release --locked --quiet --manifest-path "$BENCH/bare-relay/Cargo.toml"
fi
if has node; then
  command -v node >/dev/null || { echo "bench: node is required for the node peer" >&2; exit 2; }
  (cd "$BENCH/node-peer" && npm ci --no-audit --no-fund --silent)
fi

# 10,000 connections need as many descriptors in the server and in the generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

exec python3 "$BENCH/suite.py" --bin-dir "$CARGO_TARGET_DIR/release" "$@"
