//! Test harness: real SQLite files built with the CLIs' exact DDL, a private HOME and XDG dirs,
//! and the built binary run with the tool's own variables removed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::{params, Connection};

/// Kiro CLI's tables (q-data.md §1): the v2 table with its indexes, the old table, the rest.
pub const KIRO_DDL: &str = include_str!("../fixtures/kiro-ddl.sql");

/// Amazon Q CLI v1.10 – v1.19's tables.
pub const Q_DDL: &str = include_str!("../fixtures/q-ddl.sql");

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

// ---- Accounting scenario (issue 5): every store, several days and months, each format. ----

/// Where Kiro's default TUI keeps session files in this world.
pub fn sessions_dir(w: &World) -> PathBuf {
    w.home().join(".kiro").join("sessions").join("cli")
}

/// Unix ms of an RFC 3339 UTC time like `2026-01-15T10:00:00Z`.
pub fn ms(t: &str) -> i64 {
    q_status::time::parse_rfc3339_ms(t).unwrap()
}

/// One synthetic history entry: prompt bytes, response bytes, service %, start time, model.
#[derive(Clone)]
pub struct Entry {
    pub prompt: usize,
    pub response: usize,
    pub pct: Option<f64>,
    pub start_ms: Option<i64>,
    pub model: Option<&'static str>,
}

/// A Kiro / Q v1.13+ row (`{user, assistant, request_metadata}` entries).
pub fn object_row(
    id: &str,
    model_info: Option<(&str, u64)>,
    credits: Option<f64>,
    entries: &[Entry],
) -> String {
    let history: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "user": {"content": {"Prompt": {"prompt": "p".repeat(e.prompt)}}},
                "assistant": {"Response": {"message_id": "m", "content": "r".repeat(e.response)}},
                "request_metadata": {"context_usage_percentage": e.pct,
                    "request_start_timestamp_ms": e.start_ms, "model_id": e.model}
            })
        })
        .collect();
    let mut v = serde_json::json!({"conversation_id": id, "history": history});
    if let Some((m, w)) = model_info {
        v["model_info"] = serde_json::json!({"model_id": m, "context_window_tokens": w});
    }
    if let Some(c) = credits {
        v["user_turn_metadata"] = serde_json::json!({"usage_info": [{"value": c, "unit": "credit", "unit_plural": "credits"}]});
    }
    v.to_string()
}

/// A Q v1.10 – v1.12 row: `[user, assistant]` pairs, a legacy `model` string, no timestamps.
pub fn pair_row(id: &str, entries: &[(usize, usize)]) -> String {
    let history: Vec<serde_json::Value> = entries
        .iter()
        .map(|(p, r)| {
            serde_json::json!([
                {"additional_context": "", "env_context": {}, "content": {"Prompt": {"prompt": "p".repeat(*p)}}, "images": null},
                {"Response": {"message_id": "m", "content": "r".repeat(*r)}}
            ])
        })
        .collect();
    serde_json::json!({"conversation_id": id, "model": "claude-3.7-sonnet", "history": history,
        "context_message_length": null, "latest_summary": null})
    .to_string()
}

/// A session turn: `(end time, input tokens, output tokens, requests, credits, %)`.
pub type SessionTurn<'a> = (&'a str, u64, u64, u64, &'a [f64], f64);

/// An expected request row: `(dir, requests, context tokens, output tokens, credits, start ms)`.
pub type ReqRow = (String, u64, u64, u64, Option<f64>, Option<i64>);

