//! Benchmarks of promscribe against its Rust peers: see
//! `benches/hot_path.rs` (`cargo bench -p metrics-bench --bench hot_path`),
//! `benches/encode.rs` (`benches/report.sh`), the serving load test
//! (`benches/serve_report.sh`, with the `serve_load` program) and one
//! family at a million series (`benches/scale_report.sh`, with the `scale`
//! program).
//!
//! This library holds what more than one of them uses: the peer workload
//! of the exposition benchmarks.

pub mod workload {
    //! The exposition workload every library is given: 10,000 counter
    //! series with two labels and 1,000 histogram series with 11 bounds.
    //!
    //! - `http_requests_total`: 4 methods x 2,500 paths such as
    //!   `/api/v1/item/1234`, each incremented one to three times;
    //! - `http_request_duration_seconds`: one label (`path`), the same 11
    //!   bounds everywhere (0.005 to 10, the defaults of the Go client and
    //!   of the `prometheus` crate), each observed three times.

    use std::sync::Arc;

    use promscribe::{Buckets, Counter, Family, Histogram, Opts, Registry};

    /// The `method` label values.
    pub const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
    /// The number of distinct paths of the counter family.
    pub const PATHS: usize = 2_500;
    /// The number of histogram series.
    pub const HISTOGRAM_SERIES: usize = 1_000;
    /// Observations per histogram series.
    pub const OBSERVATIONS_PER_SERIES: usize = 3;
    /// The histogram bounds (without `+Inf`).
    pub const BOUNDS: [f64; 11] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    /// Observed values, spread over all buckets including `+Inf`.
    pub const VALUES: [f64; 7] = [0.003, 0.02, 0.07, 0.3, 0.8, 4.0, 12.0];

    /// The counter family's name.
    pub const COUNTER_NAME: &str = "http_requests_total";
    /// The counter family's help.
    pub const COUNTER_HELP: &str = "Total HTTP requests.";
    /// The histogram family's name.
    pub const HISTOGRAM_NAME: &str = "http_request_duration_seconds";
    /// The histogram family's help.
    pub const HISTOGRAM_HELP: &str = "HTTP request latency.";

    /// The `path` label value of series `i`.
    pub fn path(i: usize) -> String {
        format!("/api/v1/item/{i}")
    }

    /// The counter series: `(method, path, increments)`.
    pub fn counter_series() -> impl Iterator<Item = (&'static str, String, usize)> {
        (0..PATHS).flat_map(|p| {
            METHODS
                .iter()
                .enumerate()
                .map(move |(m, method)| (*method, path(p), (p + m) % 3 + 1))
        })
    }

    /// The histogram series: `(path, observed values)`.
    pub fn histogram_series() -> impl Iterator<Item = (String, [f64; OBSERVATIONS_PER_SERIES])> {
        (0..HISTOGRAM_SERIES).map(|i| {
            let values = std::array::from_fn(|j| VALUES[(i + 2 * j) % VALUES.len()]);
            (path(i), values)
        })
    }

    /// A promscribe registry holding the whole workload.
    pub fn promscribe_registry() -> Registry {
        let registry = Registry::new();
        let requests = Family::<Counter, 2>::new(
            Opts::new(COUNTER_NAME, COUNTER_HELP).labels(["method", "path"]),
        )
        .expect("valid counter family");
        let latency = Family::<Histogram, 1>::with_buckets(
            Opts::new(HISTOGRAM_NAME, HISTOGRAM_HELP).labels(["path"]),
            Buckets::new(BOUNDS).expect("valid buckets"),
        )
        .expect("valid histogram family");
        registry
            .register(Arc::clone(&requests) as _)
            .expect("registered");
        registry
            .register(Arc::clone(&latency) as _)
            .expect("registered");
        for (method, path, n) in counter_series() {
            let child = requests.labels([method, path.as_str()]);
            for _ in 0..n {
                child.inc();
            }
        }
        for (path, values) in histogram_series() {
            let child = latency.labels([path.as_str()]);
            for v in values {
                child.observe(v);
            }
        }
        registry
    }
}
