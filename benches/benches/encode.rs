//! Cost of one scrape against the Rust peers, measured in one run:
//! `cargo bench -p metrics-bench --bench encode` (or `benches/report.sh`).
//!
//! Every library holds the same workload, built at run time:
//!
//! - `http_requests_total`: 10,000 counter series with two labels
//!   (4 methods x 2,500 paths such as `/api/v1/item/1234`), each
//!   incremented one to three times;
//! - `http_request_duration_seconds`: 1,000 histogram series with one
//!   label (`path`) and the same 11 bounds everywhere (0.005 to 10, the
//!   defaults of the Go client and of the `prometheus` crate), each
//!   observed three times.
//!
//! Each benchmark encodes the whole registry to the text format, into a
//! buffer reused between iterations when the library's API allows one.
//! Before measuring, each library's output is checked to hold every series
//! and its size in bytes is printed once (`encode output ...` lines): the
//! libraries do not write the same text (float or integer counters,
//! `_created` samples, OpenMetrics `# EOF`), so the sizes differ.
//!
//! Ours is measured three ways: `promscribe` is `encode_text` as a handler
//! calls it (a new `String` per scrape, `_created` series on, as in Python's
//! client); `promscribe_reused_buffer` is `encode` into a reused buffer;
//! `promscribe_no_created` turns `_created` series off, which gives the
//! same series as the peers write.
//!
//! A second group encodes the same workload in OpenMetrics 1.0.0 against
//! the peers that write it (`prometheus-client`, whose text encoder is
//! OpenMetrics, and `fastmetrics`' OpenMetrics profile): ours with and
//! without `_created`, into a reused buffer.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

use metrics_bench::workload::{
    counter_series, histogram_series, BOUNDS, COUNTER_HELP, COUNTER_NAME, HISTOGRAM_HELP,
    HISTOGRAM_NAME, HISTOGRAM_SERIES, METHODS, PATHS,
};

/// Checks that `text` holds every series of the workload, then prints its size.
fn check_and_report(library: &str, text: &[u8]) {
    let text = std::str::from_utf8(text).expect("the text format is UTF-8");
    let count = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
    let counters = count(&format!("{COUNTER_NAME}{{"));
    let buckets = count(&format!("{HISTOGRAM_NAME}_bucket{{"));
    let counts = count(&format!("{HISTOGRAM_NAME}_count{{"));
    assert_eq!(counters, PATHS * METHODS.len(), "{library}: counter series");
    assert_eq!(
        buckets,
        HISTOGRAM_SERIES * (BOUNDS.len() + 1),
        "{library}: bucket samples"
    );
    assert_eq!(counts, HISTOGRAM_SERIES, "{library}: histogram series");
    println!("encode output {library}: {} bytes", text.len());
}

mod ours {
    pub(crate) use metrics_bench::workload::promscribe_registry as registry;
}

mod prometheus_crate {
    use prometheus::{CounterVec, HistogramOpts, HistogramVec, Opts, Registry};

    pub(crate) fn registry() -> Registry {
        let registry = Registry::new();
        let requests = CounterVec::new(
            Opts::new(super::COUNTER_NAME, super::COUNTER_HELP),
            &["method", "path"],
        )
        .expect("valid counter vec");
        let latency = HistogramVec::new(
            HistogramOpts::new(super::HISTOGRAM_NAME, super::HISTOGRAM_HELP)
                .buckets(super::BOUNDS.to_vec()),
            &["path"],
        )
        .expect("valid histogram vec");
        registry
            .register(Box::new(requests.clone()))
            .expect("registered");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered");
        for (method, path, n) in super::counter_series() {
            let child = requests.with_label_values(&[method, path.as_str()]);
            for _ in 0..n {
                child.inc();
            }
        }
        for (path, values) in super::histogram_series() {
            let child = latency.with_label_values(&[path.as_str()]);
            for v in values {
                child.observe(v);
            }
        }
        registry
    }
}

mod prometheus_client_crate {
    use prometheus_client::encoding::EncodeLabelSet;
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::histogram::Histogram;
    use prometheus_client::registry::Registry;

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    struct Request {
        method: String,
        path: String,
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    struct Path {
        path: String,
    }

    fn histogram() -> Histogram {
        Histogram::new(super::BOUNDS)
    }

    pub(crate) fn registry() -> Registry {
        let mut registry = Registry::default();
        let requests = Family::<Request, Counter>::default();
        let latency =
            Family::<Path, Histogram, _>::new_with_constructor(histogram as fn() -> Histogram);
        // The crate appends `_total` to counters.
        let name = super::COUNTER_NAME.trim_end_matches("_total");
        registry.register(name, super::COUNTER_HELP, requests.clone());
        registry.register(
            super::HISTOGRAM_NAME,
            super::HISTOGRAM_HELP,
            latency.clone(),
        );
        for (method, path, n) in super::counter_series() {
            let labels = Request {
                method: method.to_owned(),
                path,
            };
            let child = requests.get_or_create(&labels);
            for _ in 0..n {
                child.inc();
            }
        }
        for (path, values) in super::histogram_series() {
            let child = latency.get_or_create(&Path { path });
            for v in values {
                child.observe(v);
            }
        }
        registry
    }
}

mod measured_crate {
    use measured::metric::histogram::Thresholds;
    use measured::{CounterVec, HistogramVec, LabelGroup, MetricGroup};
    use paracord::ParaCord;

