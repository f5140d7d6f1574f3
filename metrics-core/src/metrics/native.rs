//! Native (sparse, exponential) histogram buckets, observed as
//! client_golang observes them (`prometheus/histogram.go`): the same
//! bucket keys, bounds tables, zero bucket, handling of NaN and infinities,
//! and the same strategy to limit the number of buckets (reset, widen the
//! zero bucket, halve the resolution).
//!
//! Each thread observes into a stripe of its own with plain loads and
//! stores (no lock, no contended cache line); a stripe has two halves, as
//! client_golang's histogram has hot and cold counts: a scrape swaps a
//! stripe's halves, waits for an observation still writing the former
//! hot one, and adds it to what earlier scrapes drained. Every stripe
//! drained holds whole observations, so the count, sum, zero bucket and
//! buckets a scrape reports agree. Limiting the buckets (reset, wider
//! zero bucket, lower resolution) changes every stripe at once, with the
//! observations stopped at their start for that moment (see
//! [`Native`]). The buckets of a half live in an insert-only hash table
//! of levels allocated on demand, so that nothing moves while an
//! observation may touch it.

use std::sync::atomic::{fence, AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use once_cell::race::OnceBox;

use crate::error::MetricError;
use crate::metrics::atomic::{owned_stripes, thread_slot, AtomicF64};
use crate::model::{Exemplar, NativeBuckets};

/// The finest resolution: each power of two split into 256 buckets.
pub(crate) const SCHEMA_MAX: i32 = 8;
/// The coarsest resolution: each bucket 2^16 times as wide as the one
/// below.
pub(crate) const SCHEMA_MIN: i32 = -4;

/// The default zero threshold, 2^-128 (client_golang's
/// `DefNativeHistogramZeroThreshold`).
const DEFAULT_ZERO_THRESHOLD: f64 = 2.938735877055719e-39;

/// The options of a histogram's native buckets: client_golang's
/// `NativeHistogram…` fields of `HistogramOpts`, with its defaults. Build
/// one with [`NativeOpts::new`] (bucket factor 1.1, schema 3) and change
/// what you need; give it to [`Histogram::with_native`](crate::Histogram::with_native)
/// or [`Family::with_native`](crate::Family::with_native).
///
/// ```
/// use std::time::Duration;
/// use promscribe::{Histogram, NativeOpts, Opts};
/// let native = NativeOpts::new()
///     .bucket_factor(1.1)
///     .max_buckets(160)
///     .min_reset_duration(Duration::from_secs(3600));
/// let h = Histogram::with_native(Opts::new("latency_seconds", "Latency"), None, native).unwrap();
/// h.observe(0.25);
/// assert_eq!(h.get_count(), 1);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct NativeOpts {
    bucket_factor: f64,
    zero_threshold: f64,
    max_buckets: u32,
    min_reset_duration: Duration,
    max_zero_threshold: f64,
    max_exemplars: i32,
    exemplar_ttl: Duration,
    replace_oldest: bool,
    clock: Option<fn() -> f64>,
}

impl Default for NativeOpts {
    fn default() -> Self {
        NativeOpts::new()
    }
}

impl NativeOpts {
    /// client_golang's `NativeHistogramZeroThresholdZero`: as a zero threshold, it makes
    /// the zero bucket count exact zeros only.
    ///
    /// ```
    /// use promscribe::NativeOpts;
    /// let o = NativeOpts::new().zero_threshold(NativeOpts::ZERO_THRESHOLD_ZERO);
    /// ```
    pub const ZERO_THRESHOLD_ZERO: f64 = -1.0;

    /// The default zero threshold, 2^-128 (client_golang's
    /// `DefNativeHistogramZeroThreshold`).
    ///
    /// ```
    /// assert_eq!(promscribe::NativeOpts::DEFAULT_ZERO_THRESHOLD, 2f64.powi(-128));
    /// ```
    pub const DEFAULT_ZERO_THRESHOLD: f64 = DEFAULT_ZERO_THRESHOLD;

    /// The defaults: bucket factor 1.1 (schema 3, 8 buckets per power of
    /// two), zero threshold 2^-128, no bucket limit, up to 10 native
    /// exemplars kept 5 minutes before they may be replaced first.
    ///
    /// ```
    /// let o = promscribe::NativeOpts::new();
    /// assert_eq!(o.schema(), Some(3));
    /// ```
    pub const fn new() -> Self {
        NativeOpts {
            bucket_factor: 1.1,
            zero_threshold: 0.0,
            max_buckets: 0,
            min_reset_duration: Duration::ZERO,
            max_zero_threshold: 0.0,
            max_exemplars: 0,
            exemplar_ttl: Duration::ZERO,
            replace_oldest: false,
            clock: None,
        }
    }

    /// Go's `NativeHistogramBucketFactor`: the largest growth from one
    /// bucket's upper bound to the next. The schema is the largest `n`
    /// from -4 to 8 with `2^(2^-n) <= factor` (`floor(log2(log2(factor)))`
    /// negated, clamped; a factor below `2^(2^-8)` still gives 8). A factor
    /// of 1 or less means no native buckets (the histogram is classic
    /// only, with the default buckets when none are given). NaN is an
    /// error.
    ///
    /// ```
    /// use promscribe::NativeOpts;
    /// assert_eq!(NativeOpts::new().bucket_factor(1.2).schema(), Some(2));
    /// assert_eq!(NativeOpts::new().bucket_factor(4.0).schema(), Some(-1));
    /// assert_eq!(NativeOpts::new().bucket_factor(1.0).schema(), None);
    /// ```
    pub const fn bucket_factor(mut self, factor: f64) -> Self {
        self.bucket_factor = factor;
        self
    }

    /// Go's `NativeHistogramZeroThreshold`: observations with an absolute
    /// value up to this count in the zero bucket. 0 (the default) means
    /// 2^-128 ([`NativeOpts::DEFAULT_ZERO_THRESHOLD`]); a negative value
    /// ([`NativeOpts::ZERO_THRESHOLD_ZERO`]) a zero bucket of exact zeros.
    /// NaN or infinite is an error.
    ///
    /// ```
    /// let o = promscribe::NativeOpts::new().zero_threshold(1e-9);
    /// ```
    pub const fn zero_threshold(mut self, threshold: f64) -> Self {
        self.zero_threshold = threshold;
        self
    }

    /// Go's `NativeHistogramMaxBucketNumber`: once more buckets than this
    /// are populated, the histogram is reset (if the last reset is at
    /// least [`min_reset_duration`](Self::min_reset_duration) ago), else
    /// its zero bucket widened (up to
    /// [`max_zero_threshold`](Self::max_zero_threshold)), else its
    /// resolution halved (down to schema -4). 0 (the default): no limit,
    /// which lets widely spread observations use unbounded memory; 160 is
    /// a common choice.
    ///
    /// ```
    /// let o = promscribe::NativeOpts::new().max_buckets(160);
    /// ```
    pub const fn max_buckets(mut self, max: u32) -> Self {
        self.max_buckets = max;
        self
    }

    /// Go's `NativeHistogramMinResetDuration`: the least time between two
    /// resets by the bucket limit; a widened zero bucket or a reduced
    /// resolution is undone by a reset once this has passed since the last
    /// one. Zero (the default): never reset.
    ///
    /// ```
    /// let o = promscribe::NativeOpts::new().min_reset_duration(std::time::Duration::from_secs(600));
    /// ```
    pub const fn min_reset_duration(mut self, d: Duration) -> Self {
        self.min_reset_duration = d;
        self
    }

    /// Go's `NativeHistogramMaxZeroThreshold`: how far the bucket limit
    /// may widen the zero bucket. 0 (the default): never widened. NaN or
    /// negative is an error.
    ///
    /// ```
    /// let o = promscribe::NativeOpts::new().max_zero_threshold(1e-3);
    /// ```
    pub const fn max_zero_threshold(mut self, max: f64) -> Self {
        self.max_zero_threshold = max;
        self
    }

    /// Go's `NativeHistogramMaxExemplars`: how many exemplars of
    /// `observe_with_exemplar` the native histogram keeps (spread over the
    /// observed values). 0 (the default) means 10; a negative number
    /// none.
    ///
    /// ```
    /// let o = promscribe::NativeOpts::new().max_exemplars(-1); // no native exemplars
    /// ```
    pub const fn max_exemplars(mut self, max: i32) -> Self {
        self.max_exemplars = max;
        self
    }

    /// Go's `NativeHistogramExemplarTTL`: once the native exemplars are
    /// full, the oldest is replaced if it is older than this; otherwise
    /// the older of the two closest in value. Zero (the default) means 5
    /// minutes.
    ///
    /// ```
    /// let o = promscribe::NativeOpts::new().exemplar_ttl(std::time::Duration::from_secs(60));
    /// ```
    pub const fn exemplar_ttl(mut self, ttl: Duration) -> Self {
        self.exemplar_ttl = ttl;
        self
    }

