//! `--format` templates: `<name>` placeholders in literal text, parsed once and filled from a
//! [`Usage`]. Pure: no IO, no styling (that is `dialect`'s job).

use crate::gauge::{self, Glyphs};
use crate::sanitize::sanitize;
use crate::usage::{human, Usage};

/// The default segment: `Q ▰▰▰▱▱▱▱▱ 37%`.
pub const DEFAULT_FORMAT: &str = "<icon> <bar> <pct>%";

/// Every placeholder, with its one-line meaning (shown by `--help` and the README).
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("pct", "percent of the context window used, integer"),
    ("pct1", "percent with one decimal"),
    ("bar", "gauge bar (glyphs and bar_width from config)"),
    ("tokens", "tokens in context, short form (14k, 1.2M)"),
    ("window", "context window, short form (200k, 1M)"),
    ("tokens_raw", "tokens in context, exact"),
    ("window_raw", "context window, exact"),
    ("model", "model id"),
    ("source", "backend (the service's figure) or estimate"),
    ("icon", "the glyph set's icon (Q)"),
    ("turns", "number of history entries"),
    ("dir", "the directory's last component"),
    ("level", "ok, warning or critical"),
    (
        "credits",
        "credits of the current turn, where the row has them",
    ),
    ("age", "time since the last turn (3m ago)"),
    (
        "stale",
        "'~' when showing a cached value while the database is locked",
    ),
    ("quota", "requests this month / monthly_request_quota"),
    (
        "quota_pct",
        "percent of monthly_request_quota used this month",
    ),
];

/// One parsed template piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Field(&'static str),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// Everything a template can show besides the usage itself.
#[derive(Debug, Clone)]
pub struct Extras<'a> {
    pub glyphs: Glyphs,
    pub icon: Option<&'a str>,
    pub bar_width: usize,
    pub warning: f64,
    pub critical: f64,
    pub dir: &'a str,
    pub now_ms: i64,
    pub stale: bool,
    /// `(requests this month, monthly quota)`.
    pub quota: Option<(u64, u64)>,
}

impl Template {
    /// Parses `text`. `<name>` with a known name is a placeholder; an unknown `<name>` is an
    /// error; a `<` that does not open a `<name>` is literal text.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            lit.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let name_len = after
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            if name_len > 0 && after.as_bytes().get(name_len) == Some(&b'>') {
                let name = &after[..name_len];
                let known = PLACEHOLDERS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .ok_or_else(|| unknown_placeholder(name))?;
                if !lit.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut lit)));
                }
                pieces.push(Piece::Field(known.0));
                rest = &after[name_len + 1..];
            } else {
                lit.push('<');
                rest = after;
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            pieces.push(Piece::Text(lit));
        }
        Ok(Template { pieces })
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Fills the template. Data-derived text is sanitised here; the result is plain text.
    pub fn render(&self, u: &Usage, x: &Extras<'_>) -> String {
        let mut out = String::with_capacity(64);
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(&sanitize(t, 256)),
                Piece::Field(name) => field(&mut out, name, u, x),
            }
        }
        out
    }
}

fn unknown_placeholder(name: &str) -> String {
    let names: Vec<&str> = PLACEHOLDERS.iter().map(|(n, _)| *n).collect();
    format!(
        "unknown placeholder <{name}> in format; known: <{}>",
        names.join(">, <")
    )
}

fn field(out: &mut String, name: &str, u: &Usage, x: &Extras<'_>) {
    use std::fmt::Write as _;
    match name {
        "pct" => {
            let _ = write!(out, "{}", u.pct.round() as i64);
        }
        "pct1" => {
            let _ = write!(out, "{:.1}", u.pct);
        }
        "bar" => out.push_str(&gauge::bar(u.pct, x.bar_width, x.glyphs)),
        "tokens" => out.push_str(&human(u.tokens)),
        "window" => out.push_str(&human(u.window)),
        "tokens_raw" => {
            let _ = write!(out, "{}", u.tokens);
        }
        "window_raw" => {
            let _ = write!(out, "{}", u.window);
        }
        "model" => out.push_str(&sanitize(u.model.as_deref().unwrap_or("unknown"), 48)),
        "source" => out.push_str(u.source.as_str()),
        "icon" => out.push_str(&sanitize(x.icon.unwrap_or(x.glyphs.icon()), 16)),
        "turns" => {
            let _ = write!(out, "{}", u.turns);
        }
        "dir" => {
            let last = x
                .dir
                .rsplit(['/', '\\'])
                .find(|s| !s.is_empty())
                .unwrap_or(x.dir);
            out.push_str(&sanitize(last, 48));
        }
        "level" => out.push_str(gauge::Level::of(u.pct, x.warning, x.critical).as_str()),
        "credits" => {
            if let Some(c) = u.credits {
                let _ = write!(out, "{c:.2}");
            }
        }
        "age" => {
            if let Some(t) = u.updated_ms {
                out.push_str(&crate::time::relative(t, x.now_ms));
            }
        }
        "stale" if x.stale => out.push('~'),
        "quota" => {
            if let Some((used, quota)) = x.quota {
                let _ = write!(out, "{used}/{quota}");
            }
        }
        "quota_pct" => {
            if let Some((used, quota)) = x.quota {
                let _ = write!(
                    out,
                    "{}",
                    (used as f64 / quota.max(1) as f64 * 100.0).round()
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_literals() {
        let t = Template::parse("a <pct>% <b <1 <x-y> <model>").unwrap();
        assert_eq!(
            t.pieces(),
            &[
                Piece::Text("a ".into()),
                Piece::Field("pct"),
                Piece::Text("% <b <1 <x-y> ".into()),
                Piece::Field("model"),
            ]
        );
    }

    #[test]
    fn unknown_placeholder_is_an_error() {
        let err = Template::parse("<pct> <nope>").unwrap_err();
        assert!(err.contains("<nope>"), "{err}");
    }
}
