//! What the attribute macros' expansions call: guards that record on drop,
//! and the probe that tells an `Err` return from any other value.

use std::any::TypeId;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::metrics::timer::Observe;

use crate::metrics::counter::Counter;
use crate::metrics::gauge::Gauge;

/// A counter an exception count goes to: `&Counter` or a labelled child.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot count exceptions",
    label = "a Counter is needed here",
    note = "#[count_exceptions] increments a Counter (or a child of a counter family, with `labels = [...]`)"
)]
pub(crate) trait CountTarget {
    /// Adds one.
    fn count(&self);
}

impl CountTarget for &Counter {
    fn count(&self) {
        self.inc();
    }
}

impl CountTarget for Arc<Counter> {
    fn count(&self) {
        self.inc();
    }
}

/// Counts a panic that starts while it is alive (not one that was already
/// unwinding when it was created), and errors it is told about.
#[derive(Debug)]
pub(crate) struct ExceptionGuard<T: CountTarget> {
    target: T,
    was_panicking: bool,
}

impl<T: CountTarget> ExceptionGuard<T> {
    /// Starts watching.
    #[inline]
    pub(crate) fn new(target: T) -> Self {
        ExceptionGuard {
            target,
            was_panicking: std::thread::panicking(),
        }
    }

    /// Counts one error.
    #[inline]
    pub(crate) fn record(&self) {
        self.target.count();
    }
}

impl<T: CountTarget> Drop for ExceptionGuard<T> {
    fn drop(&mut self) {
        if !self.was_panicking && std::thread::panicking() {
            self.target.count();
        }
    }
}

/// What an attribute's metric expression evaluates to: a reference to a
/// metric (`&METRIC`, `&self.field`) or a labelled child (`Child`, or
/// `OwnedChild` where the guard outlives the call: futures).
pub trait Holder {
    /// The metric held.
    type Metric: ?Sized;
    /// The metric.
    fn metric(&self) -> &Self::Metric;
}

impl<M: ?Sized> Holder for &M {
    type Metric = M;
    #[inline]
    fn metric(&self) -> &M {
        self
    }
}

impl<M: ?Sized> Holder for Arc<M> {
    type Metric = M;
    #[inline]
    fn metric(&self) -> &M {
        self
    }
}

impl<M> Holder for crate::Child<'_, M> {
    type Metric = M;
    #[inline]
    fn metric(&self) -> &M {
        self
    }
}

impl<M> Holder for crate::OwnedChild<M> {
    type Metric = M;
    #[inline]
    fn metric(&self) -> &M {
        self
    }
}

/// A metric declared with labels, whose child an attribute's
/// `labels = [...]` picks: a [`Family`](crate::Family), or a reference or
/// an `Arc` of one (`&self.requests`).
#[diagnostic::on_unimplemented(
    message = "`labels = [...]` needs a metric declared with labels; this one is a `{Self}`",
    label = "declared without labels",
    note = "a metric declared with `labels = [...]` has one child per combination of label values, and the attribute's `labels = [...]` gives the values of the child to record into; leave the option out for a metric without labels"
)]
pub trait LabelledMetric {
    /// The family.
    type Family: ?Sized;
    /// The family, through any references and `Arc`s.
    fn family(&self) -> &Self::Family;
}

#[diagnostic::do_not_recommend]
impl<M: crate::FamilyMember, const N: usize> LabelledMetric for crate::Family<M, N> {
    type Family = Self;
    #[inline]
    fn family(&self) -> &Self {
        self
    }
}

#[diagnostic::do_not_recommend]
impl<T: LabelledMetric + ?Sized> LabelledMetric for &T {
    type Family = T::Family;
    #[inline]
    fn family(&self) -> &T::Family {
        (**self).family()
    }
}

#[diagnostic::do_not_recommend]
impl<T: LabelledMetric + ?Sized> LabelledMetric for Arc<T> {
    type Family = T::Family;
    #[inline]
    fn family(&self) -> &T::Family {
        (**self).family()
    }
}

