//! [`Histogram`]: observations counted in buckets.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::buckets::{Buckets, DEFAULT_BUCKETS};
use crate::error::MetricError;
use crate::meta::{Meta, Opts};
use crate::metrics::atomic::{Created, Observations};
use crate::metrics::family::{push_metric, FamilyMember};
use crate::metrics::liveness::Liveness;
use crate::metrics::meta_ref::MetaRef;
use crate::metrics::native::{Native, NativeConfig, NativeOpts};
use crate::metrics::timer::{Observe, Timer};
use crate::model::{Exemplar, MetricFamily, MetricType, NativeBuckets};
#[cfg(feature = "multiprocess")]
use crate::multiprocess::metric_values::{self as mp, MetricFiles, Series};
use once_cell::race::OnceBox;

#[derive(Debug)]
enum Counts {
    Static(&'static [AtomicU64]),
    Owned(Box<[AtomicU64]>),
    /// A declared native histogram: no counts of its own (its native
    /// state has them), the options its native state is built from on
    /// first use.
    Declared(&'static NativeOpts),
}

impl Counts {
    fn zeroed(n: usize) -> Self {
        Counts::Owned((0..n).map(|_| AtomicU64::new(0)).collect())
    }

    #[inline]
    fn get(&self) -> &[AtomicU64] {
        match self {
            Counts::Static(c) => c,
            Counts::Owned(c) => c,
            Counts::Declared(_) => &[],
        }
    }
}

/// The latest exemplar of one bucket.
type ExemplarSlot = Mutex<Option<Arc<Exemplar>>>;

/// The bucket of `v` among `n` buckets, given `i`, the index of the first
/// bound `>= v`: NaN (and anything past the last finite bound) lands in
/// +Inf.
#[inline]
fn bucket(i: usize, v: f64, n: usize) -> usize {
    if i >= n || v.is_nan() {
        n.saturating_sub(1)
    } else {
        i
    }
}

/// The bounds of a native-only histogram: its one classic bucket, never
/// exposed.
static INF_ONLY: [f64; 1] = [f64::INFINITY];

/// What a histogram is built from: classic buckets, native buckets
/// ([`NativeOpts`]), or both. The configuration of a
/// [`Family`](crate::Family) of histograms, shared by its children.
///
/// ```
/// use promscribe::{Buckets, HistogramConfig, NativeOpts};
/// let classic = HistogramConfig::classic(Buckets::DEFAULT);
/// let both = HistogramConfig::native(Some(Buckets::DEFAULT), NativeOpts::new()).unwrap();
/// assert!(!classic.is_native() && both.is_native());
/// ```
#[derive(Debug, Clone)]
pub struct HistogramConfig {
    classic: Option<Buckets>,
    native: NativeSpec,
}

/// The native buckets of a [`HistogramConfig`].
#[derive(Debug, Clone)]
enum NativeSpec {
    None,
    Checked(Arc<NativeConfig>),
    /// A declared family's options, checked in const (they ask for native
    /// buckets and are valid), made into a configuration by its first
    /// child.
    Declared(&'static NativeOpts, OnceLock<Arc<NativeConfig>>),
}

/// What is wrong with a declared histogram's native options, or `""`.
/// The declaration macros check a const expression with it, in the
/// expansion, so that the build fails at the expression.
#[doc(hidden)]
pub const fn __native_error(native: &NativeOpts) -> &'static str {
    native.const_error()
}

/// The length of a declared histogram's static bucket counts: none when
/// `native` asks for native buckets (whose state has its own), else
/// `classic`, the number of its classic buckets.
#[doc(hidden)]
pub const fn __declared_counts(native: &NativeOpts, classic: usize) -> usize {
    if native.asks_native() {
        0
    } else {
        classic
    }
}

impl HistogramConfig {
    /// Classic buckets only (what histograms had before native ones).
    ///
    /// ```
    /// let c = promscribe::HistogramConfig::classic(promscribe::Buckets::DEFAULT);
    /// ```
    pub const fn classic(buckets: Buckets) -> Self {
        HistogramConfig {
            classic: Some(buckets),
            native: NativeSpec::None,
        }
    }

    /// A declared family's configuration: `native`, checked here (invalid
    /// options fail the build), with classic buckets of these `bounds`
    /// beside it if given; as [`native`](Self::native) otherwise.
    #[doc(hidden)]
    pub const fn __declared(bounds: Option<&'static [f64]>, native: &'static NativeOpts) -> Self {
        let error = native.const_error();
        if !error.is_empty() {
            panic!("{}", error);
        }
        let classic = match bounds {
            Some(b) => Some(Buckets::__from_static(b)),
            None if native.asks_native() => None,
            None => Some(Buckets::DEFAULT),
        };
        let native = if native.asks_native() {
            NativeSpec::Declared(native, OnceLock::new())
        } else {
            NativeSpec::None
        };
        HistogramConfig { classic, native }
    }

    /// Native buckets, with classic ones beside them if `classic` is
    /// given. A bucket factor of 1 or less asks for no native buckets: the
    /// classic buckets, or the default ones (as client_golang). Invalid
    /// options are an error naming the option
    /// ([`MetricError::InvalidNativeOption`]).
    ///
    /// ```
    /// use promscribe::{HistogramConfig, NativeOpts};
    /// assert!(HistogramConfig::native(None, NativeOpts::new()).unwrap().is_native());
    /// let err = HistogramConfig::native(None, NativeOpts::new().bucket_factor(f64::NAN)).unwrap_err();
    /// assert!(err.to_string().contains("bucket_factor"));
    /// ```
    pub fn native(classic: Option<Buckets>, native: NativeOpts) -> Result<Self, MetricError> {
        Self::checked("", classic, native)
    }

    fn checked(
        metric: &str,
        classic: Option<Buckets>,
        native: NativeOpts,
    ) -> Result<Self, MetricError> {
        let native = native.check(metric)?;
        let classic = match (classic, &native) {
            (None, None) => Some(Buckets::DEFAULT),
            (classic, _) => classic,
        };
        let native = match native {
            Some(n) => NativeSpec::Checked(n),
            None => NativeSpec::None,
        };
        Ok(HistogramConfig { classic, native })
    }

    /// The checked native options, if any.
    fn native_config(&self) -> Option<&Arc<NativeConfig>> {
        match &self.native {
            NativeSpec::None => None,
            NativeSpec::Checked(n) => Some(n),
            NativeSpec::Declared(opts, checked) => {
                if let Some(n) = checked.get() {
                    return Some(n);
                }
                // Checked in const by `__declared`: valid, and native.
                let n = opts.check("").ok().flatten()?;
                Some(checked.get_or_init(|| n))
            }
        }
    }

    /// Whether histograms of this configuration have native buckets.
    ///
    /// ```
    /// assert!(!promscribe::HistogramConfig::from(promscribe::Buckets::DEFAULT).is_native());
    /// ```
    pub fn is_native(&self) -> bool {
        !matches!(self.native, NativeSpec::None)
    }
}

impl From<Buckets> for HistogramConfig {
    fn from(buckets: Buckets) -> Self {
        HistogramConfig::classic(buckets)
    }
}

/// What few histograms use, behind one pointer: the exemplar slots of the
/// classic buckets, the native buckets.
#[derive(Debug)]
struct Rare {
    exemplars: OnceBox<Box<[ExemplarSlot]>>,
    native: Option<Native>,
    /// In multiprocess mode, the buckets and sum in this process's file,
    /// set by the first update there (`None`: it records in memory).
    #[cfg(feature = "multiprocess")]
    files: OnceLock<Option<MetricFiles>>,
}

impl Rare {
    fn new(native: Option<Native>) -> Box<Self> {
        Box::new(Rare {
            exemplars: OnceBox::new(),
            native,
            #[cfg(feature = "multiprocess")]
            files: OnceLock::new(),
        })
    }
}

/// The index of the first bound `>= v`, as `partition_point(|b| *b < v)`,
/// found by a scan from the lowest bound. Durations mostly fall in the
/// same few buckets, so the scan's branches are predicted and the index is
/// known before the compares complete, where a binary search's index waits
/// for a chain of dependent compares. That wait costs little alone, but
/// after a timer's clock read it delays the next clock read (which waits
/// for every earlier instruction): about 17 ns of `#[timed]`'s cost, with
/// the default buckets. A duration that reaches the k-th bound lasted at
/// least the bound before, beside which k compares cost nothing. For
/// values spread over many buckets the binary search wins (no mispredicted
/// branch), so `observe` keeps it.
#[inline]
fn scan(bounds: &[f64], v: f64) -> usize {
    bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len())
}

/// A histogram: counts observations in cumulative buckets and sums them.
///
/// Only per-bucket counts are stored; `_count` is their total at scrape
/// time, so `_count` always equals the `+Inf` bucket. A scrape reads the
/// counts and the sum of the same observations, even while other threads
/// observe, and an observation never waits for a scrape. An observation
/// is plain loads and stores into memory only its thread writes (no atomic
/// read-modify-write): the histogram's own for the first thread to
/// observe, a cache-padded stripe per thread once others do (up to twice
/// the CPUs; threads beyond share one more, taken with a compare-exchange),
/// which a scrape adds up.
///
/// In multiprocess mode (feature `multiprocess`), a classic histogram
/// records into this process's `histogram_<pid>.db` from its first
/// observation on, as Python's client does: one value per bucket (not
/// cumulative) and the sum, which the collecting process merges; the
/// counts and sum live in the file only. Exemplars are refused there (the
/// observation is recorded). Native buckets cannot be written to the
/// files: [`with_native`](Histogram::with_native) is refused, and a
/// declared native histogram records in memory only (logged once).
///
/// ```
/// promscribe::histogram!(H, "request_size_bytes", "Description of histogram",
///                          buckets = [100.0, 1000.0]);
/// H.observe(512.0);
/// assert_eq!(H.get_count(), 1);
/// assert_eq!(H.get_sum(), 512.0);
/// ```
#[derive(Debug)]
pub struct Histogram {
    meta: MetaRef,
    buckets: Buckets,
    /// The first shard's counts (a static's are the macro's array).
    counts: Counts,
    /// The sum, the stripes, and what keeps them consistent with `counts`.
    observations: Observations,
    created: Created,
    /// The latest exemplar per bucket, allocated by the first
    /// `observe_with_exemplar`, and the native buckets (with the classic
    /// counts, sum and count of a native histogram: `counts` and
    /// `observations` are then unused), set at construction: a classic
    /// histogram without exemplars pays one pointer.
    rare: OnceBox<Rare>,
}

impl Histogram {
    #[doc(hidden)]
    pub const fn __from_static(
        meta: &'static Meta,
        bounds: &'static [f64],
        counts: &'static [AtomicU64],
    ) -> Self {
        Histogram {
            meta: MetaRef::Static(meta),
            buckets: Buckets::__from_static(bounds),
            counts: Counts::Static(counts),
            observations: Observations::new(),
            created: Created::unset(),
            rare: OnceBox::new(),
        }
    }

