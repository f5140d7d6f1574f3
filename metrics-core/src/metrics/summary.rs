//! [`Summary`]: count and sum of observations; with quantiles, the
//! configuration of a family of them ([`SummaryConfig`]) and the static a
//! declaration with quantiles becomes ([`DeclaredSummary`]).

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::error::MetricError;
use crate::meta::{Meta, Opts};
use crate::metrics::atomic::{Created, Observations};
use crate::metrics::family::{push_metric, FamilyMember};
use crate::metrics::liveness::Liveness;
use crate::metrics::meta_ref::MetaRef;
use crate::metrics::quantiles::{Clock, Quantiles, SummaryQuantiles};
use crate::metrics::timer::{Observe, Timer};
use crate::model::{MetricFamily, MetricType};
#[cfg(feature = "multiprocess")]
use crate::multiprocess::metric_values::{self as mp, MetricFiles, Series};

/// A summary: the number and the sum of observations (like Python's
/// client), and, built with [`Summary::with_quantiles`], streaming
/// quantiles over a sliding window (like Go's client, with a proven rank
/// error: see [`SummaryQuantiles`]).
///
/// A scrape reads the count and the sum of the same observations, even
/// while other threads observe; an observation writes memory only its
/// thread writes, as a [`Histogram`](crate::Histogram)'s does.
///
/// In multiprocess mode (feature `multiprocess`), the summary records
/// into this process's `summary_<pid>.db` from its first observation on,
/// as Python's client does: its `_count` and `_sum` live in the file
/// only.
///
/// ```
/// promscribe::summary!(REQUEST_TIME, "request_processing_seconds",
///                        "Time spent processing request");
/// REQUEST_TIME.observe(0.25);
/// assert_eq!(REQUEST_TIME.get_count(), 1);
/// ```
#[derive(Debug)]
pub struct Summary {
    meta: MetaRef,
    /// The first shard's count.
    count: AtomicU64,
    /// The sum, the stripes, and what keeps them consistent with `count`.
    observations: Observations,
    created: Created,
    /// In multiprocess mode, `_count` and `_sum` in this process's file,
    /// set by the first update there (`None`: it records in memory).
    #[cfg(feature = "multiprocess")]
    files: std::sync::OnceLock<Option<MetricFiles>>,
    /// The quantile state, for a summary built with quantiles (which then
    /// records there only; its `_count` and `_sum` count every
    /// observation, as Go's do, while the quantiles cover the window).
    quantiles: Option<Box<Quantiles>>,
}

impl Summary {
    #[doc(hidden)]
    pub const fn __from_static(meta: &'static Meta) -> Self {
        Summary {
            meta: MetaRef::Static(meta),
            count: AtomicU64::new(0),
            observations: Observations::new(),
            created: Created::unset(),
            #[cfg(feature = "multiprocess")]
            files: std::sync::OnceLock::new(),
            quantiles: None,
        }
    }

    fn from_meta(meta: MetaRef) -> Self {
        Summary {
            meta,
            count: AtomicU64::new(0),
            observations: Observations::new(),
            created: Created::now(),
            #[cfg(feature = "multiprocess")]
            files: std::sync::OnceLock::new(),
            quantiles: None,
        }
    }

    /// A summary built at run time.
    ///
    /// ```
    /// let s = promscribe::Summary::new("request_size_bytes", "Size").unwrap();
    /// s.observe(512.0);
    /// assert_eq!(s.get_sum(), 512.0);
    /// ```
    pub fn new(name: &str, help: &str) -> Result<Arc<Self>, MetricError> {
        Self::with_opts(Opts::new(name, help))
    }

    /// A summary built from [`Opts`].
    ///
    /// ```
    /// let s = promscribe::Summary::with_opts(promscribe::Opts::new("rpc", "RPC").unit("seconds")).unwrap();
    /// assert_eq!(s.name(), "rpc_seconds");
    /// ```
    pub fn with_opts(opts: Opts) -> Result<Arc<Self>, MetricError> {
        // A constructor asks the mode afresh: an `init` since is seen now.
        #[cfg(feature = "multiprocess")]
        crate::multiprocess::metric_values::check();
        let meta = opts.into_meta(MetricType::Summary)?;
        Ok(Arc::new(Self::from_meta(MetaRef::Shared(Arc::new(meta)))))
    }

