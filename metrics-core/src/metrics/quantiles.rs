//! Streaming quantiles of a [`Summary`](crate::Summary) over a sliding
//! window, with a proven rank-error bound for each configured objective.
//!
//! # The sketch
//!
//! Each stream is a targeted Cormode–Korn–Muthukrishnan–Srivastava
//! (CKMS) summary: sorted tuples `(v, g, Δ)`, where `rmin(i)`, the sum of
//! the `g` up to tuple `i`, and `rmax(i) = rmin(i) + Δ(i)` bound the rank
//! of `v(i)`. The first and last tuples are the exact minimum and maximum.
//! The *gap* of tuple `i` is `g(i) + Δ(i) = rmax(i) - rmin(i-1)`: the
//! width of the rank interval `[rmin(i-1), rmax(i)]` it spans.
//!
//! The invariant, for every tuple `i` and `n` observations:
//! `gap(i) <= allowed([rmin(i-1), rmax(i)], n)`, the least over the
//! objectives `(φ, ε)` of
//!
//! ```text
//! 2 * floor(εn + s * max(0, d - εn - 1)) + 1
//! ```
//!
//! where `d` is the distance from the interval to the target rank `φn`,
//! and the slope `s` is `ε / (1 - φ + ε)` below the target and
//! `ε / (φ + ε)` above it. Two facts make it a proof:
//!
//! - **It is kept.** One observation moves the target up by `φ` and an
//!   interval's ends up by 0 or 1, so `d` shrinks by at most `1 - φ`
//!   below the target and `φ` above it, while `εn` grows by `ε`; with
//!   those slopes the inner term never decreases, so neither does
//!   `allowed`. Inserting a value between tuples `a` and `b` gives it
//!   `g = 1, Δ = gap(b) - 1`: its interval is `b`'s former one (whose
//!   allowance only grew) and `b`'s interval shifts up by one. A
//!   compression removes tuple `i` only when the widened gap of `i + 1`
//!   satisfies the invariant at the current `n`.
//! - **It answers.** For the target rank `r = clamp(ceil(φn), 1, n)` and
//!   `R = r + floor(εn)`, take the first tuple `i` with `rmax(i) > R`
//!   and answer `v(i-1)`. `R` lies in `i`'s interval, within `εn + 1` of
//!   `φn`, where `allowed` is flat, `2 floor(εn) + 1`; so
//!   `rmin(i-1) >= R + 1 - gap(i) >= r - floor(εn)` and
//!   `rmax(i-1) <= R`: the answer's rank is within `εn` of `r`. (No such
//!   tuple: the maximum, of rank `n`, is the answer.)
//!
//! CKMS as published (and as Go's `beorn7/perks` implements it) puts the
//! minimum of the allowance at the target only and checks it at one end
//! of the interval, which is where its rank errors well past epsilon come
//! from; the flat bottom and the interval check above close that hole.
//!
//! # The window
//!
//! Go's semantics: `age_buckets` streams, each observation in all of
//! them, the oldest (the head) answering; every `max_age / age_buckets`
//! the head is cleared and becomes the youngest. The head so holds the
//! observations of the last `max_age` at most, and of the last
//! `max_age * (1 - 1/age_buckets)` at least.
//!
//! # The hot path
//!
//! An observation writes its value into its thread's ring (a
//! single-producer buffer of [`RING`] values, one per thread slot,
//! allocated on the thread's first observation): one load of the
//! consumer's position, one store of the value, one release store of the
//! position. No lock is shared between threads there. A full ring is
//! drained by its own thread, under the summary's lock, into every stream
//! (one sort and one linear merge per stream for [`RING`] values); a
//! scrape drains every ring first. `_count` and `_sum` are those of the
//! drained observations, read under the same lock as the quantiles: a
//! scrape's quantiles, count and sum describe one state.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::metrics::atomic::{owned_stripes, thread_slot};

/// Values a thread's ring holds before its thread drains it.
pub(crate) const RING: usize = 128;

