//! The view model of `--watch`: plain data built from a counted conversation and its usage,
//! compared between updates so the terminal is redrawn only when what it shows has changed.

use crate::count::Conversation;
use crate::gauge::{Glyphs, Level};
use crate::usage::{self, Source, Usage};

/// How many of the newest turns the burn rate looks at.
const BURN_TURNS: usize = 6;
/// A burn rate over less time than this says nothing (two requests in one burst).
const BURN_MIN_SPAN_MS: i64 = 30_000;

/// Everything the view shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub body: Body,
    /// A problem with the stores (gone, unreadable, locked): shown on the status line, in
    /// colour, above whatever was last known.
    pub problem: Option<String>,
    /// Where the data comes from, for the status line when all is well.
    pub watching: String,
    pub show_help: bool,
    pub look: Look,
}

/// Thresholds, glyphs and colour: fixed for a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    pub warning: f64,
    pub critical: f64,
    pub glyphs: Glyphs,
    pub color: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Nothing read yet.
    Starting,
    /// No usage to show, and why (no store, no conversation for this directory).
    Empty(String),
    Usage(Snapshot),
}

/// One conversation, reduced to what the view shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub pct: f64,
    pub tokens: u64,
    pub window: u64,
    pub model: Option<String>,
    pub source: Source,
    pub turns: usize,
    /// Credits of the current user turn (Kiro).
    pub credits: Option<f64>,
    /// Usage in percent per turn, oldest first.
    pub series: Vec<f64>,
    pub burn: Option<Burn>,
}

/// Tokens per minute over the recent turns and, when rising, minutes until the window is full.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Burn {
    pub per_min: f64,
    pub full_in_min: Option<f64>,
}

impl Model {
    pub fn new(look: Look, watching: String) -> Model {
        Model {
            body: Body::Starting,
            problem: None,
            watching,
            show_help: false,
            look,
        }
    }

    /// The colour level of what is shown, if anything is.
    pub fn level(&self) -> Option<Level> {
        match &self.body {
            Body::Usage(s) => Some(Level::of(s.pct, self.look.warning, self.look.critical)),
            _ => None,
        }
    }
}

impl Snapshot {
    pub fn new(c: &Conversation, u: &Usage) -> Snapshot {
        let points = usage::per_turn_pct(c, u.window);
        let series: Vec<f64> = points.iter().map(|p| p.1).collect();
        let timed: Vec<(i64, f64)> = points
            .iter()
            .filter_map(|(t, pct, _)| t.map(|t| (t, pct / 100.0 * u.window as f64)))
            .collect();
        Snapshot {
            pct: u.pct,
            tokens: u.tokens,
            window: u.window,
            model: u.model.clone(),
            source: u.source,
            turns: u.turns,
            credits: u.credits,
            series,
            burn: burn(&timed, u.tokens, u.window),
        }
    }
}

/// The burn rate over the newest [`BURN_TURNS`] timed turns `(start ms, tokens)`; `None` when
/// they span too little time to say. `now_tokens` and `window` give the time left.
pub fn burn(timed: &[(i64, f64)], now_tokens: u64, window: u64) -> Option<Burn> {
    let recent = &timed[timed.len().saturating_sub(BURN_TURNS)..];
    let (first, last) = (recent.first()?, recent.last()?);
    let span_ms = last.0 - first.0;
    if span_ms < BURN_MIN_SPAN_MS {
        return None;
    }
    let per_min = (last.1 - first.1) / (span_ms as f64 / 60_000.0);
    if !per_min.is_finite() {
        return None;
    }
    let left = window.saturating_sub(now_tokens) as f64;
    let full_in_min = (per_min > 0.0).then(|| left / per_min);
    Some(Burn {
        per_min,
        full_in_min,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::Turn;

    fn turn(start_ms: i64, pct: Option<f64>, bytes: u64) -> Turn {
        Turn {
            user_bytes: bytes,
            backend_pct: pct,
            start_ms: Some(start_ms),
            ..Turn::default()
        }
    }

    #[test]
    fn burn_over_recent_turns() {
        // 10k tokens more over 5 minutes: 2k/min, 150k left -> 75 minutes.
        let timed = [(0, 40_000.0), (300_000, 50_000.0)];
        let b = burn(&timed, 50_000, 200_000).unwrap();
        assert!((b.per_min - 2_000.0).abs() < 1e-9);
        assert!((b.full_in_min.unwrap() - 75.0).abs() < 1e-9);
    }

    #[test]
    fn no_burn_without_time_or_when_falling() {
        assert_eq!(burn(&[(0, 1.0), (1_000, 9.0)], 9, 100), None);
        assert_eq!(burn(&[(0, 1.0)], 1, 100), None);
        assert_eq!(burn(&[], 0, 100), None);
        let falling = burn(&[(0, 90.0), (60_000, 30.0)], 30, 100).unwrap();
        assert!(falling.per_min < 0.0);
        assert_eq!(falling.full_in_min, None);
    }

    #[test]
    fn burn_uses_only_the_newest_turns() {
        let mut timed: Vec<(i64, f64)> = (0..20).map(|i| (i * 60_000, 0.0)).collect();
        // Flat for 14 turns, then +1000 tokens per minute for the last 6.
        for (i, t) in timed.iter_mut().enumerate().skip(14) {
            t.1 = (i as f64 - 14.0) * 1_000.0;
        }
        let b = burn(&timed, 5_000, 100_000).unwrap();
        assert!((b.per_min - 1_000.0).abs() < 1e-9);
    }

    #[test]
    fn snapshot_series_prefers_backend_figures() {
        let c = Conversation {
            context_window: Some(1_000),
            turns: vec![turn(0, None, 400), turn(60_000, Some(50.0), 0)],
            ..Conversation::default()
        };
        let u = Usage::from_conversation(&c);
        let s = Snapshot::new(&c, &u);
        assert_eq!(s.series.len(), 2);
        assert!((s.series[0] - 10.0).abs() < 1e-9, "{:?}", s.series);
        assert!((s.series[1] - 50.0).abs() < 1e-9);
        assert_eq!(s.source, Source::Backend);
        // 100 -> 500 tokens in one minute.
        assert!((s.burn.unwrap().per_min - 400.0).abs() < 1e-9);
    }
}
