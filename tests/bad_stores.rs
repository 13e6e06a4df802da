//! Bad stores and resources: every broken, odd or oversized database a user can have, and what
//! one segment run costs. The prompt prints nothing, exits 0 and stays within its budget and a
//! bounded memory; `--json` names the problem precisely. (tests/segment.rs covers the missing,
//! empty, text, directory, table-less and not-JSON cases once; here each has its figures.)
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use rusqlite::{params, Connection};

/// Generous for a process start on a loaded 2-core CI box; the budget inside is 100 ms.
const WALL_LIMIT: Duration = Duration::from_secs(1);
/// Peak RSS of a refused or failed run, in KiB: a debug build with SQLite, no row read.
const SMALL_RSS_KIB: u64 = 24 * 1024;

struct Case {
    name: &'static str,
    path: PathBuf,
    /// What `--json` must say on stderr.
    error: &'static str,
}

fn kiro_row(pct: f64) -> String {
    format!(
        r#"{{"conversation_id":"x","history":[{{"user":{{"content":{{"Prompt":{{"prompt":"hi"}}}}}},"assistant":{{"Response":{{"content":"yo"}}}},"request_metadata":{{"context_usage_percentage":{pct}}}}}]}}"#
    )
}

/// Segment mode prints nothing, exits 0, in time, small; `--verbose` and `--json` say `error`.
fn assert_refused(w: &World, c: &Case) -> (Duration, Option<u64>) {
    let db = c.path.to_str().unwrap();
    let (o, took, rss) = run_measured(w.cmd().args(["--db", db, "--no-cache"]));
    assert_eq!(o.status.code(), Some(0), "{}", c.name);
    assert!(o.stdout.is_empty(), "{}: {}", c.name, stdout(&o));
    assert!(o.stderr.is_empty(), "{}: {}", c.name, stderr(&o));
    assert!(took < WALL_LIMIT, "{}: {took:?}", c.name);
    if let Some(rss) = rss {
        assert!(rss < SMALL_RSS_KIB, "{}: {rss} KiB", c.name);
    }
    let o = w.run(&["--db", db, "--verbose"]);
    assert!(stderr(&o).contains(c.error), "{}: {}", c.name, stderr(&o));
    let o = w.run(&["--db", db, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", c.name);
    assert!(o.stdout.is_empty(), "{}", c.name);
    let err = stderr(&o);
    assert!(
        err.starts_with("q-status: ") && err.contains(c.error),
        "{}: {err}",
        c.name
    );
    (took, rss)
}

fn write_table(path: &Path, ddl: &str, insert: &str) {
    create_db(path, ddl);
    let c = Connection::open(path).unwrap();
    c.execute_batch(insert).unwrap();
}

#[test]
fn each_bad_store_is_refused_quietly_with_a_precise_reason() {
    let w = World::new();
    let dir = w.dir("stores");
    let k = key(&w.project());
    let p = |name: &str| dir.join(name);
    let mut cases = Vec::new();

    // A real database cut in half: the header is fine, the pages are not.
    let good = p("good.sqlite3");
    create_db(&good, KIRO_DDL);
    kiro_put(&good, &k, "c", &fixture("basic_tool_use.json"), 1);
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(p("truncated"), &bytes[..bytes.len() / 2]).unwrap();
    cases.push(("truncated", "truncated", "SQLite"));
    std::fs::write(p("header-only"), &bytes[..100]).unwrap();
    cases.push(("header only", "header-only", "SQLite"));

    write_table(
        &p("other-columns"),
        "CREATE TABLE conversations (id INTEGER, body BLOB);",
        "INSERT INTO conversations VALUES (1, x'00');",
    );
    cases.push(("other columns", "other-columns", "no such column"));
    write_table(
        &p("v2-other-columns"),
        "CREATE TABLE conversations_v2 (key TEXT, value TEXT);",
        "",
    );
    cases.push((
        "v2 without updated_at",
        "v2-other-columns",
        "no such column",
    ));
    for (name, file, value) in [
        ("array", "shape-array", "[1,2,3]"),
        ("string", "shape-string", "\"a conversation\""),
        ("history not a list", "shape-history", r#"{"history":"x"}"#),
        ("entry a number", "shape-entry", r#"{"history":[1]}"#),
        (
            "truncated JSON",
            "shape-truncated",
            r#"{"history":[{"user":"#,
        ),
        ("not UTF-8", "shape-binary", "\u{0}\u{1}"),
    ] {
        create_db(&p(file), Q_DDL);
        q_put(&p(file), &k, value);
        cases.push((name, file, "not valid conversation JSON"));
    }
    create_db(&p("null-value"), Q_DDL);
    Connection::open(p("null-value"))
        .unwrap()
        .execute(
            "INSERT INTO conversations VALUES (?1, NULL)",
            params![k.as_str()],
        )
        .unwrap();
    cases.push(("NULL value", "null-value", "not valid conversation JSON"));

    let fifo = p("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    cases.push(("FIFO", "fifo", "not a regular file"));

    let mut cases: Vec<Case> = cases
        .into_iter()
        .map(|(name, file, error)| Case {
            name,
            path: p(file),
            error,
        })
        .collect();
    cases.push(Case {
        name: "character device",
        path: PathBuf::from("/dev/zero"),
        error: "not a regular file",
    });
    cases.push(Case {
        name: "/dev/null",
        path: PathBuf::from("/dev/null"),
        error: "not a regular file",
    });
    for c in &cases {
        let (took, rss) = assert_refused(&w, c);
        eprintln!("{:<24} {:>5} ms {:>6?} KiB", c.name, took.as_millis(), rss);
    }
}

#[test]
fn a_200_mb_row_is_refused_by_size_before_it_is_read() {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    let k = key(&w.project());
    // Built by SQLite itself, so this test never holds 200 MB either.
    let c = Connection::open(w.kiro_db()).unwrap();
    c.execute(
        "INSERT INTO conversations_v2 VALUES (?1, 'big', \
         '{\"history\":[],\"pad\":\"' || printf('%.*c', 200 * 1024 * 1024, 'x') || '\"}', 1, 1)",
        params![k.as_str()],
    )
    .unwrap();
    drop(c);
    let case = Case {
        name: "200 MB row",
        path: w.kiro_db(),
        error: "is 209715223 bytes, over the 67108864-byte limit (max_row_mb)",
    };
    let (took, rss) = assert_refused(&w, &case);
    eprintln!("200 MB row refused: {} ms, {rss:?} KiB", took.as_millis());
    // The same row allowed by the config is read whole: the measure is not blind.
    let cfg = w.root().join("big.toml");
    std::fs::write(&cfg, "max_row_mb = 300\n").unwrap();
    let (o, _, rss) =
        run_measured(
            w.cmd()
                .args(["--json", "--no-cache", "--config", cfg.to_str().unwrap()]),
        );
    assert!(o.status.success(), "{}", stderr(&o));
    if let Some(rss) = rss {
        assert!(rss > 200 * 1024, "read whole: {rss} KiB");
    }
    eprintln!("200 MB row read with max_row_mb = 300: {rss:?} KiB");
}

#[test]
fn odd_but_valid_paths_work() {
    let w = World::new();
    // Spaces and non-ASCII in the database's path and in the directory key.
    let db = w.root().join("dätä dir/ünï côde ☃.sqlite3");
    create_db(&db, KIRO_DDL);
    let project = w.dir("prøject with spaces ☃");
    kiro_put(&db, &key(&project), "c", &kiro_row(12.5), 1);
    let o = w
        .cmd()
        .args(["--json", "--db", db.to_str().unwrap()])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pct"], 12.5);
    assert_eq!(v["db"], key(&db));

    // The data directory reached through a symlink, as discovery finds it.
    let real = w.root().join("real-data");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::rename(w.root().join("data"), real.join("data")).unwrap();
    std::os::unix::fs::symlink(real.join("data"), w.root().join("data")).unwrap();
    create_db(&w.kiro_db(), KIRO_DDL);
    kiro_put(&w.kiro_db(), &key(&w.project()), "c", &kiro_row(33.0), 1);
    let o = w.run(&["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pct"], 33.0);
    // And a database file that is itself a symlink.
    let link = w.root().join("link.sqlite3");
    std::os::unix::fs::symlink(&db, &link).unwrap();
    let o = w
        .cmd()
        .args(["--json", "--db", link.to_str().unwrap()])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn an_unreadable_database_is_refused_unless_root() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    kiro_put(&w.kiro_db(), &key(&w.project()), "c", &kiro_row(5.0), 1);
    std::fs::set_permissions(w.kiro_db(), std::fs::Permissions::from_mode(0o000)).unwrap();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let o = w.run(&[]);
    assert!(o.status.success());
    if root {
        // Root reads it anyway: permissions prove nothing here; the run must still work.
        assert!(!o.stdout.is_empty());
    } else {
        assert!(o.stdout.is_empty() && o.stderr.is_empty());
        let o = w.run(&["--json"]);
        assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
    }
}

/// Peak RSS and wall time of one uncached segment run per row size: the README's figures.
#[test]
fn peak_rss_per_row_size() {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    let k = key(&w.project());
    let turn = r#"{"user":{"content":{"Prompt":{"prompt":"PAD"}}},"assistant":{"Response":{"content":"ok"}},"request_metadata":{"context_usage_percentage":10.0}}"#;
    let mut figures = Vec::new();
    for (label, bytes) in [
        ("small (fixture, 77 KB)", 0usize),
        ("1 MB", 1 << 20),
        ("10 MB", 10 << 20),
        ("60 MB", 60 << 20),
    ] {
        let row = if bytes == 0 {
            fixture("basic_tool_use.json")
        } else {
            // Turns of 64 KiB prompts up to the size.
            let one = turn.replace("PAD", &"y".repeat(64 * 1024));
            let n = bytes / one.len() + 1;
            format!(r#"{{"history":[{}]}}"#, vec![one; n].join(","))
        };
        kiro_put(&w.kiro_db(), &k, "c", &row, 1);
        let (o, took, rss) = run_measured(w.cmd().args(["--no-cache", "--format", "<pct>"]));
        assert!(o.status.success() && !o.stdout.is_empty(), "{label}");
        // SQLite assembles the value from its overflow pages and it is copied out once (so the
        // lock goes before parsing), then counted without a tree: two rows' worth at the peak.
        let limit = SMALL_RSS_KIB + (row.len() as u64 / 1024) * 2;
        if let Some(rss) = rss {
            assert!(rss < limit, "{label}: {rss} KiB > {limit} KiB");
        }
        figures.push(format!("{label}: {} ms, {rss:?} KiB", took.as_millis()));
    }
    eprintln!("{}", figures.join("\n"));
}