/// Quantile objectives and the sliding window of a [`Summary`](crate::Summary)
/// (Go's `Objectives`, `MaxAge` and `AgeBuckets`).
///
/// Each objective is a quantile `φ` in `[0, 1]` and the rank error `ε` in
/// `(0, 1)` it is allowed: the exposed value is one whose rank among the
/// window's `n` observations is within `εn` of `φn`.
///
/// ```
/// use std::time::Duration;
/// use promscribe::SummaryQuantiles;
/// let q = SummaryQuantiles::new(&[(0.5, 0.05), (0.9, 0.01), (0.99, 0.001)])
///     .unwrap()
///     .max_age(Duration::from_secs(600))
///     .unwrap()
///     .age_buckets(5)
///     .unwrap();
/// assert!(SummaryQuantiles::new(&[(0.5, 0.0)]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryQuantiles {
    objectives: Vec<(f64, f64)>,
    max_age: Duration,
    age_buckets: u32,
}

impl SummaryQuantiles {
    /// Go's default objectives: `(0.5, 0.05)`, `(0.9, 0.01)`,
    /// `(0.99, 0.001)`.
    pub const DEFAULT_OBJECTIVES: [(f64, f64); 3] = [(0.5, 0.05), (0.9, 0.01), (0.99, 0.001)];

    /// Objectives `(quantile, rank error)`, a window of 10 minutes in 5
    /// age buckets. Refused: no objective, a quantile outside `[0, 1]`, an
    /// error outside `(0, 1)`, a quantile twice.
    ///
    /// ```
    /// use promscribe::SummaryQuantiles;
    /// assert!(SummaryQuantiles::new(&SummaryQuantiles::DEFAULT_OBJECTIVES).is_ok());
    /// assert!(SummaryQuantiles::new(&[(1.5, 0.01)]).is_err());
    /// assert!(SummaryQuantiles::new(&[(0.5, 0.01), (0.5, 0.02)]).is_err());
    /// ```
    pub fn new(objectives: &[(f64, f64)]) -> Result<Self, String> {
        if objectives.is_empty() {
            return Err("no quantile objective".into());
        }
        let mut sorted = objectives.to_vec();
        for &(q, e) in &sorted {
            if !(0.0..=1.0).contains(&q) {
                return Err(format!("quantile {q} is outside [0, 1]"));
            }
            if !(e > 0.0 && e < 1.0) {
                return Err(format!("rank error {e} of quantile {q} is outside (0, 1)"));
            }
        }
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(format!("quantile {} is given twice", w[0].0));
        }
        Ok(SummaryQuantiles {
            objectives: sorted,
            max_age: Duration::from_secs(600),
            age_buckets: 5,
        })
    }

    /// How long an observation stays in the window (10 minutes unless
    /// set); refused below 1 ms.
    ///
    /// ```
    /// use std::time::Duration;
    /// let q = promscribe::SummaryQuantiles::new(&[(0.5, 0.05)]).unwrap();
    /// assert!(q.clone().max_age(Duration::from_secs(60)).is_ok());
    /// assert!(q.max_age(Duration::ZERO).is_err());
    /// ```
    pub fn max_age(mut self, max_age: Duration) -> Result<Self, String> {
        if max_age < Duration::from_millis(1) {
            return Err(format!("max_age {max_age:?} is below 1 ms"));
        }
        self.max_age = max_age;
        Ok(self)
    }

    /// How many streams the window rotates through (5 unless set): the
    /// window covers between `max_age * (1 - 1/age_buckets)` and
    /// `max_age`. Refused: 0, or more than 60.
    ///
    /// ```
    /// let q = promscribe::SummaryQuantiles::new(&[(0.5, 0.05)]).unwrap();
    /// assert!(q.clone().age_buckets(0).is_err());
    /// assert!(q.age_buckets(3).is_ok());
    /// ```
    pub fn age_buckets(mut self, age_buckets: u32) -> Result<Self, String> {
        if !(1..=60).contains(&age_buckets) {
            return Err(format!("age_buckets {age_buckets} is outside 1..=60"));
        }
        self.age_buckets = age_buckets;
        Ok(self)
    }

    /// The objectives, by increasing quantile.
    ///
    /// ```
    /// let q = promscribe::SummaryQuantiles::new(&[(0.9, 0.01), (0.5, 0.05)]).unwrap();
    /// assert_eq!(q.objectives(), &[(0.5, 0.05), (0.9, 0.01)]);
    /// ```
    pub fn objectives(&self) -> &[(f64, f64)] {
        &self.objectives
    }
}

