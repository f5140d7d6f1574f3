//! The format-free, typed snapshot a collector produces at scrape time.
//!
//! Metrics know nothing of exposition formats: a [`Collector`](crate::Collector)
//! turns its state into [`MetricFamily`] values, each holding [`Metric`]s
//! whose [`Point`] is typed by kind (a counter's value, created time and
//! exemplar; a histogram's bounds, cumulative counts, sum, ...). The
//! encoders ([`encode`](crate::encode)) write those in any format, and the
//! flat, Python-style sample list ([`MetricFamily::samples`]) is derived
//! from them.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use crate::buckets::Buckets;
use crate::error::MetricError;
pub use crate::metric_type::MetricType;
use crate::render::escaping::{write_label_name, EscapingScheme};
use crate::render::float::{escape_label_value, float_string};
use crate::timestamp::Timestamp;
use promscribe_rules::is_legacy_label_charset;

/// A set of label pairs, rendered once (as `name="escaped value",...`)
/// when it is built: the encoders write the rendered text as it is.
/// Cloning a set built with [`new`](LabelSet::new) is a reference-count
/// increment; the empty set allocates nothing.
///
/// A label name outside the legacy character set (`[a-zA-Z_][a-zA-Z0-9_]*`)
/// is written as the scrape's [`EscapingScheme`](crate::EscapingScheme)
/// says: such a set keeps two renderings, quoted (`"my.label"="x"`, for
/// `allow-utf-8`) and with underscores (`my_label="x"`, the default); the
/// `dots` and `values` schemes render it at each scrape.
///
/// ```
/// use promscribe::LabelSet;
/// let l = LabelSet::new([("path", "/a\"b"), ("method", "get")]);
/// assert_eq!(l.rendered(), r#"path="/a\"b",method="get""#);
/// assert_eq!(l.get("method"), Some("get"));
/// assert_eq!(l.len(), 2);
/// assert!(LabelSet::EMPTY.is_empty());
/// assert_eq!(LabelSet::new([("my.label", "x")]).rendered(), r#""my.label"="x""#);
/// ```
#[derive(Default)]
pub struct LabelSet(Repr);

#[derive(Default)]
enum Repr {
    #[default]
    Empty,
    /// What `new` builds: cloned by reference count.
    Shared(Arc<LabelSetInner>),
    /// What `refill` refills: owned, so refilled in place without a
    /// reference count to check; a clone is a shared copy.
    Scratch(Box<LabelSetInner>),
}

impl Clone for LabelSet {
    fn clone(&self) -> Self {
        LabelSet(match &self.0 {
            Repr::Empty => Repr::Empty,
            Repr::Shared(inner) => Repr::Shared(Arc::clone(inner)),
            Repr::Scratch(inner) => Repr::Shared(Arc::new(LabelSetInner::clone(inner))),
        })
    }
}

/// Growable buffers, so that a set kept for it can be refilled in place
/// ([`LabelSet::refill`]). The names and values are kept once, as spans of
/// one text: `rendered` itself when they appear in it verbatim (legacy
/// names, nothing escaped: what a family's scrape refills), else `raw`.
#[derive(Clone, Default)]
struct LabelSetInner {
    /// The names and values one after the other, when not `verbatim`.
    raw: String,
    /// Per pair: the name's and the value's byte ranges in the text.
    spans: Vec<[usize; 4]>,
    /// Whether the spans index `rendered` (else `raw`).
    verbatim: bool,
    /// With `allow-utf-8`: names outside the legacy set quoted.
    rendered: String,
    /// Whether every name is in the legacy set (then `rendered` serves
    /// every scheme).
    legacy: bool,
    /// With `underscores`, when a name is outside the legacy set (else
    /// empty, kept for its capacity).
    underscores: String,
}

impl LabelSetInner {
    /// The text the spans index.
    fn text(&self) -> &str {
        if self.verbatim {
            &self.rendered
        } else {
            &self.raw
        }
    }

    fn pairs(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        spans_of(self.text(), &self.spans)
    }

    /// Holds `pairs` (in `raw`) and renders them: the general case.
    fn fill<'a>(&mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
        self.raw.clear();
        self.spans.clear();
        for (k, v) in pairs {
            let k0 = self.raw.len();
            self.raw.push_str(k);
            let v0 = self.raw.len();
            self.raw.push_str(v);
            self.spans.push([k0, v0, v0, self.raw.len()]);
        }
        self.verbatim = false;
        self.render();
    }

    /// Renders the pairs of `raw` into `rendered` (and `underscores`).
    fn render(&mut self) {
        let legacy = self.pairs().all(|(k, _)| is_legacy_label_charset(k));
        self.legacy = legacy;
        self.rendered.clear();
        self.underscores.clear();
        let (mut rendered, mut underscores) = (
            std::mem::take(&mut self.rendered),
            std::mem::take(&mut self.underscores),
        );
        render_pairs(&mut rendered, self.pairs(), EscapingScheme::AllowUtf8);
        // Every scheme writes legacy names as they are: `rendered` serves.
        if !self.legacy {
            render_pairs(&mut underscores, self.pairs(), EscapingScheme::Underscores);
        }
        self.rendered = rendered;
        self.underscores = underscores;
    }

    /// Renders `pairs` whose names are all legacy and whose values need no
    /// escaping straight into `rendered`, the spans pointing into it: each
    /// name and value is copied once.
    fn fill_verbatim<'a>(&mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
        self.rendered.clear();
        self.underscores.clear();
        self.spans.clear();
        for (i, (k, v)) in pairs.into_iter().enumerate() {
            if i > 0 {
                self.rendered.push(',');
            }
            let k0 = self.rendered.len();
            self.rendered.push_str(k);
            let k1 = self.rendered.len();
            self.rendered.push_str("=\"");
            let v0 = self.rendered.len();
            self.rendered.push_str(v);
            let v1 = self.rendered.len();
            self.rendered.push('"');
            self.spans.push([k0, k1, v0, v1]);
        }
        self.verbatim = true;
        self.legacy = true;
    }
}

