//! [`Family`]: a metric with labels, one child per combination of values.
//!
//! The children live in an [`Index`] (`index.rs`): found without a lock
//! under an epoch guard (`crossbeam_epoch`), by enum values in a dense
//! array without one, created and removed under the index's writer lock.
//! A child keeps its label values only, contiguous; the names are the
//! family's, and a scrape renders each child's label set into one kept
//! [`LabelSet`].

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crossbeam_epoch::{self as epoch, Guard};

/// Label values are hashed with a per-process random seed (foldhash):
/// several times faster than SipHash on short strings, and still not
/// predictable from outside.
type RandomState = foldhash::fast::RandomState;

use once_cell::race::OnceBox;

use crate::buckets::Buckets;
use crate::collector::{Collector, StreamFamily};
use crate::error::MetricError;
use crate::meta::{LabelNames, Meta, Opts};
use crate::metrics::index::{Entry, Index, Ref};
use crate::metrics::labels::LabelValues;
use crate::metrics::liveness::{monotonic_ms, Liveness};
use crate::metrics::meta_ref::MetaRef;
use crate::model::{Descriptor, LabelSet, Metric, MetricFamily, MetricType};

/// A metric type that can be a child of a [`Family`]: Counter, Gauge,
/// Histogram, Summary.
pub trait FamilyMember: Send + Sync + Sized + 'static {
    /// The type of the family.
    const TYPE: MetricType;
    /// What every child is built from (a histogram's buckets).
    type Config: Send + Sync + 'static;
    /// A fresh child.
    #[doc(hidden)]
    fn new_child(config: &Self::Config) -> Self;
    /// A fresh child of `family`: for a type whose child checks its values
    /// against the family's metadata (an `Info` child's keys against the
    /// family's label names). Defaults to [`new_child`](Self::new_child).
    #[doc(hidden)]
    fn new_child_of(config: &Self::Config, family: &Parent<'_>) -> Self {
        let _ = family;
        Self::new_child(config)
    }
    /// The child's liveness (every member type has one; a type without
    /// one is never expired and never overflows).
    #[doc(hidden)]
    fn __liveness(&self) -> Option<&Liveness> {
        None
    }
    /// This child as the family's overflow series: its updates counted in
    /// `tally`.
    #[doc(hidden)]
    fn __overflow(self, tally: Arc<crate::Counter>) -> Self {
        let _ = tally;
        self
    }
    /// Appends this child's metric (with its pre-rendered labels).
    #[doc(hidden)]
    fn collect_metric(&self, family: &mut MetricFamily, labels: &LabelSet);

    /// Calls `f` with this child's metric (its labels and point), as
    /// [`collect_metric`](Self::collect_metric) would append it. `scratch`
    /// is a point the caller lends for reuse from one child to the next
    /// (a histogram refills its counts in place), so that the scrape path
    /// allocates nothing per child. The default goes through
    /// `collect_metric`.
    #[doc(hidden)]
    fn visit_metric(
        &self,
        labels: &LabelSet,
        scratch: &mut crate::Point,
        f: &mut impl FnMut(&LabelSet, &crate::Point) -> std::fmt::Result,
    ) -> std::fmt::Result {
        let _ = scratch;
        let mut family = MetricFamily::new("", "", Self::TYPE);
        self.collect_metric(&mut family, labels);
        for m in &family.metrics {
            f(&m.labels, &m.point)?;
        }
        Ok(())
    }
}

/// Appends a metric of `labels` and `point` (the kinds agree by
/// construction: a member yields points of its `TYPE`).
pub(crate) fn push_metric(family: &mut MetricFamily, labels: &LabelSet, point: crate::Point) {
    family.metrics.push(Metric {
        labels: labels.clone(),
        point,
        timestamp: None,
    });
}

/// The family a child is created in.
#[doc(hidden)]
#[derive(Debug)]
pub struct Parent<'a> {
    pub(crate) meta: &'a MetaRef,
    /// The new series' label values (none for the overflow series).
    #[cfg_attr(not(feature = "multiprocess"), allow(dead_code))]
    pub(crate) values: &'a [&'a str],
    /// Whether the new series is the family's overflow series.
    #[cfg_attr(not(feature = "multiprocess"), allow(dead_code))]
    pub(crate) overflow: bool,
}

#[cfg(feature = "multiprocess")]
impl Parent<'_> {
    /// In multiprocess mode, the file values of the new series, built by
    /// `make` from the family's metadata and the series' labels: `None`
    /// when the mode is off (the series records in memory), `Some(None)`
    /// when `make` refuses.
    pub(crate) fn files(
        &self,
        make: impl FnOnce(
            &Meta,
            crate::multiprocess::metric_values::Series<'_>,
        ) -> Option<crate::multiprocess::metric_values::MetricFiles>,
    ) -> Option<Option<crate::multiprocess::metric_values::MetricFiles>> {
        use crate::multiprocess::metric_values::{check, Series};
        if !check() {
            return None;
        }
        let meta = self.meta.get()?;
        let series = if self.overflow {
            Series::Overflow
        } else {
            Series::Child(self.values)
        };
        Some(make(meta, series))
    }
}

/// `Collector` for an unlabelled metric type with a `meta: MetaRef` field:
/// one family of its own samples, described by its metadata.
macro_rules! impl_collector {
    ($t:ty) => {
        impl $crate::collector::Collector for $t {
            fn collect(&self, out: &mut Vec<$crate::model::MetricFamily>) {
                $crate::metrics::family::collect_single(self, &self.meta, out);
            }

            fn describe(&self) -> Vec<$crate::model::Descriptor> {
                self.meta
                    .get()
                    .map($crate::meta::Meta::descriptor)
                    .into_iter()
                    .collect()
            }

            fn as_stream(&self) -> Option<&dyn $crate::collector::StreamFamily> {
                self.meta
                    .get()
                    .map(|_| self as &dyn $crate::collector::StreamFamily)
            }
        }

        impl $crate::collector::StreamFamily for $t {
            fn stream_meta(&self) -> &$crate::meta::Meta {
                // `as_stream` offers a metric with metadata only.
                self.meta.get().unwrap_or(&$crate::metrics::family::NO_META)
            }

            fn metric_count(&self) -> usize {
                1
            }

            fn for_each_metric(
                &self,
                f: &mut dyn FnMut(
                    &$crate::model::LabelSet,
                    &$crate::model::Point,
                ) -> std::fmt::Result,
            ) -> std::fmt::Result {
                let mut scratch = $crate::model::Point::Gauge(0.0);
                $crate::metrics::family::FamilyMember::visit_metric(
                    self,
                    &$crate::model::LabelSet::EMPTY,
                    &mut scratch,
                    &mut |labels, point| f(labels, point),
                )
            }
        }
    };
}

/// Metadata of nothing, for the unreachable case of a metric without
/// metadata asked for its stream metadata.
pub(crate) static NO_META: Meta = Meta::new_static(MetricType::Unknown, "", "", "", &[]);
pub(crate) use impl_collector;

/// Collects an unlabelled metric as a one-sample family.
pub(crate) fn collect_single<M: FamilyMember>(m: &M, meta: &MetaRef, out: &mut Vec<MetricFamily>) {
    if let Some(meta) = meta.get() {
        let mut family = new_family(meta);
        m.collect_metric(&mut family, &LabelSet::EMPTY);
        out.push(family);
    }
}

fn new_family(meta: &Meta) -> MetricFamily {
    let mut f = MetricFamily::new(meta.name.as_ref(), meta.help.as_ref(), meta.kind);
    f.unit = meta.unit.to_string();
    f
}

/// Ends each label value in a child's `values` when one of them has a
/// character to escape: a byte no UTF-8 text holds, so the values cannot
/// run into each other (as in the hash).
const SEP: u8 = 0xff;

/// Ends each label value of a child none of whose values has a character
/// to escape (`\`, `"`, newline), which is most: such values and their
/// separators are UTF-8 as a whole, read at a scrape with one check and
/// written as they are. A probe with a `"` in a value cannot match them:
/// it would hold more `"` than the child's bytes do.
const QUOTE: u8 = b'"';

/// Whether a label value has a character the exposition formats escape.
fn needs_escaping(value: &str) -> bool {
    value.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n'))
}

/// Bytes of label values (separators included) a child keeps in itself;
/// longer ones go to a box of their own. 30: the node stays within the
/// size class it has with a box.
const INLINE: usize = 30;

