//! [`Counter`]: a value that only goes up.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::error::MetricError;
use crate::meta::{Meta, MetaRef, Opts};
use crate::metrics::atomic::{AtomicF64, Created};
use crate::metrics::family::{push_metric, FamilyMember};
use crate::model::{CounterPoint, Exemplar, LabelSet, MetricFamily, MetricType, Point};

/// A counter: goes up, resets when the process restarts.
///
/// Declare one with [`counter!`](crate::counter!), or build one at run time
/// with [`Counter::new`]. Integer increments are one atomic add; fractional
/// ones go to a separate atomic `f64`, so [`inc`](Counter::inc) never loops.
///
/// A counter updated from one thread is that one atomic. Once threads are
/// seen contending for it (checked now and then, on a tiny share of the
/// increments), its whole increments spread over cache-padded stripes, one
/// per thread where the stripes suffice, so that threads on different cores
/// stop fighting over one cache line; [`get`](Counter::get) sums them.
///
/// The integer part never wraps the counter back to zero: the increment
/// that takes it past `u64::MAX` carries 2^64 into the `f64` part, so the
/// value keeps growing (as a float, with a float's precision). A scrape
/// that runs at the very instant of that one increment, between its two
/// atomic operations, can read the value without the carry.
///
/// ```
/// promscribe::counter!(FAILURES, "my_failures_total", "Description of counter");
///
/// FAILURES.inc();
/// FAILURES.inc_by(1.6).unwrap();
/// assert_eq!(FAILURES.get(), 2.6);
/// assert!(FAILURES.inc_by(-1.0).is_err());
/// ```
#[derive(Debug)]
pub struct Counter {
    meta: MetaRef,
    whole: AtomicU64,
    fraction: AtomicF64,
    created: Created,
    /// The last exemplar, in a slot allocated by the first
    /// `inc_by_with_exemplar`: a counter without exemplars pays one
    /// pointer for them, and its scrapes take no lock.
    exemplar: OnceLock<Box<Mutex<Option<Arc<Exemplar>>>>>,
    /// Set once contention is seen: whole increments go here instead of
    /// `whole`, each thread to its stripe.
    stripes: OnceLock<Stripes>,
}

/// One stripe: an atomic alone on its cache line (128 bytes: adjacent-line
/// prefetchers pull lines in pairs on x86).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(AtomicU64);

/// The stripes of a contended counter: a power of two of them.
#[derive(Debug)]
struct Stripes(Box<[Stripe]>);

impl Stripes {
    /// Twice the available parallelism (so that threads numbered in turn
    /// rarely share one), a power of two from 2 to 32.
    fn new() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let n = (2 * cpus).next_power_of_two().clamp(2, 32);
        Stripes((0..n).map(|_| Stripe::default()).collect())
    }

    /// The calling thread's stripe.
    #[inline]
    fn mine(&self) -> &AtomicU64 {
        // Masked to the length, a power of two: always in range.
        &self.0[thread_number() & (self.0.len() - 1)].0
    }

    /// The sum of the stripes, exact (no `u64` overflow).
    fn sum(&self) -> u128 {
        self.0
            .iter()
            .map(|s| u128::from(s.0.load(Ordering::Relaxed)))
            .sum()
    }

    fn reset(&self) {
        for s in self.0.iter() {
            s.0.store(0, Ordering::Relaxed);
        }
    }
}

/// A small number per thread, given in turn when a thread first increments
/// a striped counter.
fn thread_number() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static NUMBER: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    NUMBER.with(|n| *n)
}

/// Every increment that moves the integer part across a multiple of
/// 2^SAMPLE_BITS checks for contention: 1 in 16,384 of `inc()`s.
const SAMPLE_BITS: u32 = 14;

/// Largest integer below which every `u64` converts to `f64` exactly.
const EXACT: f64 = (1u64 << 53) as f64;

/// What the integer part loses when it wraps: 2^64, exact as an `f64`.
const WRAP: f64 = 18_446_744_073_709_551_616.0;

impl Counter {
    #[doc(hidden)]
    pub const fn __from_static(meta: &'static Meta) -> Self {
        Counter {
            meta: MetaRef::Static(meta),
            whole: AtomicU64::new(0),
            fraction: AtomicF64::zero(),
            created: Created::unset(),
            exemplar: OnceLock::new(),
            stripes: OnceLock::new(),
        }
    }

    fn from_meta(meta: MetaRef) -> Self {
        Counter {
            meta,
            whole: AtomicU64::new(0),
            fraction: AtomicF64::zero(),
            created: Created::now(),
            exemplar: OnceLock::new(),
            stripes: OnceLock::new(),
        }
    }

