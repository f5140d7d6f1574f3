//! Whether the series of a child of a [`Family`](crate::Family) is in the
//! exposition: the state that a series' updates, its lookups and its
//! family's sweeps (expiry, `retain`) share. The atomics come from `sync`,
//! so that the loom model (`tests/loom`) checks this file with loom's.
//!
//! A child's state is one of:
//!
//! - **touched** (`TOUCHED`): updated since the last sweep. Every update
//!   ends with one load of the state; only when it is not `TOUCHED` does
//!   the update write it (at most once per sweep).
//! - **idle** (`0`): a sweep saw it touched and cleared the bit; `since`
//!   holds when (milliseconds of [`monotonic_ms`]). A sweep that finds it
//!   still idle `expire_after` later expires it.
//! - **expired** (`EXPIRED`): hidden from every exposition, still in the
//!   family's index; `since` holds the number of the sweep that expired
//!   it. An update through any handle, or a lookup, takes it back to
//!   touched: the series comes back with every update it ever had.
//! - **dead** (`DEAD`): unlinked from the index by a sweep, under the
//!   index's writer lock, once no handle can reach it (see `family.rs`):
//!   final.
//!
//! Every transition out of touched, idle or expired is a compare-exchange,
//! so a sweep that expires or kills a child and an update or lookup that
//! revives it cannot both win.

use super::sync::{fence, AtomicU32, Ordering};

/// Updated since the last sweep.
const TOUCHED: u32 = 1;
/// Hidden from the exposition until touched again.
const EXPIRED: u32 = 2;
/// Unlinked from the family: final.
const DEAD: u32 = 4;

/// Whether a child's series is in the exposition: see the module
/// documentation. Two words, inside the child's metadata reference (which
/// was a tag and a pointer already, so the child did not grow).
#[doc(hidden)]
pub struct Liveness {
    state: AtomicU32,
    /// When an idle child was first seen idle (milliseconds), or the sweep
    /// that expired it; written by the family's sweeps only.
    since: AtomicU32,
}

impl std::fmt::Debug for Liveness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.state.load(Ordering::Relaxed) {
            TOUCHED => "touched",
            0 => "idle",
            EXPIRED => "expired",
            _ => "dead",
        })
    }
}

/// What a sweep did to one child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swept {
    /// Touched since the last sweep, or idle for less than the timeout, or
    /// expired already.
    Kept,
    /// Idle for the timeout: now expired.
    Expired,
}