/// The child of a labelled metric that an attribute records into, found
/// with the values of its `labels = [...]`. `EXPECTED` is the number of
/// label names of the family, read from its type; `GIVEN` the number of
/// values, written out by the attribute. The trait holds only where the
/// two agree, so a wrong number of values is one error, in those numbers,
/// where the attribute names the trait (on the list of values).
///
/// `Self` is the family again, passed last: both numbers are known by the
/// time the compiler looks for an implementation, and the one blanket
/// implementation matches any type, so the error shows no other
/// implementation as a hint.
#[diagnostic::on_unimplemented(
    message = "{EXPECTED} label values expected, {GIVEN} given",
    label = "one value per label name of the metric",
    note = "label names the metric was declared with: {EXPECTED}; give a value for each, in the order of the declaration"
)]
pub trait LabelValueCount<const EXPECTED: usize, const GIVEN: usize> {
    /// The child of `family` for `values`, borrowed (a synchronous call).
    fn child<'a, M: crate::FamilyMember, L: crate::LabelValues<GIVEN>>(
        family: &'a crate::Family<M, EXPECTED>,
        values: L,
        of: &Self,
    ) -> crate::Child<'a, M>;

    /// The child of `family` for `values`, owned (a future, which holds it
    /// across `.await`s).
    fn owned_child<M: crate::FamilyMember, L: crate::LabelValues<GIVEN>>(
        family: &crate::Family<M, EXPECTED>,
        values: L,
        of: &Self,
    ) -> crate::OwnedChild<M>;
}

impl<F: ?Sized, const N: usize> LabelValueCount<N, N> for F {
    #[inline]
    fn child<'a, M: crate::FamilyMember, L: crate::LabelValues<N>>(
        family: &'a crate::Family<M, N>,
        values: L,
        _: &Self,
    ) -> crate::Child<'a, M> {
        family.labels(values)
    }

    #[inline]
    fn owned_child<M: crate::FamilyMember, L: crate::LabelValues<N>>(
        family: &crate::Family<M, N>,
        values: L,
        _: &Self,
    ) -> crate::OwnedChild<M> {
        family.labels_owned(values)
    }
}

/// A metric `#[timed]` can record into: a [`Histogram`](crate::Histogram),
/// a [`Summary`](crate::Summary) or a [`Gauge`], or an `Arc` of one. `N`
/// is a marker type the attribute names after the metric (`struct
/// REQUESTS {}`), only so that the error on the wrong kind of metric
/// names it.
///
/// ```
/// use promscribe::{histogram, timed, Histogram, TimedMetric};
///
/// histogram!(LATENCY, "work_seconds", "Time spent working.");
///
/// #[timed(LATENCY)]
/// fn work() {}
///
/// work();
/// assert_eq!(LATENCY.get_count(), 1);
///
/// fn takes<M: TimedMetric<()>>() {}
/// takes::<Histogram>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[timed]` needs a Histogram, Summary or Gauge; `{N}` is a `{Self}`",
    label = "`{N}` is not a Histogram, Summary or Gauge",
    note = "#[timed] observes the elapsed seconds into a Histogram or Summary, or sets a Gauge to them; a family picks its child with `labels = [...]`"
)]
pub trait TimedMetric<N> {
    /// Records a duration.
    fn record_seconds(&self, seconds: f64);

    /// Records a duration with the current trace as its exemplar, where
    /// the kind keeps exemplars (a histogram's bucket, with the feature
    /// `otel`); as `record_seconds` otherwise.
    fn record_seconds_traced(&self, seconds: f64) {
        self.record_seconds(seconds);
    }
}

#[diagnostic::do_not_recommend]
impl<N> TimedMetric<N> for crate::Histogram {
    #[inline]
    fn record_seconds(&self, seconds: f64) {
        self.observe_seconds(seconds);
    }

    #[cfg(feature = "otel")]
    fn record_seconds_traced(&self, seconds: f64) {
        self.observe_traced(seconds);
    }
}

#[diagnostic::do_not_recommend]
impl<N> TimedMetric<N> for crate::Summary {
    #[inline]
    fn record_seconds(&self, seconds: f64) {
        self.observe_seconds(seconds);
    }
}

