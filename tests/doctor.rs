//! `q-status doctor` on a healthy setup and on broken ones.

mod common;

use common::*;

#[test]
fn healthy_setup_names_every_store_its_schema_and_this_directory() {
    let (w, _) = accounting_world();
    let o = w.run(&["doctor"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert!(
        out.contains("Kiro v2 (conversations_v2), 6 rows, chosen"),
        "{out}"
    );
    assert!(out.contains("Amazon Q"), "{out}");
    assert!(
        out.contains("Kiro session files (v1), 3 files, chosen"),
        "{out}"
    );
    assert!(
        out.contains("kiro: conversation 26a591e0-dd86-44ee-84e2-7c44ddda8fdb"),
        "{out}"
    );
    assert!(out.contains("1.9% (backend)"), "{out}");
    assert!(out.contains("Segment timings"));
    assert!(out.contains("cold (no cache):") && out.contains("read & count"));
    assert!(
        out.contains("(cache hit)"),
        "the third run hits the cache: {out}"
    );
    assert!(out.contains("stdout: not a terminal"));
    assert!(out.contains("tables coloured: no"));
    assert!(out.contains("session index"));
    assert!(out.contains("q-status can read your chats."));

    // The history shape tells the Q version apart.
    let legacy = w.root().join("legacy");
    let out = stdout(&w.run(&["doctor", "--dir", legacy.to_str().unwrap()]));
    assert!(
        out.contains("Amazon Q v1.10–1.12 (history pairs), 2 rows"),
        "{out}"
    );
    let q13 = w.root().join("q13");
    let out = stdout(&w.run(&["doctor", "--dir", q13.to_str().unwrap()]));
    assert!(out.contains("Amazon Q v1.13+ (history objects)"), "{out}");
    // A corrupt row is named with its reason.
    let broken = w.root().join("broken");
    let out = stdout(&w.run(&["doctor", "--dir", broken.to_str().unwrap()]));
    assert!(
        out.contains("kiro: row refused:") && out.contains("not valid conversation JSON"),
        "{out}"
    );
    assert!(out.contains("The prompt shows nothing here"), "{out}");
    // The cache entry written by the timings is fresh on the next run.
    let out = stdout(&w.run(&["doctor"]));
    assert!(out.contains("fresh entry for this directory"), "{out}");
}

#[test]
fn oversized_row_and_config_errors_are_explained() {
    let (w, _) = accounting_world();
    let cfg = w.root().join("bad.toml");
    std::fs::write(&cfg, "max_row_mb = 0\nwarnin = 3\n").unwrap();
    let o = w.run(&["doctor", "--config", cfg.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("bad.toml:2: key `warnin`"), "{out}");
    let cfg2 = w.root().join("small.toml");
    std::fs::write(&cfg2, "max_row_mb = 0\n").unwrap();
    let out = stdout(&w.run(&["doctor", "--config", cfg2.to_str().unwrap()]));
    assert!(out.contains("over the 0-byte limit (max_row_mb)"), "{out}");
}

#[test]
fn nothing_usable_exits_1_with_the_next_step() {
    let w = World::new();
    let o = w.run(&["doctor"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("kiro-cli/data.sqlite3: not found"), "{out}");
    assert!(out.contains("no usable chat store was found"));
    assert!(out.contains("Next step: chat once"), "{out}");

    let junk = w.root().join("junk.sqlite3");
    std::fs::write(&junk, "not a database at all, just text").unwrap();
    let o = w.run(&["doctor", "--db", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("not a SQLite database"), "{out}");
    assert!(
        out.contains("Next step: check the path given by --db"),
        "{out}"
    );
}
