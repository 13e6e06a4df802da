#!/usr/bin/env python3
"""Writes a Kiro chat database holding one conversation row of about SIZE bytes for DIR.

The row is the real fixture (tests/fixtures/basic_tool_use.json) with its history repeated
until the row reaches SIZE, so every entry is one the CLI really wrote. The tables are Kiro
CLI's own (docs/q-data.md section 1), written the way the CLI writes them: one upsert in
autocommit, rollback journal. Used by scripts/bench.sh and scripts/check-cache-syscalls.sh.

usage: bench-db.py DB DIR SIZE
"""

import json
import pathlib
import sqlite3
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The same file the Rust tests build their databases with.
KIRO_DDL = (ROOT / "tests/fixtures/kiro-ddl.sql").read_text(encoding="utf-8")

FIXTURE = ROOT / "tests/fixtures/basic_tool_use.json"


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def grown_row(target):
    row = json.loads(FIXTURE.read_text(encoding="utf-8"))
    entries = list(row["history"])
    size = len(compact(row).encode())
    per_round = sum(len(compact(e).encode()) + 1 for e in entries)
    while size < target:
        row["history"].extend(entries)
        size += per_round
    return compact(row)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    db, key, target = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    db.parent.mkdir(parents=True, exist_ok=True)
    value = grown_row(target)
    con = sqlite3.connect(db, isolation_level=None)
    con.executescript(KIRO_DDL)
    con.execute(
        "INSERT OR REPLACE INTO conversations_v2 VALUES (?1, ?2, ?3, ?4, ?4)",
        (key, json.loads(value)["conversation_id"], value, 1765000000000),
    )
    con.close()
    print(len(value.encode()))


if __name__ == "__main__":
    main()
