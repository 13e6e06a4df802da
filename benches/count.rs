//! Parse-and-count of one conversation row: `count::parse` over a real 78 KB row, a ~300 KB
//! row and a ~10 MB row, both grown from the real one's entries.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

mod common;

fn parse_and_count(c: &mut Criterion) {
    let rows = [
        ("real_78KB", common::real_row()),
        ("grown_300KB", common::grown_row(300 * 1024)),
        ("grown_10MB", common::grown_row(10 * 1024 * 1024)),
    ];
    let mut group = c.benchmark_group("parse_and_count");
    for (name, row) in &rows {
        // A row that no longer parses would make every figure meaningless.
        q_status::count::parse(row).expect("bench row parses");
        if row.len() > 1024 * 1024 {
            group.sample_size(20);
        }
        group.throughput(Throughput::Bytes(row.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), row, |b, row| {
            b.iter(|| {
                let conv = q_status::count::parse(black_box(row)).expect("parses");
                q_status::usage::Usage::from_conversation(&conv)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse_and_count);
criterion_main!(benches);