#[diagnostic::do_not_recommend]
impl<N> TimedMetric<N> for crate::DeclaredSummary {
    #[inline]
    fn record_seconds(&self, seconds: f64) {
        self.observe_seconds(seconds);
    }
}

#[diagnostic::do_not_recommend]
impl<N> TimedMetric<N> for Gauge {
    #[inline]
    fn record_seconds(&self, seconds: f64) {
        self.observe_seconds(seconds);
    }
}

#[diagnostic::do_not_recommend]
impl<N, M: TimedMetric<N> + ?Sized> TimedMetric<N> for Arc<M> {
    #[inline]
    fn record_seconds(&self, seconds: f64) {
        TimedMetric::<N>::record_seconds(&**self, seconds);
    }

    fn record_seconds_traced(&self, seconds: f64) {
        TimedMetric::<N>::record_seconds_traced(&**self, seconds);
    }
}

/// What raises and lowers a metric of `#[track_inprogress]`: `enter`, `leave`.
pub(crate) type Hooks<M> = (fn(&M), fn(&M));

/// A metric `#[track_inprogress]` can track with: a [`Gauge`], or an
/// `Arc` of one (`N`: as for [`TimedMetric`]).
///
/// ```
/// use promscribe::{gauge, track_inprogress, Gauge, InProgressMetric};
///
/// gauge!(BUSY, "busy_calls", "Calls in progress.");
///
/// #[track_inprogress(BUSY)]
/// fn work() -> f64 {
///     BUSY.get()
/// }
///
/// assert_eq!(work(), 1.0);
/// assert_eq!(BUSY.get(), 0.0);
///
/// fn takes<M: InProgressMetric<()>>() {}
/// takes::<Gauge>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[track_inprogress]` needs a Gauge; `{N}` is a `{Self}`",
    label = "`{N}` is not a Gauge",
    note = "#[track_inprogress] raises a Gauge on entry and lowers it on exit; a family picks its child with `labels = [...]`"
)]
pub trait InProgressMetric<N> {
    /// Adds one.
    fn enter(&self);
    /// Subtracts one.
    fn leave(&self);

    /// `enter` and `leave`, named once by the expansion of
    /// `#[track_inprogress]` (where a metric of the wrong kind is one
    /// error).
    #[doc(hidden)]
    const HOOKS: Hooks<Self> = (Self::enter, Self::leave);
}

#[diagnostic::do_not_recommend]
impl<N> InProgressMetric<N> for Gauge {
    #[inline]
    fn enter(&self) {
        self.inc();
    }
    #[inline]
    fn leave(&self) {
        self.dec();
    }
}

#[diagnostic::do_not_recommend]
impl<N, M: InProgressMetric<N> + ?Sized> InProgressMetric<N> for Arc<M> {
    #[inline]
    fn enter(&self) {
        InProgressMetric::<N>::enter(&**self);
    }
    #[inline]
    fn leave(&self) {
        InProgressMetric::<N>::leave(&**self);
    }
}

/// A metric `#[count_exceptions]` can count into: a [`Counter`], or an
/// `Arc` of one (`N`: as for [`TimedMetric`]).
///
/// ```
/// use promscribe::{count_exceptions, counter, Counter, ExceptionMetric};
///
/// counter!(FAILURES, "work_failures_total", "Failed calls.");
///
/// #[count_exceptions(FAILURES)]
/// fn work() -> Result<(), String> {
///     Err("no".into())
/// }
///
/// assert!(work().is_err());
/// assert_eq!(FAILURES.get(), 1.0);
///
/// fn takes<M: ExceptionMetric<()>>() {}
/// takes::<Counter>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[count_exceptions]` needs a Counter; `{N}` is a `{Self}`",
    label = "`{N}` is not a Counter",
    note = "#[count_exceptions] increments a Counter; a family picks its child with `labels = [...]`"
)]
pub trait ExceptionMetric<N> {
    /// Adds one.
    fn count_one(&self);

    /// Adds one with the current trace as the exemplar (with the feature
    /// `otel`; as `count_one` otherwise).
    fn count_one_traced(&self) {
        self.count_one();
    }
}