/// One tuple of a stream: a value, the rank it adds (`g`), the
/// uncertainty of its rank (`Δ`).
#[derive(Debug, Clone, Copy)]
struct Tuple {
    v: f64,
    g: u64,
    d: u64,
}

/// The rank gap the invariant allows to a tuple whose interval is
/// `[lo, hi]` among `n` observations (see the module's note).
fn allowed(objectives: &[(f64, f64)], lo: u64, hi: u64, n: u64) -> u64 {
    let n = n as f64;
    let (lo, hi) = (lo as f64, hi as f64);
    let mut best = u64::MAX;
    for &(phi, eps) in objectives {
        let t = phi * n;
        let e = eps * n;
        let (d, s) = if hi < t {
            (t - hi, eps / (1.0 - phi + eps))
        } else if lo > t {
            (lo - t, eps / (phi + eps))
        } else {
            (0.0, 0.0)
        };
        let inner = (e + s * (d - e - 1.0).max(0.0)).floor();
        // Saturating: beyond `u64`, the allowance is no constraint.
        let a = if inner >= (u64::MAX / 4) as f64 {
            u64::MAX
        } else {
            2 * inner as u64 + 1
        };
        best = best.min(a);
    }
    best
}

/// Copies `src` (sorted tuples of `n` observations) into `dst`, leaving
/// out every tuple whose removal keeps the invariant; the first and the
/// last (exact minimum and maximum) are kept.
fn compress(src: &[Tuple], objectives: &[(f64, f64)], n: u64, dst: &mut Vec<Tuple>) {
    dst.clear();
    let len = src.len();
    let (Some(&first), Some(&last)) = (src.first(), src.last()) else {
        return;
    };
    if len < 3 {
        dst.extend_from_slice(src);
        return;
    }
    // Right to left, with each tuple's rmin from the total down: `next`
    // is the kept tuple the one at `i` would merge into.
    let mut next = last;
    let mut next_rmax = n + next.d;
    // rmin of tuple i: n minus the g of the tuples after it.
    let mut rmin_i = n - next.g;
    for i in (1..len - 1).rev() {
        let t = src[i];
        let lo = rmin_i - t.g; // rmin of tuple i - 1
        let gap = next_rmax - lo;
        if gap <= allowed(objectives, lo, next_rmax, n) {
            next.g += t.g;
        } else {
            dst.push(next);
            next = t;
            next_rmax = rmin_i + t.d;
        }
        rmin_i = lo;
    }
    dst.push(next);
    dst.push(first);
    dst.reverse();
    // Room for a little growth, not a doubling (five streams of them).
    let room = dst.len() + dst.len() / 8 + 4;
    if dst.capacity() > room + room / 2 {
        dst.shrink_to(room);
    }
}

/// One stream: a targeted sketch of the observations since its last
/// reset.
#[derive(Debug, Default)]
struct Stream {
    tuples: Vec<Tuple>,
    n: u64,
}

impl Stream {
    fn reset(&mut self) {
        self.tuples.clear();
        self.n = 0;
    }

