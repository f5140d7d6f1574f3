//! An `f64` stored in an `AtomicU64`, wall-clock helpers, and the
//! consistently read observations of histograms and summaries.

use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::time::{process_start_time, unix_now};

/// An atomic `f64` (bits in an `AtomicU64`).
#[derive(Debug)]
pub(crate) struct AtomicF64(AtomicU64);

impl AtomicF64 {
    pub(crate) const fn zero() -> Self {
        AtomicF64(AtomicU64::new(0))
    }

    pub(crate) const fn new(v: f64) -> Self {
        AtomicF64(AtomicU64::new(v.to_bits()))
    }

    #[inline]
    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    #[inline]
    pub(crate) fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn add(&self, v: f64) {
        let mut cur = self.0.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(cur) + v).to_bits();
            match self
                .0
                .compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

/// A creation timestamp: set at construction for runtime metrics; for
/// statics (which exist from the start) it reads as the process start.
#[derive(Debug)]
pub(crate) struct Created(AtomicF64);

impl Created {
    /// For statics: reads as the process start time until reset.
    pub(crate) const fn unset() -> Self {
        Created(AtomicF64::zero())
    }

    pub(crate) fn now() -> Self {
        Created(AtomicF64::new(unix_now()))
    }

    pub(crate) fn get(&self) -> f64 {
        match self.0.get() {
            0.0 => process_start_time(),
            t => t,
        }
    }

    pub(crate) fn reset(&self) {
        self.0.set(unix_now());
    }
}

/// Observations a scrape reads consistently: per-bucket counts and their
/// sum, kept in shards, each a seqlock (a sequence number, odd while an
/// observation is written into the shard, then the sum, then the counts).
/// A scrape reads a shard between two equal even sequence numbers,
/// retrying otherwise, so every shard it reads holds whole observations:
/// the sum and the counts of the same set, a set that only grows from one
/// scrape to the next. An observation never waits for a scrape.
///
/// Most shards have one writer, which writes them with plain loads and
/// stores (no atomic read-modify-write at all):
/// - the first shard (the metric's own `seq` and `sum`, and the counts the
///   caller keeps, a static's array for a static) belongs to the first
///   thread that observes (`owner`, by its [`thread_slot`]);
/// - once another thread observes, the metric gets cache-padded stripes,
///   one per thread slot below their number (twice the CPUs, from 2 to 32),
///   each written by the thread holding that slot alone;
/// - threads with a higher slot share one more shard, which they take with
///   a compare-exchange of its sequence (even to odd): one of them waits
///   only while another is within its few instructions of an observation.
#[derive(Debug)]
pub(crate) struct Observations {
    /// 1 + the slot of the thread that writes the first shard; 0: none yet.
    owner: AtomicUsize,
    seq: AtomicU64,
    /// The first shard's sum, as `f64` bits.
    sum: AtomicU64,
    stripes: OnceLock<Stripes>,
}

/// 128 bytes (adjacent-line prefetchers pull lines in pairs on x86).
#[derive(Debug)]
#[repr(align(128))]
struct Line([AtomicU64; WORDS]);

const WORDS: usize = 16;

/// The stripes of a metric observed from several threads: `mask + 1`
/// single-writer shards then the shared one, each `stride` lines: word 0
/// the sequence, word 1 the sum, then the counts.
#[derive(Debug)]
struct Stripes {
    lines: Box<[Line]>,
    stride: usize,
    mask: usize,
}

impl Stripes {
    fn new(buckets: usize) -> Self {
        let owned = owned_stripes();
        let stride = (2 + buckets).div_ceil(WORDS);
        Stripes {
            lines: (0..(owned + 1) * stride)
                .map(|_| Line(std::array::from_fn(|_| AtomicU64::new(0))))
                .collect(),
            stride,
            mask: owned - 1,
        }
    }

