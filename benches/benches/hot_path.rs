//! Hot-path costs against the Rust peers, every workload in one run:
//! `cargo bench -p metrics-bench --bench hot_path` (or
//! `benches/hot_path_report.sh`, which prints the table of `BENCHMARKS.md`).
//!
//! One criterion group per workload, one function per library:
//! `promscribe`, `prometheus`, `prometheus-client`, `metrics` (recording
//! into `metrics-exporter-prometheus`'s recorder), `measured`,
//! `fastmetrics`; the floors are groups of their own (`floor_*`).
//!
//! - `counter_inc_cached`: `inc()` on a counter handle kept by the caller;
//! - `counter_inc_2_threads`: the same, from two threads on one counter;
//! - `labels_2_strings_inc`: look a child up by two string values, add one;
//! - `labels_2_strings_inc_2_threads`: the same from two threads, one series;
//! - `labels_2_enums_inc`: look up by two enum values (each library's
//!   typed-label support where it has one), add one;
//! - `labels_str_u16_inc`: look up by `("get", 200u16)`, add one;
//! - `labels_str_u32_inc`: look up by `("get", 1_234_567u32)`, add one
//!   (ours only: an integer rendered at each lookup, where one below 1,000
//!   is borrowed from a table);
//! - `histogram_observe`, `histogram_observe_2_threads`: one observation of
//!   a histogram with the same 11 bounds everywhere;
//! - `native_histogram_observe`, `native_histogram_observe_2_threads`: one
//!   observation of a native histogram (bucket factor 1.1), ours against
//!   `prometheus-client`'s;
//! - `timed_empty_fn`: time an empty function into that histogram
//!   (`#[timed]` for us, each peer's timer or two `Instant::now()` plus an
//!   observation where it has none).
//!
//! With the feature `tsc-clock` (`cargo bench -p metrics-bench --features
//! tsc-clock --bench hot_path`), promscribe's timers read the CPU's
//! time-stamp counter, and `floor_two_counter_reads` times two reads of
//! that clock.
//!
//! Label values are `&'static str` where a peer's key type is owned
//! (`prometheus-client`, `fastmetrics`, `metrics`), their cheapest case:
//! no `String` is built per lookup. A two-thread figure is the time per
//! operation seen by each thread while both run at once (wall time of the
//! slower thread over its operations).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Bencher, Criterion};

const BOUNDS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const OBSERVED: f64 = 0.3;

/// Runs `op` on each of two threads started together, at least
/// `MIN_OPS` times (so that the threads overlap: with a few thousand
/// operations, a sample could run one thread after the other and measure
/// no contention at all); the slower thread's wall time, scaled to the
/// `iters` criterion asked for.
fn two_threads(b: &mut Bencher<'_>, op: impl Fn() + Sync) {
    const MIN_OPS: u64 = 100_000;
    b.iter_custom(|iters| {
        let ops = iters.max(MIN_OPS);
        let elapsed = run_two_threads(ops, &op);
        elapsed.mul_f64(iters as f64 / ops as f64)
    });
}

fn run_two_threads(iters: u64, op: &(impl Fn() + Sync)) -> Duration {
    {
        let start = Barrier::new(2);
        std::thread::scope(|s| {
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        let t = Instant::now();
                        for _ in 0..iters {
                            op();
                        }
                        t.elapsed()
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("bench thread"))
                .max()
                .unwrap_or(Duration::ZERO)
        })
    }
}

/// The two typed label values of `labels_2_enums_inc`, for us.
#[derive(Clone, Copy, promscribe::LabelValue)]
enum Method {
    Get,
    #[allow(dead_code)]
    Post,
}

#[derive(Clone, Copy, promscribe::LabelValue)]
enum Outcome {
    Ok,
    #[allow(dead_code)]
    Error,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
        }
    }
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
        }
    }
}

mod ours {
    promscribe::counter!(pub(crate) COUNTER, "bench_ops_total", "ops");
    promscribe::counter!(
        pub(crate) BY_STRINGS,
        "bench_requests_total",
        "requests",
        labels = ["method", "path"]
    );
    promscribe::counter!(
        pub(crate) BY_ENUMS,
        "bench_outcomes_total",
        "outcomes",
        labels = ["method", "outcome"]
    );
    promscribe::counter!(
        pub(crate) BY_STATUS,
        "bench_statuses_total",
        "statuses",
        labels = ["method", "status"]
    );
    promscribe::histogram!(
        pub(crate) HISTOGRAM,
        "bench_latency_seconds",
        "latency",
        buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
    );
    promscribe::histogram!(
        pub(crate) TIMED,
        "bench_timed_seconds",
        "timed",
        buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
    );

