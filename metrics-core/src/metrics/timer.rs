//! Timing and in-progress guards.

use std::sync::Arc;

use crate::metrics::gauge::Gauge;

/// The clock timers read: a start taken with [`Stopwatch::start`], the
/// seconds since with [`Stopwatch::elapsed_seconds`].
///
/// With the feature `tsc-clock`, on x86-64 and AArch64, it is `quanta`'s: the CPU's time-stamp counter
/// where `quanta` finds it reliable (an invariant TSC with `rdtscp`, or the
/// ARM system counter), calibrated against the OS monotonic clock, a few
/// nanoseconds a read instead of a clock call; on a CPU without a reliable
/// counter `quanta` reads the OS monotonic clock itself. The calibration
/// takes milliseconds, so it runs once on a thread of its own, started by
/// the first timer: timers started before it ends (and on every other
/// target, and without the feature) read [`std::time::Instant`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stopwatch {
    #[cfg(all(
        feature = "tsc-clock",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    Counter(u64),
    Std(std::time::Instant),
}

/// The calibrated counter clock, once ready; the first call starts its
/// calibration on a thread of its own (if no thread can be started, timers
/// keep reading `Instant`).
#[cfg(all(
    feature = "tsc-clock",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[inline]
fn counter_clock() -> Option<&'static quanta::Clock> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::OnceLock;

    static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
    static CALIBRATING: AtomicBool = AtomicBool::new(false);

    #[cold]
    fn calibrate() {
        if !CALIBRATING.swap(true, Ordering::Relaxed) {
            let _ = std::thread::Builder::new()
                .name("promscribe-clock".into())
                .spawn(|| CLOCK.get_or_init(quanta::Clock::new));
        }
    }

    let clock = CLOCK.get();
    if clock.is_none() {
        calibrate();
    }
    clock
}

impl Stopwatch {
    /// Now.
    #[inline]
    pub(crate) fn start() -> Self {
        #[cfg(all(
            feature = "tsc-clock",
            any(target_arch = "x86_64", target_arch = "aarch64")
        ))]
        if let Some(clock) = counter_clock() {
            return Stopwatch::Counter(clock.raw());
        }
        Stopwatch::Std(std::time::Instant::now())
    }

    /// Seconds since the start (zero if the counter reads earlier than
    /// the start, as a TSC read on another core may by a few cycles).
    #[inline]
    pub(crate) fn elapsed_seconds(&self) -> f64 {
        match *self {
            #[cfg(all(
                feature = "tsc-clock",
                any(target_arch = "x86_64", target_arch = "aarch64")
            ))]
            Stopwatch::Counter(start) => match counter_clock() {
                Some(clock) => {
                    // As in `seconds`: from an `i64` (292 years of nanoseconds).
                    let nanos = i64::try_from(clock.delta_as_nanos(start, clock.raw()));
                    nanos.unwrap_or(i64::MAX) as f64 * 1e-9
                }
                // A counter start implies the clock is ready.
                None => 0.0,
            },
            Stopwatch::Std(start) => seconds(start.elapsed()),
        }
    }
}

/// `d` in seconds, as `Duration::as_secs_f64` but with fewer cycles
/// between its input and its result (which may differ in the last bit or
/// two): the nanoseconds are multiplied by 1e-9 instead of divided by 1e9
/// (a division takes about 14 cycles), and the seconds converted from an
/// `i64` (one instruction on x86-64, where a `u64` takes five). What a
/// timer computes after its clock read delays the next clock read: the OS
/// clock read (`clock_gettime` in the vDSO) waits for every earlier
/// instruction to complete (`lfence; rdtsc` or `rdtscp` on x86).
#[inline]
fn seconds(d: std::time::Duration) -> f64 {
    // Past i64::MAX seconds (292 billion years) the seconds saturate.
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    secs as f64 + f64::from(d.subsec_nanos()) * 1e-9
}

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
    start: Stopwatch,
}

impl<'a, M: Observe + ?Sized> Timer<'a, M> {
    pub(crate) fn new(metric: &'a M) -> Self {
        Timer {
            metric: Some(metric),
            start: Stopwatch::start(),
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
        let secs = self.start.elapsed_seconds();
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
        self.start.elapsed_seconds()
    }
}

impl<M: Observe + ?Sized> Drop for Timer<'_, M> {
    fn drop(&mut self) {
        if let Some(m) = self.metric.take() {
            m.observe_seconds(self.start.elapsed_seconds());
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// The timers' clock agrees with the system's monotonic clock over a
    /// sleep: both measure the same interval (the timers' clock is read
    /// first and last, so it sees the longer one), within 1% plus what
    /// lies between the reads. The closest of a few tries is kept, so a
    /// preemption between two reads cannot fail it.
    #[test]
    fn stopwatch_agrees_with_the_system_clock() {
        // Wait for the calibration (bounded by a count of tries), so that
        // the counter clock is the one compared where there is one.
        #[cfg(all(
            feature = "tsc-clock",
            any(target_arch = "x86_64", target_arch = "aarch64")
        ))]
        {
            for _ in 0..2_000 {
                if matches!(Stopwatch::start(), Stopwatch::Counter(_)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            assert!(matches!(Stopwatch::start(), Stopwatch::Counter(_)));
        }
        let mut best = f64::INFINITY;
        let mut last = (0.0, 0.0);
        for _ in 0..5 {
            let ours = Stopwatch::start();
            let system = Instant::now();
            std::thread::sleep(Duration::from_millis(50));
            let system = system.elapsed().as_secs_f64();
            let ours = ours.elapsed_seconds();
            let gap = (ours - system).abs();
            if gap < best {
                best = gap;
                last = (ours, system);
            }
            if gap <= 0.01 * system + 0.000_2 {
                break;
            }
        }
        let (ours, system) = last;
        assert!(system >= 0.05, "{system}");
        assert!(
            best <= 0.01 * system + 0.000_2,
            "stopwatch {ours} s, system clock {system} s"
        );
    }

    /// The conversion without a division agrees with `as_secs_f64` to a
    /// relative 1e-15, from a nanosecond to centuries.
    #[test]
    fn seconds_agree_with_as_secs_f64() {
        for d in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_nanos(999_999_999),
            Duration::from_micros(37),
            Duration::from_millis(5),
            Duration::new(1, 1),
            Duration::new(86_400, 123_456_789),
            Duration::new(u64::from(u32::MAX), 999_999_999),
            Duration::new(u64::MAX / 2, 5),
        ] {
            let (ours, std) = (seconds(d), d.as_secs_f64());
            assert!((ours - std).abs() <= std * 1e-15, "{d:?}: {ours} vs {std}");
        }
    }

    #[test]
    fn stopwatch_is_monotonic_and_starts_near_zero() {
        let s = Stopwatch::start();
        let a = s.elapsed_seconds();
        let b = s.elapsed_seconds();
        assert!(a >= 0.0 && b >= a, "{a} {b}");
    }
}
