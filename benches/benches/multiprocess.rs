//! The cost of recording into the multiprocess files, against the
//! in-memory counter: `FileValue::inc` (a check of the fork generation and
//! a compare-exchange on the value's address in the mapping, cached after
//! the first update), `set` and `get`, on one thread and on two threads
//! updating distinct values; and, for comparison, what a pid check per
//! update would cost (`std::process::id()`, a system call: what Python
//! does, and what fork detection by generation avoids).
//!
//! Then the metric types (group `multiprocess_metrics`), each case in
//! memory and in multiprocess mode: a declared `counter!`'s `inc`, a
//! family child's `inc` through a kept handle (`labels_owned`), a
//! `histogram!`'s `observe` (11 bounds), a `gauge!`'s `set` (mode `all`).
//! The mode is process-wide, and an update keeps what the process's first
//! update learnt of it: so the in-memory cases run first, on their own
//! metrics, before `multiprocess::init`; the multiprocess cases then run on
//! other metrics, first read after `init` (which asks the mode again). At
//! the end, each multiprocess case that ran is checked to have written its
//! file: the entry is there and holds what the metric counted.
//!
//! `cargo bench -p metrics-bench --features multiprocess --bench multiprocess`
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use promscribe::multiprocess::{
    self, encode_key, read_entries, FileKind, FileValue, GaugeMode, ProcessFiles, SampleKey,
};
use promscribe::{Counter, Gauge, OwnedChild};

promscribe::counter!(COUNTER, "bench_ops_total", "ops");
promscribe::counter!(COUNTER_B, "bench_other_ops_total", "ops");

const OBSERVED: f64 = 0.3;

/// The metrics of one side of `multiprocess_metrics`: the same
/// declarations twice, under other names.
mod memory {
    promscribe::counter!(pub(crate) COUNTER, "bench_memory_ops_total", "ops");
    promscribe::counter!(
        pub(crate) REQUESTS,
        "bench_memory_requests_total",
        "requests",
        labels = ["method", "path"]
    );
    promscribe::histogram!(
        pub(crate) LATENCY,
        "bench_memory_latency_seconds",
        "latency",
        buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
    );
    promscribe::gauge!(pub(crate) DEPTH, "bench_memory_depth", "depth");
}

mod files {
    promscribe::counter!(pub(crate) COUNTER, "bench_files_ops_total", "ops");
    promscribe::counter!(
        pub(crate) REQUESTS,
        "bench_files_requests_total",
        "requests",
        labels = ["method", "path"]
    );
    promscribe::histogram!(
        pub(crate) LATENCY,
        "bench_files_latency_seconds",
        "latency",
        buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
    );
    promscribe::gauge!(pub(crate) DEPTH, "bench_files_depth", "depth");
}

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

/// The kept handle of the family child the `child_inc` cases update.
fn child(family: &promscribe::Family<Counter, 2>) -> OwnedChild<Counter> {
    family.labels_owned(["get", "/api/v1/items"])
}

/// Benchmarks the four updates of one side's metrics, as `<case>/<side>`;
/// which of them ran (a filter may leave some out).
fn metric_updates(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    side: &str,
    counter: &'static Counter,
    child: &OwnedChild<Counter>,
    histogram: &'static promscribe::Histogram,
    gauge: &'static Gauge,
) -> [bool; 4] {
    let mut ran = [false; 4];
    g.bench_function(format!("counter_inc/{side}"), |b| {
        ran[0] = true;
        b.iter(|| black_box(counter).inc())
    });
    g.bench_function(format!("child_inc/{side}"), |b| {
        ran[1] = true;
        b.iter(|| black_box(child).inc())
    });
    g.bench_function(format!("histogram_observe/{side}"), |b| {
        ran[2] = true;
        b.iter(|| black_box(histogram).observe(black_box(OBSERVED)))
    });
    g.bench_function(format!("gauge_set/{side}"), |b| {
        ran[3] = true;
        b.iter(|| black_box(gauge).set(black_box(2.5)))
    });
    ran
}

/// The value of the entry `key` in this process's `kind` file of `dir`;
/// panics (fails the run) if there is none.
fn file_value(dir: &std::path::Path, kind: FileKind, key: &SampleKey) -> f64 {
    let path = dir.join(kind.file_name(std::process::id()));
    let key = encode_key(key);
    let entries = read_entries(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    entries
        .iter()
        .find(|e| e.key == key)
        .unwrap_or_else(|| panic!("no entry {key} in {}", path.display()))
        .value
}

fn multiprocess_metrics(c: &mut Criterion) {
    let mut g = c.benchmark_group("multiprocess_metrics");

    // In memory: before `init`, so that these metrics' first updates (and
    // the process's) find the mode off.
    assert!(
        multiprocess::process_files().is_none(),
        "run without PROMETHEUS_MULTIPROC_DIR: the in-memory cases come first"
    );
    let memory_child = child(&memory::REQUESTS);
    metric_updates(
        &mut g,
        "in_memory",
        &memory::COUNTER,
        &memory_child,
        &memory::LATENCY,
        &memory::DEPTH,
    );

    // Multiprocess mode: other metrics, read once after `init` so that
    // each makes its file entries before the measurement.
    let dir = tempfile::tempdir().expect("a temporary directory");
    multiprocess::init(dir.path()).expect("multiprocess mode on");
    assert_eq!(files::COUNTER.get(), 0.0);
    let files_child = child(&files::REQUESTS);
    assert_eq!(files_child.get(), 0.0);
    assert_eq!(files::LATENCY.get_count(), 0);
    assert_eq!(files::DEPTH.get(), 0.0);
    let ran = metric_updates(
        &mut g,
        "multiprocess",
        &files::COUNTER,
        &files_child,
        &files::LATENCY,
        &files::DEPTH,
    );
    g.finish();

    // The multiprocess cases wrote their files: each entry is there and
    // holds what the metric counted (nothing went to memory instead).
    let d = dir.path();
    if ran[0] {
        let key = SampleKey::new("bench_files_ops", "bench_files_ops_total", &[], "ops");
        let v = file_value(d, FileKind::Counter, &key);
        assert!(v > 0.0 && v == files::COUNTER.get(), "{v}");
    }
    if ran[1] {
        let labels = [("method", "get"), ("path", "/api/v1/items")];
        let key = SampleKey::new(
            "bench_files_requests",
            "bench_files_requests_total",
            &labels,
            "requests",
        );
        let v = file_value(d, FileKind::Counter, &key);
        assert!(v > 0.0 && v == files_child.get(), "{v}");
    }
    if ran[2] {
        // 0.3 falls in the bucket `le="0.5"`; the sum is 0.3 per update.
        let labels = [("le", "0.5")];
        let key = SampleKey::new(
            "bench_files_latency_seconds",
            "bench_files_latency_seconds_bucket",
            &labels,
            "latency",
        );
        let v = file_value(d, FileKind::Histogram, &key);
        assert!(v > 0.0 && v == files::LATENCY.get_count() as f64, "{v}");
    }
    if ran[3] {
        let key = SampleKey::new("bench_files_depth", "bench_files_depth", &[], "depth");
        let v = file_value(d, FileKind::Gauge(GaugeMode::All), &key);
        assert_eq!(v, 2.5);
    }
    assert_eq!(multiprocess::failed_updates(), 0);
}

criterion_group!(benches, multiprocess, multiprocess_metrics);
criterion_main!(benches);
