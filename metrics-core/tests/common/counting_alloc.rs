//! A global allocator that counts allocations (and reallocations) and
//! forwards to the system allocator: shared by the allocation tests of
//! this crate (`#[path]`-included; the workspace's test-support crate
//! depends on this one, so it cannot be a dev-dependency here).
#![allow(unsafe_code)] // a counting global allocator needs it; test only

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The counting allocator; each test binary installs it with
/// `#[global_allocator]`.
pub(crate) struct Counting;

/// Allocations and reallocations made so far by this process.
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

/// Allocations made so far.
pub(crate) fn allocated() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}
