//! Making text from the data safe for a terminal, a shell prompt or tmux.
//!
//! Model names, directories and summaries come from a file another program wrote, and parts of
//! it from a language model. Before any of it is printed, escape sequences (CSI, OSC, DCS, ...),
//! control characters, bidi overrides and zero-width characters are removed and the length is
//! capped. Dialect escaping (`%`, `$`, `#`) happens later, in `dialect`.

/// Removes escape sequences and invisible or reordering characters; keeps at most `max_chars`
/// characters, ending with `…` when cut.
pub fn sanitize(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 4));
    let mut chars = s.chars().peekable();
    let mut kept = 0;
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            skip_escape(&mut chars);
            continue;
        }
        if is_unsafe(c) {
            continue;
        }
        if kept == max_chars {
            out.pop();
            out.push('…');
            break;
        }
        out.push(c);
        kept += 1;
    }
    out
}

/// Characters that must never reach a terminal from the data.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' // soft hyphen
            | '\u{061C}' // Arabic letter mark (a bidi mark)
            | '\u{180E}' // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM/RLM
            | '\u{2028}'..='\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}' // BOM / zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
            | '\u{E0000}'..='\u{E007F}' // tag characters: invisible ASCII look-alikes
        )
}

/// Skips the rest of an escape sequence that started with ESC.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        // CSI: parameters and intermediates, then one final byte in @..~
        Some('[') => {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        // OSC, DCS, SOS, PM, APC: until BEL or ST (ESC \)
        Some(']' | 'P' | 'X' | '^' | '_') => {
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    break;
                }
            }
        }
        // Two-character escapes (ESC c, ESC 7, ...) end here.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn strips_escapes_and_invisible_characters() {
        assert_eq!(sanitize("a\u{1b}[2Jb", 80), "ab");
        assert_eq!(sanitize("\u{1b}]0;title\u{7}model", 80), "model");
        assert_eq!(sanitize("\u{1b}]52;c;aGk=\u{1b}\\x", 80), "x");
        assert_eq!(sanitize("r\u{202E}evil\u{200B}", 80), "revil");
        assert_eq!(sanitize("tab\tnew\nline\r", 80), "tabnewline");
        assert_eq!(sanitize("\u{9b}31m", 80), "31m");
        assert_eq!(
            sanitize("a\u{61c}\u{2028}\u{ad}\u{e0041}\u{e007f}b", 80),
            "ab"
        );
    }

    #[test]
    fn caps_length() {
        assert_eq!(sanitize("abcdef", 4), "abc…");
        assert_eq!(sanitize("abcd", 4), "abcd");
        assert_eq!(sanitize(&"é".repeat(1_000_000), 10).chars().count(), 10);
    }
}
