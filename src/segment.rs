//! The prompt segment's pipeline: find the stores → fingerprint → cache hit? → else read the
//! row → count → usage → cache store. Rendering is separate ([`render`]), so `--json`,
//! `--watch` and `list` reuse the same stages.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cache::{Cache, Entry};
use crate::count::Conversation;
use crate::discover::{self, Store, StoreKind};
use crate::error::Error;
use crate::settings::Settings;
use crate::store::{Db, RawRow};
use crate::usage::Usage;
use crate::{count, fingerprint, sessions};

/// What a segment run found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub usage: Option<Usage>,
    /// The store the usage came from.
    pub db: Option<PathBuf>,
    /// A cached value shown because the database was locked past the time budget.
    pub stale: bool,
    pub cache_hit: bool,
}

/// Timings of each stage, for `doctor`.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub discover: Duration,
    pub fingerprint: Duration,
    pub cache_lookup: Duration,
    pub read_and_count: Duration,
    pub cache_store: Duration,
}

/// Runs the pipeline for `s.dir`.
pub fn run(s: &Settings, started: Instant) -> Result<Outcome, Error> {
    run_timed(s, started, &mut Timings::default())
}

/// [`run`], recording how long each stage took.
pub fn run_timed(s: &Settings, started: Instant, t: &mut Timings) -> Result<Outcome, Error> {
    let deadline = started + s.timeout;
    let mut clock = Instant::now();
    let mut lap = |slot: &mut Duration| {
        let now = Instant::now();
        *slot = now - clock;
        clock = now;
    };

    let stores = discover::find(s.db.as_deref(), s.sessions_dir.as_deref());
    lap(&mut t.discover);
    let stores = stores?;

    let key = fingerprint::combined_for_dir(&stores, &s.dir);
    lap(&mut t.fingerprint);
    let cache = s
        .use_cache
        .then(|| s.cache_dir.clone().map(Cache::new))
        .flatten();
    let cached = cache.as_ref().and_then(|c| c.get(&s.dir));
    lap(&mut t.cache_lookup);
    if let Some(e) = &cached {
        if e.key == key {
            return Ok(Outcome {
                usage: e.usage.clone(),
                db: e.db.as_ref().map(PathBuf::from),
                stale: false,
                cache_hit: true,
            });
        }
    }

    let read = read_usage(&stores, &s.dir, s.max_row_bytes, deadline);
    lap(&mut t.read_and_count);
    match read {
        Ok(found) => {
            let (usage, db) = match found {
                Some((u, db)) => (Some(u), Some(db)),
                None => (None, None),
            };
            if let Some(c) = &cache {
                let entry = Entry {
                    dir: s.dir.clone(),
                    key,
                    db: db.as_ref().map(|p| p.to_string_lossy().into_owned()),
                    usage: usage.clone(),
                };
                if let Err(e) = c.put(&entry) {
                    if s.verbose {
                        eprintln!("q-status: cache {}: {e}", c.path().display());
                    }
                }
            }
            lap(&mut t.cache_store);
            crate::quota::refresh_if_stale(s, &stores, crate::time::now_ms());
            Ok(Outcome {
                usage,
                db,
                stale: false,
                cache_hit: false,
            })
        }
        Err(e) if e.is_busy() => match cached {
            Some(Entry {
                usage: Some(u), db, ..
            }) => Ok(Outcome {
                usage: Some(u),
                db: db.map(PathBuf::from),
                stale: true,
                cache_hit: true,
            }),
            _ => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// Reads every store and keeps the conversation for `dir` with the newest activity.
/// A store that fails is skipped when another has the conversation; a lock wins over other
/// errors so the caller can fall back to the stale value.
pub fn read_usage(
    stores: &[Store],
    dir: &str,
    max_row_bytes: u64,
    deadline: Instant,
) -> Result<Option<(Usage, PathBuf)>, Error> {
    newest(stores.iter().map(|store| {
        let found = match store.kind {
            StoreKind::Sqlite => read_sqlite(store, dir, max_row_bytes, deadline),
            StoreKind::Sessions => read_sessions(store, dir, max_row_bytes),
        };
        (store.path.clone(), found)
    }))
}

/// Of each store's `(value, newest activity in ms)` or error, the value with the newest
/// activity; else the first error, a lock winning over the rest. (`--watch` shares this.)
pub fn newest<T>(
    found: impl IntoIterator<Item = (PathBuf, Result<Option<(T, i64)>, Error>)>,
) -> Result<Option<(T, PathBuf)>, Error> {
    let mut best: Option<(T, PathBuf, i64)> = None;
    let mut first_err: Option<Error> = None;
    for (path, found) in found {
        match found {
            Ok(Some((value, when))) => {
                if best.as_ref().is_none_or(|b| when > b.2) {
                    best = Some((value, path, when));
                }
            }
            Ok(None) => {}
            Err(e) => {
                if first_err
                    .as_ref()
                    .is_none_or(|f| e.is_busy() && !f.is_busy())
                {
                    first_err = Some(e);
                }
            }
        }
    }
    match (best, first_err) {
        (Some((v, p, _)), _) => Ok(Some((v, p))),
        (None, Some(e)) => Err(e),
        (None, None) => Ok(None),
    }
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// `(usage, newest activity in ms)` of the directory's row in one SQLite store.
fn read_sqlite(
    store: &Store,
    dir: &str,
    max_row_bytes: u64,
    deadline: Instant,
) -> Result<Option<(Usage, i64)>, Error> {
    let path = &store.path;
    let db = Db::open(path, remaining(deadline))?;
    let row = db
        .row_for_key(dir, max_row_bytes)
        .map_err(|e| Error::sql(path, e))?;
    drop(db);
    let Some(row) = row else { return Ok(None) };
    let (_, usage, when) = parse_row(path, row, max_row_bytes)?;
    Ok(Some((usage, when)))
}

/// A row read from the SQLite store at `path`, counted: `(conversation, usage, newest activity
/// in ms)`. (`--watch` reads rows on its own long-lived connection and keeps the turns.)
pub fn parse_row(
    path: &Path,
    row: RawRow,
    max_row_bytes: u64,
) -> Result<(Conversation, Usage, i64), Error> {
    let value = match row.value {
        Some(v) => v,
        // A NULL value: parsing nothing gives the precise error below.
        None if row.len <= max_row_bytes => Vec::new(),
        None => {
            return Err(Error::RowTooLarge {
                path: path.to_path_buf(),
                key: row.key,
                bytes: row.len,
                max: max_row_bytes,
            })
        }
    };
    let conversation = count::parse(&value).map_err(|source| Error::BadRow {
        path: path.to_path_buf(),
        key: row.key.clone(),
        source,
    })?;
    let mut usage = Usage::from_conversation(&conversation);
    if usage.conversation_id.is_none() {
        usage.conversation_id = row.conversation_id;
    }
    let when = row.updated_ms.or(usage.updated_ms).unwrap_or(0);
    usage.updated_ms = usage.updated_ms.max(row.updated_ms);
    Ok((conversation, usage, when))
}

fn read_sessions(store: &Store, dir: &str, max_bytes: u64) -> Result<Option<(Usage, i64)>, Error> {
    let found = sessions::newest_for_dir(&store.path, dir, max_bytes)
        .map_err(|e| Error::io(&store.path, e))?;
    Ok(found.map(|s| {
        let mut usage = sessions::usage(&s);
        usage.updated_ms = usage.updated_ms.max(s.updated_ms);
        let when = usage.updated_ms.unwrap_or(0);
        (usage, when)
    }))
}
