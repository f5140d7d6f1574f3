//! [`Buckets`]: the upper bounds of a histogram's buckets.

use std::sync::Arc;

use crate::error::MetricError;

/// The default buckets of Python's client, for typical web/RPC latencies
/// in seconds; `+Inf` is last.
pub const DEFAULT_BUCKETS: [f64; 15] = [
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    f64::INFINITY,
];

/// Upper bounds of a histogram's buckets: strictly increasing, `+Inf` last.
#[derive(Debug, Clone)]
pub struct Buckets(BucketsRepr);

#[derive(Debug, Clone)]
enum BucketsRepr {
    Static(&'static [f64]),
    Shared(Arc<[f64]>),
}

impl Buckets {
    /// The defaults ([`DEFAULT_BUCKETS`]).
    ///
    /// ```
    /// assert_eq!(promscribe::Buckets::default().bounds().len(), 15);
    /// ```
    pub const DEFAULT: Buckets = Buckets(BucketsRepr::Static(&DEFAULT_BUCKETS));

    #[doc(hidden)]
    /// Bounds the declaration macro has checked (sorted, `+Inf` last).
    pub const fn __from_static(bounds: &'static [f64]) -> Self {
        Buckets(BucketsRepr::Static(bounds))
    }

    /// The largest number of buckets, counting `+Inf`
    /// ([`promscribe_rules::MAX_BUCKETS`]): more is an error, never an
    /// allocation the size of the request.
    ///
    /// ```
    /// use promscribe::Buckets;
    /// assert!(Buckets::linear(1.0, 1.0, Buckets::MAX - 1).is_ok());
    /// assert!(Buckets::linear(1.0, 1.0, Buckets::MAX).is_err());
    /// ```
    pub const MAX: usize = promscribe_rules::MAX_BUCKETS;

    /// Checks and builds bucket bounds: they must be strictly increasing and
    /// not NaN; `+Inf` is appended when missing. A histogram needs at least
    /// two buckets counting `+Inf` (so `[]` and `[+Inf]` are errors, as in
    /// Python's client) and at most [`Buckets::MAX`].
    ///
    /// ```
    /// let b = promscribe::Buckets::new([0.1, 1.0, 10.0]).unwrap();
    /// assert_eq!(b.bounds(), &[0.1, 1.0, 10.0, f64::INFINITY]);
    /// assert!(promscribe::Buckets::new([1.0, 0.5]).is_err());
    /// assert!(promscribe::Buckets::new([f64::INFINITY]).is_err());
    /// ```
    pub fn new(bounds: impl IntoIterator<Item = f64>) -> Result<Self, MetricError> {
        // Never collect more than one bound past the limit.
        let v: Vec<f64> = bounds
            .into_iter()
            .take(promscribe_rules::MAX_BUCKETS + 1)
            .collect();
        let v = promscribe_rules::check_buckets("", &v)?;
        Ok(Buckets(BucketsRepr::Shared(v.into())))
    }

    /// `count` buckets starting at `start`, each `width` wider, then `+Inf`.
    /// `start` and `width` must be finite, `width` positive and `count`
    /// between 1 and `Buckets::MAX - 1`; anything else is an error.
    ///
    /// ```
    /// let b = promscribe::Buckets::linear(1.0, 1.0, 3).unwrap();
    /// assert_eq!(b.bounds(), &[1.0, 2.0, 3.0, f64::INFINITY]);
    /// assert!(promscribe::Buckets::linear(1.0, 1.0, usize::MAX).is_err());
    /// ```
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self, MetricError> {
        let v = promscribe_rules::linear_buckets("", start, width, count)?;
        Ok(Buckets(BucketsRepr::Shared(v.into())))
    }

    /// `count` buckets starting at `start`, each `factor` times the last,
    /// then `+Inf`. `start` must be finite and positive, `factor` finite
    /// and above 1, `count` between 1 and `Buckets::MAX - 1`, and every
    /// bound finite; anything else is an error.
    ///
    /// ```
    /// let b = promscribe::Buckets::exponential(1.0, 10.0, 3).unwrap();
    /// assert_eq!(b.bounds(), &[1.0, 10.0, 100.0, f64::INFINITY]);
    /// assert!(promscribe::Buckets::exponential(1.0, f64::INFINITY, 3).is_err());
    /// ```
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self, MetricError> {
        let v = promscribe_rules::exponential_buckets("", start, factor, count)?;
        Ok(Buckets(BucketsRepr::Shared(v.into())))
    }

    /// The upper bounds, `+Inf` last.
    ///
    /// ```
    /// assert_eq!(promscribe::Buckets::default().bounds()[0], 0.005);
    /// ```
    pub fn bounds(&self) -> &[f64] {
        match &self.0 {
            BucketsRepr::Static(b) => b,
            BucketsRepr::Shared(b) => b,
        }
    }
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets::DEFAULT
    }
}
