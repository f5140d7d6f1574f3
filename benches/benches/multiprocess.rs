//! The cost of recording into the multiprocess files, against the
//! in-memory counter: `FileValue::inc` (pid check, the file's mutex, the
//! key's lookup, read and write of the mapped value), its pid check alone
//! (`std::process::id()`, a system call), and `FileValue::set`.
//!
//! `cargo bench -p metrics-bench --features multiprocess --bench multiprocess`
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use promscribe::multiprocess::{FileKind, FileValue, GaugeMode, ProcessFiles, SampleKey};

promscribe::counter!(COUNTER, "bench_ops_total", "ops");

fn multiprocess(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = Arc::new(ProcessFiles::new(dir.path()));
    let key = SampleKey::new(
        "bench_requests",
        "bench_requests_total",
        &[("method", "GET"), ("path", "/api/v1/items")],
        "Requests.",
    );
    let counter = FileValue::new(Arc::clone(&files), FileKind::Counter, &key);
    let gauge = FileValue::new(files, FileKind::Gauge(GaugeMode::LiveSum), &key);
    let mut g = c.benchmark_group("multiprocess_inc");
    g.bench_function("in_memory_counter", |b| {
        b.iter(|| black_box(&COUNTER).inc())
    });
    g.bench_function("file_value_inc", |b| {
        b.iter(|| black_box(&counter).inc(1.0).expect("written"))
    });
    g.bench_function("file_value_set", |b| {
        b.iter(|| black_box(&gauge).set(1.0, 0.0).expect("written"))
    });
    g.bench_function("floor_getpid", |b| b.iter(|| black_box(std::process::id())));
    g.finish();
}

criterion_group!(benches, multiprocess);
criterion_main!(benches);