#[diagnostic::do_not_recommend]
impl<N> ExceptionMetric<N> for Counter {
    #[inline]
    fn count_one(&self) {
        self.inc();
    }

    #[cfg(feature = "otel")]
    fn count_one_traced(&self) {
        self.inc_traced();
    }
}

#[diagnostic::do_not_recommend]
impl<N, M: ExceptionMetric<N> + ?Sized> ExceptionMetric<N> for Arc<M> {
    #[inline]
    fn count_one(&self) {
        ExceptionMetric::<N>::count_one(&**self);
    }

    fn count_one_traced(&self) {
        ExceptionMetric::<N>::count_one_traced(&**self);
    }
}

/// The `otel` feature of promscribe, which the `exemplar` option of
/// `#[timed]` and `#[count_exceptions]` needs (exemplars come from the
/// current trace).
#[derive(Debug)]
pub struct OtelFeature;

/// Implemented for [`OtelFeature`] when the feature is on. The expansion
/// of an attribute with `exemplar` names it, on the option, whatever the
/// features: without `otel`, that is one error in words, on `exemplar`.
#[diagnostic::on_unimplemented(
    message = "`exemplar` needs the `otel` feature of promscribe",
    label = "exemplars come from the current trace, which promscribe reads with its `otel` feature",
    note = "enable the `otel` feature of `promscribe` (or of `promscribe-export`), or leave `exemplar` out"
)]
pub trait FeatureEnabled {
    /// Does nothing: named only to be checked.
    #[inline(always)]
    fn check() {}
}

#[cfg(feature = "otel")]
impl FeatureEnabled for OtelFeature {}

/// Times from its creation to its drop (the guard of `#[timed]`). The
/// kind of metric is checked once, by [`timed`]; the guard itself has no
/// bound, so a wrong metric gives one error.
pub struct Timing<H: Holder> {
    holder: H,
    start: crate::metrics::timer::Stopwatch,
    record: fn(&H::Metric, f64),
}

/// Starts timing into the held metric. The expansion passes
/// `<_ as TimedMetric<M>>::record_seconds`: the kind of metric is checked
/// where that path is named (no bound here, so the error names only the
/// trait).
#[inline]
pub fn timed<H: Holder>(holder: H, record: fn(&H::Metric, f64)) -> Timing<H> {
    Timing {
        holder,
        start: crate::metrics::timer::Stopwatch::start(),
        record,
    }
}

impl<H: Holder> Drop for Timing<H> {
    fn drop(&mut self) {
        (self.record)(self.holder.metric(), self.start.elapsed_seconds());
    }
}

/// A metric checked for `#[timed]`, to time a future with: the check
/// happens where the function is named, so the future's type carries no
/// bound (a returned `impl Future` would repeat the error otherwise).
pub struct TimedLater<H: Holder> {
    holder: H,
    record: fn(&H::Metric, f64),
}

/// Checks the held metric for `#[timed]`; [`timed_future`] times with it.
#[inline]
pub fn timed_later<H: Holder>(holder: H, record: fn(&H::Metric, f64)) -> TimedLater<H> {
    TimedLater { holder, record }
}

/// `#[timed(METRIC, exemplar)]`: as [`timed`], with the trace current
/// when the call ends as the exemplar (the expansion checks the `otel`
/// feature with [`FeatureEnabled`]).
#[inline]
pub fn timed_traced<H: Holder>(holder: H, record: fn(&H::Metric, f64)) -> Timing<H> {
    timed(holder, record)
}

/// `#[timed(METRIC, exemplar)]` on a future: as [`timed_later`].
#[inline]
pub fn timed_traced_later<H: Holder>(holder: H, record: fn(&H::Metric, f64)) -> TimedLater<H> {
    timed_later(holder, record)
}

/// Times a future from its first poll to its completion (or its drop).
#[inline]
pub fn timed_future<H: Holder, F: Future>(later: TimedLater<H>, fut: F) -> TimedFuture<H, F> {
    TimedFuture {
        fut,
        state: Timed::Later(later),
    }
}

