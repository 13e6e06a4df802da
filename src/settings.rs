//! Settings: the command line, `Q_STATUS_*` variables and the config file merged once, in that
//! order of precedence, into one plain struct that the rest of the program reads.
//!
//! The environment is read through [`Env`] so tests can pass their own.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{Cli, ColorWhen, ShellDialect};
use crate::config::{self, Config, ConfigSource};
use crate::dialect::Dialect;
use crate::gauge::Glyphs;
use crate::template::{Template, DEFAULT_FORMAT};

/// Read access to environment variables (a seam for tests).
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// Everything a run needs to know, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The directory key: physical path of `--dir` or the current directory.
    pub dir: String,
    pub db: Option<PathBuf>,
    pub sessions_dir: Option<PathBuf>,
    pub template: Template,
    pub glyphs: Glyphs,
    pub icon: Option<String>,
    pub bar_width: usize,
    pub warning: f64,
    pub critical: f64,
    pub timeout: Duration,
    pub color_when: ColorWhen,
    pub dialect: Dialect,
    pub json: bool,
    pub use_cache: bool,
    pub cache_dir: Option<PathBuf>,
    pub max_row_bytes: u64,
    pub verbose: bool,
    pub config: Config,
    pub config_path: Option<PathBuf>,
    /// Problems found while resolving (bad config, bad env values): reported by `--verbose`
    /// and `doctor`, never fatal for the prompt.
    pub warnings: Vec<String>,
}

/// A `--format` given on the command line that does not parse: exit 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl Settings {
    /// Resolves settings. Only errors in what the user typed on this command line fail.
    pub fn resolve(cli: &Cli, env: &dyn Env) -> Result<Settings, UsageError> {
        let mut warnings = Vec::new();

        let config_src = cli
            .config
            .clone()
            .or_else(|| env.var("Q_STATUS_CONFIG").map(PathBuf::from))
            .map(|path| ConfigSource {
                path,
                explicit: true,
            })
            .or_else(|| {
                config::default_path().map(|path| ConfigSource {
                    path,
                    explicit: false,
                })
            });
        let config = match &config_src {
            Some(src) => config::load(src).unwrap_or_else(|e| {
                warnings.push(format!("config: {e} (using defaults)"));
                Config::default()
            }),
            None => Config::default(),
        };

        let template = match (&cli.format, env.var("Q_STATUS_FORMAT")) {
            (Some(f), _) => Template::parse(f).map_err(UsageError)?,
            (None, Some(f)) => Template::parse(&f).unwrap_or_else(|e| {
                warnings.push(format!("Q_STATUS_FORMAT: {e}"));
                default_template()
            }),
            (None, None) => match &config.format {
                Some(f) => Template::parse(f).unwrap_or_else(|e| {
                    warnings.push(format!("config format: {e}"));
                    default_template()
                }),
                None => default_template(),
            },
        };

        let glyphs_name = env.var("Q_STATUS_GLYPHS").or_else(|| config.glyphs.clone());
        let glyphs = match glyphs_name.as_deref() {
            None => Glyphs::Unicode,
            Some(g) => Glyphs::parse(g).unwrap_or_else(|| {
                warnings.push(format!("unknown glyph set {g:?}; using unicode"));
                Glyphs::Unicode
            }),
        };

        let number = |name: &str, warnings: &mut Vec<String>| -> Option<f64> {
            let v = env.var(name)?;
            v.parse()
                .map_err(|_| warnings.push(format!("{name}={v:?} is not a number")))
                .ok()
        };
        let warning = number("Q_STATUS_WARNING", &mut warnings)
            .or(config.warning)
            .unwrap_or(70.0);
        let critical = number("Q_STATUS_CRITICAL", &mut warnings)
            .or(config.critical)
            .unwrap_or(90.0);
        let timeout_ms = number("Q_STATUS_TIMEOUT_MS", &mut warnings)
            .map(|v| v.max(0.0) as u64)
            .or(config.timeout_ms)
            .unwrap_or(100);

        let color_when = cli.color.unwrap_or_else(|| {
            match env
                .var("Q_STATUS_COLOR")
                .or_else(|| config.color.clone())
                .as_deref()
            {
                Some("always") => ColorWhen::Always,
                Some("never") => ColorWhen::Never,
                _ => ColorWhen::Auto,
            }
        });

        let dir = resolve_dir(cli.dir.as_deref());
        let db = cli
            .db
            .clone()
            .or_else(|| env.var("Q_STATUS_DB").map(PathBuf::from))
            .or_else(|| config.db.clone())
            .map(|p| expand_tilde(&p));
        let sessions_dir = env
            .var("Q_STATUS_SESSIONS_DIR")
            .map(PathBuf::from)
            .or_else(|| config.sessions_dir.clone())
            .map(|p| expand_tilde(&p));

        Ok(Settings {
            dir,
            db,
            sessions_dir,
            template,
            glyphs,
            icon: config.icon.clone(),
            bar_width: config.bar_width.unwrap_or(8),
            warning,
            critical,
            timeout: Duration::from_millis(timeout_ms),
            color_when,
            dialect: match cli.shell {
                ShellDialect::Plain => Dialect::Plain,
                ShellDialect::Zsh => Dialect::Zsh,
                ShellDialect::Bash => Dialect::Bash,
                ShellDialect::Fish => Dialect::Fish,
                ShellDialect::Tmux => Dialect::Tmux,
            },
            json: cli.json,
            use_cache: !cli.no_cache,
            cache_dir: crate::cache::default_dir(),
            max_row_bytes: config
                .max_row_mb
                .map_or(crate::store::DEFAULT_MAX_ROW_BYTES, |mb| mb * 1024 * 1024),
            verbose: cli.verbose,
            config,
            config_path: config_src.map(|s| s.path),
            warnings,
        })
    }

    /// Whether to colour a prompt segment. A prompt always captures stdout, so not being a
    /// terminal is no reason to turn colour off; `NO_COLOR`, `CLICOLOR=0` and `TERM=dumb` are.
    pub fn segment_color(&self, env: &dyn Env) -> bool {
        color_enabled(self.color_when, env, true)
    }

    /// Whether to colour a table or report written to stdout (off when piped).
    pub fn table_color(&self, env: &dyn Env) -> bool {
        use std::io::IsTerminal;
        color_enabled(self.color_when, env, std::io::stdout().is_terminal())
    }
}

