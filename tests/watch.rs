//! `q-status --watch` end to end: the built binary in a detached tmux session (private socket,
//! no config, fixed size) against a real database, read back with `capture-pane`, while the
//! test writes rows the way the chat does (one `INSERT OR REPLACE` in autocommit).
#![cfg(unix)]

mod common;
mod term;

use std::path::Path;
use std::process::Command;

use common::*;
use term::Tmux;

/// A Kiro row whose newest entry carries the service's percentage.
fn row(conversation_id: &str, pct: f64) -> String {
    format!(
        r#"{{"conversation_id":"{conversation_id}","model_info":{{"model_id":"claude-sonnet-4","context_window_tokens":200000}},"history":[{{"user":{{"content":{{"Prompt":{{"prompt":"hi"}}}}}},"assistant":{{"Response":{{"message_id":"m","content":"yo"}}}},"request_metadata":{{"context_usage_percentage":{pct},"request_start_timestamp_ms":1774658400000}}}}]}}"#
    )
}

/// The pane the tests run in.
const PANE: &str = "watch";

/// Starts `script` (a `sh -c` body) in a 120x30 pane of a private tmux server, in `w`'s clean
/// environment with `$Q` set to the binary.
fn start(w: &World, script: &str) -> Tmux {
    let bin = env!("CARGO_BIN_EXE_q-status");
    Tmux::start(
        w,
        "watch.sock",
        &[("Q", bin)],
        PANE,
        &w.project(),
        &["sh", "-c", script],
    )
}

/// The pane's whole screen as one string.
fn screen(t: &Tmux) -> String {
    t.capture(PANE).join("\n")
}

/// Polls the screen until `ok` holds; fails the test with the last screen at the deadline.
fn wait_for(t: &Tmux, what: &str, ok: impl Fn(&str) -> bool) -> String {
    t.wait(PANE, what, |t| {
        let s = screen(t);
        ok(&s).then_some(s)
    })
}

/// The pid of q-status: the one child of the pane's shell.
fn child_pid(t: &Tmux) -> String {
    let shell = t.ok(&["display", "-p", "-t", PANE, "#{pane_pid}"]);
    let shell = shell.trim();
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
    children.split_whitespace().next().unwrap().to_string()
}

/// After q-status: say how it exited, then whether the terminal is back in cooked mode.
const AFTER: &str = "echo EXITED $?; stty -a | tr \" ;\" \"\\n\\n\" | grep -x -e icanon -e -icanon -e echo -e -echo | tr \"\\n\" \" \"; echo; exec sleep 60";

fn assert_terminal_restored(screen: &str) {
    assert!(
        screen.contains("icanon echo"),
        "raw mode left on:\n{screen}"
    );
}

fn put(db: &Path, w: &World, id: &str, pct: f64, updated_at: i64) {
    kiro_put(db, &key(&w.project()), id, &row(id, pct), updated_at);
}

#[test]
fn updates_on_commit_and_quits_cleanly() {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    put(&w.kiro_db(), &w, "c1", 10.0, 1_000);
    let t = start(
        &w,
        &format!("echo before; \"$Q\" --watch --color never; {AFTER}"),
    );
    wait_for(&t, "the first value", |s| {
        s.contains("Q 10% ▰") && s.contains("20k/200k")
    });
    let s = screen(&t);
    assert!(s.contains("claude-sonnet-4 · backend · 1 turn"), "{s}");
    assert!(s.contains("q quit · r refresh · ? help"), "{s}");

    put(&w.kiro_db(), &w, "c1", 42.5, 2_000);
    wait_for(&t, "the new value", |s| {
        s.contains("42% ▰") || s.contains("43% ▰")
    });

    t.keys(PANE, &["?"]);
    wait_for(&t, "the help", |s| s.contains("close help"));
    t.keys(PANE, &["?"]);
    wait_for(&t, "the help closed", |s| !s.contains("close help"));

    t.keys(PANE, &["q"]);
    let s = wait_for(&t, "the exit", |s| {
        s.contains("EXITED 0") && s.contains("icanon")
    });
    assert_terminal_restored(&s);
    // The view was cleared: the prompt is back where it started, below the earlier output.
    assert!(!s.contains("▰"), "view left behind:\n{s}");
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines[0], "before", "{s}");
    assert!(lines[1].starts_with("EXITED 0"), "{s}");
}

#[test]
fn follows_new_conversations_survives_a_missing_database_and_sigterm() {
    let w = World::new();
    let db = w.root().join("chat").join("data.sqlite3");
    create_db(&db, KIRO_DDL);
    let script = format!(
        "\"$Q\" --watch --color never --db \"{}\"; {AFTER}",
        db.display()
    );
    let t = start(&w, &script);
    wait_for(&t, "no conversation", |s| {
        s.contains("no conversation for directory")
    });

    put(&db, &w, "c1", 10.0, 1_000);
    wait_for(&t, "the first conversation", |s| s.contains("10% ▰"));
    // `/clear` or a new chat: a newer row for the same directory.
    put(&db, &w, "c2", 55.0, 2_000);
    wait_for(&t, "the newer conversation", |s| s.contains("55% ▰"));

    let away = db.with_extension("away");
    std::fs::rename(&db, &away).unwrap();
    wait_for(&t, "the status line", |s| {
        s.contains("! gone:") && s.contains("55% ▰")
    });
    std::fs::write(&db, b"this is not a database, not even close to one.......................................................").unwrap();
    wait_for(&t, "the unreadable status", |s| {
        s.contains("! unreadable:") && s.contains("not a SQLite database")
    });
    std::fs::rename(&away, &db).unwrap();
    wait_for(&t, "the recovery", |s| {
        s.contains("watching") && s.contains("55% ▰")
    });
    put(&db, &w, "c2", 91.0, 3_000);
    wait_for(&t, "a value after the recovery", |s| s.contains("91% ▰"));

    // Narrower: ratatui clears the screen and re-lays the view at the top.
    t.ok(&["resize-window", "-t", PANE, "-x", "20"]);
    wait_for(&t, "the narrow view", |s| {
        s.lines().next().is_some_and(|l| l.starts_with("91% ▰"))
    });

    let pid = child_pid(&t);
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let s = wait_for(&t, "the exit", |s| {
        s.contains("EXITED 143") && s.contains("icanon")
    });
    assert_terminal_restored(&s);
    assert!(!s.contains("▰"), "view left behind:\n{s}");
}

#[test]
fn needs_a_terminal() {
    let w = World::new();
    let o = w.run(&["--watch"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("needs a terminal"), "{}", stderr(&o));
}