    #[promscribe::timed(TIMED)]
    #[inline(never)]
    pub(crate) fn empty() {}
}

mod pc {
    use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
    pub(crate) enum Method {
        Get,
        #[allow(dead_code)]
        Post,
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
    pub(crate) enum Outcome {
        Ok,
        #[allow(dead_code)]
        Error,
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    pub(crate) struct Enums {
        pub(crate) method: Method,
        pub(crate) outcome: Outcome,
    }
}

mod fm {
    use fastmetrics::encoder::{EncodeLabelSet, EncodeLabelValue, LabelEncoder, LabelSetEncoder};
    use fastmetrics::raw::LabelSetSchema;

    #[derive(Clone, Debug, Hash, PartialEq, Eq)]
    pub(crate) struct Strings {
        pub(crate) method: &'static str,
        pub(crate) path: &'static str,
    }

    impl LabelSetSchema for Strings {
        fn names() -> Option<&'static [&'static str]> {
            Some(&["method", "path"])
        }
    }

    impl EncodeLabelSet for Strings {
        fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
            encoder.encode(&("method", self.method))?;
            encoder.encode(&("path", self.path))
        }
    }

    #[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
    pub(crate) struct Enums {
        pub(crate) method: super::Method,
        pub(crate) outcome: super::Outcome,
    }

    impl std::hash::Hash for super::Method {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            (*self as u8).hash(state);
        }
    }
    impl PartialEq for super::Method {
        fn eq(&self, other: &Self) -> bool {
            *self as u8 == *other as u8
        }
    }
    impl Eq for super::Method {}
    impl std::fmt::Debug for super::Method {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.as_str())
        }
    }
    impl std::hash::Hash for super::Outcome {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            (*self as u8).hash(state);
        }
    }
    impl PartialEq for super::Outcome {
        fn eq(&self, other: &Self) -> bool {
            *self as u8 == *other as u8
        }
    }
    impl Eq for super::Outcome {}
    impl std::fmt::Debug for super::Outcome {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.as_str())
        }
    }

    impl EncodeLabelValue for super::Method {
        fn encode(&self, encoder: &mut dyn LabelEncoder) -> fastmetrics::error::Result<()> {
            encoder.encode_str_value(self.as_str())
        }
    }
    impl EncodeLabelValue for super::Outcome {
        fn encode(&self, encoder: &mut dyn LabelEncoder) -> fastmetrics::error::Result<()> {
            encoder.encode_str_value(self.as_str())
        }
    }

    impl LabelSetSchema for Enums {
        fn names() -> Option<&'static [&'static str]> {
            Some(&["method", "outcome"])
        }
    }

    impl EncodeLabelSet for Enums {
        fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
            encoder.encode(&("method", self.method))?;
            encoder.encode(&("outcome", self.outcome))
        }
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq)]
    pub(crate) struct Status {
        pub(crate) method: &'static str,
        pub(crate) status: u16,
    }

    impl LabelSetSchema for Status {
        fn names() -> Option<&'static [&'static str]> {
            Some(&["method", "status"])
        }
    }

    impl EncodeLabelSet for Status {
        fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
            encoder.encode(&("method", self.method))?;
            encoder.encode(&("status", self.status))
        }
    }
}

mod ms {
    use measured::{FixedCardinalityLabel, LabelGroup};
    use paracord::ParaCord;

    #[derive(LabelGroup)]
    #[label(set = StringsSet)]
    pub(crate) struct Strings<'a> {
        #[label(dynamic_with = ParaCord, default)]
        pub(crate) method: &'a str,
        #[label(dynamic_with = ParaCord, default)]
        pub(crate) path: &'a str,
    }

    #[derive(FixedCardinalityLabel, Clone, Copy)]
    pub(crate) enum Method {
        Get,
        #[allow(dead_code)]
        Post,
    }

    #[derive(FixedCardinalityLabel, Clone, Copy)]
    pub(crate) enum Outcome {
        Ok,
        #[allow(dead_code)]
        Error,
    }

    #[derive(LabelGroup)]
    #[label(set = EnumsSet)]
    pub(crate) struct Enums {
        pub(crate) method: Method,
        pub(crate) outcome: Outcome,
    }

    /// `measured` has no integer label values: the status is formatted
    /// (on the stack, with `itoa`) and interned as a string.
    #[derive(LabelGroup)]
    #[label(set = StatusSet)]
    pub(crate) struct Status<'a> {
        #[label(dynamic_with = ParaCord, default)]
        pub(crate) method: &'a str,
        #[label(dynamic_with = ParaCord, default)]
        pub(crate) status: &'a str,
    }
}