/// The pairs that `spans` mark in `text`.
fn spans_of<'a>(
    text: &'a str,
    spans: &'a [[usize; 4]],
) -> impl ExactSizeIterator<Item = (&'a str, &'a str)> + 'a {
    spans.iter().map(move |[k0, k1, v0, v1]| {
        (
            text.get(*k0..*k1).unwrap_or_default(),
            text.get(*v0..*v1).unwrap_or_default(),
        )
    })
}

/// Writes `pairs` as `name="value",...` with the names in `scheme`.
fn render_pairs<'a>(
    out: &mut String,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
    scheme: EscapingScheme,
) {
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Writing into a `String` cannot fail.
        let _ = write_label_name(out, k, scheme);
        out.push_str("=\"");
        escape_label_value(out, v);
        out.push('"');
    }
}

impl LabelSet {
    /// The empty set.
    ///
    /// ```
    /// assert_eq!(promscribe::LabelSet::EMPTY.rendered(), "");
    /// ```
    pub const EMPTY: LabelSet = LabelSet(Repr::Empty);

    /// A set of these pairs, in this order (not checked: the metric types
    /// and builders check names before they build one).
    ///
    /// ```
    /// let l = promscribe::LabelSet::new([("a", "1")]);
    /// assert_eq!(l.pairs().next(), Some(("a", "1")));
    /// ```
    pub fn new<I, K, V>(pairs: I) -> LabelSet
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let pairs: Vec<(K, V)> = pairs.into_iter().collect();
        if pairs.is_empty() {
            return LabelSet::EMPTY;
        }
        let mut inner = LabelSetInner::default();
        inner.fill(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        LabelSet(Repr::Shared(Arc::new(inner)))
    }

    /// Makes this set hold `pairs` instead, in place: once its buffers
    /// have grown to the longest set, without allocating (a family renders
    /// each child's labels into one set it keeps, at every scrape: the
    /// names stay, and are checked again only when they change). `plain`:
    /// the caller knows that no value has a character to escape (`\`,
    /// `"`, newline). A set built by [`new`](Self::new) becomes a set of
    /// its own, which clones copy.
    pub(crate) fn refill<'a>(
        &mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        plain: bool,
    ) {
        let inner = self.scratch();
        if !plain {
            inner.fill(pairs);
            return;
        }
        inner.fill_verbatim(pairs);
        // `plain` says nothing of the names: with one outside the legacy
        // set, the text is copied to the raw pairs and rendered anew
        // (into the same buffers: nothing is allocated once warm).
        if !inner.pairs().all(|(k, _)| is_legacy_label_charset(k)) {
            let text = std::mem::take(&mut inner.rendered);
            inner.raw.clear();
            inner.raw.push_str(&text);
            inner.rendered = text;
            inner.verbatim = false;
            inner.render();
        }
    }

    /// The owned buffers this set is refilled in (made so if it was not).
    fn scratch(&mut self) -> &mut LabelSetInner {
        if !matches!(self.0, Repr::Scratch(_)) {
            // Sized for a usual label set, so that a scrape's first
            // children do not grow it step by step.
            self.0 = Repr::Scratch(Box::new(LabelSetInner {
                spans: Vec::with_capacity(4),
                rendered: String::with_capacity(128),
                ..LabelSetInner::default()
            }));
        }
        match &mut self.0 {
            Repr::Scratch(inner) => inner,
            // Made a scratch set just above.
            _ => unreachable!("a scratch label set"),
        }
    }

    /// Refills the values of a set `refill` filled before with the same
    /// names, in the same order (a family's kept set: its names never
    /// change), without checking the names again. With another number
    /// of values than the set holds, it refills names and values alike
    /// from `names`.
    pub(crate) fn refill_values<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str> + Clone,
        values: impl ExactSizeIterator<Item = &'a str>,
        plain: bool,
    ) {
        match &mut self.0 {
            // Legacy names (checked when first filled) and plain values:
            // rendered in one copy.
            Repr::Scratch(inner) if plain && inner.legacy && inner.spans.len() == values.len() => {
                inner.fill_verbatim(names.into_iter().zip(values));
            }
            _ => self.refill(names.into_iter().zip(values), plain),
        }
    }

    /// The buffers, if any.
    fn inner(&self) -> Option<&LabelSetInner> {
        match &self.0 {
            Repr::Empty => None,
            Repr::Shared(inner) => Some(inner),
            Repr::Scratch(inner) => Some(inner),
        }
    }

    /// The pairs as written with `scheme`: the kept rendering, or (`dots`
    /// and `values` with a name outside the legacy set) rendered into
    /// `buf`.
    pub(crate) fn rendered_with<'a>(
        &'a self,
        scheme: EscapingScheme,
        buf: &'a mut String,
    ) -> &'a str {
        let Some(inner) = self.inner() else {
            return "";
        };
        match (inner.legacy, scheme) {
            (true, _) | (false, EscapingScheme::AllowUtf8) => &inner.rendered,
            (false, EscapingScheme::Underscores) => &inner.underscores,
            (false, _) => {
                buf.clear();
                render_pairs(buf, inner.pairs(), scheme);
                buf
            }
        }
    }

    /// The pairs, in order.
    ///
    /// ```
    /// let l = promscribe::LabelSet::new([("a", "1"), ("b", "2")]);
    /// assert_eq!(l.pairs().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn pairs(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        match self.inner() {
            Some(inner) => spans_of(inner.text(), &inner.spans),
            None => spans_of("", &[]),
        }
    }

    /// The pairs as escaped text, `a="1",b="2"` (empty for no labels),
    /// without braces; a label name outside the legacy character set is
    /// quoted (`"my.label"="x"`, as `allow-utf-8` writes it).
    ///
    /// ```
    /// assert_eq!(promscribe::LabelSet::new([("a", "x\ny")]).rendered(), "a=\"x\\ny\"");
    /// ```
    pub fn rendered(&self) -> &str {
        self.inner().map(|i| &*i.rendered).unwrap_or("")
    }

    /// The value of label `name`.
    ///
    /// ```
    /// assert_eq!(promscribe::LabelSet::new([("a", "1")]).get("b"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// Number of pairs.
    ///
    /// ```
    /// assert_eq!(promscribe::LabelSet::EMPTY.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.inner().map_or(0, |i| i.spans.len())
    }

    /// Whether there are no pairs.
    ///
    /// ```
    /// assert!(promscribe::LabelSet::new(Vec::<(String, String)>::new()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pairs as owned strings (the flat sample view's form).
    ///
    /// ```
    /// let l = promscribe::LabelSet::new([("a", "1")]);
    /// assert_eq!(l.to_vec(), [("a".to_string(), "1".to_string())]);
    /// ```
    pub fn to_vec(&self) -> Vec<(String, String)> {
        self.pairs()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

impl PartialEq for LabelSet {
    fn eq(&self, other: &Self) -> bool {
        self.pairs().eq(other.pairs())
    }
}

impl fmt::Debug for LabelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.pairs()).finish()
    }
}

