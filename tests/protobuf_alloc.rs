//! The protobuf exposition allocates per family and per histogram series
//! (the snapshot's cumulative counts), never per sample: messages are
//! written straight from the snapshot, their lengths computed, not
//! buffered. A family child builds the label set of its snapshot at the
//! first snapshot and keeps it (the streaming text scrape never needs
//! one): from the second scrape on, nothing is allocated per sample. Counted with a counting global allocator, on the peer
//! workload's shape (10,000 counter series with 2 labels, 1,000
//! histograms with 11 buckets).

use promscribe::{
    encode_bytes, Buckets, Counter, EncodeOptions, Family, Format, Histogram, Opts, Registry,
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
