#![allow(unsafe_code)] // a counting global allocator needs it; test only
//! The protobuf exposition allocates per family and per histogram series
//! (the snapshot's cumulative counts), never per sample: messages are
//! written straight from the snapshot, their lengths computed, not
//! buffered. Counted with a counting global allocator, on the peer
//! workload's shape (10,000 counter series with 2 labels, 1,000
//! histograms with 11 buckets).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use promscribe::{
    encode_bytes, Buckets, Counter, EncodeOptions, Family, Format, Histogram, Opts, Registry,
};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const COUNTERS: usize = 10_000;
const HISTOGRAMS: usize = 1_000;

/// Allocations made by `f`. The test is the only one of this binary, so
/// no other thread allocates meanwhile.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

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
    let all = allocations(|| {
        encode_bytes(&mut out, &r, Format::Protobuf, &options).expect("encodes");
    });
    assert!(
        all <= HISTOGRAMS + 32,
        "{all} allocations for {COUNTERS} counters and {HISTOGRAMS} histograms"
    );
}