    fn with_buckets_meta(meta: MetaRef, buckets: Buckets) -> Self {
        let n = buckets.bounds().len();
        Histogram {
            meta,
            buckets,
            counts: Counts::zeroed(n),
            observations: Observations::new(),
            created: Created::now(),
            rare: OnceBox::new(),
        }
    }

    fn from_config(meta: MetaRef, config: &HistogramConfig) -> Self {
        let Some(native) = config.native_config() else {
            return Self::with_buckets_meta(
                meta,
                config.classic.clone().unwrap_or(Buckets::DEFAULT),
            );
        };
        let (buckets, classic) = match &config.classic {
            Some(b) => (b.clone(), b.bounds().len()),
            None => (Buckets::__from_static(&INF_ONLY), 0),
        };
        Histogram {
            meta,
            buckets,
            counts: Counts::zeroed(0),
            observations: Observations::new(),
            created: Created::now(),
            rare: OnceBox::with_value(Rare::new(Some(Native::new(native.clone(), classic)))),
        }
    }

    /// A declared native histogram (`histogram!(.., native = ..)`):
    /// `native`, checked here (invalid options fail the build), builds its
    /// native state on first use. Options that ask for no native buckets
    /// (a bucket factor of 1 or less) make it classic, with `bounds`, or
    /// the default buckets; `counts` are its counts then
    /// ([`__declared_counts`] long), unused otherwise.
    #[doc(hidden)]
    pub const fn __from_static_native(
        meta: &'static Meta,
        bounds: Option<&'static [f64]>,
        counts: &'static [AtomicU64],
        native: &'static NativeOpts,
    ) -> Self {
        let error = native.const_error();
        if !error.is_empty() {
            panic!("{}", error);
        }
        if !native.asks_native() {
            let bounds = match bounds {
                Some(b) => b,
                None => &DEFAULT_BUCKETS,
            };
            if counts.len() != bounds.len() {
                panic!("the counts of a declared histogram must be as many as its buckets");
            }
            return Self::__from_static(meta, bounds, counts);
        }
        Histogram {
            meta: MetaRef::Static(meta),
            buckets: Buckets::__from_static(match bounds {
                Some(b) => b,
                None => &INF_ONLY,
            }),
            counts: Counts::Declared(native),
            observations: Observations::new(),
            created: Created::unset(),
            rare: OnceBox::new(),
        }
    }