    /// Inserts the sorted `batch`, then compresses.
    fn insert_sorted(&mut self, batch: &[f64], objectives: &[(f64, f64)], out: &mut Vec<Tuple>) {
        if batch.is_empty() {
            return;
        }
        out.clear();
        out.reserve(self.tuples.len() + batch.len());
        let mut b = batch.iter().copied().peekable();
        for t in &self.tuples {
            // Values before `t`: Δ = gap(t) - 1 (0 before the minimum,
            // where `t`'s gap is its own `g = 1` plus `Δ = 0`).
            let d = if out.is_empty() {
                0
            } else {
                (t.g + t.d).saturating_sub(1)
            };
            while let Some(v) = b.next_if(|v| *v < t.v) {
                out.push(Tuple { v, g: 1, d });
            }
            out.push(*t);
        }
        // Past the maximum: exact ranks.
        out.extend(b.map(|v| Tuple { v, g: 1, d: 0 }));
        self.n += batch.len() as u64;
        // The merged list stays in the scratch space; the stream's own
        // vector only ever holds a compressed one.
        compress(out, objectives, self.n, &mut self.tuples);
    }

    /// The value for quantile `phi` within rank error `eps` (NaN when
    /// empty).
    fn query(&self, phi: f64, eps: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let n = self.n;
        let r = ((phi * n as f64).ceil() as u64).clamp(1, n);
        let big_r = r + (eps * n as f64).floor() as u64;
        let mut rmin = 0u64;
        let mut prev = self.tuples[0].v;
        for t in &self.tuples {
            rmin += t.g;
            if rmin + t.d > big_r {
                return prev;
            }
            prev = t.v;
        }
        prev
    }

    fn bytes(&self) -> usize {
        self.tuples.capacity() * std::mem::size_of::<Tuple>()
    }
}

/// A clock in nanoseconds since an arbitrary origin: the monotonic clock,
/// or one a test sets.
#[derive(Debug, Clone)]
pub(crate) enum Clock {
    Monotonic,
    Manual(Arc<AtomicU64>),
}

impl Clock {
    fn now(&self) -> u64 {
        match self {
            Clock::Monotonic => {
                static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
                let origin = *ORIGIN.get_or_init(std::time::Instant::now);
                u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
            }
            Clock::Manual(t) => t.load(Ordering::Relaxed),
        }
    }
}

/// What the lock guards: the streams, the drained count and sum.
#[derive(Debug)]
struct Window {
    streams: Vec<Stream>,
    head: usize,
    /// When the head stream is next cleared (clock nanoseconds).
    head_expires: u64,
    width: u64,
    count: u64,
    sum: f64,
    batch: Vec<f64>,
    scratch: Vec<Tuple>,
}

impl Window {
    /// Clears the streams whose time has come.
    fn rotate(&mut self, now: u64) {
        if now < self.head_expires {
            return;
        }
        let b = self.streams.len() as u64;
        let behind = (now - self.head_expires) / self.width + 1;
        if behind >= b {
            self.streams.iter_mut().for_each(Stream::reset);
            self.head_expires = now.saturating_add(self.width);
            return;
        }
        for _ in 0..behind {
            self.streams[self.head].reset();
            self.head = (self.head + 1) % self.streams.len();
            self.head_expires = self.head_expires.saturating_add(self.width);
        }
    }

    /// Merges `self.batch` into every stream.
    fn merge(&mut self, objectives: &[(f64, f64)]) {
        if self.batch.is_empty() {
            return;
        }
        self.batch.sort_unstable_by(f64::total_cmp);
        for s in &mut self.streams {
            s.insert_sorted(&self.batch, objectives, &mut self.scratch);
        }
        self.count += self.batch.len() as u64;
        self.sum += self.batch.iter().sum::<f64>();
        self.batch.clear();
        // Scratch space only while merging; the batch keeps one ring's room.
        self.scratch = Vec::new();
        self.batch.shrink_to(RING);
    }
}

/// A thread's ring: values, the producer's and the consumer's positions.
#[derive(Debug)]
struct Ring {
    head: AtomicUsize,
    tail: AtomicUsize,
    vals: Box<[AtomicU64]>,
}

