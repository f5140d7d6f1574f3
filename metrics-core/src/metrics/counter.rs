//! [`Counter`]: a value that only goes up.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::error::MetricError;
use crate::meta::{Meta, Opts};
use crate::metrics::atomic::{owned_stripes, thread_slot, AtomicF64, Created};
use crate::metrics::family::{push_metric, FamilyMember};
use crate::metrics::liveness::Liveness;
use crate::metrics::meta_ref::MetaRef;
use crate::model::{CounterPoint, Exemplar, LabelSet, MetricFamily, MetricType, Point};
#[cfg(feature = "multiprocess")]
use crate::multiprocess::metric_values::{self as mp, MetricFiles, Series};
use once_cell::race::OnceBox;

/// A counter: goes up, resets when the process restarts.
///
/// Declare one with [`counter!`](crate::counter!), or build one at run time
/// with [`Counter::new`]. Integer increments are one atomic add; fractional
/// ones go to a separate atomic `f64`, so [`inc`](Counter::inc) never loops.
///
/// A counter updated from one thread is that one atomic. Once threads are
/// seen contending for it (checked now and then, on a tiny share of the
/// increments), its whole increments move to cache-padded stripes, one per
/// thread where the stripes suffice, each written by its thread alone with
/// a plain load and store (no atomic read-modify-write), so that threads on
/// different cores stop fighting over one cache line;
/// [`get`](Counter::get) sums them.
///
/// The integer part never wraps the counter back to zero: the increment
/// that takes it past `u64::MAX` carries 2^64 into the `f64` part, so the
/// value keeps growing (as a float, with a float's precision). A scrape
/// that runs at the very instant of that one increment, between its two
/// atomic operations, can read the value without the carry.
///
/// In multiprocess mode (feature `multiprocess`, with
/// `PROMETHEUS_MULTIPROC_DIR` set or
/// `multiprocess::init` called), the counter
/// records into this process's `counter_<pid>.db` from its first update
/// on (carrying what it counted in memory before), as Python's client
/// does: its value lives in the file only, and [`get`](Counter::get)
/// reads it. Exemplars are refused there (see
/// [`inc_by_with_exemplar`](Counter::inc_by_with_exemplar)).
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
    /// Fractional increments, and the carries of wrapped integer parts
    /// (here, not with the rare parts: no increment ever allocates).
    fraction: AtomicF64,
    created: Created,
    /// What few counters use, in one allocation made by the first of them
    /// to be needed (an exemplar, or contention): a counter without them
    /// pays one pointer for both.
    rare: OnceBox<Rare>,
}

/// The rarely used parts of a counter.
#[derive(Debug)]
struct Rare {
    /// The last exemplar, once there was one (scrapes of a counter that
    /// never had one take no lock).
    exemplar: OnceLock<Mutex<Option<Arc<Exemplar>>>>,
    /// Set once contention is seen: whole increments go here instead of
    /// `whole`.
    stripes: OnceLock<Box<[Stripe]>>,
    /// In multiprocess mode, the counter's value in this process's file,
    /// set by its first update there (`None`: it records in memory).
    #[cfg(feature = "multiprocess")]
    files: OnceLock<Option<MetricFiles>>,
}

impl Rare {
    fn new() -> Box<Self> {
        Box::new(Rare {
            exemplar: OnceLock::new(),
            stripes: OnceLock::new(),
            #[cfg(feature = "multiprocess")]
            files: OnceLock::new(),
        })
    }
}

/// One stripe, alone on its cache line (128 bytes: adjacent-line
/// prefetchers pull lines in pairs on x86). A contended counter has one
/// per [`thread_slot`] below [`owned_stripes`], each written only by the
/// thread holding that slot, with a plain load and store; then one more,
/// the last, shared with `fetch_add` by the threads without one.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe {
    /// Whole increments.
    value: AtomicU64,
    /// `value` at the last reset: the stripe counts `value - base`
    /// (wrapping). A reset never writes `value`, which a thread may be
    /// rewriting from what it read before.
    base: AtomicU64,
}

impl Stripe {
    /// Its count since the last reset. `base` is read first, with acquire
    /// ordering: `value` then reads at least what the reset read.
    fn count(&self) -> u64 {
        let base = self.base.load(Ordering::Acquire);
        self.value.load(Ordering::Relaxed).wrapping_sub(base)
    }

    /// Adds `n` to a stripe only this thread writes (a load and a store);
    /// whether its count since the last reset went past `u64::MAX` (a carry
    /// is due).
    #[inline]
    fn add_owned(&self, n: u64) -> bool {
        let base = self.base.load(Ordering::Acquire);
        let before = self.value.load(Ordering::Relaxed);
        self.value.store(before.wrapping_add(n), Ordering::Relaxed);
        Self::wraps(base, before, n)
    }