/// An exemplar: a sample of the event behind a value, such as the trace
/// that caused a counter increment.
///
/// ```
/// let e = promscribe::Exemplar {
///     labels: vec![("trace_id".into(), "abc123".into())],
///     value: 1.0,
///     timestamp: Some(1.7e9),
/// };
/// assert_eq!(e.labels[0].1, "abc123");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    /// Exemplar labels (at most 128 characters of names and values in all).
    pub labels: Vec<(String, String)>,
    /// The value observed or added.
    pub value: f64,
    /// When, in Unix seconds.
    pub timestamp: Option<f64>,
}

/// The longest label set of an exemplar, in characters of names and
/// values (the OpenMetrics limit).
pub const EXEMPLAR_MAX_CHARS: usize = 128;

impl Exemplar {
    /// An exemplar of `value` with these labels, stamped now; label names
    /// must be valid and names plus values at most
    /// [`EXEMPLAR_MAX_CHARS`] characters. `metric` names the metric in the
    /// error.
    ///
    /// ```
    /// let e = promscribe::Exemplar::checked("req", &[("trace_id", "abc")], 2.0).unwrap();
    /// assert_eq!(e.value, 2.0);
    /// let long = "x".repeat(200);
    /// let err = promscribe::Exemplar::checked("req", &[("trace_id", &long)], 1.0).unwrap_err();
    /// assert!(err.to_string().contains("`req`") && err.to_string().contains("128"));
    /// ```
    pub fn checked(
        metric: &str,
        labels: &[(&str, &str)],
        value: f64,
    ) -> Result<Exemplar, MetricError> {
        let bad = |reason: String| MetricError::InvalidExemplar {
            metric: metric.to_owned(),
            reason,
        };
        if let Some((k, _)) = labels
            .iter()
            .find(|(k, _)| !crate::names::is_valid_label_name(k))
        {
            return Err(bad(format!("`{k}` is not a valid label name")));
        }
        if let Some((k, _)) = labels
            .iter()
            .enumerate()
            .find(|(i, (k, _))| labels[..*i].iter().any(|(o, _)| o == k))
            .map(|(_, p)| p)
        {
            return Err(bad(format!("label `{k}` is given twice")));
        }
        let chars: usize = labels
            .iter()
            .map(|(k, v)| k.chars().count() + v.chars().count())
            .sum();
        if chars > EXEMPLAR_MAX_CHARS {
            return Err(bad(format!(
                "its labels have {chars} characters, more than the {EXEMPLAR_MAX_CHARS} allowed"
            )));
        }
        Ok(Exemplar {
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            value,
            timestamp: Some(crate::time::unix_now()),
        })
    }
}

/// A counter's point.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterPoint {
    /// The value (`_total`).
    pub value: f64,
    /// Creation time in Unix seconds (`_created`), when known.
    pub created: Option<f64>,
    /// The latest exemplar.
    pub exemplar: Option<Arc<Exemplar>>,
}

/// A histogram's (or gauge histogram's) point: cumulative counts per
/// upper bound.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramPoint {
    /// Upper bounds, increasing, `+Inf` last.
    pub bounds: Bounds,
    /// Cumulative counts, one per bound.
    pub counts: Vec<f64>,
    /// Number of observations (`_count`, `_gcount`); `None` when not
    /// exposed (Python's `HistogramMetricFamily` without a sum).
    pub count: Option<f64>,
    /// Sum of observations (`_sum`, `_gsum`); `None` when not exposed (a
    /// histogram with negative bounds, as in Python's client). OpenMetrics
    /// writes `_count` only with a sum.
    pub sum: Option<f64>,
    /// Creation time in Unix seconds (`_created`), when known.
    pub created: Option<f64>,
    /// The latest exemplar per bucket: empty, or one entry per bound.
    pub exemplars: Vec<Option<Arc<Exemplar>>>,
    /// Native (sparse, exponential) buckets, for a histogram that has
    /// them; `bounds` may then be empty (no classic buckets): the text
    /// formats write `_count` and `_sum` only, the protobuf exposition the
    /// native buckets (and the classic ones when there are both).
    pub native: Option<Box<NativeBuckets>>,
}

/// The native buckets of a histogram point (Prometheus' native histograms,
/// as client_golang observes them): bucket `i` of schema `s` holds the
/// observations `v` with `base^(i-1) < |v| <= base^i`, `base = 2^(2^-s)`,
/// on the side of `v`'s sign; `|v| <= zero_threshold` counts in the zero
/// bucket.
///
/// ```
/// let b = promscribe::NativeBuckets {
///     schema: 3,
///     zero_threshold: 2f64.powi(-128),
///     zero_count: 0,
///     positive: vec![(0, 2), (1, 1)],
///     negative: vec![],
///     exemplars: vec![],
/// };
/// assert_eq!(b.count(), 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NativeBuckets {
    /// The resolution, -4 to 8: each power of two is split into `2^schema`
    /// buckets (for a positive schema).
    pub schema: i32,
    /// The largest magnitude counted in the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// The populated buckets of positive observations: `(index, count)`,
    /// indexes increasing, counts absolute (not deltas) and non-zero.
    pub positive: Vec<(i32, u64)>,
    /// The populated buckets of negative observations, as `positive`.
    pub negative: Vec<(i32, u64)>,
    /// Native exemplars (each with its timestamp), oldest first.
    pub exemplars: Vec<Arc<Exemplar>>,
}

