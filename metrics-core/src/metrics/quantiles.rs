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
//! position (and, when the ring was empty, the clock's time). No lock is
//! shared between threads there. A full ring is drained by its own
//! thread, under the summary's lock, into the window's batch; at
//! [`BATCH`] values the batch is sorted once and merged into every
//! stream in one pass each, largest value first, compressing as it goes
//! (the values that land between two tuples share their `g` and `Δ`, so
//! a run of them merges by arithmetic). A scrape drains every ring and
//! merges first. `_count` and `_sum` are those of the drained
//! observations, read under the same lock as the quantiles: a scrape's
//! quantiles, count and sum describe one state.
//!
//! Before a stream is cleared, every ring holding a value observed before
//! the clearing time is drained and merged: a ring's values carry no time
//! of their own, only the ring's first one does, so a ring straddling the
//! time leaves all its values out of the cleared stream (they leave the
//! window up to one ring's span early, never late).

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

/// An order-preserving key of a non-NaN value: keys compare as
/// `f64::total_cmp` compares the values.
#[inline]
fn key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The value of a [`key`].
#[inline]
fn value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// One tuple of a stream: a value's key, the rank it adds (`g`), the
/// uncertainty of its rank (`Δ`). A tuple's gap `g + Δ` never exceeds
/// `u32::MAX` (compression stops short of it), so both fit in 32 bits.
#[derive(Debug, Clone, Copy)]
struct Tuple {
    k: u64,
    g: u32,
    d: u32,
}

/// One objective's constants for a stream of `n` observations.
#[derive(Debug, Clone, Copy)]
struct Objective {
    /// The target rank `φn`.
    t: f64,
    /// The allowed error `εn`.
    e: f64,
    /// The slope below the target, `ε / (1 - φ + ε)`.
    below: f64,
    /// The slope above the target, `ε / (φ + ε)`.
    above: f64,
    /// The least allowance, `2 floor(εn) + 1`.
    flat: u64,
}

impl Objective {
    fn at(objectives: &[(f64, f64)], n: u64, out: &mut Vec<Objective>) {
        out.clear();
        let n = n as f64;
        out.extend(objectives.iter().map(|&(phi, eps)| {
            let e = eps * n;
            Objective {
                t: phi * n,
                e,
                below: eps / (1.0 - phi + eps),
                above: eps / (phi + eps),
                flat: saturating_allowance(e),
            }
        }));
    }

    /// The allowance of an interval at distance `d` from the target on
    /// the side of slope `s`: `2 floor(εn + s max(0, d - εn - 1)) + 1`.
    fn allowed(&self, d: f64, s: f64) -> u64 {
        saturating_allowance(self.e + s * (d - self.e - 1.0).max(0.0))
    }

    /// The least `lo` for which a tuple spanning `[lo, hi]` keeps this
    /// objective's part of the invariant; every `lo` between it and `hi`
    /// does too, since the allowance never grows as `lo` falls.
    ///
    /// Below the target the allowance depends on `hi` alone. Otherwise any
    /// `lo >= hi - flat` keeps it (`flat` is the least allowance), and so
    /// does any `lo >= c = φn + εn + 1` with
    /// `hi - lo <= 2(εn + s(lo - c)) - 1`, a lower bound of the sloped
    /// allowance there (`2 floor(x) + 1 >= 2x - 1`); rounded up by one
    /// more against floating-point error. Conservative: it may keep a
    /// tuple the invariant would let go, never the reverse.
    fn least_lo(&self, hi: u64) -> u64 {
        let h = hi as f64;
        if h < self.t {
            return hi.saturating_sub(self.allowed(self.t - h, self.below));
        }
        let flat = hi.saturating_sub(self.flat);
        let s = self.above;
        let c = self.t + self.e + 1.0;
        // `x as u64 + 1` is at least `ceil(x)` for `x >= 0` (`as`
        // truncates, and saturates past u64: such a bound keeps every
        // tuple); one more against rounding.
        let sloped = ((h - 2.0 * self.e + 1.0 + 2.0 * s * c) / (1.0 + 2.0 * s)).max(c);
        flat.min((sloped as u64).saturating_add(2))
    }
}

/// `2 * floor(inner) + 1` for `inner >= 0` (`as` truncates), saturating:
/// beyond `u64` an allowance is no constraint.
fn saturating_allowance(inner: f64) -> u64 {
    if inner >= (u64::MAX / 4) as f64 {
        u64::MAX
    } else {
        2 * inner as u64 + 1
    }
}