    /// The native buckets, if any.
    #[inline]
    fn native(&self) -> Option<&Native> {
        match self.rare.get() {
            Some(r) => r.native.as_ref(),
            None => match self.counts {
                Counts::Declared(opts) => self.declared_native(opts),
                _ => None,
            },
        }
    }

    /// The native state of a declared native histogram, built on first
    /// use.
    #[cold]
    #[inline(never)]
    fn declared_native(&self, opts: &'static NativeOpts) -> Option<&Native> {
        // Checked in const by `__from_static_native`: valid, and native.
        let config = opts.check(self.name()).ok().flatten()?;
        let classic = if std::ptr::eq(self.buckets.bounds(), &INF_ONLY[..]) {
            0
        } else {
            self.buckets.bounds().len()
        };
        let rare = self
            .rare
            .get_or_init(|| Rare::new(Some(Native::new(config, classic))));
        rare.native.as_ref()
    }

    /// Whether this histogram has classic buckets (all but native-only
    /// ones).
    fn has_classic(&self) -> bool {
        self.native().is_none() || !std::ptr::eq(self.buckets.bounds(), &INF_ONLY[..])
    }

    /// A histogram with the default buckets, built at run time.
    ///
    /// ```
    /// let h = promscribe::Histogram::new("latency_seconds", "Latency").unwrap();
    /// h.observe(0.2);
    /// assert_eq!(h.get_count(), 1);
    /// ```
    pub fn new(name: &str, help: &str) -> Result<Arc<Self>, MetricError> {
        Self::with_opts(Opts::new(name, help), Buckets::DEFAULT)
    }

