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
