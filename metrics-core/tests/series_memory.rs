//! What a labelled series costs on the heap: allocations and bytes asked
//! for per new child, counted with a counting global allocator on the
//! scale benchmark's shape (one counter family, labels `method` and
//! `path`, `path` distinct per series). The bounds keep the series store
//! compact: the label set is one allocation beside the child's own.
#![allow(unsafe_code)] // a counting global allocator needs it; test only

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use promscribe::{Counter, Family, Opts};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static FREES: AtomicUsize = AtomicUsize::new(0);
static REALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        FREES.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        REALLOCS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SERIES: usize = 100_000;

#[test]
fn a_new_labelled_series_costs_two_allocations_and_under_240_bytes() {
    let c =
        Family::<Counter, 2>::new(Opts::new("http_requests_total", "R").labels(["method", "path"]))
            .expect("valid");
    let methods = ["get", "post", "put", "delete"];
    let paths: Vec<String> = (0..SERIES).map(|i| format!("/item/{i}")).collect();
    // The first child allocates the family's lookup state once.
    c.labels(["get", "/warm"]).inc();
    let allocations_before = ALLOCATIONS.load(Ordering::Relaxed);
    let live_before = LIVE.load(Ordering::Relaxed);
    let frees_before = FREES.load(Ordering::Relaxed) + REALLOCS.load(Ordering::Relaxed);
    for (i, path) in paths.iter().enumerate() {
        c.labels([methods[i % 4], path.as_str()]).inc();
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations_before;
    let live = LIVE.load(Ordering::Relaxed) - live_before;
    // A reallocation is counted as an allocation above, and here as the
    // free of the block it replaces.
    let frees = FREES.load(Ordering::Relaxed) + REALLOCS.load(Ordering::Relaxed) - frees_before;
    let kept = allocations - frees;
    let per_series = allocations as f64 / SERIES as f64;
    let bytes = live as f64 / SERIES as f64;
    println!(
        "per series: {per_series:.2} allocations ({:.2} kept), {bytes:.1} bytes kept",
        kept as f64 / SERIES as f64
    );
    assert_eq!(c.len(), SERIES + 1);
    // The child and its label set, nothing freed at once; the lookup table
    // and the creation-order list grow by doubling (a few dozen
    // allocations in all).
    assert!(per_series < 2.01, "{per_series:.2} allocations per series");
    // The child (128 bytes with its counter and reference counts), the
    // label set (about 60: the rendered text and its spans), a share of
    // the lookup table (about 21) and of the list (about 10).
    assert!(bytes < 240.0, "{bytes:.1} bytes per series");
}
