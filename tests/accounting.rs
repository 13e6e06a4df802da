//! `list`, `report` and `export` end to end over every store: the real samples and synthetic
//! rows of each format, checked against figures computed here from what was written.

mod common;

use common::*;
use serde_json::Value;

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}, stderr: {}",
        o.status,
        stderr(o)
    );
    stdout(o)
}

fn json(w: &World, args: &[&str]) -> Value {
    serde_json::from_str(&ok(&w.run(args))).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

fn find<'a>(rows: &'a [Value], dir_suffix: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["dir"].as_str().unwrap().ends_with(dir_suffix))
        .unwrap_or_else(|| panic!("no row for {dir_suffix}"))
}

#[test]
fn list_json_has_every_conversation_with_its_figures() {
    let (w, exp) = accounting_world();
    let v = json(&w, &["list", "--json"]);
    assert_eq!(v["version"], 1);
    let rows = v["conversations"].as_array().unwrap();
    assert_eq!(rows.len(), exp.conversations + exp.refused);
    // Newest activity first, rows without a time last.
    let times: Vec<Option<i64>> = rows
        .iter()
        .map(|r| r["last_activity_ms"].as_i64())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);
    assert!(rows[0]["dir"].as_str().unwrap().ends_with("/today"));

    let alpha = find(rows, "/alpha");
    assert_eq!(alpha["store"], "kiro");
    assert_eq!(alpha["model"], "m-a");
    assert_eq!(alpha["pct"], 12.5);
    assert_eq!(alpha["source"], "backend");
    assert_eq!(alpha["tokens"], 25_000);
    assert_eq!(alpha["window"], 200_000);
    assert_eq!(alpha["turns"], 3);
    assert_eq!(alpha["credits"], 0.75);
    assert_eq!(alpha["conversation_id"], "k-alpha");

    let project = find(rows, &key(&w.project()));
    assert_eq!(project["pct"], 1.9024);
    assert_eq!(project["tokens"], 19_024);
    assert!(close(
        project["credits"].as_f64().unwrap(),
        0.30323949333333333
    ));

    let legacy = find(rows, "/legacy");
    assert_eq!(legacy["store"], "amazon-q");
    assert_eq!(legacy["source"], "estimate");
    assert_eq!(legacy["tokens"], est(400));
    assert_eq!(legacy["model"], "claude-3.7-sonnet");
    assert_eq!(legacy["last_activity_ms"], Value::Null);

    let real = find(rows, "/test/project");
    assert_eq!(real["store"], "kiro-sessions");
    assert_eq!(real["pct"], 25.0);
    assert_eq!(real["tokens"], 50_000);
    let sess = find(rows, "/sess");
    assert_eq!(sess["pct"], 3.5);
    assert_eq!(sess["requests"], 3);
    assert!(close(sess["credits"].as_f64().unwrap(), 1.15));

    let broken = find(rows, "/broken");
    assert!(broken["error"]
        .as_str()
        .unwrap()
        .starts_with("not conversation JSON"));
    assert_eq!(broken["pct"], Value::Null);
    let corrupt = find(rows, "(33333333-corrupt.json)");
    assert!(corrupt["error"]
        .as_str()
        .unwrap()
        .starts_with("not a session file"));

    // --limit keeps the newest; --db restricts to one store (a session folder here).
    let v = json(&w, &["list", "--json", "--limit", "2"]);
    assert_eq!(v["conversations"].as_array().unwrap().len(), 2);
    let sd = sessions_dir(&w);
    let v = json(&w, &["list", "--json", "--db", sd.to_str().unwrap()]);
    let rows = v["conversations"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["store"] == "kiro-sessions"));
}

