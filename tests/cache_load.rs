//! The prompt cache under load: waves of 200 concurrent runs across 20 directories while the
//! database changes underneath and a watcher reads the cache file without pause. The file is
//! never corrupt or half-written, no run shows another directory's value, no stale entry
//! survives a change, and an unusable cache directory only costs speed.
#![cfg(unix)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use q_status::cache;
use rusqlite::{params, Connection};

const DIRS: usize = 20;
const WAVE: usize = 200;
const WAVES: usize = 3;

fn row(dir: usize, version: usize) -> String {
    format!(
        r#"{{"model_info":{{"model_id":"dir{dir}-v{version}"}},"history":[{{"user":{{"content":{{"Prompt":{{"prompt":"{}"}}}}}},"assistant":{{"Response":{{"content":"ok"}}}},"request_metadata":null}}]}}"#,
        "x".repeat(version * 37 % 2000)
    )
}

struct Fixture {
    w: World,
    dirs: Vec<std::path::PathBuf>,
    versions: Arc<Vec<AtomicUsize>>,
}

fn fixture_world() -> Fixture {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    let dirs: Vec<_> = (0..DIRS).map(|i| w.dir(&format!("d{i}"))).collect();
    for (i, d) in dirs.iter().enumerate() {
        kiro_put(&w.kiro_db(), &key(d), "c", &row(i, 0), 0);
    }
    let versions = Arc::new((0..DIRS).map(|_| AtomicUsize::new(0)).collect());
    Fixture { w, dirs, versions }
}

/// Rewrites one directory's row after another every 10 ms until `stop`.
fn writer(f: &Fixture, stop: Arc<AtomicBool>) -> thread::JoinHandle<usize> {
    let (db, versions) = (f.w.kiro_db(), f.versions.clone());
    let keys: Vec<String> = f.dirs.iter().map(|d| key(d)).collect();
    thread::spawn(move || {
        let c = Connection::open(db).unwrap();
        c.busy_timeout(Duration::from_secs(5)).unwrap();
        let mut commits = 0;
        while !stop.load(Ordering::SeqCst) {
            let i = commits % DIRS;
            let v = versions[i].load(Ordering::SeqCst) + 1;
            c.execute(
                "INSERT OR REPLACE INTO conversations_v2 VALUES (?1, 'c', ?2, 0, ?3)",
                params![keys[i], row(i, v), v as i64],
            )
            .unwrap();
            versions[i].store(v, Ordering::SeqCst);
            commits += 1;
            thread::sleep(Duration::from_millis(10));
        }
        commits
    })
}

/// Reads the cache file in a loop and checks every snapshot; returns how many it checked.
fn watcher(f: &Fixture, stop: Arc<AtomicBool>) -> thread::JoinHandle<usize> {
    let path = f.w.cache_dir().join("segments-v1");
    thread::spawn(move || {
        let mut checked = 0;
        while !stop.load(Ordering::SeqCst) {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let entries = cache::entries(&text).expect("the cache file starts with its magic");
            // Every line parses, with the right hash, once per directory.
            assert_eq!(entries.len(), text.lines().count() - 1, "{text}");
            let mut dirs: Vec<&str> = entries.iter().map(|(e, _)| e.dir.as_str()).collect();
            assert!(entries.iter().all(|(_, hash_ok)| *hash_ok));
            dirs.sort();
            dirs.dedup();
            assert_eq!(dirs.len(), entries.len(), "a directory twice");
            for (e, _) in &entries {
                let model = e.usage.as_ref().and_then(|u| u.model.clone()).unwrap();
                let name = e.dir.rsplit('/').next().unwrap();
                assert!(
                    model.starts_with(&format!("dir{}-", &name[1..])),
                    "{} holds {model}",
                    e.dir
                );
            }
            checked += 1;
        }
        checked
    })
}

/// One run for directory `i`: `(dir, version)` it printed, and the version committed after.
fn run_one(w: &World, dir: &std::path::Path, env: &[(&str, &str)]) -> (usize, usize) {
    let mut cmd = w.cmd();
    cmd.args(["--format", "<model>", "--color", "never"])
        .current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
    let out = stdout(&o);
    let (d, v) = out
        .trim_end()
        .strip_prefix("dir")
        .and_then(|s| s.split_once("-v"))
        .unwrap_or_else(|| panic!("not a value: {out:?}"));
    (d.parse().unwrap(), v.parse().unwrap())
}