impl NativeBuckets {
    /// The observations counted in buckets (zero bucket included; NaN
    /// observations are in the point's count only), saturating at
    /// `u64::MAX`.
    ///
    /// ```
    /// let b = promscribe::NativeBuckets { schema: 0, zero_threshold: 0.0, zero_count: 1,
    ///     positive: vec![(2, 3)], negative: vec![(1, 1)], exemplars: vec![] };
    /// assert_eq!(b.count(), 5);
    /// ```
    pub fn count(&self) -> u64 {
        // Saturating: counts come from any collector.
        let side = |b: &[(i32, u64)]| b.iter().fold(0u64, |n, (_, c)| n.saturating_add(*c));
        self.zero_count
            .saturating_add(side(&self.positive))
            .saturating_add(side(&self.negative))
    }
}

impl HistogramPoint {
    /// The exemplar of bucket `i`, if any.
    ///
    /// ```
    /// # let p = promscribe::HistogramPoint { bounds: promscribe::Bounds::from(vec![f64::INFINITY]),
    /// #   counts: vec![0.0], count: Some(0.0), sum: None, created: None, exemplars: vec![],
    /// #   native: None };
    /// assert!(p.exemplar(0).is_none());
    /// ```
    pub fn exemplar(&self, i: usize) -> Option<&Exemplar> {
        self.exemplars.get(i).and_then(|e| e.as_deref())
    }
}

/// Upper bounds of a histogram point: shared with the metric (no copy at
/// scrape time), or owned.
#[derive(Debug, Clone)]
pub struct Bounds(BoundsRepr);

#[derive(Debug, Clone)]
enum BoundsRepr {
    Buckets(Buckets),
    Owned(Vec<f64>),
}

impl Bounds {
    /// The bounds.
    ///
    /// ```
    /// let b = promscribe::Bounds::from(vec![1.0, f64::INFINITY]);
    /// assert_eq!(b.as_slice(), &[1.0, f64::INFINITY]);
    /// ```
    pub fn as_slice(&self) -> &[f64] {
        match &self.0 {
            BoundsRepr::Buckets(b) => b.bounds(),
            BoundsRepr::Owned(v) => v,
        }
    }
}

impl PartialEq for Bounds {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.as_slice(), other.as_slice());
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }
}

impl From<Vec<f64>> for Bounds {
    fn from(v: Vec<f64>) -> Self {
        Bounds(BoundsRepr::Owned(v))
    }
}

impl From<Buckets> for Bounds {
    fn from(b: Buckets) -> Self {
        Bounds(BoundsRepr::Buckets(b))
    }
}

/// A summary's point.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryPoint {
    /// Number of observations (`_count`), when known.
    pub count: Option<f64>,
    /// Sum of observations (`_sum`), when known.
    pub sum: Option<f64>,
    /// `(quantile, value)` pairs, if any.
    pub quantiles: Vec<(f64, f64)>,
    /// Creation time in Unix seconds (`_created`), when known.
    pub created: Option<f64>,
}

/// The value of one metric, typed by the kind of its family.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Point {
    /// A counter.
    Counter(CounterPoint),
    /// A gauge.
    Gauge(f64),
    /// A histogram.
    Histogram(HistogramPoint),
    /// A gauge histogram (`count` and `sum` are `_gcount` and `_gsum`;
    /// `created` is not exposed).
    GaugeHistogram(HistogramPoint),
    /// A summary.
    Summary(SummaryPoint),
    /// An info metric: its pairs are the metric's labels, its value 1.
    Info,
    /// A state set: `(state, set)` pairs, exposed with a label named as
    /// the family.
    StateSet(Vec<(String, bool)>),
    /// An untyped value.
    Unknown(f64),
}

impl Point {
    /// The kind of family this point belongs in.
    ///
    /// ```
    /// assert_eq!(promscribe::Point::Gauge(1.0).kind(), promscribe::MetricType::Gauge);
    /// ```
    pub fn kind(&self) -> MetricType {
        match self {
            Point::Counter(_) => MetricType::Counter,
            Point::Gauge(_) => MetricType::Gauge,
            Point::Histogram(_) => MetricType::Histogram,
            Point::GaugeHistogram(_) => MetricType::GaugeHistogram,
            Point::Summary(_) => MetricType::Summary,
            Point::Info => MetricType::Info,
            Point::StateSet(_) => MetricType::StateSet,
            Point::Unknown(_) => MetricType::Unknown,
        }
    }
}

/// One metric of a family: its labels, its typed point, an optional
/// timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Labels (an info metric's pairs included; no `le`, `quantile` or
    /// state label: those come from the point).
    pub labels: LabelSet,
    /// The value.
    pub point: Point,
    /// Optional timestamp, to the nanosecond.
    pub timestamp: Option<Timestamp>,
}

/// One sample of the flat, Python-style view: a full sample name (with its
/// suffix), labels, a value. Derived from the typed model by
/// [`MetricFamily::samples`].
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Full sample name, e.g. `http_requests_total` or `latency_bucket`.
    pub name: String,
    /// Label pairs in exposition order.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// Optional timestamp, to the nanosecond.
    pub timestamp: Option<Timestamp>,
    /// Optional exemplar (OpenMetrics; the text format 0.0.4 leaves it out).
    pub exemplar: Option<Exemplar>,
}

impl Sample {
    /// A sample without timestamp.
    ///
    /// ```
    /// let s = promscribe::Sample::new("up", vec![], 1.0);
    /// assert_eq!(s.value, 1.0);
    /// ```
    pub fn new(name: impl Into<String>, labels: Vec<(String, String)>, value: f64) -> Self {
        Sample {
            name: name.into(),
            labels,
            value,
            timestamp: None,
            exemplar: None,
        }
    }
}

