//! Drawing `--watch`: a pure function from the [`Model`] to a ratatui buffer, five lines high.
//!
//! ```text
//! Q 37% ▰▰▰▰▰▰▰▰▰▰▱▱▱▱▱▱▱▱▱▱▱▱▱▱▱▱▱ 74k/200k
//! claude-sonnet-4 · backend · 12 turns · 0.31 credits
//! ▁▁▂▂▃▃▄▅▆ +2k tok/min · full in ~1h15m
//! watching /home/me/.local/share/kiro-cli/data.sqlite3
//! q quit · r refresh · ? help
//! ```
//!
//! The percentage comes first on the gauge line so that it survives any width.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

use super::model::{Body, Burn, Look, Model, Snapshot};
use crate::gauge::{self, Level};
use crate::usage::human;

/// Lines the inline view takes.
pub const HEIGHT: u16 = 5;
/// The bar stops growing here; wider terminals get space on the right.
const MAX_BAR: usize = 60;

/// Draws `m` into `area` of `buf`, one row per line, the gauge first.
pub fn render(m: &Model, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    let lines: [Row; HEIGHT as usize] = match (&m.body, m.show_help) {
        (_, true) => help_lines(m, width),
        (Body::Usage(s), false) => [
            Row::Text(gauge_line(s, &m.look, width)),
            Row::Text(details_line(s, &m.look)),
            Row::Spark(s),
            Row::Text(status_line(m)),
            Row::Text(keys_line(&m.look)),
        ],
        (Body::Starting, false) => [
            Row::Text(Line::from(vec![icon(&m.look), Span::raw("reading…")])),
            Row::Blank,
            Row::Blank,
            Row::Text(status_line(m)),
            Row::Text(keys_line(&m.look)),
        ],
        (Body::Empty(why), false) => [
            Row::Text(Line::from(vec![
                icon(&m.look),
                Span::styled("–", dim(&m.look)),
                Span::raw(" "),
                Span::raw(why.clone()),
            ])),
            Row::Blank,
            Row::Blank,
            Row::Text(status_line(m)),
            Row::Text(keys_line(&m.look)),
        ],
    };
    for (i, line) in lines.into_iter().enumerate() {
        let Ok(dy) = u16::try_from(i) else { break };
        if dy >= area.height {
            break;
        }
        let row = Rect::new(area.x, area.y + dy, area.width, 1);
        match line {
            Row::Text(l) => l.render(row, buf),
            Row::Spark(s) => spark_row(s, &m.look, row, buf),
            Row::Blank => {}
        }
    }
}

enum Row<'a> {
    Text(Line<'a>),
    Spark(&'a Snapshot),
    Blank,
}

fn fg(look: &Look, c: Color) -> Style {
    if look.color {
        Style::new().fg(c)
    } else {
        Style::new()
    }
}

fn dim(look: &Look) -> Style {
    if look.color {
        Style::new().add_modifier(Modifier::DIM)
    } else {
        Style::new()
    }
}

/// The colour of a level: the segment's green / yellow / red.
pub fn level_style(look: &Look, level: Level) -> Style {
    fg(
        look,
        match level {
            Level::Ok => Color::Green,
            Level::Warning => Color::Yellow,
            Level::Critical => Color::Red,
        },
    )
}

fn icon(look: &Look) -> Span<'static> {
    Span::styled(format!("{} ", look.glyphs.icon()), Style::new())
}

/// `1.9%` below ten, `37%` above: the view has room for the decimal the prompt drops.
pub fn pct_text(pct: f64) -> String {
    if pct < 9.95 {
        format!("{pct:.1}%")
    } else {
        format!("{pct:.0}%")
    }
}