/// `metrics`' macros record into the global recorder: the Prometheus
/// exporter's, installed once.
fn metrics_recorder() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets(&BOUNDS)
            .expect("valid buckets")
            .build_recorder();
        metrics::set_global_recorder(recorder).expect("no other recorder");
    });
}

fn floors(c: &mut Criterion) {
    let atomic = AtomicU64::new(0);
    c.benchmark_group("floor_fetch_add")
        .bench_function("floor", |b| {
            b.iter(|| black_box(&atomic).fetch_add(1, Ordering::Relaxed))
        });
    c.benchmark_group("floor_two_instant_now")
        .bench_function("floor", |b| {
            b.iter(|| {
                black_box(Instant::now());
                black_box(Instant::now());
            })
        });
    #[cfg(feature = "tsc-clock")]
    {
        let clock = quanta::Clock::new();
        c.benchmark_group("floor_two_counter_reads")
            .bench_function("floor", |b| {
                b.iter(|| {
                    black_box(clock.raw());
                    black_box(clock.raw());
                })
            });
    }
}

fn counter_inc_cached(c: &mut Criterion) {
    metrics_recorder();
    let mut g = c.benchmark_group("counter_inc_cached");
    g.bench_function("promscribe", |b| b.iter(|| black_box(&ours::COUNTER).inc()));
    let p = prometheus::IntCounter::new("x", "x").expect("valid");
    g.bench_function("prometheus", |b| b.iter(|| black_box(&p).inc()));
    let pcc: prometheus_client::metrics::counter::Counter = Default::default();
    g.bench_function("prometheus-client", |b| b.iter(|| black_box(&pcc).inc()));
    let m = metrics::counter!("bench_cached_total");
    g.bench_function("metrics", |b| b.iter(|| black_box(&m).increment(1)));
    let ms = measured::Counter::new();
    g.bench_function("measured", |b| b.iter(|| black_box(&ms).inc()));
    let fm = fastmetrics::metrics::counter::Counter::<u64>::default();
    g.bench_function("fastmetrics", |b| b.iter(|| black_box(&fm).inc()));
    g.finish();
}

fn counter_inc_2_threads(c: &mut Criterion) {
    metrics_recorder();
    let mut g = c.benchmark_group("counter_inc_2_threads");
    g.bench_function("promscribe", |b| {
        two_threads(b, || black_box(&ours::COUNTER).inc())
    });
    let p = prometheus::IntCounter::new("x", "x").expect("valid");
    g.bench_function("prometheus", |b| two_threads(b, || black_box(&p).inc()));
    let pcc: prometheus_client::metrics::counter::Counter = Default::default();
    g.bench_function("prometheus-client", |b| {
        two_threads(b, || {
            black_box(&pcc).inc();
        })
    });
    let m = metrics::counter!("bench_contended_total");
    g.bench_function("metrics", |b| two_threads(b, || black_box(&m).increment(1)));
    let ms = measured::Counter::new();
    g.bench_function("measured", |b| two_threads(b, || black_box(&ms).inc()));
    let fm = fastmetrics::metrics::counter::Counter::<u64>::default();
    g.bench_function("fastmetrics", |b| two_threads(b, || black_box(&fm).inc()));
    g.finish();
}

/// The peers' families for `labels_2_strings_inc`, shared by the one- and
/// two-thread groups.
struct StringFamilies {
    p: prometheus::IntCounterVec,
    pcc: prometheus_client::metrics::family::Family<
        [(&'static str, &'static str); 2],
        prometheus_client::metrics::counter::Counter,
    >,
    ms: measured::CounterVec<ms::StringsSet>,
    fm: fastmetrics::metrics::family::Family<fm::Strings, fastmetrics::metrics::counter::Counter>,
}

impl StringFamilies {
    fn new() -> Self {
        StringFamilies {
            p: prometheus::IntCounterVec::new(prometheus::Opts::new("x", "x"), &["method", "path"])
                .expect("valid"),
            pcc: Default::default(),
            ms: measured::CounterVec::with_label_set(ms::StringsSet::default()),
            fm: Default::default(),
        }
    }

