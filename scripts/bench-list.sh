#!/usr/bin/env bash
# Benchmark: `q-status list` over a Kiro database of 2 000 conversations totalling ~500 MB.
# Prints wall time and peak RSS (GNU time) for the table, --json and report runs.
#
#   scripts/bench-list.sh [BINARY] [CONVERSATIONS] [KB_PER_ROW]
#
# Defaults: target/release/q-status (else target/debug/q-status), 2000 rows, ~275 KB each
# (about 500 MB of row text).
# The database is built once under ${BENCH_DIR:-target/bench} (its name holds rows and size)
# and reused by later runs.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-}"
if [[ -z "$bin" ]]; then
    if [[ -x "$root/target/release/q-status" ]]; then
        bin="$root/target/release/q-status"
    else
        bin="$root/target/debug/q-status"
    fi
fi
rows="${2:-2000}"
kb="${3:-275}"
dir="${BENCH_DIR:-$root/target/bench}"
db="$dir/kiro-${rows}x${kb}k.sqlite3"
mkdir -p "$dir"

if [[ ! -f "$db" ]]; then
    echo "building $db ($rows rows x ~$kb KB) ..." >&2
    python3 - "$db" "$rows" "$kb" "$root/tests/fixtures/basic_tool_use.json" "$root/tests/fixtures/kiro-ddl.sql" <<'PY'
import json, sqlite3, sys
db, rows, kb, fixture, ddl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
base = json.load(open(fixture))
entries = base["history"]
con = sqlite3.connect(db)
con.executescript(open(ddl).read())
t0 = 1_774_656_899_425
for i in range(rows):
    row = dict(base)
    row["conversation_id"] = f"bench-{i:05d}"
    hist, size, n = [], len(json.dumps(base)), 0
    # Repeat the real entries, each with a tool result padded so the row reaches ~kb KB.
    while size < kb * 1024:
        e = json.loads(json.dumps(entries[n % len(entries)]))
        pad = "x" * 8000
        e["user"]["additional_context"] = pad
        meta = e.get("request_metadata") or {}
        meta["request_start_timestamp_ms"] = t0 - i * 3_600_000 + n * 1000
        e["request_metadata"] = meta
        hist.append(e)
        size += len(json.dumps(e))
        n += 1
    row["history"] = hist
    text = json.dumps(row)
    con.execute("INSERT INTO conversations_v2 VALUES (?,?,?,?,?)",
                (f"/bench/project-{i:05d}", row["conversation_id"], text, t0, t0 - i * 3_600_000))
    if i % 200 == 199:
        con.commit()
con.commit()
con.close()
PY
fi

size_mb=$(( $(stat -c %s "$db") / 1024 / 1024 ))
echo "binary: $bin"
echo "database: $db ($size_mb MB, $rows conversations)"
export Q_STATUS_CACHE_DIR="$dir/cache"
for args in "list" "list --json" "report --monthly"; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e s wall, %M KB peak RSS" "$bin" $args --db "$db" > "$dir/out.txt" 2> "$dir/time.txt" || {
        cat "$dir/time.txt" >&2
        exit 1
    }
    printf '%-18s %s (%s lines of output)\n' "$args:" "$(tail -n 1 "$dir/time.txt")" "$(wc -l < "$dir/out.txt")"
done

# The prompt over a Kiro session folder of the same size class: 2 000 session files.
sessions="$dir/sessions-${rows}"
if [[ ! -d "$sessions" ]]; then
    echo "building $sessions ($rows session files) ..." >&2
    python3 - "$sessions" "$rows" "$root/tests/fixtures/session_v1_pre_metering.json" <<'PY'
import json, os, sys
folder, rows, fixture = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(folder)
base = json.load(open(fixture))
turn = base["session_state"]["conversation_metadata"]["user_turn_metadatas"][0]
for i in range(rows):
    s = json.loads(json.dumps(base))
    s["session_id"] = f"bench-{i:05d}"
    s["cwd"] = f"/bench/project-{i % 500:03d}"
    s["updated_at"] = f"2026-03-{1 + i % 28:02d}T10:00:00Z"
    s["session_state"]["conversation_metadata"]["user_turn_metadatas"] = [dict(turn, message_ids=["x" * 40] * 20) for _ in range(60)]
    with open(os.path.join(folder, f"{i:08d}-bench.json"), "w") as f:
        json.dump(s, f)
PY
fi
export Q_STATUS_DB="$sessions"
rm -rf "$Q_STATUS_CACHE_DIR"
files_mb=$(( $(du -sk "$sessions" | cut -f1) / 1024 ))
echo "session folder: $sessions ($rows files, $files_mb MB)"
t() { /usr/bin/time -f "%e s wall, %M KB peak RSS" "$bin" --dir /bench/project-007 "$@" 2>&1 >/dev/null | tail -n 1; }
echo "prompt, cold (index built):     $(t --no-cache)"
echo "prompt, cold (index reused):    $(sleep 2.1; t --no-cache)"
start=$(date +%s%N)
for _ in $(seq 100); do "$bin" --dir /bench/project-007 > /dev/null; done
echo "prompt, warm (cache hit):       $(( ($(date +%s%N) - start) / 100000 )) µs per run (mean of 100)"