/// Where a [`TimedFuture`] is: not polled yet, running, or done.
enum Timed<H: Holder> {
    Later(TimedLater<H>),
    Running(Timing<H>),
    Done,
}

pin_project_lite::pin_project! {
    /// The future of [`timed_future`]: the user's future, polled in place,
    /// and its timing. The fields drop in order, so a future dropped
    /// before completion is timed up to the end of its own drop.
    pub struct TimedFuture<H: Holder, F> {
        #[pin]
        fut: F,
        state: Timed<H>,
    }
}

impl<H: Holder, F: Future> Future for TimedFuture<H, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if matches!(this.state, Timed::Later(_)) {
            if let Timed::Later(later) = std::mem::replace(this.state, Timed::Done) {
                *this.state = Timed::Running(Timing {
                    holder: later.holder,
                    start: crate::metrics::timer::Stopwatch::start(),
                    record: later.record,
                });
            }
        }
        let out = std::task::ready!(this.fut.poll(cx));
        // Records.
        *this.state = Timed::Done;
        Poll::Ready(out)
    }
}

/// Raised from its creation to its drop (the guard of `#[track_inprogress]`).
pub struct InProgressCall<H: Holder> {
    holder: H,
    leave: fn(&H::Metric),
}

/// Raises the held gauge; the guard lowers it when dropped. The
/// expansion passes `<_ as InProgressMetric<M>>::HOOKS` (checked there, as
/// for [`timed`]).
#[inline]
pub fn inprogress<H: Holder>(holder: H, (enter, leave): Hooks<H::Metric>) -> InProgressCall<H> {
    enter(holder.metric());
    InProgressCall { holder, leave }
}

impl<H: Holder> Drop for InProgressCall<H> {
    fn drop(&mut self) {
        (self.leave)(self.holder.metric());
    }
}

/// A gauge checked for `#[track_inprogress]`, to track a future with (as
/// [`TimedLater`]).
pub struct InProgressLater<H: Holder> {
    holder: H,
    enter: fn(&H::Metric),
    leave: fn(&H::Metric),
}

/// Checks the held metric for `#[track_inprogress]`; [`inprogress_future`]
/// tracks with it.
#[inline]
pub fn inprogress_later<H: Holder>(
    holder: H,
    (enter, leave): Hooks<H::Metric>,
) -> InProgressLater<H> {
    InProgressLater {
        holder,
        enter,
        leave,
    }
}

/// Tracks a future in progress from its first poll to its completion (or
/// its drop).
#[inline]
pub fn inprogress_future<H: Holder, F: Future>(
    later: InProgressLater<H>,
    fut: F,
) -> InProgressFuture<H, F> {
    InProgressFuture {
        fut,
        state: Tracked::Later(later),
    }
}

/// Where an [`InProgressFuture`] is: not polled yet, running, or done.
enum Tracked<H: Holder> {
    Later(InProgressLater<H>),
    Running(InProgressCall<H>),
    Done,
}

pin_project_lite::pin_project! {
    /// The future of [`inprogress_future`]: the user's future, polled in
    /// place, and the raised gauge, lowered after the future's own drop.
    pub struct InProgressFuture<H: Holder, F> {
        #[pin]
        fut: F,
        state: Tracked<H>,
    }
}

impl<H: Holder, F: Future> Future for InProgressFuture<H, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if matches!(this.state, Tracked::Later(_)) {
            if let Tracked::Later(later) = std::mem::replace(this.state, Tracked::Done) {
                (later.enter)(later.holder.metric());
                *this.state = Tracked::Running(InProgressCall {
                    holder: later.holder,
                    leave: later.leave,
                });
            }
        }
        let out = std::task::ready!(this.fut.poll(cx));
        // Lowers the gauge.
        *this.state = Tracked::Done;
        Poll::Ready(out)
    }
}

/// The counter of a `#[count_exceptions]` call. While it lives on the
/// stack of a synchronous call, a panic unwinding through it counts (only
/// the synchronous body can unwind through its own frame while it lives);
/// [`Exceptions::pending`] turns it into the watcher of a future, which
/// counts only panics coming out of the future's own poll.
pub struct Exceptions<H: Holder> {
    counter: Option<Counting<H>>,
    was_panicking: bool,
}