    fn prometheus(&self) {
        self.p
            .with_label_values(black_box(&["get", "/api/v1/items"]))
            .inc();
    }

    fn prometheus_client(&self) {
        self.pcc
            .get_or_create(black_box(&[("method", "get"), ("path", "/api/v1/items")]))
            .inc();
    }

    fn measured(&self) {
        self.ms.inc(ms::Strings {
            method: black_box("get"),
            path: black_box("/api/v1/items"),
        });
    }

    fn fastmetrics(&self) {
        let labels = fm::Strings {
            method: black_box("get"),
            path: black_box("/api/v1/items"),
        };
        self.fm.with_or_new(&labels, |c| c.inc());
    }
}

fn ours_strings() {
    ours::BY_STRINGS
        .labels(black_box(["get", "/api/v1/items"]))
        .inc();
}

fn metrics_strings() {
    let (method, path) = black_box(("get", "/api/v1/items"));
    metrics::counter!("bench_requests_total", "method" => method, "path" => path).increment(1);
}

fn labels_2_strings_inc(c: &mut Criterion) {
    metrics_recorder();
    let f = StringFamilies::new();
    let mut g = c.benchmark_group("labels_2_strings_inc");
    g.bench_function("promscribe", |b| b.iter(ours_strings));
    g.bench_function("prometheus", |b| b.iter(|| f.prometheus()));
    g.bench_function("prometheus-client", |b| b.iter(|| f.prometheus_client()));
    g.bench_function("metrics", |b| b.iter(metrics_strings));
    g.bench_function("measured", |b| b.iter(|| f.measured()));
    g.bench_function("fastmetrics", |b| b.iter(|| f.fastmetrics()));
    g.finish();
}

fn labels_2_strings_inc_2_threads(c: &mut Criterion) {
    metrics_recorder();
    let f = StringFamilies::new();
    let mut g = c.benchmark_group("labels_2_strings_inc_2_threads");
    g.bench_function("promscribe", |b| two_threads(b, ours_strings));
    g.bench_function("prometheus", |b| two_threads(b, || f.prometheus()));
    g.bench_function("prometheus-client", |b| {
        two_threads(b, || f.prometheus_client())
    });
    g.bench_function("metrics", |b| two_threads(b, metrics_strings));
    g.bench_function("measured", |b| two_threads(b, || f.measured()));
    g.bench_function("fastmetrics", |b| two_threads(b, || f.fastmetrics()));
    g.finish();
}

fn labels_2_enums_inc(c: &mut Criterion) {
    metrics_recorder();
    let mut g = c.benchmark_group("labels_2_enums_inc");
    g.bench_function("promscribe", |b| {
        b.iter(|| {
            ours::BY_ENUMS
                .labels(black_box((Method::Get, Outcome::Ok)))
                .inc()
        })
    });
    let p = prometheus::IntCounterVec::new(prometheus::Opts::new("x", "x"), &["method", "outcome"])
        .expect("valid");
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            let (m, o) = black_box((Method::Get, Outcome::Ok));
            p.with_label_values(&[m.as_str(), o.as_str()]).inc()
        })
    });
    let pcc: prometheus_client::metrics::family::Family<
        pc::Enums,
        prometheus_client::metrics::counter::Counter,
    > = Default::default();
    g.bench_function("prometheus-client", |b| {
        b.iter(|| {
            pcc.get_or_create(black_box(&pc::Enums {
                method: pc::Method::Get,
                outcome: pc::Outcome::Ok,
            }))
            .inc();
        })
    });
    g.bench_function("metrics", |b| {
        b.iter(|| {
            let (m, o) = black_box((Method::Get, Outcome::Ok));
            metrics::counter!("bench_outcomes_total", "method" => m.as_str(), "outcome" => o.as_str())
                .increment(1)
        })
    });
    let ms: measured::CounterVec<ms::EnumsSet> = measured::CounterVec::new();
    g.bench_function("measured", |b| {
        b.iter(|| {
            ms.inc(black_box(ms::Enums {
                method: ms::Method::Get,
                outcome: ms::Outcome::Ok,
            }))
        })
    });
    let fmf: fastmetrics::metrics::family::Family<
        fm::Enums,
        fastmetrics::metrics::counter::Counter,
    > = Default::default();
    g.bench_function("fastmetrics", |b| {
        b.iter(|| {
            let labels = black_box(fm::Enums {
                method: Method::Get,
                outcome: Outcome::Ok,
            });
            fmf.with_or_new(&labels, |c| c.inc())
        })
    });
    g.finish();
}

