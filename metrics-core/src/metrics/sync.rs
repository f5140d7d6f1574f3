//! The synchronization primitives of the lock-free child index
//! (`index.rs`): the standard library's. The loom model of the index
//! (`tests/loom`) compiles `index.rs` against a shim of its own with these
//! names, backed by loom's types under `--cfg loom`, so that loom checks
//! this very source; keep the two shims' names in step.

pub(crate) use std::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Ordering,
};
pub(crate) use std::sync::{Mutex, MutexGuard, OnceLock};

/// Marks an allocation that readers reach without a lock (a table of the
/// index): in the loom model, freeing it while a reader still reads it is
/// reported as a race. Here it is nothing and costs nothing.
#[derive(Debug, Default)]
pub(crate) struct Canary;

impl Canary {
    pub(crate) const fn new() -> Self {
        Canary
    }

    /// A reader is reading the allocation.
    #[inline(always)]
    pub(crate) fn check(&self) {}
}