    /// A histogram from [`Opts`] and [`Buckets`].
    ///
    /// ```
    /// use promscribe::{Buckets, Histogram, Opts};
    /// let h = Histogram::with_opts(Opts::new("size", "Size").unit("bytes"),
    ///                              Buckets::exponential(64.0, 4.0, 5).unwrap()).unwrap();
    /// assert_eq!(h.name(), "size_bytes");
    /// ```
    pub fn with_opts(opts: Opts, buckets: Buckets) -> Result<Arc<Self>, MetricError> {
        // A constructor asks the mode afresh: an `init` since is seen now.
        #[cfg(feature = "multiprocess")]
        crate::multiprocess::metric_values::check();
        let meta = opts.into_meta(MetricType::Histogram)?;
        Ok(Arc::new(Self::with_buckets_meta(
            MetaRef::Shared(Arc::new(meta)),
            buckets,
        )))
    }

    /// A histogram with native buckets (Prometheus' native histograms, as
    /// client_golang observes them), and classic buckets beside them if
    /// `classic` is given; see [`NativeOpts`]. A bucket factor of 1 or
    /// less makes it classic only (with the default buckets when `classic`
    /// is `None`). Invalid options are an error naming the option.
    ///
    /// ```
    /// use promscribe::{Buckets, Histogram, NativeOpts, Opts};
    /// let h = Histogram::with_native(Opts::new("latency_seconds", "Latency"),
    ///                                Some(Buckets::DEFAULT), NativeOpts::new()).unwrap();
    /// h.observe(0.3);
    /// h.start_timer().observe_duration();
    /// assert_eq!(h.get_count(), 2);
    /// let bad = NativeOpts::new().max_zero_threshold(-1.0);
    /// let err = Histogram::with_native(Opts::new("x", "x"), None, bad).unwrap_err();
    /// assert!(err.to_string().contains("max_zero_threshold"), "{err}");
    /// ```
    ///
    /// Refused in multiprocess mode (the files cannot carry native
    /// buckets): the error is `MetricError::Multiprocess`, and it is
    /// logged once.
    pub fn with_native(
        opts: Opts,
        classic: Option<Buckets>,
        native: NativeOpts,
    ) -> Result<Arc<Self>, MetricError> {
        let config = HistogramConfig::checked(&opts.name, classic, native)?;
        #[cfg(feature = "multiprocess")]
        if mp::check() && config.is_native() {
            mp::refuse_once(&opts.name, mp::reason::NATIVE);
            return Err(mp::refused(&opts.name, mp::reason::NATIVE));
        }
        let meta = opts.into_meta(MetricType::Histogram)?;
        Ok(Arc::new(Self::from_config(
            MetaRef::Shared(Arc::new(meta)),
            &config,
        )))
    }

    /// The family name; empty for a family's child.
    ///
    /// ```
    /// promscribe::histogram!(H, "h_seconds", "help");
    /// assert_eq!(H.name(), "h_seconds");
    /// ```
    pub fn name(&self) -> &str {
        self.meta.name()
    }

    /// Records one observation.
    ///
    /// ```
    /// promscribe::histogram!(H, "h_seconds", "help");
    /// H.observe(4.7);
    /// assert_eq!(H.get_sum(), 4.7);
    /// ```
    #[inline]
    pub fn observe(&self, v: f64) {
        self.observe_at(v);
    }

    /// Counts `v` in its bucket and returns the bucket's index.
    #[inline]
    fn observe_at(&self, v: f64) -> usize {
        #[cfg(feature = "multiprocess")]
        if mp::on() {
            if let Some(i) = self.observe_files(v) {
                return i;
            }
        }
        let bounds = self.buckets.bounds();
        // A binary search: no branch to mispredict, whatever the values.
        let i = bucket(bounds.partition_point(|b| *b < v), v, bounds.len());
        match self.native() {
            None => self.observations.observe(self.counts.get(), i, v),
            Some(native) => native.observe(v, i),
        }
        self.meta.touch();
        i
    }