    /// Go's negative `NativeHistogramExemplarTTL`: once the native
    /// exemplars are full, always replace the oldest.
    ///
    /// ```
    /// let o = promscribe::NativeOpts::new().max_exemplars(3).replace_oldest_exemplar();
    /// ```
    pub const fn replace_oldest_exemplar(mut self) -> Self {
        self.replace_oldest = true;
        self
    }

    /// The clock of resets and exemplars (Unix seconds), for tests.
    #[doc(hidden)]
    pub const fn __clock(mut self, clock: fn() -> f64) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The schema these options give (`None`: no native buckets).
    ///
    /// ```
    /// assert_eq!(promscribe::NativeOpts::new().bucket_factor(17.0).schema(), Some(-2));
    /// ```
    pub fn schema(&self) -> Option<i32> {
        (self.bucket_factor > 1.0).then(|| pick_schema(self.bucket_factor))
    }

    /// Whether these options ask for native buckets (a bucket factor
    /// above 1), in const: what [`schema`](Self::schema) is `Some` for.
    pub(crate) const fn asks_native(&self) -> bool {
        self.bucket_factor > 1.0
    }

    /// What is wrong with these options, or `""`: the checks of
    /// [`check`](Self::check), in const, for declared histograms (whose
    /// options fail the build).
    pub(crate) const fn const_error(&self) -> &'static str {
        if self.bucket_factor.is_nan() {
            "invalid native histogram option `bucket_factor`: NaN is not a number"
        } else if !self.zero_threshold.is_finite() {
            "invalid native histogram option `zero_threshold`: it is not finite"
        } else if self.max_zero_threshold.is_nan() || self.max_zero_threshold < 0.0 {
            "invalid native histogram option `max_zero_threshold`: it is not a threshold (NaN or negative)"
        } else {
            ""
        }
    }

    /// Checks the options: `None` when they ask for no native buckets.
    pub(crate) fn check(&self, metric: &str) -> Result<Option<Arc<NativeConfig>>, MetricError> {
        let bad = |option: &'static str, value: f64, reason: &str| {
            Err(MetricError::InvalidNativeOption {
                metric: metric.to_owned(),
                option,
                reason: format!("{value} {reason}"),
            })
        };
        if self.bucket_factor.is_nan() {
            return bad("bucket_factor", self.bucket_factor, "is not a number");
        }
        if !self.zero_threshold.is_finite() {
            return bad("zero_threshold", self.zero_threshold, "is not finite");
        }
        if self.max_zero_threshold.is_nan() || self.max_zero_threshold < 0.0 {
            return bad(
                "max_zero_threshold",
                self.max_zero_threshold,
                "is not a threshold (NaN or negative)",
            );
        }
        let Some(schema) = self.schema() else {
            return Ok(None);
        };
        let zero_threshold = match self.zero_threshold {
            t if t > 0.0 => t,
            0.0 => DEFAULT_ZERO_THRESHOLD,
            _ => 0.0,
        };
        let max_exemplars = match self.max_exemplars {
            0 => 10,
            n => usize::try_from(n).unwrap_or(0),
        };
        let ttl = match self.exemplar_ttl {
            _ if self.replace_oldest => f64::NEG_INFINITY,
            Duration::ZERO => 300.0,
            d => d.as_secs_f64(),
        };
        Ok(Some(Arc::new(NativeConfig {
            schema,
            zero_threshold,
            max_buckets: self.max_buckets,
            min_reset: self.min_reset_duration.as_secs_f64(),
            max_zero_threshold: self.max_zero_threshold,
            max_exemplars,
            exemplar_ttl: ttl,
            clock: self.clock.unwrap_or(crate::time::unix_now),
        })))
    }
}

/// Checked native options, shared by the children of a family.
#[derive(Debug)]
pub(crate) struct NativeConfig {
    schema: i32,
    zero_threshold: f64,
    max_buckets: u32,
    /// Seconds; 0: never reset.
    min_reset: f64,
    max_zero_threshold: f64,
    /// 0: no native exemplars.
    max_exemplars: usize,
    /// Seconds.
    exemplar_ttl: f64,
    clock: fn() -> f64,
}

/// client_golang's `pickSchema`: the largest `n` from -4 to 8 with
/// `2^(2^-n) <= factor`, for a factor above 1.
pub(crate) fn pick_schema(factor: f64) -> i32 {
    let floor = factor.log2().log2().floor();
    if floor <= -8.0 {
        SCHEMA_MAX
    } else if floor >= 4.0 {
        SCHEMA_MIN
    } else {
        // -8 < floor < 4: an integer that fits.
        -(floor as i32)
    }
}

/// Go's `math.Frexp`: `x = frac * 2^exp` with `0.5 <= |frac| < 1`, for
/// normal and subnormal `x`; zero, infinities and NaN come back as they
/// are, with exponent 0.
#[inline]
pub(crate) fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (x, mut exp) = if x.abs() < f64::MIN_POSITIVE {
        // Subnormal: scale into the normal range first (exact).
        (x * (1u64 << 52) as f64, -52)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i32 - 1022;
    // Keep the sign and the mantissa; the exponent field of 0.5.
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, exp)
}

/// The bucket key of `v` (not NaN) at `schema`, as client_golang's
/// `histogramCounts.observe` computes it: bucket `k` holds
/// `(base^(k-1), base^k]`; ±Inf get the key above the one of ±MaxFloat64.
#[inline]
pub(crate) fn bucket_key(v: f64, schema: i32) -> i32 {
    let (v, inf) = if v.is_infinite() {
        (f64::MAX, true)
    } else {
        (v, false)
    };
    let (frac, exp) = frexp(v.abs());
    let mut key = if schema > 0 {
        let bounds = bounds(schema);
        // Go's `sort.SearchFloat64s`: the first bound >= frac.
        bounds.partition_point(|b| *b < frac) as i32 + (exp - 1) * bounds.len() as i32
    } else {
        let mut key = exp;
        if frac == 0.5 {
            key -= 1;
        }
        // Round up (toward +Inf) when dividing by 2^-schema: client_golang
        // truncated toward zero before 1.16 (issue #1279), which put keys
        // <= 0 in the bucket above theirs.
        let offset = (1 << -schema) - 1;
        (key + offset) >> -schema
    };
    if inf {
        key += 1;
    }
    key
}

/// client_golang's `getLe`: the upper bound of bucket `key` at `schema`
/// (the bucket below the one of ±Inf ends at MaxFloat64).
pub(crate) fn bucket_upper_bound(key: i32, schema: i32) -> f64 {
    if schema < 0 {
        let exp = key << -schema;
        if exp == 1024 {
            return f64::MAX;
        }
        return ldexp(1.0, exp);
    }
    let frac_idx = key & ((1 << schema) - 1);
    let frac = if schema == 0 {
        0.5
    } else {
        bounds(schema)
            .get(frac_idx as usize)
            .copied()
            .unwrap_or(0.5)
    };
    let exp = (key >> schema) + 1;
    if frac == 0.5 && exp == 1025 {
        return f64::MAX;
    }
    ldexp(frac, exp)
}

/// `frac * 2^exp` as Go's `math.Ldexp`: exact, but for a subnormal result
/// (rounded once) or an overflow (infinite).
fn ldexp(frac: f64, exp: i32) -> f64 {
    if exp > 1000 {
        frac * pow2(exp - 1000) * pow2(1000)
    } else if exp < -1000 {
        frac * pow2(exp + 1000) * pow2(-1000)
    } else {
        frac * pow2(exp)
    }
}

/// `2^e`, exactly, for `e` from -1074 to 1023 (0 below, infinite above).
fn pow2(e: i32) -> f64 {
    match e {
        1024.. => f64::INFINITY,
        -1022..=1023 => f64::from_bits(((e + 1023) as u64) << 52),
        -1074..=-1023 => f64::from_bits(1 << (e + 1074)),
        _ => 0.0,
    }
}

/// The bounds of the `frac` of `frexp` within one power of two, for a
/// positive schema (1 for anything else).
#[inline]
fn bounds(schema: i32) -> &'static [f64] {
    match schema {
        1 => &BOUNDS_1,
        2 => &BOUNDS_2,
        3 => &BOUNDS_3,
        4 => &BOUNDS_4,
        5 => &BOUNDS_5,
        6 => &BOUNDS_6,
        7 => &BOUNDS_7,
        8 => &BOUNDS_8,
        _ => &[0.5],
    }
}

// client_golang's `nativeHistogramBounds`, copied digit for digit: some
// last digits differ from the correctly rounded `2^(j/2^schema - 1)`, and
// which bucket a value on a bound lands in depends on them.
/// Schema 1: `2^(j/2) / 2` for `j` in `0..2`, digits as in client_golang.
#[allow(clippy::approx_constant, clippy::excessive_precision)]
const BOUNDS_1: [f64; 2] = [0.5, 0.7071067811865475];

