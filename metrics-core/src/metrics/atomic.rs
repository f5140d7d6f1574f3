//! An `f64` stored in an `AtomicU64`, wall-clock helpers, and the
//! consistently read observations of histograms and summaries.

use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

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

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// When the process started, as seconds since the Unix epoch: the kernel's
/// record where it can be read, else the first time this is asked.
pub(crate) fn process_start_time() -> f64 {
    static START: OnceLock<f64> = OnceLock::new();
    *START.get_or_init(|| crate::collector::process::start_time_of_self().unwrap_or_else(unix_now))
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
///
/// An observation takes a shard with one compare-exchange of its sequence
/// (even to odd), writes its count and the sum with plain loads and stores
/// (it holds the shard alone) and releases it (odd to even). A scrape reads
/// a shard between two equal even sequence numbers, retrying otherwise, so
/// every shard it reads holds whole observations: the sum and the counts of
/// the same set, and the set only grows from one scrape to the next.
///
/// The first shard is the metric's own (`seq`, `sum`, and the counts the
/// caller keeps, a static's array for a static). An observation that finds
/// it taken by another thread (the compare-exchange fails) is contention:
/// from then on observations go to cache-padded stripes, one per thread
/// where there are enough, each a shard of its own. An observation whose
/// stripe is taken (two threads numbered alike) takes the next free one; it
/// waits only if every stripe is in the middle of an observation (more
/// threads preempted within their few instructions of an observation than
/// twice the CPUs). An observation never waits for a scrape.
#[derive(Debug)]
pub(crate) struct Observations {
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

/// The stripes of a contended metric: a power of two of shards, each
/// `stride` lines: word 0 the sequence, word 1 the sum, then the counts.
#[derive(Debug)]
struct Stripes {
    lines: Box<[Line]>,
    stride: usize,
    mask: usize,
}

impl Stripes {
    fn new(buckets: usize) -> Self {
        let shards = (2 * cpus()).next_power_of_two().clamp(2, 32);
        let stride = (2 + buckets).div_ceil(WORDS);
        Stripes {
            lines: (0..shards * stride)
                .map(|_| Line(std::array::from_fn(|_| AtomicU64::new(0))))
                .collect(),
            stride,
            mask: shards - 1,
        }
    }

    /// Word `w` of shard `k` (masked: always a shard).
    #[inline]
    fn word(&self, k: usize, w: usize) -> Option<&AtomicU64> {
        let g = (k & self.mask) * self.stride * WORDS + w;
        self.lines.get(g / WORDS).map(|l| &l.0[g % WORDS])
    }

    /// Shard `k`: its sequence, its sum, its count of bucket `i`.
    #[inline]
    fn shard(&self, k: usize, i: usize) -> Option<(&AtomicU64, &AtomicU64, &AtomicU64)> {
        Some((self.word(k, 0)?, self.word(k, 1)?, self.word(k, 2 + i)?))
    }

    fn shards(&self) -> usize {
        self.mask + 1
    }

    #[inline]
    fn observe(&self, i: usize, v: f64) {
        let first = thread_number();
        let mut tries = 0usize;
        loop {
            let Some((seq, sum, count)) = self.shard(first.wrapping_add(tries), i) else {
                return; // `i` is past the buckets: the caller clamps it, never so
            };
            if write(seq, sum, count, v) {
                return;
            }
            tries = tries.wrapping_add(1);
            if tries > self.mask {
                // Every stripe was taken: wait for one.
                backoff(tries - self.mask);
            }
        }
    }
}

/// Writes one observation into a shard if it is free; false if another
/// thread holds it.
#[inline]
fn write(seq: &AtomicU64, sum: &AtomicU64, count: &AtomicU64, v: f64) -> bool {
    let s = seq.load(Ordering::Relaxed);
    if s & 1 != 0
        || seq
            .compare_exchange(s, s.wrapping_add(1), Ordering::Acquire, Ordering::Relaxed)
            .is_err()
    {
        return false;
    }
    // The odd sequence is visible before any of the writes below.
    fence(Ordering::Release);
    count.store(
        count.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
    sum.store(
        (f64::from_bits(sum.load(Ordering::Relaxed)) + v).to_bits(),
        Ordering::Relaxed,
    );
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

/// A small number per thread, given in turn when a thread first records
/// into stripes.
#[inline]
fn thread_number() -> usize {
    use std::cell::Cell;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static NUMBER: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    NUMBER.with(|n| match n.get() {
        usize::MAX => {
            let new = NEXT.fetch_add(1, Ordering::Relaxed) & (usize::MAX >> 1);
            n.set(new);
            new
        }
        mine => mine,
    })
}

impl Observations {
    pub(crate) const fn new() -> Self {
        Observations {
            seq: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            stripes: OnceLock::new(),
        }
    }

    /// Records `v` in bucket `i` of `counts` (the first shard's counts,
    /// which the caller keeps and always passes alike).
    #[inline]
    pub(crate) fn observe(&self, counts: &[AtomicU64], i: usize, v: f64) {
        if let Some(stripes) = self.stripes.get() {
            stripes.observe(i, v);
        } else if let Some(count) = counts.get(i) {
            if !write(&self.seq, &self.sum, count, v) {
                self.contended(counts.len(), i, v);
            }
        }
    }

    /// Another thread held the first shard: switch to stripes (for good).
    #[cold]
    #[inline(never)]
    fn contended(&self, buckets: usize, i: usize, v: f64) {
        self.stripes
            .get_or_init(|| Stripes::new(buckets))
            .observe(i, v);
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

    /// Whether observations go to stripes (contention was seen).
    #[cfg(test)]
    pub(crate) fn striped(&self) -> bool {
        self.stripes.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An observation that finds the first shard held by another thread
    /// (its sequence odd, as in the middle of an observation) goes to a
    /// stripe instead of waiting, and so do the later ones; a read adds
    /// every shard.
    #[test]
    fn a_held_first_shard_moves_observations_to_stripes() {
        let counts = [AtomicU64::new(0), AtomicU64::new(0)];
        let o = Observations::new();
        o.observe(&counts, 0, 1.0);
        assert!(!o.striped());
        o.seq.store(3, Ordering::Relaxed);
        o.observe(&counts, 1, 2.0);
        assert!(o.striped());
        o.seq.store(4, Ordering::Relaxed);
        o.observe(&counts, 1, 4.0);
        let mut out = Vec::new();
        assert_eq!(o.read(&counts, &mut out), 7.0);
        assert_eq!(out, [1.0, 2.0]);
        // The first shard kept only the observation made before.
        assert_eq!(counts[1].load(Ordering::Relaxed), 0);
    }

    /// A thread whose stripe is held takes another one.
    #[test]
    fn a_held_stripe_is_skipped() {
        let counts = [AtomicU64::new(0)];
        let o = Observations::new();
        o.seq.store(1, Ordering::Relaxed);
        o.observe(&counts, 0, 1.0);
        let stripes = o.stripes.get().expect("striped");
        let mine = thread_number();
        let seq = stripes.word(mine, 0).expect("a shard");
        let before = seq.load(Ordering::Relaxed);
        seq.store(before | 1, Ordering::Relaxed);
        o.observe(&counts, 0, 1.0);
        seq.store((before | 1) + 1, Ordering::Relaxed);
        o.seq.store(2, Ordering::Relaxed);
        assert_eq!(o.read_one(&counts[0]), (2.0, 2.0));
    }
}
