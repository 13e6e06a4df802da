//! Every conversation in every store, one at a time, with its per-request rows: the shared
//! stage behind `list`, `report`, `export` and the monthly quota.
//!
//! Rows are streamed ([`Db::for_each_row_paged`], one session file at a time) and handed to a callback,
//! so memory stays at one row's JSON plus the small per-turn rows of one conversation. A row
//! that cannot be read becomes a [`Refused`] item with a short reason; a store that cannot be
//! opened is returned as a [`StoreFailure`]. Nothing aborts the scan.
//!
//! "Context tokens" of a request are what it sent: the whole context at that time. Per history
//! entry that is the service's `context_usage_percentage` × window where the entry has it, else
//! the CLI's byte estimate over the history up to that entry ([`usage::per_turn_pct`]); a Kiro
//! session file gives the real `input_token_count`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::count::{self, tokens_from_bytes, Conversation};
use crate::discover::{self, Store, StoreKind};
use crate::sessions::{self, Session};
use crate::settings::Settings;
use crate::store::{Db, RawRow};
use crate::usage::{self, Source, Usage};

/// Where a turn's context-token figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TurnSource {
    /// Real token counts (Kiro session files).
    Counted,
    /// The service's context percentage × window.
    Backend,
    /// The CLI's byte estimate.
    Estimate,
}

impl TurnSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TurnSource::Counted => "counted",
            TurnSource::Backend => "backend",
            TurnSource::Estimate => "estimate",
        }
    }
}

/// One history entry (SQLite) or user turn (session file).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnRow {
    /// Unix ms: request start, else the user message's timestamp, else the turn's end.
    pub start_ms: Option<i64>,
    pub model: Option<String>,
    /// Requests this row stands for (1 per history entry; `total_request_count` in sessions).
    pub requests: u64,
    /// Tokens of context sent with the request(s).
    pub context_tokens: u64,
    pub source: TurnSource,
    /// Output tokens: real in session files, else estimated from `output_bytes`.
    pub output_tokens: u64,
    pub output_bytes: Option<u64>,
    pub credits: Option<f64>,
}

/// One conversation, read and counted.
#[derive(Debug, Clone)]
pub struct Record {
    /// The store's short name (`kiro`, `amazon-q`, `kiro-sessions`, `db`).
    pub store: &'static str,
    pub db: PathBuf,
    /// The directory key (session files: their `cwd`).
    pub dir: String,
    pub usage: Usage,
    pub turns: Vec<TurnRow>,
}

impl Record {
    /// Σ of the credits the data records (SQLite rows keep only the current user turn's).
    pub fn credits(&self) -> Option<f64> {
        sum_known(self.turns.iter().map(|t| t.credits))
    }

    pub fn requests(&self) -> u64 {
        self.turns.iter().map(|t| t.requests).sum()
    }
}

/// Σ of the `Some` values, `None` when there are none.
pub fn sum_known(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

/// A conversation row that could not be read, with a short reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub store: &'static str,
    pub db: PathBuf,
    pub dir: String,
    pub conversation_id: Option<String>,
    pub updated_ms: Option<i64>,
    pub reason: String,
}

/// What the scan yields per conversation.
#[derive(Debug, Clone)]
pub enum Item {
    Conversation(Record),
    Refused(Refused),
}

impl Item {
    pub fn last_ms(&self) -> Option<i64> {
        match self {
            Item::Conversation(r) => r.usage.updated_ms,
            Item::Refused(r) => r.updated_ms,
        }
    }
}

/// A store that could not be read at all.
#[derive(Debug, Clone)]
pub struct StoreFailure {
    pub store: Store,
    pub error: String,
}

/// The stores a subcommand reads (`--db`, else discovery), or the "no store" error naming
/// where it looked.
pub fn stores(s: &Settings) -> anyhow::Result<Vec<Store>> {
    Ok(discover::find(s.db.as_deref(), s.sessions_dir.as_deref())?)
}

/// How long a subcommand waits for a lock: longer than a prompt, the user is waiting anyway.
pub const BUSY: Duration = Duration::from_secs(2);

/// Reads every conversation of every store, calling `f` once per conversation.
pub fn scan(
    stores: &[Store],
    max_row_bytes: u64,
    busy: Duration,
    mut f: impl FnMut(Item),
) -> Vec<StoreFailure> {
    let mut failures = Vec::new();
    for store in stores {
        let result = match store.kind {
            StoreKind::Sqlite => scan_sqlite(store, max_row_bytes, busy, &mut f),
            StoreKind::Sessions => scan_sessions(store, max_row_bytes, &mut f),
        };
        if let Err(error) = result {
            failures.push(StoreFailure {
                store: store.clone(),
                error,
            });
        }
    }
    failures
}