    /// A summary with streaming quantiles over a sliding window: Go's
    /// client's `Objectives`, `MaxAge` and `AgeBuckets` semantics (Python's
    /// client has no quantiles), as the quantile options of
    /// [`summary!`](crate::summary!) declare one. `_count` and `_sum` count
    /// every observation; the quantiles, the window's. In multiprocess
    /// mode it is refused (`MetricError::Multiprocess`).
    ///
    /// ```
    /// use promscribe::{Opts, Summary, SummaryQuantiles};
    /// let q = SummaryQuantiles::new(&SummaryQuantiles::DEFAULT_OBJECTIVES).unwrap();
    /// let s = Summary::with_quantiles(Opts::new("rpc_seconds", "RPC"), q).unwrap();
    /// for i in 1..=100 {
    ///     s.observe(i as f64);
    /// }
    /// assert_eq!(s.get_count(), 100);
    /// let median = s.get_quantiles()[0].1;
    /// assert!((45.0..=55.0).contains(&median));
    /// ```
    pub fn with_quantiles(
        opts: Opts,
        quantiles: SummaryQuantiles,
    ) -> Result<Arc<Self>, MetricError> {
        Self::with_quantiles_clock(opts, quantiles, Clock::Monotonic)
    }

    /// [`Summary::with_quantiles`] with a clock the caller moves (in
    /// nanoseconds): for tests of the window.
    #[doc(hidden)]
    pub fn __with_quantiles_manual_clock(
        opts: Opts,
        quantiles: SummaryQuantiles,
        clock: Arc<AtomicU64>,
    ) -> Result<Arc<Self>, MetricError> {
        Self::with_quantiles_clock(opts, quantiles, Clock::Manual(clock))
    }

    fn with_quantiles_clock(
        opts: Opts,
        quantiles: SummaryQuantiles,
        clock: Clock,
    ) -> Result<Arc<Self>, MetricError> {
        #[cfg(feature = "multiprocess")]
        if crate::multiprocess::metric_values::check() {
            return Err(MetricError::Multiprocess {
                metric: opts.name,
                reason: "summary quantiles are not kept in multiprocess mode".into(),
            });
        }
        let meta = opts.into_meta(MetricType::Summary)?;
        let mut s = Self::from_meta(MetaRef::Shared(Arc::new(meta)));
        s.quantiles = Some(Box::new(Quantiles::new(quantiles, clock)));
        Ok(Arc::new(s))
    }

    /// The `(quantile, value)` pairs of the window (empty without
    /// quantiles; NaN values for an empty window).
    ///
    /// ```
    /// promscribe::summary!(S, "s_seconds", "help");
    /// assert!(S.get_quantiles().is_empty());
    /// ```
    pub fn get_quantiles(&self) -> Vec<(f64, f64)> {
        self.quantiles
            .as_ref()
            .map(|q| q.read().quantiles)
            .unwrap_or_default()
    }

    /// Observes `v` into the quantile state under its lock, without the
    /// per-thread rings (a mutex per observation, as Go's summary takes):
    /// for benchmarks only. Without quantiles, nothing happens.
    #[doc(hidden)]
    pub fn __observe_locked(&self, v: f64) {
        if let Some(q) = &self.quantiles {
            q.observe_locked(v);
        }
    }

    /// Bytes of the quantile state (0 without quantiles): streams,
    /// per-thread buffers, scratch space.
    #[doc(hidden)]
    pub fn __quantile_bytes(&self) -> usize {
        self.quantiles.as_ref().map_or(0, |q| q.bytes())
    }

    /// The family name; empty for a family's child.
    ///
    /// ```
    /// promscribe::summary!(S, "s_seconds", "help");
    /// assert_eq!(S.name(), "s_seconds");
    /// ```
    pub fn name(&self) -> &str {
        self.meta.name()
    }

