//! `q-status init`: the zsh, bash, fish, starship and tmux integration, printed for the user's
//! config (`eval "$(q-status init zsh)"`).
//!
//! The scripts are real files under `shell/` and `tmux/`, so shellcheck and editors see them, and
//! are embedded at build time. Each holds quoted placeholders that [`script`] replaces with the
//! binary's absolute path and the chosen placement, quoted for that file's language: the
//! prompt then runs exactly this binary, whatever `PATH` says later.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::ValueEnum;

const ZSH: &str = include_str!("../shell/q-status.zsh");
const BASH: &str = include_str!("../shell/q-status.bash");
const FISH: &str = include_str!("../shell/q-status.fish");
const STARSHIP: &str = include_str!("../shell/q-status.starship.toml");
const TMUX: &str = include_str!("../tmux/q-status.conf");

/// Where the binary's path goes, with the quotes of the file's own language around it.
const BIN: &str = "'::Q_STATUS_BIN::'";
const PLACEMENT: &str = "'::Q_STATUS_PLACEMENT::'";

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// What to print the integration for
    #[arg(value_enum, value_name = "SHELL")]
    pub target: Target,

    /// Where the gauge goes: the right prompt, the left one, or none (only set
    /// $Q_STATUS_SEGMENT, for your own prompt) [default: right; left for bash]
    #[arg(long, value_enum, value_name = "WHERE")]
    pub placement: Option<Placement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Zsh,
    Bash,
    Fish,
    /// A [custom.q_status] block for starship.toml
    Starship,
    /// Lines for ~/.tmux.conf (or use the plugin in tmux/)
    Tmux,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Placement {
    Right,
    Left,
    None,
}

impl Placement {
    fn name(self) -> &'static str {
        match self {
            Placement::Right => "right",
            Placement::Left => "left",
            Placement::None => "none",
        }
    }
}

/// The placement to use, or why the combination makes no sense.
pub fn placement(target: Target, asked: Option<Placement>) -> Result<Placement, String> {
    match (target, asked) {
        (Target::Starship | Target::Tmux, Some(_)) => Err(
            "--placement is for zsh, bash and fish; starship and tmux place it in their own format"
                .into(),
        ),
        (Target::Bash, Some(Placement::Right)) => {
            Err("bash has no right prompt: use --placement left or none".into())
        }
        (Target::Bash, None) => Ok(Placement::Left),
        (_, asked) => Ok(asked.unwrap_or(Placement::Right)),
    }
}

/// The integration text for `target`, running the binary at `bin`.
pub fn script(target: Target, placement: Placement, bin: &str) -> String {
    let (template, bin) = match target {
        Target::Zsh => (ZSH, posix_quote(bin)),
        Target::Bash => (BASH, posix_quote(bin)),
        Target::Fish => (FISH, fish_quote(bin)),
        Target::Starship => (STARSHIP, toml_quote(bin)),
        Target::Tmux => (TMUX, tmux_quote(bin)),
    };
    template
        .replace(BIN, &bin)
        .replace(PLACEMENT, &format!("'{}'", placement.name()))
}

pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let placement = match placement(args.target, args.placement) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("q-status: {msg}");
            return Ok(ExitCode::from(2));
        }
    };
    let exe = std::env::current_exe().context("cannot find the path of this program")?;
    let bin = exe
        .to_str()
        .with_context(|| format!("the program's path is not UTF-8: {}", exe.display()))?;
    let text = script(args.target, placement, bin);
    use std::io::Write;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Single quotes for sh, bash and zsh: nothing inside is special but the quote itself.
fn posix_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Single quotes for fish, where `\'` and `\\` are the two escapes inside them.
fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

/// A TOML basic string.
fn toml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string in tmux's config language: single quotes (no escapes inside) unless the text holds
/// one; then double quotes, where `\`, `"` and `$` (environment variables) are special.
fn tmux_quote(s: &str) -> String {
    if !s.contains('\'') {
        return format!("'{s}'");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        if matches!(c, '\\' | '"' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ODD: &str = r#"/opt/it's "odd"/a\b $HOME/q-status"#;

    #[test]
    fn every_template_has_its_placeholders() {
        for t in [ZSH, BASH, FISH] {
            assert!(t.contains(BIN) && t.contains(PLACEMENT));
        }
        for t in [STARSHIP, TMUX] {
            assert!(t.contains(BIN) && !t.contains(PLACEMENT));
        }
        for target in [
            Target::Zsh,
            Target::Bash,
            Target::Fish,
            Target::Starship,
            Target::Tmux,
        ] {
            let s = script(target, Placement::Left, "/bin/q");
            assert!(!s.contains("::Q_STATUS"), "{target:?}");
        }
    }

    #[test]
    fn placement_defaults_and_refusals() {
        assert_eq!(placement(Target::Zsh, None), Ok(Placement::Right));
        assert_eq!(placement(Target::Fish, None), Ok(Placement::Right));
        assert_eq!(placement(Target::Bash, None), Ok(Placement::Left));
        assert_eq!(
            placement(Target::Zsh, Some(Placement::None)),
            Ok(Placement::None)
        );
        assert!(placement(Target::Bash, Some(Placement::Right)).is_err());
        assert!(placement(Target::Tmux, Some(Placement::Left)).is_err());
        assert!(placement(Target::Starship, None).is_ok());
    }

    #[test]
    fn starship_block_keeps_an_odd_path_intact() {
        let doc: toml::Table = toml::from_str(&script(Target::Starship, Placement::Right, ODD))
            .unwrap_or_else(|e| panic!("{e}"));
        let shell = &doc["custom"]["q_status"]["shell"];
        assert_eq!(shell[0].as_str(), Some(ODD));
        assert_eq!(toml_quote("a\tb"), r#""a\u0009b""#);
    }

    #[test]
    fn quoting() {
        assert_eq!(posix_quote("a'b"), r"'a'\''b'");
        assert_eq!(fish_quote(r"a'b\c"), r"'a\'b\\c'");
        assert_eq!(tmux_quote("/usr/bin/q"), "'/usr/bin/q'");
        assert_eq!(tmux_quote(r#"it's "$x""#), r#""it's \"\$x\"""#);
    }
}