/// A metric family: name, help, type, unit and its typed metrics.
///
/// As in OpenMetrics (and Python's client), a counter family is named
/// without `_total`, an info family without `_info`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFamily {
    /// Family name (a counter's without `_total`, an info's without `_info`).
    pub name: String,
    /// Help text, unescaped.
    pub help: String,
    /// Metric type.
    pub kind: MetricType,
    /// Unit, empty when none.
    pub unit: String,
    /// Metrics, in exposition order.
    pub metrics: Vec<Metric>,
}

impl MetricFamily {
    /// An empty family.
    ///
    /// ```
    /// use promscribe::{MetricFamily, MetricType};
    /// let f = MetricFamily::new("temperature_celsius", "Temperature", MetricType::Gauge);
    /// assert!(f.metrics.is_empty());
    /// ```
    pub fn new(name: impl Into<String>, help: impl Into<String>, kind: MetricType) -> Self {
        MetricFamily {
            name: name.into(),
            help: help.into(),
            kind,
            unit: String::new(),
            metrics: Vec::new(),
        }
    }

    /// Appends a metric; its point must be of the family's kind.
    ///
    /// ```
    /// use promscribe::{LabelSet, MetricFamily, MetricType, Point};
    /// let mut f = MetricFamily::new("temp", "T", MetricType::Gauge);
    /// f.add(LabelSet::new([("room", "hall")]), Point::Gauge(19.5)).unwrap();
    /// assert!(f.add(LabelSet::EMPTY, Point::Unknown(1.0)).is_err());
    /// ```
    pub fn add(&mut self, labels: LabelSet, point: Point) -> Result<(), MetricError> {
        if point.kind() != self.kind {
            return Err(self.invalid(format!(
                "a {} point in a {} family",
                point.kind(),
                self.kind
            )));
        }
        self.metrics.push(Metric {
            labels,
            point,
            timestamp: None,
        });
        Ok(())
    }

    fn invalid(&self, reason: String) -> MetricError {
        MetricError::InvalidSample {
            metric: self.name.clone(),
            reason,
        }
    }

    /// Adds a sample named `<family name><suffix>` the way Python's
    /// `add_sample` does, merged into the typed model: `_total` and
    /// `_created` of a counter, `_bucket` (with `le`), `_count`, `_sum`
    /// and `_created` of a histogram, a summary's samples (`quantile` on
    /// the bare name), a state set's (the state in the label named as the
    /// family, value 0 or 1), an info's `_info` (value 1). A sample that
    /// does not fit the family's type is an error naming it.
    ///
    /// Samples of one metric must follow each other (a new label set
    /// starts a new metric).
    ///
    /// ```
    /// use promscribe::{MetricFamily, MetricType, Point};
    /// let mut f = MetricFamily::new("jobs", "Jobs run", MetricType::Counter);
    /// f.push("_total", vec![("queue".into(), "a".into())], 3.0).unwrap();
    /// f.push("_created", vec![("queue".into(), "a".into())], 1.7e9).unwrap();
    /// assert_eq!(f.metrics.len(), 1);
    /// assert!(matches!(&f.metrics[0].point, Point::Counter(c) if c.value == 3.0));
    /// assert_eq!(f.samples()[0].name, "jobs_total");
    /// assert!(f.push("_bucket", vec![], 1.0).is_err());
    /// ```
    pub fn push(
        &mut self,
        suffix: &str,
        labels: Vec<(String, String)>,
        value: f64,
    ) -> Result<(), MetricError> {
        self.push_sample(suffix, labels, value, None)
    }

