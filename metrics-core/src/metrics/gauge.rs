//! [`Gauge`]: a value that goes up and down.

use std::sync::Arc;

use crate::error::MetricError;
use crate::meta::{Meta, Opts};
use crate::metrics::atomic::AtomicF64;
use crate::metrics::family::{push_metric, FamilyMember};
use crate::metrics::liveness::Liveness;
use crate::metrics::meta_ref::MetaRef;
use crate::metrics::timer::{InProgress, Observe, Timer};
use crate::model::{MetricFamily, MetricType};
#[cfg(feature = "multiprocess")]
use crate::multiprocess::metric_values::{self as mp, MetricFiles, Series};
use crate::time::unix_now;
use once_cell::race::OnceBox;

type ValueFn = Box<dyn Fn() -> f64 + Send + Sync>;

/// What few gauges have, behind one pointer: a value function, or (in
/// multiprocess mode) the gauge's value in this process's file.
enum Rare {
    /// The value function of `set_function`.
    Function(ValueFn),
    /// Set by the first update in multiprocess mode (`None`: the gauge
    /// records in memory).
    #[cfg(feature = "multiprocess")]
    Files(std::sync::OnceLock<Option<MetricFiles>>),
}

/// A gauge: a value that can go up and down, be set, track in-progress
/// work, time code, or be read from a function at scrape time.
///
/// ```
/// promscribe::gauge!(IN_PROGRESS, "my_inprogress_requests", "Description of gauge");
///
/// IN_PROGRESS.inc();
/// IN_PROGRESS.dec_by(10.0);
/// IN_PROGRESS.set(4.2);
/// assert_eq!(IN_PROGRESS.get(), 4.2);
/// ```
///
/// # Multiprocess mode
/// With the `multiprocess` feature, once `PROMETHEUS_MULTIPROC_DIR` is
/// set or `multiprocess::init` called, the
/// gauge records into this process's `gauge_<mode>_<pid>.db` from its
/// first update on (carrying its value in memory before): its value lives
/// in the file only. The mode (Python's `multiprocess_mode`: how the
/// processes' values merge, `all` by default) is declared with
/// `gauge!(G, "g", "help", multiprocess_mode = "livesum")` or
/// `Opts::multiprocess_mode`. There:
/// - in the `mostrecent` and `livemostrecent` modes, whose merge keeps the
///   value set last, [`set`](Gauge::set) writes the current time with the
///   value, and `inc`, `dec`, `inc_by`, `dec_by` and
///   [`track_inprogress`](Gauge::track_inprogress) are refused, as Python
///   refuses them: the gauge is unchanged and the refusal logged once (a
///   warning naming the gauge); [`try_inc_by`](Gauge::try_inc_by) returns
///   it as an error;
/// - [`set_function`](Gauge::set_function) is refused (it returns
///   `false`; logged once).
pub struct Gauge {
    meta: MetaRef,
    value: AtomicF64,
    /// The value function, once set, or the file value (one pointer until
    /// then).
    rare: OnceBox<Rare>,
}

impl std::fmt::Debug for Gauge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gauge")
            .field("name", &self.meta.name())
            .field("value", &self.get())
            .finish()
    }
}

impl Gauge {
    #[doc(hidden)]
    pub const fn __from_static(meta: &'static Meta) -> Self {
        Gauge {
            meta: MetaRef::Static(meta),
            value: AtomicF64::zero(),
            rare: OnceBox::new(),
        }
    }

    /// A gauge built at run time.
    ///
    /// ```
    /// let g = promscribe::Gauge::new("job_last_success_unixtime", "Last success").unwrap();
    /// g.set_to_current_time();
    /// assert!(g.get() > 1.6e9);
    /// ```
    pub fn new(name: &str, help: &str) -> Result<Arc<Self>, MetricError> {
        Self::with_opts(Opts::new(name, help))
    }