    #[derive(LabelGroup)]
    #[label(set = RequestSet)]
    pub(crate) struct Request<'a> {
        #[label(dynamic_with = ParaCord, default)]
        method: &'a str,
        #[label(dynamic_with = ParaCord, default)]
        path: &'a str,
    }

    #[derive(LabelGroup)]
    #[label(set = PathSet)]
    pub(crate) struct Path<'a> {
        #[label(dynamic_with = ParaCord, default)]
        path: &'a str,
    }

    /// Field names are the metric names.
    #[derive(MetricGroup)]
    pub(crate) struct Metrics {
        /// Total HTTP requests.
        http_requests_total: CounterVec<RequestSet>,
        /// HTTP request latency.
        http_request_duration_seconds: HistogramVec<PathSet, 11>,
    }

    pub(crate) fn metrics() -> Metrics {
        let metrics = Metrics {
            http_requests_total: CounterVec::with_label_set(RequestSet::default()),
            http_request_duration_seconds: HistogramVec::with_label_set_and_metadata(
                PathSet::default(),
                Thresholds::with_buckets(super::BOUNDS),
            ),
        };
        for (method, path, n) in super::counter_series() {
            let labels = || Request {
                method,
                path: path.as_str(),
            };
            for _ in 0..n {
                metrics.http_requests_total.inc(labels());
            }
        }
        for (path, values) in super::histogram_series() {
            for v in values {
                metrics
                    .http_request_duration_seconds
                    .observe(Path { path: &path }, v);
            }
        }
        metrics
    }
}

mod fastmetrics_crate {
    use fastmetrics::encoder::{EncodeLabelSet, LabelSetEncoder};
    use fastmetrics::metrics::counter::Counter;
    use fastmetrics::metrics::family::Family;
    use fastmetrics::metrics::histogram::Histogram;
    use fastmetrics::raw::LabelSetSchema;
    use fastmetrics::registry::Registry;

    #[derive(Clone, Debug, Hash, PartialEq, Eq)]
    struct Request {
        method: String,
        path: String,
    }

