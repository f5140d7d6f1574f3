//! Timing and in-progress guards.

use std::sync::Arc;
use std::time::Instant;

use crate::metrics::gauge::Gauge;

/// A metric that records a duration in seconds: a [`Histogram`] or
/// [`Summary`] observes it, a [`Gauge`] is set to it.
///
/// [`Histogram`]: crate::Histogram
/// [`Summary`]: crate::Summary
///
/// ```
/// use promscribe::Observe;
/// promscribe::summary!(S, "s_seconds", "help");
/// S.observe_seconds(0.5);
/// assert_eq!(S.get_sum(), 0.5);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot record a duration",
    label = "a Histogram, Summary or Gauge is needed here",
    note = "#[timed] and start_timer() observe the elapsed seconds into a Histogram or Summary, or set a Gauge"
)]
pub trait Observe {
    /// Records `seconds`.
    fn observe_seconds(&self, seconds: f64);
}

impl<T: Observe + ?Sized> Observe for &T {
    #[inline]
    fn observe_seconds(&self, seconds: f64) {
        (**self).observe_seconds(seconds);
    }
}

impl<T: Observe + ?Sized> Observe for Arc<T> {
    #[inline]
    fn observe_seconds(&self, seconds: f64) {
        (**self).observe_seconds(seconds);
    }
}

/// A running timer: records the elapsed seconds into its metric when
/// dropped, unless [stopped](Timer::stop_and_discard).
///
/// ```
/// promscribe::histogram!(H, "work_seconds", "Work");
/// {
///     let _t = H.start_timer();
///     // ... work ...
/// }
/// assert_eq!(H.get_count(), 1);
/// ```
#[must_use = "the timer records when dropped; binding it to `_` drops it at once"]
#[derive(Debug)]
pub struct Timer<'a, M: Observe + ?Sized> {
    metric: Option<&'a M>,
    start: Instant,
}

impl<'a, M: Observe + ?Sized> Timer<'a, M> {
    pub(crate) fn new(metric: &'a M) -> Self {
        Timer {
            metric: Some(metric),
            start: Instant::now(),
        }
    }

    /// Records now and returns the elapsed seconds.
    ///
    /// ```
    /// promscribe::summary!(S, "s_seconds", "help");
    /// let secs = S.start_timer().observe_duration();
    /// assert_eq!(S.get_sum(), secs);
    /// ```
    pub fn observe_duration(mut self) -> f64 {
        let secs = self.start.elapsed().as_secs_f64();
        if let Some(m) = self.metric.take() {
            m.observe_seconds(secs);
        }
        secs
    }

    /// Stops without recording; returns the elapsed seconds.
    ///
    /// ```
    /// promscribe::summary!(S, "s_seconds", "help");
    /// S.start_timer().stop_and_discard();
    /// assert_eq!(S.get_count(), 0);
    /// ```
    pub fn stop_and_discard(mut self) -> f64 {
        self.metric = None;
        self.start.elapsed().as_secs_f64()
    }
}

impl<M: Observe + ?Sized> Drop for Timer<'_, M> {
    fn drop(&mut self) {
        if let Some(m) = self.metric.take() {
            m.observe_seconds(self.start.elapsed().as_secs_f64());
        }
    }
}

/// Guard of [`Gauge::track_inprogress`]: subtracts one when dropped.
///
/// ```
/// promscribe::gauge!(G, "g", "help");
/// let guard = G.track_inprogress();
/// drop(guard);
/// assert_eq!(G.get(), 0.0);
/// ```
#[must_use = "the gauge goes back down when the guard drops; binding it to `_` drops it at once"]
#[derive(Debug)]
pub struct InProgress<'a> {
    gauge: &'a Gauge,
}

impl<'a> InProgress<'a> {
    pub(crate) fn new(gauge: &'a Gauge) -> Self {
        gauge.inc();
        InProgress { gauge }
    }
}

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}
