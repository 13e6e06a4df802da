//! Test harness: real SQLite files built with the CLIs' exact DDL, a private HOME and XDG dirs,
//! and the built binary run with the tool's own variables removed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::{params, Connection};

/// Kiro CLI's tables (q-data.md §1): the v2 table with its indexes, the old table, the rest.
pub const KIRO_DDL: &str = "
CREATE TABLE migrations (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, migration_time INTEGER NOT NULL);
CREATE TABLE history (id INTEGER PRIMARY KEY, command TEXT, shell TEXT, pid INTEGER, session_id TEXT, cwd TEXT, start_time INTEGER, hostname TEXT, exit_code INTEGER, end_time INTEGER, duration INTEGER);
CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE auth_kv (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE conversations (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE conversations_v2 (key TEXT NOT NULL, conversation_id TEXT NOT NULL, value TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (key, conversation_id));
CREATE INDEX idx_conversations_v2_key_updated ON conversations_v2 (key, updated_at DESC);
CREATE INDEX idx_conversations_v2_updated ON conversations_v2 (updated_at DESC);
";

/// Amazon Q CLI v1.10 – v1.19's tables.
pub const Q_DDL: &str = "
CREATE TABLE migrations (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, migration_time INTEGER NOT NULL);
CREATE TABLE history (id INTEGER PRIMARY KEY, command TEXT, shell TEXT, pid INTEGER, session_id TEXT, cwd TEXT, start_time INTEGER, hostname TEXT, exit_code INTEGER, end_time INTEGER, duration INTEGER);
CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE auth_kv (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE conversations (key TEXT PRIMARY KEY, value TEXT);
";

pub fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A private world: HOME, XDG dirs, a cache dir and a project dir, all in one temp dir.
pub struct World {
    pub tmp: tempfile::TempDir,
}

impl World {
    pub fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        for d in ["home", "data", "config", "cache", "runtime", "project"] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        World { tmp }
    }

    pub fn root(&self) -> PathBuf {
        std::fs::canonicalize(self.tmp.path()).unwrap()
    }
    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }
    pub fn project(&self) -> PathBuf {
        self.root().join("project")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.root().join("runtime").join("q-status")
    }
    /// Where discovery looks for Kiro's database.
    pub fn kiro_db(&self) -> PathBuf {
        self.root()
            .join("data")
            .join("kiro-cli")
            .join("data.sqlite3")
    }
    /// Where discovery looks for Amazon Q's database.
    pub fn q_db(&self) -> PathBuf {
        self.root()
            .join("data")
            .join("amazon-q")
            .join("data.sqlite3")
    }

    pub fn dir(&self, name: &str) -> PathBuf {
        let p = self.root().join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// The binary with a clean environment pointing at this world.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_q-status"));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_DATA_HOME", self.root().join("data"))
            .env("XDG_CONFIG_HOME", self.root().join("config"))
            .env("XDG_CACHE_HOME", self.root().join("cache"))
            .env("XDG_RUNTIME_DIR", self.root().join("runtime"))
            .env("LC_ALL", "C.UTF-8")
            .current_dir(self.project());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Creates a database file with `ddl` (rollback journal, as the CLIs leave it).
pub fn create_db(path: &Path, ddl: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c = Connection::open(path).unwrap();
    c.execute_batch(ddl).unwrap();
}

/// Kiro's upsert: one statement in autocommit.
pub fn kiro_put(path: &Path, key: &str, conversation_id: &str, value: &str, updated_at: i64) {
    let c = Connection::open(path).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    c.execute(
        "INSERT OR REPLACE INTO conversations_v2 (key, conversation_id, value, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![key, conversation_id, value, updated_at],
    )
    .unwrap();
}

/// Amazon Q's write: `INSERT OR REPLACE INTO conversations (key, value)`.
pub fn q_put(path: &Path, key: &str, value: &str) {
    let c = Connection::open(path).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    c.execute(
        "INSERT OR REPLACE INTO conversations (key, value) VALUES (?1, ?2)",
        params![key, value],
    )
    .unwrap();
}

pub fn key(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Every file in a directory with its bytes, to prove nothing was written beside a database.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Runs `cmd` to completion; its output, wall time and peak RSS in KiB, measured by GNU
/// `/usr/bin/time` (its fork starts from a small process: `wait4` on our own child would report
/// the test process's high-water mark, which Linux carries across `exec`). `None` where
/// `/usr/bin/time` is missing.
pub fn run_measured(cmd: &mut Command) -> (Output, std::time::Duration, Option<u64>) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let time = Path::new("/usr/bin/time");
    let start = std::time::Instant::now();
    if !time.exists() {
        let o = cmd.output().unwrap();
        return (o, start.elapsed(), None);
    }
    let report = std::env::temp_dir().join(format!(
        "q-status-rss-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let mut timed = Command::new(time);
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    timed.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            timed.env(k, v);
        }
    }
    if let Some(d) = cmd.get_current_dir() {
        timed.current_dir(d);
    }
    let o = timed.output().unwrap();
    let took = start.elapsed();
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    // The last line is the figure; a line before it may say the command exited non-zero.
    let kib = text.lines().last().and_then(|l| l.trim().parse().ok());
    (o, took, kib)
}