/// A child's label values, each followed by its separator (`QUOTE`, or
/// `SEP` when a value has a character to escape), contiguous: in the node
/// when they fit, else in one box.
enum Values {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Values {
    fn new(values: &[&str]) -> Self {
        let sep = if values.iter().any(|v| needs_escaping(v)) {
            SEP
        } else {
            QUOTE
        };
        let bytes = || values.iter().flat_map(|v| v.bytes().chain([sep]));
        let len = values.iter().map(|v| v.len() + 1).sum::<usize>();
        match u8::try_from(len) {
            Ok(short) if len <= INLINE => {
                let mut inline = [0; INLINE];
                for (dst, src) in inline.iter_mut().zip(bytes()) {
                    *dst = src;
                }
                Values::Inline {
                    len: short,
                    bytes: inline,
                }
            }
            _ => {
                // Sized first: one allocation, no growth, no shrinking.
                let mut heap = Vec::with_capacity(len);
                heap.extend(bytes());
                Values::Heap(heap.into_boxed_slice())
            }
        }
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            Values::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Values::Heap(bytes) => bytes,
        }
    }
}

/// The separator of a child's value bytes: the last byte (`QUOTE` for no
/// values).
#[inline]
fn separator(bytes: &[u8]) -> u8 {
    match bytes.last() {
        Some(&SEP) => SEP,
        _ => QUOTE,
    }
}

/// One child: its label values and its metric. Shared (`Arc`, in the
/// index's entry) by the creation-order list and owned handles; the
/// lookup table points at it without a reference count.
struct Node<M> {
    /// The label values: a lookup compares the probe's values with these
    /// bytes as they are.
    values: Values,
    /// The label set of the typed snapshot (`Collector::collect`: the
    /// protobuf exposition, custom consumers), built by the first one and
    /// kept: later snapshots clone it (a reference count). The streaming
    /// text scrapes never build it; until a snapshot, it is a null pointer.
    labels: OnceBox<LabelSet>,
    metric: M,
}

impl<M> Node<M> {
    fn new(values: &[&str], metric: M) -> Self {
        Node {
            values: Values::new(values),
            labels: OnceBox::new(),
            metric,
        }
    }

    /// Whether this child's values are `values`: each compared with the
    /// kept bytes in place.
    ///
    /// Either separator is taken after a value, so that the child's kind
    /// need not be known: a child separated by `SEP` holds as many `SEP`s
    /// as values, none of them in a probe, so a match takes `SEP` at each
    /// of them; a child separated by `QUOTE` holds no `SEP` and no other
    /// `"`, so a match takes `QUOTE` each time and no probe value holds
    /// one.
    #[inline]
    fn is(&self, values: &[&str]) -> bool {
        let mut rest = self.values.bytes();
        for v in values {
            match rest.strip_prefix(v.as_bytes()) {
                Some([SEP | QUOTE, tail @ ..]) => rest = tail,
                _ => return false,
            }
        }
        rest.is_empty()
    }

    /// Whether no value has a character to escape.
    fn plain(&self) -> bool {
        separator(self.values.bytes()) == QUOTE
    }

    /// The label values, in order.
    fn values(&self) -> impl Iterator<Item = &str> + '_ {
        let bytes = self.values.bytes();
        let sep = separator(bytes);
        // Separated by `"`, the bytes are UTF-8 as a whole: checked once.
        let mut text = (sep == QUOTE)
            .then(|| std::str::from_utf8(bytes).ok())
            .flatten();
        let mut rest = bytes;
        std::iter::from_fn(move || {
            if let Some(t) = text.as_mut() {
                let (value, tail) = t.split_once('"')?;
                *t = tail;
                return Some(value);
            }
            let end = rest.iter().position(|&b| b == sep)?;
            let (value, tail) = rest.split_at(end);
            rest = tail.get(1..).unwrap_or_default();
            // Built from `&str`s, cut at the separators only: valid UTF-8.
            Some(std::str::from_utf8(value).unwrap_or_default())
        })
    }
}

impl<M: FamilyMember> Node<M> {
    /// For a lookup that found this child: whether it may be handed out
    /// (not dead); an expired child is brought back.
    #[inline(always)]
    fn live(&self) -> bool {
        match self.metric.__liveness() {
            Some(l) => l.lookup(),
            None => true,
        }
    }

    /// Whether the child is in the exposition.
    #[inline]
    fn exposed(&self) -> bool {
        self.metric.__liveness().is_none_or(Liveness::is_exposed)
    }

    /// Marks the child dead, as it leaves the index (`remove`, `clear`);
    /// `true`, for `remove_where`.
    fn kill(&self) -> bool {
        if let Some(l) = self.metric.__liveness() {
            l.kill();
        }
        true
    }
}

/// A child's `N` values, as an exact-size iterator.
struct ExactValues<I>(I, usize);

impl<'a, I: Iterator<Item = &'a str>> Iterator for ExactValues<I> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let v = self.0.next()?;
        self.1 = self.1.saturating_sub(1);
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, Some(self.1))
    }
}

impl<'a, I: Iterator<Item = &'a str>> ExactSizeIterator for ExactValues<I> {}

/// A labelled metric: `N` label names, one child metric per combination of
/// label values. The arity is in the type, so `labels` with the wrong
/// number of values does not compile.
///
/// [`labels`](Family::labels) finds an existing child without a lock and
/// without touching a reference count: it hashes the values, probes a
/// table that readers share without writing to it, and returns a
/// [`Child`] that borrows the family. A scrape never makes a lookup wait;
/// creating a child waits for a scrape of this family. Looking a child up
/// once and keeping the handle is cheaper still: updating it is as cheap
/// as updating an unlabelled metric. [`labels_owned`](Family::labels_owned)
/// gives a handle to keep in a struct or send to another thread.
///
/// ```
/// promscribe::counter!(REQUESTS, "my_requests_total", "HTTP Failures",
///                        labels = ["method", "endpoint"]);
///
/// REQUESTS.labels(["get", "/"]).inc();
/// let submit = REQUESTS.labels(["post", "/submit"]);  // cached handle
/// submit.inc();
/// submit.inc();
/// assert_eq!(REQUESTS.labels(["post", "/submit"]).get(), 2.0);
/// ```
pub struct Family<M: FamilyMember, const N: usize> {
    meta: MetaRef,
    config: M::Config,
    /// Label values are hashed with it; set with the first child.
    hasher: OnceLock<RandomState>,
    /// The children: a lock-free table, the creation-order list, and the
    /// dense array of children found by enum values
    /// ([`LabelValues::dense_index`]).
    index: Index<Node<M>>,
    /// The label set a scrape renders each child's labels into, kept
    /// from one scrape to the next (scrapes only; taken before the
    /// index's lock).
    scratch: Mutex<LabelSet>,
    /// `max_series` and `expire_after`.
    limits: Limits,
    /// The overflow series, made by the first lookup past the cap (once:
    /// racing lookups wait for it, so the warning is logged once).
    overflow: OnceLock<Overflow<M>>,
    /// The count of updates to the overflow series, made when a cap is
    /// first seen (so that the registry shows it at zero before any).
    tally: OnceBox<Arc<crate::Counter>>,
    /// Expiry and `retain`: the sweeps' state, one sweep at a time.
    sweeper: Mutex<Sweeper>,
    /// When the next sweep is due (`monotonic_ms`), for the sweeps that
    /// lookups past the table and scrapes start.
    next_sweep: AtomicU32,
    /// Set by `retain`: sweeps are due even without an idle timeout.
    retired: AtomicBool,
}

/// The label of a family's overflow series: OpenTelemetry's
/// `otel.metric.overflow` attribute, as Prometheus names it.
pub const OVERFLOW_LABEL: &str = "otel_metric_overflow";

/// The name of the counter family a registry exposes for its families that
/// have a cap: updates recorded into each one's overflow series, labelled
/// `family`.
pub const OVERFLOW_COUNTER: &str = "promscribe_series_overflow";

/// Logs the first overflow of a family (once per family: the overflow
/// series is made once).
#[cold]
fn warn_overflow(family: &str, cap: usize) {
    tracing::warn!(
        family,
        max_series = cap,
        "metric family `{family}` reached its limit of {cap} series: further label \
         combinations are recorded in its series labelled {OVERFLOW_LABEL}=\"true\""
    );
}

/// The process-wide `max_series` of families that set none.
static DEFAULT_MAX_SERIES: OnceLock<usize> = OnceLock::new();

/// Sets the `max_series` of every [`Family`] that does not set its own
/// (declared with `max_series = N`, or built with
/// [`Opts::max_series`]), in every registry, from now on; once per
/// process. A second call, or a cap of 0, is an error and changes nothing.
///
/// ```
/// promscribe::set_default_max_series(10_000).unwrap();
/// assert!(promscribe::set_default_max_series(5_000).is_err());
/// assert_eq!(promscribe::default_max_series(), Some(10_000));
/// ```
pub fn set_default_max_series(max: usize) -> Result<(), MetricError> {
    if max == 0 {
        return Err(MetricError::InvalidLimit {
            metric: String::new(),
            reason: "a default max_series of 0 would send every series to overflow".into(),
        });
    }
    DEFAULT_MAX_SERIES
        .set(max)
        .map_err(|_| MetricError::InvalidLimit {
            metric: String::new(),
            reason: format!(
                "the default max_series is set once per process, and is {} already",
                DEFAULT_MAX_SERIES.get().copied().unwrap_or(max)
            ),
        })
}