/// The counter and how to count into it.
pub(crate) struct Counting<H: Holder> {
    holder: H,
    count: fn(&H::Metric),
}

impl<H: Holder> Counting<H> {
    #[inline]
    fn count(&self) {
        (self.count)(self.holder.metric());
    }
}

/// Starts watching a call for exceptions. The expansion passes
/// `<_ as ExceptionMetric<M>>::count_one` (checked there, as for
/// [`timed`]).
#[inline]
pub fn exceptions<H: Holder>(holder: H, count: fn(&H::Metric)) -> Exceptions<H> {
    Exceptions {
        counter: Some(Counting { holder, count }),
        was_panicking: std::thread::panicking(),
    }
}

/// `#[count_exceptions(COUNTER, exemplar)]`: as [`exceptions`], each
/// exception counted with the current trace as the exemplar (the
/// expansion checks the `otel` feature with [`FeatureEnabled`]).
#[inline]
pub fn exceptions_traced<H: Holder>(holder: H, count: fn(&H::Metric)) -> Exceptions<H> {
    exceptions(holder, count)
}

impl<H: Holder> Drop for Exceptions<H> {
    fn drop(&mut self) {
        if let Some(c) = &self.counter {
            if !self.was_panicking && std::thread::panicking() {
                c.count();
            }
        }
    }
}

impl<H: Holder> Exceptions<H> {
    /// The value a synchronous call returned, to classify with `finish`.
    #[inline]
    pub fn outcome<R>(mut self, value: R) -> Outcome<H, R> {
        Outcome {
            counter: self.counter.take(),
            value,
        }
    }

    /// The future the call created, to run under watch.
    #[inline]
    pub fn pending<F: Future>(mut self, fut: F) -> Pending<H, F, F::Output> {
        Pending {
            counter: self.counter.take(),
            fut,
            output: PhantomData,
        }
    }
}

fn count_opt<H: Holder>(c: &Option<Counting<H>>) {
    if let Some(c) = c {
        c.count();
    }
}

/// What a synchronous call returned. `finish` counts an `Err` (an inherent
/// method, found first for `Result`s) or nothing ([`FinishAny`]).
pub struct Outcome<H: Holder, R> {
    counter: Option<Counting<H>>,
    value: R,
}

impl<H: Holder, T, E> Outcome<H, Result<T, E>> {
    /// Counts an `Err`, returns the value.
    #[inline]
    pub fn finish(self) -> Result<T, E> {
        if self.value.is_err() {
            count_opt(&self.counter);
        }
        self.value
    }
}

impl<H: Holder, R> Outcome<H, R> {
    /// Counts the value if `check` says so, returns it (`err = ..` and
    /// `err_type = ..`: the check goes through [`ErrorReturn`], whose
    /// error says in words that the function must return a `Result`).
    #[inline]
    pub fn finish_when(self, check: impl FnOnce(&R) -> bool) -> R {
        if check(&self.value) {
            count_opt(&self.counter);
        }
        self.value
    }
}

/// What `#[count_exceptions(C, err = pattern)]` and `err_type = T` test:
/// the function's return type, which must be a `Result` (or an alias of
/// one) for an `Err` to be tested. Any other type is refused, in these
/// words, where the option is written.
///
/// ```
/// use promscribe::{count_exceptions, counter, ErrorReturn};
///
/// counter!(BAD_INPUT, "bad_input_total", "Inputs that were not numbers");
///
/// type Parsed = Result<u8, std::num::ParseIntError>;
///
/// #[count_exceptions(BAD_INPUT, err_type = std::num::ParseIntError)]
/// fn parse(s: &str) -> Parsed {
///     s.parse()
/// }
///
/// assert!(parse("x").is_err());
/// assert_eq!(BAD_INPUT.get(), 1.0);
/// let r: Parsed = Ok(1);
/// assert!(r.error().is_none());
/// ```
#[diagnostic::on_unimplemented(
    message = "`err = ..` and `err_type = ..` need a function returning a `Result`; this one returns `{Self}`",
    label = "only an `Err` can be tested, and `{Self}` is not a `Result`",
    note = "remove the option: the function's panics are still counted"
)]
pub trait ErrorReturn {
    /// The error type.
    type Error;
    /// The error, if the value is one.
    fn error(&self) -> Option<&Self::Error>;
}

