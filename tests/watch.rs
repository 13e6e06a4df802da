//! `q-status --watch` end to end: the built binary in a detached tmux session (private socket,
//! no config, fixed size) against a real database, read back with `capture-pane`, while the
//! test writes rows the way the chat does (one `INSERT OR REPLACE` in autocommit).
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

/// A Kiro row whose newest entry carries the service's percentage.
fn row(conversation_id: &str, pct: f64) -> String {
    format!(
        r#"{{"conversation_id":"{conversation_id}","model_info":{{"model_id":"claude-sonnet-4","context_window_tokens":200000}},"history":[{{"user":{{"content":{{"Prompt":{{"prompt":"hi"}}}}}},"assistant":{{"Response":{{"message_id":"m","content":"yo"}}}},"request_metadata":{{"context_usage_percentage":{pct},"request_start_timestamp_ms":1774658400000}}}}]}}"#
    )
}

/// A tmux server of our own; killed when dropped, whatever the test did.
struct Tmux {
    sock: PathBuf,
}

impl Tmux {
    /// Starts `script` (a `sh -c` body) in a `width`×12 session, in `w`'s clean environment.
    fn start(w: &World, width: u16, script: &str) -> Tmux {
        let t = Tmux {
            sock: w.root().join("tmux.sock"),
        };
        let bin = env!("CARGO_BIN_EXE_q-status");
        let root = w.root();
        let env = format!(
            "env -i PATH='{path}' HOME='{home}' XDG_DATA_HOME='{r}/data' \
             XDG_CONFIG_HOME='{r}/config' XDG_CACHE_HOME='{r}/cache' \
             XDG_RUNTIME_DIR='{r}/runtime' LC_ALL=C.UTF-8 TERM=screen Q='{bin}'",
            path = std::env::var("PATH").unwrap_or_default(),
            home = w.home().display(),
            r = root.display(),
        );
        let o = t.tmux(&[
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            "12",
            "-c",
            &w.project().to_string_lossy(),
            &format!("{env} sh -c '{script}'"),
        ]);
        assert!(o.status.success(), "tmux: {}", stderr(&o));
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .arg("-f")
            .arg("/dev/null")
            .args(args)
            .output()
            .unwrap()
    }

    fn screen(&self) -> String {
        stdout(&self.tmux(&["capture-pane", "-p"]))
    }

    /// Polls the screen until `ok` holds; panics with the last screen after 10 s.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "waited for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn keys(&self, keys: &str) {
        assert!(self.tmux(&["send-keys", keys]).status.success());
    }

    /// The pid of q-status: the one child of the pane's shell.
    fn child_pid(&self) -> String {
        let shell = stdout(&self.tmux(&["display", "-p", "#{pane_pid}"]));
        let shell = shell.trim();
        let children =
            std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
        children.split_whitespace().next().unwrap().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("tmux not installed: skipping the --watch end-to-end test");
    }
    ok
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
    if !have_tmux() {
        return;
    }
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    put(&w.kiro_db(), &w, "c1", 10.0, 1_000);
    let t = Tmux::start(
        &w,
        60,
        &format!("echo before; \"$Q\" --watch --color never; {AFTER}"),
    );
    t.wait_for("the first value", |s| {
        s.contains("Q 10% ▰") && s.contains("20k/200k")
    });
    let s = t.screen();
    assert!(s.contains("claude-sonnet-4 · backend · 1 turn"), "{s}");
    assert!(s.contains("q quit · r refresh · ? help"), "{s}");

    put(&w.kiro_db(), &w, "c1", 42.5, 2_000);
    t.wait_for("the new value", |s| {
        s.contains("42% ▰") || s.contains("43% ▰")
    });

    t.keys("?");
    t.wait_for("the help", |s| s.contains("close help"));
    t.keys("?");
    t.wait_for("the help closed", |s| !s.contains("close help"));

    t.keys("q");
    let s = t.wait_for("the exit", |s| {
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
    if !have_tmux() {
        return;
    }
    let w = World::new();
    let db = w.root().join("chat").join("data.sqlite3");
    create_db(&db, KIRO_DDL);
    let script = format!(
        "\"$Q\" --watch --color never --db \"{}\"; {AFTER}",
        db.display()
    );
    let t = Tmux::start(&w, 70, &script);
    t.wait_for("no conversation", |s| {
        s.contains("no conversation for directory")
    });

    put(&db, &w, "c1", 10.0, 1_000);
    t.wait_for("the first conversation", |s| s.contains("10% ▰"));
    // `/clear` or a new chat: a newer row for the same directory.
    put(&db, &w, "c2", 55.0, 2_000);
    t.wait_for("the newer conversation", |s| s.contains("55% ▰"));

    let away = db.with_extension("away");
    std::fs::rename(&db, &away).unwrap();
    t.wait_for("the status line", |s| {
        s.contains("! gone:") && s.contains("55% ▰")
    });
    std::fs::write(&db, b"this is not a database, not even close to one.......................................................").unwrap();
    t.wait_for("the unreadable status", |s| {
        s.contains("! unreadable:") && s.contains("not a SQLite database")
    });
    std::fs::rename(&away, &db).unwrap();
    t.wait_for("the recovery", |s| {
        s.contains("watching") && s.contains("55% ▰")
    });
    put(&db, &w, "c2", 91.0, 3_000);
    t.wait_for("a value after the recovery", |s| s.contains("91% ▰"));

    // Narrower: ratatui clears the screen and re-lays the view at the top.
    t.tmux(&["resize-window", "-x", "20"]);
    t.wait_for("the narrow view", |s| {
        s.lines().next().is_some_and(|l| l.starts_with("91% ▰"))
    });

    let pid = t.child_pid();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let s = t.wait_for("the exit", |s| {
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