/// Schema 2: `2^(j/4) / 2` for `j` in `0..4`, digits as in client_golang.
#[allow(clippy::approx_constant, clippy::excessive_precision)]
const BOUNDS_2: [f64; 4] = [
    0.5,
    0.5946035575013605,
    0.7071067811865475,
    0.8408964152537144,
];

/// Schema 3: `2^(j/8) / 2` for `j` in `0..8`, digits as in client_golang.
#[allow(clippy::approx_constant, clippy::excessive_precision)]
const BOUNDS_3: [f64; 8] = [
    0.5,
    0.5452538663326288,
    0.5946035575013605,
    0.6484197773255048,
    0.7071067811865475,
    0.7711054127039704,
    0.8408964152537144,
    0.9170040432046711,
];

/// Schema 4: `2^(j/16) / 2` for `j` in `0..16`, digits as in client_golang.
#[allow(clippy::approx_constant, clippy::excessive_precision)]
const BOUNDS_4: [f64; 16] = [
    0.5,
    0.5221368912137069,
    0.5452538663326288,
    0.5693943173783458,
    0.5946035575013605,
    0.620928906036742,
    0.6484197773255048,
    0.6771277734684463,
    0.7071067811865475,
    0.7384130729697496,
    0.7711054127039704,
    0.805245165974627,
    0.8408964152537144,
    0.8781260801866495,
    0.9170040432046711,
    0.9576032806985735,
];

/// Schema 5: `2^(j/32) / 2` for `j` in `0..32`, digits as in client_golang.
#[allow(clippy::approx_constant, clippy::excessive_precision)]
const BOUNDS_5: [f64; 32] = [
    0.5,
    0.5109485743270583,
    0.5221368912137069,
    0.5335702003384117,
    0.5452538663326288,
    0.5571933712979462,
    0.5693943173783458,
    0.5818624293887887,
    0.5946035575013605,
    0.6076236799902344,
    0.620928906036742,
    0.6345254785958666,
    0.6484197773255048,
    0.6626183215798706,
    0.6771277734684463,
    0.6919549409819159,
    0.7071067811865475,
    0.7225904034885232,
    0.7384130729697496,
    0.7545822137967112,
    0.7711054127039704,
    0.7879904225539431,
    0.805245165974627,
    0.8228777390769823,
    0.8408964152537144,
    0.8593096490612387,
    0.8781260801866495,
    0.8973545375015533,
    0.9170040432046711,
    0.9370838170551498,
    0.9576032806985735,
    0.9785720620876999,
];

/// Schema 6: `2^(j/64) / 2` for `j` in `0..64`, digits as in client_golang.
#[allow(clippy::approx_constant, clippy::excessive_precision)]
const BOUNDS_6: [f64; 64] = [
    0.5,
    0.5054446430258502,
    0.5109485743270583,
    0.5165124395106142,
    0.5221368912137069,
    0.5278225891802786,
    0.5335702003384117,
    0.5393803988785598,
    0.5452538663326288,
    0.5511912916539204,
    0.5571933712979462,
    0.5632608093041209,
    0.5693943173783458,
    0.5755946149764913,
    0.5818624293887887,
    0.5881984958251406,
    0.5946035575013605,
    0.6010783657263515,
    0.6076236799902344,
    0.6142402680534349,
    0.620928906036742,
    0.6276903785123455,
    0.6345254785958666,
    0.6414350080393891,
    0.6484197773255048,
    0.6554806057623822,
    0.6626183215798706,
    0.6698337620266515,
    0.6771277734684463,
    0.6845012114872953,
    0.6919549409819159,
    0.6994898362691555,
    0.7071067811865475,
    0.7148066691959849,
    0.7225904034885232,
    0.7304588970903234,
    0.7384130729697496,
    0.7464538641456323,
    0.7545822137967112,
    0.762799075372269,
    0.7711054127039704,
    0.7795022001189185,
    0.7879904225539431,
    0.7965710756711334,
    0.805245165974627,
    0.8140137109286738,
    0.8228777390769823,
    0.8318382901633681,
    0.8408964152537144,
    0.8500531768592616,
    0.8593096490612387,
    0.8686669176368529,
    0.8781260801866495,
    0.8876882462632604,
    0.8973545375015533,
    0.9071260877501991,
    0.9170040432046711,
    0.9269895625416926,
    0.9370838170551498,
    0.9472879907934827,
    0.9576032806985735,
    0.9680308967461471,
    0.9785720620876999,
    0.9892280131939752,
];

/// Schema 7: `2^(j/128) / 2` for `j` in `0..128`, digits as in client_golang.
#[allow(clippy::approx_constant, clippy::excessive_precision)]
const BOUNDS_7: [f64; 128] = [
    0.5,
    0.5027149505564014,
    0.5054446430258502,
    0.5081891574554764,
    0.5109485743270583,
    0.5137229745593818,
    0.5165124395106142,
    0.5193170509806894,
    0.5221368912137069,
    0.5249720429003435,
    0.5278225891802786,
    0.5306886136446309,
    0.5335702003384117,
    0.5364674337629877,
    0.5393803988785598,
    0.5423091811066545,
    0.5452538663326288,
    0.5482145409081883,
    0.5511912916539204,
    0.5541842058618393,
    0.5571933712979462,
    0.5602188762048033,
    0.5632608093041209,
    0.5663192597993595,
    0.5693943173783458,
    0.572486072215902,
    0.5755946149764913,
    0.5787200368168754,
    0.5818624293887887,
    0.585021884841625,
    0.5881984958251406,
    0.5913923554921704,
    0.5946035575013605,
    0.5978321960199137,
    0.6010783657263515,
    0.6043421618132907,
    0.6076236799902344,
    0.6109230164863786,
    0.6142402680534349,
    0.6175755319684665,
    0.620928906036742,
    0.6243004885946023,
    0.6276903785123455,
    0.6310986751971253,
    0.6345254785958666,
    0.637970889198196,
    0.6414350080393891,
    0.6449179367033329,
    0.6484197773255048,
    0.6519406325959679,
    0.6554806057623822,
    0.659039800633032,
    0.6626183215798706,
    0.6662162735415805,
    0.6698337620266515,
    0.6734708931164728,
    0.6771277734684463,
    0.6808045103191123,
    0.6845012114872953,
    0.688217985377265,
    0.6919549409819159,
    0.6957121878859629,
    0.6994898362691555,
    0.7032879969095076,
    0.7071067811865475,
    0.7109463010845827,
    0.7148066691959849,
    0.718687998724491,
    0.7225904034885232,
    0.7265139979245261,
    0.7304588970903234,
    0.7344252166684908,
    0.7384130729697496,
    0.7424225829363761,
    0.7464538641456323,
    0.7505070348132126,
    0.7545822137967112,
    0.7586795205991071,
    0.762799075372269,
    0.7669409989204777,
    0.7711054127039704,
    0.7752924388424999,
    0.7795022001189185,
    0.7837348199827764,
    0.7879904225539431,
    0.7922691326262467,
    0.7965710756711334,
    0.8008963778413465,
    0.805245165974627,
    0.8096175675974316,
    0.8140137109286738,
    0.8184337248834821,
    0.8228777390769823,
    0.8273458838280969,
    0.8318382901633681,
    0.8363550898207981,
    0.8408964152537144,
    0.8454623996346523,
    0.8500531768592616,
    0.8546688815502312,
    0.8593096490612387,
    0.8639756154809185,
    0.8686669176368529,
    0.8733836930995842,
    0.8781260801866495,
    0.8828942179666361,
    0.8876882462632604,
    0.8925083056594671,
    0.8973545375015533,
    0.9022270839033115,
    0.9071260877501991,
    0.9120516927035263,
    0.9170040432046711,
    0.9219832844793128,
    0.9269895625416926,
    0.9320230241988943,
    0.9370838170551498,
    0.9421720895161669,
    0.9472879907934827,
    0.9524316709088368,
    0.9576032806985735,
    0.9628029718180622,
    0.9680308967461471,
    0.9732872087896164,
    0.9785720620876999,
    0.9838856116165875,
    0.9892280131939752,
    0.9945994234836328,
];

