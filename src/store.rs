//! Reading the chat CLI's SQLite file: read-only, briefly, and without leaving a trace.
//!
//! The CLIs use the default rollback journal, so a reader's shared lock blocks their commit:
//! every read here is one autocommit statement whose result is copied out before the lock is
//! released, and parsing happens after. The connection is opened `SQLITE_OPEN_READ_ONLY`, which
//! never creates a journal, `-wal` or `-shm` file and never changes the file.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::Error;
use crate::fingerprint;

/// Which table layout a database has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Kiro: `conversations_v2(key, conversation_id, value, created_at, updated_at)`.
    KiroV2,
    /// Amazon Q v1.10+: `conversations(key, value)`.
    Conversations,
}

impl Schema {
    pub fn describe(self) -> &'static str {
        match self {
            Schema::KiroV2 => "Kiro v2 (conversations_v2)",
            Schema::Conversations => "Amazon Q (conversations)",
        }
    }
}

/// A row as read from the table, before parsing.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub key: String,
    pub conversation_id: Option<String>,
    /// `updated_at` (unix ms) for Kiro rows.
    pub updated_ms: Option<i64>,
    /// The value's size in bytes.
    pub len: u64,
    /// The JSON text; `None` when it was over the size limit and left unread.
    pub value: Option<Vec<u8>>,
}

/// An open, read-only database.
pub struct Db {
    conn: Connection,
    pub schema: Schema,
}

/// Rows bigger than this are refused before they are read whole.
pub const DEFAULT_MAX_ROW_BYTES: u64 = 64 * 1024 * 1024;