    /// Adds `n` to a stripe several threads write; as `add_owned`.
    fn add_shared(&self, n: u64) -> bool {
        let base = self.base.load(Ordering::Acquire);
        let before = self.value.fetch_add(n, Ordering::Relaxed);
        Self::wraps(base, before, n)
    }

    /// Whether adding `n` to a value of `before` took the count from `base`
    /// past `u64::MAX`. `base` is read before the value, with acquire
    /// ordering (a reset stores its new base with release ordering after
    /// reading the value): the value read then is at least that base, so
    /// the count is never taken from a base newer than the value. A reset
    /// concurrent with the very increment that crosses 2^64 may keep that
    /// carry or lose it, as it may keep that increment or not.
    #[inline]
    fn wraps(base: u64, before: u64, n: u64) -> bool {
        before.wrapping_sub(base).checked_add(n).is_none()
    }

    fn reset(&self) {
        self.base
            .store(self.value.load(Ordering::Relaxed), Ordering::Release);
    }
}

/// The stripes of a contended counter: [`owned_stripes`] then the shared
/// one.
fn new_stripes() -> Box<[Stripe]> {
    (0..=owned_stripes()).map(|_| Stripe::default()).collect()
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
            rare: OnceBox::new(),
        }
    }

    fn from_meta(meta: MetaRef) -> Self {
        Counter {
            meta,
            whole: AtomicU64::new(0),
            fraction: AtomicF64::zero(),
            created: Created::now(),
            rare: OnceBox::new(),
        }
    }

    /// The rarely used parts, allocated by the first call.
    fn rare(&self) -> &Rare {
        self.rare.get_or_init(Rare::new)
    }

    /// The stripes, once contention was seen.
    #[inline]
    fn stripes(&self) -> Option<&[Stripe]> {
        self.rare.get()?.stripes.get().map(|s| &**s)
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
        // A constructor asks the mode afresh: an `init` since is seen now.
        #[cfg(feature = "multiprocess")]
        crate::multiprocess::metric_values::check();
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

    /// One `fetch_add` on `whole` or, once contention was seen, a write of
    /// the thread's stripe. The add that wraps an integer part (each wrap
    /// is seen by exactly one caller) carries 2^64 into the float part. An
    /// add to `whole` that crosses a multiple of 2^SAMPLE_BITS checks for
    /// contention.
    #[inline]
    fn add_whole(&self, n: u64) {
        #[cfg(feature = "multiprocess")]
        if mp::on() && self.inc_files(n as f64) {
            return;
        }
        self.add_whole_memory(n);
    }

    /// [`add_whole`](Self::add_whole) in memory.
    #[inline]
    fn add_whole_memory(&self, n: u64) {
        if let Some(stripes) = self.stripes() {
            self.add_striped(stripes, thread_slot(), n);
        } else {
            let before = self.whole.fetch_add(n, Ordering::Relaxed);
            let after = before.wrapping_add(n);
            if (before ^ after) >> SAMPLE_BITS != 0 || after < before {
                self.sampled(after < before);
            }
        }
        self.meta.touch();
    }

    /// Adds `n` to the stripes as the thread holding `slot`: to its own
    /// stripe with a load and a store (no other thread writes it), or, when
    /// the slot has none, to the shared one.
    #[inline]
    fn add_striped(&self, stripes: &[Stripe], slot: usize, n: u64) {
        let own = stripes.split_last().and_then(|(_, owned)| owned.get(slot));
        let wrapped = match own {
            Some(own) => own.add_owned(n),
            None => self.add_shared(stripes, n),
        };
        if wrapped {
            self.carry();
        }
    }

    /// The shared stripe, for threads whose slot has none; whether a carry
    /// is due.
    #[cold]
    #[inline(never)]
    fn add_shared(&self, stripes: &[Stripe], n: u64) -> bool {
        match stripes.last() {
            Some(shared) => shared.add_shared(n),
            // Never so (there are always stripes); counted all the same.
            None => self
                .whole
                .fetch_add(n, Ordering::Relaxed)
                .checked_add(n)
                .is_none(),
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
        self.rare().stripes.get_or_init(new_stripes);
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
            #[cfg(feature = "multiprocess")]
            if mp::on() && self.inc_files(amount) {
                return Ok(());
            }
            // `as` saturates; the round trip is exact only for whole numbers.
            let whole = amount as u64;
            if amount < EXACT && whole as f64 == amount {
                self.add_whole_memory(whole);
            } else {
                self.fraction.add(amount);
                self.meta.touch();
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
        #[cfg(feature = "multiprocess")]
        if mp::check() {
            if let Some(files) = self.files() {
                return files.get(0);
            }
        }
        self.get_memory()
    }

    /// The value held in memory.
    fn get_memory(&self) -> f64 {
        let whole = match self.stripes() {
            // Unstriped (the usual case): a `u64`, converted natively
            // (a `u128` conversion is a library call, seen in scrapes).
            None => self.whole.load(Ordering::Relaxed) as f64,
            Some(_) => self.whole_part() as f64,
        };
        whole + self.fraction.get()
    }

    /// `whole` plus the stripes, exact (no `u64` overflow).
    fn whole_part(&self) -> u128 {
        let whole = u128::from(self.whole.load(Ordering::Relaxed));
        let stripes = self.stripes().unwrap_or_default();
        whole + stripes.iter().map(|s| u128::from(s.count())).sum::<u128>()
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
        #[cfg(feature = "multiprocess")]
        if mp::check() {
            if let Some(files) = self.files() {
                files.set(0, 0.0);
            }
        }
        self.whole.store(0, Ordering::Relaxed);
        self.fraction.set(0.0);
        if let Some(rare) = self.rare.get() {
            for stripe in rare.stripes.get().into_iter().flat_map(|s| s.iter()) {
                stripe.reset();
            }
            if let Some(slot) = rare.exemplar.get() {
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = None;
            }
        }
        self.created.reset();
        self.meta.touch();
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
    /// In multiprocess mode the increment is recorded and the exemplar
    /// refused (the files keep none): the error is `ExemplarRefused`, and
    /// the refusal is logged once for the counter.
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
        #[cfg(feature = "multiprocess")]
        if let Some(files) = self.recording() {
            files.refuse_exemplar();
            return Err(MetricError::ExemplarRefused {
                metric: files.metric().to_owned(),
                value: amount,
                reason: mp::reason::EXEMPLAR.to_owned(),
            });
        }
        let exemplar = Exemplar::checked(self.name(), labels, amount)
            .map_err(|e| e.exemplar_refused(amount))?;
        let slot = self.rare().exemplar.get_or_init(Mutex::default);
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
        self.rare
            .get()?
            .exemplar
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

    /// In multiprocess mode, adds `amount` to the file and returns `true`;
    /// `false` for a counter that records in memory (a family's series
    /// created before the mode was on, a family's internal tally).
    #[cfg(feature = "multiprocess")]
    #[cold]
    #[inline(never)]
    fn inc_files(&self, amount: f64) -> bool {
        match self.files() {
            Some(files) => {
                files.inc(0, amount);
                self.meta.touch();
                true
            }
            None => false,
        }
    }

    /// The file values, if the metric records into them already.
    #[cfg(feature = "multiprocess")]
    fn recording(&self) -> Option<&MetricFiles> {
        self.rare.get()?.files.get()?.as_ref()
    }

    /// The counter's file value in multiprocess mode, made by the first
    /// call (which carries the value counted in memory before into it).
    #[cfg(feature = "multiprocess")]
    fn files(&self) -> Option<&MetricFiles> {
        self.rare()
            .files
            .get_or_init(|| match &self.meta {
                MetaRef::Static(meta) => MetricFiles::counter(meta, Series::Own, self.get_memory()),
                MetaRef::Shared(meta) => MetricFiles::counter(meta, Series::Own, self.get_memory()),
                MetaRef::Child(_) | MetaRef::Overflow(_) => {
                    mp::refuse_once("", mp::reason::LATE_SERIES);
                    None
                }
                MetaRef::None => None,
            })
            .as_ref()
    }

    /// A counter of no family and no registry: what a family counts the
    /// updates of its overflow series in.
    pub(crate) fn tally() -> Arc<Self> {
        Arc::new(Self::from_meta(MetaRef::None))
    }
}

impl FamilyMember for Counter {
    const TYPE: MetricType = MetricType::Counter;
    type Config = ();

    fn new_child(_: &()) -> Self {
        Self::from_meta(MetaRef::child())
    }

    #[cfg(feature = "multiprocess")]
    fn new_child_of(_: &(), family: &crate::metrics::family::Parent<'_>) -> Self {
        let child = Self::from_meta(MetaRef::child());
        if let Some(files) = family.files(|meta, series| MetricFiles::counter(meta, series, 0.0)) {
            let rare = Rare::new();
            let _ = rare.files.set(files);
            let _ = child.rare.set(rare);
        }
        child
    }

    fn __liveness(&self) -> Option<&Liveness> {
        self.meta.liveness()
    }

    fn __overflow(mut self, tally: Arc<Counter>) -> Self {
        self.meta = MetaRef::Overflow(tally);
        self
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
        assert!(c.stripes().is_some());
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
        assert!(c.stripes().is_none());
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
        let done = |c: &Counter| c.stripes().is_some();
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

    /// Threads incrementing a striped counter (each on its own stripe, or
    /// on the shared one past the stripes) while a scraper reads it: every
    /// read is at least the one before, and the final total is exact.
    #[test]
    fn striped_increments_under_scrapes_are_never_lost() {
        const THREADS: u64 = 6;
        const EACH: u64 = 50_000;
        let c = Counter::new("s_total", "h").unwrap();
        c.stripe();
        let writing = AtomicU64::new(THREADS);
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    for _ in 0..EACH {
                        c.inc();
                        c.inc_by_u64(3);
                        c.inc_by(2.0).unwrap();
                        c.inc_by(0.5).unwrap();
                    }
                    writing.fetch_sub(1, Ordering::Release);
                });
            }
            s.spawn(|| {
                let mut last = 0.0;
                let mut reads = 0u64;
                while writing.load(Ordering::Acquire) > 0 || reads == 0 {
                    let now = c.get();
                    assert!(now >= last, "a scrape went back: {last} then {now}");
                    assert!(now <= (THREADS * EACH) as f64 * 6.5);
                    last = now;
                    reads += 1;
                }
            });
        });
        assert_eq!(c.whole_part(), u128::from(THREADS * EACH * 6));
        assert_eq!(c.get(), (THREADS * EACH) as f64 * 6.5);
    }

    /// Threads whose slot has no stripe of its own (more threads than
    /// stripes, or a thread past its thread-local destructors) share the
    /// last stripe, with `fetch_add`: nothing is lost either.
    #[test]
    fn threads_without_a_stripe_share_the_last_one() {
        const EACH: u64 = 100_000;
        let c = Counter::new("s_total", "h").unwrap();
        c.stripe();
        let stripes = c.stripes().unwrap();
        let owned = stripes.len() - 1;
        std::thread::scope(|s| {
            for slot in [owned, owned + 7, usize::MAX >> 1, usize::MAX] {
                let c = &c;
                s.spawn(move || {
                    for _ in 0..EACH {
                        c.add_striped(stripes, slot, 1);
                    }
                });
            }
        });
        assert_eq!(stripes[owned].count(), 4 * EACH);
        assert_eq!(c.get(), (4 * EACH) as f64);
    }

    /// A reset never writes a stripe's value (a thread may be rewriting it
    /// from what it read before): a reset made while a thread increments
    /// keeps at most the increments made since (plus the one in flight),
    /// never those it cleared.
    #[test]
    fn a_reset_never_brings_back_what_it_cleared() {
        let c = Counter::new("s_total", "h").unwrap();
        c.stripe();
        let done = AtomicU64::new(0);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let mut brought_back = None;
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    c.inc();
                    n += 1;
                    done.store(n, Ordering::Release);
                }
            });
            // Once the thread increments, so that the two overlap.
            while done.load(Ordering::Relaxed) == 0 {
                std::hint::spin_loop();
            }
            for _ in 0..200_000 {
                let before = done.load(Ordering::Acquire);
                c.reset();
                let value = c.get();
                let since = done.load(Ordering::Acquire) - before;
                if value > (since + 1) as f64 {
                    brought_back = Some((value, since));
                    break;
                }
            }
            stop.store(true, Ordering::Relaxed);
        });
        assert_eq!(
            brought_back, None,
            "(value after a reset, increments since)"
        );
    }

    /// A stripe counts from its value at the last reset: an increment that
    /// wraps the stored value but not the count since the reset carries
    /// nothing; one that takes that count past `u64::MAX` carries once.
    #[test]
    fn a_stripe_carries_from_its_count_since_the_reset() {
        let c = Counter::new("s_total", "h").unwrap();
        c.stripe();
        c.inc_by_u64(u64::MAX - 1);
        c.reset();
        c.inc_by_u64(5);
        assert_eq!(exact(&c), 5);
        c.inc_by_u64(u64::MAX);
        assert_eq!(exact(&c), u128::from(u64::MAX) + 5);
    }

    /// The rarely used parts are allocated by the first of them needed: a
    /// counter without exemplars, used from one thread, has none.
    #[test]
    fn increments_allocate_nothing_rare() {
        let c = Counter::new("r_total", "h").unwrap();
        c.inc();
        c.inc_by(3.0).unwrap();
        c.inc_by(0.5).unwrap();
        c.inc_by_u64(u64::MAX);
        c.reset();
        assert!(c.rare.get().is_none());
        assert!(c.exemplar().is_none());
        c.inc_by_with_exemplar(1.0, &[("trace_id", "t")]).unwrap();
        assert!(c.rare.get().is_some());
        assert_eq!(c.get(), 1.0);
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