    /// Counts a duration in its bucket, found by [`scan`]: what timers and
    /// `#[timed]` record.
    #[inline]
    fn observe_duration(&self, seconds: f64) {
        #[cfg(feature = "multiprocess")]
        if mp::on() && self.observe_files(seconds).is_some() {
            return;
        }
        let bounds = self.buckets.bounds();
        let i = bucket(scan(bounds, seconds), seconds, bounds.len());
        match self.native() {
            None => self.observations.observe(self.counts.get(), i, seconds),
            Some(native) => native.observe(seconds, i),
        }
        self.meta.touch();
    }

    /// Records one observation and keeps an exemplar for it (e.g. the
    /// trace id of the request) as the latest of its bucket, exposed with
    /// the `_bucket` sample in formats that carry exemplars (OpenMetrics).
    /// Exemplar label names must be valid and distinct, names plus values
    /// at most 128 characters in all (the OpenMetrics limit). The
    /// observation is recorded whatever the exemplar (as Python's and Go's
    /// clients do): an invalid exemplar is refused with
    /// [`MetricError::ExemplarRefused`](crate::MetricError::ExemplarRefused),
    /// which says the value counted. Not for the hottest paths: it
    /// allocates the exemplar and takes a short lock.
    ///
    /// In multiprocess mode the observation is recorded and the exemplar
    /// refused (the files keep none): the error is `ExemplarRefused`, and
    /// the refusal is logged once for the histogram.
    ///
    /// ```
    /// let h = promscribe::Histogram::new("latency_seconds", "Latency").unwrap();
    /// h.observe_with_exemplar(0.3, &[("trace_id", "abc123")]).unwrap();
    /// assert_eq!(h.get_count(), 1);
    /// let long = "x".repeat(129);
    /// let err = h.observe_with_exemplar(0.3, &[("t", &long)]).unwrap_err();
    /// assert!(err.to_string().contains("more than the 128 allowed"));
    /// assert!(err.to_string().contains("recorded 0.3"));
    /// assert_eq!(h.get_count(), 2); // observed, without the exemplar
    /// ```
    pub fn observe_with_exemplar(
        &self,
        v: f64,
        labels: &[(&str, &str)],
    ) -> Result<(), MetricError> {
        let i = self.observe_at(v);
        #[cfg(feature = "multiprocess")]
        if let Some(files) = self.recording() {
            files.refuse_exemplar();
            return Err(MetricError::ExemplarRefused {
                metric: files.metric().to_owned(),
                value: v,
                reason: mp::reason::EXEMPLAR.to_owned(),
            });
        }
        let mut exemplar =
            Exemplar::checked(self.name(), labels, v).map_err(|e| e.exemplar_refused(v))?;
        let native = self.native();
        if let Some(native) = native {
            exemplar.timestamp = Some(native.now());
        }
        let exemplar = Arc::new(exemplar);
        if let Some(native) = native {
            native.add_exemplar(exemplar.clone());
        }
        if !self.has_classic() {
            return Ok(());
        }
        let rare = self.rare.get_or_init(|| Rare::new(None));
        let slots = rare.exemplars.get_or_init(|| {
            Box::new(
                (0..self.buckets.bounds().len())
                    .map(|_| Mutex::new(None))
                    .collect(),
            )
        });
        if let Some(slot) = slots.get(i) {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(exemplar);
        }
        Ok(())
    }