/// The process-wide default `max_series`, if one was set.
///
/// ```
/// let _ = promscribe::default_max_series();
/// ```
pub fn default_max_series() -> Option<usize> {
    DEFAULT_MAX_SERIES.get().copied()
}

/// What is wrong with a declared family's `max_series`, or `""`. The
/// declaration macros check a const expression with it, in the
/// expansion, so that the build fails at the expression.
#[doc(hidden)]
pub const fn __max_series_error(max: usize) -> &'static str {
    match Limits::new(Some(max), None) {
        Ok(_) => "",
        Err(reason) => reason,
    }
}

/// What is wrong with a declared family's `expire_after`, or `""` (as
/// [`__max_series_error`]).
#[doc(hidden)]
pub const fn __expire_after_error(after: Duration) -> &'static str {
    match Limits::new(None, Some(after)) {
        Ok(_) => "",
        Err(reason) => reason,
    }
}

/// A family's series limits: `max_series` (0: the process default, if
/// any) and the idle timeout in milliseconds (0: none).
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_series: usize,
    expire_ms: u32,
}

/// The longest idle timeout (exclusive): 24 days, within half the range
/// of the wrapping millisecond clock (about 24.8 days).
const MAX_EXPIRE_MS: u128 = 24 * 86_400_000;

impl Limits {
    const NONE: Limits = Limits {
        max_series: 0,
        expire_ms: 0,
    };

    /// The limits, or what is wrong with them.
    const fn new(
        max_series: Option<usize>,
        expire_after: Option<Duration>,
    ) -> Result<Limits, &'static str> {
        let max_series = match max_series {
            Some(0) => return Err("max_series must be at least 1"),
            Some(n) => n,
            None => 0,
        };
        let expire_ms = match expire_after {
            None => 0,
            Some(d) => {
                let ms = d.as_millis();
                if ms == 0 {
                    return Err("expire_after must be at least 1 ms");
                }
                if ms >= MAX_EXPIRE_MS {
                    return Err("expire_after must be under 24 days");
                }
                // Checked just above.
                ms as u32
            }
        };
        Ok(Limits {
            max_series,
            expire_ms,
        })
    }
}

/// The overflow series of a family: a child outside the index, labelled
/// `otel_metric_overflow="true"` only.
struct Overflow<M> {
    entry: Arc<Entry<Node<M>>>,
    labels: LabelSet,
}

/// What the sweeps of one family keep.
struct Sweeper {
    /// The number of the last sweep (or `retain`).
    number: u32,
    /// The last sweep after which every epoch guard pinned at its end was
    /// dropped: set by a function the sweep defers to the epoch's
    /// collector. A child expired by a sweep up to this one can be reached
    /// by no borrowed handle (`Child`) that it did not revive.
    quiet: Option<Arc<AtomicU32>>,
}

/// A child of a [`Family`], borrowed from it: what
/// [`labels`](Family::labels) returns. It dereferences to the metric
/// (`family.labels(["get"]).inc()`). It pins the calling thread (an
/// epoch guard: a write to that thread's own record, nothing shared) so
/// that a concurrent [`remove`](Family::remove) cannot free the child
/// under it; it is therefore neither `Send` nor `Sync`, and memory that
/// removals free waits while a thread holds one. To keep a handle in a
/// struct, across an `.await`, or on another thread, use
/// [`labels_owned`](Family::labels_owned).
///
/// ```
/// promscribe::counter!(HITS, "hits_total", "Hits", labels = ["page"]);
/// let home = HITS.labels(["/"]);
/// home.inc();
/// assert_eq!(home.get(), 1.0);
/// ```
///
/// ```compile_fail
/// promscribe::counter!(HITS, "hits_total", "Hits", labels = ["page"]);
/// fn send<T: Send>(_: T) {}
/// send(HITS.labels(["/"])); // the guard belongs to this thread
/// ```
pub struct Child<'a, M> {
    /// The child, and the guard that keeps it (none for a child found in
    /// the dense array, kept until the family is dropped).
    node: Ref<'a, Node<M>>,
}

impl<M> std::ops::Deref for Child<'_, M> {
    type Target = M;
    #[inline]
    fn deref(&self) -> &M {
        &self.node.metric
    }
}

impl<M: std::fmt::Debug> std::fmt::Debug for Child<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.node.metric.fmt(f)
    }
}

/// A child of a [`Family`] held by reference count: what
/// [`labels_owned`](Family::labels_owned) returns. `Send`, `Sync`,
/// `Clone` and `'static`; it dereferences to the metric. After the child
/// is removed from its family ([`remove`](Family::remove),
/// [`clear`](Family::clear)), updates through it still work but are no
/// longer exposed; expiry and [`retain`](Family::retain) never do that
/// to a held handle (its next update brings the series back).
///
/// ```
/// use promscribe::{Counter, Family, Opts};
/// let f = Family::<Counter, 1>::new(Opts::new("jobs_total", "Jobs").labels(["queue"])).unwrap();
/// let mail = f.labels_owned(["mail"]);
/// std::thread::spawn(move || mail.inc()).join().unwrap();
/// assert_eq!(f.labels(["mail"]).get(), 1.0);
/// ```
pub struct OwnedChild<M>(Arc<Entry<Node<M>>>);

impl<M> Clone for OwnedChild<M> {
    fn clone(&self) -> Self {
        OwnedChild(Arc::clone(&self.0))
    }
}

impl<M> std::ops::Deref for OwnedChild<M> {
    type Target = M;
    #[inline]
    fn deref(&self) -> &M {
        &self.0.metric
    }
}

impl<M: std::fmt::Debug> std::fmt::Debug for OwnedChild<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.metric.fmt(f)
    }
}

impl<M: FamilyMember, const N: usize> std::fmt::Debug for Family<M, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.meta.name())
            .field("type", &M::TYPE)
            .field("children", &self.len())
            .finish()
    }
}

impl<M: FamilyMember, const N: usize> Family<M, N> {
    #[doc(hidden)]
    pub const fn __from_static(meta: &'static Meta, config: M::Config) -> Self {
        Self::from_parts(MetaRef::Static(meta), config, Limits::NONE)
    }

    /// A declared family with `max_series = N` or `expire_after = D`
    /// (0 and `None`: not set). Limits out of range fail the build (the
    /// declaration macros check literals themselves, with a span).
    #[doc(hidden)]
    pub const fn __from_static_limited(
        meta: &'static Meta,
        config: M::Config,
        max_series: Option<usize>,
        expire_after: Option<Duration>,
    ) -> Self {
        let limits = match Limits::new(max_series, expire_after) {
            Ok(limits) => limits,
            Err(reason) => panic!("{}", reason),
        };
        Self::from_parts(MetaRef::Static(meta), config, limits)
    }

    const fn from_parts(meta: MetaRef, config: M::Config, limits: Limits) -> Self {
        Family {
            meta,
            config,
            hasher: OnceLock::new(),
            index: Index::new(),
            scratch: Mutex::new(LabelSet::EMPTY),
            limits,
            overflow: OnceLock::new(),
            tally: OnceBox::new(),
            sweeper: Mutex::new(Sweeper {
                number: 0,
                quiet: None,
            }),
            next_sweep: AtomicU32::new(0),
            retired: AtomicBool::new(false),
        }
    }

    /// A family built at run time from [`Opts`] (which must name exactly
    /// `N` labels) and the children's configuration (`()`, a histogram's
    /// [`HistogramConfig`](crate::HistogramConfig), a summary's
    /// [`SummaryConfig`](crate::SummaryConfig)).
    ///
    /// ```
    /// use promscribe::{Counter, Family, Opts};
    /// let f = Family::<Counter, 1>::with_config(
    ///     Opts::new("hits_total", "Hits").labels(["page"]), ()).unwrap();
    /// f.labels(["/"]).inc();
    /// assert!(Family::<Counter, 2>::with_config(Opts::new("x", "x").labels(["a"]), ()).is_err());
    /// ```
    pub fn with_config(mut opts: Opts, config: M::Config) -> Result<Arc<Self>, MetricError> {
        // A constructor asks the mode afresh: an `init` since is seen now.
        #[cfg(feature = "multiprocess")]
        crate::multiprocess::metric_values::check();
        if opts.labels.len() != N {
            return Err(MetricError::LabelCount {
                metric: opts.name.clone(),
                expected: N,
                got: opts.labels.len(),
            });
        }
        let limits =
            Limits::new(opts.max_series.take(), opts.expire_after.take()).map_err(|reason| {
                MetricError::InvalidLimit {
                    metric: opts.name.clone(),
                    reason: reason.to_owned(),
                }
            })?;
        let meta = opts.into_meta(M::TYPE)?;
        Ok(Arc::new(Self::from_parts(
            MetaRef::Shared(Arc::new(meta)),
            config,
            limits,
        )))
    }

