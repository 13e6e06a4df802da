//! The last stage of a segment run: the [`Outcome`] as a coloured segment in the chosen
//! dialect, or as one JSON object.

use serde::Serialize;

use crate::dialect::{self, Paint};
use crate::gauge::Level;
use crate::segment::Outcome;
use crate::settings::Settings;
use crate::template::{Extras, Template};
use crate::usage::{Breakdown, Usage};

/// The segment text for `usage`, or an empty string when there is none.
pub fn segment(
    s: &Settings,
    template: &Template,
    out: &Outcome,
    color: bool,
    now_ms: i64,
) -> String {
    let Some(u) = &out.usage else {
        return String::new();
    };
    let extras = Extras {
        glyphs: s.glyphs,
        icon: s.icon.as_deref(),
        bar_width: s.bar_width,
        warning: s.warning,
        critical: s.critical,
        dir: &s.dir,
        now_ms,
        stale: out.stale,
        quota: crate::quota::for_segment(s, now_ms),
    };
    let text = template.render(u, &extras);
    let paint = Paint {
        level: Level::of(u.pct, s.warning, s.critical),
        stale: out.stale,
        color,
    };
    dialect::paint(s.dialect, &text, paint)
}

/// `--json`'s document. Field names are part of the interface (see the README).
#[derive(Debug, Serialize)]
pub struct JsonSegment<'a> {
    pub dir: &'a str,
    pub db: Option<String>,
    pub source: &'static str,
    pub conversation_id: Option<&'a str>,
    pub model: Option<&'a str>,
    pub pct: f64,
    pub estimate_pct: f64,
    pub tokens: u64,
    pub estimate_tokens: u64,
    pub window: u64,
    pub turns: usize,
    pub breakdown: Breakdown,
    pub credits: Option<f64>,
    pub updated_at: Option<String>,
    pub level: &'static str,
    pub stale: bool,
}

impl<'a> JsonSegment<'a> {
    pub fn new(s: &'a Settings, out: &'a Outcome, u: &'a Usage) -> JsonSegment<'a> {
        JsonSegment {
            dir: &s.dir,
            db: out.db.as_ref().map(|p| p.to_string_lossy().into_owned()),
            source: u.source.as_str(),
            conversation_id: u.conversation_id.as_deref(),
            model: u.model.as_deref(),
            pct: u.pct,
            estimate_pct: u.estimate_pct,
            tokens: u.tokens,
            estimate_tokens: u.estimate_tokens(),
            window: u.window,
            turns: u.turns,
            breakdown: u.breakdown,
            credits: u.credits,
            updated_at: u.updated_ms.map(crate::time::iso_string),
            level: Level::of(u.pct, s.warning, s.critical).as_str(),
            stale: out.stale,
        }
    }
}
