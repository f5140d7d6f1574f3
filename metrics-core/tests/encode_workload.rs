//! The peer workload (10,000 counter series with 2 labels + 1,000
//! histogram series with 11 buckets), encoded in the text format: prints
//! the encode time and the allocations of one scrape. Run with
//! `cargo test -p promscribe --release --test encode_workload -- --ignored --nocapture`;
//! it asserts nothing about time.
#![allow(unsafe_code)] // a counting global allocator needs it; test only

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use promscribe::{Buckets, Counter, Family, Histogram, Opts, Registry};

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
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
#[ignore = "a measurement: run it in release mode with --ignored --nocapture"]
fn peer_workload() {
    let r = Registry::new();
    let c =
        Family::<Counter, 2>::new(Opts::new("http_requests_total", "R").labels(["method", "path"]))
            .expect("valid");
    r.register(c.clone()).expect("no clash");
    for i in 0..10_000u64 {
        c.labels(["get".to_string(), format!("/api/v1/resource/{i}")])
            .inc_by_u64(i);
    }
    let h = Family::<Histogram, 1>::with_buckets(
        Opts::new("latency_seconds", "L").labels(["path"]),
        Buckets::exponential(0.001, 2.0, 10).expect("valid"),
    )
    .expect("valid");
    r.register(h.clone()).expect("no clash");
    for i in 0..1_000 {
        let child = h.labels([format!("/api/v1/resource/{i}")]);
        for j in 0..20 {
            child.observe(f64::from(i * j) / 1000.0);
        }
    }
    let mut len = 0;
    for _ in 0..5 {
        len = promscribe::encode_text(&r).len();
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let _ = promscribe::encode_text(&r);
    let allocs = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let runs = 50;
    let start = Instant::now();
    for _ in 0..runs {
        len = promscribe::encode_text(&r).len();
    }
    let per = start.elapsed() / runs;
    println!("text 0.0.4: {len} bytes, {per:?} per encode, {allocs} allocations per encode");
}
