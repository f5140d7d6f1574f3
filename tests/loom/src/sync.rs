//! What `index.rs` takes from `super::sync`: loom's primitives under
//! `--cfg loom`, else promscribe's own shim (the standard library's).

#[cfg(not(loom))]
#[path = "../../../metrics-core/src/metrics/sync.rs"]
mod std_sync;
#[cfg(not(loom))]
pub(crate) use std_sync::*;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Ordering,
};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use loom_only::{Canary, OnceLock};

#[cfg(loom)]
mod loom_only {
    // A once-cell on loom's atomics needs a raw pointer; test code only.
    #![allow(unsafe_code)]

    use std::sync::PoisonError;

    use loom::cell::UnsafeCell;
    use loom::sync::atomic::{AtomicPtr, Ordering};
    use loom::sync::Mutex;

    /// Marks an allocation readers reach without a lock: freeing it
    /// (`with_mut`) while a reader checks it (`with`), without the two
    /// ordered, is a race loom reports.
    #[derive(Debug)]
    pub(crate) struct Canary(UnsafeCell<()>);

    impl Canary {
        pub(crate) fn new() -> Self {
            Canary(UnsafeCell::new(()))
        }

        pub(crate) fn check(&self) {
            self.0.with(|_| ());
        }
    }

    impl Drop for Canary {
        fn drop(&mut self) {
            self.0.with_mut(|_| ());
        }
    }

    /// `std::sync::OnceLock` on loom's primitives: set once under a mutex,
    /// read with an acquire load.
    pub(crate) struct OnceLock<T> {
        value: AtomicPtr<T>,
        init: Mutex<()>,
    }

    impl<T> OnceLock<T> {
        pub(crate) fn new() -> Self {
            OnceLock {
                value: AtomicPtr::new(std::ptr::null_mut()),
                init: Mutex::new(()),
            }
        }

        pub(crate) fn get(&self) -> Option<&T> {
            let p = self.value.load(Ordering::Acquire);
            // SAFETY: set once, from `Box::into_raw` of a value written
            // before the release store this load synchronizes with; freed
            // only by `drop`, which `&self` excludes.
            unsafe { p.as_ref() }
        }

        pub(crate) fn get_or_init(&self, f: impl FnOnce() -> T) -> &T {
            let _init = self.init.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(v) = self.get() {
                return v;
            }
            let p = Box::into_raw(Box::new(f()));
            self.value.store(p, Ordering::Release);
            // SAFETY: just allocated, freed only by `drop`.
            unsafe { &*p }
        }
    }

    impl<T> Drop for OnceLock<T> {
        fn drop(&mut self) {
            let p = self.value.load(Ordering::Relaxed);
            if !p.is_null() {
                // SAFETY: from `Box::into_raw`, freed once, here.
                drop(unsafe { Box::from_raw(p) });
            }
        }
    }
}
