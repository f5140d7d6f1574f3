//! A lock-free index of shared entries by hash: the child store of
//! [`Family`](crate::Family), generic over what an entry holds (it knows
//! nothing of labels or metrics).
//!
//! - **Entries** live in `Arc`s: a list in insertion order owns them (what
//!   a scrape walks), owned handles share them ([`Index::get_arc`]).
//! - **Lookups** take no lock and touch no reference count: under a
//!   `crossbeam_epoch` guard they probe an open-addressing table of entry
//!   pointers that readers never write ([`Index::get`]).
//! - **Writers** (insert, remove, clear, and the table's growth) hold one
//!   mutex. An entry is unlinked (a tombstone in its slot) before its `Arc`
//!   is handed to the guard's deferred destruction; a table is replaced
//!   before it is. Either is freed once every guard pinned before the
//!   unlink is dropped.
//! - **A dense array** finds entries by a small position (a family's enum
//!   values), read without a guard: an entry published there is never freed
//!   before the index (a removed one is kept in a graveyard). Bounded: past
//!   [`GRAVEYARD_MAX`] such removals nothing more is published.
//!
//! Every guard given to one index comes from one collector (the family's
//! are all `crossbeam_epoch::pin()`'s). The atomics and the mutex come from
//! `sync`, so that the loom model (`tests/loom`) checks this file with
//! loom's.
//!
//! The invariants the `unsafe` blocks rely on:
//!
//! - **Guarded.** A pointer loaded from `table` while a guard is pinned
//!   stays valid while the guard lives: a table is swapped out (under the
//!   writers' lock) before it is retired through a guard. An entry pointer
//!   read from a slot of such a table stays valid too: an entry is
//!   tombstoned in the current table before its destruction is deferred,
//!   and every older table that may still point at it was retired before
//!   that, so a reader that reached one was pinned before the entry's
//!   retirement.
//! - **Arc-owned.** Every entry is allocated by `Arc::new` inside this
//!   module, and the pointers the tables and the dense array hold are its
//!   `Arc::as_ptr`; while an entry is reachable, the list, the graveyard or
//!   its deferred destruction holds an `Arc` of it.
//! - **Kept when dense.** An entry published in the dense array is freed
//!   only with the index: a removal empties its position and moves its
//!   `Arc` to the graveyard.
//! - **Owned tables.** A table comes from `Box::into_raw`; the index is its
//!   only owner, and frees it once: retired when swapped out, or on drop.

// The lock-free lookup reads entries through raw pointers kept valid by
// epoch-based reclamation; each `unsafe` block names its invariant above.
#![allow(unsafe_code)]

use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::sync::{Arc, PoisonError};

use crossbeam_epoch::Guard;

use super::sync::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Canary, Mutex, MutexGuard, OnceLock, Ordering,
};

/// The most entries removed after being published in the dense array that
/// an index keeps until it is dropped; past it, nothing more is published
/// and dense lookups stop.
pub(crate) const GRAVEYARD_MAX: usize = 1024;

/// `Entry::dense` of an entry never published in the dense array.
const NOT_DENSE: u32 = u32::MAX;

/// The size of the first table (a power of two, as every table's).
const MIN_SLOTS: usize = 8;

/// The part of a hash the index keeps: its low 32 bits (they pick the
/// first slot of a probe, and spare most value comparisons; the caller's
/// predicate decides). Half a word less in every entry.
type Short = u32;

/// What the index keeps of `hash`.
#[inline]
fn short(hash: u64) -> Short {
    // Truncation intended: the low bits.
    hash as Short
}

/// One entry: a value, the (low bits of the) hash it is found by, and
/// its position in the dense array if it was published there.
pub(crate) struct Entry<T> {
    hash: Short,
    /// Its position in the dense array, or `NOT_DENSE`; written and read
    /// under the writers' lock.
    dense: AtomicU32,
    value: T,
}

impl<T> Entry<T> {
    /// An entry of no index (a family's overflow series): the caller keeps
    /// it for as long as it lends it ([`Ref::kept`]).
    pub(crate) fn standalone(value: T) -> Arc<Self> {
        Arc::new(Entry {
            hash: 0,
            dense: AtomicU32::new(NOT_DENSE),
            value,
        })
    }
}