    /// A counter built at run time, to [`register`](crate::Registry::register)
    /// in a registry. A trailing `_total` in `name` is handled as Python's
    /// client does: the family is named without it, the sample with it.
    ///
    /// ```
    /// let c = promscribe::Counter::new("jobs_total", "Jobs run").unwrap();
    /// assert_eq!(c.name(), "jobs");
    /// assert!(promscribe::Counter::new("", "x").is_err());
    /// ```
    pub fn new(name: &str, help: &str) -> Result<Arc<Self>, MetricError> {
        Self::with_opts(Opts::new(name, help))
    }

    /// A counter built from [`Opts`] (namespace, subsystem, unit).
    ///
    /// ```
    /// let o = promscribe::Opts::new("sent", "Bytes sent").unit("bytes");
    /// let c = promscribe::Counter::with_opts(o).unwrap();
    /// assert_eq!(c.name(), "sent_bytes");
    /// ```
    pub fn with_opts(opts: Opts) -> Result<Arc<Self>, MetricError> {
        let meta = opts.into_meta(MetricType::Counter)?;
        Ok(Arc::new(Self::from_meta(MetaRef::Shared(Arc::new(meta)))))
    }

    /// The family name (without `_total`); empty for a family's child.
    ///
    /// ```
    /// promscribe::counter!(C, "c_total", "help");
    /// assert_eq!(C.name(), "c");
    /// ```
    pub fn name(&self) -> &str {
        self.meta.name()
    }

    /// Adds one.
    ///
    /// ```
    /// promscribe::counter!(C, "c_total", "help");
    /// C.inc();
    /// assert_eq!(C.get(), 1.0);
    /// ```
    #[inline]
    pub fn inc(&self) {
        self.add_whole(1);
    }

    /// Adds a whole number; never fails.
    ///
    /// ```
    /// promscribe::counter!(C, "c_total", "help");
    /// C.inc_by_u64(5);
    /// assert_eq!(C.get(), 5.0);
    /// ```
    #[inline]
    pub fn inc_by_u64(&self, n: u64) {
        self.add_whole(n);
    }

    /// One `fetch_add`, on `whole` or, once contention was seen, on the
    /// thread's stripe. The add that wraps an integer part (each wrap is
    /// seen by exactly one caller) carries 2^64 into the float part. An add
    /// to `whole` that crosses a multiple of 2^SAMPLE_BITS checks for
    /// contention.
    #[inline]
    fn add_whole(&self, n: u64) {
        if let Some(stripes) = self.stripes.get() {
            let before = stripes.mine().fetch_add(n, Ordering::Relaxed);
            if before.checked_add(n).is_none() {
                self.carry();
            }
            return;
        }
        let before = self.whole.fetch_add(n, Ordering::Relaxed);
        let after = before.wrapping_add(n);
        if (before ^ after) >> SAMPLE_BITS != 0 || after < before {
            self.sampled(after < before);
        }
    }

    /// The rare path of `add_whole`: the carry of a wrap, and the check for
    /// contention. The check reads `whole` and writes the same value back
    /// with a compare-exchange: if another thread changed it in between,
    /// threads are contending and the counter switches to stripes (for
    /// good: what was added to `whole` stays there, and `get` adds both).
    #[cold]
    #[inline(never)]
    fn sampled(&self, wrapped: bool) {
        if wrapped {
            self.carry();
        }
        let seen = self.whole.load(Ordering::Relaxed);
        if self
            .whole
            .compare_exchange(seen, seen, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            self.stripe();
        }
    }

    /// Switches to stripes (once; later calls do nothing).
    #[cold]
    fn stripe(&self) {
        self.stripes.get_or_init(Stripes::new);
    }

    #[cold]
    #[inline(never)]
    fn carry(&self) {
        self.fraction.add(WRAP);
    }

    /// Adds `amount`, which must be zero or positive: a negative amount (or
    /// NaN) is refused with an error and the counter is unchanged.
    ///
    /// ```
    /// promscribe::counter!(C, "c_total", "help");
    /// C.inc_by(0.5).unwrap();
    /// let err = C.inc_by(-2.0).unwrap_err();
    /// assert!(err.to_string().contains("only go up"));
    /// assert_eq!(C.get(), 0.5);
    /// ```
    #[inline]
    pub fn inc_by(&self, amount: f64) -> Result<(), MetricError> {
        if amount >= 0.0 {
            // `as` saturates; the round trip is exact only for whole numbers.
            let whole = amount as u64;
            if amount < EXACT && whole as f64 == amount {
                self.add_whole(whole);
            } else {
                self.fraction.add(amount);
            }
            Ok(())
        } else {
            Err(MetricError::NegativeIncrement {
                metric: self.name().to_owned(),
                amount,
            })
        }
    }

