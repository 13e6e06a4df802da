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

# Same text as KIRO_DDL in tests/common/mod.rs (the Rust tests cannot share a Python string).
KIRO_DDL = """
CREATE TABLE migrations (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, migration_time INTEGER NOT NULL);
CREATE TABLE history (id INTEGER PRIMARY KEY, command TEXT, shell TEXT, pid INTEGER, session_id TEXT, cwd TEXT, start_time INTEGER, hostname TEXT, exit_code INTEGER, end_time INTEGER, duration INTEGER);
CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE auth_kv (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE conversations (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE conversations_v2 (key TEXT NOT NULL, conversation_id TEXT NOT NULL, value TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (key, conversation_id));
CREATE INDEX idx_conversations_v2_key_updated ON conversations_v2 (key, updated_at DESC);
CREATE INDEX idx_conversations_v2_updated ON conversations_v2 (updated_at DESC);
"""

FIXTURE = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/basic_tool_use.json"


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