/// A Kiro session file: per turn `(end time, input tokens, output tokens, requests, credits, %)`.
pub fn session_file(
    cwd: &str,
    id: &str,
    model: Option<(&str, u64)>,
    turns: &[SessionTurn<'_>],
) -> String {
    let metas: Vec<serde_json::Value> = turns
        .iter()
        .map(|(end, i, o, n, credits, pct)| {
            let metering: Vec<serde_json::Value> = credits
                .iter()
                .map(|c| serde_json::json!({"value": c, "unit": "credit", "unitPlural": "credits"}))
                .collect();
            serde_json::json!({"end_timestamp": end, "input_token_count": i, "output_token_count": o,
                "total_request_count": n, "context_usage_percentage": pct, "metering_usage": metering,
                "end_reason": "UserTurnEnd"})
        })
        .collect();
    let last = turns.last().map_or("2026-01-01T00:00:00Z", |t| t.0);
    serde_json::json!({"session_id": id, "cwd": cwd, "created_at": last, "updated_at": last, "title": null,
        "session_state": {"version": "v1", "conversation_metadata": {"user_turn_metadatas": metas},
            "rts_model_state": {"conversation_id": id,
                "model_info": model.map(|(m, w)| serde_json::json!({"model_id": m, "context_window_tokens": w})),
                "context_usage_percentage": turns.last().map(|t| t.5)}}})
    .to_string()
}

/// The CLI's token estimate, written out again here so tests check the program against it.
pub fn est(bytes: u64) -> u64 {
    (bytes / 4 + 5) / 10 * 10
}

/// What the accounting world holds, computed from what was written (not by the program).
pub struct Expected {
    /// `(dir, requests, context tokens, output tokens, credits, first start ms)` per request row.
    pub requests: Vec<ReqRow>,
    /// Conversations that parse / that are refused.
    pub conversations: usize,
    pub refused: usize,
}

impl Expected {
    pub fn total_requests(&self) -> u64 {
        self.requests.iter().map(|r| r.1).sum()
    }
    pub fn total_input(&self) -> u64 {
        self.requests.iter().map(|r| r.2).sum()
    }
    pub fn total_output(&self) -> u64 {
        self.requests.iter().map(|r| r.3).sum()
    }
    pub fn total_credits(&self) -> f64 {
        self.requests.iter().filter_map(|r| r.4).sum()
    }
}

/// Builds every store with the real samples and synthetic rows; returns what they hold.
pub fn accounting_world() -> (World, Expected) {
    let w = World::new();
    let mut requests = Vec::new();
    let mut add = |dir: &str, n: u64, ctx: u64, out: u64, cr: Option<f64>, t: Option<i64>| {
        requests.push((dir.to_owned(), n, ctx, out, cr, t));
    };
    create_db(&w.kiro_db(), KIRO_DDL);
    create_db(&w.q_db(), Q_DDL);
    let k = |name: &str| key(&w.dir(name));

    // The real rows: per-entry service percentages from EXPECTED.md × the 1M window.
    kiro_put(
        &w.kiro_db(),
        &key(&w.project()),
        "c1",
        &fixture("basic_tool_use.json"),
        ms("2026-03-28T00:40:11Z"),
    );
    let real1 = [
        1.7497, 1.7675, 1.7862, 1.7905, 1.8051, 1.8314, 1.8548, 1.8603, 1.8862, 1.9024,
    ];
    for (i, p) in real1.into_iter().enumerate() {
        let credits = (i == 9).then_some(0.30323949333333333);
        add(
            "project",
            1,
            (p / 100.0 * 1e6_f64).round() as u64,
            0,
            credits,
            None,
        );
    }
    kiro_put(
        &w.kiro_db(),
        &k("cancelled"),
        "c2",
        &fixture("with_cancelled_tool_uses.json"),
        ms("2026-03-28T00:30:00Z"),
    );
    let real2 = [1.0893, 1.7078, 1.7489, 1.7800, 1.7956, 1.8105];
    for (i, p) in real2.into_iter().enumerate() {
        let credits = (i == 5).then_some(0.05180041097844111);
        add(
            "cancelled",
            1,
            (p / 100.0 * 1e6_f64).round() as u64,
            0,
            credits,
            None,
        );
    }

    // Kiro, two months, backend and estimate entries, a model switch, credits on the last turn.
    let (e1, e2, e3) = (
        ms("2026-01-15T10:00:00Z"),
        ms("2026-01-15T11:00:00Z"),
        ms("2026-02-02T09:00:00Z"),
    );
    let alpha = [
        Entry {
            prompt: 400,
            response: 400,
            pct: Some(10.0),
            start_ms: Some(e1),
            model: Some("m-a"),
        },
        Entry {
            prompt: 40,
            response: 40,
            pct: None,
            start_ms: Some(e2),
            model: Some("m-a"),
        },
        Entry {
            prompt: 20,
            response: 20,
            pct: Some(12.5),
            start_ms: Some(e3),
            model: Some("m-b"),
        },
    ];
    kiro_put(
        &w.kiro_db(),
        &k("alpha"),
        "k-alpha",
        &object_row("k-alpha", Some(("m-a", 200_000)), Some(0.75), &alpha),
        e3 + 1000,
    );
    add("alpha", 1, 20_000, est(400), None, Some(e1));
    add("alpha", 1, est(880), est(40), None, Some(e2));
    add("alpha", 1, 25_000, est(20), Some(0.75), Some(e3));
    // Kiro, estimate only, no window (200k default), a hostile model name.
    let e4 = ms("2026-02-02T12:00:00Z");
    let beta = [Entry {
        prompt: 1000,
        response: 200,
        pct: None,
        start_ms: Some(e4),
        model: None,
    }];
    kiro_put(
        &w.kiro_db(),
        &k("beta"),
        "k-beta",
        &object_row(
            "k-beta",
            Some(("evil\u{1b}]0;x\u{7}\u{1b}[2Jmodel", 0)),
            None,
            &beta,
        ),
        e4 + 1000,
    );
    add("beta", 1, est(1200), est(200), None, Some(e4));
    // Kiro, active now (for the monthly quota).
    let now = q_status::time::now_ms() - 60_000;
    let today = [Entry {
        prompt: 10,
        response: 10,
        pct: Some(1.0),
        start_ms: Some(now),
        model: Some("m-a"),
    }];
    kiro_put(
        &w.kiro_db(),
        &k("today"),
        "k-today",
        &object_row("k-today", Some(("m-a", 200_000)), None, &today),
        now,
    );
    add("today", 1, 2_000, est(10), None, Some(now));
    // Kiro, a corrupt row.
    kiro_put(
        &w.kiro_db(),
        &k("broken"),
        "k-broken",
        "{\"history\": [oops",
        ms("2026-02-10T00:00:00Z"),
    );

    // Amazon Q v1.10 – v1.12: pairs, no timestamps.
    q_put(
        &w.q_db(),
        &k("legacy"),
        &pair_row("q-legacy", &[(100, 100), (100, 100)]),
    );
    add("legacy", 1, est(200), est(100), None, None);
    add("legacy", 1, est(400), est(100), None, None);
    // Amazon Q v1.13+: objects, no model, no percentage.
    let e5 = ms("2026-02-03T08:00:00Z");
    q_put(
        &w.q_db(),
        &k("q13"),
        &object_row(
            "q-13",
            None,
            None,
            &[Entry {
                prompt: 80,
                response: 80,
                pct: None,
                start_ms: Some(e5),
                model: None,
            }],
        ),
    );
    add("q13", 1, est(160), est(80), None, Some(e5));

    // Kiro session files: the real sample, a synthetic one with metering, a corrupt one, a log.
    let sd = sessions_dir(&w);
    std::fs::create_dir_all(&sd).unwrap();
    std::fs::write(
        sd.join("11111111-real.json"),
        fixture("session_v1_pre_metering.json"),
    )
    .unwrap();
    std::fs::write(
        sd.join("11111111-real.jsonl"),
        fixture("session_v1_pre_metering.jsonl"),
    )
    .unwrap();
    add(
        "/test/project",
        1,
        100,
        50,
        None,
        Some(ms("2026-03-30T19:55:35.129Z")),
    );
    let synth = session_file(
        &key(&w.dir("sess")),
        "s-2",
        Some(("claude-sonnet-4.5", 200_000)),
        &[
            ("2026-04-01T08:00:00Z", 5_000, 300, 2, &[0.5, 0.25], 2.5),
            ("2026-04-01T09:00:00Z", 7_000, 100, 1, &[0.4], 3.5),
        ],
    );
    std::fs::write(sd.join("22222222-synth.json"), synth).unwrap();
    add(
        "sess",
        2,
        5_000,
        300,
        Some(0.75),
        Some(ms("2026-04-01T08:00:00Z")),
    );
    add(
        "sess",
        1,
        7_000,
        100,
        Some(0.4),
        Some(ms("2026-04-01T09:00:00Z")),
    );
    std::fs::write(sd.join("33333333-corrupt.json"), "{\"cwd\": ").unwrap();

    let exp = Expected {
        requests,
        conversations: 9,
        refused: 2,
    };
    (w, exp)
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
