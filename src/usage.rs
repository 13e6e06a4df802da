//! The usage model: what every output (prompt segment, JSON, `--watch`, `list`) shows about one
//! conversation. Pure functions from a counted [`Conversation`] to a [`Usage`]; this is also what
//! the cache stores, so time-relative text is never frozen into it.

use serde::{Deserialize, Serialize};

use crate::count::{tokens_from_bytes, Conversation};

/// The window the CLI assumes when the row names none.
pub const DEFAULT_WINDOW: u64 = 200_000;

/// Where the percentage shown comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The service's own `context_usage_percentage`.
    Backend,
    /// The CLI's byte-based estimate (q-data.md §3).
    Estimate,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Backend => "backend",
            Source::Estimate => "estimate",
        }
    }
}

/// Byte counts behind the estimate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    pub context: u64,
    pub user: u64,
    pub assistant: u64,
    pub tools: u64,
}

impl Breakdown {
    pub fn total(&self) -> u64 {
        self.context
            .saturating_add(self.user)
            .saturating_add(self.assistant)
            .saturating_add(self.tools)
    }
}

/// One conversation's context usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub conversation_id: Option<String>,
    pub model: Option<String>,
    /// Percent of the window in use, unrounded: the backend figure where the row has it.
    pub pct: f64,
    /// The CLI's estimate, always computed.
    pub estimate_pct: f64,
    pub source: Source,
    /// Estimated tokens (backend: the window share the service reported, in tokens).
    pub tokens: u64,
    pub window: u64,
    pub turns: usize,
    pub breakdown: Breakdown,
    pub credits: Option<f64>,
    /// Newest activity in unix ms, if the row records any.
    pub updated_ms: Option<i64>,
}

/// The CLI's per-model default window when `model_info` gives none.
pub fn default_window(model: Option<&str>) -> u64 {
    match model {
        Some(m) if m.starts_with("claude-sonnet-4.6") || m.starts_with("claude-opus-4.6") => {
            1_000_000
        }
        _ => DEFAULT_WINDOW,
    }
}

impl Usage {
    /// Computes usage exactly as the CLI's `/usage` does, preferring the service's figure.
    pub fn from_conversation(c: &Conversation) -> Usage {
        let breakdown = Breakdown {
            context: c.context_bytes,
            user: c.user_bytes(),
            assistant: c.assistant_bytes(),
            tools: c.tools_bytes,
        };
        let window = c
            .context_window
            .filter(|&w| w > 0)
            .unwrap_or_else(|| default_window(c.model.as_deref()));
        let estimate_tokens = tokens_from_bytes(breakdown.total());
        let estimate_pct = estimate_tokens as f64 / window as f64 * 100.0;
        let (pct, source, tokens) = match c.backend_pct() {
            Some(p) if p.is_finite() && p >= 0.0 => (
                p,
                Source::Backend,
                (p / 100.0 * window as f64).round() as u64,
            ),
            _ => (estimate_pct, Source::Estimate, estimate_tokens),
        };
        Usage {
            conversation_id: c.conversation_id.clone(),
            model: c.model.clone(),
            pct,
            estimate_pct,
            source,
            tokens,
            window,
            turns: c.turns.len(),
            breakdown,
            credits: c.credits,
            updated_ms: c.last_activity_ms(),
        }
    }

    pub fn estimate_tokens(&self) -> u64 {
        tokens_from_bytes(self.breakdown.total())
    }
}

/// Per-turn usage series, oldest first: the backend figure where the entry has one, else the
/// estimate recomputed over the history up to and including that entry.
pub fn per_turn_pct(c: &Conversation, window: u64) -> Vec<(Option<i64>, f64, Source)> {
    let mut bytes = c.context_bytes.saturating_add(c.tools_bytes);
    c.turns
        .iter()
        .map(|t| {
            bytes = bytes.saturating_add(t.user_bytes + t.assistant_bytes);
            match t.backend_pct {
                Some(p) if p.is_finite() => (t.start_ms, p, Source::Backend),
                _ => (
                    t.start_ms,
                    tokens_from_bytes(bytes) as f64 / window.max(1) as f64 * 100.0,
                    Source::Estimate,
                ),
            }
        })
        .collect()
}

/// `14k`, `1M`, `1.5M`, `950`: compact token counts for a prompt.
pub fn human(n: u64) -> String {
    if n >= 1_000_000 {
        let tenths = (n + 50_000) / 100_000;
        if tenths.is_multiple_of(10) {
            format!("{}M", tenths / 10)
        } else {
            format!("{}.{}M", tenths / 10, tenths % 10)
        }
    } else if n >= 1_000 {
        format!("{}k", (n + 500) / 1_000)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_forms() {
        assert_eq!(human(14_060), "14k");
        assert_eq!(human(1_000_000), "1M");
        assert_eq!(human(1_500_000), "1.5M");
        assert_eq!(human(200_000), "200k");
        assert_eq!(human(950), "950");
    }

    #[test]
    fn default_windows() {
        assert_eq!(default_window(Some("claude-sonnet-4.6")), 1_000_000);
        assert_eq!(default_window(Some("claude-opus-4.6-1m")), 1_000_000);
        assert_eq!(default_window(Some("claude-sonnet-4")), 200_000);
        assert_eq!(default_window(None), 200_000);
    }

    #[test]
    fn estimate_without_backend() {
        let c = Conversation {
            context_bytes: 1900,
            tools_bytes: 52_318,
            turns: vec![crate::count::Turn {
                user_bytes: 663,
                assistant_bytes: 1366,
                ..Default::default()
            }],
            context_window: Some(1_000_000),
            ..Default::default()
        };
        let u = Usage::from_conversation(&c);
        assert_eq!(u.tokens, 14_060);
        assert_eq!(u.source, Source::Estimate);
        assert!((u.pct - 1.406).abs() < 1e-9);
    }
}