    /// The family name.
    ///
    /// ```
    /// promscribe::gauge!(G, "temp", "T", labels = ["room"]);
    /// assert_eq!(G.name(), "temp");
    /// ```
    pub fn name(&self) -> &str {
        self.meta.name()
    }

    /// The child for these label values, created on first use. Accepts an
    /// array `[V; N]` of any [`LabelValue`](crate::LabelValue) type, or a
    /// tuple of `N` mixed ones.
    ///
    /// ```
    /// promscribe::counter!(C, "responses_total", "Responses", labels = ["method", "code"]);
    /// C.labels(("get", 200u16)).inc();
    /// assert_eq!(C.labels(["get", "200"]).get(), 1.0);
    /// ```
    #[inline]
    pub fn labels<L: LabelValues<N>>(&self, values: L) -> Child<'_, M> {
        // The dense array's hit, inlined into the caller: a few loads and
        // a comparison.
        let dense = values.dense_index();
        if let Some((i, total)) = dense {
            let texts = values.texts();
            let strs: [&str; N] = std::array::from_fn(|i| texts[i].as_str());
            // Compared: another enum type may index the same positions.
            if let Some(node) = self.index.dense_get(i, total, |n| n.is(&strs)) {
                if node.live() {
                    return Child { node };
                }
            }
        }
        self.labels_hashed(values, dense)
    }

    /// [`labels`](Self::labels) by hashing: a lookup in the table under a
    /// guard, or the child created.
    fn labels_hashed<L: LabelValues<N>>(
        &self,
        values: L,
        dense: Option<(usize, usize)>,
    ) -> Child<'_, M> {
        let texts = values.texts();
        let strs: [&str; N] = std::array::from_fn(|i| texts[i].as_str());
        let mut guard = epoch::pin();
        let mut hash = None;
        if let Some(hasher) = self.hasher.get() {
            let h = Self::hash(hasher, &strs);
            hash = Some(h);
            match self.index.get(h, |n| n.is(&strs), guard) {
                Ok(node) if node.live() => {
                    if let Some((i, total)) = dense {
                        // Found by hashing: publish it for the next lookup.
                        self.index.publish(&node, i, total);
                    }
                    return Child { node };
                }
                // Dead: unlinked under the writers' lock, which the
                // insert below waits for.
                Ok(node) => guard = node.into_guard().unwrap_or_else(epoch::pin),
                Err(back) => guard = back,
            }
        }
        self.create(&strs, hash, dense, guard)
    }

    /// The slow path of [`labels`](Self::labels): the child created, or,
    /// past the cap, the overflow series; a due sweep first.
    #[cold]
    #[inline(never)]
    fn create(
        &self,
        strs: &[&str; N],
        hash: Option<u64>,
        dense: Option<(usize, usize)>,
        guard: Guard,
    ) -> Child<'_, M> {
        let cap = self.cap();
        self.sweep_before_insert(cap);
        let hash = hash.unwrap_or_else(|| self.hash_new(strs));
        let made = (self.index.len() < cap)
            .then(|| {
                self.index.get_or_insert(
                    hash,
                    |n| n.is(strs),
                    || self.node(strs),
                    dense,
                    cap,
                    guard,
                )
            })
            .and_then(Result::ok);
        match made {
            Some(node) => {
                // Expired (not dead: those are unlinked under the lock the
                // insert held): brought back.
                node.live();
                Child { node }
            }
            None => Child {
                node: Ref::kept(&self.overflow().entry),
            },
        }
    }

    /// The child for these label values as an owned handle, created on
    /// first use: for a handle kept in a struct, held across an `.await`
    /// or sent to another thread (one reference count per call; prefer
    /// [`labels`](Family::labels) for a lookup per update).
    ///
    /// ```
    /// promscribe::gauge!(TEMP, "temp_celsius", "T", labels = ["room"]);
    /// struct Sensor { reading: promscribe::OwnedChild<promscribe::Gauge> }
    /// let s = Sensor { reading: TEMP.labels_owned(["hall"]) };
    /// s.reading.set(19.5);
    /// assert_eq!(TEMP.labels(["hall"]).get(), 19.5);
    /// ```
    pub fn labels_owned<L: LabelValues<N>>(&self, values: L) -> OwnedChild<M> {
        let texts = values.texts();
        let strs: [&str; N] = std::array::from_fn(|i| texts[i].as_str());
        let guard = epoch::pin();
        if let Some(hasher) = self.hasher.get() {
            let hash = Self::hash(hasher, &strs);
            if let Some(node) = self.index.get_arc(hash, |n| n.is(&strs), &guard) {
                // The count just taken, against a sweep releasing the
                // child (`Liveness::try_release`).
                if node.metric.__liveness().is_none_or(Liveness::claim) {
                    return OwnedChild(node);
                }
            }
        }
        let cap = self.cap();
        self.sweep_before_insert(cap);
        let hash = self.hash_new(&strs);
        let made = (self.index.len() < cap)
            .then(|| {
                self.index.get_or_insert_arc(
                    hash,
                    |n| n.is(&strs),
                    || self.node(&strs),
                    None,
                    cap,
                    &guard,
                )
            })
            .flatten();
        match made {
            Some(node) => {
                node.live();
                OwnedChild(node)
            }
            None => OwnedChild(Arc::clone(&self.overflow().entry)),
        }
    }

    /// The cap: the family's `max_series`, else the process default, else
    /// none.
    #[inline]
    fn cap(&self) -> usize {
        match self.limits.max_series {
            0 => DEFAULT_MAX_SERIES.get().copied().unwrap_or(usize::MAX),
            n => n,
        }
    }

    /// The overflow series (made by the first lookup past the cap, which
    /// logs it once).
    fn overflow(&self) -> &Overflow<M> {
        self.overflow.get_or_init(|| {
            let parent = Parent {
                meta: &self.meta,
                values: &[],
                overflow: true,
            };
            let metric =
                M::new_child_of(&self.config, &parent).__overflow(Arc::clone(self.tally()));
            let cap = self.cap();
            warn_overflow(self.name(), cap);
            Overflow {
                entry: Entry::standalone(Node::new(&[], metric)),
                labels: LabelSet::new([(OVERFLOW_LABEL, "true")]),
            }
        })
    }

    /// The count of updates to the overflow series.
    fn tally(&self) -> &Arc<crate::Counter> {
        self.tally.get_or_init(|| Box::new(crate::Counter::tally()))
    }

    /// Whether sweeps are due at all: an idle timeout, or a `retain` that
    /// hid series.
    #[inline]
    fn sweeps(&self) -> bool {
        self.limits.expire_ms != 0 || self.retired.load(Ordering::Relaxed)
    }

    /// Before a lookup that missed creates a child: a sweep if one is due
    /// (one clock read). A full family's lookups are mostly overflow
    /// updates, which should cost little more than a hit: there only one
    /// lookup in 64 of each thread reads the clock, so that a family kept
    /// full by idle series still releases them without a scrape.
    #[inline]
    fn sweep_before_insert(&self, cap: usize) {
        if !self.sweeps() {
            return;
        }
        if self.index.len() < cap {
            self.maybe_sweep();
            return;
        }
        thread_local! {
            static FULL_MISSES: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
        }
        let due = FULL_MISSES
            .try_with(|n| {
                let next = n.get().wrapping_add(1) % 64;
                n.set(next);
                next == 0
            })
            .unwrap_or(true);
        if due {
            self.maybe_sweep();
        }
    }

    /// A sweep, if one is due (from the slow paths of lookups and from
    /// scrapes; never from a lookup that finds its child).
    fn maybe_sweep(&self) {
        if !self.sweeps() {
            return;
        }
        let now = monotonic_ms();
        let due = self.next_sweep.load(Ordering::Relaxed);
        // Wrapping: due now or in the past half of the clock.
        if now.wrapping_sub(due) < 1 << 31 {
            self.sweep(now);
        }
    }

    /// The time between sweeps: a quarter of the idle timeout (so a series
    /// leaves at most a quarter late), else a second.
    fn sweep_period(&self) -> u32 {
        match self.limits.expire_ms {
            0 => 1000,
            ms => (ms / 4).max(1),
        }
    }

    /// One sweep: releases the children expired (or hidden by `retain`) by
    /// a sweep no borrowed handle has outlived, unless a counted handle
    /// holds them or the dense array publishes them; then marks the
    /// touched children idle and expires those idle for the timeout. Skips
    /// if another sweep runs.
    fn sweep(&self, now: u32) {
        let Ok(mut sweeper) = self.sweeper.try_lock() else {
            return;
        };
        #[cfg(feature = "multiprocess")]
        if self.limits.expire_ms != 0 && crate::multiprocess::metric_values::check() {
            crate::multiprocess::metric_values::refuse_once(
                self.name(),
                crate::multiprocess::metric_values::reason::EXPIRE,
            );
        }
        self.next_sweep
            .store(now.wrapping_add(self.sweep_period()), Ordering::Relaxed);
        let guard = epoch::pin();
        let quiet = sweeper.quiet.get_or_insert_with(Default::default);
        let quiet_through = quiet.load(Ordering::Acquire);
        let done = Arc::clone(quiet);
        self.index.remove_entries_where(
            |entry, dense| {
                let Some(l) = entry.metric.__liveness() else {
                    return false;
                };
                // A counted handle holds the entry's `Arc`; the list holds
                // one.
                !dense && l.expired_by(quiet_through) && l.try_release(|| Arc::strong_count(entry))
            },
            &guard,
        );
        sweeper.number = sweeper.number.wrapping_add(1);
        let number = sweeper.number;
        if self.limits.expire_ms != 0 {
            let expire_ms = self.limits.expire_ms;
            let _ = self.index.try_for_each(|child| {
                if let Some(l) = child.metric.__liveness() {
                    l.sweep(now, expire_ms, number);
                }
                Ok::<(), ()>(())
            });
        }
        Self::mark_quiet(done, number, guard);
    }

    /// Defers the record that sweep `number` is quiet until every guard
    /// pinned now is dropped, then nudges the epoch along: each flush
    /// advances it at most one step and a deferred function runs two steps
    /// later, so without the nudge a program that only sweeps now and then
    /// would release its expired series sweeps late.
    fn mark_quiet(done: Arc<AtomicU32>, number: u32, guard: Guard) {
        guard.defer(move || {
            done.fetch_max(number, Ordering::AcqRel);
        });
        guard.flush();
        drop(guard);
        for _ in 0..3 {
            epoch::pin().flush();
        }
    }

    /// Hides every series `keep` refuses, given its label values (in the
    /// order of the label names) and its metric; returns how many it hid.
    /// A hidden series leaves the next scrape of every format. As with
    /// expiry, a handle still held is never orphaned: an update through
    /// it, or a lookup of its values, brings the series back with every
    /// update it had. Its memory is released by a later sweep (a scrape,
    /// or a lookup that creates a series, runs one at most every second)
    /// once no handle holds it.
    ///
    /// ```
    /// promscribe::gauge!(QUEUE, "queue_depth", "Depth", labels = ["queue"]);
    /// QUEUE.labels(["mail"]).set(3.0);
    /// QUEUE.labels(["print"]).set(0.0);
    /// assert_eq!(QUEUE.retain(|[_queue], depth| depth.get() > 0.0), 1);
    /// let text = promscribe::encode_text(promscribe::default_registry());
    /// assert!(text.contains("queue_depth{queue=\"mail\"} 3"));
    /// assert!(!text.contains("print"));
    /// ```
    ///
    /// Refused in multiprocess mode (feature `multiprocess`), as
    /// [`remove`](Family::remove) is: it hides nothing and returns 0, and
    /// the refusal is logged once for the family.
    pub fn retain(&self, mut keep: impl FnMut(&[&str; N], &M) -> bool) -> usize {
        #[cfg(feature = "multiprocess")]
        if self.refuse_removal() {
            return 0;
        }
        let mut sweeper = self.sweeper.lock().unwrap_or_else(PoisonError::into_inner);
        sweeper.number = sweeper.number.wrapping_add(1);
        let number = sweeper.number;
        let mut hidden = 0;
        let _ = self.index.try_for_each(|child| {
            let Some(l) = child.metric.__liveness() else {
                return Ok::<(), ()>(());
            };
            if !l.is_exposed() {
                return Ok(());
            }
            let mut values = child.values();
            let values: [&str; N] = std::array::from_fn(|_| values.next().unwrap_or_default());
            if !keep(&values, &child.metric) && l.retire(number) {
                hidden += 1;
            }
            Ok(())
        });
        if hidden > 0 {
            self.retired.store(true, Ordering::Relaxed);
            let done = Arc::clone(sweeper.quiet.get_or_insert_with(Default::default));
            Self::mark_quiet(done, number, epoch::pin());
        }
        hidden
    }

    /// Whether multiprocess mode is on, where a series cannot leave the
    /// files: the refusal logged once for the family.
    #[cfg(feature = "multiprocess")]
    fn refuse_removal(&self) -> bool {
        use crate::multiprocess::metric_values::{check, reason, refuse_once};
        if check() {
            refuse_once(self.name(), reason::REMOVE);
            return true;
        }
        false
    }

    fn hash(hasher: &RandomState, values: &[&str]) -> u64 {
        let mut h = hasher.build_hasher();
        for v in values {
            h.write(v.as_bytes());
            h.write_u8(SEP);
        }
        h.finish()
    }

    /// The hash of `values`, for a child that may not exist yet (the
    /// hasher is set with the first child).
    fn hash_new(&self, values: &[&str]) -> u64 {
        Self::hash(self.hasher.get_or_init(RandomState::default), values)
    }

    /// A new child with these values (under the index's writer lock).
    fn node(&self, values: &[&str]) -> Node<M> {
        let parent = Parent {
            meta: &self.meta,
            values,
            overflow: false,
        };
        Node::new(values, M::new_child_of(&self.config, &parent))
    }

    /// The label names, as the family's metadata holds them.
    fn names(&self) -> &LabelNames {
        match self.meta.get() {
            Some(meta) => &meta.labels,
            None => &LabelNames::Static(&[]),
        }
    }

    /// The child for label values given by name, in any order (Python's
    /// `labels(method='get', endpoint='/')`). Every label must be named
    /// exactly once; the arity is checked at run time, so prefer
    /// [`labels`](Family::labels) where the order is known.
    ///
    /// ```
    /// promscribe::counter!(C, "requests_total", "R", labels = ["method", "endpoint"]);
    /// C.labels_named(&[("endpoint", "/"), ("method", "get")]).unwrap().inc();
    /// assert_eq!(C.labels(["get", "/"]).get(), 1.0);
    /// assert!(C.labels_named(&[("method", "get")]).is_err());
    /// assert!(C.labels_named(&[("method", "get"), ("path", "/")]).is_err());
    /// ```
    pub fn labels_named(&self, pairs: &[(&str, &str)]) -> Result<Child<'_, M>, MetricError> {
        let metric = self.name().to_owned();
        if pairs.len() != N {
            return Err(MetricError::LabelCount {
                metric,
                expected: N,
                got: pairs.len(),
            });
        }
        let Some(meta) = self.meta.get() else {
            return Err(MetricError::LabelCount {
                metric,
                expected: 0,
                got: N,
            });
        };
        let mut values = [""; N];
        for (i, slot) in values.iter_mut().enumerate() {
            let name = meta.labels.get(i);
            let mut found = pairs.iter().filter(|(k, _)| *k == name);
            match (found.next(), found.next()) {
                (Some((_, v)), None) => *slot = v,
                (Some(_), Some(_)) => {
                    return Err(MetricError::DuplicateLabelName {
                        metric,
                        label: name.to_owned(),
                    })
                }
                (None, _) => {
                    // With N pairs and one label missing, some pair names
                    // a label the family does not have.
                    let unknown = pairs
                        .iter()
                        .find(|(k, _)| (0..N).all(|j| meta.labels.get(j) != *k))
                        .map(|(k, _)| (*k).to_owned())
                        .unwrap_or_else(|| name.to_owned());
                    return Err(MetricError::UnknownLabel {
                        metric,
                        label: unknown,
                    });
                }
            }
        }
        Ok(self.labels(values))
    }

    /// Removes the child with exactly these values; `true` if it existed.
    ///
    /// ```
    /// promscribe::gauge!(G, "temp", "T", labels = ["room"]);
    /// G.labels(["kitchen"]).set(21.0);
    /// assert!(G.remove(["kitchen"]));
    /// assert!(!G.remove(["kitchen"]));
    /// ```
    ///
    /// Refused in multiprocess mode (feature `multiprocess`): the series
    /// stays in the files of the processes that wrote it, so it would stay
    /// in the collector's output. It returns `false`, removes nothing, and
    /// logs the refusal once for the family.
    pub fn remove<L: LabelValues<N>>(&self, values: L) -> bool {
        #[cfg(feature = "multiprocess")]
        if self.refuse_removal() {
            return false;
        }
        let texts = values.texts();
        let strs: [&str; N] = std::array::from_fn(|i| texts[i].as_str());
        self.index
            .remove_where(|n| n.is(&strs) && n.kill(), &epoch::pin())
            > 0
    }

    /// Removes every child whose labels include all the given pairs;
    /// returns how many were removed. No pairs match no child (as Python's
    /// `remove_by_labels({})`): use [`clear`](Family::clear) to remove
    /// them all. A label name the family does not have, or one named
    /// twice, is an error naming it, and nothing is removed.
    ///
    /// ```
    /// promscribe::counter!(C, "req_total", "R", labels = ["method", "path"]);
    /// C.labels(["get", "/a"]).inc();
    /// C.labels(["get", "/b"]).inc();
    /// C.labels(["post", "/a"]).inc();
    /// assert_eq!(C.remove_by_labels(&[("method", "get")]).unwrap(), 2);
    /// assert_eq!(C.remove_by_labels(&[]).unwrap(), 0);
    /// let err = C.remove_by_labels(&[("verb", "post")]).unwrap_err();
    /// assert!(err.to_string().contains("`verb`"));
    /// assert_eq!(C.len(), 1);
    /// ```
    ///
    /// Refused in multiprocess mode (feature `multiprocess`), as
    /// [`remove`](Family::remove) is: the error is
    /// `MetricError::Multiprocess`.
    pub fn remove_by_labels(&self, pairs: &[(&str, &str)]) -> Result<usize, MetricError> {
        #[cfg(feature = "multiprocess")]
        if self.refuse_removal() {
            return Err(crate::multiprocess::metric_values::refused(
                self.name(),
                crate::multiprocess::metric_values::reason::REMOVE,
            ));
        }
        let Some(meta) = self.meta.get() else {
            return Ok(0);
        };
        let mut positions: Vec<(usize, &str)> = Vec::with_capacity(pairs.len());
        for (i, (name, value)) in pairs.iter().enumerate() {
            let Some(pos) = (0..meta.labels.len()).find(|&j| meta.labels.get(j) == *name) else {
                return Err(MetricError::UnknownLabel {
                    metric: self.name().to_owned(),
                    label: (*name).to_owned(),
                });
            };
            if pairs[..i].iter().any(|(other, _)| other == name) {
                return Err(MetricError::DuplicateLabelName {
                    metric: self.name().to_owned(),
                    label: (*name).to_owned(),
                });
            }
            positions.push((pos, *value));
        }
        if positions.is_empty() {
            return Ok(0);
        }
        Ok(self.index.remove_where(
            |c| {
                positions
                    .iter()
                    .all(|(i, v)| c.values().nth(*i).is_some_and(|cv| cv == *v))
                    && c.kill()
            },
            &epoch::pin(),
        ))
    }

    /// Removes every child (the overflow series, once a capped family has
    /// one, stays: it holds what no series of the family would).
    ///
    /// ```
    /// promscribe::gauge!(G, "temp", "T", labels = ["room"]);
    /// G.labels(["attic"]).set(1.0);
    /// G.clear();
    /// assert!(G.is_empty());
    /// ```
    ///
    /// Refused in multiprocess mode (feature `multiprocess`), as
    /// [`remove`](Family::remove) is: nothing is removed, and the refusal
    /// is logged once for the family.
    pub fn clear(&self) {
        #[cfg(feature = "multiprocess")]
        if self.refuse_removal() {
            return;
        }
        self.index.clear(
            |child| {
                child.kill();
            },
            &epoch::pin(),
        );
    }

    /// Number of children kept in memory: a series hidden by expiry or
    /// [`retain`](Family::retain) counts until a sweep releases it, the
    /// overflow series never (a capped family holds at most its
    /// `max_series` children).
    ///
    /// ```
    /// promscribe::gauge!(G, "temp", "T", labels = ["room"]);
    /// assert_eq!(G.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the family has no child yet.
    ///
    /// ```
    /// promscribe::gauge!(G, "temp", "T", labels = ["room"]);
    /// assert!(G.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The configuration of a member type whose children need none to be
