#!/usr/bin/env bash
# Discovery benchmark (issue #13): time from `lanchat serve` starting on one machine to its row in
# another machine's Join screen. Runs the discover end-to-end suite (tests/e2e/discover.mjs: two
# network namespaces on a bridge it makes, the window in one, the host in the other) N times with
# the release desktop build and reports the median, min and max.
#   bench/discovery.sh [--runs N]      (default 5; needs root, iproute2 and the e2e tools)
# Writes bench/results/discovery-<timestamp>.json. Never touches this computer's own network.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
runs=5
if [ "${1:-}" = "--runs" ]; then runs="$2"; fi
export CARGO_TARGET_DIR="${BENCH_RELEASE_DIR:-$HOME/.cache/lanchat/target-release}"
(cd "$ROOT/ui" && npm run --silent build)
cargo build --release --locked --quiet --manifest-path "$ROOT/Cargo.toml"
[ -d "$ROOT/tests/e2e/node_modules" ] || (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --silent)
mkdir -p "$BENCH/results"
out="$BENCH/results/discovery-$(date +%Y%m%d-%H%M%S).json"
times=()
for i in $(seq 1 "$runs"); do
  (cd "$ROOT/tests/e2e" && LANCHAT_BIN="$CARGO_TARGET_DIR/release/lanchat" node discover.mjs >/dev/null)
  ms=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["appearedMs"])' "$ROOT/tests/e2e/artifacts-discover/discover.json")
  echo "run $i: listed ${ms} ms after the host started" >&2
  times+=("$ms")
done
python3 - "$out" "$(git -C "$ROOT" rev-parse --short HEAD)" "${times[@]}" <<'EOF'
import json, statistics, sys
out, commit, *ms = sys.argv[1:]
ms = [int(m) for m in ms]
r = {"commit": commit, "appearedMs": ms, "median": statistics.median(ms), "min": min(ms), "max": max(ms), "goalMs": 2000}
json.dump(r, open(out, "w"), indent=2)
print(f"host start -> listed in the Join screen: median {r['median']} ms (min {r['min']}, max {r['max']}, n={len(ms)}); goal < 2000 ms")
print(f"wrote {out}")
EOF
