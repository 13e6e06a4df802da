//! Render: the default template filled from a real row's usage, then painted in each dialect.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use q_status::dialect::{self, Dialect, Paint};
use q_status::gauge::{Glyphs, Level};
use q_status::template::{Extras, Template, DEFAULT_FORMAT};
use q_status::usage::Usage;

mod common;

fn render(c: &mut Criterion) {
    let conv = q_status::count::parse(&common::real_row()).expect("fixture parses");
    let usage = Usage::from_conversation(&conv);
    let extras = Extras {
        glyphs: Glyphs::Unicode,
        icon: None,
        bar_width: 8,
        warning: 70.0,
        critical: 90.0,
        dir: "project",
        now_ms: 1_765_000_000_000,
        stale: false,
        quota: None,
    };
    let rich = "<icon> <bar> <pct1>% <tokens>/<window> <model> (<source>) <turns> turns in <dir>";

    let mut group = c.benchmark_group("render");
    group.bench_function("template_parse_default", |b| {
        b.iter(|| Template::parse(black_box(DEFAULT_FORMAT)))
    });
    for (name, text) in [("default", DEFAULT_FORMAT), ("rich", rich)] {
        let template = Template::parse(text).expect("valid template");
        group.bench_function(BenchmarkId::new("template_fill", name), |b| {
            b.iter(|| template.render(black_box(&usage), black_box(&extras)))
        });
    }
    let template = Template::parse(DEFAULT_FORMAT).expect("valid template");
    let paint = Paint {
        level: Level::of(usage.pct, extras.warning, extras.critical),
        stale: false,
        color: true,
    };
    for (name, d) in [
        ("plain", Dialect::Plain),
        ("zsh", Dialect::Zsh),
        ("bash", Dialect::Bash),
        ("tmux", Dialect::Tmux),
    ] {
        group.bench_function(BenchmarkId::new("fill_and_paint", name), |b| {
            b.iter(|| {
                let text = template.render(black_box(&usage), black_box(&extras));
                dialect::paint(d, &text, paint)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
