//! The cost of recording into the multiprocess files, against the
//! in-memory counter: `FileValue::inc` (a check of the fork generation and
//! a compare-exchange on the value's address in the mapping, cached after
//! the first update), `set` and `get`, on one thread and on two threads
//! updating distinct values; and, for comparison, what a pid check per
//! update would cost (`std::process::id()`, a system call: what Python
//! does, and what fork detection by generation avoids).
//!
//! `cargo bench -p metrics-bench --features multiprocess --bench multiprocess`
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use promscribe::multiprocess::{FileKind, FileValue, GaugeMode, ProcessFiles, SampleKey};

promscribe::counter!(COUNTER, "bench_ops_total", "ops");
promscribe::counter!(COUNTER_B, "bench_other_ops_total", "ops");

/// Runs `op(t)` `iters` times on each of two threads `t` at once; the
/// wall time from both starting to both finishing. Per iteration, that
/// is the time of one update on each thread: equal to one thread's if
/// the two do not slow each other down.
fn two_threads(iters: u64, op: impl Fn(usize) + Sync) -> Duration {
    let barrier = Barrier::new(3);
    std::thread::scope(|s| {
        for t in 0..2 {
            let (barrier, op) = (&barrier, &op);
            s.spawn(move || {
                barrier.wait();
                for _ in 0..iters {
                    op(t);
                }
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        start.elapsed()
    })
}

fn key(path: &str) -> SampleKey {
    SampleKey::new(
        "bench_requests",
        "bench_requests_total",
        &[("method", "GET"), ("path", path)],
        "Requests.",
    )
}

fn multiprocess(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = Arc::new(ProcessFiles::new(dir.path()));
    let counter = FileValue::new(Arc::clone(&files), FileKind::Counter, &key("/api/v1/items"));
    let other = FileValue::new(Arc::clone(&files), FileKind::Counter, &key("/api/v1/users"));
    let gauge = FileValue::new(
        files,
        FileKind::Gauge(GaugeMode::LiveSum),
        &key("/api/v1/items"),
    );
    for value in [&counter, &other, &gauge] {
        value.inc(0.0).expect("created");
    }
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
    g.bench_function("file_value_get", |b| {
        b.iter(|| black_box(&counter).get().expect("read"))
    });
    g.bench_function("in_memory_counter_2_threads", |b| {
        let counters = [&COUNTER, &COUNTER_B];
        b.iter_custom(|iters| two_threads(iters, |t| black_box(counters[t]).inc()))
    });
    g.bench_function("file_value_inc_2_threads", |b| {
        let values = [&counter, &other];
        b.iter_custom(|iters| {
            two_threads(iters, |t| black_box(values[t]).inc(1.0).expect("written"))
        })
    });
    g.bench_function("floor_getpid", |b| b.iter(|| black_box(std::process::id())));
    g.finish();
}

criterion_group!(benches, multiprocess);
criterion_main!(benches);
