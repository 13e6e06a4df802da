#!/usr/bin/env bash
# Times the whole release binary as a prompt runs it, against a no-op process, and prints the
# README's performance table (markdown) on stdout.
#
# usage: scripts/bench.sh [BINARY]   (default: target/release/q-status, built if missing)
# env:   BENCH_RUNS  timed runs per case (default 200; the 10 MB case uses a fifth of it)
#
# Cases: a no-op process (the floor: a C `int main(void){return 0;}` linked like q-status, or
# /bin/true without a C compiler); a cache hit; cold runs (`--no-cache`) on the real 78 KB row, a
# ~300 KB row and a 10 MB row (built by scripts/bench-db.py from the real row's entries); peak
# RSS from `/usr/bin/time -v`; the stripped binary's size. Uses hyperfine where installed, else a
# loop timed with `date`. Needs python3 to build the databases. Where the static musl build
# exists (cargo build --release --target x86_64-unknown-linux-musl) its cache hit is timed too.
set -euo pipefail
trap 'echo "bench: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
runs=${BENCH_RUNS:-200}
bin=${1:-$root/target/release/q-status}
if [[ ! -x $bin ]]; then
    (cd "$root" && cargo build --release --locked >&2)
fi
bin=$(realpath "$bin")

tmp=$(realpath "$(mktemp -d)")
trap 'rm -rf "$tmp"' EXIT

# The floor: the cheapest process the OS can start, linked the way q-status is.
noop=/bin/true
noop_desc="/bin/true"
if command -v cc >/dev/null 2>&1; then
    printf 'int main(void) { return 0; }\n' >"$tmp/noop.c"
    if cc -O2 -o "$tmp/noop" "$tmp/noop.c" 2>/dev/null; then
        noop=$tmp/noop
        noop_desc="C \`return 0\`, dynamically linked like q-status"
    fi
fi

# A private world: no config of the person running it, cache in a fresh runtime dir.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^Q_STATUS_' || true)
export HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/runtime XDG_CONFIG_HOME=$tmp/config \
    XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data LC_ALL=C.UTF-8
unset NO_COLOR CLICOLOR CLICOLOR_FORCE
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$tmp/p78k" "$tmp/p300k" "$tmp/p10m"
bytes_78k=$(python3 "$here/bench-db.py" "$tmp/78k.sqlite3" "$tmp/p78k" 0)
bytes_300k=$(python3 "$here/bench-db.py" "$tmp/300k.sqlite3" "$tmp/p300k" 300000)
bytes_10m=$(python3 "$here/bench-db.py" "$tmp/10m.sqlite3" "$tmp/p10m" 10000000)

q_args() { echo "$bin --db $tmp/$1.sqlite3 --dir $tmp/p$1 $2"; }

# "mean median sd cpu" in milliseconds for `runs` runs of a command line (no shell); cpu is
# user + system time, which other load on the machine disturbs less than wall time.
time_cmd() {
    local n=$1 cmd=$2
    if command -v hyperfine >/dev/null 2>&1; then
        hyperfine -N --warmup 10 --runs "$n" --export-csv "$tmp/h.csv" "$cmd" >/dev/null 2>&1
        awk -F, 'NR == 2 { printf "%.3f %.3f %.3f %.3f\n", $2 * 1e3, $4 * 1e3, $3 * 1e3, ($5 + $6) * 1e3 }' "$tmp/h.csv"
    else
        local i start end
        read -ra argv <<<"$cmd"
        for ((i = 0; i < 10; i++)); do "${argv[@]}" >/dev/null; done
        start=$(date +%s%N)
        for ((i = 0; i < n; i++)); do "${argv[@]}" >/dev/null; done
        end=$(date +%s%N)
        awk -v t="$((end - start))" -v n="$n" 'BEGIN { printf "%.3f %.3f - -\n", t / n / 1e6, t / n / 1e6 }'
    fi
}

peak_rss_mb() {
    read -ra argv <<<"$1"
    /usr/bin/time -v "${argv[@]}" 2>&1 >/dev/null |
        awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }'
}

# Fill the cache for the hit case, and check every case prints a gauge.
for c in 78k 300k 10m; do
    read -ra argv <<<"$(q_args "$c" "")"
    [[ -n $("${argv[@]}") ]] || { echo "bench: q-status printed nothing for the $c row" >&2; exit 1; }
done

declare -a names cmds counts budgets
add() { names+=("$1"); cmds+=("$2"); counts+=("$3"); budgets+=("$4"); }
add "no-op process (floor)" "$noop" "$runs" "-"
add "cache hit" "$(q_args 300k "")" "$runs" "≤ 1.5× floor"
# The static build Linux users get from install.sh: no dynamic loader, so a faster start.
musl_bin=$root/target/x86_64-unknown-linux-musl/release/q-status
if [[ -x $musl_bin && $(realpath "$musl_bin") != "$bin" ]]; then
    add "cache hit, static musl build" "$musl_bin --db $tmp/300k.sqlite3 --dir $tmp/p300k" "$runs" "≤ 1.5× floor"
fi
add "cold, real row ($((bytes_78k / 1000)) KB)" "$(q_args 78k --no-cache)" "$runs" "< 5 ms"
add "cold, $((bytes_300k / 1000)) KB row" "$(q_args 300k --no-cache)" "$runs" "< 5 ms"
add "cold, $((bytes_10m / 1000000)) MB row" "$(q_args 10m --no-cache)" "$((runs / 5))" "< 40 ms"

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
floor=
rows=()
for i in "${!names[@]}"; do
    read -r mean median sd cpu < <(time_cmd "${counts[$i]}" "${cmds[$i]}")
    floor=${floor:-$median}
    rss=$(peak_rss_mb "${cmds[$i]}")
    ratio=$(awk -v m="$median" -v f="$floor" 'BEGIN { printf "%.2f×", m / f }')
    rows+=("| ${names[$i]} | $median | $mean | $sd | $cpu | $ratio | $rss | ${budgets[$i]} |")
done

cp "$bin" "$tmp/stripped"
strip "$tmp/stripped" 2>/dev/null || true
size=$(wc -c <"$tmp/stripped")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || uname -p)
timer=$(command -v hyperfine >/dev/null && hyperfine --version || echo "shell loop")

echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr);"
echo "$timer, ${runs} runs per case (10 MB row: $((runs / 5))), floor: $noop_desc."
echo
echo "Times in ms; ÷ floor compares medians; CPU is user + system time per run."
echo "Load average at the start: $load."
echo
echo "| case | median | mean | σ | CPU | ÷ floor | peak RSS (MB) | budget |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo "| stripped binary | $(awk -v b="$size" 'BEGIN { printf "%.2f MB (%d bytes)", b / 1e6, b }') | | | | | | < 3 MB |"
