//! The protobuf exposition allocates per family and per histogram series
//! (the snapshot's cumulative counts), never per sample: messages are
//! written straight from the snapshot, their lengths computed, not
//! buffered. A family child builds the label set of its snapshot at the
//! first snapshot and keeps it (the streaming text scrape never needs
//! one): from the second scrape on, nothing is allocated per sample. Counted with a counting global allocator, on the peer
//! workload's shape (10,000 counter series with 2 labels, 1,000
//! histograms with 11 buckets). Native histograms' spans and deltas are
//! computed while writing: encoding a snapshot of them allocates nothing
//! per bucket or per series.

use std::sync::Arc;

use promscribe::{
    encode_bytes, encode_families_bytes, Bounds, Buckets, Counter, EncodeOptions, Exemplar, Family,
    Format, Histogram, HistogramPoint, LabelSet, MetricFamily, MetricType, NativeBuckets, Opts,
    Point, Registry,
};
use promscribe_test_support::{allocations_in as allocations, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const COUNTERS: usize = 10_000;
const HISTOGRAMS: usize = 1_000;

#[test]
fn no_allocation_per_sample_in_protobuf() {
    let r = Registry::new();
    let c =
        Family::<Counter, 2>::new(Opts::new("http_requests_total", "R").labels(["method", "path"]))
            .expect("valid");
    r.register(c.clone()).expect("no clash");
    for i in 0..COUNTERS {
        c.labels(["get".to_string(), format!("/path/{i}")])
            .inc_by_u64(i as u64);
    }
    let options = EncodeOptions::default().created(true);
    let mut out = Vec::with_capacity(4 << 20);
    // The first snapshot builds each child's label set, once.
    encode_bytes(&mut out, &r, Format::Protobuf, &options).expect("encodes");
    out.clear();
    let counters = allocations(|| {
        encode_bytes(&mut out, &r, Format::Protobuf, &options).expect("encodes");
    });
    assert!(out.len() > COUNTERS * 30, "{}", out.len());
    assert!(
        counters <= 16,
        "{counters} allocations to encode {COUNTERS} counter series"
    );

    let h = Family::<Histogram, 1>::with_buckets(
        Opts::new("latency_seconds", "L").labels(["path"]),
        Buckets::exponential(0.001, 2.0, 10).expect("valid"),
    )
    .expect("valid");
    r.register(h.clone()).expect("no clash");
    for i in 0..HISTOGRAMS {
        h.labels([format!("/path/{i}")]).observe(i as f64 / 100.0);
    }
    out.clear();
    encode_bytes(&mut out, &r, Format::Protobuf, &options).expect("encodes");
    out.clear();
    let all = allocations(|| {
        encode_bytes(&mut out, &r, Format::Protobuf, &options).expect("encodes");
    });
    assert!(
        all <= HISTOGRAMS + 32,
        "{all} allocations for {COUNTERS} counters and {HISTOGRAMS} histograms"
    );
}

#[test]
fn no_allocation_per_native_bucket_in_protobuf() {
    // 1,000 native series of 160 populated buckets each side, spread so
    // that every gap rule is hit (gaps of 0, 1, 2 and 5 buckets).
    let gaps = [1, 2, 3, 6];
    let side: Vec<(i32, u64)> = (0..160)
        .scan(-200i32, |i, n| {
            *i += gaps[n % gaps.len()];
            Some((*i, (n as u64 % 7) + 1))
        })
        .collect();
    let mut f = MetricFamily::new("native_seconds", "N", MetricType::Histogram);
    for s in 0..HISTOGRAMS {
        let n = NativeBuckets {
            schema: 3,
            zero_threshold: 2f64.powi(-128),
            zero_count: 1,
            positive: side.clone(),
            negative: side.clone(),
            exemplars: vec![Arc::new(Exemplar {
                labels: vec![("trace_id".to_owned(), s.to_string())],
                value: 1.0,
                timestamp: Some(1_700_000_000.0),
            })],
        };
        let count = n.count() as f64;
        f.add(
            LabelSet::new([("series", s.to_string().as_str())]),
            Point::Histogram(HistogramPoint {
                bounds: Bounds::from(Vec::<f64>::new()),
                counts: vec![],
                count: Some(count),
                sum: Some(1.0),
                created: Some(1_700_000_000.0),
                exemplars: vec![],
                native: Some(Box::new(n)),
            }),
        )
        .expect("a histogram point");
    }
    let families = [f];
    let options = EncodeOptions::default().created(true);
    let mut out = Vec::with_capacity(16 << 20);
    let n = allocations(|| {
        encode_families_bytes(&mut out, &families, Format::Protobuf, &options).expect("encodes");
    });
    assert!(out.len() > HISTOGRAMS * 2 * 160, "{}", out.len());
    assert!(
        n <= 4,
        "{n} allocations to encode {HISTOGRAMS} native histograms"
    );
}