/// built (Counter, Gauge; a Summary without quantiles): what
/// [`Family::new`] builds them with.
#[doc(hidden)]
pub trait PlainConfig {
    /// The configuration of a plain child.
    fn plain() -> Self;
}

impl PlainConfig for () {
    fn plain() -> Self {}
}

impl PlainConfig for crate::SummaryConfig {
    fn plain() -> Self {
        crate::SummaryConfig::plain()
    }
}

impl<M: FamilyMember, const N: usize> Family<M, N>
where
    M::Config: PlainConfig,
{
    /// A family built at run time (Counter, Gauge, Summary without
    /// quantiles).
    ///
    /// ```
    /// use promscribe::{Family, Gauge, Opts, Summary};
    /// let g = Family::<Gauge, 1>::new(Opts::new("temp", "T").labels(["room"])).unwrap();
    /// g.labels(["hall"]).set(19.5);
    /// let s = Family::<Summary, 1>::new(Opts::new("size_bytes", "S").labels(["path"])).unwrap();
    /// s.labels(["/"]).observe(512.0);
    /// assert!(s.labels(["/"]).get_quantiles().is_empty());
    /// ```
    pub fn new(opts: Opts) -> Result<Arc<Self>, MetricError> {
        Self::with_config(opts, M::Config::plain())
    }
}