    impl LabelSetSchema for Request {
        fn names() -> Option<&'static [&'static str]> {
            Some(&["method", "path"])
        }
    }

    impl EncodeLabelSet for Request {
        fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
            encoder.encode(&("method", self.method.as_str()))?;
            encoder.encode(&("path", self.path.as_str()))
        }
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq)]
    struct Path {
        path: String,
    }

    impl LabelSetSchema for Path {
        fn names() -> Option<&'static [&'static str]> {
            Some(&["path"])
        }
    }

    impl EncodeLabelSet for Path {
        fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
            encoder.encode(&("path", self.path.as_str()))
        }
    }

    pub(crate) fn registry() -> Registry {
        let mut registry = Registry::default();
        let requests = Family::<Request, Counter>::default();
        let latency = Family::<Path, Histogram>::new(|| Histogram::new(super::BOUNDS));
        // The Prometheus 0.0.4 profile writes counter names as registered.
        registry
            .register(super::COUNTER_NAME, super::COUNTER_HELP, requests.clone())
            .expect("registered");
        registry
            .register(
                super::HISTOGRAM_NAME,
                super::HISTOGRAM_HELP,
                latency.clone(),
            )
            .expect("registered");
        for (method, path, n) in super::counter_series() {
            let labels = Request {
                method: method.to_owned(),
                path,
            };
            for _ in 0..n {
                requests.with_or_new(&labels, |c| c.inc());
            }
        }
        for (path, values) in super::histogram_series() {
            let labels = Path { path };
            for v in values {
                latency.with_or_new(&labels, |h| h.observe(v));
            }
        }
        registry
    }
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode_10k_counters_1k_histograms");

    let ours = ours::registry();
    check_and_report("promscribe", promscribe::encode_text(&ours).as_bytes());
    g.bench_function("promscribe", |b| {
        b.iter(|| black_box(promscribe::encode_text(black_box(&ours))))
    });
    // The same encoder, writing into a reused buffer.
    let text = promscribe::EncodeOptions::default();
    let mut buf = String::new();
    promscribe::encode(&mut buf, &ours, promscribe::Format::Text, &text).expect("encoded");
    check_and_report("promscribe_reused_buffer", buf.as_bytes());
    g.bench_function("promscribe_reused_buffer", |b| {
        b.iter(|| {
            buf.clear();
            promscribe::encode(&mut buf, black_box(&ours), promscribe::Format::Text, &text)
                .expect("encoded");
            black_box(&buf);
        })
    });
    // Like for like: none of the peers writes `_created` samples here.
    promscribe::disable_created_series();
    check_and_report(
        "promscribe_no_created",
        promscribe::encode_text(&ours).as_bytes(),
    );
    g.bench_function("promscribe_no_created", |b| {
        b.iter(|| black_box(promscribe::encode_text(black_box(&ours))))
    });
    promscribe::enable_created_series();
    drop(ours);

    let theirs = prometheus_crate::registry();
    let encoder = prometheus::TextEncoder::new();
    let mut buf = String::new();
    encoder
        .encode_utf8(&theirs.gather(), &mut buf)
        .expect("encoded");
    check_and_report("prometheus", buf.as_bytes());
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            buf.clear();
            encoder
                .encode_utf8(&black_box(&theirs).gather(), &mut buf)
                .expect("encoded");
            black_box(&buf);
        })
    });
    drop(theirs);

    let pc = prometheus_client_crate::registry();
    let mut buf = String::new();
    prometheus_client::encoding::text::encode(&mut buf, &pc).expect("encoded");
    check_and_report("prometheus-client", buf.as_bytes());
    g.bench_function("prometheus-client", |b| {
        b.iter(|| {
            buf.clear();
            prometheus_client::encoding::text::encode(&mut buf, black_box(&pc)).expect("encoded");
            black_box(&buf);
        })
    });
    drop(pc);

    let measured_metrics = measured_crate::metrics();
    // The encoder keeps its buffer: `finish` splits the text off, and the
    // space is reclaimed once the returned bytes are dropped.
    let mut enc = measured::text::BufferedTextEncoder::new();
    {
        use measured::metric::group::MetricGroup as _;
        measured_metrics
            .collect_group_into(&mut enc)
            .expect("encoded");
        check_and_report("measured", &enc.finish());
        g.bench_function("measured", |b| {
            b.iter(|| {
                black_box(&measured_metrics)
                    .collect_group_into(&mut enc)
                    .expect("encoded");
                black_box(enc.finish())
            })
        });
    }
    drop(measured_metrics);

    let fm = fastmetrics_crate::registry();
    let profile = fastmetrics::format::text::TextProfile::PrometheusV0_0_4;
    let mut buf = String::new();
    fastmetrics::format::text::encode(&mut buf, &fm, profile).expect("encoded");
    check_and_report("fastmetrics", buf.as_bytes());
    g.bench_function("fastmetrics", |b| {
        b.iter(|| {
            buf.clear();
            fastmetrics::format::text::encode(&mut buf, black_box(&fm), profile).expect("encoded");
            black_box(&buf);
        })
    });
    drop(fm);

    g.finish();
}

fn encode_openmetrics(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode_openmetrics_10k_counters_1k_histograms");

    let ours = ours::registry();
    for (id, created) in [("promscribe", true), ("promscribe_no_created", false)] {
        let options = promscribe::EncodeOptions::default().created(created);
        let format = promscribe::Format::OpenMetrics;
        let mut buf = String::new();
        promscribe::encode(&mut buf, &ours, format, &options).expect("encoded");
        check_and_report(&format!("openmetrics:{id}"), buf.as_bytes());
        g.bench_function(id, |b| {
            b.iter(|| {
                buf.clear();
                promscribe::encode(&mut buf, black_box(&ours), format, &options).expect("encoded");
                black_box(&buf);
            })
        });
    }
    drop(ours);

    let pc = prometheus_client_crate::registry();
    let mut buf = String::new();
    prometheus_client::encoding::text::encode(&mut buf, &pc).expect("encoded");
    check_and_report("openmetrics:prometheus-client", buf.as_bytes());
    g.bench_function("prometheus-client", |b| {
        b.iter(|| {
            buf.clear();
            prometheus_client::encoding::text::encode(&mut buf, black_box(&pc)).expect("encoded");
            black_box(&buf);
        })
    });
    drop(pc);

    let fm = fastmetrics_crate::registry();
    let profile = fastmetrics::format::text::TextProfile::OpenMetricsV1_0_0 {
        escaping_scheme: fastmetrics::format::text::EscapingScheme::Underscores,
    };
    let mut buf = String::new();
    fastmetrics::format::text::encode(&mut buf, &fm, profile).expect("encoded");
    check_and_report("openmetrics:fastmetrics", buf.as_bytes());
    g.bench_function("fastmetrics", |b| {
        b.iter(|| {
            buf.clear();
            fastmetrics::format::text::encode(&mut buf, black_box(&fm), profile).expect("encoded");
            black_box(&buf);
        })
    });
    drop(fm);

    g.finish();
}

criterion_group!(benches, encode, encode_openmetrics);
criterion_main!(benches);