/// Schema 8: `2^(j/256) / 2` for `j` in `0..256`, digits as in client_golang.
#[allow(clippy::approx_constant, clippy::excessive_precision)]
const BOUNDS_8: [f64; 256] = [
    0.5,
    0.5013556375251013,
    0.5027149505564014,
    0.5040779490592088,
    0.5054446430258502,
    0.5068150424757447,
    0.5081891574554764,
    0.509566998038869,
    0.5109485743270583,
    0.5123338964485679,
    0.5137229745593818,
    0.5151158188430205,
    0.5165124395106142,
    0.5179128468009786,
    0.5193170509806894,
    0.520725062344158,
    0.5221368912137069,
    0.5235525479396449,
    0.5249720429003435,
    0.526395386502313,
    0.5278225891802786,
    0.5292536613972564,
    0.5306886136446309,
    0.5321274564422321,
    0.5335702003384117,
    0.5350168559101208,
    0.5364674337629877,
    0.5379219445313954,
    0.5393803988785598,
    0.5408428074966075,
    0.5423091811066545,
    0.5437795304588847,
    0.5452538663326288,
    0.5467321995364429,
    0.5482145409081883,
    0.549700901315111,
    0.5511912916539204,
    0.5526857228508706,
    0.5541842058618393,
    0.5556867516724088,
    0.5571933712979462,
    0.5587040757836845,
    0.5602188762048033,
    0.5617377836665098,
    0.5632608093041209,
    0.564787964283144,
    0.5663192597993595,
    0.5678547070789026,
    0.5693943173783458,
    0.5709381019847808,
    0.572486072215902,
    0.5740382394200894,
    0.5755946149764913,
    0.5771552102951081,
    0.5787200368168754,
    0.5802891060137493,
    0.5818624293887887,
    0.5834400184762408,
    0.585021884841625,
    0.5866080400818185,
    0.5881984958251406,
    0.5897932637314379,
    0.5913923554921704,
    0.5929957828304968,
    0.5946035575013605,
    0.5962156912915756,
    0.5978321960199137,
    0.5994530835371903,
    0.6010783657263515,
    0.6027080545025619,
    0.6043421618132907,
    0.6059806996384005,
    0.6076236799902344,
    0.6092711149137041,
    0.6109230164863786,
    0.6125793968185725,
    0.6142402680534349,
    0.6159056423670379,
    0.6175755319684665,
    0.6192499490999082,
    0.620928906036742,
    0.622612415087629,
    0.6243004885946023,
    0.6259931389331581,
    0.6276903785123455,
    0.6293922197748583,
    0.6310986751971253,
    0.6328097572894031,
    0.6345254785958666,
    0.6362458516947014,
    0.637970889198196,
    0.6397006037528346,
    0.6414350080393891,
    0.6431741147730128,
    0.6449179367033329,
    0.6466664866145447,
    0.6484197773255048,
    0.6501778216898253,
    0.6519406325959679,
    0.6537082229673385,
    0.6554806057623822,
    0.6572577939746774,
    0.659039800633032,
    0.6608266388015788,
    0.6626183215798706,
    0.6644148621029772,
    0.6662162735415805,
    0.6680225691020727,
    0.6698337620266515,
    0.6716498655934177,
    0.6734708931164728,
    0.6752968579460171,
    0.6771277734684463,
    0.6789636531064505,
    0.6808045103191123,
    0.6826503586020058,
    0.6845012114872953,
    0.6863570825438342,
    0.688217985377265,
    0.690083933630119,
    0.6919549409819159,
    0.6938310211492645,
    0.6957121878859629,
    0.6975984549830999,
    0.6994898362691555,
    0.7013863456101023,
    0.7032879969095076,
    0.7051948041086352,
    0.7071067811865475,
    0.7090239421602076,
    0.7109463010845827,
    0.7128738720527471,
    0.7148066691959849,
    0.7167447066838943,
    0.718687998724491,
    0.7206365595643126,
    0.7225904034885232,
    0.7245495448210174,
    0.7265139979245261,
    0.7284837772007218,
    0.7304588970903234,
    0.7324393720732029,
    0.7344252166684908,
    0.7364164454346837,
    0.7384130729697496,
    0.7404151139112358,
    0.7424225829363761,
    0.7444354947621984,
    0.7464538641456323,
    0.7484777058836176,
    0.7505070348132126,
    0.7525418658117031,
    0.7545822137967112,
    0.7566280937263048,
    0.7586795205991071,
    0.7607365094544071,
    0.762799075372269,
    0.7648672334736434,
    0.7669409989204777,
    0.7690203869158282,
    0.7711054127039704,
    0.7731960915705107,
    0.7752924388424999,
    0.7773944698885442,
    0.7795022001189185,
    0.7816156449856788,
    0.7837348199827764,
    0.7858597406461707,
    0.7879904225539431,
    0.7901268813264122,
    0.7922691326262467,
    0.7944171921585818,
    0.7965710756711334,
    0.7987307989543135,
    0.8008963778413465,
    0.8030678282083853,
    0.805245165974627,
    0.8074284071024302,
    0.8096175675974316,
    0.8118126635086642,
    0.8140137109286738,
    0.8162207259936375,
    0.8184337248834821,
    0.820652723822003,
    0.8228777390769823,
    0.8251087869603088,
    0.8273458838280969,
    0.8295890460808079,
    0.8318382901633681,
    0.8340936325652911,
    0.8363550898207981,
    0.8386226785089391,
    0.8408964152537144,
    0.8431763167241966,
    0.8454623996346523,
    0.8477546807446661,
    0.8500531768592616,
    0.8523579048290255,
    0.8546688815502312,
    0.8569861239649629,
    0.8593096490612387,
    0.8616394738731368,
    0.8639756154809185,
    0.8663180910111553,
    0.8686669176368529,
    0.871022112577578,
    0.8733836930995842,
    0.8757516765159389,
    0.8781260801866495,
    0.8805069215187917,
    0.8828942179666361,
    0.8852879870317771,
    0.8876882462632604,
    0.890095013257712,
    0.8925083056594671,
    0.8949281411607002,
    0.8973545375015533,
    0.8997875124702672,
    0.9022270839033115,
    0.9046732696855155,
    0.9071260877501991,
    0.909585556079304,
    0.9120516927035263,
    0.9145245157024483,
    0.9170040432046711,
    0.9194902933879467,
    0.9219832844793128,
    0.9244830347552253,
    0.9269895625416926,
    0.92950288621441,
    0.9320230241988943,
    0.9345499949706191,
    0.9370838170551498,
    0.93962450902828,
    0.9421720895161669,
    0.9447265771954693,
    0.9472879907934827,
    0.9498563490882775,
    0.9524316709088368,
    0.9550139751351947,
    0.9576032806985735,
    0.9601996065815236,
    0.9628029718180622,
    0.9654133954938133,
    0.9680308967461471,
    0.9706554947643201,
    0.9732872087896164,
    0.9759260581154889,
    0.9785720620876999,
    0.9812252401044634,
    0.9838856116165875,
    0.9865531961276168,
    0.9892280131939752,
    0.9919100824251095,
    0.9945994234836328,
    0.9972960560854698,
];

/// Levels of a bucket table: level `k` has `FIRST_LEVEL << k` slots.
const LEVELS: usize = 16;
const FIRST_LEVEL: usize = 64;
/// Slots probed in a level before the next (the last level is probed
/// whole: its 2^21 slots outnumber every key of every schema, about
/// 2 * 2100 * 256).
const PROBES: usize = 16;

/// One bucket: its key (0: free; else 1 + side and index, see [`slot_key`])
/// and its count.
#[derive(Debug)]
struct Slot {
    key: AtomicU64,
    count: AtomicU64,
}

#[derive(Debug)]
struct Level {
    slots: Box<[Slot]>,
}

/// The populated buckets of one set of counts, both sides: an open
/// addressing hash table whose slots are claimed with a compare-exchange
/// and never move; a level that has no free slot among the probed ones
/// for a key sends it to the next, allocated on first need. Keys are only
/// removed (and counts cleared) while no observation can reach the table
/// (a cold set of counts, under the lock).
#[derive(Debug)]
struct Table {
    levels: [OnceBox<Level>; LEVELS],
}

/// The table key of bucket `index` on the negative (`neg`) or positive
/// side: never 0.
fn slot_key(neg: bool, index: i32) -> u64 {
    1 + ((u64::from(neg) << 32) | u64::from(index as u32))
}

/// The side and index of a table key.
fn from_slot_key(key: u64) -> (bool, i32) {
    let k = key - 1;
    (k >> 32 != 0, k as u32 as i32)
}

impl Table {
    fn new() -> Self {
        Table {
            levels: std::array::from_fn(|_| OnceBox::new()),
        }
    }

    #[inline]
    fn level(&self, k: usize) -> Option<&Level> {
        let cell = self.levels.get(k)?;
        Some(cell.get_or_init(|| {
            Box::new(Level {
                slots: (0..FIRST_LEVEL << k)
                    .map(|_| Slot {
                        key: AtomicU64::new(0),
                        count: AtomicU64::new(0),
                    })
                    .collect(),
            })
        }))
    }

