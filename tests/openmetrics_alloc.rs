//! The scrape path allocates per family and per histogram series (its
//! cumulative counts), never per sample: label sets are rendered when a
//! child is created, numbers are formatted on the stack. Counted with a
//! counting global allocator, on the peer workload's shape (10,000 counter
//! series with 2 labels, 1,000 histograms with 11 buckets).

use promscribe::{
    encode, Buckets, Counter, EncodeOptions, Family, Format, Histogram, Opts, Registry,
};
use promscribe_test_support::{allocations_in as allocations, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const COUNTERS: usize = 10_000;
const HISTOGRAMS: usize = 1_000;

#[test]
fn no_allocation_per_sample_on_the_scrape_path() {
    let r = Registry::new();
    let c =
        Family::<Counter, 2>::new(Opts::new("http_requests_total", "R").labels(["method", "path"]))
            .expect("valid");
    r.register(c.clone()).expect("no clash");
    let add = |from: usize, to: usize| {
        for i in from..to {
            c.labels(["get".to_string(), format!("/path/{i}")])
                .inc_by_u64(i as u64);
        }
    };
    let mut out = String::with_capacity(4 << 20);
    let scrape = |out: &mut String| {
        out.clear();
        allocations(|| {
            encode(
                out,
                &r,
                Format::Text,
                &EncodeOptions::default().created(true),
            )
            .expect("a String never fails");
        })
    };
    // Counters only: a constant number of allocations, whatever the
    // number of series (the old scrape path made 2 per sample and more).
    // The first scrape of a family also allocates the label set it keeps
    // and refills for each child (3 buffers), once for its life.
    add(0, 100);
    let first = scrape(&mut out);
    assert!(
        first <= 20,
        "{first} allocations to encode 100 counter series"
    );
    add(100, COUNTERS);
    let counters = scrape(&mut out);
    assert!(out.len() > COUNTERS * 40, "{}", out.len());
    assert!(
        counters <= first,
        "{counters} allocations to encode {COUNTERS} counter series, {first} for 100"
    );
    // `encode_text`, which allocates its own output, stays constant too.
    let text = allocations(|| {
        let t = promscribe::encode_text(&r);
        assert!(t.len() > COUNTERS * 40);
    });
    assert!(text <= 40, "{text} allocations in encode_text");

    let h = Family::<Histogram, 1>::with_buckets(
        Opts::new("latency_seconds", "L").labels(["path"]),
        Buckets::exponential(0.001, 2.0, 10).expect("valid"),
    )
    .expect("valid");
    r.register(h.clone()).expect("no clash");
    for i in 0..HISTOGRAMS {
        h.labels([format!("/path/{i}")]).observe(i as f64 / 100.0);
    }
    // One allocation per histogram series (its cumulative counts), none
    // per bucket sample; both formats.
    for format in [Format::Text, Format::OpenMetrics] {
        out.clear();
        let all = allocations(|| {
            encode(
                &mut out,
                &r,
                format,
                &EncodeOptions::default().created(true),
            )
            .expect("a String never fails");
        });
        assert!(
            all <= HISTOGRAMS + 32,
            "{all} allocations for {COUNTERS} counters and {HISTOGRAMS} histograms ({format:?})"
        );
    }
}