    /// A gauge built from [`Opts`].
    ///
    /// ```
    /// let g = promscribe::Gauge::with_opts(promscribe::Opts::new("temp", "T").unit("celsius")).unwrap();
    /// assert_eq!(g.name(), "temp_celsius");
    /// ```
    pub fn with_opts(opts: Opts) -> Result<Arc<Self>, MetricError> {
        // A constructor asks the mode afresh: an `init` since is seen now.
        #[cfg(feature = "multiprocess")]
        crate::multiprocess::metric_values::check();
        let meta = opts.into_meta(MetricType::Gauge)?;
        Ok(Arc::new(Gauge {
            meta: MetaRef::Shared(Arc::new(meta)),
            value: AtomicF64::zero(),
            rare: OnceBox::new(),
        }))
    }

    /// The family name; empty for a family's child.
    ///
    /// ```
    /// promscribe::gauge!(G, "g", "help");
    /// assert_eq!(G.name(), "g");
    /// ```
    pub fn name(&self) -> &str {
        self.meta.name()
    }

    /// Adds one.
    ///
    /// ```
    /// promscribe::gauge!(G, "g", "help");
    /// G.inc();
    /// assert_eq!(G.get(), 1.0);
    /// ```
    #[inline]
    pub fn inc(&self) {
        #[cfg(feature = "multiprocess")]
        if mp::on() && self.inc_files(1.0) {
            return;
        }
        self.value.add(1.0);
        self.meta.touch();
    }

    /// Subtracts one.
    ///
    /// ```
    /// promscribe::gauge!(G, "g", "help");
    /// G.dec();
    /// assert_eq!(G.get(), -1.0);
    /// ```
    #[inline]
    pub fn dec(&self) {
        #[cfg(feature = "multiprocess")]
        if mp::on() && self.inc_files(-1.0) {
            return;
        }
        self.value.add(-1.0);
        self.meta.touch();
    }

    /// Adds `v` (which may be negative).
    ///
    /// ```
    /// promscribe::gauge!(G, "g", "help");
    /// G.inc_by(2.5);
    /// assert_eq!(G.get(), 2.5);
    /// ```
    #[inline]
    pub fn inc_by(&self, v: f64) {
        #[cfg(feature = "multiprocess")]
        if mp::on() && self.inc_files(v) {
            return;
        }
        self.value.add(v);
        self.meta.touch();
    }

    /// Subtracts `v`.
    ///
    /// ```
    /// promscribe::gauge!(G, "g", "help");
    /// G.dec_by(2.5);
    /// assert_eq!(G.get(), -2.5);
    /// ```
    #[inline]
    pub fn dec_by(&self, v: f64) {
        #[cfg(feature = "multiprocess")]
        if mp::on() && self.inc_files(-v) {
            return;
        }
        self.value.add(-v);
        self.meta.touch();
    }

    /// Sets the value.
    ///
    /// ```
    /// promscribe::gauge!(G, "g", "help");
    /// G.set(4.2);
    /// assert_eq!(G.get(), 4.2);
    /// ```
    #[inline]
    pub fn set(&self, v: f64) {
        #[cfg(feature = "multiprocess")]
        if mp::on() && self.set_files(v) {
            return;
        }
        self.value.set(v);
        self.meta.touch();
    }

    /// Sets the value to the current Unix time in seconds.
    ///
    /// ```
    /// promscribe::gauge!(G, "g", "help");
    /// G.set_to_current_time();
    /// assert!(G.get() > 1.6e9);
    /// ```
    pub fn set_to_current_time(&self) {
        self.set(unix_now());
    }

    /// Adds `v` (which may be negative), or returns why it was not
    /// recorded: in multiprocess mode, the refusal of a `mostrecent` or
    /// `livemostrecent` gauge, or the file's failure (counted by
    /// `multiprocess::failed_updates`,
    /// not logged). In memory it never fails.
    ///
    /// ```
    /// promscribe::gauge!(G, "queued", "Items queued");
    /// G.try_inc_by(2.0).unwrap();
    /// G.try_inc_by(-1.0).unwrap();
    /// assert_eq!(G.get(), 1.0);
    /// ```
    pub fn try_inc_by(&self, v: f64) -> Result<(), MetricError> {
        #[cfg(feature = "multiprocess")]
        if mp::on() {
            if let Some(files) = self.files() {
                files.try_inc(0, v)?;
                self.meta.touch();
                return Ok(());
            }
        }
        self.value.add(v);
        self.meta.touch();
        Ok(())
    }

