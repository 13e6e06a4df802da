//! Kiro's session files (`~/.kiro/sessions/cli/<uuid>.json`, q-data.md §4): the third store,
//! written by Kiro's default TUI. Each file is one session with its `cwd`; per user turn it holds
//! the service's real token counts, context percentage and credits (`metering_usage`).
//!
//! The prompt finds a directory's session through [`crate::session_index`] (cwd of every file,
//! cached by the folder's mtime) and then stats only that directory's files: the newest by mtime
//! is the one parsed.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::count::{Conversation, Turn};
use crate::session_index;
use crate::usage::{Source, Usage};

/// A session file reduced to what q-status shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub path: PathBuf,
    pub session_id: Option<String>,
    pub cwd: String,
    pub updated_ms: Option<i64>,
    pub conversation: Conversation,
    /// Per turn `(input_token_count, output_token_count)`.
    pub token_counts: Vec<(Option<u64>, Option<u64>)>,
    /// Per turn Σ `metering_usage[].value`, `None` when the turn has no metering entry.
    pub credits_per_turn: Vec<Option<f64>>,
    /// Per turn `total_request_count` (requests sent to the service), at least 1.
    pub requests_per_turn: Vec<u64>,
}

#[derive(Deserialize)]
struct RawSession {
    session_id: Option<String>,
    cwd: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    session_state: Option<RawState>,
}

#[derive(Deserialize)]
struct RawState {
    conversation_metadata: Option<RawConversationMetadata>,
    rts_model_state: Option<RawModelState>,
}

#[derive(Deserialize)]
struct RawConversationMetadata {
    #[serde(default)]
    user_turn_metadatas: Vec<RawTurnMeta>,
}

#[derive(Deserialize)]
struct RawTurnMeta {
    end_timestamp: Option<String>,
    input_token_count: Option<u64>,
    output_token_count: Option<u64>,
    context_usage_percentage: Option<f64>,
    total_request_count: Option<u64>,
    metering_usage: Option<Vec<RawMetering>>,
}

/// `{value, unit, unitPlural}` (camelCase, unlike the rest of the file); only `value` counts.
#[derive(Deserialize)]
struct RawMetering {
    value: Option<f64>,
}

#[derive(Deserialize)]
struct RawModelState {
    conversation_id: Option<String>,
    model_info: Option<RawModelInfo>,
    context_usage_percentage: Option<f64>,
}

#[derive(Deserialize)]
struct RawModelInfo {
    model_id: Option<String>,
    context_window_tokens: Option<u64>,
}

/// Parses one session file's text.
pub fn parse(path: &Path, json: &[u8]) -> Result<Session, serde_json::Error> {
    let raw: RawSession = serde_json::from_slice(json)?;
    let state = raw.session_state;
    let (metas, model_state) = match state {
        Some(s) => (
            s.conversation_metadata
                .map(|m| m.user_turn_metadatas)
                .unwrap_or_default(),
            s.rts_model_state,
        ),
        None => (Vec::new(), None),
    };
    let mut conversation = Conversation::default();
    let mut token_counts = Vec::with_capacity(metas.len());
    let mut credits_per_turn = Vec::with_capacity(metas.len());
    let mut requests_per_turn = Vec::with_capacity(metas.len());
    for m in &metas {
        let end = m
            .end_timestamp
            .as_deref()
            .and_then(crate::time::parse_rfc3339_ms);
        conversation.turns.push(Turn {
            is_prompt: true,
            backend_pct: m.context_usage_percentage,
            start_ms: end,
            end_ms: end,
            ..Turn::default()
        });
        token_counts.push((m.input_token_count, m.output_token_count));
        credits_per_turn.push(
            m.metering_usage
                .as_ref()
                .filter(|v| !v.is_empty())
                .map(|v| v.iter().filter_map(|u| u.value).sum()),
        );
        requests_per_turn.push(m.total_request_count.unwrap_or(1).max(1));
    }
    if let Some(ms) = model_state {
        conversation.conversation_id = ms.conversation_id;
        if let Some(info) = ms.model_info {
            conversation.model = info.model_id;
            conversation.context_window = info.context_window_tokens;
        }
        // The model state's figure is the newest; it goes on the last turn if that has none.
        if let (Some(p), Some(last)) = (ms.context_usage_percentage, conversation.turns.last_mut())
        {
            last.backend_pct = last.backend_pct.or(Some(p));
        }
    }
    conversation.credits = credits_per_turn.last().copied().flatten();
    let updated_ms = raw
        .updated_at
        .or(raw.created_at)
        .as_deref()
        .and_then(crate::time::parse_rfc3339_ms);
    Ok(Session {
        path: path.to_path_buf(),
        session_id: raw.session_id,
        cwd: raw.cwd.unwrap_or_default(),
        updated_ms,
        conversation,
        token_counts,
        credits_per_turn,
        requests_per_turn,
    })
}

/// Just the `cwd` of a session file's text (for the index); `None` if it does not parse.
pub fn cwd_of(json: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Head {
        cwd: Option<String>,
    }
    serde_json::from_slice::<Head>(json).ok()?.cwd
}