    /// Records one observation.
    ///
    /// ```
    /// promscribe::summary!(S, "s_seconds", "help");
    /// S.observe(4.7);
    /// assert_eq!(S.get_sum(), 4.7);
    /// ```
    #[inline]
    pub fn observe(&self, v: f64) {
        #[cfg(feature = "multiprocess")]
        if mp::on() && self.observe_files(v) {
            return;
        }
        match &self.quantiles {
            None => self
                .observations
                .observe(std::slice::from_ref(&self.count), 0, v),
            Some(q) => q.observe(v),
        }
        self.meta.touch();
    }

    /// Number of observations.
    ///
    /// ```
    /// promscribe::summary!(S, "s_seconds", "help");
    /// assert_eq!(S.get_count(), 0);
    /// ```
    pub fn get_count(&self) -> u64 {
        self.read().0 as u64
    }

    /// Sum of observations.
    ///
    /// ```
    /// promscribe::summary!(S, "s_seconds", "help");
    /// assert_eq!(S.get_sum(), 0.0);
    /// ```
    pub fn get_sum(&self) -> f64 {
        self.read().1
    }

    /// The count and the sum: of the file in multiprocess mode.
    fn read(&self) -> (f64, f64) {
        if let Some(q) = &self.quantiles {
            let r = q.read();
            return (r.count as f64, r.sum);
        }
        #[cfg(feature = "multiprocess")]
        if mp::check() {
            if let Some(files) = self.files() {
                return (files.get(0), files.get(1));
            }
        }
        self.observations.read_one(&self.count)
    }

    /// In multiprocess mode, adds one to `_count` and `v` to `_sum` in the
    /// file and returns `true`; `false` for a summary that records in
    /// memory.
    #[cfg(feature = "multiprocess")]
    #[cold]
    #[inline(never)]
    fn observe_files(&self, v: f64) -> bool {
        match self.files() {
            Some(files) => {
                files.inc(0, 1.0);
                files.inc(1, v);
                self.meta.touch();
                true
            }
            None => false,
        }
    }

    /// The summary's file values in multiprocess mode, made by the first
    /// call (which carries the count and sum held in memory into them).
    #[cfg(feature = "multiprocess")]
    fn files(&self) -> Option<&MetricFiles> {
        self.files
            .get_or_init(|| {
                let (count, sum) = self.observations.read_one(&self.count);
                match &self.meta {
                    MetaRef::Static(meta) => MetricFiles::summary(meta, Series::Own, count, sum),
                    MetaRef::Shared(meta) => MetricFiles::summary(meta, Series::Own, count, sum),
                    MetaRef::Child(_) | MetaRef::Overflow(_) => {
                        mp::refuse_once("", mp::reason::LATE_SERIES);
                        None
                    }
                    MetaRef::None => None,
                }
            })
            .as_ref()
    }

    /// Starts a timer that observes the elapsed seconds when dropped.
    ///
    /// ```
    /// promscribe::summary!(S, "s_seconds", "help");
    /// drop(S.start_timer());
    /// assert_eq!(S.get_count(), 1);
    /// ```
    pub fn start_timer(&self) -> Timer<'_, Self> {
        Timer::new(self)
    }
}

impl Observe for Summary {
    #[inline]
    fn observe_seconds(&self, seconds: f64) {
        self.observe(seconds);
    }
}

impl FamilyMember for Summary {
    const TYPE: MetricType = MetricType::Summary;
    type Config = SummaryConfig;

    fn new_child(config: &SummaryConfig) -> Self {
        let mut child = Self::from_meta(MetaRef::child());
        if let Some(q) = config.quantiles() {
            child.quantiles = Some(Box::new(Quantiles::new(q.clone(), Clock::Monotonic)));
        }
        child
    }

    #[cfg(feature = "multiprocess")]
    fn new_child_of(config: &SummaryConfig, family: &crate::metrics::family::Parent<'_>) -> Self {
        let child = Self::new_child(config);
        if child.quantiles.is_some() {
            // Only a declared family gets here in multiprocess mode (the
            // run-time constructor refuses): its children record in memory.
            if mp::check() {
                mp::refuse_once(family.meta.name(), mp::reason::QUANTILES);
                let _ = child.files.set(None);
            }
            return child;
        }
        if let Some(files) =
            family.files(|meta, series| MetricFiles::summary(meta, series, 0.0, 0.0))
        {
            let _ = child.files.set(files);
        }
        child
    }