impl Liveness {
    /// A fresh child's: touched.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Liveness {
            state: AtomicU32::new(TOUCHED),
            since: AtomicU32::new(0),
        }
    }

    /// A fresh child's: touched.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Liveness {
            state: AtomicU32::new(TOUCHED),
            since: AtomicU32::new(0),
        }
    }

    /// After an update: marks the child touched (and so brings an expired
    /// series back).
    #[inline(always)]
    pub(crate) fn touch(&self) {
        if self.state.load(Ordering::Relaxed) != TOUCHED {
            self.touch_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn touch_slow(&self) {
        let mut s = self.state.load(Ordering::Acquire);
        // A dead child was removed by `remove` or `clear` (expiry and
        // `retain` never kill a child a handle can reach): its updates are
        // no longer exposed, as the documentation of `remove` says.
        while s != TOUCHED && s & DEAD == 0 {
            match self
                .state
                .compare_exchange(s, TOUCHED, Ordering::SeqCst, Ordering::Acquire)
            {
                Ok(_) => return,
                Err(now) => s = now,
            }
        }
    }

    /// For a lookup that found this child: `false` if it is dead (the
    /// caller creates a new one); an expired child is brought back.
    #[inline(always)]
    pub(crate) fn lookup(&self) -> bool {
        if self.state.load(Ordering::Acquire) & (EXPIRED | DEAD) == 0 {
            return true;
        }
        self.lookup_slow()
    }

    #[cold]
    #[inline(never)]
    fn lookup_slow(&self) -> bool {
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s & DEAD != 0 {
                return false;
            }
            if s & EXPIRED == 0 {
                return true;
            }
            match self
                .state
                .compare_exchange(s, TOUCHED, Ordering::SeqCst, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }

    /// Whether the series is in the exposition (neither expired nor dead).
    #[inline]
    pub(crate) fn is_exposed(&self) -> bool {
        self.state.load(Ordering::Acquire) & (EXPIRED | DEAD) == 0
    }

    /// Marks the child dead unconditionally (`remove`, `clear`: the child
    /// leaves the index whatever holds it).
    pub(crate) fn kill(&self) {
        self.state.fetch_or(DEAD, Ordering::SeqCst);
    }

    /// One sweep's look at an idle timeout of `expire_ms` at `now` (both
    /// from [`monotonic_ms`]): a touched child is marked idle as of now,
    /// one idle for the timeout expires with `sweep` recorded. Called by
    /// the family's sweep only (one at a time).
    pub(crate) fn sweep(&self, now: u32, expire_ms: u32, sweep: u32) -> Swept {
        let s = self.state.load(Ordering::Acquire);
        if s == TOUCHED {
            if self
                .state
                .compare_exchange(TOUCHED, 0, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                self.since.store(now, Ordering::Relaxed);
            }
            return Swept::Kept;
        }
        if s != 0 || now.wrapping_sub(self.since.load(Ordering::Relaxed)) < expire_ms {
            return Swept::Kept;
        }
        self.since.store(sweep, Ordering::Relaxed);
        match self
            .state
            .compare_exchange(0, EXPIRED, Ordering::SeqCst, Ordering::Relaxed)
        {
            Ok(_) => Swept::Expired,
            Err(_) => Swept::Kept,
        }
    }

    /// Hides the series now, whatever its state (`retain`), recording
    /// `sweep`; `false` if it was hidden or dead already.
    pub(crate) fn retire(&self, sweep: u32) -> bool {
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s & (EXPIRED | DEAD) != 0 {
                return false;
            }
            self.since.store(sweep, Ordering::Relaxed);
            match self
                .state
                .compare_exchange(s, EXPIRED, Ordering::SeqCst, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }

    /// Whether the child is expired by a sweep numbered at most `quiet`,
    /// the last sweep after which every epoch guard pinned then has been
    /// dropped.
    pub(crate) fn expired_by(&self, quiet: u32) -> bool {
        self.state.load(Ordering::Acquire) == EXPIRED
            && quiet.wrapping_sub(self.since.load(Ordering::Relaxed)) < 1 << 31
    }

    /// Expired to dead, if nothing brought it back meanwhile and no
    /// counted handle holds it: `holders` reads the number of counted
    /// references (the family's own included, so 1 means none). Called
    /// under the index's writer lock, which also orders it against other
    /// releases.
    ///
    /// Against [`claim`](Self::claim): this writes the state, fences, then
    /// reads the count; a claimer adds to the count, fences, then reads the
    /// state. With both fences sequentially consistent, at least one side
    /// sees the other's write: the claimer sees dead and gives its count
    /// back, or this sees the count and undoes the kill.
    pub(crate) fn try_release(&self, holders: impl FnOnce() -> usize) -> bool {
        if self
            .state
            .compare_exchange(EXPIRED, DEAD, Ordering::SeqCst, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        fence(Ordering::SeqCst);
        if holders() > 1 {
            // Nobody else turns a dead child back (touches and lookups
            // leave it), so the undo is a plain store.
            self.state.store(EXPIRED, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// For a counted handle just taken (its count added): whether it may
    /// be handed out, as [`lookup`](Self::lookup); see
    /// [`try_release`](Self::try_release).
    pub(crate) fn claim(&self) -> bool {
        fence(Ordering::SeqCst);
        self.lookup()
    }

    /// Whether the child is dead.
    #[cfg_attr(not(any(test, loom)), allow(dead_code))]
    pub(crate) fn is_dead(&self) -> bool {
        self.state.load(Ordering::Acquire) & DEAD != 0
    }
}

/// Milliseconds since the first call, wrapping after about 49 days: the
/// clock of idle timeouts (compared by wrapping difference; a child idle
/// for more than 24 days between two sweeps expires one sweep late).
#[cfg(not(loom))]
pub(crate) fn monotonic_ms() -> u32 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let ms = START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis();
    // Truncation intended: a wrapping clock.
    ms as u32
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn an_update_brings_an_expired_child_back() {
        let l = Liveness::new();
        assert_eq!(l.sweep(0, 100, 1), Swept::Kept); // touched -> idle at 0
        assert_eq!(l.sweep(50, 100, 2), Swept::Kept); // idle 50 ms
        assert_eq!(l.sweep(100, 100, 3), Swept::Expired);
        assert!(!l.is_exposed());
        l.touch();
        assert!(l.is_exposed());
        assert_eq!(l.sweep(200, 100, 4), Swept::Kept); // touched again
    }

    #[test]
    fn a_lookup_brings_an_expired_child_back_and_refuses_a_dead_one() {
        let l = Liveness::new();
        assert!(l.retire(1));
        assert!(!l.retire(2));
        assert!(!l.is_exposed());
        assert!(l.lookup());
        assert!(l.is_exposed());
        l.kill();
        assert!(!l.lookup());
        l.touch();
        assert!(!l.is_exposed(), "a dead child stays dead");
    }

    #[test]
    fn a_kill_needs_the_sweep_to_be_quiet_and_loses_to_a_touch() {
        let l = Liveness::new();
        assert!(l.retire(7));
        assert!(!l.expired_by(6));
        assert!(l.expired_by(7));
        assert!(l.expired_by(7u32.wrapping_add(1000)));
        l.touch();
        assert!(!l.expired_by(8));
        assert!(!l.try_release(|| 1));
        assert!(l.retire(9));
        assert!(!l.try_release(|| 2), "a counted handle holds it");
        assert!(l.expired_by(9));
        assert!(l.try_release(|| 1));
        assert!(l.is_dead());
        assert!(!l.claim());
    }

    #[test]
    fn a_touch_is_one_load_when_touched() {
        let l = Liveness::new();
        l.touch();
        assert_eq!(l.state.load(Ordering::Relaxed), TOUCHED);
    }
}
