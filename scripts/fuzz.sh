#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (not part of CI).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s, every target)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain; without nightly, set
# FUZZ_TOOLCHAIN=stable and it builds with RUSTC_BOOTSTRAP=1. Seeds come from tests/fixtures.
# A crash leaves its input in fuzz/artifacts/<target>/: commit it as a regression test.
set -euo pipefail

secs=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(count template config cache)
fi

toolchain=${FUZZ_TOOLCHAIN:-nightly}
if [ "$toolchain" = stable ]; then
    export RUSTC_BOOTSTRAP=1
fi
# The code is safe Rust plus SQLite's C (not reached by these targets): AddressSanitizer would
# only slow the search, so the targets run with coverage instrumentation and debug assertions.
fuzz=(cargo "+$toolchain" fuzz)
opts=(--sanitizer none --debug-assertions)

seed() {
    local dir=corpus/$1
    mkdir -p "$dir"
    case $1 in
        count) cp "$root"/tests/fixtures/*.json "$dir"/ ;;
        template) printf '<icon> <bar> <pct>%%\0claude-sonnet-4\0/home/u/p' >"$dir/default" ;;
        config) printf 'format = "<pct>%%"\nwarning = 60\n[prices]\n"m" = 0.003\n' >"$dir/basic" ;;
        cache) printf 'q-status-cache 1\n0000000000000000\t{"dir":"/a","key":"k","db":null,"usage":null}\n' >"$dir/basic" ;;
    esac
}

"${fuzz[@]}" build "${opts[@]}"
for t in "${targets[@]}"; do
    seed "$t"
    log=$(mktemp)
    status=0
    "${fuzz[@]}" run "${opts[@]}" "$t" -- -max_total_time="$secs" -max_len=65536 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
    execs=$(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+' || true)
    if [ "$status" -eq 0 ]; then
        echo "$t: ${execs:-?} executions in ${secs}s, ${cov:-cov: ?}, no crash"
    else
        echo "$t: FAILED after ${execs:-?} executions (exit $status); see fuzz/artifacts/$t/"
        tail -30 "$log"
    fi
    rm -f "$log"
done
