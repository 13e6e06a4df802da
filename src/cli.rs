//! Command-line interface (clap derive). The doc comments are the `--help` text. Parsed once and
//! turned into [`crate::settings::Settings`]; nothing else in the program reads `Cli`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// How full is your Amazon Q / Kiro chat's context window? A gauge for the prompt and tmux.
///
/// Without a subcommand, prints the segment for the current directory's conversation, or
/// nothing (exit 0) when there is none or anything goes wrong.
#[derive(Debug, Parser)]
#[command(name = "q-status", version, about, max_term_width = 100)]
pub struct Cli {
    /// Directory whose conversation to show [default: the current directory]
    #[arg(long, global = true, value_name = "PATH")]
    pub dir: Option<PathBuf>,

    /// Chat database (or Kiro session folder) to read, instead of discovery [env: Q_STATUS_DB]
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Config file [env: Q_STATUS_CONFIG] [default: <config dir>/q-status/config.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Output template, e.g. '<pct>%' (see the README for every placeholder) [env: Q_STATUS_FORMAT]
    #[arg(long, short = 'f', value_name = "TEMPLATE")]
    pub format: Option<String>,

    /// Write colours and escapes for this consumer
    #[arg(long, value_enum, value_name = "DIALECT", default_value_t = ShellDialect::Plain)]
    pub shell: ShellDialect,

    /// Print one JSON object; failures become errors (exit 1)
    #[arg(long)]
    pub json: bool,

    /// When to colour the output [env: Q_STATUS_COLOR; also NO_COLOR, CLICOLOR, CLICOLOR_FORCE]
    #[arg(long, value_enum, value_name = "WHEN", global = true)]
    pub color: Option<ColorWhen>,

    /// Bypass the prompt cache (for benchmarks and debugging)
    #[arg(long)]
    pub no_cache: bool,

    /// Say on stderr why nothing was printed
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,

    /// Live inline view that updates as the chat writes (q, Esc or Ctrl-C to quit)
    #[arg(long, short = 'w')]
    pub watch: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellDialect {
    Plain,
    Zsh,
    Bash,
    Fish,
    Tmux,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the shell, starship or tmux integration script
    Init(crate::init::InitArgs),
    /// Print shell completions
    Completions {
        /// Shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout
    Man,
    /// One row per conversation across all stores
    List(crate::list::ListArgs),
    /// Usage per day or month: requests, tokens, credits and cost
    Report(crate::report::ReportArgs),
    /// Export every conversation with its turns as JSON, CSV or Markdown
    Export(crate::export::ExportArgs),
    /// Explain what q-status sees: stores, schema, cache, config and timings
    Doctor,
}

/// Parses the arguments of a plain segment run without building clap's parser.
///
/// The prompt runs `q-status` on every command, and constructing clap's full `Command` (every
/// subcommand, every help string) costs more than the rest of a cache hit together. This
/// accepts only the segment flags, each at most once, with a value that cannot be mistaken
/// for a flag; anything else (`--help`, subcommands, `--watch`, a repeated flag, a bad value)
/// returns `None` and the caller falls back to clap, so behaviour and error messages are
/// clap's. A test checks that both parsers agree.
pub fn parse_fast(args: &[std::ffi::OsString]) -> Option<Cli> {
    let mut cli = Cli {
        dir: None,
        db: None,
        config: None,
        format: None,
        shell: ShellDialect::Plain,
        json: false,
        color: None,
        no_cache: false,
        verbose: false,
        watch: false,
        command: None,
    };
    let mut seen: Vec<&str> = Vec::with_capacity(8);
    let mut it = args.iter().skip(1);
    while let Some(arg) = it.next() {
        let arg = arg.to_str()?;
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (arg, None),
        };
        let name = match name {
            "-v" => "--verbose",
            "-f" => "--format",
            n => n,
        };
        if seen.contains(&name) {
            return None;
        }
        seen.push(name);
        let flag = |v: &mut bool| -> Option<()> {
            if inline.is_some() {
                return None;
            }
            *v = true;
            Some(())
        };
        match name {
            "--json" => flag(&mut cli.json)?,
            "--no-cache" => flag(&mut cli.no_cache)?,
            "--verbose" => flag(&mut cli.verbose)?,
            _ => {
                let value = match inline {
                    Some(v) => std::ffi::OsString::from(v),
                    None => it.next()?.clone(),
                };
                if value.is_empty() || value.to_str().is_some_and(|v| v.starts_with('-')) {
                    return None;
                }
                match name {
                    "--dir" => cli.dir = Some(value.into()),
                    "--db" => cli.db = Some(value.into()),
                    "--config" => cli.config = Some(value.into()),
                    "--format" => cli.format = Some(value.into_string().ok()?),
                    "--shell" => cli.shell = ShellDialect::from_str(value.to_str()?, false).ok()?,
                    "--color" => {
                        cli.color = Some(ColorWhen::from_str(value.to_str()?, false).ok()?)
                    }
                    _ => return None,
                }
            }
        }
    }
    Some(cli)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn fast_parser_agrees_with_clap() {
        let cases: &[&[&str]] = &[
            &[],
            &["--shell", "zsh"],
            &["--shell=tmux", "--dir", "/a b/c", "--format", "<pct>%"],
            &[
                "-f",
                "<icon> <bar>",
                "--color",
                "never",
                "--no-cache",
                "--json",
                "-v",
            ],
            &[
                "--db",
                "/x/data.sqlite3",
                "--config=/c.toml",
                "--color=always",
            ],
            &["--verbose", "--shell", "bash"],
            &["--format", "<pct>", "--format", "<bar>"],
            &["--shell", "nope"],
            &["--json=yes"],
            &["--format", "-x"],
            &["--dir"],
            &["list"],
            &["--watch"],
            &["--help"],
            &["-vf", "<pct>"],
            &["--dir", ""],
        ];
        for case in cases {
            let args: Vec<std::ffi::OsString> = std::iter::once("q-status")
                .chain(case.iter().copied())
                .map(Into::into)
                .collect();
            let clap = Cli::try_parse_from(&args);
            match parse_fast(&args) {
                Some(fast) => {
                    let clap = clap.unwrap_or_else(|e| panic!("{case:?}: fast parsed, clap: {e}"));
                    assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{case:?}");
                }
                None => assert!(
                    clap.is_err() || matches!(*case, ["list"] | ["--watch"] | ["-vf", _]),
                    "{case:?}: clap accepts it, the fast path should too"
                ),
            }
        }
    }
}