impl<T> Deref for Entry<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.value
    }
}

/// The open-addressing table: each slot holds null (never used), a
/// tombstone (a removed entry) or an entry of the list. Written only under
/// the writers' lock; at most half the slots are used, so a probe always
/// ends at a null slot.
struct Table<T> {
    slots: Box<[AtomicPtr<Entry<T>>]>,
    canary: Canary,
}

impl<T> Table<T> {
    fn new(len: usize) -> Box<Self> {
        Box::new(Table {
            slots: (0..len).map(|_| AtomicPtr::new(ptr::null_mut())).collect(),
            canary: Canary::new(),
        })
    }

    /// What a removed entry's slot holds: aligned, non-null, never the
    /// address of an allocation.
    fn tombstone() -> *mut Entry<T> {
        NonNull::dangling().as_ptr()
    }

    /// The slots in the order a probe for `hash` visits them.
    #[inline]
    fn probe(&self, hash: Short) -> impl Iterator<Item = &AtomicPtr<Entry<T>>> {
        // The low bits pick the first slot (a `u32` always fits a `usize`
        // where this builds).
        let start = hash as usize & (self.slots.len() - 1);
        let (before, after) = self.slots.split_at(start);
        after.iter().chain(before)
    }

    /// The entry of `hash` that `is` accepts.
    #[inline]
    fn find(&self, hash: Short, mut is: impl FnMut(&T) -> bool) -> Option<&Entry<T>> {
        // `probe`'s order, as an index (the lookups' loop: tighter than
        // the chained iterator).
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        for _ in 0..self.slots.len() {
            let p = self.slots.get(i)?.load(Ordering::Acquire);
            i = (i + 1) & mask;
            if p.is_null() {
                return None;
            }
            if p != Self::tombstone() {
                // SAFETY (guarded): `self` was reached under a guard that
                // outlives this borrow of it (see `Index::table`), and `p`
                // is neither null nor a tombstone.
                let entry = unsafe { &*p };
                if entry.hash == hash && is(&entry.value) {
                    return Some(entry);
                }
            }
        }
        None
    }

    /// The slot holding `entry`.
    fn slot_of(&self, entry: &Entry<T>) -> Option<&AtomicPtr<Entry<T>>> {
        let target: *const Entry<T> = entry;
        for slot in self.probe(entry.hash) {
            let p = slot.load(Ordering::Relaxed);
            if p.is_null() {
                return None;
            }
            if ptr::eq(p, target) {
                return Some(slot);
            }
        }
        None
    }

    /// The first null slot of `hash`'s probe.
    fn vacant(&self, hash: Short) -> Option<&AtomicPtr<Entry<T>>> {
        self.probe(hash)
            .find(|slot| slot.load(Ordering::Relaxed).is_null())
    }
}

/// What writers share, under the index's mutex.
struct Writer<T> {
    /// Entries in insertion order; they own what the table points at.
    list: Vec<Arc<Entry<T>>>,
    /// Slots of the current table that are not null (entries and
    /// tombstones).
    used: usize,
    /// Removed entries that were published in the dense array.
    graveyard: Vec<Arc<Entry<T>>>,
}

/// An entry found in an index, kept valid by the guard it holds (or, found
/// in the dense array, by the index itself). Not `Send`: the guard pins
/// the thread that took it. Two words: returned in registers.
pub(crate) struct Ref<'a, T>(Kept<'a, T>);

/// What keeps a [`Ref`]'s entry.
enum Kept<'a, T> {
    /// Found under this guard.
    ByGuard(&'a Entry<T>, Guard),
    /// Published in the dense array: kept by the index.
    ByIndex(&'a Entry<T>),
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        match &self.0 {
            Kept::ByGuard(entry, _) | Kept::ByIndex(entry) => &entry.value,
        }
    }
}

