//! Output dialects: the same coloured text, written the way each consumer needs it.
//!
//! | dialect | colour | escaping of the text |
//! |---|---|---|
//! | `plain`, `fish` | ANSI SGR | none |
//! | `zsh` | ANSI inside `%{ %}` | `%` → `%%`; `$`, `\` → `$%{%}`, `\%{%}`; `` ` `` → `'` (safe with PROMPT_SUBST) |
//! | `bash` | ANSI inside `\[ \]` | `\`, `$`, `` ` `` so PS1's decoding and expansion give them back literally |
//! | `tmux` | `#[fg=...]` | `#` → `##` |
//!
//! The text reaching here is already sanitised (no control characters), so escaping is all
//! that stands between it and the consumer's own syntax.

use owo_colors::{AnsiColors, Style};

use crate::gauge::Level;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Plain,
    Zsh,
    Bash,
    Fish,
    Tmux,
}

impl Dialect {
    pub fn parse(s: &str) -> Option<Dialect> {
        match s {
            "plain" => Some(Dialect::Plain),
            "zsh" => Some(Dialect::Zsh),
            "bash" => Some(Dialect::Bash),
            "fish" => Some(Dialect::Fish),
            "tmux" => Some(Dialect::Tmux),
            _ => None,
        }
    }
}

/// How the text is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    pub level: Level,
    /// A cached value shown while the database is locked: dimmed.
    pub stale: bool,
    pub color: bool,
}

fn ansi_color(level: Level) -> AnsiColors {
    match level {
        Level::Ok => AnsiColors::Green,
        Level::Warning => AnsiColors::Yellow,
        Level::Critical => AnsiColors::Red,
    }
}

fn tmux_color(level: Level) -> &'static str {
    match level {
        Level::Ok => "green",
        Level::Warning => "yellow",
        Level::Critical => "red",
    }
}

/// Escapes `text` for the dialect and wraps it in the dialect's colour syntax.
pub fn paint(dialect: Dialect, text: &str, p: Paint) -> String {
    let body = escape(dialect, text);
    if !p.color || text.is_empty() {
        return body;
    }
    if dialect == Dialect::Tmux {
        let dim = if p.stale { ",dim" } else { "" };
        let undim = if p.stale { ",nodim" } else { "" };
        return format!(
            "#[fg={}{dim}]{body}#[fg=default{undim}]",
            tmux_color(p.level)
        );
    }
    let mut style = Style::new().color(ansi_color(p.level));
    if p.stale {
        style = style.dimmed();
    }
    let (pre, post) = (
        style.prefix_formatter().to_string(),
        style.suffix_formatter().to_string(),
    );
    match dialect {
        Dialect::Zsh => format!("%{{{pre}%}}{body}%{{{post}%}}"),
        Dialect::Bash => format!("\\[{pre}\\]{body}\\[{post}\\]"),
        _ => format!("{pre}{body}{post}"),
    }
}

/// Escapes the consumer's special characters in plain text.
pub fn escape(dialect: Dialect, text: &str) -> String {
    match dialect {
        Dialect::Plain | Dialect::Fish => text.to_owned(),
        Dialect::Zsh => {
            // `%` is doubled. With PROMPT_SUBST a prompt is also expanded like a double-quoted
            // string before its `%` sequences, so `$` and `\` get an empty `%{%}` after them:
            // that pass never sees `$(`, `${` or `\$`, and the `%` pass then removes the
            // group, with or without the option. A backtick has no spelling that is inert in
            // both modes, so it is shown as `'`.
            let mut out = String::with_capacity(text.len() + 8);
            for c in text.chars() {
                match c {
                    '%' => out.push_str("%%"),
                    '$' => out.push_str("$%{%}"),
                    '\\' => out.push_str("\\%{%}"),
                    '`' => out.push('\''),
                    _ => out.push(c),
                }
            }
            out
        }
        Dialect::Tmux => text.replace('#', "##"),
        Dialect::Bash => {
            // PS1 is first decoded (`\\` → `\`), then expanded (`\$` → `$`): two levels.
            let mut out = String::with_capacity(text.len() + 8);
            for c in text.chars() {
                match c {
                    '\\' => out.push_str("\\\\\\\\"),
                    '$' => out.push_str("\\\\$"),
                    '`' => out.push_str("\\\\`"),
                    _ => out.push(c),
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: Paint = Paint {
        level: Level::Ok,
        stale: false,
        color: true,
    };

    #[test]
    fn exact_bytes_per_dialect() {
        assert_eq!(paint(Dialect::Plain, "Q 37%", OK), "\x1b[32mQ 37%\x1b[0m");
        assert_eq!(
            paint(Dialect::Zsh, "Q 37%", OK),
            "%{\x1b[32m%}Q 37%%%{\x1b[0m%}"
        );
        assert_eq!(
            paint(Dialect::Bash, "Q 37%", OK),
            "\\[\x1b[32m\\]Q 37%\\[\x1b[0m\\]"
        );
        assert_eq!(
            paint(Dialect::Tmux, "Q #1", OK),
            "#[fg=green]Q ##1#[fg=default]"
        );
        assert_eq!(paint(Dialect::Fish, "x", OK), "\x1b[32mx\x1b[0m");
    }

    #[test]
    fn no_color_is_escaped_text_only() {
        let p = Paint { color: false, ..OK };
        assert_eq!(paint(Dialect::Zsh, "50%", p), "50%%");
        assert_eq!(
            paint(Dialect::Bash, "a$(b)`c`\\", p),
            "a\\\\$(b)\\\\`c\\\\`\\\\\\\\"
        );
    }

    #[test]
    fn zsh_text_is_inert_with_and_without_prompt_subst() {
        assert_eq!(
            escape(Dialect::Zsh, "a$(b)${c}`d`\\$e%f"),
            "a$%{%}(b)$%{%}{c}'d'\\%{%}$%{%}e%%f"
        );
    }

    #[test]
    fn stale_is_dimmed() {
        let p = Paint { stale: true, ..OK };
        assert_eq!(
            paint(Dialect::Tmux, "x", p),
            "#[fg=green,dim]x#[fg=default,nodim]"
        );
        assert!(
            paint(Dialect::Plain, "x", p).contains("2m")
                || paint(Dialect::Plain, "x", p).contains(";2")
        );
    }
}
