//! The prompt segment end to end: real databases with the CLIs' DDL, the real rows, the built
//! binary.

mod common;

use common::*;
use serde_json::Value;

fn json(w: &World, extra: &[&str]) -> Value {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let o = w.run(&args);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn kiro_world(fixture_name: &str) -> World {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    kiro_put(
        &w.kiro_db(),
        &key(&w.project()),
        "c1",
        &fixture(fixture_name),
        1_774_658_407_281,
    );
    w
}

#[test]
fn basic_tool_use_matches_expected_figures() {
    let w = kiro_world("basic_tool_use.json");
    let v = json(&w, &[]);
    assert_eq!(v["breakdown"]["context"], 1900);
    assert_eq!(v["breakdown"]["user"], 663);
    assert_eq!(v["breakdown"]["assistant"], 1366);
    assert_eq!(v["breakdown"]["tools"], 52318);
    assert_eq!(v["estimate_tokens"], 14060);
    assert_eq!(v["window"], 1_000_000);
    assert_eq!(v["turns"], 10);
    assert_eq!(v["source"], "backend");
    assert_eq!(v["pct"].as_f64().unwrap(), 1.9024);
    assert!((v["estimate_pct"].as_f64().unwrap() - 1.406).abs() < 1e-9);
    assert_eq!(v["model"], "claude-opus-4.6-1m");
    assert!((v["credits"].as_f64().unwrap() - 0.30324).abs() < 1e-5);
    assert_eq!(v["conversation_id"], "26a591e0-dd86-44ee-84e2-7c44ddda8fdb");
    assert_eq!(v["dir"], key(&w.project()));
    assert_eq!(v["db"], key(&w.kiro_db()));
    assert_eq!(v["stale"], false);
}

#[test]
fn cancelled_tool_uses_matches_expected_figures() {
    let w = kiro_world("with_cancelled_tool_uses.json");
    let v = json(&w, &[]);
    assert_eq!(v["breakdown"]["context"], 1900);
    assert_eq!(v["breakdown"]["user"], 1161);
    assert_eq!(v["breakdown"]["assistant"], 806);
    assert_eq!(v["breakdown"]["tools"], 52318);
    assert_eq!(v["estimate_tokens"], 14050);
    assert_eq!(v["turns"], 6);
    assert_eq!(v["pct"].as_f64().unwrap(), 1.8105);
    assert!((v["estimate_pct"].as_f64().unwrap() - 1.405).abs() < 1e-9);
    assert_eq!(v["model"], "claude-sonnet-4.6-1m");
    assert!((v["credits"].as_f64().unwrap() - 0.05180).abs() < 1e-5);
}

#[test]
fn default_gauge_and_templates() {
    let w = kiro_world("basic_tool_use.json");
    let o = w.run(&["--color", "never", "--no-cache"]);
    assert_eq!(stdout(&o), "Q ▰▱▱▱▱▱▱▱ 2%\n");
    let o = w.run(&[
        "--color",
        "never",
        "--format",
        "<pct1>% <tokens>/<window> <source> <turns> <model>",
    ]);
    assert_eq!(stdout(&o), "1.9% 19k/1M backend 10 claude-opus-4.6-1m\n");
    let o = w.run(&[
        "--color",
        "never",
        "--format",
        "<tokens_raw>/<window_raw> <dir>",
    ]);
    assert_eq!(stdout(&o), "19024/1000000 project\n");
    let o = w.run(&["--format", "<pct>%", "--shell", "zsh", "--color", "always"]);
    assert_eq!(stdout(&o), "%{\x1b[32m%}2%%%{\x1b[0m%}");
    let o = w.run(&[
        "--format",
        "<pct>% $x",
        "--shell",
        "bash",
        "--color",
        "always",
    ]);
    assert_eq!(stdout(&o), "\\[\x1b[32m\\]2% \\\\$x\\[\x1b[0m\\]");
    let o = w.run(&["--format", "#<pct>", "--shell", "tmux", "--color", "always"]);
    assert_eq!(stdout(&o), "#[fg=green]##2#[fg=default]");
}

#[test]
fn unknown_placeholder_on_command_line_exits_2() {
    let w = kiro_world("basic_tool_use.json");
    let o = w.run(&["--format", "<pct> <bogus>"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("<bogus>"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
}

#[test]
fn thresholds_colour_the_gauge() {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    let row = |pct: f64| {
        format!(
            r#"{{"conversation_id":"x","history":[{{"user":{{"content":{{"Prompt":{{"prompt":"hi"}}}}}},"assistant":{{"Response":{{"content":"yo"}}}},"request_metadata":{{"context_usage_percentage":{pct}}}}}]}}"#
        )
    };
    for (pct, code) in [(10.0, "32"), (75.0, "33"), (95.0, "31")] {
        kiro_put(&w.kiro_db(), &key(&w.project()), "x", &row(pct), 1);
        let o = w.run(&["--color", "always", "--format", "<pct>"]);
        assert_eq!(stdout(&o), format!("\x1b[{code}m{}\x1b[0m\n", pct as i64));
    }
    std::fs::write(w.root().join("config/q-status.toml"), "warning = 5\n").unwrap();
    let cfg = w.root().join("config/q-status.toml");
    kiro_put(&w.kiro_db(), &key(&w.project()), "x", &row(10.0), 2);
    let o = w.run(&[
        "--color",
        "always",
        "--format",
        "<pct>",
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&o), "\x1b[33m10\x1b[0m\n");
}

#[test]
fn no_color_and_clicolor() {
    let w = kiro_world("basic_tool_use.json");
    let o = w
        .cmd()
        .args(["--format", "<pct>"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "2\n");
    let o = w
        .cmd()
        .args(["--format", "<pct>"])
        .env("CLICOLOR", "0")
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "2\n");
    // Not a TTY (captured), still coloured: a prompt always captures stdout.
    let o = w.run(&["--format", "<pct>"]);
    assert_eq!(stdout(&o), "\x1b[32m2\x1b[0m\n");
}

#[test]
fn amazon_q_pairs_and_legacy_model_string() {
    let w = World::new();
    create_db(&w.q_db(), Q_DDL);
    let row = r#"{"conversation_id":"q1","model":"claude-3.7-sonnet","history":[
        [{"additional_context":"ctx","env_context":{},"content":{"Prompt":{"prompt":"héllo"}},"images":null},
         {"ToolUse":{"message_id":"m","content":"ok","tool_uses":[{"id":"t","name":"fs_read","orig_name":"fs_read","args":{"path":"/a/b","n":3},"orig_args":{}}]}}]],
        "tools":{"native___":[{"ToolSpecification":{"name":"fs_read","description":"d","input_schema":{"json":{"type":"object"}}}}]},
        "context_message_length":100,"latest_summary":null}"#;
    q_put(&w.q_db(), &key(&w.project()), row);
    let v = json(&w, &[]);
    let tools_len = r#"[{"ToolSpecification":{"name":"fs_read","description":"d","input_schema":{"json":{"type":"object"}}}}]"#.len();
    assert_eq!(v["breakdown"]["user"], 3 + 6);
    assert_eq!(v["breakdown"]["assistant"], 2 + 4 + 1);
    assert_eq!(v["breakdown"]["context"], 254);
    assert_eq!(v["breakdown"]["tools"], tools_len);
    assert_eq!(v["model"], "claude-3.7-sonnet");
    assert_eq!(v["window"], 200_000);
    assert_eq!(v["source"], "estimate");
    let total = 9 + 7 + 254 + tools_len as u64;
    assert_eq!(v["tokens"], (total / 4 + 5) / 10 * 10);
    assert_eq!(v["db"], key(&w.q_db()));
}

#[test]
fn newest_store_wins_and_kiro_row_newest_updated_at() {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    create_db(&w.q_db(), Q_DDL);
    let row = |pct: f64, ts: i64| {
        format!(
            r#"{{"conversation_id":"x","history":[{{"user":{{"content":{{"Prompt":{{"prompt":"hi"}}}}}},"assistant":{{"Response":{{"content":"yo"}}}},"request_metadata":{{"context_usage_percentage":{pct},"request_start_timestamp_ms":{ts}}}}}]}}"#
        )
    };
    let k = key(&w.project());
    kiro_put(&w.kiro_db(), &k, "old", &row(11.0, 1000), 1000);
    kiro_put(&w.kiro_db(), &k, "new", &row(22.0, 2000), 2000);
    q_put(&w.q_db(), &k, &row(33.0, 1500));
    assert_eq!(json(&w, &["--no-cache"])["pct"], 22.0);
    q_put(&w.q_db(), &k, &row(44.0, 3000));
    assert_eq!(json(&w, &[])["pct"], 44.0);
    // --db restricts to one store.
    assert_eq!(
        json(&w, &["--db", w.kiro_db().to_str().unwrap()])["pct"],
        22.0
    );
    let o = w
        .cmd()
        .args(["--json"])
        .env("Q_STATUS_DB", w.kiro_db())
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&o.stdout).unwrap()["pct"],
        22.0
    );
}