impl<const N: usize> Family<crate::Histogram, N> {
    /// A histogram family built at run time.
    ///
    /// ```
    /// use promscribe::{Buckets, Family, Histogram, Opts};
    /// let h = Family::<Histogram, 1>::with_buckets(
    ///     Opts::new("latency_seconds", "L").labels(["path"]), Buckets::DEFAULT).unwrap();
    /// h.labels(["/"]).observe(0.1);
    /// ```
    pub fn with_buckets(opts: Opts, buckets: Buckets) -> Result<Arc<Self>, MetricError> {
        Self::with_config(opts, crate::HistogramConfig::classic(buckets))
    }

    /// A family of histograms with native buckets (and classic ones beside
    /// them if `classic` is given), as
    /// [`Histogram::with_native`](crate::Histogram::with_native) builds
    /// one: every child gets its own native buckets of these options.
    ///
    /// ```
    /// use promscribe::{Family, Histogram, NativeOpts, Opts};
    /// let h = Family::<Histogram, 1>::with_native(
    ///     Opts::new("latency_seconds", "L").labels(["path"]), None, NativeOpts::new()).unwrap();
    /// h.labels(["/"]).observe(0.1);
    /// assert_eq!(h.labels(["/"]).get_count(), 1);
    /// ```
    ///
    /// Refused in multiprocess mode (feature `multiprocess`), whose files
    /// cannot carry native buckets: the error is
    /// `MetricError::Multiprocess`.
    pub fn with_native(
        opts: Opts,
        classic: Option<Buckets>,
        native: crate::NativeOpts,
    ) -> Result<Arc<Self>, MetricError> {
        let config = crate::HistogramConfig::native(classic, native).map_err(|e| match e {
            MetricError::InvalidNativeOption { option, reason, .. } => {
                MetricError::InvalidNativeOption {
                    metric: opts.name.clone(),
                    option,
                    reason,
                }
            }
            e => e,
        })?;
        #[cfg(feature = "multiprocess")]
        if crate::multiprocess::metric_values::check() && config.is_native() {
            use crate::multiprocess::metric_values::{reason, refuse_once, refused};
            refuse_once(&opts.name, reason::NATIVE);
            return Err(refused(&opts.name, reason::NATIVE));
        }
        Self::with_config(opts, config)
    }
}

impl<const N: usize> Family<crate::Summary, N> {
    /// A family of summaries with streaming quantiles, as
    /// [`Summary::with_quantiles`](crate::Summary::with_quantiles) builds
    /// one: every child gets its own window of these objectives.
    ///
    /// ```
    /// use promscribe::{Family, Opts, Summary, SummaryQuantiles};
    /// let q = SummaryQuantiles::new(&[(0.5, 0.05), (0.9, 0.01)]).unwrap();
    /// let s = Family::<Summary, 1>::with_quantiles(
    ///     Opts::new("latency_seconds", "L").labels(["path"]), q).unwrap();
    /// s.labels(["/"]).observe(0.1);
    /// s.labels(["/a"]).observe(0.3);
    /// assert_eq!(s.labels(["/"]).get_quantiles(), vec![(0.5, 0.1), (0.9, 0.1)]);
    /// ```
    ///
    /// Refused in multiprocess mode (feature `multiprocess`), whose files
    /// cannot carry quantiles: the error is `MetricError::Multiprocess`.
    pub fn with_quantiles(
        opts: Opts,
        quantiles: crate::SummaryQuantiles,
    ) -> Result<Arc<Self>, MetricError> {
        #[cfg(feature = "multiprocess")]
        if crate::multiprocess::metric_values::check() {
            use crate::multiprocess::metric_values::{reason, refuse_once, refused};
            refuse_once(&opts.name, reason::QUANTILES);
            return Err(refused(&opts.name, reason::QUANTILES));
        }
        Self::with_config(opts, crate::SummaryConfig::from(quantiles))
    }
}