fn scan_sqlite(
    store: &Store,
    max: u64,
    busy: Duration,
    f: &mut impl FnMut(Item),
) -> Result<(), String> {
    let db = Db::open(&store.path, busy).map_err(|e| e.to_string())?;
    // A row rewritten mid-scan can come twice (new rowid): the first copy counts.
    let mut seen = HashSet::new();
    db.for_each_row_paged(max, PAGE_BYTES, |row| {
        if seen.insert((row.key.clone(), row.conversation_id.clone())) {
            f(from_row(store, row, max));
        }
    })
    .map_err(|e| crate::error::Error::sql(&store.path, e).to_string())
}

/// Bytes of row values copied out of SQLite per statement.
const PAGE_BYTES: u64 = 8 * 1024 * 1024;

/// One SQLite row as an [`Item`].
pub fn from_row(store: &Store, row: RawRow, max: u64) -> Item {
    let refused = |reason: String, row: &RawRow| {
        Item::Refused(Refused {
            store: store.label,
            db: store.path.clone(),
            dir: row.key.clone(),
            conversation_id: row.conversation_id.clone(),
            updated_ms: row.updated_ms,
            reason,
        })
    };
    let Some(value) = &row.value else {
        return refused(over_limit(row.len, max), &row);
    };
    match count::parse(value) {
        Ok(c) => Item::Conversation(record_from_conversation(store, &row, &c)),
        Err(e) => refused(format!("not conversation JSON: {e}"), &row),
    }
}

fn over_limit(len: u64, max: u64) -> String {
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    format!(
        "{:.1} MB, over the {:.0} MB limit (max_row_mb)",
        mb(len),
        mb(max)
    )
}

fn record_from_conversation(store: &Store, row: &RawRow, c: &Conversation) -> Record {
    let mut u = Usage::from_conversation(c);
    if u.conversation_id.is_none() {
        u.conversation_id = row.conversation_id.clone();
    }
    u.updated_ms = u.updated_ms.max(row.updated_ms);
    let window = u.window as f64;
    let last = c.turns.len().saturating_sub(1);
    let turns = c
        .turns
        .iter()
        .zip(usage::per_turn_pct(c, u.window))
        .enumerate()
        .map(|(i, (t, (_, pct, source)))| TurnRow {
            start_ms: t.start_ms.or(t.end_ms),
            model: t.model_id.clone().or_else(|| c.model.clone()),
            requests: 1,
            context_tokens: (pct / 100.0 * window).round().max(0.0) as u64,
            source: match source {
                Source::Backend => TurnSource::Backend,
                Source::Estimate => TurnSource::Estimate,
            },
            output_tokens: tokens_from_bytes(t.assistant_bytes),
            output_bytes: Some(t.assistant_bytes),
            // The row keeps the credits of the current user turn only: they belong to its end.
            credits: if i == last { c.credits } else { None },
        })
        .collect();
    Record {
        store: store.label,
        db: store.path.clone(),
        dir: row.key.clone(),
        usage: u,
        turns,
    }
}

fn scan_sessions(store: &Store, max: u64, f: &mut impl FnMut(Item)) -> Result<(), String> {
    let mut files =
        sessions::files(&store.path).map_err(|e| format!("{}: {e}", store.path.display()))?;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, meta) in files {
        f(read_session(store, &path, meta.len(), max));
    }
    Ok(())
}

/// One session file as an [`Item`].
pub fn read_session(store: &Store, path: &Path, len: u64, max: u64) -> Item {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let refused = |reason: String| {
        Item::Refused(Refused {
            store: store.label,
            db: path.to_path_buf(),
            dir: format!("({name})"),
            conversation_id: None,
            updated_ms: None,
            reason,
        })
    };
    if len > max {
        return refused(over_limit(len, max));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return refused(format!("unreadable: {e}")),
    };
    match sessions::parse(path, &bytes) {
        Ok(s) => Item::Conversation(record_from_session(store, s)),
        Err(e) => refused(format!("not a session file: {e}")),
    }
}