    /// [`push`](MetricFamily::push) with a timestamp; the samples of one
    /// metric must agree on it.
    ///
    /// ```
    /// use promscribe::{MetricFamily, MetricType, Timestamp};
    /// let mut f = MetricFamily::new("temp", "T", MetricType::Gauge);
    /// let t = Timestamp::from_millis(1_700_000_000_000);
    /// f.push_sample("", vec![], 1.0, Some(t)).unwrap();
    /// assert_eq!(f.metrics[0].timestamp, Some(t));
    /// ```
    pub fn push_sample(
        &mut self,
        suffix: &str,
        mut labels: Vec<(String, String)>,
        value: f64,
        timestamp: Option<Timestamp>,
    ) -> Result<(), MetricError> {
        let sample_name = || format!("{}{suffix}", self.name);
        let take = |labels: &mut Vec<(String, String)>, name: &str| {
            let i = labels.iter().position(|(k, _)| k == name)?;
            Some(labels.remove(i).1)
        };
        let number = |text: &str, what: &str| -> Result<f64, MetricError> {
            crate::render::float::parse_float(text).ok_or_else(|| {
                self.invalid(format!(
                    "`{what}` label `{text}` of `{}` is not a number",
                    sample_name()
                ))
            })
        };
        // What the sample is, and the labels of its metric.
        enum Part {
            Value,
            Created,
            Bucket(f64),
            Count,
            Sum,
            Quantile(f64),
            State(String),
        }
        let kind = self.kind;
        let part = match (kind, suffix) {
            (MetricType::Counter, "_total")
            | (MetricType::Gauge | MetricType::Unknown, "")
            | (MetricType::Info, "_info") => Part::Value,
            (MetricType::Counter | MetricType::Histogram | MetricType::Summary, "_created") => {
                Part::Created
            }
            (MetricType::Histogram | MetricType::GaugeHistogram, "_bucket") => {
                let le = take(&mut labels, "le").ok_or_else(|| {
                    self.invalid(format!("`{}` has no `le` label", sample_name()))
                })?;
                Part::Bucket(number(&le, "le")?)
            }
            (MetricType::Histogram | MetricType::Summary, "_count")
            | (MetricType::GaugeHistogram, "_gcount") => Part::Count,
            (MetricType::Histogram | MetricType::Summary, "_sum")
            | (MetricType::GaugeHistogram, "_gsum") => Part::Sum,
            (MetricType::Summary, "") => {
                let q = take(&mut labels, "quantile").ok_or_else(|| {
                    self.invalid(format!("`{}` has no `quantile` label", sample_name()))
                })?;
                Part::Quantile(number(&q, "quantile")?)
            }
            (MetricType::StateSet, "") => {
                let name = self.name.clone();
                let state = take(&mut labels, &name).ok_or_else(|| {
                    self.invalid(format!("`{}` has no `{name}` label", sample_name()))
                })?;
                Part::State(state)
            }
            _ => {
                return Err(self.invalid(format!(
                    "a sample `{}` does not belong in a {kind} family",
                    sample_name()
                )))
            }
        };
        if matches!(part, Part::Value) && kind == MetricType::Info && value != 1.0 {
            return Err(self.invalid(format!(
                "info sample `{}` has value {value}, not 1",
                sample_name()
            )));
        }
        if let Part::State(_) = part {
            if value != 0.0 && value != 1.0 {
                return Err(self.invalid(format!(
                    "state set sample `{}` has value {value}, not 0 or 1",
                    sample_name()
                )));
            }
        }
        let same = self.metrics.last().is_some_and(|m| {
            m.labels.len() == labels.len()
                && m.labels
                    .pairs()
                    .zip(&labels)
                    .all(|((k, v), (k2, v2))| k == k2 && v == v2)
        });
        // A value sample after a complete one of the same labels starts a
        // new metric (two series of one label set stay two).
        let starts_new = !same
            || matches!(
                (&part, self.metrics.last().map(|m| &m.point)),
                (Part::Value, Some(Point::Counter(c))) if !c.value.is_nan()
            )
            || matches!(part, Part::Value) && kind != MetricType::Counter;
        if starts_new {
            let point = match kind {
                MetricType::Counter => Point::Counter(CounterPoint {
                    value: f64::NAN,
                    created: None,
                    exemplar: None,
                }),
                MetricType::Gauge => Point::Gauge(value),
                MetricType::Unknown => Point::Unknown(value),
                MetricType::Info => Point::Info,
                MetricType::StateSet => Point::StateSet(Vec::new()),
                MetricType::Summary => Point::Summary(SummaryPoint {
                    count: None,
                    sum: None,
                    quantiles: Vec::new(),
                    created: None,
                }),
                MetricType::Histogram | MetricType::GaugeHistogram => {
                    let p = HistogramPoint {
                        bounds: Bounds::from(Vec::new()),
                        counts: Vec::new(),
                        count: None,
                        sum: None,
                        created: None,
                        exemplars: Vec::new(),
                        native: None,
                    };
                    if kind == MetricType::Histogram {
                        Point::Histogram(p)
                    } else {
                        Point::GaugeHistogram(p)
                    }
                }
            };
            self.metrics.push(Metric {
                labels: LabelSet::new(labels),
                point,
                timestamp,
            });
        }
        let name = sample_name();
        let Some(metric) = self.metrics.last_mut() else {
            return Ok(());
        };
        if metric.timestamp != timestamp {
            let shown = |t: Option<Timestamp>| t.map_or("none".to_owned(), |t| format!("{t} s"));
            return Err(MetricError::InvalidSample {
                metric: self.name.clone(),
                reason: format!(
                    "`{name}` has timestamp {}, but the other samples of its metric {}",
                    shown(timestamp),
                    shown(metric.timestamp)
                ),
            });
        }
        let twice = || MetricError::InvalidSample {
            metric: self.name.clone(),
            reason: format!("`{name}` is given twice for one label set"),
        };
        match (&mut metric.point, part) {
            (Point::Counter(c), Part::Value) => c.value = value,
            (Point::Counter(c), Part::Created) if c.created.is_none() => c.created = Some(value),
            (Point::Gauge(_) | Point::Unknown(_) | Point::Info, Part::Value) => {}
            (Point::StateSet(states), Part::State(s)) => {
                if states.iter().any(|(o, _)| *o == s) {
                    return Err(twice());
                }
                states.push((s, value == 1.0));
            }
            (Point::Summary(p), Part::Quantile(q)) => p.quantiles.push((q, value)),
            (Point::Summary(p), Part::Count) if p.count.is_none() => p.count = Some(value),
            (Point::Summary(p), Part::Sum) if p.sum.is_none() => p.sum = Some(value),
            (Point::Summary(p), Part::Created) if p.created.is_none() => p.created = Some(value),
            (Point::Histogram(h) | Point::GaugeHistogram(h), Part::Bucket(le)) => {
                let BoundsRepr::Owned(bounds) = &mut h.bounds.0 else {
                    return Err(twice());
                };
                if bounds.last().is_some_and(|b| *b >= le) {
                    return Err(MetricError::InvalidSample {
                        metric: self.name.clone(),
                        reason: format!("`{name}` bucket bounds are not increasing at le={le}"),
                    });
                }
                bounds.push(le);
                h.counts.push(value);
            }
            (Point::Histogram(h) | Point::GaugeHistogram(h), Part::Count) if h.count.is_none() => {
                h.count = Some(value)
            }
            (Point::Histogram(h) | Point::GaugeHistogram(h), Part::Sum) if h.sum.is_none() => {
                h.sum = Some(value)
            }
            (Point::Histogram(h), Part::Created) if h.created.is_none() => h.created = Some(value),
            _ => return Err(twice()),
        }
        Ok(())
    }