impl Db {
    /// Opens `path` read-only with a busy timeout, after checking it is a SQLite file.
    pub fn open(path: &Path, busy: Duration) -> Result<Db, Error> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(Error::NotSqlite(path.to_path_buf(), "it is a directory"));
        }
        // A FIFO would block the header read below forever; a device is no database either.
        if !meta.is_file() {
            return Err(Error::NotSqlite(path.to_path_buf(), "not a regular file"));
        }
        match fingerprint::read_header(path) {
            Ok(Some(_)) => {}
            Ok(None) => return Err(Error::NotSqlite(path.to_path_buf(), "no SQLite header")),
            Err(e) => return Err(Error::io(path, e)),
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::sql(path, e))?;
        conn.busy_timeout(busy).map_err(|e| Error::sql(path, e))?;
        let schema = detect_schema(&conn).map_err(|e| Error::sql(path, e))?;
        let schema = schema.ok_or_else(|| Error::UnknownSchema(path.to_path_buf()))?;
        Ok(Db { conn, schema })
    }

    /// Waits out a writer's lock in 250 µs steps (up to 500 ms) instead of SQLite's default
    /// 1, 2, 5, 10 ms… back-off: `--watch` asks just as a commit is ending, and the default's
    /// first sleeps alone would add several milliseconds to every update.
    pub fn wait_in_short_steps(&mut self) -> rusqlite::Result<()> {
        fn step(tries: i32) -> bool {
            std::thread::sleep(Duration::from_micros(250));
            tries < 2_000
        }
        self.conn.busy_handler(Some(step))
    }

    /// Changes whenever another connection commits (for `--watch`'s long-lived connection).
    pub fn data_version(&self) -> rusqlite::Result<i64> {
        self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))
    }

    /// The newest row for a directory key, refused by size before its value is read.
    ///
    /// The row is found first (key, id, time, size), then its value is copied with SQLite's
    /// incremental blob I/O straight into a buffer of the exact size: a 10 MB row costs 10 MB
    /// of memory, not the 20 MB of a result column plus its copy. Both steps run in one read
    /// transaction that ends as soon as the copy does; parsing happens after.
    pub fn row_for_key(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> Result<Option<RawRow>, rusqlite::Error> {
        let (sql, table) = match self.schema {
            Schema::KiroV2 => (
                "SELECT rowid, key, conversation_id, updated_at, octet_length(value) \
                 FROM conversations_v2 WHERE key = ?1 ORDER BY updated_at DESC LIMIT 1",
                "conversations_v2",
            ),
            Schema::Conversations => (
                "SELECT rowid, key, NULL, NULL, octet_length(value) \
                 FROM conversations WHERE key = ?1",
                "conversations",
            ),
        };
        let tx = self.conn.unchecked_transaction()?;
        let head = tx
            .prepare_cached(sql)?
            .query_row([key], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    RawRow {
                        key: r.get(1)?,
                        conversation_id: r.get(2)?,
                        updated_ms: r.get(3)?,
                        len: r.get::<_, Option<i64>>(4)?.unwrap_or(0).max(0) as u64,
                        value: None,
                    },
                ))
            })
            .optional()?;
        let Some((rowid, mut row)) = head else {
            return Ok(None);
        };
        if row.len == 0 {
            // Empty or NULL (octet_length is NULL): nothing to copy, and blob I/O refuses NULL.
            row.value = Some(Vec::new());
        } else if row.len <= max_bytes {
            let len = usize::try_from(row.len).unwrap_or(usize::MAX);
            let blob = tx.blob_open(rusqlite::MAIN_DB, table, "value", rowid, true)?;
            let mut buf = vec![0u8; len];
            blob.read_at_exact(&mut buf, 0)?;
            drop(blob);
            row.value = Some(buf);
        }
        tx.commit()?;
        Ok(Some(row))
    }

    /// Every conversation row, newest first for Kiro, streamed one at a time.
    pub fn for_each_row(
        &self,
        max_bytes: u64,
        mut f: impl FnMut(RawRow),
    ) -> Result<(), rusqlite::Error> {
        let sql = match self.schema {
            Schema::KiroV2 => {
                "SELECT key, conversation_id, updated_at, octet_length(value), \
                 CASE WHEN octet_length(value) <= ?1 THEN value END \
                 FROM conversations_v2 ORDER BY updated_at DESC"
            }
            Schema::Conversations => {
                "SELECT key, NULL, NULL, octet_length(value), \
                 CASE WHEN octet_length(value) <= ?1 THEN value END FROM conversations"
            }
        };
        let mut stmt = self.conn.prepare(sql)?;
        let max = i64::try_from(max_bytes).unwrap_or(i64::MAX);
        let mut rows = stmt.query([max])?;
        while let Some(r) = rows.next()? {
            f(read_raw_row(r)?);
        }
        Ok(())
    }

    /// Every conversation row in pages of at most `page_bytes` (plus one row), one short
    /// statement per page: the read lock is held only while a page is copied out, never while
    /// `f` parses it, so a long scan never makes the CLI's commit wait. A row rewritten during
    /// the scan (`INSERT OR REPLACE` gives it a new rowid) can come twice; callers dedupe.
    pub fn for_each_row_paged(
        &self,
        max_bytes: u64,
        page_bytes: u64,
        mut f: impl FnMut(RawRow),
    ) -> Result<(), rusqlite::Error> {
        let sql = match self.schema {
            Schema::KiroV2 => {
                "SELECT key, conversation_id, updated_at, octet_length(value), \
                 CASE WHEN octet_length(value) <= ?1 THEN value END, rowid \
                 FROM conversations_v2 WHERE rowid > ?2 ORDER BY rowid"
            }
            Schema::Conversations => {
                "SELECT key, NULL, NULL, octet_length(value), \
                 CASE WHEN octet_length(value) <= ?1 THEN value END, rowid \
                 FROM conversations WHERE rowid > ?2 ORDER BY rowid"
            }
        };
        let max = i64::try_from(max_bytes).unwrap_or(i64::MAX);
        let mut after = i64::MIN;
        loop {
            let mut page = Vec::new();
            let mut bytes = 0u64;
            {
                let mut stmt = self.conn.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params![max, after])?;
                while let Some(r) = rows.next()? {
                    after = r.get(5)?;
                    let raw = read_raw_row(r)?;
                    bytes += raw.value.as_ref().map_or(0, |v| v.len() as u64);
                    page.push(raw);
                    if bytes >= page_bytes {
                        break;
                    }
                }
            } // The statement is reset here: the lock is released before parsing.
            if page.is_empty() {
                return Ok(());
            }
            page.into_iter().for_each(&mut f);
        }
    }

    /// `(rows, schema)` for `doctor`.
    pub fn row_count(&self) -> rusqlite::Result<i64> {
        let sql = match self.schema {
            Schema::KiroV2 => "SELECT count(*) FROM conversations_v2",
            Schema::Conversations => "SELECT count(*) FROM conversations",
        };
        self.conn.query_row(sql, [], |r| r.get(0))
    }
}

/// Reads the five columns of the queries above, copying the value out of SQLite's buffer.
fn read_raw_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    use rusqlite::types::ValueRef;
    let len: Option<i64> = r.get(3)?;
    let value = match r.get_ref(4)? {
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(b.to_vec()),
        _ => None,
    };
    Ok(RawRow {
        key: r.get(0)?,
        conversation_id: r.get(1)?,
        updated_ms: r.get(2)?,
        len: len.unwrap_or(0).max(0) as u64,
        value,
    })
}

fn detect_schema(conn: &Connection) -> rusqlite::Result<Option<Schema>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name IN ('conversations_v2', 'conversations')",
    )?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(if names.iter().any(|n| n == "conversations_v2") {
        Some(Schema::KiroV2)
    } else if names.iter().any(|n| n == "conversations") {
        Some(Schema::Conversations)
    } else {
        None
    })
}
