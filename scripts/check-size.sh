#!/usr/bin/env bash
# Fails when the stripped release binary is over the size budget.
#
# usage: scripts/check-size.sh [BINARY]   (default: target/release/q-status)
# env:   Q_STATUS_SIZE_LIMIT   budget in bytes (default 3000000, issue 6's "under 3 MB")
#
# The release profile strips already; the script strips a copy anyway so the figure it checks
# is the stripped size even if someone turns `strip` off in Cargo.toml.
set -euo pipefail

bin=${1:-target/release/q-status}
limit=${Q_STATUS_SIZE_LIMIT:-3000000}

if [[ ! -f $bin ]]; then
    echo "check-size: $bin not found (build it with: cargo build --release --locked)" >&2
    exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$bin" "$tmp/bin"
if command -v strip >/dev/null 2>&1; then
    strip "$tmp/bin" 2>/dev/null || true
fi
size=$(wc -c <"$tmp/bin")
shipped=$(wc -c <"$bin")

mb=$(awk -v b="$size" 'BEGIN { printf "%.2f", b / 1000000 }')
echo "check-size: $bin is $shipped bytes as built, $size bytes stripped ($mb MB); limit $limit"
if ((size > limit)); then
    echo "check-size: FAIL: stripped binary is $((size - limit)) bytes over the limit" >&2
    exit 1
fi
echo "check-size: ok ($((limit - size)) bytes to spare)"