impl<'a, T> Ref<'a, T> {
    /// The entry, and the guard that keeps it (none: the index keeps it).
    fn parts(&self) -> (&'a Entry<T>, Option<&Guard>) {
        match &self.0 {
            Kept::ByGuard(entry, guard) => (entry, Some(guard)),
            Kept::ByIndex(entry) => (entry, None),
        }
    }

    /// A handle on an entry its owner keeps for at least `'a` (a
    /// [`standalone`](Entry::standalone) one).
    pub(crate) fn kept(entry: &'a Entry<T>) -> Self {
        Ref(Kept::ByIndex(entry))
    }

    /// The guard it holds, if any (the entry is not to be used).
    pub(crate) fn into_guard(self) -> Option<Guard> {
        match self.0 {
            Kept::ByGuard(_, guard) => Some(guard),
            Kept::ByIndex(_) => None,
        }
    }

    /// Whether it holds a guard (it was not found in the dense array).
    #[cfg(test)]
    pub(crate) fn is_pinned(&self) -> bool {
        self.parts().1.is_some()
    }
}

/// The index: see the module documentation.
pub(crate) struct Index<T> {
    /// The lookup table (null before the first entry and after `clear`),
    /// from `Box::into_raw`.
    table: AtomicPtr<Table<T>>,
    /// The number of entries, written under the writers' lock.
    len: AtomicUsize,
    /// Entries by position, for lookups without a guard.
    dense: OnceLock<Box<[AtomicPtr<Entry<T>>]>>,
    /// Set once `GRAVEYARD_MAX` published entries were removed.
    dense_off: AtomicBool,
    writer: Mutex<Writer<T>>,
}

/// The body of `Index::new`, `const` with the standard library's types
/// (statics hold families), not with loom's.
macro_rules! empty_index {
    () => {
        Index {
            table: AtomicPtr::new(ptr::null_mut()),
            len: AtomicUsize::new(0),
            dense: OnceLock::new(),
            dense_off: AtomicBool::new(false),
            writer: Mutex::new(Writer {
                list: Vec::new(),
                used: 0,
                graveyard: Vec::new(),
            }),
        }
    };
}

impl<T> Index<T> {
    /// An empty index; allocates nothing.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        empty_index!()
    }

    /// An empty index; allocates nothing.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        empty_index!()
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Writer<T>> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current table, valid while `guard` lives.
    #[inline]
    fn table<'g>(&'g self, _guard: &'g Guard) -> Option<&'g Table<T>> {
        let p = self.table.load(Ordering::Acquire);
        // SAFETY (guarded, owned tables): loaded while `_guard` is pinned,
        // and the index outlives the borrow.
        let table = unsafe { p.as_ref() }?;
        table.canary.check();
        Some(table)
    }

    /// The entry of `hash` that `is` accepts, valid while `guard` lives.
    #[inline]
    fn find<'g>(
        &'g self,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        guard: &'g Guard,
    ) -> Option<&'g Entry<T>> {
        self.table(guard)?.find(short(hash), is)
    }

    /// Calls `f` with each entry, in insertion order, under the writers'
    /// lock (inserts and removals wait; lookups do not); stops at the
    /// first error.
    pub(crate) fn try_for_each<E>(&self, mut f: impl FnMut(&T) -> Result<(), E>) -> Result<(), E> {
        let w = self.lock();
        w.list.iter().try_for_each(|e| f(&e.value))
    }

    /// The entry published at position `i` of a dense array of `total`
    /// positions, if `is` accepts it. Takes no guard.
    #[inline]
    pub(crate) fn dense_get(
        &self,
        i: usize,
        total: usize,
        is: impl FnOnce(&T) -> bool,
    ) -> Option<Ref<'_, T>> {
        if self.dense_off.load(Ordering::Relaxed) {
            return None;
        }
        let slots = self.dense.get()?;
        if slots.len() != total {
            return None;
        }
        let p = slots.get(i)?.load(Ordering::Acquire);
        // SAFETY (kept when dense, Arc-owned): a published entry lives as
        // long as the index, which outlives the returned borrow.
        let entry = unsafe { p.as_ref() }?;
        is(&entry.value).then_some(Ref(Kept::ByIndex(entry)))
    }

    /// Whether graveyard entries switched the dense array off.
    #[cfg(test)]
    pub(crate) fn dense_is_off(&self) -> bool {
        self.dense_off.load(Ordering::Relaxed)
    }

    /// How many removed entries the index keeps for the dense array.
    #[cfg(test)]
    pub(crate) fn graveyard_len(&self) -> usize {
        self.lock().graveyard.len()
    }
}

