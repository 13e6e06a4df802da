//! The per-user prompt cache: the last [`Usage`] computed for each directory, keyed by the
//! stores' fingerprints, so a prompt in an unchanged directory never opens SQLite.
//!
//! File format (version in the first line, one entry per line, newest first):
//!
//! ```text
//! q-status-cache 1
//! <16 hex digits: FNV-1a of the dir>\t<JSON entry>
//! ```
//!
//! A lookup reads the file once and parses only the line whose hash matches. Writes take an
//! exclusive `fs4` lock on a separate lock file, rewrite the whole file to a temporary name and
//! rename it into place, so readers (which take no lock) always see a complete file. Anything
//! unreadable is treated as a miss and overwritten: the cache can cost speed, never correctness.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::usage::Usage;

const MAGIC: &str = "q-status-cache 1";
const FILE_NAME: &str = "segments-v1";
/// Entries kept; the oldest are dropped beyond this.
pub const MAX_ENTRIES: usize = 256;

/// One directory's last result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub dir: String,
    /// [`crate::fingerprint::combined`] at the time of the read.
    pub key: String,
    /// The store the usage came from.
    pub db: Option<String>,
    /// `None`: the directory has no conversation (a cached negative answer).
    pub usage: Option<Usage>,
}

/// Where the cache lives: `$Q_STATUS_CACHE_DIR`, else `$XDG_RUNTIME_DIR/q-status`, else the
/// platform cache dir. Never a shared `/tmp` path.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("Q_STATUS_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("q-status"));
    }
    crate::discover::base_dirs().map(|b| b.cache_dir().join("q-status"))
}

/// The cache in one directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

fn dir_hash(dir: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in dir.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Cache {
    pub fn new(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// The entry for `dir`, whatever its key. `None` on a miss or any read problem.
    pub fn get(&self, dir: &str) -> Option<Entry> {
        let text = fs::read_to_string(self.path()).ok()?;
        find(&text, dir)
    }

    /// Stores `entry`, replacing the directory's previous one. Errors are returned for
    /// `doctor` and `--verbose`; the prompt ignores them.
    pub fn put(&self, entry: &Entry) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700));
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(format!("{FILE_NAME}.lock")))?;
        // Another prompt is writing: skip ours rather than wait (the next run retries).
        if fs4::FileExt::try_lock(&lock).is_err() {
            return Ok(());
        }
        let result = self.rewrite(entry);
        let _ = fs4::FileExt::unlock(&lock);
        result
    }

    fn rewrite(&self, entry: &Entry) -> std::io::Result<()> {
        let path = self.path();
        let old = fs::read_to_string(&path).unwrap_or_default();
        let line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        let mut out = String::with_capacity(old.len() + line.len() + 32);
        out.push_str(MAGIC);
        out.push('\n');
        let hash = dir_hash(&entry.dir);
        push_line(&mut out, hash, &line);
        if old.starts_with(MAGIC) {
            let mut kept = 1;
            for l in old.lines().skip(1) {
                if kept >= MAX_ENTRIES {
                    break;
                }
                match parse_line(l) {
                    Some((h, json)) if h != hash || !entry_is_for(json, &entry.dir) => {
                        out.push_str(l);
                        out.push('\n');
                        kept += 1;
                    }
                    _ => {}
                }
            }
        }
        let tmp = self
            .dir
            .join(format!("{FILE_NAME}.tmp.{}", std::process::id()));
        let written = write_file(&tmp, out.as_bytes()).and_then(|()| fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.flush()
}

fn push_line(out: &mut String, hash: u64, json: &str) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "{hash:016x}\t{json}");
}

fn parse_line(l: &str) -> Option<(u64, &str)> {
    let (h, json) = l.split_once('\t')?;
    Some((u64::from_str_radix(h, 16).ok()?, json))
}

fn entry_is_for(json: &str, dir: &str) -> bool {
    serde_json::from_str::<Entry>(json).is_ok_and(|e| e.dir == dir)
}

/// The entry for `dir` in cache file text: what [`Cache::get`] does once it has read the file.
/// Public so tests and the fuzzer can feed it any text.
pub fn lookup(text: &str, dir: &str) -> Option<Entry> {
    find(text, dir)
}

/// Every entry in cache file text, in file order, with whether its line's hash matches its
/// directory. `None` when the text is not a cache file. Lines that do not parse are skipped,
/// as a lookup skips them.
pub fn entries(text: &str) -> Option<Vec<(Entry, bool)>> {
    let mut lines = text.lines();
    if lines.next()? != MAGIC {
        return None;
    }
    Some(
        lines
            .filter_map(parse_line)
            .filter_map(|(h, json)| {
                let e = serde_json::from_str::<Entry>(json).ok()?;
                let hash_ok = dir_hash(&e.dir) == h;
                Some((e, hash_ok))
            })
            .collect(),
    )
}

/// Finds `dir`'s entry in the cache text; only the lines with the right hash are parsed.
fn find(text: &str, dir: &str) -> Option<Entry> {
    let mut lines = text.lines();
    if lines.next()? != MAGIC {
        return None;
    }
    let want = dir_hash(dir);
    lines
        .filter_map(parse_line)
        .filter(|(h, _)| *h == want)
        .filter_map(|(_, json)| serde_json::from_str::<Entry>(json).ok())
        .find(|e| e.dir == dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dir: &str, key: &str) -> Entry {
        Entry {
            dir: dir.into(),
            key: key.into(),
            db: None,
            usage: None,
        }
    }

    #[test]
    fn put_get_replace() {
        let tmp = tempfile::tempdir().unwrap();
        let c = Cache::new(tmp.path().join("c"));
        assert_eq!(c.get("/a"), None);
        c.put(&entry("/a", "k1")).unwrap();
        c.put(&entry("/b", "k2")).unwrap();
        c.put(&entry("/a", "k3")).unwrap();
        assert_eq!(c.get("/a").unwrap().key, "k3");
        assert_eq!(c.get("/b").unwrap().key, "k2");
        let text = fs::read_to_string(c.path()).unwrap();
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn corrupt_or_foreign_file_is_a_miss_and_is_rewritten() {
        let tmp = tempfile::tempdir().unwrap();
        let c = Cache::new(tmp.path().to_path_buf());
        fs::write(c.path(), b"\x00\xffgarbage\n\tnot json").unwrap();
        assert_eq!(c.get("/a"), None);
        c.put(&entry("/a", "k")).unwrap();
        assert_eq!(c.get("/a").unwrap().key, "k");
        let h = format!("{:016x}\t{{broken", dir_hash("/b"));
        fs::write(c.path(), format!("{MAGIC}\n{h}\n")).unwrap();
        assert_eq!(c.get("/b"), None);
    }

    #[test]
    fn bounded_entries() {
        let tmp = tempfile::tempdir().unwrap();
        let c = Cache::new(tmp.path().to_path_buf());
        for i in 0..MAX_ENTRIES + 20 {
            c.put(&entry(&format!("/d{i}"), "k")).unwrap();
        }
        let text = fs::read_to_string(c.path()).unwrap();
        assert_eq!(text.lines().count(), MAX_ENTRIES + 1);
        assert!(c.get(&format!("/d{}", MAX_ENTRIES + 19)).is_some());
        assert!(c.get("/d0").is_none());
    }
}