fn default_template() -> Template {
    Template::parse(DEFAULT_FORMAT).unwrap_or_else(|_| unreachable!("default format parses"))
}

/// `always`/`never` win; `auto` follows the conventions of no-color.org and bixense.com/clicolors.
pub fn color_enabled(when: ColorWhen, env: &dyn Env, is_tty: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            if env.var("NO_COLOR").is_some() {
                return false;
            }
            if env.var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                return true;
            }
            if env.var("CLICOLOR").as_deref() == Some("0")
                || env.var("TERM").as_deref() == Some("dumb")
            {
                return false;
            }
            is_tty
        }
    }
}

/// The directory key as the CLI writes it: the physical path (symlinks resolved).
pub fn resolve_dir(dir: Option<&Path>) -> String {
    let path = match dir {
        Some(d) => std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()),
        None => std::env::current_dir().unwrap_or_default(),
    };
    path.to_string_lossy().into_owned()
}

fn expand_tilde(p: &Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => crate::discover::base_dirs()
            .map(|b| b.home_dir().join(rest))
            .unwrap_or_else(|| p.to_path_buf()),
        Err(_) => p.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapEnv(HashMap<&'static str, &'static str>);
    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|s| s.to_string())
        }
    }

    #[test]
    fn color_rules() {
        let env = |pairs: &[(&'static str, &'static str)]| MapEnv(pairs.iter().copied().collect());
        assert!(color_enabled(ColorWhen::Auto, &env(&[]), true));
        assert!(!color_enabled(
            ColorWhen::Auto,
            &env(&[("NO_COLOR", "1")]),
            true
        ));
        assert!(!color_enabled(
            ColorWhen::Auto,
            &env(&[("CLICOLOR", "0")]),
            true
        ));
        assert!(color_enabled(
            ColorWhen::Auto,
            &env(&[("CLICOLOR", "0"), ("CLICOLOR_FORCE", "1")]),
            false
        ));
        assert!(!color_enabled(ColorWhen::Auto, &env(&[]), false));
        assert!(color_enabled(
            ColorWhen::Always,
            &env(&[("NO_COLOR", "1")]),
            false
        ));
        assert!(!color_enabled(ColorWhen::Never, &env(&[]), true));
    }
}