/// The usage of a session: the service's percentage, else its real token counts.
pub fn usage(s: &Session) -> Usage {
    let mut u = Usage::from_conversation(&s.conversation);
    if u.source == Source::Estimate {
        if let Some((Some(input), output)) = s.token_counts.last() {
            u.tokens = input + output.unwrap_or(0);
            u.pct = u.tokens as f64 / u.window as f64 * 100.0;
            u.source = Source::Backend;
        }
    }
    u
}

/// The `*.json` session files of a folder.
pub fn files(dir: &Path) -> std::io::Result<Vec<(PathBuf, fs::Metadata)>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") {
            if let Ok(m) = e.metadata() {
                if m.is_file() {
                    out.push((p, m));
                }
            }
        }
    }
    Ok(out)
}

/// The newest session (by file mtime) whose `cwd` is `dir`, found through the folder's index
/// in the cache dir. A file that fails to parse counts as no session.
pub fn newest_for_dir(
    folder: &Path,
    dir: &str,
    max_bytes: u64,
) -> std::io::Result<Option<Session>> {
    let cache_dir = crate::cache::default_dir();
    let (idx, _) = session_index::load_or_build(folder, cache_dir.as_deref(), max_bytes)?;
    let Some((path, meta)) = newest_candidate(folder, &idx, dir).into_iter().next() else {
        return Ok(None);
    };
    if meta.len() > max_bytes {
        return Ok(None);
    }
    let bytes = fs::read(&path)?;
    Ok(parse(&path, &bytes).ok().filter(|s| s.cwd == dir))
}

/// The session files of `dir` in the index, newest mtime first (ties: by name).
fn newest_candidate(
    folder: &Path,
    idx: &session_index::Index,
    dir: &str,
) -> Vec<(PathBuf, fs::Metadata)> {
    let mut found: Vec<(PathBuf, fs::Metadata)> = idx
        .candidates(dir)
        .into_iter()
        .filter_map(|name| {
            let p = folder.join(name);
            let m = fs::metadata(&p).ok()?;
            Some((p, m))
        })
        .collect();
    found.sort_by(|a, b| {
        session_index::mtime_ns(&b.1)
            .cmp(&session_index::mtime_ns(&a.1))
            .then_with(|| b.0.cmp(&a.0))
    });
    found
}

/// The prompt's fingerprint of a session folder for one directory: the folder's mtime (a new
/// session) plus size and mtime of that directory's session files (a session written in place).
/// Every other file is left alone.
pub fn fingerprint_for_dir(folder: &Path, dir: &str) -> Option<String> {
    let cache_dir = crate::cache::default_dir();
    let meta = fs::metadata(folder).ok()?;
    let (idx, _) = session_index::load_or_build(folder, cache_dir.as_deref(), u64::MAX).ok()?;
    let mut out = format!("d:{}", session_index::mtime_ns(&meta));
    for (p, m) in newest_candidate(folder, &idx, dir) {
        let (len, mt) = session_index::stamp(&m);
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let _ = write!(out, ":{name}:{len}:{mt}");
    }
    Some(out)
}

/// Fingerprint of a session folder: its own stat plus name, size and mtime of every session
/// file, folded into one hash (files are rewritten in place, which leaves the folder's mtime).
pub fn fingerprint(dir: &Path) -> Option<String> {
    let meta = fs::metadata(dir).ok()?;
    let mut list = files(dir).ok()?;
    list.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (p, m) in &list {
        feed(p.as_os_str().as_encoded_bytes());
        feed(&m.len().to_le_bytes());
        let mt = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        feed(&mt.to_le_bytes());
    }
    let mut out = String::new();
    let dm = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let _ = write!(out, "d:{dm}:{}:{h:016x}", list.len());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_pre_metering_sample() {
        let bytes = include_bytes!("../tests/fixtures/session_v1_pre_metering.json");
        let s = parse(Path::new("x.json"), bytes).unwrap();
        assert_eq!(s.cwd, "/test/project");
        assert_eq!(s.conversation.turns.len(), 1);
        assert_eq!(s.token_counts, vec![(Some(100), Some(50))]);
        assert_eq!(s.conversation.backend_pct(), Some(25.0));
        assert_eq!(s.conversation.model, None);
        assert_eq!(s.credits_per_turn, vec![None]);
        assert_eq!(s.requests_per_turn, vec![1]);
    }

    #[test]
    fn metering_with_camel_case_unit_plural() {
        let text = r#"{"cwd":"/p","session_state":{"conversation_metadata":{"user_turn_metadatas":[
            {"input_token_count":10,"output_token_count":2,"total_request_count":3,
             "metering_usage":[{"value":0.25,"unit":"credit","unitPlural":"credits"},{"value":0.5,"unit":"credit","unitPlural":"credits"}]}]},
            "rts_model_state":{"model_info":{"model_id":"m","context_window_tokens":1000},"context_usage_percentage":4.0}}}"#;
        let s = parse(Path::new("x.json"), text.as_bytes()).unwrap();
        assert_eq!(s.credits_per_turn, vec![Some(0.75)]);
        assert_eq!(s.requests_per_turn, vec![3]);
        assert_eq!(s.conversation.backend_pct(), Some(4.0));
        assert_eq!(s.conversation.credits, Some(0.75));
        assert_eq!(cwd_of(text.as_bytes()).as_deref(), Some("/p"));
    }
}