fn record_from_session(store: &Store, s: Session) -> Record {
    let mut u = sessions::usage(&s);
    u.updated_ms = u.updated_ms.max(s.updated_ms);
    let window = u.window as f64;
    let c = &s.conversation;
    let turns = c
        .turns
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (input, output) = s.token_counts.get(i).copied().unwrap_or_default();
            let (context_tokens, source) = match (input, t.backend_pct) {
                (Some(n), _) => (n, TurnSource::Counted),
                (None, Some(p)) if p.is_finite() => (
                    (p / 100.0 * window).round().max(0.0) as u64,
                    TurnSource::Backend,
                ),
                _ => (0, TurnSource::Estimate),
            };
            TurnRow {
                start_ms: t.start_ms.or(t.end_ms),
                model: c.model.clone(),
                requests: s.requests_per_turn.get(i).copied().unwrap_or(1),
                context_tokens,
                source,
                output_tokens: output.unwrap_or(0),
                output_bytes: None,
                credits: s.credits_per_turn.get(i).copied().flatten(),
            }
        })
        .collect();
    Record {
        store: store.label,
        db: s.path.clone(),
        dir: s.cwd.clone(),
        usage: u,
        turns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_row_turns() {
        let store = Store::sqlite(PathBuf::from("/x.sqlite3"), "kiro");
        let json = br#"{"conversation_id":"c","model_info":{"model_id":"m","context_window_tokens":1000},
            "user_turn_metadata":{"usage_info":[{"value":0.5}]},
            "history":[
            {"user":{"content":{"Prompt":{"prompt":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}},"assistant":{"Response":{"content":"bb"}},"request_metadata":{"request_start_timestamp_ms":1000,"model_id":"m0"}},
            {"user":{"content":{"Prompt":{"prompt":"c"}}},"assistant":{"Response":{"content":"dd"}},"request_metadata":{"context_usage_percentage":12.5,"request_start_timestamp_ms":2000}}]}"#;
        let row = RawRow {
            key: "/p".into(),
            conversation_id: Some("c".into()),
            updated_ms: Some(3000),
            len: json.len() as u64,
            value: Some(json.to_vec()),
        };
        let Item::Conversation(r) = from_row(&store, row, u64::MAX) else {
            panic!("refused")
        };
        assert_eq!(r.turns.len(), 2);
        assert_eq!(r.turns[0].source, TurnSource::Estimate);
        assert_eq!(r.turns[0].context_tokens, tokens_from_bytes(42));
        assert_eq!(r.turns[0].model.as_deref(), Some("m0"));
        assert_eq!(r.turns[0].credits, None);
        assert_eq!(r.turns[1].source, TurnSource::Backend);
        assert_eq!(r.turns[1].context_tokens, 125);
        assert_eq!(r.turns[1].model.as_deref(), Some("m"));
        assert_eq!(r.turns[1].credits, Some(0.5));
        assert_eq!(r.usage.updated_ms, Some(3000));
    }

    #[test]
    fn paged_scan_reads_every_row_once_across_pages() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("q.sqlite3");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE conversations (key TEXT PRIMARY KEY, value TEXT);")
            .unwrap();
        for i in 0..7 {
            let v = format!(r#"{{"conversation_id":"c{i}","history":[]}}"#);
            c.execute(
                "INSERT INTO conversations VALUES (?1, ?2)",
                [format!("/d{i}"), v],
            )
            .unwrap();
        }
        drop(c);
        let db = Db::open(&path, Duration::from_millis(100)).unwrap();
        for page in [1, 100, u64::MAX] {
            let mut keys = Vec::new();
            db.for_each_row_paged(u64::MAX, page, |r| keys.push(r.key))
                .unwrap();
            assert_eq!(keys, (0..7).map(|i| format!("/d{i}")).collect::<Vec<_>>());
        }
        let store = Store::sqlite(path, "amazon-q");
        let mut n = 0;
        let failures = scan(&[store], u64::MAX, Duration::from_millis(100), |_| n += 1);
        assert!(failures.is_empty());
        assert_eq!(n, 7);
    }

    #[test]
    fn refused_rows_say_why() {
        let store = Store::sqlite(PathBuf::from("/x.sqlite3"), "amazon-q");
        let row = |value: Option<&[u8]>, len| RawRow {
            key: "/p".into(),
            conversation_id: None,
            updated_ms: None,
            len,
            value: value.map(<[u8]>::to_vec),
        };
        let Item::Refused(r) = from_row(&store, row(None, 80 << 20), 64 << 20) else {
            panic!()
        };
        assert_eq!(r.reason, "80.0 MB, over the 64 MB limit (max_row_mb)");
        let Item::Refused(r) = from_row(&store, row(Some(b"{oops"), 5), 100) else {
            panic!()
        };
        assert!(
            r.reason.starts_with("not conversation JSON"),
            "{}",
            r.reason
        );
    }
}