#[test]
fn list_csv_parses_back_and_the_table_is_plain_when_piped() {
    let (w, exp) = accounting_world();
    let out = ok(&w.run(&["list", "--csv"]));
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let headers = r.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        q_status::list::CSV_HEADER
    );
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), exp.conversations + exp.refused);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let alpha = recs
        .iter()
        .find(|r| r[col("dir")].ends_with("/alpha"))
        .unwrap();
    assert_eq!(&alpha[col("tokens")], "25000");
    assert_eq!(&alpha[col("credits")], "0.75");
    let broken = recs
        .iter()
        .find(|r| r[col("dir")].ends_with("/broken"))
        .unwrap();
    assert!(!broken[col("error")].is_empty());

    // Piped: no colour, nothing cut, even with a narrow COLUMNS.
    let o = w
        .cmd()
        .args(["list"])
        .env("COLUMNS", "30")
        .output()
        .unwrap();
    let text = ok(&o);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(!text.contains('…'));
    let header = text.lines().next().unwrap();
    for col in [
        "DIR", "STORE", "MODEL", "PCT", "SOURCE", "TOKENS", "TURNS", "LAST", "CREDITS",
    ] {
        assert!(header.contains(col), "{header}");
    }
    assert!(text.contains(&key(&w.root().join("alpha"))));
    assert!(text.contains("25k/200k"));
    assert!(text.contains("evilmodel"), "hostile text sanitised: {text}");
    assert!(text.contains("! not conversation JSON"));
    assert_eq!(text.lines().count(), 1 + exp.conversations + exp.refused);
}