    /// Word `w` of shard `k` (`None` past the last shard).
    #[inline]
    fn word(&self, k: usize, w: usize) -> Option<&AtomicU64> {
        let g = k.checked_mul(self.stride * WORDS)?.checked_add(w)?;
        self.lines.get(g / WORDS).map(|l| &l.0[g % WORDS])
    }

    /// Shard `k`: its sequence, its sum, its count of bucket `i`.
    #[inline]
    fn shard(&self, k: usize, i: usize) -> Option<(&AtomicU64, &AtomicU64, &AtomicU64)> {
        Some((self.word(k, 0)?, self.word(k, 1)?, self.word(k, 2 + i)?))
    }

    /// Every shard, the shared one included.
    fn shards(&self) -> usize {
        self.mask + 2
    }

    #[inline]
    fn observe(&self, slot: usize, i: usize, v: f64) {
        if slot <= self.mask {
            if let Some((seq, sum, count)) = self.shard(slot, i) {
                write_owned(seq, sum, count, v);
            }
            return;
        }
        self.observe_shared(i, v);
    }

    /// The shared shard, for threads whose slot has no stripe.
    #[cold]
    #[inline(never)]
    fn observe_shared(&self, i: usize, v: f64) {
        let Some((seq, sum, count)) = self.shard(self.mask + 1, i) else {
            return; // `i` is past the buckets: the caller clamps it, never so
        };
        let mut tries = 0;
        while !write_shared(seq, sum, count, v) {
            tries += 1;
            backoff(tries);
        }
    }
}

/// Adds one observation to a shard's count and sum, with plain loads and
/// stores: the caller holds the shard (its sequence number is odd).
#[inline]
fn add_to(sum: &AtomicU64, count: &AtomicU64, v: f64) {
    count.store(
        count.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
    sum.store(
        (f64::from_bits(sum.load(Ordering::Relaxed)) + v).to_bits(),
        Ordering::Relaxed,
    );
}

/// Writes one observation into a shard only this thread writes.
#[inline]
fn write_owned(seq: &AtomicU64, sum: &AtomicU64, count: &AtomicU64, v: f64) {
    let s = seq.load(Ordering::Relaxed);
    seq.store(s.wrapping_add(1), Ordering::Relaxed);
    // The odd sequence is visible before any of the writes below.
    fence(Ordering::Release);
    add_to(sum, count, v);
    seq.store(s.wrapping_add(2), Ordering::Release);
}

/// Writes one observation into a shard several threads write, if no other
/// is writing it; false if one is.
#[inline]
fn write_shared(seq: &AtomicU64, sum: &AtomicU64, count: &AtomicU64, v: f64) -> bool {
    let s = seq.load(Ordering::Relaxed);
    if s & 1 != 0
        || seq
            .compare_exchange(s, s.wrapping_add(1), Ordering::Acquire, Ordering::Relaxed)
            .is_err()
    {
        return false;
    }
    fence(Ordering::Release);
    add_to(sum, count, v);
    seq.store(s.wrapping_add(2), Ordering::Release);
    true
}

/// Reads one shard (a sum, and each count into `out`) between two equal
/// even sequence numbers, waiting out an observation in progress.
fn read<'a>(
    seq: &AtomicU64,
    sum: &AtomicU64,
    count: impl Fn(usize) -> Option<&'a AtomicU64>,
    out: &mut [f64],
) -> f64 {
    let mut tries = 0;
    loop {
        let s = seq.load(Ordering::Acquire);
        if s & 1 == 0 {
            for (i, o) in out.iter_mut().enumerate() {
                *o = count(i).map_or(0.0, |c| c.load(Ordering::Relaxed) as f64);
            }
            let total = f64::from_bits(sum.load(Ordering::Relaxed));
            // The reads above happen before the second read of `seq`.
            fence(Ordering::Acquire);
            if seq.load(Ordering::Relaxed) == s {
                return total;
            }
        }
        tries += 1;
        backoff(tries);
    }
}

/// Spins a little, then yields (the thread being waited for may need this
/// CPU).
#[cold]
fn backoff(tries: usize) {
    if tries < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// The available parallelism, asked once.
fn cpus() -> usize {
    static CPUS: OnceLock<usize> = OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// How many single-writer stripes a metric written from several threads
/// gets: one per [`thread_slot`] below that number, twice the CPUs (so that
/// every running thread finds one), a power of two from 2 to 32.
pub(crate) fn owned_stripes() -> usize {
    (2 * cpus()).next_power_of_two().clamp(2, 32)
}

/// A thread's slot: a small number no other living thread holds, taken
/// when the thread first needs one (an observation, an increment of a
/// contended counter), given back when it ends (the lowest free ones are
/// reused first, so slots stay below the number of threads alive at
/// once).
struct Slot(usize);

/// Slots given back by ended threads.
static FREE_SLOTS: Mutex<Vec<usize>> = Mutex::new(Vec::new());
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

impl Slot {
    #[cold]
    fn take() -> Slot {
        let mut free = FREE_SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
        // The lowest free slot: the slice is kept sorted, highest first.
        match free.pop() {
            Some(s) => Slot(s),
            None => Slot(NEXT_SLOT.fetch_add(1, Ordering::Relaxed)),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Everything this thread wrote happens before the next holder of
        // the slot takes it (the lock orders them).
        let mut free = FREE_SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
        let at = free.partition_point(|s| *s > self.0);
        free.insert(at, self.0);
    }
}

/// A slot for a thread past its thread-local destructors: no shard of its
/// own (it shares the shared one).
const NO_SLOT: usize = usize::MAX >> 1;

/// The calling thread's slot.
#[inline]
pub(crate) fn thread_slot() -> usize {
    thread_local! {
        static SLOT: Slot = Slot::take();
    }
    SLOT.try_with(|s| s.0).unwrap_or(NO_SLOT)
}

impl Observations {
    pub(crate) const fn new() -> Self {
        Observations {
            owner: AtomicUsize::new(0),
            seq: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            stripes: OnceLock::new(),
        }
    }

    /// Records `v` in bucket `i` of `counts` (the first shard's counts,
    /// which the caller keeps and always passes alike).
    #[inline]
    pub(crate) fn observe(&self, counts: &[AtomicU64], i: usize, v: f64) {
        let slot = thread_slot();
        let me = slot.wrapping_add(1);
        if self.owner.load(Ordering::Relaxed) == me {
            if let Some(count) = counts.get(i) {
                write_owned(&self.seq, &self.sum, count, v);
            }
        } else if let Some(stripes) = self.stripes.get() {
            stripes.observe(slot, i, v);
        } else {
            self.other(counts, slot, i, v);
        }
    }

    /// The first observation, or one from a thread that does not own the
    /// first shard.
    #[cold]
    #[inline(never)]
    fn other(&self, counts: &[AtomicU64], slot: usize, i: usize, v: f64) {
        let me = slot.wrapping_add(1);
        // Read first: a failed compare-exchange would still take the
        // line from the threads reading it.
        if slot != NO_SLOT
            && self.owner.load(Ordering::Relaxed) == 0
            && self
                .owner
                .compare_exchange(0, me, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            if let Some(count) = counts.get(i) {
                write_owned(&self.seq, &self.sum, count, v);
            }
            return;
        }
        self.stripes
            .get_or_init(|| Stripes::new(counts.len()))
            .observe(slot, i, v);
    }

    /// Reads every shard: `out` is cleared and left with one count per
    /// bucket of `counts` (not cumulative), all shards added; returns the
    /// sum of the same observations. Allocates only when `out` has less
    /// capacity than twice the buckets.
    pub(crate) fn read(&self, counts: &[AtomicU64], out: &mut Vec<f64>) -> f64 {
        let n = counts.len();
        out.clear();
        out.resize(2 * n, 0.0);
        let (acc, scratch) = out.split_at_mut(n);
        let mut total = read(&self.seq, &self.sum, |i| counts.get(i), acc);
        if let Some(stripes) = self.stripes.get() {
            for k in 0..stripes.shards() {
                if let (Some(seq), Some(sum)) = (stripes.word(k, 0), stripes.word(k, 1)) {
                    total += read(seq, sum, |i| stripes.word(k, 2 + i), scratch);
                    for (a, s) in acc.iter_mut().zip(scratch.iter()) {
                        *a += *s;
                    }
                }
            }
        }
        out.truncate(n);
        total
    }

    /// The count and the sum of one-bucket observations (a summary's),
    /// read as [`Observations::read`] does, without allocating.
    pub(crate) fn read_one(&self, count: &AtomicU64) -> (f64, f64) {
        let counts = std::slice::from_ref(count);
        let mut acc = [0.0];
        let mut scratch = [0.0];
        let mut total = read(&self.seq, &self.sum, |i| counts.get(i), &mut acc);
        if let Some(stripes) = self.stripes.get() {
            for k in 0..stripes.shards() {
                if let (Some(seq), Some(sum)) = (stripes.word(k, 0), stripes.word(k, 1)) {
                    total += read(seq, sum, |i| stripes.word(k, 2 + i), &mut scratch);
                    acc[0] += scratch[0];
                }
            }
        }
        (acc[0], total)
    }

    /// Whether observations go to stripes (another thread observed).
    #[cfg(test)]
    pub(crate) fn striped(&self) -> bool {
        self.stripes.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first thread to observe owns the first shard; an observation
    /// from another thread goes to that thread's stripe; a read adds every
    /// shard.
    #[test]
    fn a_second_thread_observes_into_its_stripe() {
        let counts = [AtomicU64::new(0), AtomicU64::new(0)];
        let o = Observations::new();
        o.observe(&counts, 0, 1.0);
        assert!(!o.striped());
        assert_eq!(o.owner.load(Ordering::Relaxed), thread_slot() + 1);
        std::thread::scope(|s| {
            s.spawn(|| o.observe(&counts, 1, 2.0));
        });
        assert!(o.striped());
        o.observe(&counts, 1, 4.0);
        let mut out = Vec::new();
        assert_eq!(o.read(&counts, &mut out), 7.0);
        assert_eq!(out, [1.0, 2.0]);
        // The first shard holds this thread's observations only.
        assert_eq!(counts[1].load(Ordering::Relaxed), 1);
    }

    /// Threads whose slot has no stripe share the last shard, taken with a
    /// compare-exchange: a held one is waited out, nothing is lost.
    #[test]
    fn the_shared_shard_waits_for_its_holder() {
        let counts = [AtomicU64::new(0)];
        let o = Observations::new();
        o.observe(&counts, 0, 1.0);
        let stripes = o.stripes.get_or_init(|| Stripes::new(1));
        let shared = stripes.mask + 1;
        let seq = stripes.word(shared, 0).expect("a shard");
        seq.store(1, Ordering::Relaxed);
        std::thread::scope(|s| {
            let t = s.spawn(|| stripes.observe(NO_SLOT, 0, 1.0));
            std::thread::sleep(std::time::Duration::from_millis(20));
            assert!(!t.is_finished(), "wrote into a held shard");
            seq.store(2, Ordering::Relaxed);
            t.join().expect("observes");
        });
        assert_eq!(o.read_one(&counts[0]), (2.0, 2.0));
    }

    /// Slots are reused: a thread that ends gives its slot back.
    #[test]
    fn ended_threads_give_their_slots_back() {
        let mut seen = Vec::new();
        for _ in 0..50 {
            seen.push(std::thread::spawn(thread_slot).join().expect("a slot"));
        }
        // Other tests run threads at the same time, but not 50 at once.
        assert!(seen.iter().all(|s| *s < 50), "{seen:?}");
    }
}