impl Ring {
    fn new() -> Self {
        Ring {
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            vals: (0..RING).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Appends `v` (only the ring's thread calls this); false when full.
    #[inline]
    fn push(&self, v: f64) -> bool {
        let h = self.head.load(Ordering::Relaxed);
        // The consumer's reads of the slots happen before it moved `tail`.
        let t = self.tail.load(Ordering::Acquire);
        if h.wrapping_sub(t) >= RING {
            return false;
        }
        if let Some(slot) = self.vals.get(h % RING) {
            slot.store(v.to_bits(), Ordering::Relaxed);
        }
        // The value is written before the position that publishes it.
        self.head.store(h.wrapping_add(1), Ordering::Release);
        true
    }

    /// Moves every published value into `out` (under the window's lock:
    /// one consumer at a time).
    fn drain(&self, out: &mut Vec<f64>) {
        let h = self.head.load(Ordering::Acquire);
        let mut t = self.tail.load(Ordering::Relaxed);
        while t != h {
            if let Some(slot) = self.vals.get(t % RING) {
                out.push(f64::from_bits(slot.load(Ordering::Relaxed)));
            }
            t = t.wrapping_add(1);
        }
        self.tail.store(h, Ordering::Release);
    }
}

/// The quantile state of a summary.
#[derive(Debug)]
pub(crate) struct Quantiles {
    config: SummaryQuantiles,
    clock: Clock,
    rings: Box<[OnceLock<Ring>]>,
    window: Mutex<Window>,
}

/// One consistent reading: count, sum, `(quantile, value)` pairs.
pub(crate) struct Reading {
    pub(crate) count: u64,
    pub(crate) sum: f64,
    pub(crate) quantiles: Vec<(f64, f64)>,
}

impl Quantiles {
    pub(crate) fn new(config: SummaryQuantiles, clock: Clock) -> Self {
        let b = config.age_buckets.max(1) as usize;
        let max_age = u64::try_from(config.max_age.as_nanos()).unwrap_or(u64::MAX);
        let width = (max_age / b as u64).max(1);
        let now = clock.now();
        Quantiles {
            rings: (0..owned_stripes()).map(|_| OnceLock::new()).collect(),
            window: Mutex::new(Window {
                streams: (0..b).map(|_| Stream::default()).collect(),
                head: 0,
                head_expires: now.saturating_add(width),
                width,
                count: 0,
                sum: 0.0,
                batch: Vec::new(),
                scratch: Vec::new(),
            }),
            config,
            clock,
        }
    }

    /// Records `v`: into the thread's ring, draining it when full.
    #[inline]
    pub(crate) fn observe(&self, v: f64) {
        let slot = thread_slot();
        if let Some(ring) = self.rings.get(slot).and_then(OnceLock::get) {
            if ring.push(v) {
                return;
            }
        }
        self.observe_slow(slot, v);
    }

    #[cold]
    #[inline(never)]
    fn observe_slow(&self, slot: usize, v: f64) {
        let ring = self.rings.get(slot).map(|r| r.get_or_init(Ring::new));
        if let Some(ring) = ring {
            if ring.push(v) {
                return; // its first value
            }
        }
        let mut w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        w.rotate(self.clock.now());
        if let Some(ring) = ring {
            ring.drain(&mut w.batch);
        }
        // A NaN joins the count and the sum, not the sketch (it has no rank).
        w.batch.push(v);
        let nans: Vec<f64> = w.batch.iter().copied().filter(|x| x.is_nan()).collect();
        w.batch.retain(|x| !x.is_nan());
        w.merge(&self.config.objectives);
        w.count += nans.len() as u64;
        w.sum += nans.iter().sum::<f64>();
    }

    /// Drains every ring and reads count, sum and quantiles under one lock.
    pub(crate) fn read(&self) -> Reading {
        let mut w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        w.rotate(self.clock.now());
        for ring in self.rings.iter().filter_map(OnceLock::get) {
            ring.drain(&mut w.batch);
        }
        let nans = w.batch.iter().filter(|x| x.is_nan()).count() as u64;
        w.batch.retain(|x| !x.is_nan());
        w.merge(&self.config.objectives);
        w.count += nans;
        if nans > 0 {
            w.sum = f64::NAN;
        }
        let head = &w.streams[w.head % w.streams.len()];
        Reading {
            count: w.count,
            sum: w.sum,
            quantiles: self
                .config
                .objectives
                .iter()
                .map(|&(q, e)| (q, head.query(q, e)))
                .collect(),
        }
    }

    /// Bytes held: the streams, the rings, the scratch buffers.
    pub(crate) fn bytes(&self) -> usize {
        let w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::size_of::<Self>()
            + w.streams.iter().map(Stream::bytes).sum::<usize>()
            + w.streams.capacity() * std::mem::size_of::<Stream>()
            + w.batch.capacity() * 8
            + w.scratch.capacity() * std::mem::size_of::<Tuple>()
            + self.rings.len() * std::mem::size_of::<OnceLock<Ring>>()
            + self.rings.iter().filter(|r| r.get().is_some()).count() * RING * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rank interval `[first, last]` (1-based) of `v` in sorted `xs`.
    fn ranks(xs: &[f64], v: f64) -> (u64, u64) {
        let first = xs.partition_point(|x| *x < v) as u64 + 1;
        let last = xs.partition_point(|x| *x <= v) as u64;
        (first, last)
    }

    /// Checks every objective against the exact ranks of `window`.
    fn check(stream: &Stream, objectives: &[(f64, f64)], window: &mut [f64], what: &str) {
        window.sort_unstable_by(f64::total_cmp);
        let n = window.len() as u64;
        assert_eq!(stream.n, n);
        for &(q, e) in objectives {
            let v = stream.query(q, e);
            let r = ((q * n as f64).ceil() as u64).clamp(1, n) as f64;
            let (first, last) = ranks(window, v);
            let err = if (last as f64) < r {
                r - last as f64
            } else if (first as f64) > r {
                first as f64 - r
            } else {
                0.0
            };
            assert!(
                err <= e * n as f64,
                "{what}: q={q} v={v} rank [{first},{last}] target {r} err {err} > {}",
                e * n as f64
            );
        }
    }

    fn feed(values: &[f64], objectives: &[(f64, f64)], batch: usize) -> Stream {
        let mut s = Stream::default();
        let mut scratch = Vec::new();
        for chunk in values.chunks(batch) {
            let mut c = chunk.to_vec();
            c.sort_unstable_by(f64::total_cmp);
            s.insert_sorted(&c, objectives, &mut scratch);
        }
        s
    }

    #[test]
    fn small_inputs_are_exact_enough() {
        let obj = SummaryQuantiles::DEFAULT_OBJECTIVES;
        for n in 1..200 {
            let values: Vec<f64> = (0..n).map(|i| ((i * 7919) % 211) as f64).collect();
            let s = feed(&values, &obj, 5);
            check(&s, &obj, &mut values.clone(), &format!("n={n}"));
        }
    }

    #[test]
    fn extreme_quantiles() {
        let obj = [(0.0, 0.01), (1.0, 0.01), (0.999, 0.0001)];
        let values: Vec<f64> = (0..100_000)
            .map(|i| ((i * 7919) % 100_003) as f64)
            .collect();
        let s = feed(&values, &obj, 128);
        check(&s, &obj, &mut values.clone(), "extreme");
    }

    #[test]
    fn window_rotation_clears_the_head() {
        let t = Arc::new(AtomicU64::new(0));
        let cfg = SummaryQuantiles::new(&[(0.5, 0.05)])
            .and_then(|c| c.max_age(Duration::from_secs(10)))
            .and_then(|c| c.age_buckets(5))
            .expect("valid");
        let q = Quantiles::new(cfg, Clock::Manual(t.clone()));
        q.observe(1.0);
        assert_eq!(q.read().quantiles, [(0.5, 1.0)]);
        t.store(9_999_999_999, Ordering::Relaxed);
        assert_eq!(q.read().quantiles, [(0.5, 1.0)]);
        t.store(10_000_000_000, Ordering::Relaxed);
        assert!(q.read().quantiles[0].1.is_nan());
        // Count and sum are totals, as Go's.
        assert_eq!(q.read().count, 1);
    }
}