impl<M: FamilyMember, const N: usize> Collector for Family<M, N> {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let Some(meta) = self.meta.get() else {
            return;
        };
        let mut family = new_family(meta);
        family.metrics.reserve_exact(self.len());
        let names = &meta.labels;
        self.maybe_sweep();
        let _ = self.index.try_for_each(|child| {
            if !child.exposed() {
                return Ok::<(), ()>(());
            }
            let labels = child.labels.get_or_init(|| {
                Box::new(LabelSet::new(
                    (0..N).map(|i| names.get(i)).zip(child.values()),
                ))
            });
            child.metric.collect_metric(&mut family, labels);
            Ok(())
        });
        if let Some(overflow) = self.overflow.get() {
            overflow
                .entry
                .metric
                .collect_metric(&mut family, &overflow.labels);
        }
        out.push(family);
    }

    fn describe(&self) -> Vec<Descriptor> {
        self.meta.get().map(Meta::descriptor).into_iter().collect()
    }

    fn as_stream(&self) -> Option<&dyn StreamFamily> {
        self.meta.get().map(|_| self as &dyn StreamFamily)
    }

    fn series_overflow(&self) -> Option<(&str, u64)> {
        if self.cap() == usize::MAX || self.meta.get().is_none() {
            return None;
        }
        // A count of whole updates: exact below 2^53.
        Some((self.name(), self.tally().get() as u64))
    }
}

impl<M: FamilyMember, const N: usize> StreamFamily for Family<M, N> {
    fn stream_meta(&self) -> &Meta {
        // `as_stream` offers a family with metadata only.
        self.meta.get().unwrap_or(&NO_META)
    }

    fn metric_count(&self) -> usize {
        self.len()
    }

