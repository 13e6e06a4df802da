//! The stores `--watch` follows: one long-lived read-only connection per SQLite file, asked
//! `PRAGMA data_version` to confirm a change before the row is read again, and the same stages
//! as the segment ([`discover`], [`Db`], [`segment::parse_row`], [`sessions`]) for the reading.
//!
//! Every query is one short autocommit statement: the connection holds no lock between reads,
//! so the chat CLI's writer (rollback journal) is never blocked by it. A file that disappears,
//! is replaced (new inode) or changes its permissions gets its connection reopened.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::count::Conversation;
use crate::discover::{self, Locations, Store, StoreKind};
use crate::error::Error;
use crate::settings::Settings;
use crate::store::Db;
use crate::usage::Usage;
use crate::{segment, sessions};

/// How long opening waits for the chat CLI's commit (later queries: see
/// [`Db::wait_in_short_steps`]).
const BUSY: Duration = Duration::from_millis(500);

/// What one read of all stores found.
#[derive(Debug, Default)]
pub struct Reading {
    /// The newest conversation for the directory, and the store it came from.
    pub found: Option<(Conversation, Usage, PathBuf)>,
    /// Stores that could not be read: `(path, what is wrong)`.
    pub problems: Vec<(PathBuf, String)>,
    /// A store was locked past [`BUSY`]: worth another try soon.
    pub busy: bool,
    /// There is no store at all: why, as the segment would say it.
    pub no_store: Option<String>,
}

/// The identity of a file as far as a reader cares: replaced, or its permissions changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    mode: u32,
}

fn file_id(path: &Path) -> Option<FileId> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            mode: meta.mode(),
        })
    }
    #[cfg(not(unix))]
    {
        Some(FileId {
            dev: 0,
            ino: 0,
            mode: u32::from(meta.permissions().readonly()),
        })
    }
}

enum Conn {
    Sqlite {
        db: Option<Db>,
        id: Option<FileId>,
        version: Option<i64>,
        /// Why `db` is `None` while the file exists.
        open_error: Option<String>,
    },
    Sessions {
        fingerprint: Option<String>,
    },
}

struct Watched {
    store: Store,
    conn: Conn,
}

/// All stores for one directory, with their connections.
pub struct Source {
    dir: String,
    explicit: Option<PathBuf>,
    sessions_dir: Option<PathBuf>,
    max_row_bytes: u64,
    stores: Vec<Watched>,
}

impl Source {
    pub fn new(s: &Settings) -> Source {
        let mut src = Source {
            dir: s.dir.clone(),
            explicit: s.db.clone(),
            sessions_dir: s.sessions_dir.clone(),
            max_row_bytes: s.max_row_bytes,
            stores: Vec::new(),
        };
        src.rediscover();
        src
    }

    /// Adds stores that have appeared since the last look. A store once seen stays followed,
    /// so that its disappearance is reported and its return picked up.
    pub fn rediscover(&mut self) -> bool {
        let found = discover::stores(
            self.explicit.as_deref(),
            self.sessions_dir.as_deref(),
            &Locations::from_env(),
        );
        let mut added = false;
        for store in found {
            if self.stores.iter().all(|w| w.store.path != store.path) {
                let conn = match store.kind {
                    StoreKind::Sqlite => Conn::Sqlite {
                        db: None,
                        id: None,
                        version: None,
                        open_error: None,
                    },
                    StoreKind::Sessions => Conn::Sessions { fingerprint: None },
                };
                self.stores.push(Watched { store, conn });
                added = true;
            }
        }
        added
    }

    pub fn stores(&self) -> impl Iterator<Item = &Store> {
        self.stores.iter().map(|w| &w.store)
    }

    /// Whether any store may read differently than at the last check: a commit
    /// (`data_version`), a file that came, went or was replaced, a session file rewritten.
    pub fn check(&mut self) -> bool {
        let mut changed = false;
        for w in &mut self.stores {
            changed |= check_one(w);
        }
        changed
    }

    /// Reads the directory's conversation from every store and keeps the newest.
    pub fn read(&mut self) -> Reading {
        let mut reading = Reading::default();
        if self.stores.is_empty() {
            let looked: Vec<String> = match &self.explicit {
                Some(p) => vec![p.display().to_string()],
                None => Locations::from_env()
                    .default_stores()
                    .iter()
                    .map(|st| st.path.display().to_string())
                    .collect(),
            };
            reading.no_store = Some(Error::NoStore(looked.join(", ")).to_string());
            return reading;
        }
        let mut ok = Vec::with_capacity(self.stores.len());
        for w in &self.stores {
            match read_one(w, &self.dir, self.max_row_bytes) {
                Ok(found) => ok.push((w.store.path.clone(), Ok(found))),
                Err(Problem { text, busy }) => {
                    reading.busy |= busy;
                    reading.problems.push((w.store.path.clone(), text));
                }
            }
        }
        // Only successes go in, so `newest` cannot fail; an error would be a bug, shown.
        match segment::newest(ok) {
            Ok(best) => reading.found = best.map(|((c, u), p)| (c, u, p)),
            Err(e) => reading.problems.push((PathBuf::new(), e.to_string())),
        }
        reading
    }
}

struct Problem {
    text: String,
    busy: bool,
}

