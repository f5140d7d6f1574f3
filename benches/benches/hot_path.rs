//! Hot-path costs against the Rust peers, measured in one run:
//! `cargo bench -p metrics-bench --bench hot_path`.
//!
//! Each group holds the same operation for this crate, `prometheus` and
//! `prometheus-client`; criterion reports each, and the ratios follow
//! from the reported times.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family as PcFamily;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram as PcHistogram};

promscribe::counter!(OURS_COUNTER, "bench_ops_total", "ops");
promscribe::histogram!(OURS_HIST, "bench_latency_seconds", "latency");
promscribe::counter!(
    OURS_FAMILY,
    "bench_requests_total",
    "requests",
    labels = ["method", "path"]
);

fn counter_inc(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter_inc");
    g.bench_function("promscribe", |b| b.iter(|| black_box(&OURS_COUNTER).inc()));
    let theirs = prometheus::Counter::new("x", "x").expect("valid");
    g.bench_function("prometheus", |b| b.iter(|| black_box(&theirs).inc()));
    let pc: PcCounter = PcCounter::default();
    g.bench_function("prometheus-client", |b| b.iter(|| black_box(&pc).inc()));
    g.finish();
}

fn counter_inc_by_float(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter_inc_by_0.5");
    g.bench_function("promscribe", |b| {
        b.iter(|| black_box(&OURS_COUNTER).inc_by(black_box(0.5)))
    });
    let theirs = prometheus::Counter::new("x", "x").expect("valid");
    g.bench_function("prometheus", |b| {
        b.iter(|| black_box(&theirs).inc_by(black_box(0.5)))
    });
    let pc: PcCounter<f64, std::sync::atomic::AtomicU64> = PcCounter::default();
    g.bench_function("prometheus-client", |b| {
        b.iter(|| black_box(&pc).inc_by(black_box(0.5)))
    });
    g.finish();
}

fn histogram_observe(c: &mut Criterion) {
    let mut g = c.benchmark_group("histogram_observe");
    g.bench_function("promscribe", |b| {
        b.iter(|| black_box(&OURS_HIST).observe(black_box(0.3)))
    });
    let theirs =
        prometheus::Histogram::with_opts(prometheus::HistogramOpts::new("x", "x")).expect("valid");
    g.bench_function("prometheus", |b| {
        b.iter(|| black_box(&theirs).observe(black_box(0.3)))
    });
    let pc = PcHistogram::new(exponential_buckets(0.005, 2.0, 14));
    g.bench_function("prometheus-client", |b| {
        b.iter(|| black_box(&pc).observe(black_box(0.3)))
    });
    g.finish();
}

fn labelled_lookup_and_inc(c: &mut Criterion) {
    let mut g = c.benchmark_group("labels_lookup_inc");
    g.bench_function("promscribe", |b| {
        b.iter(|| OURS_FAMILY.labels(black_box(["get", "/api"])).inc())
    });
    let theirs = prometheus::CounterVec::new(prometheus::Opts::new("x", "x"), &["method", "path"])
        .expect("valid");
    g.bench_function("prometheus", |b| {
        b.iter(|| theirs.with_label_values(black_box(&["get", "/api"])).inc())
    });
    let pc: PcFamily<Vec<(String, String)>, PcCounter> = PcFamily::default();
    g.bench_function("prometheus-client", |b| {
        b.iter(|| {
            pc.get_or_create(&vec![
                ("method".to_owned(), "get".to_owned()),
                ("path".to_owned(), "/api".to_owned()),
            ])
            .inc()
        })
    });
    g.finish();
}

fn cached_child_inc(c: &mut Criterion) {
    let mut g = c.benchmark_group("cached_child_inc");
    let ours = OURS_FAMILY.labels(["get", "/api"]);
    g.bench_function("promscribe", |b| b.iter(|| black_box(&ours).inc()));
    let theirs = prometheus::CounterVec::new(prometheus::Opts::new("x", "x"), &["method", "path"])
        .expect("valid")
        .with_label_values(&["get", "/api"]);
    g.bench_function("prometheus", |b| b.iter(|| black_box(&theirs).inc()));
    g.finish();
}

criterion_group!(
    benches,
    counter_inc,
    counter_inc_by_float,
    histogram_observe,
    labelled_lookup_and_inc,
    cached_child_inc
);
criterion_main!(benches);