/// The least `lo` a tuple spanning `[lo, hi]` may have under every
/// objective, and with a gap that fits in 32 bits.
fn least_lo(objectives: &[Objective], hi: u64) -> u64 {
    objectives
        .iter()
        .map(|o| o.least_lo(hi))
        .fold(hi.saturating_sub(u64::from(u32::MAX)), u64::max)
}

/// One compression pass over a stream's tuples and a batch, largest
/// first (see [`Stream::insert_sorted`]).
struct Compressor<'a> {
    objectives: &'a [Objective],
    least: u64,
    out: &'a mut Vec<Tuple>,
    /// The kept tuple the ones at hand may merge into (`None` before the
    /// first, the maximum).
    next: Option<Tuple>,
    next_rmax: u64,
    /// The least `lo` a merge into `next` may leave (exact or quick).
    bound: u64,
    exact: bool,
    /// rmin of the tuple at hand.
    rmin: u64,
    n: u64,
}

impl Compressor<'_> {
    /// `t` becomes the kept tuple merges go into.
    fn keep(&mut self, t: Tuple) {
        if let Some(next) = self.next.replace(t) {
            self.out.push(next);
        }
        self.next_rmax = self.rmin + u64::from(t.d);
        // `lo = 0` is the minimum's: never merged.
        self.bound = self.next_rmax.saturating_sub(self.least).max(1);
        self.exact = false;
    }

    /// Makes the bound exact when `lo` falls short of the quick one.
    fn sharpen(&mut self, lo: u64) {
        if lo < self.bound && !self.exact {
            self.bound = least_lo(self.objectives, self.next_rmax).max(1);
            self.exact = true;
        }
    }

    /// The next tuple, largest first.
    fn item(&mut self, t: Tuple) {
        if self.next.is_none() {
            self.rmin = self.n;
            self.keep(t);
            self.rmin -= u64::from(t.g);
            return;
        }
        let lo = self.rmin - u64::from(t.g);
        self.sharpen(lo);
        match &mut self.next {
            // The gap stays within 32 bits (see `least_lo`).
            Some(next) if lo >= self.bound => next.g += t.g,
            _ => self.keep(t),
        }
        self.rmin = lo;
    }

    /// Inserted values `keys` (ascending), all with `g = 1` and `Δ = d`.
    fn run(&mut self, keys: &[u64], d: u32) {
        let mut keys = keys;
        while let Some((&k, rest)) = keys.split_last() {
            if self.next.is_none() {
                self.item(Tuple { k, g: 1, d });
                keys = rest;
                continue;
            }
            // Values merge while `lo = rmin - 1, rmin - 2, ...` stays at
            // or above the bound.
            self.sharpen(self.rmin - 1);
            let room = self.rmin.saturating_sub(self.bound);
            let merged = room.min(keys.len() as u64);
            if let Some(next) = &mut self.next {
                // `merged <= gap(next) <= u32::MAX`.
                next.g += u32::try_from(merged).unwrap_or(u32::MAX);
            }
            self.rmin -= merged;
            keys = keys.get(..keys.len() - merged as usize).unwrap_or_default();
            if let Some((&k, rest)) = keys.split_last() {
                if !self.exact {
                    // Short of the quick bound: try the exact one.
                    self.sharpen(self.rmin - 1);
                    continue;
                }
                // The next value cannot merge under the exact bound.
                self.keep(Tuple { k, g: 1, d });
                self.rmin -= 1;
                keys = rest;
            }
        }
    }

    fn finish(&mut self) {
        if let Some(next) = self.next.take() {
            self.out.push(next);
        }
    }
}