impl From<Error> for Problem {
    fn from(e: Error) -> Problem {
        Problem {
            busy: e.is_busy(),
            text: e.to_string(),
        }
    }
}

fn check_one(w: &mut Watched) -> bool {
    let path = &w.store.path;
    match &mut w.conn {
        Conn::Sessions { fingerprint } => {
            let now = sessions::fingerprint(path);
            let changed = now != *fingerprint;
            *fingerprint = now;
            changed
        }
        Conn::Sqlite {
            db,
            id,
            version,
            open_error,
        } => {
            let now = file_id(path);
            if now != *id || (now.is_some() && db.is_none()) {
                *id = now;
                *db = None;
                *version = None;
                *open_error = None;
                if now.is_some() {
                    match Db::open(path, BUSY) {
                        Ok(mut d) => {
                            // Not fatal: the default back-off only answers a little later.
                            let _ = d.wait_in_short_steps();
                            // Taken before the row is read: a commit in between shows up
                            // as a change at the next check.
                            *version = d.data_version().ok();
                            *db = Some(d);
                        }
                        Err(e) => *open_error = Some(e.to_string()),
                    }
                }
                return true;
            }
            match db.as_ref().map(Db::data_version) {
                Some(Ok(v)) if Some(v) == *version => false,
                Some(Ok(v)) => {
                    *version = Some(v);
                    true
                }
                // Locked or failing: let the read say what is wrong.
                Some(Err(_)) => true,
                None => false,
            }
        }
    }
}

type Found = Option<((Conversation, Usage), i64)>;

fn read_one(w: &Watched, dir: &str, max_row_bytes: u64) -> Result<Found, Problem> {
    let path = &w.store.path;
    match &w.conn {
        Conn::Sqlite {
            db, open_error, id, ..
        } => {
            let Some(db) = db else {
                let text = match (open_error, id) {
                    (Some(e), _) => format!("unreadable: {e}"),
                    (None, None) => format!("gone: {} (waiting for it)", path.display()),
                    (None, Some(_)) => format!("not opened yet: {}", path.display()),
                };
                return Err(Problem { text, busy: false });
            };
            let row = db
                .row_for_key(dir, max_row_bytes)
                .map_err(|e| Error::sql(path, e))?;
            let Some(row) = row else { return Ok(None) };
            let (c, u, when) = segment::parse_row(path, row, max_row_bytes)?;
            Ok(Some(((c, u), when)))
        }
        Conn::Sessions { .. } => {
            let found = sessions::newest_for_dir(path, dir, max_row_bytes)
                .map_err(|e| Error::io(path, e))?;
            Ok(found.map(|s| {
                let mut u = sessions::usage(&s);
                u.updated_ms = u.updated_ms.max(s.updated_ms);
                let when = u.updated_ms.unwrap_or(0);
                ((s.conversation, u), when)
            }))
        }
    }
}

/// Whether a changed path can change what a store reads: the database, its `-journal`,
/// `-wal` and `-shm` files, or anything in a session folder.
pub fn concerns(store: &Store, changed: &Path) -> bool {
    match store.kind {
        StoreKind::Sessions => changed.starts_with(&store.path),
        StoreKind::Sqlite => {
            let (Some(name), Some(changed_name)) = (store.path.file_name(), changed.file_name())
            else {
                return false;
            };
            if changed.parent() != store.path.parent() {
                return false;
            }
            let name = name.as_encoded_bytes();
            let changed_name = changed_name.as_encoded_bytes();
            changed_name == name
                || [&b"-journal"[..], b"-wal", b"-shm"]
                    .iter()
                    .any(|sfx| changed_name.strip_prefix(name) == Some(sfx))
        }
    }
}

/// What to hand to the file watcher for a store: its folder, and the file itself if it
/// exists (with its identity, so a replaced file gets a fresh watch).
pub fn watch_targets(store: &Store) -> Vec<(PathBuf, Option<u64>)> {
    match store.kind {
        StoreKind::Sessions if store.path.is_dir() => vec![(store.path.clone(), None)],
        StoreKind::Sessions => Vec::new(),
        StoreKind::Sqlite => {
            let mut out = Vec::with_capacity(2);
            if let Some(parent) = store.path.parent().filter(|p| p.is_dir()) {
                out.push((parent.to_path_buf(), None));
            }
            if let Some(id) = file_id(&store.path) {
                out.push((store.path.clone(), Some(id.ino)));
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concerns_the_database_and_its_journals_only() {
        let s = Store::sqlite(PathBuf::from("/d/data.sqlite3"), "db");
        assert!(concerns(&s, Path::new("/d/data.sqlite3")));
        assert!(concerns(&s, Path::new("/d/data.sqlite3-journal")));
        assert!(concerns(&s, Path::new("/d/data.sqlite3-wal")));
        assert!(!concerns(&s, Path::new("/d/data.sqlite3.bak")));
        assert!(!concerns(&s, Path::new("/d/log.txt")));
        assert!(!concerns(&s, Path::new("/e/data.sqlite3")));
        let f = Store::sessions(PathBuf::from("/s"));
        assert!(concerns(&f, Path::new("/s/abc.json")));
        assert!(!concerns(&f, Path::new("/t/abc.json")));
    }
}