/// What the runs of the waves showed.
#[derive(Debug, Default)]
struct Tally {
    values: usize,
    /// Runs that printed nothing: the lock outlasted a budget eaten by 200 process starts on
    /// two cores, with no earlier value for that directory in the cache yet.
    blank: usize,
    took: Duration,
}

/// `WAVES` waves of `WAVE` runs started together, round-robin over the directories. Runs are
/// checked after they are all joined, so a failure never leaves the writer on a deleted world.
fn waves(f: &Fixture, env: &'static [(&'static str, &'static str)]) -> Tally {
    let start = Instant::now();
    let mut tally = Tally::default();
    for _ in 0..WAVES {
        let barrier = Arc::new(Barrier::new(WAVE));
        let handles: Vec<_> = (0..WAVE)
            .map(|n| {
                let i = n % DIRS;
                let (barrier, versions) = (barrier.clone(), f.versions.clone());
                let mut cmd = f.w.cmd();
                cmd.args(["--format", "<model>", "--color", "never", "--verbose"])
                    .current_dir(&f.dirs[i]);
                for (k, v) in env {
                    cmd.env(k, v);
                }
                thread::spawn(move || {
                    barrier.wait();
                    let o = cmd.output().unwrap();
                    (i, o, versions[i].load(Ordering::SeqCst))
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        for (i, o, committed) in results {
            assert!(o.status.success());
            let (out, err) = (stdout(&o), stderr(&o));
            // --verbose says why a run printed nothing; with an unusable cache directory it
            // also says that the cache could not be written.
            let reasons: Vec<&str> = err.lines().filter(|l| !l.contains(": cache ")).collect();
            if out.is_empty() {
                assert!(
                    reasons.len() == 1 && reasons[0].contains("database is locked"),
                    "blank for another reason: {err}"
                );
                tally.blank += 1;
                continue;
            }
            assert!(reasons.is_empty(), "{err}");
            let (d, v) = out
                .trim_end()
                .strip_prefix("dir")
                .and_then(|s| s.split_once("-v"))
                .unwrap_or_else(|| panic!("not a value: {out:?}"));
            let (d, v): (usize, usize) = (d.parse().unwrap(), v.parse().unwrap());
            assert_eq!(d, i, "a run in d{i} printed d{d}'s value");
            // +1: the writer counts a commit just after it returns.
            assert!(
                v <= committed + 1,
                "d{i}: v{v} not yet committed ({committed})"
            );
            tally.values += 1;
        }
    }
    tally.took = start.elapsed();
    tally
}

/// After the writer stops, every directory shows its last committed version: nothing stale.
fn assert_current(f: &Fixture, env: &[(&str, &str)]) {
    for (i, d) in f.dirs.iter().enumerate() {
        let (dir, v) = run_one(&f.w, d, env);
        assert_eq!(
            (dir, v),
            (i, f.versions[i].load(Ordering::SeqCst)),
            "a stale entry outlived a change"
        );
    }
}

/// These tests each load both cores on purpose; run one at a time so one's load does not
/// stretch the other's timings.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn waves_of_200_runs_over_20_dirs_while_the_db_changes() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let f = fixture_world();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = writer(&f, stop.clone());
    let watcher = watcher(&f, stop.clone());
    let tally = waves(&f, &[]);
    stop.store(true, Ordering::SeqCst);
    let commits = writer.join().unwrap();
    let checked = watcher.join().unwrap();
    assert_current(&f, &[]);
    eprintln!(
        "{} runs over {DIRS} dirs: {tally:?}; {commits} commits underneath, \
         {checked} cache snapshots checked",
        WAVE * WAVES
    );
    assert!(tally.values > tally.blank, "{tally:?}");
    assert!(checked > 0 && commits > 0);
    // Nothing but the cache and its lock file is left in the cache directory.
    let mut left: Vec<String> = snapshot(&f.w.cache_dir())
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    left.sort();
    assert_eq!(left, ["segments-v1", "segments-v1.lock"]);
}

#[test]
fn an_unusable_cache_directory_only_costs_speed() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let f = fixture_world();
    let not_a_dir = f.w.root().join("cache-is-a-file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let env: &'static [(&str, &str)] = Box::leak(Box::new([(
        "Q_STATUS_CACHE_DIR",
        &*Box::leak(not_a_dir.to_string_lossy().into_owned().into_boxed_str()),
    )]));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = writer(&f, stop.clone());
    let tally = waves(&f, env);
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    assert_current(&f, env);
    assert_eq!(std::fs::read(&not_a_dir).unwrap(), b"x");
    eprintln!("{} runs without a cache: {tally:?}", WAVE * WAVES);
}