    /// The children in creation order, read under the index's writer
    /// lock (held for this family only: creating or removing a child
    /// waits, looking one up or updating one does not). Each child's
    /// labels are rendered into the family's kept label set, refilled in
    /// place.
    fn for_each_metric(
        &self,
        f: &mut dyn FnMut(&LabelSet, &crate::Point) -> std::fmt::Result,
    ) -> std::fmt::Result {
        self.maybe_sweep();
        let mut point = crate::Point::Gauge(0.0);
        let names = self.names();
        let mut scratch = self.scratch.lock().unwrap_or_else(PoisonError::into_inner);
        self.index.try_for_each(|child| {
            if !child.exposed() {
                return Ok(());
            }
            // The kept set holds this family's names once filled.
            scratch.refill_values(
                (0..N).map(|i| names.get(i)),
                ExactValues(child.values(), N),
                child.plain(),
            );
            child
                .metric
                .visit_metric(&scratch, &mut point, &mut |labels, point| f(labels, point))
        })?;
        match self.overflow.get() {
            Some(overflow) => overflow.entry.metric.visit_metric(
                &overflow.labels,
                &mut point,
                &mut |labels, point| f(labels, point),
            ),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Counter, Gauge};
    use std::sync::atomic::Ordering;

    #[test]
    fn children_are_shared_and_ordered_by_creation() {
        let f = Family::<Counter, 2>::new(Opts::new("r_total", "r").labels(["a", "b"])).unwrap();
        f.labels(["z", "1"]).inc();
        f.labels(["a", "2"]).inc();
        f.labels(["z", "1"]).inc();
        let mut out = Vec::new();
        f.collect(&mut out);
        let totals: Vec<_> = out[0]
            .samples()
            .iter()
            .filter(|s| s.name == "r_total")
            .map(|s| (s.labels[0].1.clone(), s.value))
            .collect();
        assert_eq!(totals, [("z".to_string(), 2.0), ("a".to_string(), 1.0)]);
    }

    #[test]
    fn remove_then_reinsert_finds_the_new_child() {
        let f = Family::<Gauge, 1>::new(Opts::new("g", "g").labels(["k"])).unwrap();
        for i in 0..100 {
            f.labels([i]).set(i as f64);
        }
        assert!(f.remove([50]));
        assert_eq!(f.len(), 99);
        assert_eq!(f.labels([99]).get(), 99.0);
        assert_eq!(f.labels([50]).get(), 0.0);
        assert_eq!(f.len(), 100);
    }

    #[test]
    fn created_is_written_and_after_a_reset_anew() {
        let f = Family::<Counter, 1>::new(Opts::new("r_total", "r").labels(["a"])).unwrap();
        let r = crate::Registry::new();
        r.register(f.clone()).unwrap();
        let child = f.labels(["x"]);
        let line = |t: f64| {
            let mut v = String::new();
            crate::write_float(&mut v, t);
            format!("r_created{{a=\"x\"}} {v}\n")
        };
        let created = |format| {
            let mut out = String::new();
            let options = crate::EncodeOptions::default().created(true);
            crate::encode(&mut out, &r, format, &options).unwrap();
            out
        };
        let before = child.created();
        for format in [crate::Format::Text, crate::Format::OpenMetrics] {
            assert!(created(format).contains(&line(before)), "{format:?}");
        }
        while child.created() == before {
            child.reset();
        }
        for format in [crate::Format::Text, crate::Format::OpenMetrics] {
            let text = created(format);
            assert!(text.contains(&line(child.created())), "{format:?}: {text}");
            assert!(!text.contains(&line(before)), "{format:?}: {text}");
        }
    }

    #[test]
    fn separator_keeps_values_apart() {
        let f = Family::<Counter, 2>::new(Opts::new("c", "c").labels(["a", "b"])).unwrap();
        f.labels(["ab", "c"]).inc();
        assert_eq!(f.labels(["a", "bc"]).get(), 0.0);
    }

    /// Readers look children up and increment them while another thread
    /// removes and recreates others, a third clears a second family, and
    /// a scraper walks both: no lost increment on the children nobody
    /// removes, and nothing freed under a reader (a use after free would
    /// show as garbage values or a crash).
    #[test]
    fn lookups_race_removals_and_scrapes() {
        let f = Family::<Counter, 2>::new(Opts::new("s_total", "s").labels(["k", "v"])).unwrap();
        const STABLE: u64 = 16;
        const CHURN: u64 = 64;
        const ROUNDS: u64 = 2_000;
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let readers: Vec<_> = (0..2)
                .map(|t| {
                    let f = &f;
                    s.spawn(move || {
                        for r in 0..ROUNDS {
                            for k in 0..STABLE {
                                f.labels(("stable", k)).inc();
                            }
                            let c = f.labels(("churn", (r * 7 + t) % CHURN));
                            c.inc();
                            assert!(c.get() >= 1.0 && c.get() <= (2 * ROUNDS) as f64);
                            let owned = f.labels_owned(("churn", (r * 3 + t) % CHURN));
                            owned.inc();
                        }
                    })
                })
                .collect();
            let stop = &stop;
            let f = &f;
            s.spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    f.remove(("churn", i % CHURN));
                    if i.is_multiple_of(97) {
                        let _ = f.remove_by_labels(&[("k", "churn")]);
                    }
                    i += 1;
                }
            });
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let mut n = 0;
                    f.for_each_metric(&mut |labels, _| {
                        assert!(labels.rendered().starts_with("k=\""));
                        n += 1;
                        Ok(())
                    })
                    .unwrap();
                    assert!(n <= (STABLE + CHURN) as usize);
                }
            });
            for r in readers {
                r.join().unwrap();
            }
            stop.store(true, Ordering::Relaxed);
        });
        for k in 0..STABLE {
            assert_eq!(f.labels(("stable", k)).get(), (2 * ROUNDS) as f64);
        }
    }

    /// The stall of a lock-based family: a scrape holds the family, a
    /// creator waits for it, and every lookup queues behind the creator.
    /// Here the scrape waits (up to a minute) until a thread has looked
    /// up existing children a thousand times while a creator waits.
    #[test]
    fn a_scrape_never_blocks_lookups() {
        let f = Family::<Gauge, 1>::new(Opts::new("g", "g").labels(["k"])).unwrap();
        for i in 0..10 {
            f.labels([i]).set(1.0);
        }
        let (scraping_tx, scraping_rx) = std::sync::mpsc::channel();
        let (looked_up_tx, looked_up_rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            let f = &f;
            let scrape = s.spawn(move || {
                let mut first = true;
                f.for_each_metric(&mut |_, _| {
                    if first {
                        first = false;
                        scraping_tx.send(()).unwrap();
                        looked_up_rx
                            .recv_timeout(std::time::Duration::from_secs(60))
                            .expect("lookups blocked by the scrape");
                    }
                    Ok(())
                })
            });
            scraping_rx.recv().unwrap();
            let creator = s.spawn(move || f.labels([100]).set(2.0));
            // Give the creator time to start waiting for the scrape.
            std::thread::sleep(std::time::Duration::from_millis(50));
            for i in 0..1000 {
                f.labels([i % 10]).inc();
            }
            looked_up_tx.send(()).unwrap();
            scrape.join().unwrap().unwrap();
            creator.join().unwrap();
        });
        assert_eq!(f.labels([3]).get(), 101.0);
        assert_eq!(f.len(), 11);
    }

    /// Removed children are freed once no thread is pinned: here as soon
    /// as the guards of this test and of the other tests of the process
    /// are dropped and the collector has run.
    #[test]
    fn removed_children_are_freed() {
        let f = Family::<Gauge, 1>::new(Opts::new("g", "g").labels(["k"])).unwrap();
        for i in 0..1000 {
            f.labels([i]).set(1.0);
        }
        let kept = f.labels_owned([5]);
        let removed = Arc::downgrade(&f.labels_owned([6]).0);
        let cleared = Arc::downgrade(&f.labels_owned([7]).0);
        assert!(f.remove([5]));
        assert!(f.remove([6]));
        f.clear();
        let mut freed = false;
        for _ in 0..10_000 {
            epoch::pin().flush();
            freed = removed.strong_count() == 0 && cleared.strong_count() == 0;
            if freed {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(freed, "removed children still allocated");
        // An owned handle keeps its child: updates still work, unexposed.
        kept.set(3.0);
        assert_eq!(kept.get(), 3.0);
        assert!(f.is_empty());
        assert_eq!(f.labels([5]).get(), 0.0);
    }

    /// Label values are kept in one buffer, each followed by a separator
    /// (`"`, or a byte no text holds when a value has a character to
    /// escape): values that would run into each other, empty values,
    /// values holding a separator (U+00FF is two other bytes in UTF-8) and
    /// values with characters to escape stay apart, and read back as they
    /// were given, in the node (30 bytes with the separators) or in a box
    /// (31 and more).
    #[test]
    fn values_are_kept_apart_and_read_back() {
        let f = Family::<Counter, 3>::new(Opts::new("c", "c").labels(["a", "b", "c"])).unwrap();
        let sets = [
            ["", "", ""],
            ["a", "", ""],
            ["", "a", ""],
            ["", "", "a"],
            ["\u{ff}", "", ""],
            ["", "\u{ff}", ""],
            ["ab", "c", ""],
            ["a", "bc", ""],
            ["0123456789", "0123456789", "0123456"],
            ["0123456789", "0123456789", "01234567"],
            ["0123456789", "0123456789", "\u{ff}0123456789"],
            ["a", "b", ""],
            ["a\"b", "", ""],
            ["a\"", "b", ""],
            ["a", "\"b", ""],
            ["\"", "\"", "\""],
            ["a\\", "b", ""],
            ["a\n", "b\\\"", "\n\n"],
            ["0123456789\"", "0123456789", "0123456789"],
        ];
        for (i, set) in sets.iter().enumerate() {
            f.labels(*set).inc_by_u64(i as u64 + 1);
        }
        assert_eq!(f.len(), sets.len());
        for (i, set) in sets.iter().enumerate() {
            assert_eq!(f.labels(*set).get(), i as f64 + 1.0, "{set:?}");
        }
        let mut out = Vec::new();
        f.collect(&mut out);
        let read: Vec<Vec<String>> = out[0]
            .metrics
            .iter()
            .map(|m| m.labels.pairs().map(|(_, v)| v.to_owned()).collect())
            .collect();
        assert_eq!(read, sets.map(|s| s.map(str::to_owned).to_vec()));
    }

    /// A scrape renders each child's labels into the family's one kept
    /// label set: the names once per family, the values per child, each
    /// child's own.
    #[test]
    fn a_scrape_renders_each_child_into_one_kept_label_set() {
        let f = Family::<Gauge, 2>::new(Opts::new("g", "g").labels(["room", "my.floor"])).unwrap();
        f.labels(["hall", "1"]).set(1.0);
        f.labels(["kitchen \"b\"", "22"]).set(2.0);
        let scrape = || {
            let mut seen = Vec::new();
            f.for_each_metric(&mut |labels, _| {
                let mut buf = String::new();
                let underscores =
                    labels.rendered_with(crate::EscapingScheme::Underscores, &mut buf);
                seen.push((labels.rendered().to_owned(), underscores.to_owned()));
                Ok(())
            })
            .unwrap();
            seen
        };
        let expected = [
            (
                r#"room="hall","my.floor"="1""#.to_owned(),
                r#"room="hall",my_floor="1""#.to_owned(),
            ),
            (
                r#"room="kitchen \"b\"","my.floor"="22""#.to_owned(),
                r#"room="kitchen \"b\"",my_floor="22""#.to_owned(),
            ),
        ];
        assert_eq!(scrape(), expected);
        // Refilled in place: the same buffer, not a new set.
        let kept = f.scratch.lock().unwrap().rendered().as_ptr();
        assert_eq!(scrape(), expected);
        let again = f.scratch.lock().unwrap().rendered().as_ptr();
        assert_eq!(kept, again, "the kept label set was replaced");
    }

    /// Two label enums, written out as `#[derive(LabelValue)]` writes them.
    #[derive(Clone, Copy)]
    enum Method {
        Get,
        Post,
    }
    impl crate::LabelValue for Method {
        fn label_text(&self) -> crate::LabelText<'_> {
            crate::LabelText::borrowed(["get", "post"][*self as usize])
        }
        fn enum_index(&self) -> Option<(usize, usize)> {
            Some((*self as usize, 2))
        }
    }
    /// As many values as `Method`, other texts: same positions, other series.
    #[derive(Clone, Copy)]
    enum Verb {
        Read,
        Write,
    }
    impl crate::LabelValue for Verb {
        fn label_text(&self) -> crate::LabelText<'_> {
            crate::LabelText::borrowed(["read", "write"][*self as usize])
        }
        fn enum_index(&self) -> Option<(usize, usize)> {
            Some((*self as usize, 2))
        }
    }

    #[test]
    fn enum_lookups_use_the_dense_array_and_meet_string_lookups() {
        let f = Family::<Counter, 2>::new(Opts::new("d_total", "d").labels(["a", "b"])).unwrap();
        f.labels(["get", "post"]).inc();
        f.labels((Method::Get, Method::Post)).inc();
        f.labels((Method::Get, Method::Post)).inc();
        assert!(
            !f.labels((Method::Get, Method::Post)).node.is_pinned(),
            "not a dense hit"
        );
        assert_eq!(f.labels(["get", "post"]).get(), 3.0);
        // Same positions, other texts: another series, never confused.
        f.labels((Verb::Read, Verb::Write)).inc();
        assert_eq!(f.labels((Verb::Read, Verb::Write)).get(), 1.0);
        assert_eq!(f.labels((Method::Get, Method::Post)).get(), 3.0);
        assert_eq!(f.labels([Method::Post, Method::Post]).get(), 0.0);
        assert_eq!(f.len(), 3);
        // Removed: the next enum lookup finds a fresh child.
        assert!(f.remove((Method::Get, Method::Post)));
        assert_eq!(f.labels((Method::Get, Method::Post)).get(), 0.0);
        f.labels((Method::Get, Method::Post)).inc();
        assert_eq!(f.labels(["get", "post"]).get(), 1.0);
        f.clear();
        assert_eq!(f.labels((Method::Get, Method::Post)).get(), 0.0);
        assert_eq!(f.len(), 1);
    }

    /// Children removed after being published in the dense array are kept
    /// (a dense lookup takes no pin) but not without bound: past
    /// `GRAVEYARD_MAX` of them the family stops publishing.
    #[test]
    fn dense_removals_are_bounded() {
        let f = Family::<Gauge, 1>::new(Opts::new("g", "g").labels(["m"])).unwrap();
        let max = crate::metrics::index::GRAVEYARD_MAX;
        for _ in 0..max + 10 {
            f.labels([Method::Get]).inc();
            assert_eq!(f.labels([Method::Get]).get(), 1.0);
            assert!(f.remove([Method::Get]));
        }
        assert!(f.index.dense_is_off());
        assert_eq!(f.index.graveyard_len(), max);
        f.labels([Method::Get]).inc();
        assert_eq!(f.labels(["get"]).get(), 1.0);
    }

    /// Dense lookups race removals of the same children, past the point
    /// where the family stops publishing: every handle stays usable.
    #[test]
    fn dense_lookups_race_removals() {
        let f = Family::<Counter, 2>::new(Opts::new("d_total", "d").labels(["a", "b"])).unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    let f = &f;
                    s.spawn(move || {
                        for r in 0..50_000u32 {
                            let m = if r % 2 == 0 {
                                Method::Get
                            } else {
                                Method::Post
                            };
                            let c = f.labels((m, Method::Get));
                            c.inc();
                            assert!(c.get() >= 1.0);
                        }
                    })
                })
                .collect();
            let (f, stop) = (&f, &stop);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    f.remove(["get", "get"]);
                    f.remove(["post", "get"]);
                }
            });
            for r in readers {
                r.join().unwrap();
            }
            stop.store(true, Ordering::Relaxed);
        });
        assert!(f.index.graveyard_len() <= crate::metrics::index::GRAVEYARD_MAX + 4);
        f.labels((Method::Get, Method::Get)).inc();
        assert!(f.labels(["get", "get"]).get() >= 1.0);
    }

    #[test]
    fn label_count_is_checked_at_run_time_for_runtime_families() {
        let e = Family::<Counter, 1>::new(Opts::new("c", "c").labels(["a", "b"])).unwrap_err();
        assert!(e.to_string().contains("has 1 labels, but 2 were given"));
    }
}
