//! Epoch-based reclamation for the lock-free child lookup of
//! [`Family`](crate::Family): a reader *pins* its thread before it reads
//! shared pointers and unpins when done; a writer that unlinks something
//! *retires* it with the epoch of the moment, and frees it once no thread
//! is pinned at that epoch or an earlier one.
//!
//! A pin writes only the calling thread's own slot (a cache-padded atomic
//! that no other thread writes), so lookups share no written cache line.
//! The global epoch moves only when something is retired (a removal, a
//! table resize), which is rare. Nested pins on one thread cost a
//! thread-local counter.
//!
//! Correctness (the usual epoch argument): a reader stores the epoch it
//! read into its slot, then a `SeqCst` fence, then loads pointers; a
//! retirer unlinks, advances the epoch, then a `SeqCst` fence, then reads
//! the slots. Either the retirer sees the reader's slot (and keeps the
//! object, the reader's epoch being at most the retirement's), or the
//! reader sees the unlink (and never reaches the object). A reader that
//! read the advanced epoch synchronizes with the advance, so it sees the
//! unlink too.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// The global epoch; starts at 1 (0 in a slot means "not pinned").
static EPOCH: AtomicU64 = AtomicU64::new(1);

/// Pins taken by threads whose thread-local state is already destroyed
/// (a lookup from another thread-local's destructor): while any is held,
/// nothing is freed.
static ORPHAN_PINS: AtomicUsize = AtomicUsize::new(0);

/// One thread's announcement: the epoch it is pinned at, or 0.
#[repr(align(128))]
struct Slot {
    epoch: AtomicU64,
    /// Whether no live thread owns the slot (a new thread may take it).
    free: AtomicBool,
}

/// Every slot ever created; slots of exited threads are reused. Read by
/// retirers only, never by lookups.
static SLOTS: Mutex<Vec<&'static Slot>> = Mutex::new(Vec::new());

struct Local {
    slot: &'static Slot,
    pins: Cell<usize>,
}

impl Local {
    fn register() -> Local {
        let mut slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
        let reused = slots.iter().copied().find(|s| {
            s.free
                .compare_exchange(true, false, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        });
        let slot = reused.unwrap_or_else(|| {
            let slot: &'static Slot = Box::leak(Box::new(Slot {
                epoch: AtomicU64::new(0),
                free: AtomicBool::new(false),
            }));
            slots.push(slot);
            slot
        });
        Local {
            slot,
            pins: Cell::new(0),
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        self.slot.epoch.store(0, Ordering::Release);
        self.slot.free.store(true, Ordering::Release);
    }
}

thread_local! {
    static LOCAL: Local = Local::register();
}

/// A pinned thread: what it read from a structure protected by this
/// module stays allocated while the guard lives. Not `Send`: the pin
/// belongs to the thread that took it.
#[derive(Debug)]
pub(crate) struct Guard {
    orphan: bool,
    _not_send: PhantomData<*const ()>,
}

/// Pins the calling thread.
#[inline]
pub(crate) fn pin() -> Guard {
    let pinned = LOCAL.try_with(|local| {
        let n = local.pins.get();
        if n == 0 {
            let e = EPOCH.load(Ordering::Acquire);
            local.slot.epoch.store(e, Ordering::Relaxed);
            fence(Ordering::SeqCst);
        }
        local.pins.set(n + 1);
    });
    match pinned {
        Ok(()) => Guard {
            orphan: false,
            _not_send: PhantomData,
        },
        Err(_) => {
            ORPHAN_PINS.fetch_add(1, Ordering::SeqCst);
            Guard {
                orphan: true,
                _not_send: PhantomData,
            }
        }
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        if self.orphan {
            ORPHAN_PINS.fetch_sub(1, Ordering::Release);
            return;
        }
        // The thread-local outlives every guard of its thread, except a
        // guard dropped in another thread-local's destructor: then the
        // slot was already cleared by `Local::drop`.
        let _ = LOCAL.try_with(|local| {
            let n = local.pins.get().saturating_sub(1);
            local.pins.set(n);
            if n == 0 {
                local.slot.epoch.store(0, Ordering::Release);
            }
        });
    }
}

/// Things unlinked from a shared structure, each with the epoch of its
/// retirement, freed once no thread can still hold them.
pub(crate) struct Retired<T> {
    items: Vec<(u64, T)>,
}

impl<T> std::fmt::Debug for Retired<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retired")
            .field("items", &self.items.len())
            .finish()
    }
}

impl<T> Retired<T> {
    pub(crate) const fn new() -> Self {
        Retired { items: Vec::new() }
    }

    /// Keeps `item`, unlinked by the caller before this call, until it is
    /// safe to drop.
    pub(crate) fn retire(&mut self, item: T) {
        let e = EPOCH.fetch_add(1, Ordering::SeqCst);
        self.items.push((e, item));
    }

    /// Drops what no pinned thread can still hold.
    pub(crate) fn collect(&mut self) {
        if self.items.is_empty() {
            return;
        }
        fence(Ordering::SeqCst);
        if ORPHAN_PINS.load(Ordering::SeqCst) != 0 {
            return;
        }
        let oldest = {
            let slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
            slots
                .iter()
                .map(|s| s.epoch.load(Ordering::SeqCst))
                .filter(|&e| e != 0)
                .min()
                .unwrap_or(u64::MAX)
        };
        self.items.retain(|(e, _)| *e >= oldest);
    }

    /// How many items wait to be dropped.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_pinned_thread_keeps_what_was_retired_after_its_pin() {
        let item = Arc::new(5);
        let mut retired = Retired::new();
        let (pinned_tx, pinned_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            let g = pin();
            pinned_tx.send(()).unwrap();
            done_rx.recv().unwrap();
            drop(g);
        });
        pinned_rx.recv().unwrap();
        retired.retire(Arc::clone(&item));
        retired.collect();
        assert_eq!(retired.len(), 1, "freed while a reader was pinned");
        done_tx.send(()).unwrap();
        t.join().unwrap();
        // Other tests of this process pin briefly too: wait them out.
        for _ in 0..10_000 {
            retired.collect();
            if retired.len() == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(retired.len(), 0);
        assert_eq!(Arc::strong_count(&item), 1);
    }

    #[test]
    fn nested_pins_unpin_at_the_outermost() {
        let a = pin();
        let b = pin();
        drop(a);
        LOCAL.with(|l| assert_ne!(l.slot.epoch.load(Ordering::Relaxed), 0));
        drop(b);
        LOCAL.with(|l| assert_eq!(l.slot.epoch.load(Ordering::Relaxed), 0));
    }
}