    /// A family of these flat samples (full names, as a text parser reads
    /// them), typed: samples of one label set are gathered into one metric
    /// wherever they stand (in order of first appearance), then added as
    /// [`push_sample`](MetricFamily::push_sample) adds them.
    ///
    /// ```
    /// use promscribe::{MetricFamily, MetricType, Sample};
    /// let l = |v: &str| vec![("path".to_string(), v.to_string())];
    /// let f = MetricFamily::from_samples("hits", "Hits", MetricType::Counter, vec![
    ///     Sample::new("hits_total", l("/a"), 1.0),
    ///     Sample::new("hits_total", l("/b"), 2.0),
    ///     Sample::new("hits_created", l("/a"), 1.7e9),
    /// ]).unwrap();
    /// assert_eq!(f.metrics.len(), 2);
    /// assert!(MetricFamily::from_samples("x", "", MetricType::Gauge,
    ///     vec![Sample::new("y", vec![], 1.0)]).is_err());
    /// ```
    pub fn from_samples(
        name: &str,
        help: &str,
        kind: MetricType,
        samples: Vec<Sample>,
    ) -> Result<MetricFamily, MetricError> {
        let mut family = MetricFamily::new(name, help, kind);
        let mut groups: std::collections::HashMap<Vec<(String, String)>, usize> =
            std::collections::HashMap::new();
        let mut keyed = Vec::with_capacity(samples.len());
        for s in samples {
            let Some(suffix) = s.name.strip_prefix(name) else {
                return Err(family.invalid(format!(
                    "a sample `{}` does not belong in family `{name}`",
                    s.name
                )));
            };
            let special = match (kind, suffix) {
                (MetricType::Histogram | MetricType::GaugeHistogram, "_bucket") => Some("le"),
                (MetricType::Summary, "") => Some("quantile"),
                (MetricType::StateSet, "") => Some(name),
                _ => None,
            };
            let key: Vec<(String, String)> = s
                .labels
                .iter()
                .filter(|(k, _)| Some(k.as_str()) != special)
                .cloned()
                .collect();
            let next = groups.len();
            let group = *groups.entry(key).or_insert(next);
            keyed.push((group, suffix.len(), s));
        }
        // Stable: samples of one group keep their order.
        keyed.sort_by_key(|(g, _, _)| *g);
        for (_, suffix_len, s) in keyed {
            let suffix = &s.name[s.name.len() - suffix_len..];
            family.push_sample(suffix, s.labels, s.value, s.timestamp)?;
        }
        Ok(family)
    }

    /// The flat, Python-style samples derived from the typed metrics, as
    /// the text format writes them (`_created` included when `created`).
    ///
    /// ```
    /// use promscribe::{MetricFamily, MetricType};
    /// let mut f = MetricFamily::new("rpc", "RPC", MetricType::Summary);
    /// f.push("_count", vec![], 2.0).unwrap();
    /// f.push("_sum", vec![], 0.5).unwrap();
    /// let names: Vec<_> = f.samples_with(false).into_iter().map(|s| s.name).collect();
    /// assert_eq!(names, ["rpc_count", "rpc_sum"]);
    /// ```
    pub fn samples_with(&self, created: bool) -> Vec<Sample> {
        let mut out = Vec::new();
        for m in &self.metrics {
            let labels = || m.labels.to_vec();
            let with = |k: &str, v: String| {
                let mut l = m.labels.to_vec();
                l.push((k.to_owned(), v));
                l
            };
            let sample = |suffix: &str, labels: Vec<(String, String)>, value: f64| Sample {
                name: format!("{}{suffix}", self.name),
                labels,
                value,
                timestamp: m.timestamp,
                exemplar: None,
            };
            match &m.point {
                Point::Counter(c) => {
                    let mut total = sample("_total", labels(), c.value);
                    total.exemplar = c.exemplar.as_deref().cloned();
                    out.push(total);
                    if let (true, Some(t)) = (created, c.created) {
                        out.push(sample("_created", labels(), t));
                    }
                }
                Point::Gauge(v) | Point::Unknown(v) => out.push(sample("", labels(), *v)),
                Point::Info => out.push(sample("_info", labels(), 1.0)),
                Point::StateSet(states) => {
                    for (s, on) in states {
                        let v = if *on { 1.0 } else { 0.0 };
                        out.push(sample("", with(&self.name, s.clone()), v));
                    }
                }
                Point::Summary(p) => {
                    for (q, v) in &p.quantiles {
                        out.push(sample("", with("quantile", float_string(*q)), *v));
                    }
                    if let Some(count) = p.count {
                        out.push(sample("_count", labels(), count));
                    }
                    if let Some(sum) = p.sum {
                        out.push(sample("_sum", labels(), sum));
                    }
                    if let (true, Some(t)) = (created, p.created) {
                        out.push(sample("_created", labels(), t));
                    }
                }
                Point::Histogram(h) | Point::GaugeHistogram(h) => {
                    let gauge = matches!(m.point, Point::GaugeHistogram(_));
                    for (i, (b, c)) in h.bounds.as_slice().iter().zip(&h.counts).enumerate() {
                        let mut bucket = sample("_bucket", with("le", float_string(*b)), *c);
                        bucket.exemplar = h.exemplar(i).cloned();
                        out.push(bucket);
                    }
                    if let Some(count) = h.count {
                        out.push(sample(
                            if gauge { "_gcount" } else { "_count" },
                            labels(),
                            count,
                        ));
                    }
                    if let Some(sum) = h.sum {
                        out.push(sample(if gauge { "_gsum" } else { "_sum" }, labels(), sum));
                    }
                    if let (true, false, Some(t)) = (created, gauge, h.created) {
                        out.push(sample("_created", labels(), t));
                    }
                }
            }
        }
        out
    }

    /// [`samples_with`](MetricFamily::samples_with) with `_created` as
    /// [`created_series_enabled`](crate::created_series_enabled) says.
    ///
    /// ```
    /// use promscribe::{MetricFamily, MetricType};
    /// let mut f = MetricFamily::new("up", "Up", MetricType::Gauge);
    /// f.push("", vec![], 1.0).unwrap();
    /// assert_eq!(f.samples()[0].name, "up");
    /// ```
    pub fn samples(&self) -> Vec<Sample> {
        self.samples_with(created_series_enabled())
    }
}

/// What a collector declares it will produce, so that a registry can detect
/// clashing names when the collector is registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// Family name, as in [`MetricFamily::name`].
    pub name: String,
    /// Metric type.
    pub kind: MetricType,
}

impl Descriptor {
    /// All sample names a family of this name and type can produce.
    ///
    /// ```
    /// use promscribe::{Descriptor, MetricType};
    /// let d = Descriptor { name: "rpc".into(), kind: MetricType::Summary };
    /// assert_eq!(d.sample_names(), ["rpc", "rpc_sum", "rpc_count", "rpc_created"]);
    /// ```
    pub fn sample_names(&self) -> Vec<String> {
        std::iter::once(self.name.clone())
            .chain(
                self.kind
                    .sample_suffixes()
                    .iter()
                    .map(|s| format!("{}{s}", self.name)),
            )
            .collect()
    }
}