    /// The latest exemplar of each bucket (empty when there never was one).
    /// Fills everything of `point` but its bounds (which the caller has
    /// set to this histogram's): cumulative counts, count, sum, created,
    /// exemplars, reusing the vectors' capacity.
    fn fill_point(&self, point: &mut crate::HistogramPoint) {
        // Per-bucket counts and the sum of the same observations, then
        // made cumulative in place.
        #[cfg(feature = "multiprocess")]
        let files = mp::check().then(|| self.files()).flatten();
        #[cfg(not(feature = "multiprocess"))]
        let files: Option<std::convert::Infallible> = None;
        let (sum, count, created) = match (files, self.native()) {
            #[cfg(feature = "multiprocess")]
            (Some(files), _) => {
                point.native = None;
                let sum = files.read_histogram(self.buckets.bounds().len(), &mut point.counts);
                (sum, None, self.created.get())
            }
            (_, None) => {
                point.native = None;
                let sum = self.observations.read(self.counts.get(), &mut point.counts);
                (sum, None, self.created.get())
            }
            (_, Some(native)) => {
                let nb = point.native.get_or_insert_with(|| {
                    Box::new(NativeBuckets {
                        schema: 0,
                        zero_threshold: 0.0,
                        zero_count: 0,
                        positive: Vec::new(),
                        negative: Vec::new(),
                        exemplars: Vec::new(),
                    })
                });
                let snap = native.read(&mut point.counts, nb);
                (snap.sum, Some(snap.count as f64), snap.created)
            }
        };
        let mut acc = 0.0;
        for c in point.counts.iter_mut() {
            acc += *c;
            *c = acc;
        }
        point.count = Some(count.unwrap_or(acc));
        // Python's rule: with a negative bucket the sum is not monotonic,
        // so it is not exposed. A native-only histogram always has one.
        point.sum = (!self.has_classic()
            || self.buckets.bounds().first().is_some_and(|b| *b >= 0.0))
        .then_some(sum);
        point.created = Some(created);
        point.exemplars.clear();
        if let Some(slots) = self.rare.get().and_then(|r| r.exemplars.get()) {
            point.exemplars.extend(
                slots
                    .iter()
                    .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).clone()),
            );
        }
    }

    /// Number of observations.
    ///
    /// ```
    /// promscribe::histogram!(H, "h_seconds", "help");
    /// assert_eq!(H.get_count(), 0);
    /// ```
    pub fn get_count(&self) -> u64 {
        #[cfg(feature = "multiprocess")]
        if let Some(files) = mp::check().then(|| self.files()).flatten() {
            let mut counts = Vec::new();
            files.read_histogram(self.buckets.bounds().len(), &mut counts);
            return counts.iter().sum::<f64>() as u64;
        }
        if let Some(native) = self.native() {
            return native.read(&mut Vec::new(), &mut empty_native()).count;
        }
        let mut counts = Vec::new();
        self.observations.read(self.counts.get(), &mut counts);
        counts.iter().sum::<f64>() as u64
    }

    /// Sum of observations.
    ///
    /// ```
    /// promscribe::histogram!(H, "h_seconds", "help");
    /// assert_eq!(H.get_sum(), 0.0);
    /// ```
    pub fn get_sum(&self) -> f64 {
        #[cfg(feature = "multiprocess")]
        if let Some(files) = mp::check().then(|| self.files()).flatten() {
            return files.get(self.buckets.bounds().len());
        }
        if let Some(native) = self.native() {
            return native.read(&mut Vec::new(), &mut empty_native()).sum;
        }
        self.observations.read(self.counts.get(), &mut Vec::new())
    }

    /// The classic bucket bounds (`[+Inf]` alone for a native-only
    /// histogram, which exposes none).
    ///
    /// ```
    /// promscribe::histogram!(H, "h_seconds", "help", buckets = [1.0, 2.0]);
    /// assert_eq!(H.buckets().bounds(), &[1.0, 2.0, f64::INFINITY]);
    /// ```
    pub fn buckets(&self) -> &Buckets {
        &self.buckets
    }

    /// Starts a timer that observes the elapsed seconds when dropped.
    ///
    /// ```
    /// promscribe::histogram!(H, "h_seconds", "help");
    /// H.start_timer().observe_duration();
    /// assert_eq!(H.get_count(), 1);
    /// ```
    pub fn start_timer(&self) -> Timer<'_, Self> {
        Timer::new(self)
    }

    /// In multiprocess mode, counts `v` in its bucket's file value and
    /// adds it to the sum's (in Python's order: the sum first); the
    /// bucket's index, or `None` for a histogram that records in memory.
    #[cfg(feature = "multiprocess")]
    #[cold]
    #[inline(never)]
    fn observe_files(&self, v: f64) -> Option<usize> {
        let files = self.files()?;
        let bounds = self.buckets.bounds();
        let i = bucket(bounds.partition_point(|b| *b < v), v, bounds.len());
        files.inc(bounds.len(), v);
        files.inc(i, 1.0);
        self.meta.touch();
        Some(i)
    }

    /// The file values, if the metric records into them already.
    #[cfg(feature = "multiprocess")]
    fn recording(&self) -> Option<&MetricFiles> {
        self.rare.get()?.files.get()?.as_ref()
    }

    /// The histogram's file values in multiprocess mode, made by the first
    /// call (which carries the counts and sum held in memory into them);
    /// `None` for a native histogram (refused: logged once) and a series
    /// that records in memory.
    #[cfg(feature = "multiprocess")]
    fn files(&self) -> Option<&MetricFiles> {
        if let Some(files) = self.rare.get().and_then(|r| r.files.get()) {
            return files.as_ref();
        }
        // The native state first (a declared native histogram builds it
        // now), so that it is never mistaken for a classic one.
        let native = self.native().is_some();
        let rare = self.rare.get_or_init(|| Rare::new(None));
        rare.files
            .get_or_init(|| {
                let meta = match &self.meta {
                    MetaRef::Static(meta) => &**meta,
                    MetaRef::Shared(meta) => &**meta,
                    MetaRef::Child(_) | MetaRef::Overflow(_) => {
                        mp::refuse_once("", mp::reason::LATE_SERIES);
                        return None;
                    }
                    MetaRef::None => return None,
                };
                if native {
                    mp::refuse_once(meta.name(), mp::reason::NATIVE);
                    return None;
                }
                let mut counts = Vec::new();
                let sum = self.observations.read(self.counts.get(), &mut counts);
                MetricFiles::histogram(meta, Series::Own, self.buckets.bounds(), &counts, sum)
            })
            .as_ref()
    }
}

