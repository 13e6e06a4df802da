#!/usr/bin/env bash
# Benchmark: `q-status list` over a Kiro database of 2 000 conversations totalling ~500 MB.
# Prints wall time and peak RSS (GNU time) for the table, --json and report runs.
#
#   scripts/bench-list.sh [BINARY] [CONVERSATIONS] [KB_PER_ROW]
#
# Defaults: target/release/q-status (else target/debug/q-status), 2000 rows, ~275 KB each
# (about 500 MB of row text).
# The database is built once under ${BENCH_DIR:-target/bench} and reused while its size matches.
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
    python3 - "$db" "$rows" "$kb" "$root/tests/fixtures/basic_tool_use.json" <<'PY'
import json, sqlite3, sys
db, rows, kb, fixture = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base = json.load(open(fixture))
entries = base["history"]
con = sqlite3.connect(db)
con.executescript("""
CREATE TABLE conversations_v2 (key TEXT NOT NULL, conversation_id TEXT NOT NULL, value TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (key, conversation_id));
CREATE INDEX idx_conversations_v2_key_updated ON conversations_v2 (key, updated_at DESC);
CREATE INDEX idx_conversations_v2_updated ON conversations_v2 (updated_at DESC);
""")
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