#[diagnostic::do_not_recommend]
impl<T, E> ErrorReturn for Result<T, E> {
    type Error = E;
    #[inline]
    fn error(&self) -> Option<&E> {
        self.as_ref().err()
    }
}

/// `finish` for a value that is not a `Result`: nothing to count.
pub trait FinishAny<R> {
    /// Returns the value.
    fn finish(self) -> R;
}

impl<H: Holder, R> FinishAny<R> for Outcome<H, R> {
    #[inline]
    fn finish(self) -> R {
        self.value
    }
}

/// A future under watch: `counting` counts a panic coming out of its own
/// poll, and an `Err` output (inherent method for `Result` outputs), or
/// panics only ([`CountingAny`]). A future dropped while not being polled
/// (cancelled, or dropped because a sibling panicked) counts nothing.
pub struct Pending<H: Holder, F, R> {
    counter: Option<Counting<H>>,
    fut: F,
    output: PhantomData<fn() -> R>,
}

/// Set while the watched future is being polled: dropped while set, the
/// poll unwound, i.e. the future itself panicked.
struct InPoll<'a, H: Holder> {
    counter: &'a Option<Counting<H>>,
    polling: bool,
}

impl<H: Holder> Drop for InPoll<'_, H> {
    fn drop(&mut self) {
        if self.polling {
            count_opt(self.counter);
        }
    }
}

impl<H: Holder, F: Future> Pending<H, F, F::Output> {
    /// Runs the future; counts its panics and an output for which `check`
    /// is true (`err = ..` and `err_type = ..`, through [`ErrorReturn`]).
    #[inline]
    pub fn counting_when<C: FnOnce(&F::Output) -> bool>(self, check: C) -> Counted<H, F, C> {
        Counted {
            fut: self.fut,
            counter: self.counter,
            check: Some(check),
        }
    }
}

pin_project_lite::pin_project! {
    /// A future under watch, as [`Pending`]'s `counting` methods return it:
    /// the user's future polled in place (no copy of it is held), each poll
    /// flagged, and the check of its output.
    pub struct Counted<H: Holder, F, C> {
        #[pin]
        fut: F,
        counter: Option<Counting<H>>,
        check: Option<C>,
    }
}

impl<H: Holder, F: Future, C: FnOnce(&F::Output) -> bool> Future for Counted<H, F, C> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut flag = InPoll {
            counter: &*this.counter,
            polling: true,
        };
        let r = this.fut.poll(cx);
        flag.polling = false;
        drop(flag);
        let out = std::task::ready!(r);
        if let Some(check) = this.check.take() {
            if check(&out) {
                count_opt(this.counter);
            }
        }
        Poll::Ready(out)
    }
}

/// The check of [`Pending::counting`]: any `Err`.
pub(crate) type IsErr<T, E> = fn(&Result<T, E>) -> bool;

impl<H: Holder, F: Future<Output = Result<T, E>>, T, E> Pending<H, F, Result<T, E>> {
    /// Runs the future; counts its panics and an `Err` output.
    #[inline]
    pub fn counting(self) -> Counted<H, F, IsErr<T, E>> {
        self.counting_when(Result::is_err)
    }
}

/// `counting` for a future whose output is not a `Result`: panics only.
pub trait CountingAny<R> {
    /// Runs the future; counts its panics.
    fn counting(self) -> impl Future<Output = R>;
}

impl<H: Holder, F: Future> CountingAny<F::Output> for Pending<H, F, F::Output> {
    #[inline]
    fn counting(self) -> impl Future<Output = F::Output> {
        self.counting_when(|_: &F::Output| false)
    }
}

/// The never-called value that gives a wrapped body its return type:
/// `if false { return typed::<Ret>(loop {}) }`.
#[inline(always)]
pub fn typed<T>(never: std::convert::Infallible) -> T {
    match never {}
}

