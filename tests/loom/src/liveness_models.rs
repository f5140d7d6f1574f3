//! The models of a child's liveness (`liveness.rs`): a sweep releasing an
//! expired child never releases one that a handle holds. Two kinds of
//! handle, two protocols:
//!
//! - a counted handle (`labels_owned`) adds to the entry's count, then
//!   [`Liveness::claim`]s it; the release writes the state, then reads the
//!   count ([`Liveness::try_release`]);
//! - a borrowed handle (`labels`) holds an epoch guard: the sweep that
//!   expires a child defers the record that it is quiet, and a later sweep
//!   releases only children expired by a quiet sweep.
//!
//! Each model asserts, inside the holder, that the child it holds is not
//! dead, and at the end that a held child was not released.
//!
//! What loom cannot check here: the memory-ordering half of the counted
//! protocol. Loom runs interleavings but does not produce store-buffering
//! outcomes (each side's relaxed read missing the other's earlier write),
//! which are what the two sequentially consistent fences exclude: with
//! both fences removed `claim_races_release` still passes. Their argument
//! is written at `Liveness::try_release`; `bounded_series.rs` stresses the
//! protocol natively.

use crossbeam_epoch::Collector;
use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use crate::liveness::Liveness;

/// A counted handle taken while a sweep releases the expired child: one of
/// them loses. (The count is the entry's `Arc` count in the family: the
/// list holds one; `Arc` adds and reads it with relaxed ordering, as here.)
#[test]
fn claim_races_release() {
    loom::model(|| {
        let live = Arc::new(Liveness::new());
        assert!(live.retire(1));
        let count = Arc::new(AtomicUsize::new(1));
        let claimer = {
            let (live, count) = (Arc::clone(&live), Arc::clone(&count));
            thread::spawn(move || {
                count.fetch_add(1, Ordering::Relaxed);
                if live.claim() {
                    assert!(!live.is_dead(), "a claimed child is dead");
                    true
                } else {
                    count.fetch_sub(1, Ordering::Relaxed);
                    false
                }
            })
        };
        let released = live.try_release(|| count.load(Ordering::Relaxed));
        let held = claimer.join().unwrap_or(false);
        assert!(!(held && released), "a claimed child was released");
        // Released exactly when dead (a claimer that saw the kill before
        // its undo holds nothing, and finds the child again under the
        // writers' lock).
        assert_eq!(released, live.is_dead());
    });
}

/// An update through a handle races the sweep that expires its child:
/// the update brings it back, or the sweep sees it touched; either way it
/// is not left expired after the update.
#[test]
fn touch_races_expiry() {
    loom::model(|| {
        let live = Arc::new(Liveness::new());
        // A first sweep marked it idle at 0 ms.
        live.sweep(0, 10, 1);
        let updater = {
            let live = Arc::clone(&live);
            thread::spawn(move || live.touch())
        };
        live.sweep(100, 10, 2);
        updater.join().unwrap_or(());
        assert!(live.is_exposed(), "an update was left hidden");
    });
}

/// A borrowed handle pins its thread: a release waits for the quiet
/// record of the sweep that expired the child, which runs only after
/// every guard pinned before it was deferred is dropped.
#[test]
fn borrowed_handle_outlives_release() {
    loom::model(|| {
        let collector = Collector::new();
        let live = Arc::new(Liveness::new());
        let quiet = Arc::new(AtomicU32::new(0));
        let held = Arc::new(AtomicBool::new(false));
        let reader = {
            let (collector, live, held) = (collector.clone(), Arc::clone(&live), Arc::clone(&held));
            thread::spawn(move || {
                let handle = collector.register();
                let guard = handle.pin();
                // `labels`: a lookup that finds the child, under the guard.
                if live.lookup() {
                    held.store(true, Ordering::Relaxed);
                    live.touch();
                    assert!(!live.is_dead(), "a borrowed child was released");
                }
                drop(guard);
            })
        };
        let handle = collector.register();
        {
            // The sweep that expires the child, then its quiet record.
            let guard = handle.pin();
            live.retire(1);
            let quiet = Arc::clone(&quiet);
            guard.defer(move || {
                quiet.fetch_max(1, Ordering::AcqRel);
            });
            guard.flush();
        }
        // Later sweeps: nudge the epoch, release if quiet.
        for _ in 0..2 {
            handle.pin().flush();
            if live.expired_by(quiet.load(Ordering::Acquire)) && live.try_release(|| 1) {
                break;
            }
        }
        reader.join().unwrap_or(());
    });
}