fn gauge_line<'a>(s: &Snapshot, look: &Look, width: usize) -> Line<'a> {
    let style = level_style(look, Level::of(s.pct, look.warning, look.critical));
    let pct = pct_text(s.pct);
    let tokens = format!("{}/{}", human(s.tokens), human(s.window));
    let icon_text = format!("{} ", look.glyphs.icon());
    let mut used = pct.chars().count();
    // Extras only when a bar of at least a few cells still fits beside them.
    let with_tokens = width >= used + 1 + tokens.len() + 1 + 4;
    if with_tokens {
        used += 1 + tokens.len();
    }
    let with_icon = width >= used + icon_text.chars().count() + 1 + 8;
    if with_icon {
        used += icon_text.chars().count();
    }
    let bar_width = width.saturating_sub(used + 1).min(MAX_BAR);
    let mut spans = Vec::with_capacity(6);
    if with_icon {
        spans.push(Span::raw(icon_text));
    }
    spans.push(Span::styled(pct, style.add_modifier(Modifier::BOLD)));
    if bar_width > 0 {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            gauge::bar(s.pct, bar_width, look.glyphs),
            style,
        ));
    }
    if with_tokens {
        spans.push(Span::raw(" "));
        spans.push(Span::raw(tokens));
    }
    Line::from(spans)
}

fn details_line<'a>(s: &Snapshot, look: &Look) -> Line<'a> {
    let sep = || Span::styled(" · ", dim(look));
    let mut spans = vec![
        Span::raw(s.model.clone().unwrap_or_else(|| "unknown model".into())),
        sep(),
        Span::raw(s.source.as_str()),
        sep(),
        Span::raw(match s.turns {
            1 => "1 turn".to_string(),
            n => format!("{n} turns"),
        }),
    ];
    if let Some(c) = s.credits {
        spans.push(sep());
        spans.push(Span::raw(format!("{c:.2} credits")));
    }
    Line::from(spans)
}

fn spark_row(s: &Snapshot, look: &Look, row: Rect, buf: &mut Buffer) {
    let burn = burn_text(s.burn);
    let width = usize::from(row.width);
    // The burn text only where it leaves the sparkline some room.
    let show_burn = !burn.is_empty() && width >= burn.chars().count() + 1 + 8;
    let spark_width = if show_burn {
        width - burn.chars().count() - 1
    } else {
        width
    }
    .min(s.series.len());
    let points: Vec<u64> = s.series[s.series.len() - spark_width..]
        .iter()
        .map(|p| (p.max(0.0) * 10.0).round() as u64)
        .collect();
    let spark_area = Rect::new(row.x, row.y, spark_width as u16, 1);
    Sparkline::default()
        .data(&points)
        .style(level_style(
            look,
            Level::of(s.pct, look.warning, look.critical),
        ))
        .render(spark_area, buf);
    if show_burn {
        let x = spark_width as u16 + 1;
        let area = Rect::new(row.x + x, row.y, row.width.saturating_sub(x), 1);
        Line::from(Span::raw(burn)).render(area, buf);
    }
}

/// `+2.1k tok/min · full in ~1h05m`; empty without a burn rate.
pub fn burn_text(b: Option<Burn>) -> String {
    let Some(b) = b else {
        return String::new();
    };
    let sign = if b.per_min < 0.0 { "-" } else { "+" };
    let rate = human(b.per_min.abs().round() as u64);
    match b.full_in_min {
        Some(m) => format!("{sign}{rate} tok/min · full in {}", duration_text(m)),
        None => format!("{sign}{rate} tok/min"),
    }
}

/// `<1m`, `~42m`, `~3h05m`, `~4d`.
pub fn duration_text(minutes: f64) -> String {
    if !minutes.is_finite() || minutes >= 48.0 * 60.0 {
        let days = (minutes / 1440.0).round();
        return if days.is_finite() && days < 100.0 {
            format!("~{days:.0}d")
        } else {
            "a long time".into()
        };
    }
    let m = minutes.round() as u64;
    match m {
        0 => "<1m".into(),
        1..=59 => format!("~{m}m"),
        _ => format!("~{}h{:02}m", m / 60, m % 60),
    }
}

fn status_line<'a>(m: &Model) -> Line<'a> {
    match &m.problem {
        Some(p) => Line::from(Span::styled(
            format!("! {p}"),
            fg(&m.look, Color::Red).add_modifier(Modifier::BOLD),
        )),
        None => Line::from(Span::styled(
            format!("watching {}", m.watching),
            dim(&m.look),
        )),
    }
}