    /// The current value.
    ///
    /// ```
    /// promscribe::counter!(C, "c_total", "help");
    /// assert_eq!(C.get(), 0.0);
    /// ```
    pub fn get(&self) -> f64 {
        self.whole_part() as f64 + self.fraction.get()
    }

    /// `whole` plus the stripes, exact.
    fn whole_part(&self) -> u128 {
        let whole = u128::from(self.whole.load(Ordering::Relaxed));
        whole + self.stripes.get().map_or(0, Stripes::sum)
    }

    /// Resets to zero and restarts the `_created` timestamp.
    ///
    /// ```
    /// promscribe::counter!(C, "c_total", "help");
    /// C.inc();
    /// C.reset();
    /// assert_eq!(C.get(), 0.0);
    /// ```
    pub fn reset(&self) {
        self.whole.store(0, Ordering::Relaxed);
        if let Some(stripes) = self.stripes.get() {
            stripes.reset();
        }
        self.fraction.set(0.0);
        if let Some(slot) = self.exemplar.get() {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
        self.created.reset();
    }

    /// Runs `f`, counting one exception if it returns `Err` or panics (the
    /// panic keeps unwinding): Python's `with c.count_exceptions():`.
    ///
    /// ```
    /// promscribe::counter!(FAILURES, "failures_total", "Failures");
    /// let r: Result<i32, String> = FAILURES.count_exceptions(|| Err("boom".into()));
    /// assert!(r.is_err());
    /// FAILURES.count_exceptions(|| ());
    /// assert_eq!(FAILURES.get(), 1.0);
    /// ```
    pub fn count_exceptions<R: crate::Fallible>(&self, f: impl FnOnce() -> R) -> R {
        let guard = crate::support::ExceptionGuard::new(self);
        let r = f();
        if r.is_failure() {
            guard.record();
        }
        r
    }

    /// Runs `f`, counting one exception if it panics or returns an `Err`
    /// for which `counts` is true: Python's `count_exceptions(ValueError)`.
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// promscribe::counter!(TIMEOUTS, "timeouts_total", "Timeouts");
    /// let timed_out = |e: &Error| e.kind() == ErrorKind::TimedOut;
    /// let _ = TIMEOUTS.count_exceptions_where(|| Err::<(), _>(Error::from(ErrorKind::TimedOut)), timed_out);
    /// let _ = TIMEOUTS.count_exceptions_where(|| Err::<(), _>(Error::from(ErrorKind::NotFound)), timed_out);
    /// assert_eq!(TIMEOUTS.get(), 1.0);
    /// ```
    pub fn count_exceptions_where<T, E>(
        &self,
        f: impl FnOnce() -> Result<T, E>,
        counts: impl FnOnce(&E) -> bool,
    ) -> Result<T, E> {
        let guard = crate::support::ExceptionGuard::new(self);
        let r = f();
        if let Err(e) = &r {
            if counts(e) {
                guard.record();
            }
        }
        r
    }

    /// Adds `amount` and keeps an exemplar for it (e.g. the trace id of
    /// the request), exposed with the `_total` sample in formats that carry
    /// exemplars. Exemplar label names must be valid and distinct, names
    /// plus values at most 128 characters in all (the OpenMetrics limit).
    /// The increment is recorded whatever the exemplar (as Python's and
    /// Go's clients do): an invalid exemplar is refused with
    /// [`MetricError::ExemplarRefused`], which says the value counted. A
    /// negative `amount` records nothing. Not for the hottest paths: it
    /// takes a short lock.
    ///
    /// ```
    /// use promscribe::MetricError;
    /// promscribe::counter!(C, "requests_total", "Requests");
    /// C.inc_by_with_exemplar(1.0, &[("trace_id", "abc123")]).unwrap();
    /// assert_eq!(C.exemplar().unwrap().labels[0].1, "abc123");
    /// let err = C.inc_by_with_exemplar(1.0, &[("__bad", "x")]).unwrap_err();
    /// assert!(matches!(err, MetricError::ExemplarRefused { .. }));
    /// assert_eq!(C.get(), 2.0); // counted, without the exemplar
    /// assert_eq!(C.exemplar().unwrap().labels[0].1, "abc123");
    /// ```
    pub fn inc_by_with_exemplar(
        &self,
        amount: f64,
        labels: &[(&str, &str)],
    ) -> Result<(), MetricError> {
        self.inc_by(amount)?;
        let exemplar = Exemplar::checked(self.name(), labels, amount)
            .map_err(|e| e.exemplar_refused(amount))?;
        let slot = self.exemplar.get_or_init(Box::default);
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(exemplar));
        Ok(())
    }