/// An empty native part, for reads that want the count or the sum only.
fn empty_native() -> NativeBuckets {
    NativeBuckets {
        schema: 0,
        zero_threshold: 0.0,
        zero_count: 0,
        positive: Vec::new(),
        negative: Vec::new(),
        exemplars: Vec::new(),
    }
}

impl Histogram {
    /// The bounds of this histogram's points: none for a native-only one.
    fn point_bounds(&self) -> crate::Bounds {
        if self.has_classic() {
            crate::Bounds::from(self.buckets.clone())
        } else {
            crate::Bounds::from(Vec::new())
        }
    }

    fn point_bounds_slice(&self) -> &[f64] {
        if self.has_classic() {
            self.buckets.bounds()
        } else {
            &[]
        }
    }
}

impl Observe for Histogram {
    /// As [`observe`](Histogram::observe), with the bucket found by a scan
    /// from the lowest bound rather than a binary search: faster when the
    /// observations keep to a few buckets, as durations do.
    #[inline]
    fn observe_seconds(&self, seconds: f64) {
        self.observe_duration(seconds);
    }
}

impl FamilyMember for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
    type Config = HistogramConfig;

    fn new_child(config: &HistogramConfig) -> Self {
        Self::from_config(MetaRef::child(), config)
    }

    #[cfg(feature = "multiprocess")]
    fn new_child_of(config: &HistogramConfig, family: &crate::metrics::family::Parent<'_>) -> Self {
        let child = Self::from_config(MetaRef::child(), config);
        let files = family.files(|meta, series| {
            if child.native().is_some() {
                mp::refuse_once(meta.name(), mp::reason::NATIVE);
                return None;
            }
            MetricFiles::histogram(meta, series, child.buckets.bounds(), &[], 0.0)
        });
        if let Some(files) = files {
            let rare = child.rare.get_or_init(|| Rare::new(None));
            let _ = rare.files.set(files);
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
        let mut point = crate::HistogramPoint {
            bounds: self.point_bounds(),
            counts: Vec::new(),
            count: None,
            sum: None,
            created: None,
            exemplars: Vec::new(),
            native: None,
        };
        self.fill_point(&mut point);
        push_metric(family, labels, crate::Point::Histogram(point));
    }

    /// Refills `scratch` in place when it is already a histogram point
    /// (the counts and exemplars keep their capacity, the bounds are
    /// shared), so that consecutive children allocate nothing.
    fn visit_metric(
        &self,
        labels: &crate::LabelSet,
        scratch: &mut crate::Point,
        f: &mut impl FnMut(&crate::LabelSet, &crate::Point) -> std::fmt::Result,
    ) -> std::fmt::Result {
        match &mut *scratch {
            crate::Point::Histogram(point) => {
                let bounds = self.point_bounds_slice();
                let same = point.bounds.as_slice().as_ptr() == bounds.as_ptr()
                    && point.bounds.as_slice().len() == bounds.len();
                if !same {
                    point.bounds = self.point_bounds();
                }
                self.fill_point(point);
            }
            other => {
                let mut point = crate::HistogramPoint {
                    bounds: self.point_bounds(),
                    counts: Vec::new(),
                    count: None,
                    sum: None,
                    created: None,
                    exemplars: Vec::new(),
                    native: None,
                };
                self.fill_point(&mut point);
                *other = crate::Point::Histogram(point);
            }
        }
        f(labels, scratch)
    }
}

