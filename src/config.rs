//! The config file (`<config_dir>/q-status/config.toml`): its keys, its defaults, and error
//! messages that name the file, the line and the key.
//!
//! A bad config never breaks a prompt: the caller falls back to defaults and `doctor` reports
//! the error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Every key the file may hold. Unknown keys are errors, so typos are caught.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Path of the chat database (or a Kiro session folder), instead of discovery.
    pub db: Option<PathBuf>,
    /// Kiro session folder, instead of `~/.kiro/sessions/cli`.
    pub sessions_dir: Option<PathBuf>,
    /// Output template, e.g. `"<icon> <bar> <pct>%"`.
    pub format: Option<String>,
    /// `unicode`, `ascii` or `nerd`.
    pub glyphs: Option<String>,
    /// Text of `<icon>`, replacing the glyph set's.
    pub icon: Option<String>,
    /// Cells in `<bar>`.
    pub bar_width: Option<usize>,
    /// Percent at which the gauge turns yellow.
    pub warning: Option<f64>,
    /// Percent at which the gauge turns red.
    pub critical: Option<f64>,
    /// Time budget of one prompt run, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// `auto`, `always` or `never`.
    pub color: Option<String>,
    /// Rows bigger than this many MiB are not read.
    pub max_row_mb: Option<u64>,
    /// Price of 1 000 input tokens, for `report`'s cost column.
    pub cost_per_1k_tokens: Option<f64>,
    /// Price of 1 000 output tokens (defaults to `cost_per_1k_tokens`).
    pub cost_per_1k_output_tokens: Option<f64>,
    /// Per-model prices of 1 000 input tokens, overriding `cost_per_1k_tokens`.
    #[serde(default)]
    pub prices: BTreeMap<String, f64>,
    /// Requests included per month in the user's plan.
    pub monthly_request_quota: Option<u64>,
}

/// Where the config file is, and whether it must exist.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    pub path: PathBuf,
    /// Named by `--config` or `Q_STATUS_CONFIG`: then a missing file is an error.
    pub explicit: bool,
}

/// The default location: `<config_dir>/q-status/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    crate::discover::base_dirs().map(|b| b.config_dir().join("q-status").join("config.toml"))
}

/// Loads the file. A missing default file is an empty config; anything else wrong is an error
/// message naming the file, the line and the key.
pub fn load(src: &ConfigSource) -> Result<Config, String> {
    let text = match std::fs::read_to_string(&src.path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !src.explicit => {
            return Ok(Config::default())
        }
        Err(e) => return Err(format!("{}: {e}", src.path.display())),
    };
    parse(&text, &src.path)
}

/// Parses config text; errors read `FILE:LINE: key `KEY`: MESSAGE`.
pub fn parse(text: &str, path: &Path) -> Result<Config, String> {
    let cfg: Config = toml::from_str(text).map_err(|e| {
        let (line, key) = match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                let line_text = text.lines().nth(line - 1).unwrap_or("");
                let key = line_text.split('=').next().unwrap_or("").trim().to_owned();
                (line, key)
            }
            None => (0, String::new()),
        };
        let msg = e.message().trim().to_owned();
        if key.is_empty() {
            format!("{}:{line}: {msg}", path.display())
        } else {
            format!("{}:{line}: key `{key}`: {msg}", path.display())
        }
    })?;
    cfg.validate()
        .map_err(|m| format!("{}: {m}", path.display()))?;
    Ok(cfg)
}

impl Config {
    fn validate(&self) -> Result<(), String> {
        if let Some(g) = &self.glyphs {
            if !matches!(g.as_str(), "unicode" | "ascii" | "nerd") {
                return Err(format!(
                    "key `glyphs`: unknown glyph set {g:?} (unicode, ascii, nerd)"
                ));
            }
        }
        if let Some(c) = &self.color {
            if !matches!(c.as_str(), "auto" | "always" | "never") {
                return Err(format!(
                    "key `color`: unknown value {c:?} (auto, always, never)"
                ));
            }
        }
        for (key, v) in [("warning", self.warning), ("critical", self.critical)] {
            if let Some(v) = v {
                if !(0.0..=1000.0).contains(&v) {
                    return Err(format!("key `{key}`: {v} is not a percentage"));
                }
            }
        }
        if let Some(w) = self.bar_width {
            if !(1..=100).contains(&w) {
                return Err(format!("key `bar_width`: {w} is not between 1 and 100"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_file_line_and_key() {
        let err = parse("format = \"<pct>\"\nwarnin = 50\n", Path::new("/c.toml")).unwrap_err();
        assert!(err.starts_with("/c.toml:2: key `warnin`"), "{err}");
        let err = parse("timeout_ms = \"fast\"\n", Path::new("/c.toml")).unwrap_err();
        assert!(err.starts_with("/c.toml:1: key `timeout_ms`"), "{err}");
        let err = parse("glyphs = \"emoji\"\n", Path::new("/c.toml")).unwrap_err();
        assert!(err.contains("glyphs"), "{err}");
    }

    #[test]
    fn full_config_parses() {
        let cfg = parse(
            "db = \"/x\"\nformat = \"<pct>\"\nwarning = 60\ncritical = 85\n[prices]\n\"claude-sonnet-4\" = 0.003\n",
            Path::new("c"),
        )
        .unwrap();
        assert_eq!(cfg.warning, Some(60.0));
        assert_eq!(cfg.prices.get("claude-sonnet-4"), Some(&0.003));
    }
}