    /// The current value (the function's result when one is set).
    ///
    /// ```
    /// promscribe::gauge!(G, "g", "help");
    /// assert_eq!(G.get(), 0.0);
    /// ```
    pub fn get(&self) -> f64 {
        #[cfg(feature = "multiprocess")]
        if mp::check() {
            if let Some(files) = self.files() {
                return files.get(0);
            }
        }
        match self.rare.get() {
            Some(Rare::Function(f)) => f(),
            _ => self.value.get(),
        }
    }

    /// Takes the value from `f`, called at every scrape. Returns `false`
    /// (and keeps the first function) when one was already set.
    ///
    /// Refused in multiprocess mode, where the collecting process could
    /// not call it (Python's client refuses it too): it returns `false`,
    /// and the refusal is logged once for the gauge.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// static QUEUE_LEN: AtomicUsize = AtomicUsize::new(3);
    /// promscribe::gauge!(G, "queue_length", "Items queued");
    /// G.set_function(|| QUEUE_LEN.load(Ordering::Relaxed) as f64);
    /// assert_eq!(G.get(), 3.0);
    /// ```
    pub fn set_function(&self, f: impl Fn() -> f64 + Send + Sync + 'static) -> bool {
        #[cfg(feature = "multiprocess")]
        if mp::check() {
            mp::refuse_once(self.name(), mp::reason::SET_FUNCTION);
            return false;
        }
        self.rare.set(Box::new(Rare::Function(Box::new(f)))).is_ok()
    }

    /// Adds one now and subtracts it when the guard drops, on every exit
    /// path (return, `?`, panic, a dropped future).
    ///
    /// ```
    /// promscribe::gauge!(G, "g", "help");
    /// {
    ///     let _g = G.track_inprogress();
    ///     assert_eq!(G.get(), 1.0);
    /// }
    /// assert_eq!(G.get(), 0.0);
    /// ```
    pub fn track_inprogress(&self) -> InProgress<'_> {
        InProgress::new(self)
    }

    /// Starts a timer that sets the gauge to the elapsed seconds when it
    /// is dropped or [observed](Timer::observe_duration).
    ///
    /// ```
    /// promscribe::gauge!(LAST_RUN, "last_run_seconds", "Duration of the last run");
    /// let t = LAST_RUN.start_timer();
    /// let secs = t.observe_duration();
    /// assert_eq!(LAST_RUN.get(), secs);
    /// ```
    pub fn start_timer(&self) -> Timer<'_, Self> {
        Timer::new(self)
    }

    /// In multiprocess mode, adds `v` to the file (or refuses it, for a
    /// `mostrecent` gauge) and returns `true`; `false` for a gauge that
    /// records in memory.
    #[cfg(feature = "multiprocess")]
    #[cold]
    #[inline(never)]
    fn inc_files(&self, v: f64) -> bool {
        match self.files() {
            Some(files) => {
                files.inc(0, v);
                self.meta.touch();
                true
            }
            None => false,
        }
    }

    /// As [`inc_files`](Self::inc_files), setting the value.
    #[cfg(feature = "multiprocess")]
    #[cold]
    #[inline(never)]
    fn set_files(&self, v: f64) -> bool {
        match self.files() {
            Some(files) => {
                files.set(0, v);
                self.meta.touch();
                true
            }
            None => false,
        }
    }

    /// The gauge's file value in multiprocess mode, made by the first call
    /// (which carries the value held in memory into it); `None` for a
    /// gauge with a value function, or one that records in memory.
    #[cfg(feature = "multiprocess")]
    fn files(&self) -> Option<&MetricFiles> {
        let rare = self
            .rare
            .get_or_init(|| Box::new(Rare::Files(std::sync::OnceLock::new())));
        let Rare::Files(files) = rare else {
            return None;
        };
        files
            .get_or_init(|| {
                let value = self.value.get();
                match &self.meta {
                    MetaRef::Static(meta) => MetricFiles::gauge(meta, Series::Own, value),
                    MetaRef::Shared(meta) => MetricFiles::gauge(meta, Series::Own, value),
                    MetaRef::Child(_) | MetaRef::Overflow(_) => {
                        mp::refuse_once("", mp::reason::LATE_SERIES);
                        None
                    }
                    MetaRef::None => None,
                }
            })
            .as_ref()
    }
}