    /// The last exemplar, if any.
    ///
    /// ```
    /// promscribe::counter!(C, "requests_total", "Requests");
    /// assert!(C.exemplar().is_none());
    /// ```
    pub fn exemplar(&self) -> Option<Exemplar> {
        self.shared_exemplar().as_deref().cloned()
    }

    /// The last exemplar, shared (no copy), without a lock when there has
    /// never been one.
    fn shared_exemplar(&self) -> Option<Arc<Exemplar>> {
        self.exemplar
            .get()?
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// When the counter was created (or last reset), in Unix seconds.
    ///
    /// ```
    /// let c = promscribe::Counter::new("x_total", "x").unwrap();
    /// assert!(c.created() > 1.6e9);
    /// ```
    pub fn created(&self) -> f64 {
        self.created.get()
    }
}

impl FamilyMember for Counter {
    const TYPE: MetricType = MetricType::Counter;
    type Config = ();

    fn new_child(_: &()) -> Self {
        Self::from_meta(MetaRef::None)
    }

    fn created_time(&self) -> Option<f64> {
        Some(self.created())
    }

    fn collect_metric(&self, family: &mut MetricFamily, labels: &LabelSet) {
        let point = CounterPoint {
            value: self.get(),
            created: Some(self.created()),
            exemplar: self.shared_exemplar(),
        };
        push_metric(family, labels, Point::Counter(point));
    }

    fn visit_metric(
        &self,
        labels: &LabelSet,
        _scratch: &mut Point,
        f: &mut impl FnMut(&LabelSet, &Point) -> std::fmt::Result,
    ) -> std::fmt::Result {
        let point = CounterPoint {
            value: self.get(),
            created: Some(self.created()),
            exemplar: self.shared_exemplar(),
        };
        f(labels, &Point::Counter(point))
    }
}

crate::metrics::family::impl_collector!(Counter);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::Collector;

    #[test]
    fn whole_and_fractional_increments_add_up() {
        let c = Counter::new("t_total", "h").unwrap();
        c.inc();
        c.inc_by(2.0).unwrap();
        c.inc_by(0.25).unwrap();
        c.inc_by_u64(10);
        assert_eq!(c.get(), 13.25);
    }

    #[test]
    fn negative_and_nan_are_refused() {
        let c = Counter::new("t_total", "h").unwrap();
        assert!(matches!(
            c.inc_by(-0.5),
            Err(MetricError::NegativeIncrement { ref metric, .. }) if metric == "t"
        ));
        assert!(c.inc_by(f64::NAN).is_err());
        assert_eq!(c.get(), 0.0);
    }

    #[test]
    fn huge_increment_goes_to_float_part() {
        let c = Counter::new("t_total", "h").unwrap();
        c.inc_by(1e20).unwrap();
        assert_eq!(c.get(), 1e20);
    }

    #[test]
    fn exemplar_reaches_the_total_sample_and_reset_clears_it() {
        let c = Counter::new("ex_total", "h").unwrap();
        c.inc_by_with_exemplar(2.0, &[("trace_id", "t1")]).unwrap();
        let long = "x".repeat(130);
        let err = c
            .inc_by_with_exemplar(1.0, &[("trace_id", long.as_str())])
            .unwrap_err();
        assert!(matches!(
            err,
            MetricError::ExemplarRefused { value, .. } if value == 1.0
        ));
        assert!(err.to_string().contains("recorded 1"), "{err}");
        assert!(c.inc_by_with_exemplar(-1.0, &[]).is_err());
        assert!(c.inc_by_with_exemplar(-1.0, &[("__bad", "x")]).is_err());
        let mut out = Vec::new();
        c.collect(&mut out);
        let samples = out[0].samples();
        let total = samples.iter().find(|s| s.name == "ex_total").unwrap();
        // The increment with the refused exemplar counted; the negative
        // ones did not, and the kept exemplar is the valid one.
        assert_eq!(total.value, 3.0);
        let e = total.exemplar.as_ref().unwrap();
        assert_eq!(e.labels, [("trace_id".to_string(), "t1".to_string())]);
        assert_eq!(e.value, 2.0);
        c.reset();
        assert!(c.exemplar().is_none());
    }

    /// The exact value held: integer part plus the float part, which in
    /// these tests holds only carries (whole multiples of 2^64).
    fn exact(c: &Counter) -> u128 {
        let fraction = c.fraction.get();
        assert_eq!(fraction % WRAP, 0.0, "float part holds only carries");
        c.whole_part() + fraction as u128
    }

