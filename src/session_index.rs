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
//! File: `<cache dir>/sessions-index-v1-<FNV-1a of the folder>`, written to a temporary name
//! and renamed into place; anything unreadable is rebuilt. One header line, then one line per
//! file, fields separated by tabs, names and cwds as JSON strings (so they hold no tab or
//! newline):
//!
//! ```text
//! q-status-sessions 1\t"<folder>"\t<folder mtime ns>\t<built ns>
//! "<file name>"\t"<cwd>"|null\t<size>\t<mtime ns>
//! ```
//!
//! A prompt scans the lines for its own cwd's JSON text and decodes only those: no parse of the
//! whole index (2 000 files: ~116 KB).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

const MAGIC: &str = "q-status-sessions 1";
/// How long after the folder's last change an index must have been built to be trusted.
pub const SETTLE_NS: u64 = 2_000_000_000;

/// The index of one folder: its header and the undecoded lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub folder_mtime_ns: u64,
    pub built_ns: u64,
    body: String,
}

/// One line, its strings still JSON-encoded and its numbers unparsed (a prompt only compares
/// the cwd field).
struct Line<'a> {
    name: &'a str,
    cwd: &'a str,
    rest: &'a str,
}

impl Line<'_> {
    fn stamp(&self) -> Option<(u64, u64)> {
        let (size, mtime) = self.rest.split_once('\t')?;
        Some((size.parse().ok()?, mtime.parse().ok()?))
    }
}

fn split_line(l: &str) -> Option<Line<'_>> {
    let (name, rest) = l.split_once('\t')?;
    let (cwd, rest) = rest.split_once('\t')?;
    Some(Line { name, cwd, rest })
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn decode(s: &str) -> Option<String> {
    serde_json::from_str(s).ok()
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
    cache_dir.join(format!("sessions-index-v1-{h:016x}"))
}

impl Index {
    fn lines(&self) -> impl Iterator<Item = Line<'_>> {
        self.body.lines().filter_map(split_line)
    }

    /// Session files in the index.
    pub fn len(&self) -> usize {
        self.lines().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The names of the session files whose cwd is `cwd`; only their lines are decoded.
    pub fn candidates(&self, cwd: &str) -> Vec<String> {
        let want = json_str(cwd);
        self.lines()
            .filter(|l| l.cwd == want)
            .filter_map(|l| decode(l.name))
            .collect()
    }

    /// Parses an index file for `folder`; `None` if it is not one.
    fn parse(text: String, folder: &Path) -> Option<Index> {
        let (head, body) = text.split_once('\n')?;
        let mut f = head.split('\t');
        if f.next()? != MAGIC || f.next()? != json_str(&folder.to_string_lossy()) {
            return None;
        }
        let folder_mtime_ns = f.next()?.parse().ok()?;
        let built_ns = f.next()?.parse().ok()?;
        let body = body.to_owned();
        Some(Index {
            folder_mtime_ns,
            built_ns,
            body,
        })
    }

    fn to_text(&self, folder: &Path) -> String {
        format!(
            "{MAGIC}\t{}\t{}\t{}\n{}",
            json_str(&folder.to_string_lossy()),
            self.folder_mtime_ns,
            self.built_ns,
            self.body
        )
    }

    /// Whether this index still describes `folder` whose mtime is `folder_mtime`: the folder
    /// unchanged and settled, and no file that failed to parse changed since.
    fn valid_for(&self, folder: &Path, folder_mtime: u64) -> bool {
        self.folder_mtime_ns == folder_mtime
            && self.built_ns >= folder_mtime.saturating_add(SETTLE_NS)
            && self.lines().filter(|l| l.cwd == "null").all(|l| {
                decode(l.name).is_some_and(|n| {
                    fs::metadata(folder.join(n)).is_ok_and(|m| Some(stamp(&m)) == l.stamp())
                })
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
        .and_then(|p| fs::read_to_string(p).ok())
        .and_then(|t| Index::parse(t, folder));
    if old
        .as_ref()
        .is_some_and(|i| i.valid_for(folder, folder_mtime))
    {
        if let Some(idx) = old {
            return Ok((idx, Freshness::Cached));
        }
    }
    let idx = build(folder, folder_mtime, old.as_ref(), max_bytes)?;
    if let (Some(p), Some(dir)) = (&path, cache_dir) {
        let _ = save(dir, p, &idx.to_text(folder));
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
    // A session's cwd never changes: names already indexed keep theirs.
    let known: HashMap<String, String> = old
        .map(|o| {
            o.lines()
                .filter(|l| l.cwd != "null")
                .filter_map(|l| Some((decode(l.name)?, l.cwd.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let mut lines: Vec<String> = Vec::new();
    for (path, meta) in crate::sessions::files(folder)? {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let cwd = match known.get(name) {
            Some(c) => Some(c.clone()),
            None if meta.len() <= max_bytes => fs::read(&path)
                .ok()
                .and_then(|b| crate::sessions::cwd_of(&b))
                .map(|c| json_str(&c)),
            None => None,
        };
        let (size, mtime) = if cwd.is_some() { (0, 0) } else { stamp(&meta) };
        let cwd = cwd.unwrap_or_else(|| "null".to_owned());
        lines.push(format!("{}\t{cwd}\t{size}\t{mtime}\n", json_str(name)));
    }
    lines.sort();
    let mut body = String::with_capacity(lines.iter().map(String::len).sum());
    for l in &lines {
        let _ = write!(body, "{l}");
    }
    Ok(Index {
        folder_mtime_ns: folder_mtime,
        built_ns,
        body,
    })
}

fn save(dir: &Path, path: &Path, text: &str) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp.{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = fs::write(&tmp, text).and_then(|()| fs::rename(&tmp, path));
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
        assert_eq!(idx.candidates("/p/a"), vec!["a.json"]);
        assert_eq!(idx.len(), 2);
        // Pretend the build happened long after the folder's last change.
        let mut aged = idx.clone();
        aged.built_ns = aged.folder_mtime_ns + SETTLE_NS;
        save(&cache, &path_for(&cache, &folder), &aged.to_text(&folder)).unwrap();
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
        assert_eq!(idx.candidates("/p/b"), vec!["b.json"]);
    }
}