impl<T: Send + Sync + 'static> Index<T> {
    /// The entry of `hash` that `is` accepts, kept by `guard`, which the
    /// returned handle holds; `guard` back if there is none.
    #[inline]
    pub(crate) fn get(
        &self,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        guard: Guard,
    ) -> Result<Ref<'_, T>, Guard> {
        match self.find(hash, is, &guard).map(NonNull::from) {
            Some(entry) => Ok(Self::pinned(entry, guard)),
            None => Err(guard),
        }
    }

    /// The entry of `hash` that `is` accepts, as a counted reference.
    pub(crate) fn get_arc(
        &self,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        guard: &Guard,
    ) -> Option<Arc<Entry<T>>> {
        self.find(hash, is, guard).map(Self::arc_of)
    }

    /// The entry of `hash` that `is` accepts, inserted (built by `make`,
    /// under the writers' lock) if there is none; published at position
    /// `i` of a dense array of `total` positions if `dense` is
    /// `Some((i, total))` and that position is free. `guard` back when
    /// there is none and the index holds `cap` entries already.
    pub(crate) fn get_or_insert(
        &self,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        make: impl FnOnce() -> T,
        dense: Option<(usize, usize)>,
        cap: usize,
        guard: Guard,
    ) -> Result<Ref<'_, T>, Guard> {
        match self.get_or_insert_arc(hash, is, make, dense, cap, &guard) {
            Some(entry) => Ok(Self::pinned(NonNull::from(&*entry), guard)),
            None => Err(guard),
        }
    }

    /// As [`get_or_insert`](Self::get_or_insert), as a counted reference.
    pub(crate) fn get_or_insert_arc(
        &self,
        hash: u64,
        is: impl FnMut(&T) -> bool,
        make: impl FnOnce() -> T,
        dense: Option<(usize, usize)>,
        cap: usize,
        guard: &Guard,
    ) -> Option<Arc<Entry<T>>> {
        let mut w = self.lock();
        let entry = match self.find(hash, is, guard) {
            Some(found) => Self::arc_of(found),
            None if w.list.len() >= cap => return None,
            None => {
                let entry = Arc::new(Entry {
                    hash: short(hash),
                    dense: AtomicU32::new(NOT_DENSE),
                    value: make(),
                });
                self.link(&mut w, &entry, guard);
                w.list.push(Arc::clone(&entry));
                self.len.store(w.list.len(), Ordering::Relaxed);
                entry
            }
        };
        if let Some((i, total)) = dense {
            self.publish_locked(&w, &entry, i, total);
        }
        Some(entry)
    }

    /// Publishes `found` (from [`get`](Self::get)) at position `i` of a
    /// dense array of `total` positions, if that position is free and
    /// `found` is still in the index.
    pub(crate) fn publish(&self, found: &Ref<'_, T>, i: usize, total: usize) {
        let (entry, Some(guard)) = found.parts() else {
            return; // found in the dense array
        };
        if !self.dense_wants(entry, i, total) {
            return;
        }
        let w = self.lock();
        let linked = self.table(guard).and_then(|t| t.slot_of(entry)).is_some();
        if linked {
            self.publish_locked(&w, entry, i, total);
        }
    }

    /// Removes the entries `doomed` picks; how many.
    pub(crate) fn remove_where(&self, mut doomed: impl FnMut(&T) -> bool, guard: &Guard) -> usize {
        self.remove_entries_where(|e, _| doomed(&e.value), guard)
    }

    /// Removes the entries `doomed` picks, shown the entry's `Arc` (its
    /// count says whether a counted handle holds it: the list's is the only
    /// other) and whether it is published in the dense array; how many.
    pub(crate) fn remove_entries_where(
        &self,
        mut doomed: impl FnMut(&Arc<Entry<T>>, bool) -> bool,
        guard: &Guard,
    ) -> usize {
        let mut w = self.lock();
        let gone: Vec<_> = w
            .list
            .extract_if(.., |e| {
                doomed(e, e.dense.load(Ordering::Relaxed) != NOT_DENSE)
            })
            .collect();
        if gone.is_empty() {
            return 0;
        }
        self.len.store(w.list.len(), Ordering::Relaxed);
        let removed = gone.len();
        let table = self.table(guard);
        for entry in gone {
            if let Some(slot) = table.and_then(|t| t.slot_of(&entry)) {
                slot.store(Table::tombstone(), Ordering::Release);
            }
            self.bury(&mut w, entry, guard);
        }
        removed
    }

    /// Removes every entry, calling `leaving` with each under the
    /// writers' lock.
    pub(crate) fn clear(&self, mut leaving: impl FnMut(&T), guard: &Guard) {
        let mut w = self.lock();
        let old = self.table.swap(ptr::null_mut(), Ordering::AcqRel);
        w.used = 0;
        self.len.store(0, Ordering::Relaxed);
        for entry in std::mem::take(&mut w.list) {
            leaving(&entry.value);
            self.bury(&mut w, entry, guard);
        }
        Self::retire(old, guard);
    }

    /// A handle on `entry`, which was reachable in this index while `guard`
    /// was pinned.
    fn pinned<'a>(entry: NonNull<Entry<T>>, guard: Guard) -> Ref<'a, T> {
        // SAFETY (guarded): every removal of `entry` defers its destruction
        // after the moment it was reachable, so after `guard` was pinned;
        // the handle keeps `guard` as long as it lends the entry, and
        // borrows the index.
        let entry = unsafe { entry.as_ref() };
        Ref(Kept::ByGuard(entry, guard))
    }

    /// One more counted reference to `entry`.
    fn arc_of(entry: &Entry<T>) -> Arc<Entry<T>> {
        let p: *const Entry<T> = entry;
        // SAFETY (Arc-owned): `p` is the `Arc::as_ptr` of an entry that is
        // still allocated (borrowed), so some `Arc` of it is alive: its
        // count is at least one while this adds one and takes it over.
        unsafe {
            Arc::increment_strong_count(p);
            Arc::from_raw(p)
        }
    }

    /// Frees `old` (a table just swapped out, or null) once no guard
    /// pinned before the swap remains.
    fn retire(old: *mut Table<T>, guard: &Guard) {
        if old.is_null() {
            return;
        }
        // SAFETY (owned tables, guarded): `old` came from `Box::into_raw`
        // and was swapped out of `table` under the writers' lock, so it is
        // retired once and no reader reaches it any more; the destruction
        // runs after every guard pinned before the swap is dropped. A table
        // holds atomics only, so it may be freed on any thread.
        unsafe { guard.defer_unchecked(move || drop(Box::from_raw(old))) };
        // A table can be large: hand it to the collector now rather than
        // when this thread's own batch of garbage fills up.
        guard.flush();
    }

    /// Puts `entry` (not yet in the list) in the table, growing it (or
    /// rehashing it, to drop tombstones) when it would be more than half
    /// full.
    fn link(&self, w: &mut Writer<T>, entry: &Arc<Entry<T>>, guard: &Guard) {
        let p = Arc::as_ptr(entry).cast_mut();
        match self.table(guard) {
            Some(t) if 2 * (w.used + 1) <= t.slots.len() => {
                if let Some(slot) = t.vacant(entry.hash) {
                    slot.store(p, Ordering::Release);
                }
                w.used += 1;
            }
            _ => {
                let live = w.list.len() + 1;
                // Half full at most after the rehash, grown again at half.
                let fresh = Table::new((2 * live).next_power_of_two().max(MIN_SLOTS));
                for e in &w.list {
                    if let Some(slot) = fresh.vacant(e.hash) {
                        slot.store(Arc::as_ptr(e).cast_mut(), Ordering::Relaxed);
                    }
                }
                if let Some(slot) = fresh.vacant(entry.hash) {
                    slot.store(p, Ordering::Relaxed);
                }
                w.used = live;
                let old = self.table.swap(Box::into_raw(fresh), Ordering::AcqRel);
                Self::retire(old, guard);
            }
        }
    }

    /// Hands a removed entry to deferred destruction, or keeps it in the
    /// graveyard if it was published in the dense array (emptying its
    /// position there).
    fn bury(&self, w: &mut Writer<T>, entry: Arc<Entry<T>>, guard: &Guard) {
        let i = entry.dense.load(Ordering::Relaxed);
        if i == NOT_DENSE {
            guard.defer(move || drop(entry));
            return;
        }
        let slot = usize::try_from(i)
            .ok()
            .and_then(|i| self.dense.get()?.get(i));
        if let Some(slot) = slot {
            slot.store(ptr::null_mut(), Ordering::Release);
        }
        w.graveyard.push(entry);
        if w.graveyard.len() >= GRAVEYARD_MAX {
            self.dense_off.store(true, Ordering::Relaxed);
        }
    }

    /// Whether `entry` could be published at position `i` (a hint, read
    /// without the lock; `publish_locked` decides).
    fn dense_wants(&self, entry: &Entry<T>, i: usize, total: usize) -> bool {
        if self.dense_off.load(Ordering::Relaxed)
            || entry.dense.load(Ordering::Relaxed) != NOT_DENSE
        {
            return false;
        }
        match self.dense.get() {
            None => true,
            Some(d) => {
                d.len() == total
                    && d.get(i)
                        .is_some_and(|s| s.load(Ordering::Relaxed).is_null())
            }
        }
    }

    /// Publishes `entry` (in the index: the caller holds the lock, `_w`) at
    /// position `i`, if that position is free and the array on.
    fn publish_locked(&self, _w: &Writer<T>, entry: &Entry<T>, i: usize, total: usize) {
        let Ok(position) = u32::try_from(i) else {
            return;
        };
        if self.dense_off.load(Ordering::Relaxed)
            || entry.dense.load(Ordering::Relaxed) != NOT_DENSE
        {
            return;
        }
        let slots = self.dense.get_or_init(|| {
            (0..total)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect()
        });
        if slots.len() != total {
            return;
        }
        if let Some(slot) = slots.get(i) {
            if slot.load(Ordering::Relaxed).is_null() {
                entry.dense.store(position, Ordering::Relaxed);
                slot.store(ptr::from_ref(entry).cast_mut(), Ordering::Release);
            }
        }
    }
}