    #[test]
    fn integer_part_carries_instead_of_wrapping() {
        let c = Counter::new("w_total", "h").unwrap();
        let max = u128::from(u64::MAX);
        c.inc_by_u64(u64::MAX - 1);
        assert_eq!(exact(&c), max - 1);
        c.inc_by_u64(1);
        assert_eq!(exact(&c), max);
        let before = c.get();
        c.inc();
        assert_eq!(exact(&c), max + 1);
        assert!(c.get() >= before);
        let before = c.get();
        c.inc_by_u64(u64::MAX);
        assert_eq!(exact(&c), 2 * max + 1);
        assert!(c.get() > before);
        // A second wrap carries again.
        c.inc_by_u64(u64::MAX);
        assert_eq!(exact(&c), 3 * max + 1);
        // Whole increments through `inc_by` take the same path.
        c.inc_by(2.0).unwrap();
        assert_eq!(exact(&c), 3 * max + 3);
        assert_eq!(c.get(), 3.0 * WRAP);
    }

    #[test]
    fn concurrent_wraps_each_carry_once() {
        let c = Counter::new("w_total", "h").unwrap();
        c.inc_by_u64(u64::MAX - 3);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| c.inc());
            }
        });
        assert_eq!(exact(&c), u128::from(u64::MAX) + 5);
    }

    /// Whole, fractional and wrapping increments from several threads on a
    /// striped counter: every one is counted, exactly.
    #[test]
    fn striped_totals_are_exact() {
        let c = Counter::new("s_total", "h").unwrap();
        c.inc_by_u64(7); // before the switch: stays in `whole`
        c.stripe();
        assert!(c.stripes.get().is_some());
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..25_000 {
                        c.inc();
                        c.inc_by_u64(3);
                        c.inc_by(2.0).unwrap();
                        c.inc_by(0.5).unwrap();
                    }
                });
            }
        });
        assert_eq!(c.whole_part(), 7 + 4 * 25_000 * 6);
        assert_eq!(c.get(), 7.0 + 4.0 * 25_000.0 * 6.5);
        c.reset();
        assert_eq!(c.get(), 0.0);
        c.inc();
        assert_eq!(c.get(), 1.0);
    }

    #[test]
    fn a_stripe_carries_instead_of_wrapping() {
        let c = Counter::new("s_total", "h").unwrap();
        c.stripe();
        c.inc_by_u64(u64::MAX);
        assert_eq!(exact(&c), u128::from(u64::MAX));
        c.inc_by_u64(2);
        assert_eq!(exact(&c), u128::from(u64::MAX) + 2);
        c.inc_by_u64(u64::MAX);
        assert_eq!(exact(&c), 2 * u128::from(u64::MAX) + 2);
    }

    /// One thread alone never leaves the single atomic, however many
    /// increments (each sample's compare-exchange finds its own value).
    #[test]
    fn one_thread_stays_on_one_atomic() {
        let c = Counter::new("s_total", "h").unwrap();
        for _ in 0..(1u32 << 20) {
            c.inc();
        }
        c.inc_by_u64(u64::MAX - 5);
        assert!(c.stripes.get().is_none());
        assert_eq!(exact(&c), u128::from(u64::MAX) - 5 + (1 << 20));
    }

    /// Two threads hammering one counter make it switch to stripes; the
    /// total stays exact across the switch. Bounded by a count of
    /// increments, not by time; needs two CPUs to contend.
    #[test]
    fn contention_switches_to_stripes_and_loses_nothing() {
        if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
            return;
        }
        let c = Counter::new("s_total", "h").unwrap();
        let done = |c: &Counter| c.stripes.get().is_some();
        const CAP: u64 = 1 << 28;
        let counts: Vec<u64> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        let mut n = 0u64;
                        // Keep going a while after the switch, on stripes.
                        let mut after = 0u64;
                        while after < 100_000 && n < CAP {
                            c.inc();
                            n += 1;
                            if done(&c) {
                                after += 1;
                            }
                        }
                        n
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        assert!(done(&c), "no contention seen in {counts:?} increments");
        assert_eq!(exact(&c), counts.iter().map(|&n| u128::from(n)).sum());
    }

    #[test]
    fn concurrent_increments_are_not_lost() {
        let c = Counter::new("t_total", "h").unwrap();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        c.inc();
                        c.inc_by(0.5).unwrap();
                    }
                });
            }
        });
        assert_eq!(c.get(), 60_000.0);
    }
}
