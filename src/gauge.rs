//! The look of the gauge: glyph sets, the bar, and the colour level for a percentage.

/// A set of glyphs for `<bar>` and `<icon>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyphs {
    Unicode,
    Ascii,
    Nerd,
}

impl Glyphs {
    pub fn parse(s: &str) -> Option<Glyphs> {
        match s {
            "unicode" => Some(Glyphs::Unicode),
            "ascii" => Some(Glyphs::Ascii),
            "nerd" => Some(Glyphs::Nerd),
            _ => None,
        }
    }

    fn cells(self) -> (&'static str, &'static str) {
        match self {
            Glyphs::Unicode => ("▰", "▱"),
            Glyphs::Ascii => ("#", "-"),
            Glyphs::Nerd => ("\u{f0764}", "\u{f0766}"),
        }
    }

    /// The default `<icon>`.
    pub fn icon(self) -> &'static str {
        match self {
            Glyphs::Unicode | Glyphs::Ascii => "Q",
            // nf-md-robot_outline
            Glyphs::Nerd => "\u{f167a}",
        }
    }
}

/// A bar of `width` cells, filled in proportion to `pct` (rounded, clamped to 0..=width).
/// Any usage above zero fills at least one cell, so a live chat never looks empty.
pub fn bar(pct: f64, width: usize, glyphs: Glyphs) -> String {
    let (full, empty) = glyphs.cells();
    let pct = if pct.is_finite() {
        pct.clamp(0.0, 100.0)
    } else {
        0.0
    };
    let mut filled = (pct / 100.0 * width as f64).round() as usize;
    if pct > 0.0 && filled == 0 {
        filled = 1;
    }
    let filled = filled.min(width);
    let mut s = String::with_capacity(width * 3);
    for _ in 0..filled {
        s.push_str(full);
    }
    for _ in filled..width {
        s.push_str(empty);
    }
    s
}

/// Colour level of a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warning,
    Critical,
}

impl Level {
    pub fn of(pct: f64, warning: f64, critical: f64) -> Level {
        if pct >= critical {
            Level::Critical
        } else if pct >= warning {
            Level::Warning
        } else {
            Level::Ok
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Critical => "critical",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars() {
        assert_eq!(bar(37.0, 8, Glyphs::Unicode), "▰▰▰▱▱▱▱▱");
        assert_eq!(bar(1.9, 8, Glyphs::Ascii), "#-------");
        assert_eq!(bar(0.0, 4, Glyphs::Ascii), "----");
        assert_eq!(bar(250.0, 4, Glyphs::Ascii), "####");
        assert_eq!(bar(f64::NAN, 2, Glyphs::Ascii), "--");
    }

    #[test]
    fn levels() {
        assert_eq!(Level::of(69.9, 70.0, 90.0), Level::Ok);
        assert_eq!(Level::of(70.0, 70.0, 90.0), Level::Warning);
        assert_eq!(Level::of(90.0, 70.0, 90.0), Level::Critical);
    }
}
