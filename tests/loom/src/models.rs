//! The models. Each entry's payload is a `loom::cell::UnsafeCell` that the
//! entry's `Drop` writes and readers read: an entry freed while a reader
//! still reads it is a write and a read that nothing orders, which loom
//! reports. Every model counts drops at the end, after the index and the
//! collector are gone (the collector runs what is still deferred), so a
//! leak fails too. Removers flush their guard to force collection while
//! the others run.

// Reading and writing the payload cell goes through raw pointers.
#![allow(unsafe_code)]

use crossbeam_epoch::{Collector, Guard, LocalHandle};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use crate::index::Index;

/// What a payload's cell holds once it is dropped.
const DEAD: u64 = u64::MAX;

/// An entry's value: a key (also its hash, so that keys collide in the
/// table's probes) and a cell holding the key until the payload drops.
struct Payload {
    key: u64,
    cell: UnsafeCell<u64>,
    drops: Arc<AtomicUsize>,
}

impl Payload {
    fn new(key: u64, drops: &Arc<AtomicUsize>) -> Self {
        Payload {
            key,
            cell: UnsafeCell::new(key),
            drops: Arc::clone(drops),
        }
    }

    /// Reads the cell: loom checks the read against the drop's write.
    fn read(&self) -> u64 {
        // SAFETY: a shared read; loom checks it against every write.
        self.cell.with(|p| unsafe { *p })
    }
}

// SAFETY: the cell is written by `drop` only (`&mut self`) and read
// through `&self` otherwise; loom checks each access against the others.
unsafe impl Sync for Payload {}

