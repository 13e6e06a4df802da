//! An index of a Kiro session folder (`cwd` of every `<uuid>.json`), kept in the cache dir so a
//! prompt never parses every session file.
//!
//! A session's `cwd` never changes, so the index maps file name → cwd and is trusted while the
//! folder's mtime is the one it was built for: a new or removed session file changes the folder's
//! mtime, a session rewritten in place does not need a new entry. On a change the index is
//! rebuilt incrementally: names already known keep their cwd, only new files are parsed.
//!
//! Two guards: a folder mtime within [`SETTLE_NS`] of the build is not trusted (timestamps are
//! coarse, a file created in the same tick would be missed), and a file that did not parse (a
//! session being written) is remembered with its size and mtime and retried once they change.
//!
//! File: `<cache dir>/sessions-index-v1-<FNV-1a of the folder>`, one JSON document, written to a
//! temporary name and renamed into place. Anything unreadable is rebuilt.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const VERSION: u32 = 1;
/// How long after the folder's last change an index must have been built to be trusted.
pub const SETTLE_NS: u64 = 2_000_000_000;

/// One session file in the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexedFile {
    pub name: String,
    /// `None`: the file did not parse when indexed; retried when `stamp` changes.
    pub cwd: Option<String>,
    /// `(size, mtime ns)`, kept only for files without a cwd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp: Option<(u64, u64)>,
}

/// The index of one folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub version: u32,
    pub folder: String,
    pub folder_mtime_ns: u64,
    pub built_ns: u64,
    pub files: Vec<IndexedFile>,
}

/// How an [`Index`] was obtained, for `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Read from the cache and still valid.
    Cached,
    /// Built (or updated) now.
    Rebuilt,
}

/// `(size, mtime ns)` of a file's metadata.
pub fn stamp(meta: &fs::Metadata) -> (u64, u64) {
    (meta.len(), mtime_ns(meta))
}

pub fn mtime_ns(meta: &fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Where the index of `folder` lives in `cache_dir`.
pub fn path_for(cache_dir: &Path, folder: &Path) -> PathBuf {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in folder.as_os_str().as_encoded_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    cache_dir.join(format!("sessions-index-v{VERSION}-{h:016x}"))
}

impl Index {
    /// The names of the session files whose cwd is `cwd`.
    pub fn candidates<'a>(&'a self, cwd: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files
            .iter()
            .filter(move |f| f.cwd.as_deref() == Some(cwd))
            .map(|f| f.name.as_str())
    }

    /// Whether this index still describes `folder` whose mtime is `folder_mtime`.
    fn valid_for(&self, folder: &Path, folder_mtime: u64) -> bool {
        self.version == VERSION
            && self.folder == folder.to_string_lossy()
            && self.folder_mtime_ns == folder_mtime
            && self.built_ns >= folder_mtime.saturating_add(SETTLE_NS)
            && self.files.iter().all(|f| match f.stamp {
                None => true,
                Some(st) => fs::metadata(folder.join(&f.name)).is_ok_and(|m| stamp(&m) == st),
            })
    }
}

/// The index of `folder`: the cached one if still valid, else rebuilt (and saved when
/// `cache_dir` is given; a failed save only costs speed).
pub fn load_or_build(
    folder: &Path,
    cache_dir: Option<&Path>,
    max_bytes: u64,
) -> std::io::Result<(Index, Freshness)> {
    let folder_mtime = mtime_ns(&fs::metadata(folder)?);
    let path = cache_dir.map(|d| path_for(d, folder));
    let old = path
        .as_ref()
        .and_then(|p| fs::read(p).ok())
        .and_then(|b| serde_json::from_slice::<Index>(&b).ok());
    if let Some(idx) = &old {
        if idx.valid_for(folder, folder_mtime) {
            return Ok((idx.clone(), Freshness::Cached));
        }
    }
    let idx = build(folder, folder_mtime, old.as_ref(), max_bytes)?;
    if let (Some(p), Some(dir)) = (&path, cache_dir) {
        let _ = save(dir, p, &idx);
    }
    Ok((idx, Freshness::Rebuilt))
}

fn build(
    folder: &Path,
    folder_mtime: u64,
    old: Option<&Index>,
    max_bytes: u64,
) -> std::io::Result<Index> {
    let built_ns = now_ns();
    let known: HashMap<&str, &str> = old
        .filter(|o| o.version == VERSION && o.folder == folder.to_string_lossy())
        .map(|o| {
            o.files
                .iter()
                .filter_map(|f| Some((f.name.as_str(), f.cwd.as_deref()?)))
                .collect()
        })
        .unwrap_or_default();
    let mut files = Vec::new();
    for (path, meta) in crate::sessions::files(folder)? {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(cwd) = known.get(name) {
            files.push(IndexedFile {
                name: name.to_owned(),
                cwd: Some((*cwd).to_owned()),
                stamp: None,
            });
            continue;
        }
        let cwd = if meta.len() <= max_bytes {
            fs::read(&path)
                .ok()
                .and_then(|b| crate::sessions::cwd_of(&b))
        } else {
            None
        };
        let stamp = cwd.is_none().then(|| stamp(&meta));
        files.push(IndexedFile {
            name: name.to_owned(),
            cwd,
            stamp,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Index {
        version: VERSION,
        folder: folder.to_string_lossy().into_owned(),
        folder_mtime_ns: folder_mtime,
        built_ns,
        files,
    })
}

fn save(dir: &Path, path: &Path, idx: &Index) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let bytes = serde_json::to_vec(idx).map_err(std::io::Error::other)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp.{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(cwd: &str) -> String {
        format!(r#"{{"session_id":"s","cwd":"{cwd}","session_state":{{}}}}"#)
    }

    #[test]
    fn builds_reuses_and_notices_new_files() {
        let tmp = tempfile::tempdir().unwrap();
        let folder = tmp.path().join("cli");
        let cache = tmp.path().join("cache");
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("a.json"), session("/p/a")).unwrap();
        fs::write(folder.join("b.json"), "{partial").unwrap();
        fs::write(folder.join("b.jsonl"), "log").unwrap();
        let (idx, fresh) = load_or_build(&folder, Some(&cache), u64::MAX).unwrap();
        assert_eq!(fresh, Freshness::Rebuilt);
        assert_eq!(idx.candidates("/p/a").collect::<Vec<_>>(), vec!["a.json"]);
        assert_eq!(idx.files.len(), 2);
        // Pretend the build happened long after the folder's last change.
        let mut aged = idx.clone();
        aged.built_ns = aged.folder_mtime_ns + SETTLE_NS;
        save(&cache, &path_for(&cache, &folder), &aged).unwrap();
        let (_, fresh) = load_or_build(&folder, Some(&cache), u64::MAX).unwrap();
        assert_eq!(fresh, Freshness::Cached);
        // The half-written file completes in place: its stamp changes, the index is rebuilt.
        fs::write(folder.join("b.json"), session("/p/b")).unwrap();
        filetime::set_file_mtime(
            folder.join("b.json"),
            filetime::FileTime::from_unix_time(1, 0),
        )
        .unwrap();
        let (idx, fresh) = load_or_build(&folder, Some(&cache), u64::MAX).unwrap();
        assert_eq!(fresh, Freshness::Rebuilt);
        assert_eq!(idx.candidates("/p/b").collect::<Vec<_>>(), vec!["b.json"]);
    }
}
