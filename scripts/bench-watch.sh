#!/bin/sh
# Benchmark for `q-status --watch` (a measurement, not a test):
#  - update latency: from the chat's commit (one INSERT OR REPLACE in autocommit, as Kiro
#    writes) to the redrawn view. The view logs each redraw with a timestamp when
#    Q_STATUS_WATCH_LOG is set; the writer notes the time its commit returned.
#  - idle CPU: utime + stime of the process over 10 s with nothing changing, from /proc.
#
# Usage: scripts/bench-watch.sh [BIN]   (default: target/release/q-status)
# Needs: tmux, python3 (its sqlite3 module), Linux /proc.
set -eu

BIN=${1:-target/release/q-status}
ROUNDS=${ROUNDS:-30}
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release)" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
FIXTURE=$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/basic_tool_use.json

TMP=$(mktemp -d)
SOCK="$TMP/sock"
cleanup() { tmux -S "$SOCK" kill-server 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
mkdir -p "$TMP/proj"
DB="$TMP/data.sqlite3"
LOG="$TMP/draw.log"
: >"$LOG"

python3 - "$DB" "$TMP/proj" "$FIXTURE" "${FIXTURE%/*}/kiro-ddl.sql" <<'EOF'
import sqlite3, sys
db, key, fixture, ddl = sys.argv[1:5]
c = sqlite3.connect(db, isolation_level=None)
c.executescript(open(ddl).read())
c.execute("INSERT OR REPLACE INTO conversations_v2 VALUES (?, 'c1', ?, 1, 1)", (key, open(fixture).read()))
EOF

tmux -S "$SOCK" -f /dev/null new-session -d -x 100 -y 20 \
  "exec env Q_STATUS_WATCH_LOG='$LOG' '$BIN' --watch --db '$DB' --dir '$TMP/proj'"
PID=$(tmux -S "$SOCK" display -p '#{pane_pid}')

python3 - "$DB" "$TMP/proj" "$FIXTURE" "$LOG" "$ROUNDS" "$PID" "$SOCK" <<'EOF'
import json, os, sqlite3, statistics, subprocess, sys, time
db, key, fixture, log, rounds, pid, sock = sys.argv[1:8]
rounds = int(rounds)

def lines():
    with open(log) as f:
        return f.read().split("\n")[:-1]  # complete lines only

def wait_lines(n, deadline_s=5.0):
    end = time.time() + deadline_s
    while time.time() < end:
        ls = lines()
        if len(ls) >= n:
            return ls
        time.sleep(0.0005)
    raise SystemExit(f"no redraw within {deadline_s} s (log has {len(lines())} lines)")

def cpu_ticks():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime

wait_lines(1)
time.sleep(0.5)
base = json.load(open(fixture))

def measure(label, value_for):
    c = sqlite3.connect(db, isolation_level=None, timeout=5)
    lat = []
    for i in range(rounds):
        pct = 10 + (i * 7) % 80 + 0.5
        value = value_for(pct)
        n = len(lines())
        c.execute("INSERT OR REPLACE INTO conversations_v2 VALUES (?, 'c1', ?, 1, ?)",
                  (key, value, 1000 + i))
        committed_us = time.time() * 1e6
        drawn_us, what = wait_lines(n + 1)[n].split()
        lat.append((int(drawn_us) - committed_us) / 1000.0)
        time.sleep(0.05)
    c.close()
    lat.sort()
    size = len(value_for(50.0)) / 1024
    p95 = lat[max(0, int(len(lat) * 0.95) - 1)]
    print(f"update latency, {label} ({size:,.0f} KiB row, {rounds} commits): "
          f"median {statistics.median(lat):.1f} ms, p95 {p95:.1f} ms, max {lat[-1]:.1f} ms")

def small(pct):
    v = json.loads(json.dumps(base))
    v["history"][-1]["request_metadata"]["context_usage_percentage"] = pct
    return json.dumps(v)

def large(pct):
    v = json.loads(json.dumps(base))
    v["history"] = v["history"] * 60
    v["history"][-1] = json.loads(json.dumps(v["history"][-1]))
    v["history"][-1]["request_metadata"]["context_usage_percentage"] = pct
    return json.dumps(v)

measure("real row", small)
measure("long chat", large)

screen = subprocess.run(["tmux", "-S", sock, "capture-pane", "-p"],
                        capture_output=True, text=True).stdout
print("screen after the last commit:\n" + "\n".join("    " + l for l in screen.splitlines()[:5]))

time.sleep(1.0)
hz = os.sysconf("SC_CLK_TCK")
n0, t0, w0 = len(lines()), cpu_ticks(), time.time()
time.sleep(10)
t1, w1, n1 = cpu_ticks(), time.time(), len(lines())
cpu = (t1 - t0) / hz / (w1 - w0) * 100
rss = next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS"))
threads = len(os.listdir(f"/proc/{pid}/task"))
print(f"idle: {cpu:.2f} % of one core over {w1 - w0:.1f} s ({t1 - t0} ticks at {hz} Hz), "
      f"{n1 - n0} redraws, RSS {int(rss) / 1024:.1f} MiB, {threads} threads")
EOF
