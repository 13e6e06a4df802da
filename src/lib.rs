//! q-status: how full an Amazon Q / Kiro chat's context window is, for the prompt and tmux.
//!
//! The segment is a pipeline, one module per stage:
//! [`settings`] (cli + env + config) → [`discover`] (which stores exist) → [`fingerprint`]
//! (stat + 100-byte header) → [`cache`] (hit? done) → [`store`] / [`sessions`] (read the row)
//! → [`count`] (bytes, streaming) → [`usage`] (the model) → [`template`] + [`dialect`]
//! ([`render`]) → one write to stdout. `--watch`, `list`, `report`, `export` and `doctor` reuse
//! the same stages and differ only at the end.

pub mod cache;
pub mod cli;
pub mod config;
pub mod count;
pub mod dialect;
pub mod discover;
pub mod doctor;
pub mod error;
pub mod export;
pub mod fingerprint;
pub mod gauge;
pub mod history;
pub mod init;
pub mod list;
pub mod quota;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod segment;
pub mod session_index;
pub mod sessions;
pub mod settings;
pub mod store;
pub mod table;
pub mod template;
pub mod time;
pub mod usage;
pub mod watch;

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use cli::{Cli, Command};
use settings::{ProcessEnv, Settings};

/// Runs one invocation. `Err` is a failure to report (exit 1); the prompt path never returns one.
pub fn run(cli: Cli, started: Instant) -> anyhow::Result<ExitCode> {
    let settings = match Settings::resolve(&cli, &ProcessEnv) {
        Ok(s) => s,
        Err(settings::UsageError(msg)) => {
            eprintln!("q-status: {msg}");
            return Ok(ExitCode::from(2));
        }
    };
    if settings.verbose {
        for w in &settings.warnings {
            eprintln!("q-status: {w}");
        }
    }
    if cli.watch {
        return watch::run(&settings);
    }
    match cli.command {
        None => Ok(prompt(&settings, started)),
        Some(Command::Init(args)) => init::run(&args),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "q-status", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::List(args)) => list::run(&settings, &args),
        Some(Command::Report(args)) => report::run(&settings, &args),
        Some(Command::Export(args)) => export::run(&settings, &args),
        Some(Command::Doctor) => doctor::run(&settings),
    }
}

/// Segment mode: the gauge, or nothing. With `--json`, failures are errors (exit 1).
fn prompt(s: &Settings, started: Instant) -> ExitCode {
    let outcome = segment::run(s, started);
    if s.json {
        return match outcome {
            Ok(out) => match &out.usage {
                Some(u) => {
                    let doc = render::JsonSegment::new(s, &out, u);
                    let text = serde_json::to_string(&doc).unwrap_or_default();
                    write_stdout(format!("{text}\n").as_bytes());
                    ExitCode::SUCCESS
                }
                None => {
                    eprintln!("q-status: {}", error::Error::NoConversation(s.dir.clone()));
                    ExitCode::FAILURE
                }
            },
            Err(e) => {
                eprintln!("q-status: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match outcome {
        Ok(out) => {
            let color = s.segment_color(&ProcessEnv);
            let mut text = render::segment(s, &s.template, &out, color, time::now_ms());
            if out.usage.is_none() && s.verbose {
                eprintln!("q-status: {}", error::Error::NoConversation(s.dir.clone()));
            }
            if !text.is_empty() && s.dialect == dialect::Dialect::Plain {
                text.push('\n');
            }
            write_stdout(text.as_bytes());
        }
        Err(e) => {
            if s.verbose {
                eprintln!("q-status: {e}");
            }
        }
    }
    ExitCode::SUCCESS
}

/// One write; a closed pipe or any other write error ends quietly.
fn write_stdout(bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}