static CREATED: AtomicU8 = AtomicU8::new(0);
const CREATED_UNKNOWN: u8 = 0;
const CREATED_ON: u8 = 1;
const CREATED_OFF: u8 = 2;

/// Whether `_created` series are exposed: yes, unless turned off with
/// [`disable_created_series`] or the environment variable
/// `PROMETHEUS_DISABLE_CREATED_SERIES` (any value but empty, `0` or
/// `false`), as in Python's client.
///
/// ```
/// # std::env::remove_var("PROMETHEUS_DISABLE_CREATED_SERIES");
/// assert!(promscribe::created_series_enabled());
/// ```
pub fn created_series_enabled() -> bool {
    match CREATED.load(Ordering::Relaxed) {
        CREATED_ON => true,
        CREATED_OFF => false,
        _ => {
            let off = std::env::var("PROMETHEUS_DISABLE_CREATED_SERIES")
                .map(|v| !matches!(v.to_ascii_lowercase().as_str(), "" | "0" | "false"))
                .unwrap_or(false);
            let state = if off { CREATED_OFF } else { CREATED_ON };
            let _ = CREATED.compare_exchange(
                CREATED_UNKNOWN,
                state,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            !off
        }
    }
}

/// Stops exposing `_created` series, process-wide.
///
/// ```
/// promscribe::disable_created_series();
/// assert!(!promscribe::created_series_enabled());
/// promscribe::enable_created_series();
/// ```
pub fn disable_created_series() {
    CREATED.store(CREATED_OFF, Ordering::Relaxed);
}

/// Exposes `_created` series again, process-wide.
///
/// ```
/// promscribe::enable_created_series();
/// assert!(promscribe::created_series_enabled());
/// ```
pub fn enable_created_series() {
    CREATED.store(CREATED_ON, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemes(l: &LabelSet) -> Vec<String> {
        let mut buf = String::new();
        [
            EscapingScheme::AllowUtf8,
            EscapingScheme::Underscores,
            EscapingScheme::Dots,
            EscapingScheme::Values,
        ]
        .into_iter()
        .map(|s| l.rendered_with(s, &mut buf).to_owned())
        .collect()
    }

    /// A refilled set is the set `LabelSet::new` builds from the same
    /// pairs, in every scheme, whether the names change or not; refilled
    /// with values no longer than before, it keeps its buffer.
    #[test]
    fn refill_matches_new_and_reuses_its_buffers() {
        let sets: [&[(&str, &str)]; 6] = [
            &[("method", "get"), ("path", "/a\"b\\c\nd")],
            &[("method", "post"), ("path", "/")],
            &[("my.method", "put"), ("path", "x")],
            &[("method", "get")],
            &[("method", "delete"), ("path", "/z"), ("code", "200")],
            &[],
        ];
        let mut kept = LabelSet::EMPTY;
        for pairs in sets {
            kept.refill(pairs.iter().copied(), false);
            let built = LabelSet::new(pairs.iter().copied());
            assert_eq!(kept, built);
            assert_eq!(kept.rendered(), built.rendered());
            assert_eq!(schemes(&kept), schemes(&built), "{pairs:?}");
        }
        kept.refill(
            [("method", "delete"), ("path", "/longer/than/the/next")],
            true,
        );
        let buffer = kept.rendered().as_ptr();
        kept.refill([("method", "get"), ("path", "/short")], true);
        assert_eq!(kept.rendered(), r#"method="get",path="/short""#);
        assert_eq!(kept.rendered().as_ptr(), buffer, "not refilled in place");
    }

    /// Plain values under a name outside the legacy set: rendered as
    /// `new` renders them, in every scheme, though the values need no
    /// escaping; the pairs read back as given.
    #[test]
    fn a_plain_refill_with_a_utf8_name_renders_as_new() {
        let mut kept = LabelSet::EMPTY;
        for _ in 0..2 {
            kept.refill([("my.label", "x"), ("b", "y")], true);
            let built = LabelSet::new([("my.label", "x"), ("b", "y")]);
            assert_eq!(kept.rendered(), r#""my.label"="x",b="y""#);
            assert_eq!(schemes(&kept), schemes(&built));
            assert_eq!(
                kept.pairs().collect::<Vec<_>>(),
                [("my.label", "x"), ("b", "y")]
            );
        }
        kept.refill([("a", "1")], true);
        assert_eq!(kept.pairs().collect::<Vec<_>>(), [("a", "1")]);
        assert_eq!(kept.get("a"), Some("1"));
    }

    /// A family's kept set: values refilled, names kept.
    #[test]
    fn refill_values_keeps_the_names_and_matches_new() {
        let mut kept = LabelSet::EMPTY;
        // Empty at first: names and values are filled.
        kept.refill_values(["method", "path"], ["get", "/a"].into_iter(), true);
        assert_eq!(kept, LabelSet::new([("method", "get"), ("path", "/a")]));
        kept.refill_values(["method", "path"], ["post", "/a\"b"].into_iter(), false);
        let built = LabelSet::new([("method", "post"), ("path", "/a\"b")]);
        assert_eq!(kept, built);
        assert_eq!(kept.rendered(), built.rendered());
        // Another number of values: the names are taken anew.
        kept.refill_values(["code"], ["200"].into_iter(), true);
        assert_eq!(kept.rendered(), r#"code="200""#);
    }

    /// A clone of a refilled set is a set of its own: refilling again
    /// leaves it as it was; so does refilling a set built by `new` for its
    /// clones.
    #[test]
    fn refill_leaves_clones_alone() {
        let mut built = LabelSet::new([("a", "1")]);
        let clone = built.clone();
        built.refill([("a", "2")], true);
        assert_eq!(clone.rendered(), r#"a="1""#);
        assert_eq!(built.rendered(), r#"a="2""#);
        let refilled_clone = built.clone();
        built.refill([("a", "3")], true);
        assert_eq!(refilled_clone.rendered(), r#"a="2""#);
        assert_eq!(refilled_clone.pairs().collect::<Vec<_>>(), [("a", "2")]);
        assert_eq!(built.rendered(), r#"a="3""#);
    }
}