/// One stream: a targeted sketch of the observations since its last
/// reset. Its tuples are kept largest first.
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

    /// Inserts `batch` (keys, ascending) and compresses, in one pass from
    /// the largest value down; `out` is the scratch space the compressed
    /// tuples are written to (it takes the stream's former vector back).
    ///
    /// A value inserted between tuples `a` and `b` gets `g = 1` and
    /// `Δ = gap(b) - 1`; below the minimum or above the maximum `Δ = 0`.
    /// A value equal to a tuple's goes after it. Compression: with `next`
    /// the kept tuple above, the tuple at hand (whose predecessor's rmin
    /// is `lo`) merges into it when `lo >= least_lo(rmax(next))`; the
    /// minimum (`lo = 0`) and the maximum are always kept. The values
    /// inserted between two tuples share `g` and `Δ`, so a run of them is
    /// merged by arithmetic, not one by one.
    fn insert_sorted(&mut self, batch: &[u64], objectives: &[Objective], out: &mut Vec<Tuple>) {
        if batch.is_empty() {
            return;
        }
        let n = self.n + batch.len() as u64;
        self.n = n;
        out.clear();
        let mut c = Compressor {
            objectives,
            // Any gap up to the least allowance of all keeps the
            // invariant: the exact bound is only worked out past it.
            least: objectives
                .iter()
                .map(|o| o.flat)
                .fold(u64::from(u32::MAX), u64::min),
            out,
            next: None,
            next_rmax: 0,
            bound: 0,
            exact: false,
            rmin: n,
            n,
        };
        let mut j = batch.len();
        let mut right_d = 0u32;
        for &t in &self.tuples {
            let top = j;
            while j > 0 && batch.get(j - 1).is_some_and(|&k| k >= t.k) {
                j -= 1;
            }
            c.run(batch.get(j..top).unwrap_or_default(), right_d);
            c.item(t);
            right_d = t.g.saturating_add(t.d).saturating_sub(1);
        }
        // Below the minimum: exact ranks.
        c.run(batch.get(..j).unwrap_or_default(), 0);
        c.finish();
        std::mem::swap(&mut self.tuples, out);
    }

    /// The value for quantile `phi` within rank error `eps` (NaN when
    /// empty).
    fn query(&self, phi: f64, eps: f64) -> f64 {
        let Some(first) = self.tuples.last() else {
            return f64::NAN;
        };
        let n = self.n;
        let r = ((phi * n as f64).ceil() as u64).clamp(1, n);
        let big_r = r + (eps * n as f64).floor() as u64;
        let mut rmin = 0u64;
        let mut prev = first.k;
        for t in self.tuples.iter().rev() {
            rmin += u64::from(t.g);
            if rmin + u64::from(t.d) > big_r {
                return value(prev);
            }
            prev = t.k;
        }
        value(prev)
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

/// Values the window gathers before it merges them into its streams
/// (a scrape merges whatever it has).
const BATCH: usize = 1024;

/// What the lock guards: the streams, the drained count and sum, the
/// drained values not merged yet.
#[derive(Debug)]
struct Window {
    streams: Vec<Stream>,
    head: usize,
    /// When the head stream is next cleared (clock nanoseconds).
    head_expires: u64,
    width: u64,
    count: u64,
    sum: f64,
    /// Drained values (keys), merged into every stream at [`BATCH`].
    batch: Vec<u64>,
    scratch: Vec<Tuple>,
    objectives: Vec<Objective>,
}

impl Window {
    /// Takes `ring`'s values: counted and summed now, their keys kept for
    /// the next merge (a NaN has no rank: it joins the count and the sum
    /// only).
    fn drain(&mut self, ring: &Ring) {
        let (mut count, mut sums) = (0u64, [0.0f64; 4]);
        let batch = &mut self.batch;
        ring.drain(|v| {
            // Four partial sums: no chain of dependent additions.
            if let Some(s) = sums.get_mut(count as usize % 4) {
                *s += v;
            }
            count += 1;
            if !v.is_nan() {
                batch.push(key(v));
            }
        });
        self.count += count;
        self.sum += (sums[0] + sums[1]) + (sums[2] + sums[3]);
    }

    /// Merges the gathered values into every stream.
    fn merge(&mut self, objectives: &[(f64, f64)]) {
        if self.batch.is_empty() {
            return;
        }
        self.batch.sort_unstable();
        for s in &mut self.streams {
            Objective::at(
                objectives,
                s.n + self.batch.len() as u64,
                &mut self.objectives,
            );
            s.insert_sorted(&self.batch, &self.objectives, &mut self.scratch);
            // Vectors pass from stream to stream: none keeps much more room
            // than its own tuples need.
            let len = s.tuples.len();
            if s.tuples.capacity() > len + len / 4 + 8 {
                s.tuples.shrink_to(len + len / 8 + 4);
            }
        }
        self.batch.clear();
    }

    /// Brings the window to `now`: before each stream is cleared, the
    /// values observed before its time (every ring whose first value is
    /// older: ring values carry no time of their own, so a ring's later
    /// values leave the youngest stream early rather than an old value
    /// staying late) are merged.
    fn advance(&mut self, now: u64, rings: &[OnceLock<Ring>], objectives: &[(f64, f64)]) {
        let b = self.streams.len() as u64;
        let mut cleared = 0;
        while now >= self.head_expires {
            let due = self.head_expires;
            for ring in rings.iter().filter_map(OnceLock::get) {
                if ring.first_before(due) {
                    self.drain(ring);
                }
            }
            self.merge(objectives);
            cleared += 1;
            if cleared > b {
                // Idle past the whole window: every stream starts anew.
                self.streams.iter_mut().for_each(Stream::reset);
                self.head_expires = now.saturating_add(self.width);
                break;
            }
            if let Some(s) = self.streams.get_mut(self.head) {
                s.reset();
            }
            self.head = (self.head + 1) % self.streams.len().max(1);
            self.head_expires = self.head_expires.saturating_add(self.width);
        }
    }
}

/// A thread's ring: values, the producer's and the consumer's positions,
/// and when the oldest value still in it was observed.
#[derive(Debug)]
struct Ring {
    head: AtomicUsize,
    tail: AtomicUsize,
    /// Clock time of the push that found the ring empty.
    first: AtomicU64,
    vals: Box<[AtomicU64]>,
}

impl Ring {
    fn new() -> Self {
        Ring {
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            first: AtomicU64::new(0),
            vals: (0..RING).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Appends `v` (only the ring's thread calls this); false when full.
    #[inline]
    fn push(&self, v: f64, clock: &Clock) -> bool {
        let h = self.head.load(Ordering::Relaxed);
        // The consumer's reads of the slots happen before it moved `tail`.
        let t = self.tail.load(Ordering::Acquire);
        let used = h.wrapping_sub(t);
        if used >= RING {
            return false;
        }
        if used == 0 {
            self.stamp(clock);
        }
        if let Some(slot) = self.vals.get(h % RING) {
            slot.store(v.to_bits(), Ordering::Relaxed);
        }
        // The value (and the time) are written before the position that
        // publishes them.
        self.head.store(h.wrapping_add(1), Ordering::Release);
        true
    }

    #[cold]
    #[inline(never)]
    fn stamp(&self, clock: &Clock) {
        self.first.store(clock.now(), Ordering::Relaxed);
    }

    /// Whether the ring holds a value observed before `due`. (The time is
    /// the one written before the oldest published value: a newer one is
    /// only written once the consumer has moved `tail` past it, which it
    /// does after this read.)
    fn first_before(&self, due: u64) -> bool {
        let h = self.head.load(Ordering::Acquire);
        h != self.tail.load(Ordering::Relaxed) && self.first.load(Ordering::Relaxed) < due
    }

    /// Hands every published value to `f` (under the window's lock: one
    /// consumer at a time).
    fn drain(&self, mut f: impl FnMut(f64)) {
        let h = self.head.load(Ordering::Acquire);
        let mut t = self.tail.load(Ordering::Relaxed);
        while t != h {
            if let Some(slot) = self.vals.get(t % RING) {
                f(f64::from_bits(slot.load(Ordering::Relaxed)));
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
                batch: Vec::with_capacity(BATCH),
                scratch: Vec::new(),
                objectives: Vec::new(),
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
            if ring.push(v, &self.clock) {
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
            if ring.push(v, &self.clock) {
                return; // its first value
            }
        }
        let mut w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        w.advance(self.clock.now(), &self.rings, &self.config.objectives);
        if let Some(ring) = ring {
            w.drain(ring);
        }
        // Without a ring (a thread being torn down), or with the ring
        // just drained: the value itself.
        w.count += 1;
        w.sum += v;
        if !v.is_nan() {
            w.batch.push(key(v));
        }
        // Merged before another ring's worth could outgrow the batch's room.
        if w.batch.len() + RING >= BATCH {
            w.merge(&self.config.objectives);
        }
    }

    /// Records `v` under the window's lock, no ring: the same sketch with
    /// a mutex taken per observation (Go's way), for comparison.
    pub(crate) fn observe_locked(&self, v: f64) {
        let mut w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        w.advance(self.clock.now(), &self.rings, &self.config.objectives);
        w.count += 1;
        w.sum += v;
        if !v.is_nan() {
            w.batch.push(key(v));
        }
        if w.batch.len() >= BATCH {
            w.merge(&self.config.objectives);
        }
    }

    /// Drains every ring and reads count, sum and quantiles under one lock.
    pub(crate) fn read(&self) -> Reading {
        let mut w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        w.advance(self.clock.now(), &self.rings, &self.config.objectives);
        for ring in self.rings.iter().filter_map(OnceLock::get) {
            w.drain(ring);
        }
        w.merge(&self.config.objectives);
        // A scrape's drain of many rings may have grown the batch.
        w.batch.shrink_to(BATCH);
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

    /// Bytes held: the streams, the rings, the buffers.
    pub(crate) fn bytes(&self) -> usize {
        let w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::size_of::<Self>()
            + w.streams.iter().map(Stream::bytes).sum::<usize>()
            + w.streams.capacity() * std::mem::size_of::<Stream>()
            + w.batch.capacity() * 8
            + w.scratch.capacity() * std::mem::size_of::<Tuple>()
            + w.objectives.capacity() * std::mem::size_of::<Objective>()
            + self.rings.len() * std::mem::size_of::<OnceLock<Ring>>()
            + self.rings.iter().filter(|r| r.get().is_some()).count()
                * (RING * 8 + std::mem::size_of::<Ring>())
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
        let mut consts = Vec::new();
        for chunk in values.chunks(batch) {
            let mut c: Vec<u64> = chunk.iter().map(|v| key(*v)).collect();
            c.sort_unstable();
            Objective::at(objectives, s.n + c.len() as u64, &mut consts);
            s.insert_sorted(&c, &consts, &mut scratch);
        }
        s
    }

    #[test]
    fn keys_order_as_total_cmp() {
        let vs = [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -0.0,
            0.0,
            1e-300,
            2.5,
            f64::INFINITY,
        ];
        for w in vs.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} {}", w[0], w[1]);
        }
        for v in vs {
            assert_eq!(value(key(v)).to_bits(), v.to_bits());
        }
    }

    /// The threshold never lets through a tuple the exact invariant
    /// refuses.
    #[test]
    fn least_lo_is_conservative() {
        let obj = [
            (0.0, 0.01),
            (0.5, 0.05),
            (0.9, 0.01),
            (0.99, 0.001),
            (1.0, 0.02),
        ];
        let mut consts = Vec::new();
        for n in [10u64, 1000, 123_457, 10_000_000] {
            Objective::at(&obj, n, &mut consts);
            for hi in (1..=n + n / 10).step_by((n as usize / 997).max(1)) {
                let lo = least_lo(&consts, hi);
                if lo == 0 || lo > hi {
                    continue;
                }
                assert!(
                    hi - lo <= allowed(&obj, lo, hi, n),
                    "n {n} hi {hi} lo {lo}: gap {} > {}",
                    hi - lo,
                    allowed(&obj, lo, hi, n)
                );
            }
        }
    }

    /// The exact allowance of the module's note, as a reference.
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
            best = best.min(saturating_allowance(e + s * (d - e - 1.0).max(0.0)));
        }
        best
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

    /// Values still in a ring when their window ends (no scrape, no full
    /// ring since) are not shown by the next scrape: they are merged
    /// into the streams before those are cleared.
    #[test]
    fn unscraped_values_leave_the_window_on_time() {
        let t = Arc::new(AtomicU64::new(0));
        let cfg = SummaryQuantiles::new(&[(0.5, 0.05)])
            .and_then(|c| c.max_age(Duration::from_secs(10)))
            .and_then(|c| c.age_buckets(5))
            .expect("valid");
        let q = Quantiles::new(cfg, Clock::Manual(t.clone()));
        for _ in 0..10 {
            q.observe(1.0);
        }
        // Two age buckets later, fresh values join them.
        t.store(4_000_000_000, Ordering::Relaxed);
        assert_eq!(q.read().quantiles, [(0.5, 1.0)]);
        for _ in 0..30 {
            q.observe(2.0);
        }
        // Past the old values' window, not the fresh ones'.
        t.store(10_000_000_000, Ordering::Relaxed);
        let r = q.read();
        assert_eq!(r.count, 40);
        assert_eq!(r.quantiles, [(0.5, 2.0)]);
        // Idle past every window: nothing is shown.
        q.observe(3.0);
        t.store(60_000_000_000, Ordering::Relaxed);
        assert!(q.read().quantiles[0].1.is_nan());
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