fn labels_str_u16_inc(c: &mut Criterion) {
    metrics_recorder();
    let mut g = c.benchmark_group("labels_str_u16_inc");
    g.bench_function("promscribe", |b| {
        b.iter(|| ours::BY_STATUS.labels(black_box(("get", 200u16))).inc())
    });
    let p = prometheus::IntCounterVec::new(prometheus::Opts::new("x", "x"), &["method", "status"])
        .expect("valid");
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            let (m, s) = black_box(("get", 200u16));
            let mut buf = itoa::Buffer::new();
            p.with_label_values(&[m, buf.format(s)]).inc()
        })
    });
    type StatusLabels = ([(&'static str, &'static str); 1], [(&'static str, u16); 1]);
    let pcc: prometheus_client::metrics::family::Family<
        StatusLabels,
        prometheus_client::metrics::counter::Counter,
    > = Default::default();
    g.bench_function("prometheus-client", |b| {
        b.iter(|| {
            let (m, s) = black_box(("get", 200u16));
            pcc.get_or_create(&([("method", m)], [("status", s)])).inc();
        })
    });
    g.bench_function("metrics", |b| {
        b.iter(|| {
            let (m, s) = black_box(("get", 200u16));
            // `metrics` takes no integer label values: the status becomes a string.
            metrics::counter!("bench_statuses_total", "method" => m, "status" => s.to_string())
                .increment(1)
        })
    });
    let ms: measured::CounterVec<ms::StatusSet> =
        measured::CounterVec::with_label_set(ms::StatusSet::default());
    g.bench_function("measured", |b| {
        b.iter(|| {
            let (m, s) = black_box(("get", 200u16));
            let mut buf = itoa::Buffer::new();
            ms.inc(ms::Status {
                method: m,
                status: buf.format(s),
            })
        })
    });
    let fmf: fastmetrics::metrics::family::Family<
        fm::Status,
        fastmetrics::metrics::counter::Counter,
    > = Default::default();
    g.bench_function("fastmetrics", |b| {
        b.iter(|| {
            let (method, status) = black_box(("get", 200u16));
            fmf.with_or_new(&fm::Status { method, status }, |c| c.inc())
        })
    });
    g.finish();
}

fn labels_str_u32_inc(c: &mut Criterion) {
    let mut g = c.benchmark_group("labels_str_u32_inc");
    g.bench_function("promscribe", |b| {
        b.iter(|| {
            ours::BY_STATUS
                .labels(black_box(("get", 1_234_567u32)))
                .inc()
        })
    });
    g.finish();
}

fn bounds_histograms() -> (
    prometheus::Histogram,
    prometheus_client::metrics::histogram::Histogram,
    metrics::Histogram,
    measured::Histogram<11>,
    fastmetrics::metrics::histogram::Histogram,
) {
    metrics_recorder();
    (
        prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new("x", "x").buckets(BOUNDS.to_vec()),
        )
        .expect("valid"),
        prometheus_client::metrics::histogram::Histogram::new(BOUNDS),
        metrics::histogram!("bench_latency_seconds"),
        measured::Histogram::with_metadata(measured::metric::histogram::Thresholds::with_buckets(
            BOUNDS,
        )),
        fastmetrics::metrics::histogram::Histogram::new(BOUNDS),
    )
}

fn histogram_observe(c: &mut Criterion) {
    let (p, pcc, m, ms, fm) = bounds_histograms();
    let mut g = c.benchmark_group("histogram_observe");
    g.bench_function("promscribe", |b| {
        b.iter(|| black_box(&ours::HISTOGRAM).observe(black_box(OBSERVED)))
    });
    g.bench_function("prometheus", |b| b.iter(|| p.observe(black_box(OBSERVED))));
    g.bench_function("prometheus-client", |b| {
        b.iter(|| pcc.observe(black_box(OBSERVED)))
    });
    g.bench_function("metrics", |b| b.iter(|| m.record(black_box(OBSERVED))));
    g.bench_function("measured", |b| b.iter(|| ms.observe(black_box(OBSERVED))));
    g.bench_function("fastmetrics", |b| {
        b.iter(|| fm.observe(black_box(OBSERVED)))
    });
    g.finish();
}

fn histogram_observe_2_threads(c: &mut Criterion) {
    let (p, pcc, m, ms, fm) = bounds_histograms();
    let mut g = c.benchmark_group("histogram_observe_2_threads");
    g.bench_function("promscribe", |b| {
        two_threads(b, || {
            black_box(&ours::HISTOGRAM).observe(black_box(OBSERVED))
        })
    });
    g.bench_function("prometheus", |b| {
        two_threads(b, || p.observe(black_box(OBSERVED)))
    });
    g.bench_function("prometheus-client", |b| {
        two_threads(b, || pcc.observe(black_box(OBSERVED)))
    });
    g.bench_function("metrics", |b| {
        two_threads(b, || m.record(black_box(OBSERVED)))
    });
    g.bench_function("measured", |b| {
        two_threads(b, || ms.observe(black_box(OBSERVED)))
    });
    g.bench_function("fastmetrics", |b| {
        two_threads(b, || fm.observe(black_box(OBSERVED)))
    });
    g.finish();
}

/// A native histogram (bucket factor 1.1: schema 3, no classic buckets)
/// of ours and of `prometheus-client`, the one peer that has them.
fn native_histograms() -> (
    std::sync::Arc<promscribe::Histogram>,
    prometheus_client::metrics::histogram::Histogram,
) {
    (
        promscribe::Histogram::with_native(
            promscribe::Opts::new("native_seconds", "x"),
            None,
            promscribe::NativeOpts::new().bucket_factor(1.1),
        )
        .expect("valid"),
        prometheus_client::metrics::histogram::Histogram::new_native(
            prometheus_client::metrics::histogram::NativeHistogramConfig::new(1.1),
        ),
    )
}

/// Observed values spread over a few native buckets, as latencies are.
const NATIVE_VALUES: [f64; 4] = [0.21, 0.3, 0.45, 0.3];

fn native_histogram_observe(c: &mut Criterion) {
    let (h, pcc) = native_histograms();
    let mut g = c.benchmark_group("native_histogram_observe");
    let mut i = 0;
    g.bench_function("promscribe", |b| {
        b.iter(|| {
            i += 1;
            h.observe(black_box(NATIVE_VALUES[i & 3]))
        })
    });
    g.bench_function("prometheus-client", |b| {
        b.iter(|| {
            i += 1;
            pcc.observe(black_box(NATIVE_VALUES[i & 3]))
        })
    });
    g.finish();
}

fn native_histogram_observe_2_threads(c: &mut Criterion) {
    let (h, pcc) = native_histograms();
    let mut g = c.benchmark_group("native_histogram_observe_2_threads");
    g.bench_function("promscribe", |b| {
        two_threads(b, || h.observe(black_box(OBSERVED)))
    });
    g.bench_function("prometheus-client", |b| {
        two_threads(b, || pcc.observe(black_box(OBSERVED)))
    });
    g.finish();
}

#[inline(never)]
fn empty() {
    black_box(());
}

fn timed_empty_fn(c: &mut Criterion) {
    let (p, pcc, m, ms, fm) = bounds_histograms();
    // The counter clock calibrates on a thread of its own, started by the
    // first timer, within 200 ms: timers read `Instant` until then.
    #[cfg(feature = "tsc-clock")]
    {
        ours::empty();
        std::thread::sleep(Duration::from_millis(300));
    }
    let mut g = c.benchmark_group("timed_empty_fn");
    g.bench_function("promscribe", |b| b.iter(ours::empty));
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            let _t = p.start_timer();
            empty();
        })
    });
    g.bench_function("prometheus-client", |b| {
        b.iter(|| {
            let t = Instant::now();
            empty();
            pcc.observe(t.elapsed().as_secs_f64());
        })
    });
    g.bench_function("metrics", |b| {
        b.iter(|| {
            let t = Instant::now();
            empty();
            m.record(t.elapsed());
        })
    });
    g.bench_function("measured", |b| {
        b.iter(|| {
            let _t = ms.start_timer();
            empty();
        })
    });
    g.bench_function("fastmetrics", |b| {
        b.iter(|| {
            let t = Instant::now();
            empty();
            fm.observe(t.elapsed().as_secs_f64());
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    floors,
    counter_inc_cached,
    counter_inc_2_threads,
    labels_2_strings_inc,
    labels_2_strings_inc_2_threads,
    labels_2_enums_inc,
    labels_str_u16_inc,
    labels_str_u32_inc,
    histogram_observe,
    histogram_observe_2_threads,
    native_histogram_observe,
    native_histogram_observe_2_threads,
    timed_empty_fn
);
criterion_main!(benches);