#[cfg(unix)]
#[test]
fn dir_option_and_symlinks_resolve_to_the_physical_path() {
    let w = kiro_world("basic_tool_use.json");
    let link = w.root().join("link");
    std::os::unix::fs::symlink(w.project(), &link).unwrap();
    let other = w.dir("other");
    let o = w
        .cmd()
        .args(["--json", "--dir", link.to_str().unwrap()])
        .current_dir(&other)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // Run from inside the symlinked path: the physical cwd is the key.
    let o = w
        .cmd()
        .args(["--json"])
        .current_dir(&link)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = w
        .cmd()
        .args(["--json"])
        .current_dir(&other)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no conversation"), "{}", stderr(&o));
}

#[test]
fn nothing_for_this_directory_prints_nothing() {
    let w = kiro_world("basic_tool_use.json");
    let other = w.dir("elsewhere");
    let o = w.cmd().current_dir(&other).output().unwrap();
    assert!(o.status.success());
    assert!(o.stdout.is_empty() && o.stderr.is_empty());
}

#[test]
fn database_is_byte_identical_and_nothing_is_created_beside_it() {
    let w = kiro_world("basic_tool_use.json");
    let dir = w.kiro_db().parent().unwrap().to_path_buf();
    let before = snapshot(&dir);
    for args in [
        &["--no-cache"][..],
        &[],
        &["--json"],
        &["--json", "--no-cache"],
    ] {
        for _ in 0..5 {
            assert!(w.run(args).status.success());
        }
    }
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn cache_hit_does_not_open_sqlite() {
    let w = kiro_world("basic_tool_use.json");
    let db = w.kiro_db();
    assert_eq!(json(&w, &[])["pct"], 1.9024);
    // Overwrite every page after the first with same-length junk, keep header, size and mtime.
    let meta = std::fs::metadata(&db).unwrap();
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes[100..].iter_mut() {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    filetime::set_file_mtime(&db, filetime::FileTime::from_last_modification_time(&meta)).unwrap();
    assert_eq!(
        json(&w, &[])["pct"],
        1.9024,
        "a cache hit must not read the database"
    );
    // Bypassing the cache reads the junk: an error, proving the file really is unreadable.
    let o = w.run(&["--json", "--no-cache"]);
    assert!(!o.status.success());
}

#[test]
fn a_real_change_is_seen_on_the_next_run() {
    let w = kiro_world("basic_tool_use.json");
    assert_eq!(json(&w, &[])["pct"], 1.9024);
    kiro_put(
        &w.kiro_db(),
        &key(&w.project()),
        "c1",
        &fixture("with_cancelled_tool_uses.json"),
        1_774_658_500_000,
    );
    assert_eq!(json(&w, &[])["pct"], 1.8105);
}

#[test]
fn corrupt_or_foreign_cache_is_ignored_and_rewritten() {
    let w = kiro_world("basic_tool_use.json");
    std::fs::create_dir_all(w.cache_dir()).unwrap();
    let cache = w.cache_dir().join("segments-v1");
    std::fs::write(&cache, b"\xff\xfe not a cache \x00").unwrap();
    assert_eq!(json(&w, &[])["pct"], 1.9024);
    assert!(std::fs::read_to_string(&cache)
        .unwrap()
        .starts_with("q-status-cache 1\n"));
    std::fs::write(&cache, "q-status-cache 1\n0000000000000000\t{]\n").unwrap();
    assert_eq!(json(&w, &[])["pct"], 1.9024);
}

#[test]
fn locked_database_shows_the_stale_value_dimmed() {
    let w = kiro_world("basic_tool_use.json");
    assert_eq!(json(&w, &[])["pct"], 1.9024);
    // A writer changes the row and keeps an exclusive lock.
    kiro_put(
        &w.kiro_db(),
        &key(&w.project()),
        "c1",
        &fixture("with_cancelled_tool_uses.json"),
        1_774_658_500_000,
    );
    let c = rusqlite::Connection::open(w.kiro_db()).unwrap();
    c.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let start = std::time::Instant::now();
    let o = w.run(&["--color", "always", "--format", "<pct1>"]);
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    assert!(o.status.success());
    assert_eq!(stdout(&o), "\x1b[32;2m1.9\x1b[0m\n");
    let o = w.run(&["--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["stale"], true);
    c.execute_batch("COMMIT").unwrap();
    assert_eq!(json(&w, &[])["pct"], 1.8105);
}

#[test]
fn failures_print_nothing_and_exit_0_but_json_explains() {
    let w = World::new();
    type Make = Box<dyn Fn(&std::path::Path)>;
    let cases: Vec<(&str, Make)> = vec![
        ("missing", Box::new(|_p: &std::path::Path| {})),
        (
            "empty",
            Box::new(|p: &std::path::Path| std::fs::write(p, b"").unwrap()),
        ),
        (
            "text",
            Box::new(|p: &std::path::Path| {
                std::fs::write(p, b"hello, I am not a database\n").unwrap()
            }),
        ),
        (
            "dir",
            Box::new(|p: &std::path::Path| std::fs::create_dir(p).unwrap()),
        ),
        (
            "no table",
            Box::new(|p: &std::path::Path| create_db(p, "CREATE TABLE other (a);")),
        ),
        (
            "bad json",
            Box::new(|p: &std::path::Path| {
                create_db(p, Q_DDL);
            }),
        ),
    ];
    for (i, (name, make)) in cases.iter().enumerate() {
        let p = w.root().join(format!("case{i}.sqlite3"));
        make(&p);
        if *name == "bad json" {
            q_put(&p, &key(&w.project()), "{not json");
        }
        let o = w.run(&["--db", p.to_str().unwrap()]);
        assert!(o.status.success(), "{name}");
        assert!(o.stdout.is_empty(), "{name}: {}", stdout(&o));
        assert!(o.stderr.is_empty(), "{name}: {}", stderr(&o));
        let o = w.run(&["--db", p.to_str().unwrap(), "--verbose"]);
        assert!(!o.stderr.is_empty(), "{name}: --verbose says why");
        let o = w.run(&["--db", p.to_str().unwrap(), "--json"]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        assert!(
            stderr(&o).starts_with("q-status: "),
            "{name}: {}",
            stderr(&o)
        );
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn hostile_model_name_is_sanitised_in_every_dialect() {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    let model = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J$(touch x)`id`%F{red}#(rm)\u{202e}";
    let row = serde_json::json!({"conversation_id":"x","model_info":{"model_id":model,"context_window_tokens":1000},
        "history":[]}).to_string();
    kiro_put(&w.kiro_db(), &key(&w.project()), "x", &row, 1);
    for (shell, want) in [
        ("plain", "evil$(touch x)`id`%F{red}#(rm)"),
        ("zsh", "evil$%{%}(touch x)'id'%%F{red}#(rm)"),
        ("bash", "evil\\\\$(touch x)\\\\`id\\\\`%F{red}#(rm)"),
        ("tmux", "evil$(touch x)`id`%F{red}##(rm)"),
    ] {
        let o = w.run(&["--shell", shell, "--color", "never", "--format", "<model>"]);
        let out = stdout(&o);
        assert_eq!(out.trim_end_matches('\n'), want, "{shell}");
        assert!(!out.contains('\u{1b}'));
    }
}