crate::metrics::family::impl_collector!(Histogram);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_exemplar_keeps_the_observation() {
        let h =
            Histogram::with_opts(Opts::new("h", "h"), Buckets::new([1.0, 2.0]).unwrap()).unwrap();
        h.observe_with_exemplar(1.5, &[("trace_id", "kept")])
            .unwrap();
        let bad: [&[(&str, &str)]; 2] = [&[("__reserved", "x")], &[("a", "1"), ("a", "2")]];
        for labels in bad {
            let err = h.observe_with_exemplar(1.5, labels).unwrap_err();
            assert!(
                matches!(err, MetricError::ExemplarRefused { value, .. } if value == 1.5),
                "{err}"
            );
        }
        let long = "x".repeat(200);
        let err = h.observe_with_exemplar(0.5, &[("a", &long)]).unwrap_err();
        assert!(err.to_string().contains("recorded 0.5"), "{err}");
        assert_eq!(h.get_count(), 4);
        assert_eq!(h.get_sum(), 5.0);
        // The bucket of 1.5 keeps the valid exemplar; 0.5's bucket has none.
        let mut out = Vec::new();
        crate::collector::Collector::collect(&*h, &mut out);
        let samples = out[0].samples();
        let bucket = |le: &str| {
            samples
                .iter()
                .find(|s| {
                    s.name == "h_bucket" && s.labels.iter().any(|(k, v)| k == "le" && v == le)
                })
                .unwrap()
        };
        assert!(bucket("1.0").exemplar.is_none());
        assert_eq!(bucket("2.0").exemplar.as_ref().unwrap().labels[0].1, "kept");
    }

    #[test]
    fn observations_land_in_the_right_bucket() {
        let h =
            Histogram::with_opts(Opts::new("h", "h"), Buckets::new([1.0, 2.0]).unwrap()).unwrap();
        for v in [0.5, 1.0, 1.5, 2.0, 3.0, f64::NAN] {
            h.observe(v);
        }
        let mut c = Vec::new();
        let sum = h.observations.read(h.counts.get(), &mut c);
        assert_eq!(c, [2.0, 2.0, 2.0]);
        assert!(sum.is_nan());
        assert_eq!(h.get_count(), 6);
    }

    /// Two threads observing one histogram at once: one writes the first
    /// shard, the other moves the histogram to stripes, and nothing
    /// observed is lost on the way (before, during or after the switch).
    #[test]
    fn contention_moves_observations_to_stripes_and_loses_none() {
        let h =
            Histogram::with_opts(Opts::new("h", "h"), Buckets::new([1.0, 2.0]).unwrap()).unwrap();
        const EACH: u64 = 200_000;
        let start = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            for v in [0.5, 1.5] {
                let (h, start) = (&h, &start);
                s.spawn(move || {
                    start.wait();
                    for _ in 0..EACH {
                        h.observe(v);
                    }
                });
            }
        });
        let mut c = Vec::new();
        let sum = h.observations.read(h.counts.get(), &mut c);
        assert_eq!(c, [EACH as f64, EACH as f64, 0.0]);
        assert_eq!(sum, EACH as f64 * 2.0);
        assert_eq!(h.get_count(), 2 * EACH);
        assert!(h.observations.striped());
        h.observe(3.0);
        assert_eq!(h.get_count(), 2 * EACH + 1);
    }

    /// The scan of durations finds the bucket the binary search finds, for
    /// few and many bounds, values on, between and beyond the bounds,
    /// infinities and NaN.
    #[test]
    fn durations_land_in_the_bucket_observe_finds() {
        let short = Buckets::new([0.005, 0.01, 0.025]).unwrap();
        let long = Buckets::exponential(0.001, 1.5, 40).unwrap();
        for buckets in [short, long, Buckets::DEFAULT] {
            let bounds = buckets.bounds();
            let mut values = vec![f64::NEG_INFINITY, -1.0, -0.0, 0.0, f64::INFINITY, f64::NAN];
            for b in bounds.iter().filter(|b| b.is_finite()) {
                values.extend([*b, b.next_down(), b.next_up(), b * 0.5, b * 2.0]);
            }
            let counts: Vec<AtomicU64> = bounds.iter().map(|_| AtomicU64::new(0)).collect();
            for v in values {
                let binary = bucket(bounds.partition_point(|b| *b < v), v, counts.len());
                assert_eq!(
                    bucket(scan(bounds, v), v, counts.len()),
                    binary,
                    "{v} in {bounds:?}"
                );
            }
            let by_observe = Histogram::with_opts(Opts::new("a", "a"), buckets.clone()).unwrap();
            let by_timer = Histogram::with_opts(Opts::new("b", "b"), buckets.clone()).unwrap();
            for v in [0.0, 0.0007, 0.004, 0.2, 3.0, 1e9, f64::NAN] {
                by_observe.observe(v);
                by_timer.observe_seconds(v);
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            by_observe
                .observations
                .read(by_observe.counts.get(), &mut a);
            by_timer.observations.read(by_timer.counts.get(), &mut b);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn bucket_validation() {
        assert!(Buckets::new([1.0, 1.0]).is_err());
        assert!(Buckets::new([f64::NAN]).is_err());
        let b = Buckets::new([1.0, f64::INFINITY]).unwrap();
        assert_eq!(b.bounds().len(), 2);
        assert!(Buckets::new([]).is_err());
        assert!(Buckets::new([f64::INFINITY]).is_err());
    }
}
