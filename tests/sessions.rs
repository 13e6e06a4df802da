//! Kiro session files as the third store, for the prompt: the newest session of a directory,
//! real token counts and credits, and the index that keeps a big folder cheap.

mod common;

use common::*;
use serde_json::Value;

fn segment_json(w: &World, dir: &std::path::Path, extra: &[&str]) -> Value {
    let o = w
        .cmd()
        .arg("--json")
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn write_session(w: &World, name: &str, dir: &std::path::Path, pct: f64, credits: &[f64]) {
    let sd = sessions_dir(w);
    std::fs::create_dir_all(&sd).unwrap();
    let text = session_file(
        &key(dir),
        name,
        Some(("claude-sonnet-4.5", 200_000)),
        &[("2026-04-01T08:00:00Z", 5_000, 300, 1, credits, pct)],
    );
    std::fs::write(sd.join(format!("{name}.json")), text).unwrap();
}

#[test]
fn the_real_sample_is_read_for_its_directory() {
    let w = World::new();
    let sd = sessions_dir(&w);
    std::fs::create_dir_all(&sd).unwrap();
    let proj = w.project();
    let text = fixture("session_v1_pre_metering.json").replace("/test/project", &key(&proj));
    std::fs::write(sd.join("a.json"), text).unwrap();
    let v = segment_json(&w, &proj, &[]);
    assert_eq!(v["pct"], 25.0);
    assert_eq!(v["source"], "backend");
    assert_eq!(v["window"], 200_000);
    assert_eq!(v["turns"], 1);
    assert_eq!(v["db"], key(&sd));
}

#[test]
fn newest_session_wins_and_changes_are_seen() {
    let w = World::new();
    let proj = w.project();
    write_session(&w, "old", &proj, 10.0, &[0.1]);
    let other = w.dir("other");
    write_session(&w, "elsewhere", &other, 50.0, &[]);
    let sd = sessions_dir(&w);
    filetime::set_file_mtime(
        sd.join("old.json"),
        filetime::FileTime::from_unix_time(1_000, 0),
    )
    .unwrap();
    let v = segment_json(&w, &proj, &[]);
    assert_eq!(v["pct"], 10.0);
    assert_eq!(v["credits"], 0.1);
    // A new session for the same directory appears (the folder's mtime changes).
    write_session(&w, "new", &proj, 20.0, &[0.25, 0.5]);
    let v = segment_json(&w, &proj, &[]);
    assert_eq!(v["pct"], 20.0);
    assert_eq!(v["credits"], 0.75);
    // That session is rewritten in place: the folder's mtime stays, its own changes.
    let folder_mtime =
        filetime::FileTime::from_last_modification_time(&std::fs::metadata(&sd).unwrap());
    write_session(&w, "new", &proj, 30.0, &[1.0]);
    filetime::set_file_mtime(&sd, folder_mtime).unwrap();
    let v = segment_json(&w, &proj, &[]);
    assert_eq!(v["pct"], 30.0);
    // The other directory sees its own session.
    assert_eq!(segment_json(&w, &other, &[])["pct"], 50.0);
    // The index lives in the cache dir.
    let names: Vec<String> = std::fs::read_dir(w.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("sessions-index-v1-")),
        "{names:?}"
    );
}

#[test]
fn newer_session_store_beats_an_older_sqlite_row() {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    let row = object_row(
        "k",
        Some(("m", 200_000)),
        None,
        &[Entry {
            prompt: 1,
            response: 1,
            pct: Some(5.0),
            start_ms: Some(ms("2026-01-01T00:00:00Z")),
            model: None,
        }],
    );
    kiro_put(
        &w.kiro_db(),
        &key(&w.project()),
        "k",
        &row,
        ms("2026-01-01T00:00:00Z"),
    );
    assert_eq!(segment_json(&w, &w.project(), &[])["pct"], 5.0);
    write_session(&w, "s", &w.project(), 42.0, &[]);
    assert_eq!(segment_json(&w, &w.project(), &[])["pct"], 42.0);
    // --db with the folder reads only the session files.
    let sd = sessions_dir(&w);
    assert_eq!(
        segment_json(&w, &w.project(), &["--db", sd.to_str().unwrap()])["pct"],
        42.0
    );
}

#[test]
fn a_corrupt_or_half_written_session_is_skipped_quietly() {
    let w = World::new();
    let sd = sessions_dir(&w);
    std::fs::create_dir_all(&sd).unwrap();
    std::fs::write(sd.join("half.json"), "{\"cwd\": \"").unwrap();
    let o = w.cmd().output().unwrap();
    assert!(o.status.success());
    assert!(o.stdout.is_empty());
    // Completed in place later: found.
    write_session(&w, "half", &w.project(), 12.0, &[]);
    assert_eq!(segment_json(&w, &w.project(), &[])["pct"], 12.0);
}
