//! A scrape of the built-in metric types allocates a constant number of
//! times, whatever the number of series: the encoders read the families in
//! place (no snapshot), each family renders its children's label sets
//! into one label set it keeps and refills in place, histogram series
//! reuse one point, numbers (`_created` included) are formatted on the
//! stack. Counted with a counting global allocator, on
//! the peer workload's shape (10,000 counter series with 2 labels, 1,000
//! histograms with 11 buckets).

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{allocated, Counting};

use promscribe::{
    encode, Buckets, Counter, EncodeOptions, Family, Format, Histogram, Opts, Registry,
};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f`. The test is the only one of this binary, so
/// no other thread allocates meanwhile.
fn allocations(f: impl FnOnce()) -> usize {
    let before = allocated();
    f();
    allocated() - before
}

#[test]
fn a_scrape_allocates_the_same_for_10_or_11000_series() {
    let r = Registry::new();
    let c =
        Family::<Counter, 2>::new(Opts::new("http_requests_total", "R").labels(["method", "path"]))
            .expect("valid");
    let h = Family::<Histogram, 1>::with_buckets(
        Opts::new("latency_seconds", "L").labels(["path"]),
        Buckets::new([
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ])
        .expect("valid"),
    )
    .expect("valid");
    r.register(c.clone()).expect("no clash");
    r.register(h.clone()).expect("no clash");
    // Label values of one length: a series's bucket lines start in a
    // reused buffer, which grows with the longest label set only.
    let grow = |counters: usize, histograms: usize| {
        for i in c.len()..counters {
            c.labels(["get".to_string(), format!("/path/{i:05}")])
                .inc_by_u64(i as u64);
        }
        for i in h.len()..histograms {
            h.labels([format!("/path/{i:05}")])
                .observe(i as f64 / 100.0);
        }
    };
    let mut out = String::new();
    for format in [Format::Text, Format::OpenMetrics] {
        for created in [true, false] {
            let options = EncodeOptions::default().created(created);
            let mut scrape = || {
                out.clear();
                allocations(|| {
                    encode(&mut out, &r, format, &options).expect("a String never fails");
                })
            };
            grow(10, 1);
            scrape(); // the buffer grows to size
            let small = scrape();
            grow(10_000, 1_000);
            scrape();
            let large = scrape();
            assert!(out.len() > 10_000 * 40, "{}", out.len());
            assert_eq!(
                small, large,
                "{format:?}, created {created}: {small} allocations for 11 series, \
                 {large} for 11,000"
            );
            assert!(large <= 40, "{format:?}: {large} allocations per scrape");
        }
    }
}
