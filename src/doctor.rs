//! `q-status doctor`: what q-status sees and why. The config and its errors, every store
//! location (found, chosen, schema and history shape, rows), this directory's conversation or
//! the reason none is shown, the cache and session index, colour and terminal detection, and
//! the time each stage of a segment run takes. Exits 1, with the next step in words, when no
//! store is usable.
//!
//! Everything is gathered into [`Check`] lines first and printed at the end.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::cache::Cache;
use crate::discover::{self, Locations, Store, StoreKind};
use crate::sanitize::sanitize;
use crate::segment::{self, Timings};
use crate::settings::{Env, ProcessEnv, Settings};
use crate::store::{Db, Schema};
use crate::{fingerprint, session_index, sessions};

/// The shape of a row's `history`, which tells the CLI version that wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryShape {
    /// `[user, assistant]` pairs: Amazon Q v1.10 – v1.12.
    Pairs,
    /// `{user, assistant, request_metadata}`: Amazon Q v1.13+ and Kiro.
    Objects,
    /// No history entries to tell by.
    Empty,
}

/// Reads only as far as the first history entry's type.
pub fn history_shape(json: &[u8]) -> Result<HistoryShape, serde_json::Error> {
    struct Root;
    struct Hist;
    struct First;
    impl<'de> Visitor<'de> for Root {
        type Value = HistoryShape;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a conversation object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HistoryShape, A::Error> {
            let mut shape = HistoryShape::Empty;
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if k == "history" {
                    shape = map.next_value_seed(Hist)?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(shape)
        }
    }
    impl<'de> de::DeserializeSeed<'de> for Hist {
        type Value = HistoryShape;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<HistoryShape, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Hist {
        type Value = HistoryShape;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a history list")
        }
        fn visit_unit<E>(self) -> Result<HistoryShape, E> {
            Ok(HistoryShape::Empty)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HistoryShape, A::Error> {
            let first = seq.next_element_seed(First)?;
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(first.unwrap_or(HistoryShape::Empty))
        }
    }
    impl<'de> de::DeserializeSeed<'de> for First {
        type Value = HistoryShape;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<HistoryShape, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for First {
        type Value = HistoryShape;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a history entry")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HistoryShape, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(HistoryShape::Pairs)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HistoryShape, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(HistoryShape::Objects)
        }
    }
    let mut d = serde_json::Deserializer::from_slice(json);
    d.deserialize_map(Root)
}

/// The schema kind q-status names for a SQLite store and one of its rows.
pub fn schema_kind(schema: Schema, shape: Option<HistoryShape>) -> &'static str {
    match (schema, shape) {
        (Schema::KiroV2, _) => "Kiro v2 (conversations_v2)",
        (Schema::Conversations, Some(HistoryShape::Pairs)) => "Amazon Q v1.10–1.12 (history pairs)",
        (Schema::Conversations, Some(HistoryShape::Objects)) => "Amazon Q v1.13+ (history objects)",
        (Schema::Conversations, _) => "Amazon Q (conversations; history shape unknown)",
    }
}

/// One line of the report: ok, a warning, or a problem.
struct Report {
    text: String,
    usable_stores: usize,
}

impl Report {
    fn line(&mut self, indent: usize, mark: &str, msg: impl AsRef<str>) {
        let _ = writeln!(self.text, "{:indent$}{mark} {}", "", msg.as_ref());
    }
    fn head(&mut self, title: &str) {
        let _ = writeln!(self.text, "\n{title}");
    }
}

pub fn run(s: &Settings) -> anyhow::Result<ExitCode> {
    let mut r = Report {
        text: String::from("q-status doctor\n"),
        usable_stores: 0,
    };
    config(&mut r, s);
    let locations = Locations::from_env();
    let stores = discover::stores(s.db.as_deref(), s.sessions_dir.as_deref(), &locations);
    r.head("Stores");
    let candidates: Vec<Store> = match &s.db {
        Some(p) => vec![discover::explicit_store(p)],
        None => {
            let mut all = locations.default_stores();
            if let Some(dir) = &s.sessions_dir {
                all.retain(|st| st.kind != StoreKind::Sessions);
                all.push(Store::sessions(dir.clone()));
            }
            all
        }
    };
    for st in &candidates {
        store(&mut r, s, st, stores.contains(st));
    }
    directory(&mut r, s, &stores);
    cache(&mut r, s, &stores);
    terminal(&mut r, s);
    timings(&mut r, s);
    let usable = r.usable_stores > 0;
    if usable {
        r.head("Result");
        r.line(2, "ok", "q-status can read your chats.");
    } else {
        r.head("Result");
        r.line(2, "!!", "no usable chat store was found.");
        let next = match &s.db {
            Some(p) => format!(
                "Next step: check the path given by --db / Q_STATUS_DB / config `db` ({}), or remove it to use discovery.",
                p.display()
            ),
            None => "Next step: chat once with `kiro-cli chat` or `q chat` in a project directory, \
                     or point q-status at your database with --db PATH."
                .to_owned(),
        };
        r.line(2, "->", next);
    }
    let mut out = std::io::stdout().lock();
    out.write_all(r.text.as_bytes())?;
    out.flush()?;
    Ok(if usable {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn config(r: &mut Report, s: &Settings) {
    r.head("Config");
    match &s.config_path {
        Some(p) if p.exists() => r.line(2, "ok", format!("file: {}", p.display())),
        Some(p) => r.line(
            2,
            "--",
            format!("file: {} (not found; defaults)", p.display()),
        ),
        None => r.line(2, "--", "no config directory on this system; defaults"),
    }
    for w in &s.warnings {
        r.line(2, "!!", sanitize(w, 400));
    }
    if let Some(q) = s.config.monthly_request_quota {
        let cached = s.cache_dir.as_deref().and_then(crate::quota::read);
        let now = crate::time::month_string(crate::time::now_ms());
        match cached {
            Some(c) if c.month == now => r.line(
                2,
                "ok",
                format!("monthly_request_quota: {} of {q} requests in {now} (counted {})",
                    c.requests,
                    crate::time::relative(c.computed_ms, crate::time::now_ms())),
            ),
            _ => r.line(2, "--", format!("monthly_request_quota: {q}; not counted yet this month (run `q-status report`)")),
        }
    }
}

fn store(r: &mut Report, s: &Settings, st: &Store, chosen: bool) {
    let name = format!("{} {}", st.label, st.path.display());
    if !st.path.exists() {
        r.line(2, "--", format!("{name}: not found"));
        return;
    }
    let chosen_txt = if chosen { "chosen" } else { "not chosen" };
    match st.kind {
        StoreKind::Sqlite => match Db::open(&st.path, Duration::from_secs(1)) {
            Err(e) => r.line(
                2,
                "!!",
                format!("{name}: {}", sanitize(&e.to_string(), 400)),
            ),
            Ok(db) => {
                r.usable_stores += usize::from(chosen);
                let rows = db
                    .row_count()
                    .map_or_else(|e| format!("rows: {e}"), |n| format!("{n} rows"));
                let shape = sample_shape(&db, &s.dir, s.max_row_bytes);
                r.line(
                    2,
                    "ok",
                    format!(
                        "{name}: {}, {rows}, {chosen_txt}",
                        schema_kind(db.schema, shape)
                    ),
                );
            }
        },
        StoreKind::Sessions => match sessions::files(&st.path) {
            Err(e) => r.line(2, "!!", format!("{name}: {e}")),
            Ok(files) => {
                r.usable_stores += usize::from(chosen);
                r.line(
                    2,
                    "ok",
                    format!(
                        "{name}: Kiro session files (v1), {} files, {chosen_txt}",
                        files.len()
                    ),
                );
            }
        },
    }
}

/// The history shape of this directory's row, else of the first row (Kiro: the newest).
fn sample_shape(db: &Db, dir: &str, max: u64) -> Option<HistoryShape> {
    let mut first: Option<String> = None;
    let mut has_dir = false;
    // Values over 0 bytes are not read: this lists keys only.
    let _ = db.for_each_row(0, |row| {
        has_dir |= row.key == dir;
        first.get_or_insert(row.key);
    });
    let key = if has_dir { Some(dir.to_owned()) } else { first }?;
    let row = db.row_for_key(&key, max).ok()??;
    history_shape(&row.value?).ok()
}

fn directory(r: &mut Report, s: &Settings, stores: &[Store]) {
    r.head(&format!("This directory: {}", sanitize(&s.dir, 400)));
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut found = false;
    for st in stores {
        match segment::read_usage(std::slice::from_ref(st), &s.dir, s.max_row_bytes, deadline) {
            Ok(Some((u, _))) => {
                found = true;
                let when = u
                    .updated_ms
                    .map(|t| crate::time::relative(t, crate::time::now_ms()))
                    .unwrap_or_else(|| "time unknown".into());
                r.line(
                    2,
                    "ok",
                    format!(
                        "{}: conversation {} — {:.1}% ({}), {} turns, model {}, {when}",
                        st.label,
                        sanitize(u.conversation_id.as_deref().unwrap_or("?"), 64),
                        u.pct,
                        u.source.as_str(),
                        u.turns,
                        sanitize(u.model.as_deref().unwrap_or("unknown"), 64),
                    ),
                );
            }
            Ok(None) => r.line(
                2,
                "--",
                format!("{}: no conversation for this directory", st.label),
            ),
            Err(e) => r.line(
                2,
                "!!",
                format!(
                    "{}: row refused: {}",
                    st.label,
                    sanitize(&e.to_string(), 400)
                ),
            ),
        }
    }
    if !found {
        r.line(
            2,
            "->",
            "The prompt shows nothing here. `q-status list` shows the directories that have chats.",
        );
    }
}

fn cache(r: &mut Report, s: &Settings, stores: &[Store]) {
    r.head("Cache");
    let Some(dir) = &s.cache_dir else {
        r.line(
            2,
            "!!",
            "no cache directory (set Q_STATUS_CACHE_DIR): every prompt reads the store",
        );
        return;
    };
    let c = Cache::new(dir.clone());
    let path = c.path();
    if !s.use_cache {
        r.line(2, "--", "disabled by --no-cache");
    }
    match c.get(&s.dir) {
        Some(e) if e.key == fingerprint::combined_for_dir(stores, &s.dir) => {
            r.line(
                2,
                "ok",
                format!("{}: fresh entry for this directory", path.display()),
            );
        }
        Some(_) => r.line(
            2,
            "--",
            format!(
                "{}: stale entry for this directory (the next prompt rereads)",
                path.display()
            ),
        ),
        None if path.exists() => r.line(
            2,
            "--",
            format!("{}: no entry for this directory yet", path.display()),
        ),
        None => r.line(2, "--", format!("{}: not written yet", path.display())),
    }
    for st in stores.iter().filter(|st| st.kind == StoreKind::Sessions) {
        match session_index::load_or_build(&st.path, Some(dir), s.max_row_bytes) {
            Ok((idx, fresh)) => r.line(
                2,
                "ok",
                format!(
                    "session index {}: {} files, {}",
                    session_index::path_for(dir, &st.path).display(),
                    idx.len(),
                    match fresh {
                        session_index::Freshness::Cached => "fresh",
                        session_index::Freshness::Rebuilt => "rebuilt now",
                    }
                ),
            ),
            Err(e) => r.line(
                2,
                "!!",
                format!("session index for {}: {e}", st.path.display()),
            ),
        }
    }
}

fn terminal(r: &mut Report, s: &Settings) {
    use std::io::IsTerminal;
    r.head("Terminal and colour");
    let env = ProcessEnv;
    let tty = std::io::stdout().is_terminal();
    let var = |n: &str| {
        env.var(n)
            .map_or_else(|| "unset".to_owned(), |v| sanitize(&v, 40))
    };
    r.line(
        2,
        "--",
        format!(
            "stdout: {}; TERM={}; NO_COLOR={}; CLICOLOR={}; CLICOLOR_FORCE={}; COLUMNS={}",
            if tty { "a terminal" } else { "not a terminal" },
            var("TERM"),
            var("NO_COLOR"),
            var("CLICOLOR"),
            var("CLICOLOR_FORCE"),
            var("COLUMNS"),
        ),
    );
    let width = crate::table::terminal_width().map_or_else(
        || "not cut (not a terminal)".to_owned(),
        |w| format!("{w} columns"),
    );
    r.line(
        2,
        "--",
        format!(
            "--color {}: prompt segment coloured: {}; tables coloured: {}; table width: {width}",
            format!("{:?}", s.color_when).to_lowercase(),
            yes(s.segment_color(&env)),
            yes(s.table_color(&env)),
        ),
    );
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn timings(r: &mut Report, s: &Settings) {
    r.head("Segment timings");
    let cold = Settings {
        use_cache: false,
        ..s.clone()
    };
    for (label, settings) in [
        ("cold (no cache)", &cold),
        ("prompt (cache)", s),
        ("again (cache)", s),
    ] {
        let mut t = Timings::default();
        let started = Instant::now();
        let outcome = segment::run_timed(settings, started, &mut t);
        let total = started.elapsed();
        let what = match &outcome {
            Ok(o) if o.cache_hit => "cache hit",
            Ok(o) if o.usage.is_some() => "read",
            Ok(_) => "no conversation",
            Err(_) => "error",
        };
        r.line(
            2,
            "--",
            format!(
                "{label}: {} total ({what}) = discover {} + fingerprint {} + cache lookup {} + read & count {} + cache store {}",
                ms(total),
                ms(t.discover),
                ms(t.fingerprint),
                ms(t.cache_lookup),
                ms(t.read_and_count),
                ms(t.cache_store),
            ),
        );
    }
    r.line(
        2,
        "--",
        format!("prompt time budget: {} (timeout_ms)", ms(s.timeout)),
    );
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let pairs = br#"{"a":1,"history":[[{"content":{}},{"Response":{}}]],"z":[1]}"#;
        assert_eq!(history_shape(pairs).unwrap(), HistoryShape::Pairs);
        let objs = br#"{"history":[{"user":{},"assistant":{}}]}"#;
        assert_eq!(history_shape(objs).unwrap(), HistoryShape::Objects);
        assert_eq!(
            history_shape(br#"{"history":[]}"#).unwrap(),
            HistoryShape::Empty
        );
        assert_eq!(history_shape(br#"{"x":1}"#).unwrap(), HistoryShape::Empty);
        assert!(history_shape(b"{oops").is_err());
    }
}
