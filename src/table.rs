//! Plain text tables for `list` and `report`: columns padded to their widest cell, fitted to
//! the terminal by shortening the flexible columns (a path keeps its end, other text its
//! start). When stdout is not a terminal nothing is cut and nothing is coloured.

use owo_colors::OwoColorize;

/// Which side of a column its cells hug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// How a column may be shortened to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Never cut.
    Fixed,
    /// Cut at the start (`…ects/q-status`): paths.
    KeepEnd,
    /// Cut at the end (`claude-son…`).
    KeepStart,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub title: &'static str,
    pub align: Align,
    pub fit: Fit,
}

impl Column {
    pub const fn new(title: &'static str, align: Align, fit: Fit) -> Column {
        Column { title, align, fit }
    }
}

/// Columns and rows of text; the last row may be a totals row set apart by a rule.
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    pub totals: Option<Vec<String>>,
}

/// Narrowest a flexible column is cut to.
const MIN_FLEX: usize = 8;
const GAP: usize = 2;

fn width(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `w` characters with `…` where the cut is.
pub fn cut(s: &str, w: usize, fit: Fit) -> String {
    let n = width(s);
    if n <= w || fit == Fit::Fixed {
        return s.to_owned();
    }
    if w == 0 {
        return String::new();
    }
    match fit {
        Fit::KeepEnd => {
            let tail: String = s.chars().skip(n - (w - 1)).collect();
            format!("…{tail}")
        }
        _ => {
            let head: String = s.chars().take(w - 1).collect();
            format!("{head}…")
        }
    }
}

impl Table {
    /// Renders the table; `max_width` (the terminal's) cuts flexible columns, `None` cuts
    /// nothing. `color` makes the header bold and the totals row bold.
    pub fn render(&self, max_width: Option<usize>, color: bool) -> String {
        let n = self.columns.len();
        let all_rows = self.rows.iter().chain(self.totals.iter());
        let mut widths: Vec<usize> = self.columns.iter().map(|c| width(c.title)).collect();
        for row in all_rows {
            for (i, cell) in row.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(cell));
            }
        }
        if let Some(max) = max_width {
            shrink(&mut widths, &self.columns, max);
        }
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| c.title.to_owned()).collect();
        self.push_row(&mut out, &header, &widths, color);
        for row in &self.rows {
            self.push_row(&mut out, row, &widths, false);
        }
        if let Some(t) = &self.totals {
            let total: usize = widths.iter().sum::<usize>() + GAP * n.saturating_sub(1);
            out.push_str(&"─".repeat(total));
            out.push('\n');
            self.push_row(&mut out, t, &widths, color);
        }
        out
    }

    fn push_row(&self, out: &mut String, row: &[String], widths: &[usize], bold: bool) {
        let mut line = String::new();
        for (i, col) in self.columns.iter().enumerate() {
            let cell = cut(row.get(i).map_or("", String::as_str), widths[i], col.fit);
            let pad = widths[i].saturating_sub(width(&cell));
            if i > 0 {
                line.push_str(&" ".repeat(GAP));
            }
            match col.align {
                Align::Left => {
                    line.push_str(&cell);
                    if i + 1 < widths.len() {
                        line.push_str(&" ".repeat(pad));
                    }
                }
                Align::Right => {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(&cell);
                }
            }
        }
        let line = line.trim_end();
        if bold {
            out.push_str(&line.bold().to_string());
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// Shortens flexible columns, widest first, until the row fits `max` or none can shrink.
fn shrink(widths: &mut [usize], columns: &[Column], max: usize) {
    let total = |w: &[usize]| w.iter().sum::<usize>() + GAP * w.len().saturating_sub(1);
    while total(widths) > max {
        let widest = columns
            .iter()
            .enumerate()
            .filter(|(i, c)| c.fit != Fit::Fixed && widths[*i] > MIN_FLEX)
            .max_by_key(|(i, _)| widths[*i])
            .map(|(i, _)| i);
        let Some(i) = widest else { break };
        let excess = total(widths) - max;
        widths[i] = widths[i].saturating_sub(excess).max(MIN_FLEX);
    }
}

/// The width to fit tables to: `None` when stdout is not a terminal (nothing is cut);
/// `COLUMNS` wins over the terminal's own size.
pub fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c: &usize| c > 0)
        .or_else(|| {
            crossterm::terminal::size()
                .ok()
                .map(|(w, _)| usize::from(w))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            columns: vec![
                Column::new("DIR", Align::Left, Fit::KeepEnd),
                Column::new("N", Align::Right, Fit::Fixed),
            ],
            rows: vec![
                vec!["/home/me/projects/q-status".into(), "7".into()],
                vec!["/tmp".into(), "12".into()],
            ],
            totals: Some(vec!["total".into(), "19".into()]),
        }
    }

    #[test]
    fn piped_tables_are_not_cut() {
        let t = table().render(None, false);
        assert_eq!(
            t,
            "DIR                          N\n\
             /home/me/projects/q-status   7\n\
             /tmp                        12\n\
             ──────────────────────────────\n\
             total                       19\n"
        );
    }

    #[test]
    fn fits_the_width_keeping_the_path_end() {
        let t = table().render(Some(16), false);
        for line in t.lines() {
            assert!(line.chars().count() <= 16, "{line:?}");
        }
        assert!(t.contains("…ts/q-status   7\n"), "{t}");
    }

    #[test]
    fn cut_forms() {
        assert_eq!(cut("claude-sonnet-4", 8, Fit::KeepStart), "claude-…");
        assert_eq!(cut("/a/b/c/d", 4, Fit::KeepEnd), "…c/d");
        assert_eq!(cut("abc", 2, Fit::Fixed), "abc");
    }
}
