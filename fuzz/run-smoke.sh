#!/usr/bin/env bash
# Fuzz smoke test: runs the `payloads` target (protocol payload validation) for a short while,
# starting from the committed seeds in fuzz/seeds/payloads. Exits non-zero if libFuzzer finds a
# crash, panic or broken invariant; the input is then in fuzz/artifacts/payloads/ — copy it into
# fuzz/seeds/payloads/ and `cargo test --test hostile_parser fuzz_seeds` replays it from then on.
#
# Usage: fuzz/run-smoke.sh [seconds]   (default 30)
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). cargo-fuzz passes nightly-only -Z flags
# (the sanitizer) to rustc; RUSTC_BOOTSTRAP=1 lets a stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
    exit 2
fi

# The growing corpus lives in fuzz/corpus (git-ignored); the seeds are read-only input.
mkdir -p corpus/payloads
export RUSTC_BOOTSTRAP=1
# FUZZ_TARGET_DIR keeps the (slow, sanitizer) build outside the clone so CI reuses it.
unset CARGO_TARGET_DIR
target_dir="${FUZZ_TARGET_DIR:-target}"
# -seed fixes libFuzzer's random choices; -max_len lets inputs pass the 4000-char message limit.
cargo fuzz run --target-dir "$target_dir" payloads corpus/payloads seeds/payloads -- \
    -max_total_time="$secs" -max_len=20000 -seed=1 -print_final_stats=1
echo "fuzz smoke: no crash in ${secs}s"