#[test]
fn report_totals_match_the_rows_written() {
    let (w, exp) = accounting_world();
    let v = json(&w, &["report", "--json"]);
    assert_eq!(v["version"], 1);
    assert_eq!(v["granularity"], "daily");
    let total = &v["total"];
    assert_eq!(total["requests"], exp.total_requests());
    assert_eq!(total["input_tokens"], exp.total_input());
    assert!(close(
        total["credits"].as_f64().unwrap(),
        exp.total_credits()
    ));
    assert_eq!(v["refused_rows"], exp.refused as u64);
    assert_eq!(total["cost"], Value::Null);
    let periods = v["periods"].as_array().unwrap();
    let sum: u64 = periods
        .iter()
        .map(|p| p["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, exp.total_requests());
    // Undated requests (Q v1.10 – v1.12 pairs) are a row of their own, last.
    let undated = periods.last().unwrap();
    assert_eq!(undated["period"], "undated");
    assert_eq!(undated["requests"], 2);
    assert_eq!(undated["input_tokens"], est(200) + est(400));

    // Per day in January and February, from the synthetic rows only.
    let day = |d: &str, f: fn(&ReqRow) -> u64| -> u64 {
        exp.requests
            .iter()
            .filter(|r| r.5.map(q_status::time::day_string).as_deref() == Some(d))
            .map(f)
            .sum()
    };
    let v = json(
        &w,
        &[
            "report",
            "--json",
            "--since",
            "2026-01-01",
            "--until",
            "2026-02-28",
        ],
    );
    let periods = v["periods"].as_array().unwrap();
    let names: Vec<&str> = periods
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2026-01-15", "2026-02-02", "2026-02-03"]);
    for p in periods {
        let d = p["period"].as_str().unwrap();
        assert_eq!(p["requests"], day(d, |r| r.1), "{d}");
        assert_eq!(p["input_tokens"], day(d, |r| r.2), "{d}");
        assert_eq!(p["output_tokens"], day(d, |r| r.3), "{d}");
    }
    assert_eq!(periods[1]["credits"], 0.75);
    assert_eq!(periods[0]["estimated_requests"], 1);

    // Monthly.
    let v = json(&w, &["report", "--json", "--monthly"]);
    let months: Vec<&str> = v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(
        months,
        [
            "2026-01",
            "2026-02",
            "2026-03",
            "2026-04",
            &q_status::time::month_string(q_status::time::now_ms()),
            "undated"
        ]
    );
}

#[test]
fn report_cost_quota_and_the_segment_quota() {
    let (w, exp) = accounting_world();
    let cfg = w.root().join("config/q-status/config.toml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(
        &cfg,
        "cost_per_1k_tokens = 0.01\ncost_per_1k_output_tokens = 0.05\nmonthly_request_quota = 40\n\
         format = \"<pct>% <quota> <quota_pct>%\"\n[prices]\n\"m-b\" = 0.02\n",
    )
    .unwrap();
    let v = json(
        &w,
        &[
            "report",
            "--json",
            "--since",
            "2026-01-01",
            "--until",
            "2026-01-31",
        ],
    );
    // 2026-01-15: m-a 20 000 + 220 context tokens, 100 + 10 output tokens.
    let want =
        (20_000.0 + est(880) as f64) / 1000.0 * 0.01 + (est(400) + est(40)) as f64 / 1000.0 * 0.05;
    assert!(
        close(v["total"]["cost"].as_f64().unwrap(), want),
        "{}",
        v["total"]
    );
    let v = json(
        &w,
        &[
            "report",
            "--json",
            "--since",
            "2026-02-02",
            "--until",
            "2026-02-02",
        ],
    );
    let want = 25_000.0 / 1000.0 * 0.02
        + est(20) as f64 / 1000.0 * 0.05
        + est(1200) as f64 / 1000.0 * 0.01
        + est(200) as f64 / 1000.0 * 0.05;
    assert!(close(v["total"]["cost"].as_f64().unwrap(), want));
    let this_month = q_status::time::month_string(q_status::time::now_ms());
    let in_month: u64 = exp
        .requests
        .iter()
        .filter(|r| r.5.map(q_status::time::month_string).as_deref() == Some(this_month.as_str()))
        .map(|r| r.1)
        .sum();
    assert_eq!(v["quota"]["requests"], in_month);
    assert_eq!(v["quota"]["quota"], 40);
    assert_eq!(v["quota"]["month"], this_month.as_str());

    // The table has a cost column and the quota line.
    let text = ok(&w.run(&["report", "--monthly"]));
    assert!(text.lines().next().unwrap().contains("COST"));
    assert!(
        text.contains(&format!("{this_month}: {in_month} of 40 requests")),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("total")));

    // The segment shows the quota from the cache the report wrote.
    let today = w.root().join("today");
    let o = w
        .cmd()
        .args(["--color", "never"])
        .current_dir(&today)
        .output()
        .unwrap();
    let pct = (in_month as f64 / 40.0 * 100.0).round();
    assert_eq!(stdout(&o), format!("1% {in_month}/40 {pct}%\n"));
    // Without the cache file, a cold prompt recounts (small stores).
    std::fs::remove_file(w.cache_dir().join("quota-v1")).unwrap();
    let o = w
        .cmd()
        .args(["--color", "never", "--no-cache"])
        .current_dir(&today)
        .output()
        .unwrap();
    assert_eq!(stdout(&o), format!("1% {in_month}/40 {pct}%\n"));
}

#[test]
fn bad_dates_and_missing_stores_fail_clearly() {
    let (w, _) = accounting_world();
    let o = w.run(&["report", "--since", "yesterday"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a date"), "{}", stderr(&o));
    let o = w.run(&["report", "--since", "2026-03-01", "--until", "2026-02-01"]);
    assert_eq!(o.status.code(), Some(1));
    let empty = World::new();
    for cmd in [&["list"][..], &["report"], &["export", "--format", "json"]] {
        let o = empty.run(cmd);
        assert_eq!(o.status.code(), Some(1), "{cmd:?}");
        assert!(
            stderr(&o).contains("no chat database found"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn export_csv_json_and_markdown_agree_with_the_report() {
    let (w, exp) = accounting_world();
    // CSV: one line per turn, a line per unreadable conversation, numbers as written.
    let out = ok(&w.run(&["export", "--format", "csv"]));
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let headers = r.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        q_status::export::CSV_HEADER
    );
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let turns = recs.iter().filter(|r| !r[col("turn")].is_empty()).count();
    assert_eq!(turns, exp.requests.len());
    assert_eq!(
        recs.iter().filter(|r| !r[col("error")].is_empty()).count(),
        exp.refused
    );
    let ctx: u64 = recs
        .iter()
        .filter_map(|r| r[col("context_tokens")].parse::<u64>().ok())
        .sum();
    assert_eq!(ctx, exp.total_input());
    let reqs: u64 = recs
        .iter()
        .filter_map(|r| r[col("requests")].parse::<u64>().ok())
        .sum();
    assert_eq!(reqs, exp.total_requests());
    let credits: f64 = recs
        .iter()
        .filter_map(|r| r[col("credits")].parse::<f64>().ok())
        .sum();
    assert!(close(credits, exp.total_credits()));
    let sources: std::collections::BTreeSet<&str> =
        recs.iter().map(|r| &r[col("source")]).collect();
    assert!(sources.is_superset(&["backend", "counted", "estimate"].into()));

    // JSON: one document with the documented fields.
    let v: Value = serde_json::from_str(&ok(&w.run(&["export", "--format", "json"]))).unwrap();
    assert_eq!(v["version"], 1);
    assert!(v["generated_at"].as_str().unwrap().ends_with('Z'));
    let convs = v["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), exp.conversations + exp.refused);
    let conv_fields = [
        "store",
        "db",
        "dir",
        "conversation_id",
        "model",
        "pct",
        "source",
        "tokens",
        "window",
        "last_activity",
        "credits",
        "error",
        "turns",
    ];
    let turn_fields = [
        "index",
        "time",
        "time_ms",
        "model",
        "requests",
        "context_tokens",
        "source",
        "output_tokens",
        "output_bytes",
        "credits",
    ];
    for c in convs {
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), conv_fields.len());
        assert!(conv_fields.iter().all(|f| keys.contains(f)), "{keys:?}");
        for t in c["turns"].as_array().unwrap() {
            let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
            assert!(
                turn_fields.iter().all(|f| keys.contains(f)) && keys.len() == turn_fields.len()
            );
        }
    }
    let alpha = convs
        .iter()
        .find(|c| c["conversation_id"] == "k-alpha")
        .unwrap();
    let ctx: Vec<u64> = alpha["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["context_tokens"].as_u64().unwrap())
        .collect();
    assert_eq!(ctx, [20_000, est(880), 25_000]);
    assert_eq!(alpha["turns"][2]["model"], "m-b");
    assert_eq!(alpha["turns"][0]["time"], "2026-01-15T10:00:00Z");

    // Markdown: a table, every line with the header's column count.
    let md = ok(&w.run(&["export", "--format", "md"]));
    let table: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    let cells = |l: &str| l.replace("\\|", "").matches('|').count();
    assert!(table[1].starts_with("|---"));
    assert!(table.iter().all(|l| cells(l) == cells(table[0])), "{md}");
    assert_eq!(table.len(), 2 + exp.requests.len() + exp.refused);
    assert!(!md.contains('\u{1b}'));
}

#[test]
fn export_to_a_file_is_atomic_and_never_clobbers_without_force() {
    let (w, _) = accounting_world();
    let dest = w.root().join("out.json");
    std::fs::write(&dest, "keep me").unwrap();
    let o = w.run(&[
        "export",
        "--format",
        "json",
        "--output",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("exists; use --force"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "keep me");
    let o = w.run(&[
        "export",
        "--format",
        "json",
        "--output",
        dest.to_str().unwrap(),
        "--force",
    ]);
    ok(&o);
    assert!(o.stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&dest).unwrap()).unwrap();
    assert_eq!(v["version"], 1);
    let fresh = w.root().join("new.csv");
    ok(&w.run(&["export", "--format", "csv", "-o", fresh.to_str().unwrap()]));
    assert!(std::fs::read_to_string(&fresh)
        .unwrap()
        .starts_with("store,dir,"));
    // No temporary file is left beside them.
    let names: Vec<String> = std::fs::read_dir(w.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".tmp.")), "{names:?}");
    // A folder that does not exist: a precise error.
    let o = w.run(&["export", "--format", "md", "-o", "/nonexistent/dir/x.md"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent/dir"), "{}", stderr(&o));
}
