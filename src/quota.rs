//! The monthly request quota (`monthly_request_quota`): requests sent this calendar month (UTC)
//! across every store, for `report` and the segment's `<quota>` / `<quota_pct>`.
//!
//! Counting means reading every row, far too slow for a prompt, so the count is cached in
//! `<cache dir>/quota-v1` (`{"month","requests","computed_ms"}`). `list`, `report` and `export`
//! write it after their full scan; the prompt reads it, and refreshes it on its cold path (a
//! cache miss) only when it is older than [`MAX_AGE_MS`] and the stores are small enough to
//! scan within a prompt ([`PROMPT_SCAN_MAX_BYTES`]). Bigger stores rely on the subcommands.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::discover::Store;
use crate::history::{self, Item, Record};
use crate::settings::Settings;
use crate::template::Piece;

const FILE_NAME: &str = "quota-v1";
/// A cached count older than this is refreshed on the prompt's cold path.
pub const MAX_AGE_MS: i64 = 5 * 60 * 1000;
/// Stores bigger than this (all together) are never scanned by a prompt: a 4 MiB scan stays
/// within the prompt's 100 ms budget on a slow machine.
pub const PROMPT_SCAN_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// The cached count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cached {
    pub month: String,
    pub requests: u64,
    pub computed_ms: i64,
}

fn path(cache_dir: &Path) -> PathBuf {
    cache_dir.join(FILE_NAME)
}

/// The cached count, whatever its month.
pub fn read(cache_dir: &Path) -> Option<Cached> {
    let bytes = std::fs::read(path(cache_dir)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes the count atomically; errors only cost a later recount.
pub fn write(cache_dir: &Path, c: &Cached) -> std::io::Result<()> {
    std::fs::create_dir_all(cache_dir)?;
    let tmp = cache_dir.join(format!("{FILE_NAME}.tmp.{}", std::process::id()));
    let bytes = serde_json::to_vec(c).map_err(std::io::Error::other)?;
    let done = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path(cache_dir)));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// Whether the segment's template shows the quota (and a quota is configured).
pub fn shown_by_segment(s: &Settings) -> bool {
    s.config.monthly_request_quota.is_some()
        && s.template
            .pieces()
            .iter()
            .any(|p| matches!(p, Piece::Field("quota" | "quota_pct")))
}

/// `(requests this month, quota)` for the segment, from the cache only.
pub fn for_segment(s: &Settings, now_ms: i64) -> Option<(u64, u64)> {
    if !shown_by_segment(s) {
        return None;
    }
    let quota = s.config.monthly_request_quota?;
    let c = read(s.cache_dir.as_deref()?)?;
    (c.month == crate::time::month_string(now_ms)).then_some((c.requests, quota))
}

/// Requests of a conversation that fall in `month` (`YYYY-MM`).
pub fn requests_in_month(r: &Record, month: &str) -> u64 {
    r.turns
        .iter()
        .filter(|t| {
            t.start_ms
                .is_some_and(|ms| crate::time::month_string(ms) == month)
        })
        .map(|t| t.requests)
        .sum()
}

/// Counts this month's requests over a full scan; `save` stores the result.
#[derive(Debug, Clone)]
pub struct Counter {
    pub month: String,
    pub requests: u64,
}

impl Counter {
    pub fn new(now_ms: i64) -> Counter {
        Counter {
            month: crate::time::month_string(now_ms),
            requests: 0,
        }
    }

    pub fn add(&mut self, r: &Record) {
        self.requests += requests_in_month(r, &self.month);
    }

    /// Caches the count when a quota is configured.
    pub fn save(&self, s: &Settings, now_ms: i64) {
        if s.config.monthly_request_quota.is_none() {
            return;
        }
        if let Some(dir) = &s.cache_dir {
            let _ = write(
                dir,
                &Cached {
                    month: self.month.clone(),
                    requests: self.requests,
                    computed_ms: now_ms,
                },
            );
        }
    }
}

/// The prompt's cold path: recount when the segment shows the quota, the cached count is
/// missing, of another month or old, and the stores are small enough.
pub fn refresh_if_stale(s: &Settings, stores: &[Store], now_ms: i64) {
    if !shown_by_segment(s) {
        return;
    }
    let Some(dir) = &s.cache_dir else { return };
    let fresh = read(dir).is_some_and(|c| {
        c.month == crate::time::month_string(now_ms) && now_ms - c.computed_ms < MAX_AGE_MS
    });
    if fresh || stores_size(stores) > PROMPT_SCAN_MAX_BYTES {
        return;
    }
    let mut counter = Counter::new(now_ms);
    history::scan(stores, s.max_row_bytes, Duration::from_millis(50), |item| {
        if let Item::Conversation(r) = item {
            counter.add(&r);
        }
    });
    counter.save(s, now_ms);
}

/// Bytes in the stores (a session folder: its files).
fn stores_size(stores: &[Store]) -> u64 {
    stores
        .iter()
        .map(|st| match st.kind {
            crate::discover::StoreKind::Sqlite => {
                std::fs::metadata(&st.path).map_or(0, |m| m.len())
            }
            crate::discover::StoreKind::Sessions => {
                crate::sessions::files(&st.path).map_or(0, |v| v.iter().map(|(_, m)| m.len()).sum())
            }
        })
        .sum()
}
