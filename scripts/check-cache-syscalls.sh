#!/usr/bin/env bash
# Proves from the outside that a cache hit opens no SQLite connection.
#
# usage: scripts/check-cache-syscalls.sh [BINARY]   (default: target/release/q-status)
#
# A first run fills the cache. The second run, under `strace -f -y`, may touch the chat
# database only to fingerprint it: at most one open (open(2) for musl, openat(2) for glibc) and
# at most 100 bytes read (the header).
# It must never open a `-journal`, `-wal` or `-shm` file beside it. As a control the same trace
# of a `--no-cache` run must show SQLite reading pages, or this check could not fail.
# Needs strace and python3 (for scripts/bench-db.py).
set -euo pipefail
trap 'echo "check-cache-syscalls: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$(realpath "${1:-target/release/q-status}")
command -v strace >/dev/null || { echo "check-cache-syscalls: strace is not installed" >&2; exit 2; }

tmp=$(realpath "$(mktemp -d)")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/runtime" "$tmp/project"
db=$tmp/data/kiro-cli/data.sqlite3
python3 "$here/bench-db.py" "$db" "$tmp/project" 0 >/dev/null

q() {
    env -i PATH="$PATH" HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/runtime" \
        XDG_CONFIG_HOME="$tmp/home/.config" XDG_CACHE_HOME="$tmp/home/.cache" \
        XDG_DATA_HOME="$tmp/data" LC_ALL=C.UTF-8 \
        "$@" "$bin" --db "$db" --dir "$tmp/project" --color never "${qargs[@]}"
}

# Bytes returned by read/pread64 on the database's own descriptor, and opens of the database
# and of anything beside it named after it.
# strace pads the pid column, so a call may follow the pid after one or more spaces.
db_reads() {
    awk -v fd="<$db>" 'index($0, fd) && /(^|[0-9] +)(read|pread64)\(/ { n += $NF } END { print n + 0 }' "$1"
}
db_opens() {
    awk -v path="\"$db\"" 'index($0, path) && /(^|[0-9] +)open(at)?\(/ { n++ } END { print n + 0 }' "$1"
}
side_opens() { grep -E "open(at)?\(.*\"$db-(journal|wal|shm)\"" "$1" || true; }

qargs=()
cold=$(q)
[[ -n $cold ]] || { echo "check-cache-syscalls: the first run printed nothing" >&2; exit 1; }
[[ -n $(ls -A "$tmp/runtime/q-status" 2>/dev/null) ]] ||
    { echo "check-cache-syscalls: the first run wrote no cache file" >&2; exit 1; }

hit=$(q strace -f -y -qq -e trace=open,openat,read,pread64 -o "$tmp/hit.trace")
qargs=(--no-cache)
q strace -f -y -qq -e trace=open,openat,read,pread64 -o "$tmp/miss.trace" >/dev/null

hit_reads=$(db_reads "$tmp/hit.trace")
hit_opens=$(db_opens "$tmp/hit.trace")
miss_reads=$(db_reads "$tmp/miss.trace")
miss_opens=$(db_opens "$tmp/miss.trace")
echo "check-cache-syscalls: cache hit: $hit_opens open(s) of the database, $hit_reads bytes read;" \
    "--no-cache: $miss_reads bytes read"

fail=0
if [[ $hit != "$cold" ]]; then
    echo "check-cache-syscalls: FAIL: the cache hit printed '$hit', the first run '$cold'" >&2
    fail=1
fi
if ((hit_opens > 1 || hit_reads > 100)); then
    echo "check-cache-syscalls: FAIL: a cache hit read the database beyond its 100-byte header:" >&2
    grep -F "$db" "$tmp/hit.trace" >&2
    fail=1
fi
if [[ -n $(side_opens "$tmp/hit.trace") ]]; then
    echo "check-cache-syscalls: FAIL: a cache hit opened a file beside the database:" >&2
    side_opens "$tmp/hit.trace" >&2
    fail=1
fi
if ((miss_reads <= 100 || miss_opens == 0)); then
    echo "check-cache-syscalls: FAIL: the --no-cache control read only $miss_reads bytes;" \
        "the trace does not show the database reads, so this check proves nothing" >&2
    fail=1
fi
((fail == 0)) && echo "check-cache-syscalls: ok (a cache hit reads only the header)"
exit "$fail"
