//! The peer workload of `benches/benches/encode.rs` (10,000 counter series
//! with 2 labels + 1,000 histogram series with 11 buckets), encoded in
//! both formats: prints the fastest of many encodes and the allocations
//! of one. A quick look at the scrape path without the peers; the figures
//! to report come from the benchmark. Run with
//! `cargo test -p promscribe --release --test encode_workload -- --ignored --nocapture`;
//! it asserts nothing about time.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{allocated, Counting};
use std::time::{Duration, Instant};

use promscribe::{
    encode, Buckets, Counter, EncodeOptions, Family, Format, Histogram, Opts, Registry,
};

#[global_allocator]
static GLOBAL: Counting = Counting;

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const BOUNDS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const VALUES: [f64; 7] = [0.003, 0.02, 0.07, 0.3, 0.8, 4.0, 12.0];

fn workload() -> Registry {
    let r = Registry::new();
    let c = Family::<Counter, 2>::new(
        Opts::new("http_requests_total", "Total HTTP requests.").labels(["method", "path"]),
    )
    .expect("valid");
    r.register(c.clone()).expect("no clash");
    for p in 0..2_500 {
        for (m, method) in METHODS.iter().enumerate() {
            let child = c.labels([*method, format!("/api/v1/item/{p}").as_str()]);
            for _ in 0..(p + m) % 3 + 1 {
                child.inc();
            }
        }
    }
    let h = Family::<Histogram, 1>::with_buckets(
        Opts::new("http_request_duration_seconds", "HTTP request latency.").labels(["path"]),
        Buckets::new(BOUNDS).expect("valid"),
    )
    .expect("valid");
    r.register(h.clone()).expect("no clash");
    for i in 0..1_000 {
        let child = h.labels([format!("/api/v1/item/{i}")]);
        for j in 0..3 {
            child.observe(VALUES[(i + 2 * j) % VALUES.len()]);
        }
    }
    r
}

#[test]
#[ignore = "a measurement: run it in release mode with --ignored --nocapture"]
fn peer_workload() {
    let r = workload();
    let cases = [
        ("text 0.0.4, _created", Format::Text, true),
        ("text 0.0.4, no _created", Format::Text, false),
        ("OpenMetrics, _created", Format::OpenMetrics, true),
        ("OpenMetrics, no _created", Format::OpenMetrics, false),
    ];
    let mut out = String::new();
    for (what, format, created) in cases {
        let options = EncodeOptions::default().created(created);
        let run = |out: &mut String| {
            out.clear();
            encode(out, &r, format, &options).expect("a String never fails");
        };
        for _ in 0..5 {
            run(&mut out);
        }
        let before = allocated();
        run(&mut out);
        let allocs = allocated() - before;
        let mut best = Duration::MAX;
        for _ in 0..200 {
            let start = Instant::now();
            run(&mut out);
            best = best.min(start.elapsed());
        }
        println!(
            "{what}: {} bytes, fastest {best:?}, {allocs} allocations (reused buffer)",
            out.len()
        );
    }
}
