//! [`OnceBox`]: a box allocated at most once, behind one pointer.
//!
//! `OnceLock<Box<T>>` takes two words (its state beside the pointer);
//! this takes one, which matters in the payload of every labelled series.
//! Reading it is one acquire load and a null test.

#![allow(unsafe_code)]

use std::fmt;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// A value allocated by the first [`get_or_init`](OnceBox::get_or_init)
/// (or given at construction), then shared until the `OnceBox` drops.
/// Threads racing to initialise it may each build a value: one is kept,
/// the others are dropped unused.
pub(crate) struct OnceBox<T> {
    /// Null, or a pointer from `Box::into_raw`, set once and freed only
    /// by `drop`.
    ptr: AtomicPtr<T>,
    /// Owns a `T` (for drop check and auto traits: see the impls below).
    _owns: PhantomData<Box<T>>,
}

// SAFETY: a `OnceBox<T>` owns at most one `T` and hands out `&T` only; it
// can be sent where a `Box<T>` can.
unsafe impl<T: Send> Send for OnceBox<T> {}
// SAFETY: through `&OnceBox<T>` threads share `&T` (so `T: Sync`) and a
// `T` built on one thread may be dropped on another, with the `OnceBox`
// (so `T: Send`).
unsafe impl<T: Send + Sync> Sync for OnceBox<T> {}

impl<T> OnceBox<T> {
    /// Empty.
    pub(crate) const fn new() -> Self {
        OnceBox {
            ptr: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// The value, if there is one.
    #[inline]
    pub(crate) fn get(&self) -> Option<&T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: `p` is null or came from `Box::into_raw`, published with
        // release ordering (the acquire load above sees the value fully
        // written); it is never replaced once set and freed only by `drop`,
        // which takes `&mut self`, so it outlives the `&self` borrow.
        unsafe { p.as_ref() }
    }

    /// The value, built by `init` if there is none yet.
    #[inline]
    pub(crate) fn get_or_init(&self, init: impl FnOnce() -> Box<T>) -> &T {
        match self.get() {
            Some(v) => v,
            None => self.init(init),
        }
    }

    #[cold]
    fn init(&self, init: impl FnOnce() -> Box<T>) -> &T {
        match self.publish(init()) {
            Ok(v) | Err(v) => v,
        }
    }

    /// Sets the value if there is none: false (and `value` dropped) if
    /// there was one.
    pub(crate) fn set(&self, value: Box<T>) -> bool {
        self.publish(value).is_ok()
    }

    /// Publishes `value` if there is no value yet: `Ok` with it, or `Err`
    /// with the value already there (`value` dropped).
    fn publish(&self, value: Box<T>) -> Result<&T, &T> {
        let new = Box::into_raw(value);
        match self
            .ptr
            .compare_exchange(ptr::null_mut(), new, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: `new` is now the published pointer: valid until `drop`
            // (as in `get`).
            Ok(_) => Ok(unsafe { &*new }),
            Err(kept) => {
                // SAFETY: `new` came from `Box::into_raw` above and was never
                // published, so this is its only owner.
                drop(unsafe { Box::from_raw(new) });
                // SAFETY: `kept` is the published pointer (non-null: the
                // exchange from null failed), valid until `drop`.
                Err(unsafe { &*kept })
            }
        }
    }
}

impl<T> Default for OnceBox<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for OnceBox<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: a non-null pointer came from `Box::into_raw` and is
            // owned by this `OnceBox` alone; nothing borrows it past `&mut
            // self`.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.get() {
            Some(v) => f.debug_tuple("OnceBox").field(v).finish(),
            None => f.write_str("OnceBox(<empty>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn one_pointer() {
        assert_eq!(
            std::mem::size_of::<OnceBox<[u64; 8]>>(),
            std::mem::size_of::<usize>()
        );
    }

    /// Counts its drops.
    struct Tracked(Arc<AtomicUsize>, usize);

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Racing initialisations keep one value, everyone sees that one, and
    /// every value built is dropped exactly once.
    #[test]
    fn racing_inits_keep_one_value_and_drop_the_rest() {
        let drops = Arc::new(AtomicUsize::new(0));
        let built = AtomicUsize::new(0);
        let b = OnceBox::new();
        assert!(b.get().is_none());
        let seen: Vec<usize> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..8)
                .map(|i| {
                    let (b, drops, built) = (&b, &drops, &built);
                    s.spawn(move || {
                        b.get_or_init(|| {
                            built.fetch_add(1, Ordering::Relaxed);
                            Box::new(Tracked(drops.clone(), i))
                        })
                        .1
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let kept = b.get().unwrap().1;
        assert!(seen.iter().all(|s| *s == kept), "{seen:?}");
        let built = built.load(Ordering::Relaxed);
        assert_eq!(drops.load(Ordering::Relaxed), built - 1);
        drop(b);
        assert_eq!(drops.load(Ordering::Relaxed), built);
    }

    #[test]
    fn a_value_once_there_stays_and_init_is_not_called_again() {
        let b = OnceBox::new();
        assert_eq!(format!("{b:?}"), "OnceBox(<empty>)");
        assert_eq!(*b.get_or_init(|| Box::new(7)), 7);
        assert_eq!(*b.get_or_init(|| Box::new(8)), 7);
        assert!(!b.set(Box::new(9)));
        assert_eq!(format!("{b:?}"), "OnceBox(7)");
        let c = OnceBox::new();
        assert!(c.set(Box::new(1)));
        assert_eq!(c.get(), Some(&1));
    }
}
