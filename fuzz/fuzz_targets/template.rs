//! A template and hostile data (model name, directory) rendered in every dialect: no panic,
//! and no control character from the data or the template reaches the output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use q_status::dialect::{self, Dialect, Paint};
use q_status::gauge::{Glyphs, Level};
use q_status::template::{Extras, Template};
use q_status::usage::{Breakdown, Source, Usage};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\u{0}');
    let format = parts.next().unwrap_or_default();
    let model = parts.next().unwrap_or_default();
    let dir = parts.next().unwrap_or_default();
    let Ok(t) = Template::parse(format) else {
        return;
    };
    let pct = (data.len() % 300) as f64 / 2.0;
    let u = Usage {
        conversation_id: Some(model.to_owned()),
        model: Some(model.to_owned()),
        pct,
        estimate_pct: pct,
        source: Source::Estimate,
        tokens: data.len() as u64,
        window: 200_000,
        turns: 3,
        breakdown: Breakdown::default(),
        credits: Some(pct),
        updated_ms: Some(1_700_000_000_000),
    };
    let x = Extras {
        glyphs: Glyphs::Unicode,
        icon: None,
        bar_width: 8,
        warning: 70.0,
        critical: 90.0,
        dir,
        now_ms: 1_700_000_060_000,
        stale: data.len() % 2 == 0,
        quota: Some((data.len() as u64, 0)),
    };
    let out = t.render(&u, &x);
    assert!(!out.chars().any(char::is_control), "{out:?}");
    for d in [
        Dialect::Plain,
        Dialect::Zsh,
        Dialect::Bash,
        Dialect::Fish,
        Dialect::Tmux,
    ] {
        let p = Paint {
            level: Level::of(pct, 70.0, 90.0),
            stale: x.stale,
            color: false,
        };
        let escaped = dialect::paint(d, &out, p);
        assert!(!escaped.contains('\u{1b}'), "{d:?}: {escaped:?}");
        let _ = dialect::paint(d, &out, Paint { color: true, ..p });
    }
});