    fn __liveness(&self) -> Option<&Liveness> {
        self.meta.liveness()
    }

    fn __overflow(mut self, tally: std::sync::Arc<crate::Counter>) -> Self {
        self.meta = MetaRef::Overflow(tally);
        self
    }

    fn collect_metric(&self, family: &mut MetricFamily, labels: &crate::LabelSet) {
        push_metric(family, labels, crate::Point::Summary(self.point()));
    }

    fn visit_metric(
        &self,
        labels: &crate::LabelSet,
        _scratch: &mut crate::Point,
        f: &mut impl FnMut(&crate::LabelSet, &crate::Point) -> std::fmt::Result,
    ) -> std::fmt::Result {
        f(labels, &crate::Point::Summary(self.point()))
    }
}

impl Summary {
    fn point(&self) -> crate::SummaryPoint {
        if let Some(q) = &self.quantiles {
            // Count, sum and quantiles of one state.
            let r = q.read();
            return crate::SummaryPoint {
                count: Some(r.count as f64),
                sum: Some(r.sum),
                quantiles: r.quantiles,
                created: Some(self.created.get()),
            };
        }
        let (count, sum) = self.read();
        crate::SummaryPoint {
            count: Some(count),
            sum: Some(sum),
            quantiles: Vec::new(),
            created: Some(self.created.get()),
        }
    }
}

crate::metrics::family::impl_collector!(Summary);

/// What every summary of a [`Family`](crate::Family) is built from:
/// quantile objectives and their window ([`SummaryQuantiles`]), or none
/// (count and sum only, as Python's client). Each child keeps its own
/// quantile state.
///
/// ```
/// use promscribe::{SummaryConfig, SummaryQuantiles};
/// let plain = SummaryConfig::plain();
/// assert!(plain.quantiles().is_none());
/// let q = SummaryQuantiles::new(&SummaryQuantiles::DEFAULT_OBJECTIVES).unwrap();
/// let with = SummaryConfig::from(q.clone());
/// assert_eq!(with.quantiles(), Some(&q));
/// ```
#[derive(Debug, Clone, Default)]
pub struct SummaryConfig {
    spec: QuantileSpec,
}

/// The quantiles of a [`SummaryConfig`].
#[derive(Debug, Clone, Default)]
enum QuantileSpec {
    #[default]
    None,
    Checked(SummaryQuantiles),
    /// A declared family's options, checked by the declaration macro,
    /// made into a [`SummaryQuantiles`] by its first child.
    Declared(
        &'static DeclaredQuantiles,
        OnceLock<Option<SummaryQuantiles>>,
    ),
}

impl SummaryConfig {
    /// No quantiles: count and sum only.
    ///
    /// ```
    /// assert!(promscribe::SummaryConfig::plain().quantiles().is_none());
    /// ```
    pub const fn plain() -> Self {
        SummaryConfig {
            spec: QuantileSpec::None,
        }
    }

    /// A declared family's quantiles (`summary!(.., labels = [..],
    /// quantiles = [..])`).
    #[doc(hidden)]
    pub const fn __declared(quantiles: &'static DeclaredQuantiles) -> Self {
        SummaryConfig {
            spec: QuantileSpec::Declared(quantiles, OnceLock::new()),
        }
    }

    /// The quantile objectives and window, if any.
    ///
    /// ```
    /// use promscribe::{SummaryConfig, SummaryQuantiles};
    /// let q = SummaryQuantiles::new(&[(0.5, 0.05)]).unwrap();
    /// assert_eq!(SummaryConfig::from(q).quantiles().unwrap().objectives(), &[(0.5, 0.05)]);
    /// ```
    pub fn quantiles(&self) -> Option<&SummaryQuantiles> {
        match &self.spec {
            QuantileSpec::None => None,
            QuantileSpec::Checked(q) => Some(q),
            QuantileSpec::Declared(d, built) => built.get_or_init(|| d.build().ok()).as_ref(),
        }
    }
}