    /// Adds `n` to the bucket of `key`, creating it (even for `n == 0`):
    /// true if this call created it (Go's `addToBucket`).
    #[inline]
    fn add(&self, key: u64, n: u64) -> bool {
        let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for k in 0..LEVELS {
            let Some(level) = self.level(k) else { break };
            let len = level.slots.len();
            let probes = if k + 1 == LEVELS {
                len
            } else {
                PROBES.min(len)
            };
            let start = (hash >> 32) as usize;
            for p in 0..probes {
                let Some(slot) = level.slots.get((start + p) & (len - 1)) else {
                    break;
                };
                let mut seen = slot.key.load(Ordering::Acquire);
                if seen == 0 {
                    match slot
                        .key
                        .compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire)
                    {
                        Ok(_) => {
                            slot.count.fetch_add(n, Ordering::Relaxed);
                            return true;
                        }
                        Err(actual) => seen = actual,
                    }
                }
                if seen == key {
                    slot.count.fetch_add(n, Ordering::Relaxed);
                    return false;
                }
            }
        }
        // Unreachable: the last level holds every possible key.
        false
    }

    /// Every bucket (key and count), zero counts included.
    fn for_each(&self, mut f: impl FnMut(u64, &AtomicU64)) {
        for cell in &self.levels {
            let Some(level) = cell.get() else { break };
            for slot in level.slots.iter() {
                let key = slot.key.load(Ordering::Acquire);
                if key != 0 {
                    f(key, &slot.count);
                }
            }
        }
    }

    /// Removes every bucket. Only while no observation reaches the table.
    fn clear(&self) {
        for cell in &self.levels {
            let Some(level) = cell.get() else { break };
            for slot in level.slots.iter() {
                slot.key.store(0, Ordering::Relaxed);
                slot.count.store(0, Ordering::Relaxed);
            }
        }
    }

    /// Removes the bucket of `key`, if there is one, returning its count.
    /// Only while no observation reaches the table: the others are put
    /// back, as probing for them must not stop at the freed slot.
    fn remove(&self, key: u64) -> Option<u64> {
        let mut found = None;
        let mut rest = Vec::new();
        self.for_each(|k, c| {
            let c = c.load(Ordering::Relaxed);
            if k == key {
                found = Some(c);
            } else {
                rest.push((k, c));
            }
        });
        if found.is_some() {
            self.clear();
            for (k, c) in rest {
                self.add(k, c);
            }
        }
        found
    }

    /// The smallest index of a side (Go's `findSmallestKey`).
    fn smallest(&self, neg: bool) -> Option<i32> {
        let mut min = None;
        self.for_each(|k, _| {
            let (n, i) = from_slot_key(k);
            if n == neg && min.is_none_or(|m| i < m) {
                min = Some(i);
            }
        });
        min
    }
}

impl Table {
    /// Adds one to the bucket of `key`, creating it: true if created. For
    /// the one writer of a stripe (plain loads and stores, no
    /// read-modify-write).
    #[inline]
    fn bump(&self, key: u64) -> bool {
        let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for k in 0..LEVELS {
            let Some(level) = self.level(k) else { break };
            let len = level.slots.len();
            let probes = if k + 1 == LEVELS {
                len
            } else {
                PROBES.min(len)
            };
            let start = (hash >> 32) as usize;
            for p in 0..probes {
                let Some(slot) = level.slots.get((start + p) & (len - 1)) else {
                    break;
                };
                let seen = slot.key.load(Ordering::Relaxed);
                if seen == key {
                    let c = slot.count.load(Ordering::Relaxed);
                    slot.count.store(c.wrapping_add(1), Ordering::Relaxed);
                    return false;
                }
                if seen == 0 {
                    slot.count.store(1, Ordering::Relaxed);
                    slot.key.store(key, Ordering::Release);
                    return true;
                }
            }
        }
        false
    }
}

/// One half of a stripe: the observations since the half was last
/// drained (count, sum, zero bucket, classic buckets, native buckets).
#[derive(Debug)]
struct Half {
    count: AtomicU64,
    sum: AtomicU64,
    zero: AtomicU64,
    classic: Box<[AtomicU64]>,
    table: Table,
}

/// The observations of one thread (or of the threads sharing the last
/// stripe): a sequence number (odd while an observation is written) and
/// two halves, the one `hot` names taking observations, the other drained
/// by scrapes.
#[derive(Debug)]
#[repr(align(128))]
struct Stripe {
    seq: AtomicU64,
    hot: AtomicU64,
    halves: [Half; 2],
}

