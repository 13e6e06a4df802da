//! The identity of a store's current contents, cheap enough to take on every prompt:
//! `stat` plus one 100-byte read of the SQLite header, never a SQLite open.
//!
//! A fingerprint changes whenever a commit could have changed what we would read: the header's
//! file change counter (bytes 24..28) is bumped by every commit in rollback-journal mode, and
//! size, mtime (ns) and inode catch a replaced file. In WAL mode the `-wal` file's size and mtime
//! stand in for the counter.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use crate::discover::{Store, StoreKind};

/// The SQLite magic string, the first 16 bytes of every database file.
pub const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Facts about a SQLite file read from its header without opening it as a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub change_counter: u32,
    pub page_size: u32,
    /// Bytes 18 and 19: 2 for WAL, 1 for the rollback journal.
    pub wal_mode: bool,
}

/// Reads and checks the 100-byte header. `None` for a file that is not SQLite.
pub fn read_header(path: &Path) -> std::io::Result<Option<Header>> {
    let mut buf = [0u8; 100];
    let mut f = File::open(path)?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    if n < 100 || &buf[..16] != SQLITE_MAGIC {
        return Ok(None);
    }
    let page_size = match u32::from(u16::from_be_bytes([buf[16], buf[17]])) {
        1 => 65_536,
        p => p,
    };
    Ok(Some(Header {
        change_counter: u32::from_be_bytes([buf[24], buf[25], buf[26], buf[27]]),
        page_size,
        wal_mode: buf[18] == 2 || buf[19] == 2,
    }))
}

fn push_stat(out: &mut String, meta: &fs::Metadata) {
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let _ = write!(out, "{}:{}", meta.len(), mtime_ns);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = write!(out, ":{}:{}", meta.dev(), meta.ino());
    }
}

/// A string that changes when the store's readable contents may have changed.
/// `None` when the store is missing (then it takes no part in the key).
pub fn of(store: &Store) -> Option<String> {
    match store.kind {
        StoreKind::Sqlite => sqlite(&store.path),
        StoreKind::Sessions => crate::sessions::fingerprint(&store.path),
    }
}

fn sqlite(path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    let mut out = String::with_capacity(96);
    out.push_str("s:");
    push_stat(&mut out, &meta);
    if meta.is_file() {
        match read_header(path) {
            Ok(Some(h)) => {
                let _ = write!(out, ":c{}", h.change_counter);
            }
            Ok(None) => out.push_str(":notsqlite"),
            Err(_) => out.push_str(":unreadable"),
        }
    }
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(m) = fs::metadata(&wal) {
        out.push_str(":w");
        push_stat(&mut out, &m);
    }
    Some(out)
}

/// The key for a whole segment run: every store's fingerprint, in order.
pub fn combined(stores: &[Store]) -> String {
    combined_with(stores, of)
}

/// [`combined`] for one directory's prompt: a session folder is fingerprinted by its own mtime
/// and that directory's session files only ([`crate::sessions::fingerprint_for_dir`]).
pub fn combined_for_dir(stores: &[Store], dir: &str) -> String {
    combined_with(stores, |s| match s.kind {
        StoreKind::Sqlite => of(s),
        StoreKind::Sessions => crate::sessions::fingerprint_for_dir(&s.path, dir),
    })
}

fn combined_with(stores: &[Store], of: impl Fn(&Store) -> Option<String>) -> String {
    let mut out = String::new();
    for s in stores {
        if let Some(fp) = of(s) {
            out.push_str(&s.path.to_string_lossy());
            out.push('=');
            out.push_str(&fp);
            out.push(';');
        }
    }
    out
}
