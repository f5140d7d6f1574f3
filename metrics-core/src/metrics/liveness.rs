//! How a metric reaches its metadata ([`MetaRef`]) and, for a child of a
//! [`Family`](crate::Family), whether its series is in the exposition
//! ([`Liveness`]): the state that a series' updates, its lookups and its
//! family's sweeps (expiry, `retain`) share.
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

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::meta::Meta;
use crate::metrics::counter::Counter;

/// Updated since the last sweep.
const TOUCHED: u32 = 1;
/// Hidden from the exposition until touched again.
const EXPIRED: u32 = 2;
/// Unlinked from the family: final.
const DEAD: u32 = 4;

/// How a metric reaches its metadata: statics borrow it, metrics built at
/// run time share it; children of a family have none of their own, but
/// their liveness, and a family's overflow series the count of its
/// updates.
pub(crate) enum MetaRef {
    /// No metadata, no liveness (a family's internal tally).
    None,
    Static(&'static Meta),
    Shared(Arc<Meta>),
    /// A child of a family.
    Child(Liveness),
    /// The overflow series of a family past its `max_series`: every
    /// update is counted in the tally the registry exposes.
    Overflow(Arc<Counter>),
}

impl Clone for MetaRef {
    fn clone(&self) -> Self {
        match self {
            MetaRef::None => MetaRef::None,
            MetaRef::Static(m) => MetaRef::Static(m),
            MetaRef::Shared(m) => MetaRef::Shared(Arc::clone(m)),
            MetaRef::Child(_) => MetaRef::Child(Liveness::new()),
            MetaRef::Overflow(t) => MetaRef::Overflow(Arc::clone(t)),
        }
    }
}

impl std::fmt::Debug for MetaRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetaRef::None => f.write_str("None"),
            MetaRef::Static(m) => f.debug_tuple("Static").field(&m.name()).finish(),
            MetaRef::Shared(m) => f.debug_tuple("Shared").field(&m.name()).finish(),
            MetaRef::Child(l) => f.debug_tuple("Child").field(l).finish(),
            MetaRef::Overflow(_) => f.write_str("Overflow"),
        }
    }
}

impl MetaRef {
    /// The metadata of a child: a fresh liveness, touched.
    pub(crate) const fn child() -> Self {
        MetaRef::Child(Liveness::new())
    }

    pub(crate) fn get(&self) -> Option<&Meta> {
        match self {
            MetaRef::Static(m) => Some(m),
            MetaRef::Shared(m) => Some(m),
            MetaRef::None | MetaRef::Child(_) | MetaRef::Overflow(_) => None,
        }
    }

    pub(crate) fn name(&self) -> &str {
        self.get().map(Meta::name).unwrap_or("")
    }

    /// A child's liveness.
    pub(crate) fn liveness(&self) -> Option<&Liveness> {
        match self {
            MetaRef::Child(l) => Some(l),
            _ => None,
        }
    }

    /// What every update calls once it has written its value: nothing for
    /// an unlabelled metric; for a child, one load (and a write once per
    /// sweep, or to bring an expired series back); for an overflow series,
    /// one increment of the family's tally.
    #[inline(always)]
    pub(crate) fn touch(&self) {
        match self {
            MetaRef::Child(l) => l.touch(),
            MetaRef::Overflow(tally) => tally.inc(),
            _ => {}
        }
    }
}

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
    pub(crate) const fn new() -> Self {
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

    /// Expired to dead, if nothing brought it back meanwhile (under the
    /// index's writer lock).
    pub(crate) fn try_kill(&self) -> bool {
        self.state
            .compare_exchange(EXPIRED, DEAD, Ordering::SeqCst, Ordering::Relaxed)
            .is_ok()
    }

    /// Undoes [`try_kill`](Self::try_kill) (still under that lock) when a
    /// handle turned out to hold the child: expired again.
    pub(crate) fn unkill(&self) {
        self.state.store(EXPIRED, Ordering::SeqCst);
    }
}

/// Milliseconds since the first call, wrapping after about 49 days: the
/// clock of idle timeouts (compared by wrapping difference; a child idle
/// for more than 24 days between two sweeps expires one sweep late).
pub(crate) fn monotonic_ms() -> u32 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let ms = START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis();
    // Truncation intended: a wrapping clock.
    ms as u32
}

#[cfg(test)]
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
        assert!(!l.try_kill());
        assert!(l.retire(9));
        assert!(l.try_kill());
        l.unkill();
        assert!(l.expired_by(9));
    }

    #[test]
    fn a_touch_is_one_load_when_touched() {
        let l = Liveness::new();
        l.touch();
        assert_eq!(l.state.load(Ordering::Relaxed), TOUCHED);
    }
}