/// The gauge option of multiprocess mode, beside the gauge (the metadata
/// knows the mode only by its name).
#[cfg(feature = "multiprocess")]
impl crate::meta::Opts {
    /// How the values of this gauge from several processes are merged in
    /// multiprocess mode: Python's `multiprocess_mode`, `all` (every
    /// process's value, labelled with its `pid`) unless set. Refused by
    /// the constructors of other metric types. In the `mostrecent` modes,
    /// `inc` and `dec` are refused (see [`Gauge`](crate::Gauge)). Feature
    /// `multiprocess`.
    ///
    /// ```
    /// use promscribe::multiprocess::GaugeMode;
    /// use promscribe::{Counter, Gauge, Opts};
    ///
    /// let g = Gauge::with_opts(Opts::new("workers", "Busy workers").multiprocess_mode(GaugeMode::LiveSum));
    /// assert!(g.is_ok());
    /// let c = Counter::with_opts(Opts::new("jobs_total", "Jobs").multiprocess_mode(GaugeMode::Max));
    /// assert!(c.is_err());
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "multiprocess")))]
    pub fn multiprocess_mode(mut self, mode: crate::multiprocess::GaugeMode) -> Self {
        self.gauge_mode = Some(mode.as_str());
        self
    }
}

impl Observe for Gauge {
    #[inline]
    fn observe_seconds(&self, seconds: f64) {
        self.set(seconds);
    }
}

impl FamilyMember for Gauge {
    const TYPE: MetricType = MetricType::Gauge;
    type Config = ();

    fn new_child(_: &()) -> Self {
        Gauge {
            meta: MetaRef::child(),
            value: AtomicF64::zero(),
            rare: OnceBox::new(),
        }
    }

    #[cfg(feature = "multiprocess")]
    fn new_child_of(_: &(), family: &crate::metrics::family::Parent<'_>) -> Self {
        let child = Self::new_child(&());
        if let Some(files) = family.files(|meta, series| MetricFiles::gauge(meta, series, 0.0)) {
            let _ = child
                .rare
                .set(Box::new(Rare::Files(std::sync::OnceLock::from(files))));
        }
        child
    }

    fn __liveness(&self) -> Option<&Liveness> {
        self.meta.liveness()
    }

    fn __overflow(mut self, tally: Arc<crate::Counter>) -> Self {
        self.meta = MetaRef::Overflow(tally);
        self
    }

    fn collect_metric(&self, family: &mut MetricFamily, labels: &crate::LabelSet) {
        push_metric(family, labels, crate::Point::Gauge(self.get()));
    }

    fn visit_metric(
        &self,
        labels: &crate::LabelSet,
        _scratch: &mut crate::Point,
        f: &mut impl FnMut(&crate::LabelSet, &crate::Point) -> std::fmt::Result,
    ) -> std::fmt::Result {
        f(labels, &crate::Point::Gauge(self.get()))
    }
}

crate::metrics::family::impl_collector!(Gauge);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_down_set() {
        let g = Gauge::new("g", "h").unwrap();
        g.inc();
        g.inc_by(2.0);
        g.dec();
        g.dec_by(0.5);
        assert_eq!(g.get(), 1.5);
        g.set(-7.0);
        assert_eq!(g.get(), -7.0);
    }

    #[test]
    fn inprogress_is_balanced_on_panic() {
        let g = Gauge::new("g", "h").unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _t = g.track_inprogress();
            assert_eq!(g.get(), 1.0);
            panic!("boom");
        }));
        assert!(r.is_err());
        assert_eq!(g.get(), 0.0);
    }

    #[test]
    fn function_wins_and_is_set_once() {
        let g = Gauge::new("g", "h").unwrap();
        g.set(1.0);
        assert!(g.set_function(|| 42.0));
        assert!(!g.set_function(|| 0.0));
        assert_eq!(g.get(), 42.0);
    }
}
