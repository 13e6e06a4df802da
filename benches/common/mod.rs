//! Rows for the benchmarks, built from the real fixture so every entry is one the CLI wrote.
// Each bench binary includes this module and uses only part of it.
#![allow(dead_code)]

use serde_json::Value;

/// The real 78 KB row (Kiro, 10 history entries, 52 KB of tool specs).
pub fn real_row() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/basic_tool_use.json"
    );
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The real row with its history repeated until the whole row is at least `target` bytes:
/// a long conversation made of realistic entries (tool uses, results, metadata).
pub fn grown_row(target: usize) -> Vec<u8> {
    let base = real_row();
    let mut row: Value = serde_json::from_slice(&base).expect("fixture is JSON");
    let entries = row["history"]
        .as_array()
        .cloned()
        .expect("fixture has a history array");
    let per_round: usize = entries
        .iter()
        .map(|e| serde_json::to_vec(e).map_or(0, |v| v.len() + 1))
        .sum();
    let rounds = target.saturating_sub(base.len()).div_ceil(per_round.max(1));
    if let Some(history) = row["history"].as_array_mut() {
        for _ in 0..rounds {
            history.extend(entries.iter().cloned());
        }
    }
    serde_json::to_vec(&row).expect("serialises")
}