impl Drop for Payload {
    fn drop(&mut self) {
        // SAFETY: `&mut self`; loom checks this write against every read.
        self.cell.with_mut(|p| unsafe { *p = DEAD });
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// What every model shares: the index, its collector, the drop count.
struct World {
    index: Index<Payload>,
    collector: Collector,
    drops: Arc<AtomicUsize>,
}

impl World {
    /// An index holding `keys` (inserted before any thread starts).
    fn with(keys: &[u64]) -> Arc<World> {
        let world = World {
            index: Index::new(),
            collector: Collector::new(),
            drops: Arc::new(AtomicUsize::new(0)),
        };
        let handle = world.collector.register();
        for &key in keys {
            world.insert(key, &handle.pin());
        }
        Arc::new(world)
    }

    fn insert(&self, key: u64, guard: &Guard) {
        self.index.get_or_insert_arc(
            key,
            |p| p.key == key,
            || Payload::new(key, &self.drops),
            None,
            usize::MAX,
            guard,
        );
    }

    /// Looks `key` up without a lock and reads its payload.
    fn read(&self, key: u64, handle: &LocalHandle) -> Option<u64> {
        let found = self.index.get(key, |p| p.key == key, handle.pin()).ok()?;
        Some(found.read())
    }

    fn remove(&self, key: u64, handle: &LocalHandle) -> usize {
        self.index.remove_where(|p| p.key == key, &handle.pin())
    }

    /// Pushes this thread's garbage to the collector and collects, twice:
    /// enough for the epoch to move past a removal nobody holds.
    fn collect(handle: &LocalHandle) {
        for _ in 0..2 {
            handle.pin().flush();
        }
    }

    /// Drops the index and the collector (which runs what is still
    /// deferred), then checks that every payload of `created` was dropped.
    fn finish(world: Arc<World>, created: usize) {
        let world = Arc::try_unwrap(world).unwrap_or_else(|_| panic!("a thread still holds it"));
        let drops = Arc::clone(&world.drops);
        drop(world);
        assert_eq!(
            drops.load(Ordering::Relaxed),
            created,
            "leaked or dropped twice"
        );
    }
}

/// A lookup racing the insertion of what it looks for: it finds the entry
/// whole, or nothing; once the inserter is joined, it finds it.
#[test]
fn insert_races_lookup() {
    loom::model(|| {
        let world = World::with(&[]);
        let inserter = {
            let world = Arc::clone(&world);
            thread::spawn(move || {
                let handle = world.collector.register();
                let node = world.index.get_or_insert(
                    1,
                    |p| p.key == 1,
                    || Payload::new(1, &world.drops),
                    None,
                    usize::MAX,
                    handle.pin(),
                );
                let Ok(node) = node else {
                    panic!("an index without a cap refused an entry")
                };
                assert_eq!(node.read(), 1);
            })
        };
        let handle = world.collector.register();
        if let Some(v) = world.read(1, &handle) {
            assert_eq!(v, 1);
        }
        inserter.join().expect("inserter");
        assert_eq!(world.read(1, &handle), Some(1));
        drop(handle);
        World::finish(world, 1);
    });
}

/// Two threads creating the same entry at once make one entry.
#[test]
fn two_creators_make_one_entry() {
    loom::model(|| {
        let world = World::with(&[]);
        let other = {
            let world = Arc::clone(&world);
            thread::spawn(move || {
                let handle = world.collector.register();
                world.insert(4, &handle.pin());
            })
        };
        {
            let handle = world.collector.register();
            world.insert(4, &handle.pin());
        }
        other.join().expect("creator");
        assert_eq!(world.index.len(), 1);
        World::finish(world, 1);
    });
}

/// A reader keeps the entry it found while another thread removes it and
/// forces collection; the reader reads the entry again once it saw the
/// remover return (a relaxed flag: nothing orders the two threads, so a
/// free of the entry would race the read).
#[test]
fn remove_races_a_lookup_that_keeps_its_reference() {
    loom::model(|| {
        let world = World::with(&[1]);
        let removed = Arc::new(AtomicBool::new(false));
        let remover = {
            let (world, removed) = (Arc::clone(&world), Arc::clone(&removed));
            thread::spawn(move || {
                let handle = world.collector.register();
                assert_eq!(world.remove(1, &handle), 1);
                removed.store(true, Ordering::Relaxed);
                World::collect(&handle);
            })
        };
        let handle = world.collector.register();
        if let Ok(found) = world.index.get(1, |p| p.key == 1, handle.pin()) {
            assert_eq!(found.read(), 1);
            if removed.load(Ordering::Relaxed) {
                assert_eq!(found.read(), 1, "read after the remover returned");
            }
        }
        remover.join().expect("remover");
        assert_eq!(world.read(1, &handle), None);
        drop(handle);
        World::finish(world, 1);
    });
}

/// A lookup racing an insertion that replaces the table (the fifth entry
/// grows it from 8 slots): the reader probes the old table or the new,
/// never a freed one (the table's canary), and finds what was there.
#[test]
fn grow_races_lookup() {
    loom::model(|| {
        let world = World::with(&[1, 2, 3, 9]);
        let grower = {
            let world = Arc::clone(&world);
            thread::spawn(move || {
                let handle = world.collector.register();
                world.insert(17, &handle.pin());
                World::collect(&handle);
            })
        };
        let handle = world.collector.register();
        // 9 and 17 probe from slot 1, as 1 does: found after it.
        assert_eq!(world.read(9, &handle), Some(9));
        if let Some(v) = world.read(17, &handle) {
            assert_eq!(v, 17);
        }
        grower.join().expect("grower");
        for key in [1, 2, 3, 9, 17] {
            assert_eq!(world.read(key, &handle), Some(key));
        }
        drop(handle);
        World::finish(world, 5);
    });
}

/// A scrape (a walk of the creation-order list under the writers' lock)
/// racing a removal that forces collection: it sees the removed entry
/// whole, or not at all.
#[test]
fn scrape_races_remove() {
    loom::model(|| {
        let world = World::with(&[1, 2]);
        let remover = {
            let world = Arc::clone(&world);
            thread::spawn(move || {
                let handle = world.collector.register();
                assert_eq!(world.remove(1, &handle), 1);
                World::collect(&handle);
            })
        };
        let mut seen = Vec::new();
        let _ = world.index.try_for_each(|p| {
            assert_eq!(p.read(), p.key);
            seen.push(p.key);
            Ok::<(), ()>(())
        });
        assert!(seen == [1, 2] || seen == [2], "{seen:?}");
        remover.join().expect("remover");
        World::finish(world, 2);
    });
}

/// Reclamation interleaved with readers of both kinds: one thread clears
/// the index and collects; the other holds a counted reference (what
/// `labels_owned` gives) to one entry and a guarded reference (what
/// `labels` gives) to another, reading both while the clear runs, and the
/// counted one after the collection too.
#[test]
fn reclamation_interleaved_with_readers() {
    loom::model(|| {
        let world = World::with(&[1, 2]);
        let clearer = {
            let world = Arc::clone(&world);
            thread::spawn(move || {
                let handle = world.collector.register();
                world.index.clear(|_| {}, &handle.pin());
                World::collect(&handle);
            })
        };
        let handle = world.collector.register();
        let owned = world.index.get_arc(1, |p| p.key == 1, &handle.pin());
        if let Some(v) = world.read(2, &handle) {
            assert_eq!(v, 2);
        }
        clearer.join().expect("clearer");
        World::collect(&handle);
        if let Some(owned) = owned {
            assert_eq!(owned.read(), 1, "kept by its count after the clear");
        }
        assert_eq!(world.index.len(), 0);
        drop(handle);
        World::finish(world, 2);
    });
}

/// A lookup in the dense array (no guard at all) racing the removal of
/// the entry published there: a removed published entry is kept until
/// the index is dropped.
#[test]
fn dense_lookup_races_remove() {
    loom::model(|| {
        let world = World::with(&[]);
        {
            let handle = world.collector.register();
            world.index.get_or_insert_arc(
                1,
                |p| p.key == 1,
                || Payload::new(1, &world.drops),
                Some((0, 2)),
                usize::MAX,
                &handle.pin(),
            );
        }
        let removed = Arc::new(AtomicBool::new(false));
        let remover = {
            let (world, removed) = (Arc::clone(&world), Arc::clone(&removed));
            thread::spawn(move || {
                let handle = world.collector.register();
                assert_eq!(world.remove(1, &handle), 1);
                removed.store(true, Ordering::Relaxed);
                World::collect(&handle);
            })
        };
        if let Some(found) = world.index.dense_get(0, 2, |p| p.key == 1) {
            assert_eq!(found.read(), 1);
            if removed.load(Ordering::Relaxed) {
                assert_eq!(found.read(), 1, "read after the remover returned");
            }
        }
        remover.join().expect("remover");
        assert!(world.index.dense_get(0, 2, |p| p.key == 1).is_none());
        World::finish(world, 1);
    });
}