fn keys_line<'a>(look: &Look) -> Line<'a> {
    let key = |k: &'static str| Span::styled(k, Style::new().add_modifier(Modifier::BOLD));
    let text = |t: &'static str| Span::styled(t, dim(look));
    Line::from(vec![
        key("q"),
        text(" quit · "),
        key("r"),
        text(" refresh · "),
        key("?"),
        text(" help"),
    ])
}

fn help_lines<'a>(m: &Model, width: usize) -> [Row<'a>; HEIGHT as usize] {
    let look = &m.look;
    let first = match &m.body {
        Body::Usage(s) => gauge_line(s, look, width),
        _ => Line::from(icon(look)),
    };
    [
        Row::Text(first),
        Row::Text(Line::from(
            "backend: the service's own figure · estimate: bytes / 4",
        )),
        Row::Text(Line::from(
            "graph: usage per turn · burn: tokens/min over the last 6 turns",
        )),
        Row::Text(Line::from(format!(
            "yellow from {}%, red from {}%",
            look.warning, look.critical
        ))),
        Row::Text(Line::from(vec![
            Span::styled("q", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(" / Esc / Ctrl-C quit · "),
            Span::styled("r", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(" re-read now · "),
            Span::styled("?", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(" close help"),
        ])),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gauge::Glyphs;
    use crate::usage::Source;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    const LOOK: Look = Look {
        warning: 70.0,
        critical: 90.0,
        glyphs: Glyphs::Unicode,
        color: true,
    };

    fn snapshot(pct: f64) -> Snapshot {
        Snapshot {
            pct,
            tokens: (pct * 2_000.0) as u64,
            window: 200_000,
            model: Some("claude-sonnet-4".into()),
            source: Source::Backend,
            turns: 12,
            credits: Some(0.3125),
            series: vec![10.0, 20.0, pct],
            burn: Some(Burn {
                per_min: 2_100.0,
                full_in_min: Some(65.0),
            }),
        }
    }

    fn model(body: Body) -> Model {
        let mut m = Model::new(LOOK, "/data/kiro-cli/data.sqlite3".into());
        m.body = body;
        m
    }

    fn draw(m: &Model, width: u16) -> Buffer {
        let mut t = Terminal::new(TestBackend::new(width, HEIGHT)).unwrap();
        t.draw(|f| render(m, f.area(), f.buffer_mut())).unwrap();
        t.backend().buffer().clone()
    }

    fn rows(b: &Buffer) -> Vec<String> {
        (0..b.area.height)
            .map(|y| {
                (0..b.area.width)
                    .map(|x| b[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    /// The colour of the first cell of `needle` on row `y`.
    fn fg_of(b: &Buffer, y: u16, needle: &str) -> Color {
        let row = &rows(b)[usize::from(y)];
        let byte = row
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in {row:?}"));
        let x = row[..byte].chars().count() as u16;
        b[(x, y)].fg
    }

    #[test]
    fn normal_state_shows_every_field() {
        let b = draw(&model(Body::Usage(snapshot(37.0))), 60);
        let r = rows(&b);
        assert!(r[0].starts_with("Q 37% ▰"), "{r:?}");
        assert!(r[0].ends_with("▱ 74k/200k"), "{r:?}");
        assert_eq!(r[1], "claude-sonnet-4 · backend · 12 turns · 0.31 credits");
        assert!(r[2].ends_with("+2k tok/min · full in ~1h05m"), "{r:?}");
        assert!(r[2].starts_with("▂▄█ "), "{r:?}");
        assert_eq!(r[3], "watching /data/kiro-cli/data.sqlite3");
        assert_eq!(r[4], "q quit · r refresh · ? help");
        assert_eq!(fg_of(&b, 0, "37%"), Color::Green);
        assert_eq!(fg_of(&b, 0, "▰"), Color::Green);
    }

    #[test]
    fn warning_and_critical_colour_the_gauge() {
        let b = draw(&model(Body::Usage(snapshot(75.0))), 60);
        assert_eq!(fg_of(&b, 0, "75%"), Color::Yellow);
        let b = draw(&model(Body::Usage(snapshot(95.0))), 60);
        assert_eq!(fg_of(&b, 0, "95%"), Color::Red);
        assert_eq!(fg_of(&b, 2, "█"), Color::Red);
    }

    #[test]
    fn no_colour_when_disabled() {
        let mut m = model(Body::Usage(snapshot(95.0)));
        m.look.color = false;
        let b = draw(&m, 60);
        assert_eq!(fg_of(&b, 0, "95%"), Color::Reset);
    }

    #[test]
    fn no_conversation_says_so() {
        let m = model(Body::Empty(
            "no conversation for directory /home/me/x".into(),
        ));
        let r = rows(&draw(&m, 60));
        assert_eq!(r[0], "Q – no conversation for directory /home/me/x");
        assert_eq!(r[1], "");
        assert_eq!(r[3], "watching /data/kiro-cli/data.sqlite3");
        assert_eq!(r[4], "q quit · r refresh · ? help");
    }

    #[test]
    fn error_state_keeps_the_last_value_under_a_red_status_line() {
        let mut m = model(Body::Usage(snapshot(37.0)));
        m.problem = Some("gone: /data/kiro-cli/data.sqlite3 (waiting for it)".into());
        let b = draw(&m, 60);
        let r = rows(&b);
        assert!(r[0].contains("37%"));
        assert_eq!(r[3], "! gone: /data/kiro-cli/data.sqlite3 (waiting for it)");
        assert_eq!(fg_of(&b, 3, "gone"), Color::Red);
    }

    #[test]
    fn narrow_widths_keep_the_percentage() {
        for width in [20, 12, 8, 5] {
            let r = rows(&draw(&model(Body::Usage(snapshot(37.0))), width));
            assert!(r[0].starts_with("37%"), "{width}: {r:?}");
        }
        let r = rows(&draw(&model(Body::Usage(snapshot(37.0))), 20));
        assert_eq!(r[0], "37% ▰▰▰▱▱▱▱ 74k/200k");
        let r = rows(&draw(&model(Body::Usage(snapshot(100.0))), 20));
        assert!(r[0].starts_with("100% ▰"), "{r:?}");
    }

    #[test]
    fn help_replaces_the_details() {
        let mut m = model(Body::Usage(snapshot(37.0)));
        m.show_help = true;
        let r = rows(&draw(&m, 70));
        assert!(r[0].contains("37%"));
        assert!(
            r[1].starts_with("backend: the service's own figure"),
            "{r:?}"
        );
        assert_eq!(r[3], "yellow from 70%, red from 90%");
        assert!(r[4].starts_with("q / Esc / Ctrl-C quit"), "{r:?}");
    }

    #[test]
    fn short_terminal_shows_the_gauge_first() {
        let m = model(Body::Usage(snapshot(37.0)));
        let mut t = Terminal::new(TestBackend::new(30, 2)).unwrap();
        t.draw(|f| render(&m, f.area(), f.buffer_mut())).unwrap();
        let r = rows(t.backend().buffer());
        assert!(r[0].contains("37%"), "{r:?}");
    }

    #[test]
    fn durations_and_rates() {
        assert_eq!(duration_text(0.2), "<1m");
        assert_eq!(duration_text(42.4), "~42m");
        assert_eq!(duration_text(185.0), "~3h05m");
        assert_eq!(duration_text(6000.0), "~4d");
        assert_eq!(duration_text(f64::INFINITY), "a long time");
        assert_eq!(pct_text(1.9024), "1.9%");
        assert_eq!(pct_text(37.4), "37%");
        assert_eq!(burn_text(None), "");
        let falling = Some(Burn {
            per_min: -3_000.0,
            full_in_min: None,
        });
        assert_eq!(burn_text(falling), "-3k tok/min");
    }
}