impl From<SummaryQuantiles> for SummaryConfig {
    fn from(quantiles: SummaryQuantiles) -> Self {
        SummaryConfig {
            spec: QuantileSpec::Checked(quantiles),
        }
    }
}

/// The quantile options of a declaration, as written (`quantiles = [..]`,
/// `max_age = ".."`, `age_buckets = ..`), checked by the declaration
/// macro by the rules of [`SummaryQuantiles`], which builds them.
#[doc(hidden)]
#[derive(Debug)]
pub struct DeclaredQuantiles {
    objectives: &'static [(f64, f64)],
    max_age_ms: Option<u64>,
    age_buckets: Option<u32>,
}

impl DeclaredQuantiles {
    #[doc(hidden)]
    pub const fn new(
        objectives: &'static [(f64, f64)],
        max_age_ms: Option<u64>,
        age_buckets: Option<u32>,
    ) -> Self {
        DeclaredQuantiles {
            objectives,
            max_age_ms,
            age_buckets,
        }
    }

    /// The configuration, through the constructors the run-time API uses
    /// (the macro accepts what they accept: an error here is not reached).
    fn build(&self) -> Result<SummaryQuantiles, String> {
        let mut q = SummaryQuantiles::new(self.objectives)?;
        if let Some(ms) = self.max_age_ms {
            q = q.max_age(Duration::from_millis(ms))?;
        }
        if let Some(n) = self.age_buckets {
            q = q.age_buckets(n)?;
        }
        Ok(q)
    }
}

/// The static `summary!` declares when given `quantiles = [...]` (and no
/// labels): a [`Summary`] with quantiles, built on first use, which it
/// dereferences to. Go's client's objectives semantics: see
/// [`SummaryQuantiles`].
///
/// ```
/// promscribe::summary!(RPC, "rpc_duration_seconds", "RPC latency",
///                      quantiles = [(0.5, 0.05), (0.99, 0.001)], max_age = "5m");
/// RPC.observe(0.25);
/// let s: &promscribe::Summary = &RPC;
/// assert_eq!(s.get_count(), 1);
/// assert_eq!(RPC.get_quantiles(), vec![(0.5, 0.25), (0.99, 0.25)]);
/// ```
pub struct DeclaredSummary {
    meta: &'static Meta,
    quantiles: &'static DeclaredQuantiles,
    summary: OnceLock<Summary>,
}

impl std::fmt::Debug for DeclaredSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DeclaredSummary").field(&**self).finish()
    }
}

impl DeclaredSummary {
    #[doc(hidden)]
    pub const fn __from_static(meta: &'static Meta, quantiles: &'static DeclaredQuantiles) -> Self {
        DeclaredSummary {
            meta,
            quantiles,
            summary: OnceLock::new(),
        }
    }

    #[cold]
    #[inline(never)]
    fn build(&self) -> Summary {
        #[cfg_attr(not(feature = "multiprocess"), allow(unused_mut))]
        let mut s = Summary::__from_static(self.meta);
        if let Ok(q) = self.quantiles.build() {
            s.quantiles = Some(Box::new(Quantiles::new(q, Clock::Monotonic)));
            // The multiprocess files keep no quantiles: it records in
            // memory, as a declared native histogram does.
            #[cfg(feature = "multiprocess")]
            if mp::check() {
                mp::refuse_once(self.meta.name(), mp::reason::QUANTILES);
                let _ = s.files.set(None);
            }
        }
        s
    }
}

impl std::ops::Deref for DeclaredSummary {
    type Target = Summary;

    #[inline]
    fn deref(&self) -> &Summary {
        self.summary.get_or_init(|| self.build())
    }
}

impl crate::collector::Collector for DeclaredSummary {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        (**self).collect(out);
    }

    fn describe(&self) -> Vec<crate::model::Descriptor> {
        (**self).describe()
    }

    fn as_stream(&self) -> Option<&dyn crate::collector::StreamFamily> {
        (**self).as_stream()
    }
}

impl Observe for DeclaredSummary {
    #[inline]
    fn observe_seconds(&self, seconds: f64) {
        self.observe(seconds);
    }
}