/// Calls `f`: gives a function body its own `return` target.
#[inline(always)]
pub fn call<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The `TypeId` of `T` with its lifetimes erased (`ParseError<'a>` gives
/// the id of `ParseError<'static>`), so that an error type borrowing from
/// its input can be compared with the `'static` type of `err_type = ..`
/// (`Any` needs `'static`). The trick of the `typeid` crate.
#[allow(unsafe_code)]
fn erased_type_id<T: ?Sized>() -> TypeId {
    trait NonStaticAny {
        fn type_id(&self) -> TypeId
        where
            Self: 'static;
    }
    impl<T: ?Sized> NonStaticAny for PhantomData<T> {
        fn type_id(&self) -> TypeId
        where
            Self: 'static,
        {
            TypeId::of::<T>()
        }
    }
    let phantom = PhantomData::<T>;
    let object: &dyn NonStaticAny = &phantom;
    // SAFETY: only the lifetime bound of the trait object changes; the
    // method called returns a `TypeId` and nothing borrowed from `T`
    // escapes (type ids do not depend on lifetimes).
    let object: &(dyn NonStaticAny + 'static) =
        unsafe { std::mem::transmute::<&dyn NonStaticAny, &(dyn NonStaticAny + 'static)>(object) };
    object.type_id()
}

/// Whether an error is a `X`: the error type itself, or a boxed
/// `dyn Error` holding a `X`. `E` need not be `'static`: an error type
/// borrowing from the input is never a `X` (unless it is `X` with other
/// lifetimes), and is then simply not counted. What `err_type = X`
/// tests.
#[allow(unsafe_code)]
pub fn error_is<X: std::error::Error + 'static, E>(e: &E) -> bool {
    let id = erased_type_id::<E>();
    if id == TypeId::of::<X>() {
        return true;
    }
    // A boxed error of any lifetime: `E` is that box, with the same layout
    // and vtable; only the vtable's type id is read.
    macro_rules! boxed {
        ($($t:ty),*) => {$(
            if id == TypeId::of::<$t>() {
                // SAFETY: `E` is `$t` up to lifetimes (same type id after
                // erasure), so the pointee has that type's layout; `is`
                // reads the concrete type's id through the vtable and
                // nothing borrowed escapes.
                let b = unsafe { &*(e as *const E).cast::<$t>() };
                return b.is::<X>();
            }
        )*};
    }
    boxed!(
        Box<dyn std::error::Error + Send + Sync>,
        Box<dyn std::error::Error + Send>,
        Box<dyn std::error::Error>
    );
    false
}

/// A value a counted closure can return: an `Err` counts as an exception.
///
/// ```
/// use promscribe::Fallible;
/// assert!(Err::<(), i32>(1).is_failure());
/// assert!(!().is_failure());
/// ```
pub trait Fallible {
    /// Whether this value is a failure.
    fn is_failure(&self) -> bool;
}

impl<T, E> Fallible for Result<T, E> {
    fn is_failure(&self) -> bool {
        self.is_err()
    }
}

impl Fallible for () {
    fn is_failure(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_sees_through_boxes() {
        let io = std::io::Error::other("x");
        assert!(error_is::<std::io::Error, _>(&io));
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(std::io::Error::other("y"));
        assert!(error_is::<std::io::Error, _>(&boxed));
        assert!(!error_is::<std::fmt::Error, _>(&boxed));
    }

    #[derive(Debug)]
    struct Borrowed<'a>(&'a str);

    impl std::fmt::Display for Borrowed<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Borrowed<'_> {}

    #[test]
    fn error_is_takes_borrowed_errors() {
        let text = String::from("bad");
        let e = Borrowed(&text);
        assert!(!error_is::<std::io::Error, _>(&e));
        assert!(error_is::<Borrowed<'static>, _>(&e));
        let boxed: Box<dyn std::error::Error + '_> = Box::new(Borrowed(&text));
        assert!(!error_is::<std::io::Error, _>(&boxed));
        let boxed: Box<dyn std::error::Error + '_> = Box::new(std::io::Error::other("z"));
        assert!(error_is::<std::io::Error, _>(&boxed));
    }
}