impl<T> Drop for Index<T> {
    fn drop(&mut self) {
        let table = self.table.load(Ordering::Relaxed);
        if !table.is_null() {
            // SAFETY (owned tables): the current table, never retired;
            // `&mut self` means no reader or writer is using it.
            drop(unsafe { Box::from_raw(table) });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crossbeam_epoch::{Collector, LocalHandle};
    use std::sync::atomic::AtomicUsize as Count;

    /// A value that counts its drops.
    struct Counted {
        key: u64,
        drops: Arc<Count>,
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An index with a collector of its own, so that no other test's
    /// guards delay its reclamation.
    struct Fixture {
        index: Index<Counted>,
        handle: LocalHandle,
        drops: Arc<Count>,
    }

    impl Fixture {
        fn new() -> Self {
            Fixture {
                index: Index::new(),
                handle: Collector::new().register(),
                drops: Arc::new(Count::new(0)),
            }
        }

        /// Hashes collide in groups of 8, so that probes pass over
        /// entries and tombstones.
        fn hash(key: u64) -> u64 {
            key / 8
        }

        fn insert(&self, key: u64, dense: Option<(usize, usize)>) -> Arc<Entry<Counted>> {
            let drops = Arc::clone(&self.drops);
            self.index
                .get_or_insert_arc(
                    Self::hash(key),
                    |c| c.key == key,
                    || Counted { key, drops },
                    dense,
                    usize::MAX,
                    &self.handle.pin(),
                )
                .expect("no cap")
        }

        fn get(&self, key: u64) -> Option<Ref<'_, Counted>> {
            let hash = Self::hash(key);
            self.index
                .get(hash, |c| c.key == key, self.handle.pin())
                .ok()
        }

        fn remove(&self, key: u64) -> usize {
            self.index
                .remove_where(|c| c.key == key, &self.handle.pin())
        }

        /// Runs the collector until nothing it holds is pending.
        fn collect(&self) {
            for _ in 0..8 {
                self.handle.pin().flush();
            }
        }

        fn drops(&self) -> usize {
            self.drops.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn entries_stay_found_through_growth_removals_and_rehashes() {
        let f = Fixture::new();
        let mut kept = 0;
        for round in 0..4 {
            for key in 0..500 {
                f.insert(key, None);
            }
            for key in (round..500).step_by(3) {
                assert_eq!(f.remove(key), 1);
            }
            kept = 0;
            for key in 0..500 {
                let removed = key >= round && (key - round) % 3 == 0;
                assert_eq!(f.get(key).map(|c| c.key), (!removed).then_some(key));
                kept += usize::from(!removed);
            }
        }
        assert_eq!(f.index.len(), kept);
        let mut order = Vec::new();
        let _ = f.index.try_for_each(|c| {
            order.push(c.key);
            Ok::<(), ()>(())
        });
        assert_eq!(order.len(), f.index.len());
        // The same key twice is one entry.
        let a = f.insert(1, None);
        let b = f.insert(1, None);
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn a_found_entry_outlives_its_removal_while_its_guard_lives() {
        let f = Fixture::new();
        f.insert(7, None);
        let found = f.get(7).expect("inserted");
        assert_eq!(f.remove(7), 1);
        f.collect();
        assert_eq!(found.key, 7);
        assert_eq!(f.drops(), 0, "freed under a guard");
        drop(found);
        f.collect();
        assert_eq!(f.drops(), 1, "never freed");
    }

    #[test]
    fn a_counted_entry_outlives_its_removal_and_the_index() {
        let f = Fixture::new();
        f.insert(3, None);
        let owned = f
            .index
            .get_arc(Fixture::hash(3), |c| c.key == 3, &f.handle.pin())
            .expect("inserted");
        f.index.clear(|_| {}, &f.handle.pin());
        f.collect();
        assert_eq!(owned.key, 3);
        let Fixture {
            index,
            handle,
            drops,
        } = f;
        drop(index);
        drop(handle);
        assert_eq!(drops.load(Ordering::Relaxed), 0);
        drop(owned);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn dense_entries_are_kept_until_the_index_is_dropped() {
        let f = Fixture::new();
        f.insert(5, Some((1, 4)));
        let found = f.index.dense_get(1, 4, |c| c.key == 5).expect("published");
        assert!(!found.is_pinned());
        // Another position count, or other values: not this entry.
        assert!(f.index.dense_get(1, 5, |c| c.key == 5).is_none());
        assert!(f.index.dense_get(1, 4, |c| c.key == 6).is_none());
        assert_eq!(f.remove(5), 1);
        f.collect();
        assert_eq!(found.key, 5);
        assert_eq!(f.drops(), 0, "a published entry freed");
        assert!(f.index.dense_get(1, 4, |_| true).is_none());
        assert_eq!(f.index.graveyard_len(), 1);
        drop(found);
        let Fixture {
            index,
            handle,
            drops,
        } = f;
        drop(handle);
        drop(index);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn an_entry_found_by_hash_is_published_while_it_is_in_the_index() {
        let f = Fixture::new();
        f.insert(9, None);
        let found = f.get(9).expect("inserted");
        f.index.publish(&found, 2, 3);
        assert!(f.index.dense_get(2, 3, |c| c.key == 9).is_some());
        f.insert(10, None);
        let gone = f.get(10).expect("inserted");
        assert_eq!(f.remove(10), 1);
        f.index.publish(&gone, 0, 3);
        assert!(
            f.index.dense_get(0, 3, |_| true).is_none(),
            "removed, yet published"
        );
    }
}
