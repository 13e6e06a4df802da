//! What one segment run does to the system, seen by `strace -f`: it starts no process and no
//! thread, and it closes the database (and every other file it opened) before it writes its
//! output, so a chat CLI's commit never waits on a prompt that is still printing. Peak memory
//! per row size is measured in tests/bad_stores.rs.
//!
//! Skipped (with a note) where `strace` is missing or not allowed to trace.
#![cfg(unix)]

mod common;

use std::process::Command;

use common::*;

/// The syscalls of one run, one line each, or `None` when strace cannot run here.
fn trace(w: &World, args: &[&str]) -> Option<Vec<String>> {
    let log = w.root().join(format!("strace-{}.log", args.len()));
    let plain = w.cmd();
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-s", "256", "-o"])
        .arg(&log)
        .args([
            "-e",
            "trace=execve,clone,clone3,fork,vfork,open,openat,close,write",
        ])
        .arg(plain.get_program())
        .args(args)
        .env_clear();
    for (k, v) in plain.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.current_dir(w.project());
    let o = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("skipped: strace: {e}");
            return None;
        }
    };
    if !o.status.success() {
        eprintln!("skipped: strace cannot trace here: {}", stderr(&o));
        return None;
    }
    assert!(!o.stdout.is_empty(), "the run printed nothing");
    let text = std::fs::read_to_string(&log).unwrap();
    Some(text.lines().map(str::to_owned).collect())
}

/// The fd an `openat(...) = N` line returned.
fn opened_fd(line: &str) -> Option<i32> {
    line.rsplit_once(" = ")?.1.trim().parse().ok()
}

/// Returns how many times the database file was opened.
fn check(lines: &[String], what: &str) -> usize {
    let execs = lines.iter().filter(|l| l.contains("execve(")).count();
    assert_eq!(execs, 1, "{what}: it ran another program: {lines:#?}");
    let spawns: Vec<_> = lines
        .iter()
        .filter(|l| {
            ["clone(", "clone3(", "fork(", "vfork("]
                .iter()
                .any(|s| l.contains(s))
        })
        .collect();
    assert!(
        spawns.is_empty(),
        "{what}: process or thread started: {spawns:#?}"
    );
    let output = lines
        .iter()
        .position(|l| l.contains("write(1,"))
        .unwrap_or_else(|| panic!("{what}: no write to stdout"));
    // Every file opened after the program started (not its shared libraries) is closed before
    // the one write to stdout.
    let start = lines.iter().position(|l| l.contains("execve(")).unwrap();
    let after_libs = lines[start..]
        .iter()
        .position(|l| l.contains(".sqlite3") || l.contains("segments-v1"))
        .map_or(lines.len(), |p| p + start);
    for (i, l) in lines.iter().enumerate().skip(after_libs) {
        if !(l.contains("openat(") || l.contains("open(")) {
            continue;
        }
        let Some(fd) = opened_fd(l).filter(|fd| *fd >= 0) else {
            continue;
        };
        let closed = lines[i + 1..]
            .iter()
            .position(|c| c.contains(&format!("close({fd})")))
            .map(|p| p + i + 1);
        assert!(
            closed.is_some_and(|c| c < output),
            "{what}: `{l}` still open when the output is written"
        );
    }
    let db_opens = lines
        .iter()
        .filter(|l| l.contains("data.sqlite3\"") && l.contains("open"))
        .count();
    eprintln!(
        "{what}: {} syscalls traced, database file opened {db_opens} times",
        lines.len()
    );
    db_opens
}

#[test]
fn a_run_spawns_nothing_and_closes_every_file_before_printing() {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    kiro_put(
        &w.kiro_db(),
        &key(&w.project()),
        "c",
        &fixture("basic_tool_use.json"),
        1,
    );
    for (what, args) in [
        ("uncached", &["--no-cache"][..]),
        ("cache miss, then stored", &[]),
        ("cache hit", &[]),
        ("json", &["--json", "--no-cache"]),
    ] {
        let Some(lines) = trace(&w, args) else { return };
        let opens = check(&lines, what);
        if what == "cache hit" {
            // Only the fingerprint's 100-byte header read; SQLite never opens it.
            assert_eq!(opens, 1);
        }
    }
}