/// Adds one to a counter only its writer writes.
#[inline]
fn bump(a: &AtomicU64) {
    a.store(a.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}

impl Half {
    fn new(classic: usize) -> Self {
        Half {
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            zero: AtomicU64::new(0),
            classic: (0..classic).map(|_| AtomicU64::new(0)).collect(),
            table: Table::new(),
        }
    }

    /// Go's `histogramCounts.observe`, into this half, which the caller
    /// holds (odd sequence); returns the key of a bucket it created.
    #[inline]
    fn write(&self, v: f64, classic: usize, schema: i32, zero_threshold: f64) -> Option<u64> {
        if let Some(c) = self.classic.get(classic) {
            bump(c);
        }
        let sum = f64::from_bits(self.sum.load(Ordering::Relaxed)) + v;
        self.sum.store(sum.to_bits(), Ordering::Relaxed);
        bump(&self.count);
        if v.is_nan() {
            return None;
        }
        let side = if v > zero_threshold {
            false
        } else if v < -zero_threshold {
            true
        } else {
            bump(&self.zero);
            return None;
        };
        let key = slot_key(side, bucket_key(v, schema));
        self.table.bump(key).then_some(key)
    }

    fn reset(&self) {
        self.count.store(0, Ordering::Relaxed);
        self.sum.store(0, Ordering::Relaxed);
        self.zero.store(0, Ordering::Relaxed);
        for c in self.classic.iter() {
            c.store(0, Ordering::Relaxed);
        }
        self.table.clear();
    }

    /// Adds this half (no longer written) to `base`, and clears it.
    fn drain_into(&self, base: &mut Base) {
        base.count += self.count.load(Ordering::Relaxed);
        base.sum += f64::from_bits(self.sum.load(Ordering::Relaxed));
        base.zero += self.zero.load(Ordering::Relaxed);
        base.classic.resize(self.classic.len(), 0);
        for (b, c) in base.classic.iter_mut().zip(self.classic.iter()) {
            *b += c.load(Ordering::Relaxed);
        }
        self.table.for_each(|k, c| {
            let c = c.load(Ordering::Relaxed);
            if c != 0 {
                *base.buckets.entry(from_slot_key(k)).or_insert(0) += c;
            }
        });
        self.reset();
    }
}

impl Stripe {
    fn new(classic: usize) -> Self {
        Stripe {
            seq: AtomicU64::new(0),
            hot: AtomicU64::new(0),
            halves: [Half::new(classic), Half::new(classic)],
        }
    }

    /// The half observations go to: read after the odd sequence is
    /// stored (see [`Stripe::drain_into`]).
    #[inline]
    fn hot(&self) -> &Half {
        &self.halves[usize::from(self.hot.load(Ordering::SeqCst) != 0)]
    }

    /// Swaps the halves, waits for an observation still writing the
    /// former hot half, and adds that half to `base`. Under the lock.
    /// An observation stores its odd sequence, then reads `hot`; this
    /// stores `hot`, then reads the sequence: either the observation
    /// writes the new hot half, or this sees it under way and waits.
    fn drain_into(&self, base: &mut Base) {
        let old = self.hot.load(Ordering::Relaxed);
        self.hot.store(old ^ 1, Ordering::SeqCst);
        let s = self.seq.load(Ordering::SeqCst);
        if s & 1 != 0 {
            let mut tries = 0;
            while self.seq.load(Ordering::Acquire) == s {
                tries += 1;
                backoff(tries);
            }
        }
        fence(Ordering::Acquire);
        self.halves[usize::from(old != 0)].drain_into(base);
    }
}

/// What scrapes have drained from the stripes: every observation up to
/// the last scrape (under the lock).
#[derive(Debug, Default)]
struct Base {
    count: u64,
    sum: f64,
    zero: u64,
    classic: Vec<u64>,
    /// By side (negative: true) and index.
    buckets: std::collections::BTreeMap<(bool, i32), u64>,
}

fn backoff(tries: u32) {
    if tries < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// What the lock guards.
#[derive(Debug)]
struct State {
    base: Base,
    /// When the histogram was created or last reset (Unix seconds).
    last_reset: f64,
    /// A reset is due at `reset_at` (Go's `resetScheduled`).
    reset_scheduled: bool,
}

/// The native buckets of a histogram (and its classic ones, if any, so
/// that both count the same observations).
///
/// Each thread observes into a stripe of its own (by its thread slot;
/// threads past the last owned slot share one more, taken with a
/// compare-exchange), with plain loads and stores while the stripe's
/// sequence number is odd; scrapes drain the stripes' halves (see
/// [`Stripe::drain_into`]). The limiting step (and a reset) changes every stripe at once:
/// under the lock, it sets `frozen`, then waits for every stripe's
/// sequence to be even. An observation makes its sequence odd, then
/// (after a full fence) checks `frozen`: either the limiter sees the odd
/// sequence and waits, or the observation sees `frozen` and takes the
/// lock instead (Dekker's handshake). Observations never take the lock
/// otherwise.
#[derive(Debug)]
pub(crate) struct Native {
    stripes: Box<[OnceBox<Stripe>]>,
    classic: usize,
    /// The current schema and zero threshold: changed only while frozen.
    schema: AtomicI32,
    zero_threshold: AtomicF64,
    frozen: AtomicBool,
    /// Every bucket key of every stripe (counts unused), and their number:
    /// the populated buckets the bucket limit counts (empty without a
    /// limit).
    keys: Table,
    buckets_number: AtomicU32,
    config: Arc<NativeConfig>,
    state: Mutex<State>,
    /// A scheduled reset, checked by observations without the lock.
    reset_pending: AtomicBool,
    reset_at: AtomicF64,
    /// Creation or last reset, for `_created`.
    created: AtomicF64,
    exemplars: Mutex<Vec<Arc<Exemplar>>>,
}

/// One consistent read of a native histogram.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub(crate) count: u64,
    pub(crate) sum: f64,
    pub(crate) created: f64,
}

impl Native {
    pub(crate) fn new(config: Arc<NativeConfig>, classic: usize) -> Self {
        let now = (config.clock)();
        Native {
            stripes: (0..owned_stripes() + 1).map(|_| OnceBox::new()).collect(),
            classic,
            schema: AtomicI32::new(config.schema),
            zero_threshold: AtomicF64::new(config.zero_threshold),
            frozen: AtomicBool::new(false),
            keys: Table::new(),
            buckets_number: AtomicU32::new(0),
            state: Mutex::new(State {
                base: Base::default(),
                last_reset: now,
                reset_scheduled: false,
            }),
            reset_pending: AtomicBool::new(false),
            reset_at: AtomicF64::zero(),
            created: AtomicF64::new(now),
            exemplars: Mutex::new(Vec::with_capacity(config.max_exemplars)),
            config,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stripe of thread slot `slot` (the shared one past the owned
    /// ones), and whether it is shared.
    #[inline]
    fn stripe(&self, slot: usize) -> (&Stripe, bool) {
        let last = self.stripes.len() - 1;
        let (i, shared) = if slot < last {
            (slot, false)
        } else {
            (last, true)
        };
        let cell = &self.stripes[i];
        match cell.get() {
            Some(stripe) => (stripe, shared),
            None => (self.new_stripe(cell), shared),
        }
    }

    /// A thread's first observation: its stripe allocated under the lock,
    /// so that a later freeze or scrape (which hold it) sees the stripe.
    #[cold]
    #[inline(never)]
    fn new_stripe<'a>(&self, cell: &'a OnceBox<Stripe>) -> &'a Stripe {
        let _st = self.lock();
        cell.get_or_init(|| Box::new(Stripe::new(self.classic)))
    }

    fn each_stripe(&self) -> impl Iterator<Item = &Stripe> {
        self.stripes.iter().filter_map(OnceBox::get)
    }

    /// Records `v`, in classic bucket `classic` too if there are classic
    /// buckets (Go's `histogram.observe`). No lock unless the bucket limit
    /// is exceeded, a scheduled reset is due or the limit is being
    /// applied at this moment.
    #[inline]
    pub(crate) fn observe(&self, v: f64, classic: usize) {
        if self.reset_pending.load(Ordering::Relaxed) {
            self.maybe_scheduled_reset();
        }
        let (stripe, shared) = self.stripe(thread_slot());
        let s = stripe.seq.load(Ordering::Relaxed);
        let held = if shared {
            s & 1 == 0
                && stripe
                    .seq
                    .compare_exchange(s, s + 1, Ordering::SeqCst, Ordering::Relaxed)
                    .is_ok()
        } else {
            // A full barrier, cheaper than a store and a fence on x86.
            stripe.seq.swap(s.wrapping_add(1), Ordering::SeqCst);
            true
        };
        if held {
            // Dekker's handshake with `freeze`: the odd sequence (above) is
            // ordered before this load, as `frozen` is before its loads of
            // the sequences.
            if !self.frozen.load(Ordering::SeqCst) {
                let schema = self.schema.load(Ordering::Relaxed);
                let zero_threshold = self.zero_threshold.get();
                if let Some(key) = stripe.hot().write(v, classic, schema, zero_threshold) {
                    // Before the stripe is given back: a freeze waits.
                    self.new_key(key);
                }
                stripe.seq.store(s.wrapping_add(2), Ordering::Release);
                if !v.is_nan() && self.config.max_buckets != 0 {
                    self.limit_buckets(stripe, v, classic);
                }
                return;
            }
            // Nothing written: give the stripe back.
            stripe.seq.store(s.wrapping_add(2), Ordering::Release);
        }
        self.observe_locked(stripe, shared, v, classic);
    }

    /// An observation that could not take its stripe: the stripe is
    /// frozen (or, shared, held by another thread).
    #[cold]
    #[inline(never)]
    fn observe_locked(&self, stripe: &Stripe, shared: bool, v: f64, classic: usize) {
        let mut st = self.lock();
        // No freeze now (freezing takes the lock); wait out another
        // holder of a shared stripe.
        let mut tries = 0;
        let s = loop {
            let s = stripe.seq.load(Ordering::Relaxed);
            if s & 1 == 0
                && (!shared
                    || stripe
                        .seq
                        .compare_exchange(s, s + 1, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok())
            {
                break s;
            }
            tries += 1;
            backoff(tries);
        };
        if !shared {
            stripe.seq.swap(s.wrapping_add(1), Ordering::SeqCst);
        }
        let created = stripe.hot().write(
            v,
            classic,
            self.schema.load(Ordering::Relaxed),
            self.zero_threshold.get(),
        );
        stripe.seq.store(s.wrapping_add(2), Ordering::Release);
        if let Some(key) = created {
            self.new_key(key);
        }
        if !v.is_nan() && self.config.max_buckets != 0 {
            self.limit_buckets_locked(&mut st, stripe, v, classic);
        }
    }

    /// A stripe created the bucket `key`: counted if no stripe had it
    /// (only when there is a bucket limit to apply).
    #[cold]
    fn new_key(&self, key: u64) {
        if self.config.max_buckets != 0 && self.keys.add(key, 0) {
            self.buckets_number.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Stops every observation at its start and waits for those under
    /// way. The caller holds the lock, and calls `thaw` before it lets
    /// it go.
    fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
        for stripe in self.each_stripe() {
            let mut tries = 0;
            while stripe.seq.load(Ordering::SeqCst) & 1 != 0 {
                tries += 1;
                backoff(tries);
            }
        }
    }

    fn thaw(&self) {
        self.frozen.store(false, Ordering::Release);
    }

    /// Clears every stripe and the bucket keys (Go's `resetCounts` of
    /// both sets of counts), frozen.
    fn reset_frozen(&self, st: &mut State) {
        for stripe in self.each_stripe() {
            for half in &stripe.halves {
                half.reset();
            }
        }
        st.base = Base::default();
        self.keys.clear();
        self.buckets_number.store(0, Ordering::Relaxed);
        self.schema.store(self.config.schema, Ordering::Relaxed);
        self.zero_threshold.set(self.config.zero_threshold);
    }

    /// Go's `reset`, run by the first observation or scrape once a
    /// scheduled reset is due (where Go runs it from a timer: the same
    /// observations are lost).
    #[cold]
    fn maybe_scheduled_reset(&self) {
        if (self.config.clock)() < self.reset_at.get() {
            return;
        }
        let mut st = self.lock();
        if !st.reset_scheduled {
            return;
        }
        self.freeze();
        self.reset_frozen(&mut st);
        self.thaw();
        st.last_reset = (self.config.clock)();
        self.created.set(st.last_reset);
        st.reset_scheduled = false;
        self.reset_pending.store(false, Ordering::Relaxed);
    }

    /// Go's `limitBuckets`.
    #[inline]
    fn limit_buckets(&self, stripe: &Stripe, v: f64, classic: usize) {
        if self.config.max_buckets >= self.buckets_number.load(Ordering::Relaxed) {
            return;
        }
        self.limit_buckets_slow(stripe, v, classic);
    }

    #[cold]
    #[inline(never)]
    fn limit_buckets_slow(&self, stripe: &Stripe, v: f64, classic: usize) {
        let mut st = self.lock();
        self.limit_buckets_locked(&mut st, stripe, v, classic);
    }

    /// `stripe`: the observing thread's, where a reset puts the latest
    /// observation again.
    fn limit_buckets_locked(&self, st: &mut State, stripe: &Stripe, v: f64, classic: usize) {
        // Another thread may have limited the buckets meanwhile.
        if self.config.max_buckets >= self.buckets_number.load(Ordering::Relaxed) {
            return;
        }
        self.freeze();
        if self.maybe_reset(st, stripe, v, classic) {
            self.thaw();
            return;
        }
        // Undo what comes next once the min reset duration has passed.
        if self.config.min_reset > 0.0 && !st.reset_scheduled {
            st.reset_scheduled = true;
            self.reset_at.set(st.last_reset + self.config.min_reset);
            self.reset_pending.store(true, Ordering::Relaxed);
        }
        if !self.maybe_widen_zero_bucket(st) {
            self.double_bucket_width(st);
        }
        self.thaw();
    }

    /// Go's `maybeReset`: the whole histogram reset, the latest
    /// observation kept, if the min reset duration has passed. Frozen.
    fn maybe_reset(&self, st: &mut State, stripe: &Stripe, v: f64, classic: usize) -> bool {
        let c = &self.config;
        if c.min_reset == 0.0 || st.reset_scheduled || (c.clock)() - st.last_reset < c.min_reset {
            return false;
        }
        self.reset_frozen(st);
        // Frozen: the stripe may be written without its sequence.
        if let Some(key) = stripe.hot().write(v, classic, c.schema, c.zero_threshold) {
            self.new_key(key);
        }
        st.last_reset = (c.clock)();
        self.created.set(st.last_reset);
        true
    }

    /// Go's `maybeWidenZeroBucket`: the zero bucket widened to take in
    /// the bucket closest to zero, if the max zero threshold allows.
    /// Frozen.
    fn maybe_widen_zero_bucket(&self, st: &mut State) -> bool {
        if self.zero_threshold.get() >= self.config.max_zero_threshold {
            return false;
        }
        let smallest = match (self.keys.smallest(false), self.keys.smallest(true)) {
            (Some(p), Some(n)) => p.min(n),
            (Some(k), None) | (None, Some(k)) => k,
            (None, None) => return false,
        };
        let threshold = bucket_upper_bound(smallest, self.schema.load(Ordering::Relaxed));
        if threshold > self.config.max_zero_threshold {
            return false;
        }
        self.zero_threshold.set(threshold);
        for key in [slot_key(true, smallest), slot_key(false, smallest)] {
            if self.keys.remove(key).is_some() {
                self.buckets_number.fetch_sub(1, Ordering::Relaxed);
            }
            for half in self.each_stripe().flat_map(|s| &s.halves) {
                if let Some(n) = half.table.remove(key) {
                    half.zero.fetch_add(n, Ordering::Relaxed);
                }
            }
            if let Some(n) = st.base.buckets.remove(&from_slot_key(key)) {
                st.base.zero += n;
            }
        }
        true
    }

    /// Go's `doubleBucketWidth`: the schema lowered by one (not below -4),
    /// each bucket merged into the one twice as wide. Frozen.
    fn double_bucket_width(&self, st: &mut State) {
        let schema = self.schema.load(Ordering::Relaxed);
        if schema == SCHEMA_MIN {
            return;
        }
        self.schema.store(schema - 1, Ordering::Relaxed);
        let wider = |key: u64| {
            let (neg, mut index) = from_slot_key(key);
            if index > 0 {
                index += 1;
            }
            slot_key(neg, index / 2)
        };
        let mut entries = Vec::new();
        for half in self.each_stripe().flat_map(|s| &s.halves) {
            entries.clear();
            half.table
                .for_each(|k, c| entries.push((k, c.load(Ordering::Relaxed))));
            half.table.clear();
            for (k, c) in &entries {
                half.table.add(wider(*k), *c);
            }
        }
        let base = std::mem::take(&mut st.base.buckets);
        for ((neg, index), c) in base {
            *st.base
                .buckets
                .entry(from_slot_key(wider(slot_key(neg, index))))
                .or_insert(0) += c;
        }
        entries.clear();
        self.keys.for_each(|k, _| entries.push((k, 0)));
        self.keys.clear();
        let mut number = 0;
        for (k, _) in &entries {
            number += u32::from(self.keys.add(wider(*k), 0));
        }
        self.buckets_number.store(number, Ordering::Relaxed);
    }

    /// Reads one consistent set of observations (Go's `Write`): count,
    /// sum, the classic buckets' counts into `classic` (per bucket, not
    /// cumulative) and the native buckets into `out` (its exemplars too).
    pub(crate) fn read(&self, classic: &mut Vec<f64>, out: &mut NativeBuckets) -> Snapshot {
        if self.reset_pending.load(Ordering::Relaxed) {
            self.maybe_scheduled_reset();
        }
        let mut st = self.lock();
        let base = &mut st.base;
        for stripe in self.each_stripe() {
            stripe.drain_into(base);
        }
        classic.clear();
        classic.extend(base.classic.iter().map(|c| *c as f64));
        classic.resize(self.classic, 0.0);
        out.schema = self.schema.load(Ordering::Relaxed);
        out.zero_threshold = self.zero_threshold.get();
        out.zero_count = base.zero;
        out.positive.clear();
        out.negative.clear();
        for ((neg, index), c) in &base.buckets {
            if *neg {
                out.negative.push((*index, *c));
            } else {
                out.positive.push((*index, *c));
            }
        }
        let (count, sum) = (base.count, base.sum);
        drop(st);
        out.exemplars.clear();
        out.exemplars.extend(
            self.exemplars
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .cloned(),
        );
        // Kept ordered by value (as Go keeps them); the model's order is
        // the oldest first.
        out.exemplars.sort_by(|a, b| {
            a.timestamp
                .unwrap_or(0.0)
                .total_cmp(&b.timestamp.unwrap_or(0.0))
        });
        Snapshot {
            count,
            sum,
            created: self.created.get(),
        }
    }

    /// The clock of this histogram (Unix seconds).
    pub(crate) fn now(&self) -> f64 {
        (self.config.clock)()
    }

    /// Keeps `e` among the native exemplars (Go's `addExemplar`), unless
    /// its value is NaN or native exemplars are off.
    pub(crate) fn add_exemplar(&self, e: Arc<Exemplar>) {
        let max = self.config.max_exemplars;
        if max == 0 || e.value.is_nan() {
            return;
        }
        let mut list = self
            .exemplars
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        add_exemplar(&mut list, max, self.config.exemplar_ttl, e);
    }
}

/// client_golang's `nativeExemplars.addExemplar`: `list` ordered by value,
/// at most `max` long; when full, the oldest exemplar goes if older than
/// `ttl`, else one of the closest pair by the logarithm of the values (the
/// older), unless the new one would be closer to a neighbour.
fn add_exemplar(list: &mut Vec<Arc<Exemplar>>, max: usize, ttl: f64, e: Arc<Exemplar>) {
    let ts = |e: &Exemplar| e.timestamp.unwrap_or(0.0);
    if list.len() < max {
        let at = list
            .iter()
            .position(|x| e.value < x.value)
            .unwrap_or(list.len());
        list.insert(at, e);
        return;
    }
    if list.len() == 1 {
        list[0] = e;
        return;
    }
    let mut oldest: Option<(usize, f64)> = None;
    let mut md = -1.0;
    let mut n_idx: Option<usize> = None;
    let mut r_idx = 0usize;
    let (mut c_log, mut p_log);
    c_log = 0.0;
    for (i, x) in list.iter().enumerate() {
        if oldest.is_none_or(|(_, t)| ts(x) < t) {
            oldest = Some((i, ts(x)));
        }
        if n_idx.is_none() && e.value <= x.value {
            n_idx = Some(i);
        }
        p_log = c_log;
        c_log = x.value.ln();
        if i == 0 {
            continue;
        }
        let diff = (c_log - p_log).abs();
        if md == -1.0 || diff < md {
            md = diff;
            r_idx = if ts(&list[i]) < ts(&list[i - 1]) {
                i
            } else {
                i - 1
            };
        }
    }
    let n_idx = n_idx.unwrap_or(list.len());
    match oldest {
        Some((o, t)) if ts(&e) - t > ttl => r_idx = o,
        _ => {
            let e_log = e.value.ln();
            if n_idx > 0 {
                let diff = (e_log - list[n_idx - 1].value.ln()).abs();
                if diff < md {
                    md = diff;
                    r_idx = n_idx - 1;
                }
            }
            if n_idx < list.len() {
                let diff = (list[n_idx].value.ln() - e_log).abs();
                if diff < md {
                    r_idx = n_idx;
                }
            }
        }
    }
    if r_idx == n_idx {
        if let Some(slot) = list.get_mut(n_idx) {
            *slot = e;
        }
    } else if r_idx < n_idx {
        list.remove(r_idx);
        list.insert(n_idx - 1, e);
    } else {
        list.remove(r_idx);
        list.insert(n_idx, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `frexp` of normal and subnormal values, signs, and the special
    /// values Go returns unchanged.
    #[test]
    fn frexp_splits_normal_and_subnormal_values() {
        assert_eq!(frexp(1.0), (0.5, 1));
        assert_eq!(frexp(-3.0), (-0.75, 2));
        assert_eq!(frexp(0.5), (0.5, 0));
        assert_eq!(frexp(f64::MAX), (1.0 - f64::EPSILON / 2.0, 1024));
        // The smallest subnormal, 2^-1074, and the next.
        assert_eq!(frexp(f64::from_bits(1)), (0.5, -1073));
        assert_eq!(frexp(f64::from_bits(2)), (0.5, -1072));
        assert_eq!(frexp(f64::from_bits(3)), (0.75, -1072));
        // Around 2^-1022: the largest subnormal, the smallest normal.
        let largest_subnormal = f64::from_bits(f64::MIN_POSITIVE.to_bits() - 1);
        assert_eq!(frexp(largest_subnormal), (1.0 - f64::EPSILON, -1022));
        assert_eq!(frexp(f64::MIN_POSITIVE), (0.5, -1021));
        assert_eq!(frexp(-f64::MIN_POSITIVE), (-0.5, -1021));
        for special in [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY] {
            let (f, e) = frexp(special);
            assert_eq!((f.to_bits(), e), (special.to_bits(), 0));
        }
        assert!(frexp(f64::NAN).0.is_nan());
        // frac * 2^exp gives the value back, frac in [0.5, 1), across the
        // range (subnormals included): bit patterns from a xorshift.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f64::from_bits(state >> 1);
            if !x.is_finite() || x == 0.0 {
                continue;
            }
            let (f, e) = frexp(x);
            assert!((0.5..1.0).contains(&f), "{x:e}: {f}");
            assert_eq!(ldexp(f, e), x, "{x:e}");
            let tiny = f64::from_bits((state >> 12) | 1); // subnormal
            let (f, e) = frexp(tiny);
            assert!((0.5..1.0).contains(&f) && e <= -1022, "{tiny:e}");
            assert_eq!(ldexp(f, e), tiny, "{tiny:e}");
        }
    }

    /// client_golang's `pickSchema`: the documented factors and the
    /// clamping at both ends.
    #[test]
    fn bucket_factors_pick_go_schemas() {
        for (factor, schema) in [
            (1.1, 3),
            (1.2, 2),
            (1.5, 1),
            (2.0, 0),
            (4.0, -1),
            (17.0, -2),
            (300.0, -3),
            (65536.0, -4),
            (1e300, -4),
            (1.003, 8),
            (1.000_000_1, 8),
        ] {
            assert_eq!(pick_schema(factor), schema, "{factor}");
        }
        assert_eq!(NativeOpts::new().bucket_factor(0.5).schema(), None);
        assert_eq!(DEFAULT_ZERO_THRESHOLD, 2f64.powi(-128));
    }

    /// client_golang's `TestGetLe` table.
    #[test]
    fn upper_bounds_as_go_get_le() {
        for (key, schema, want) in [
            (-1, -1, 0.25),
            (0, -1, 1.0),
            (1, -1, 4.0),
            (512, -1, f64::MAX),
            (513, -1, f64::INFINITY),
            (-1, 0, 0.5),
            (0, 0, 1.0),
            (1, 0, 2.0),
            (1024, 0, f64::MAX),
            (1025, 0, f64::INFINITY),
            (-1, 2, 0.8408964152537144),
            (0, 2, 1.0),
            (1, 2, 1.189207115002721),
            (4096, 2, f64::MAX),
            (4097, 2, f64::INFINITY),
        ] {
            assert_eq!(bucket_upper_bound(key, schema), want, "{key} at {schema}");
        }
        // A bound's own bucket holds it.
        for schema in -4..=8 {
            for key in [-8000, -100, -1, 0, 1, 100, 1000] {
                let le = bucket_upper_bound(key, schema);
                if le > 0.0 && le.is_finite() && le != f64::MAX {
                    assert_eq!(bucket_key(le, schema), key, "{key} at {schema}");
                }
            }
        }
    }

    /// The tables are client_golang's digits: where they differ from a
    /// correctly rounded `2^(j/n - 1)`, the difference is kept.
    #[test]
    fn bounds_tables_have_go_digits() {
        for schema in 1..=8 {
            let b = bounds(schema);
            assert_eq!(b.len(), 1 << schema);
            assert_eq!(b[0], 0.5);
            assert!(b.windows(2).all(|w| w[0] < w[1]));
            for (j, v) in b.iter().enumerate() {
                let exact = 2f64.powf(j as f64 / b.len() as f64 - 1.0);
                assert!((v - exact).abs() <= 2.0 * f64::EPSILON, "{schema}/{j}");
            }
        }
        // client_golang's 2^-1/2 is one ulp below the correctly rounded
        // one (`FRAC_1_SQRT_2`), so that value, and sqrt 2, land in the
        // bucket above the one a correctly rounded table gives: at schema
        // 1, bucket 0 (upper bound 1) and bucket 2 (upper bound 2).
        assert_eq!(BOUNDS_1[1], std::f64::consts::FRAC_1_SQRT_2.next_down());
        assert_eq!(bucket_key(std::f64::consts::FRAC_1_SQRT_2, 1), 0);
        assert_eq!(bucket_key(std::f64::consts::SQRT_2, 1), 2);
        assert_eq!(bucket_key(std::f64::consts::SQRT_2, 3), 5);
        // And 2^(3/4) / 2 at schema 2, likewise.
        assert_eq!(BOUNDS_2[3], 0.8408964152537145f64.next_down());
        assert_eq!(bucket_key(0.8408964152537145 * 2.0, 2), 4);
    }

    fn ex(value: f64, t: f64) -> Arc<Exemplar> {
        Arc::new(Exemplar {
            labels: vec![("id".to_owned(), "1".to_owned())],
            value,
            timestamp: Some(t),
        })
    }

    fn values(list: &[Arc<Exemplar>]) -> Vec<f64> {
        list.iter().map(|e| e.value).collect()
    }

    /// client_golang's `TestNativeHistogramExemplar`, first part: a TTL
    /// of 10 s, at most 3.
    #[test]
    fn native_exemplars_as_go_with_a_ttl() {
        let (mut l, base) = (Vec::new(), 1000.0);
        add_exemplar(&mut l, 3, 10.0, ex(1.0, base));
        add_exemplar(&mut l, 3, 10.0, ex(3.0, base + 0.001));
        add_exemplar(&mut l, 3, 10.0, ex(5.0, base + 0.002));
        assert_eq!(values(&l), [1.0, 3.0, 5.0]);
        add_exemplar(&mut l, 3, 10.0, ex(4.0, base + 0.002));
        assert_eq!(values(&l), [1.0, 3.0, 4.0]);
        add_exemplar(&mut l, 3, 10.0, ex(0.0, base + 0.002));
        assert_eq!(values(&l), [0.0, 1.0, 4.0]);
        add_exemplar(&mut l, 3, 10.0, ex(6.0, base + 11.0));
        assert_eq!(values(&l), [0.0, 4.0, 6.0]);
    }

    /// The second part: a negative TTL, the oldest always replaced.
    #[test]
    fn native_exemplars_as_go_replacing_the_oldest() {
        let ttl = f64::NEG_INFINITY;
        let (mut l, base) = (Vec::new(), 1000.0);
        add_exemplar(&mut l, 3, ttl, ex(1.0, base));
        add_exemplar(&mut l, 3, ttl, ex(3.0, base + 0.001));
        add_exemplar(&mut l, 3, ttl, ex(5.0, base + 0.002));
        assert_eq!(values(&l), [1.0, 3.0, 5.0]);
        add_exemplar(&mut l, 3, ttl, ex(4.0, base + 1.0));
        assert_eq!(values(&l), [3.0, 4.0, 5.0]);
        add_exemplar(&mut l, 3, ttl, ex(0.0, base + 2.0));
        assert_eq!(values(&l), [0.0, 4.0, 5.0]);
        add_exemplar(&mut l, 3, ttl, ex(3.0, base + 3.0));
        assert_eq!(values(&l), [0.0, 3.0, 4.0]);
    }

    /// The table finds what it holds through many levels, and keeps keys
    /// removed from it out (the others found again).
    #[test]
    fn the_bucket_table_grows_and_removes() {
        let t = Table::new();
        let mut created = 0;
        for i in -3000..3000 {
            created += usize::from(t.add(slot_key(i % 2 == 0, i), 1));
        }
        assert_eq!(created, 6000);
        assert!(!t.add(slot_key(true, -3000), 1));
        assert!(t.levels[1].get().is_some());
        assert_eq!(t.remove(slot_key(true, -3000)), Some(2));
        assert_eq!(t.remove(slot_key(true, -3000)), None);
        let mut n = 0;
        t.for_each(|k, c| {
            let (neg, i) = from_slot_key(k);
            assert_eq!(neg, i % 2 == 0);
            assert_eq!(c.load(Ordering::Relaxed), 1);
            n += 1;
        });
        assert_eq!(n, 5999);
        assert_eq!(t.smallest(true), Some(-2998));
        assert_eq!(t.smallest(false), Some(-2999));
        t.clear();
        assert_eq!(t.smallest(false), None);
    }
}
