//! [`Family`]: a metric with labels, one child per combination of values.

// The lock-free lookup reads children through raw pointers kept alive by
// epoch-based reclamation (`epoch.rs`); every `unsafe` block says why.
#![allow(unsafe_code)]

use std::hash::{BuildHasher, Hasher};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

/// Label values are hashed with a per-process random seed (foldhash):
/// several times faster than SipHash on short strings, and still not
/// predictable from outside.
type RandomState = foldhash::fast::RandomState;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use crate::buckets::Buckets;
use crate::collector::{Collector, StreamFamily};
use crate::error::MetricError;
use crate::meta::{LabelNames, Meta, MetaRef, Opts};
use crate::metrics::epoch::{self, Guard, Retired};
use crate::metrics::labels::{LabelText, LabelValues};
use crate::model::{Descriptor, LabelSet, Metric, MetricFamily, MetricType};
use crate::render::float::RenderedFloat;

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
    /// When this metric was created (Unix seconds), for a type that
    /// exposes it: a family renders it once per child.
    #[doc(hidden)]
    fn created_time(&self) -> Option<f64> {
        None
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
                    Option<&$crate::render::float::RenderedFloat>,
                ) -> std::fmt::Result,
            ) -> std::fmt::Result {
                let mut scratch = $crate::model::Point::Gauge(0.0);
                $crate::metrics::family::FamilyMember::visit_metric(
                    self,
                    &$crate::model::LabelSet::EMPTY,
                    &mut scratch,
                    &mut |labels, point| f(labels, point, None),
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

/// One child: its label values, rendered label set, `_created` and metric.
/// Shared (`Arc`) by the creation-order list and owned handles; the
/// lookup table points at it without a reference count.
struct Node<M> {
    hash: u64,
    /// Names and values, rendered once when the child is created; lookups
    /// compare its values.
    labels: LabelSet,
    /// Its `_created` value, rendered once too (after a reset the value
    /// differs, and the encoders format the new one).
    created: Option<RenderedFloat>,
    /// Its slot in the family's dense array, if it was ever published
    /// there (`usize::MAX`: never); written and read under the writer lock.
    dense_slot: AtomicUsize,
    metric: M,
}

/// `dense_slot` of a node never published in the dense array.
const NOT_DENSE: usize = usize::MAX;

impl<M> Node<M> {
    #[inline]
    fn is(&self, hash: u64, values: &[&str]) -> bool {
        self.hash == hash && self.values().eq(values.iter().copied())
    }

    /// The label values, as the label set keeps them (not a second copy).
    #[inline]
    fn values(&self) -> impl Iterator<Item = &str> + '_ {
        self.labels.pairs().map(|(_, v)| v)
    }
}

/// The open-addressing lookup table: slots hold null (never used), a
/// tombstone (a removed child) or a child of the creation-order list.
/// Written only under the family's writer lock; read without any lock by
/// pinned threads (see `epoch`). At most half the slots are used, so a
/// probe always ends at a null slot.
struct Table<M> {
    slots: Box<[AtomicPtr<Node<M>>]>,
}

impl<M> Table<M> {
    fn with_capacity(cap: usize) -> Box<Self> {
        Box::new(Table {
            slots: (0..cap).map(|_| AtomicPtr::new(ptr::null_mut())).collect(),
        })
    }

    fn tombstone() -> *mut Node<M> {
        // Aligned and non-null, and never the address of an allocation.
        ptr::NonNull::dangling().as_ptr()
    }

    /// The slot holding `node`, or where a node of `hash` not yet in the
    /// table goes (`None` for `node` means: the first null slot).
    fn slot_of(&self, hash: u64, node: Option<*const Node<M>>) -> Option<&AtomicPtr<Node<M>>> {
        let mask = self.slots.len() - 1;
        // Truncation intended: the low bits pick the first slot.
        let mut i = hash as usize & mask;
        for _ in 0..self.slots.len() {
            let slot = &self.slots[i];
            let p = slot.load(Ordering::Relaxed);
            match node {
                Some(n) if ptr::eq(p, n) => return Some(slot),
                None if p.is_null() => return Some(slot),
                _ if p.is_null() => return None,
                _ => {}
            }
            i = (i + 1) & mask;
        }
        None
    }
}

/// A table owned through a raw pointer (readers hold `&Table` while a
/// writer swaps it out): dropped through the box it came from.
struct OwnedTable<M>(ptr::NonNull<Table<M>>);

// SAFETY: an `OwnedTable` is the unique owner of a `Table`, whose fields
// are `Send + Sync` when `M` is.
unsafe impl<M: Send + Sync> Send for OwnedTable<M> {}

impl<M> Drop for OwnedTable<M> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Box::into_raw` and is dropped
        // once, after no reader can hold it (retired through `epoch`, or
        // the family is dropped).
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

/// What a writer unlinks: a child or a replaced table.
enum Garbage<M> {
    // Fields only ever dropped.
    Node(#[allow(dead_code)] Arc<Node<M>>),
    Table(#[allow(dead_code)] OwnedTable<M>),
}

/// What writers (creating, removing) share, under the family's mutex.
/// Scrapes read `list` under it too: they make creators wait, never
/// lookups.
struct Writer<M> {
    /// Children in creation order; they own the nodes the table points at.
    list: Vec<Arc<Node<M>>>,
    /// Slots of the current table that are not null (children and
    /// tombstones).
    used: usize,
    retired: Retired<Garbage<M>>,
    /// Removed children that were published in the dense array: a dense
    /// lookup takes no pin, so they stay allocated until the family is
    /// dropped. Bounded: past `DENSE_MAX` of them the dense array is
    /// switched off for good, and nothing more is published.
    graveyard: Vec<Arc<Node<M>>>,
}

impl<M> Writer<M> {
    const EMPTY: Self = Writer {
        list: Vec::new(),
        used: 0,
        retired: Retired::new(),
        graveyard: Vec::new(),
    };
}

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
    /// The lookup table (null before the first child), from
    /// `Box::into_raw`; replaced tables are retired through `epoch`.
    table: AtomicPtr<Table<M>>,
    /// The number of children, written under the writer lock (read
    /// without it: a scrape asks while it holds the lock).
    len: AtomicUsize,
    /// Children looked up by enum values ([`LabelValues::dense_index`]),
    /// at their position: read without a pin, as a child published here
    /// is freed only with the family.
    dense: OnceLock<Box<[AtomicPtr<Node<M>>]>>,
    /// Set once too many published children were removed (see
    /// `Writer::graveyard`): enum lookups then hash.
    dense_off: AtomicBool,
    writer: Mutex<Writer<M>>,
}

impl<M: FamilyMember, const N: usize> Drop for Family<M, N> {
    fn drop(&mut self) {
        let table = *self.table.get_mut();
        if let Some(t) = ptr::NonNull::new(table) {
            // No handle borrows the family any more (`&mut self`).
            drop(OwnedTable(t));
        }
    }
}

/// A child of a [`Family`], borrowed from it: what
/// [`labels`](Family::labels) returns. It dereferences to the metric
/// (`family.labels(["get"]).inc()`). It pins the calling thread (a write
/// to that thread's own slot, nothing shared) so that a concurrent
/// [`remove`](Family::remove) cannot free the child under it; it is
/// therefore neither `Send` nor `Sync`, and memory that removals free
/// waits while a thread holds one. To keep a handle in a struct, across
/// an `.await`, or on another thread, use
/// [`labels_owned`](Family::labels_owned).
///
/// ```
/// promscribe::counter!(HITS, "hits_total", "Hits", labels = ["page"]);
/// let home = HITS.labels(["/"]);
/// home.inc();
/// assert_eq!(home.get(), 1.0);
/// ```
pub struct Child<'a, M> {
    metric: &'a M,
    /// None for a child found in the dense array (freed only with the
    /// family).
    _pin: Option<Guard>,
}

impl<M> std::ops::Deref for Child<'_, M> {
    type Target = M;
    #[inline]
    fn deref(&self) -> &M {
        self.metric
    }
}

impl<M: std::fmt::Debug> std::fmt::Debug for Child<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.metric.fmt(f)
    }
}

/// A child of a [`Family`] held by reference count: what
/// [`labels_owned`](Family::labels_owned) returns. `Send`, `Sync`,
/// `Clone` and `'static`; it dereferences to the metric. After the child
/// is removed from its family, updates through it still work but are no
/// longer exposed.
///
/// ```
/// use promscribe::{Counter, Family, Opts};
/// let f = Family::<Counter, 1>::new(Opts::new("jobs_total", "Jobs").labels(["queue"])).unwrap();
/// let mail = f.labels_owned(["mail"]);
/// std::thread::spawn(move || mail.inc()).join().unwrap();
/// assert_eq!(f.labels(["mail"]).get(), 1.0);
/// ```
pub struct OwnedChild<M>(Arc<Node<M>>);

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
        Family {
            meta: MetaRef::Static(meta),
            config,
            hasher: OnceLock::new(),
            table: AtomicPtr::new(ptr::null_mut()),
            len: AtomicUsize::new(0),
            dense: OnceLock::new(),
            dense_off: AtomicBool::new(false),
            writer: Mutex::new(Writer::EMPTY),
        }
    }

    /// A family built at run time from [`Opts`] (which must name exactly
    /// `N` labels) and the children's configuration (`()`, or a
    /// histogram's [`Buckets`]).
    ///
    /// ```
    /// use promscribe::{Counter, Family, Opts};
    /// let f = Family::<Counter, 1>::with_config(
    ///     Opts::new("hits_total", "Hits").labels(["page"]), ()).unwrap();
    /// f.labels(["/"]).inc();
    /// assert!(Family::<Counter, 2>::with_config(Opts::new("x", "x").labels(["a"]), ()).is_err());
    /// ```
    pub fn with_config(opts: Opts, config: M::Config) -> Result<Arc<Self>, MetricError> {
        if opts.labels.len() != N {
            return Err(MetricError::LabelCount {
                metric: opts.name.clone(),
                expected: N,
                got: opts.labels.len(),
            });
        }
        let meta = opts.into_meta(M::TYPE)?;
        Ok(Arc::new(Family {
            meta: MetaRef::Shared(Arc::new(meta)),
            config,
            hasher: OnceLock::new(),
            table: AtomicPtr::new(ptr::null_mut()),
            len: AtomicUsize::new(0),
            dense: OnceLock::new(),
            dense_off: AtomicBool::new(false),
            writer: Mutex::new(Writer::EMPTY),
        }))
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
    pub fn labels<L: LabelValues<N>>(&self, values: L) -> Child<'_, M> {
        let dense = values.dense_index();
        if let Some((i, total)) = dense {
            if let Some(metric) = self.dense_hit(&values, i, total) {
                return Child { metric, _pin: None };
            }
        }
        let texts = values.texts();
        let strs: [&str; N] = std::array::from_fn(|i| texts[i].as_str());
        let pin = epoch::pin();
        let metric = match self.find(&strs, &pin) {
            // SAFETY: found while pinned: a removal retires the node at an
            // epoch not before `pin`'s, so it stays allocated while `pin`
            // (moved into the handle) lives; the family outlives the
            // returned borrow.
            Some(node) => {
                let node = unsafe { &*node };
                if let Some((i, total)) = dense {
                    if self.dense_free(node, i, total) {
                        // Found by hashing: publish it for the next lookup.
                        drop(self.find_or_create(&strs, dense));
                    }
                }
                &node.metric
            }
            None => {
                let node = self.find_or_create(&strs, dense);
                // SAFETY: the node is in the table (its list keeps it
                // alive) now; a removal retires it at an epoch not before
                // `pin`'s, so it stays allocated while `pin` lives, and
                // the family outlives the returned borrow.
                unsafe { &(*Arc::as_ptr(&node)).metric }
            }
        };
        Child {
            metric,
            _pin: Some(pin),
        }
    }

    /// Whether `node` could be published at position `i` of the dense
    /// array (a hint, read without the lock; `publish` decides).
    fn dense_free(&self, node: &Node<M>, i: usize, total: usize) -> bool {
        if self.dense_off.load(Ordering::Relaxed)
            || node.dense_slot.load(Ordering::Relaxed) != NOT_DENSE
        {
            return false;
        }
        match self.dense.get() {
            None => true,
            Some(d) => {
                d.len() == total
                    && d.get(i)
                        .is_some_and(|s| s.load(Ordering::Relaxed).is_null())
            }
        }
    }

    /// The child at position `i` of the dense array, if published there
    /// with these values (another enum type with as many combinations
    /// would index the same positions: the texts decide).
    #[inline]
    fn dense_hit<L: LabelValues<N>>(&self, values: &L, i: usize, total: usize) -> Option<&M> {
        if self.dense_off.load(Ordering::Relaxed) {
            return None;
        }
        let dense = self.dense.get()?;
        if dense.len() != total {
            return None;
        }
        let p = dense.get(i)?.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: a node published in the dense array is never freed
        // before the family (a removal moves it to the graveyard), and the
        // returned borrow does not outlive the family.
        let node = unsafe { &*p };
        let texts = values.texts();
        let same = node.values().eq(texts.iter().map(LabelText::as_str));
        same.then_some(&node.metric)
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
        let pin = epoch::pin();
        if let Some(node) = self.find(&strs, &pin) {
            // SAFETY: `node` comes from `Arc::as_ptr` of an `Arc` that the
            // list or the retired list still holds while `pin` lives, so
            // its count is at least one: taking one more reference is
            // sound.
            return OwnedChild(unsafe {
                Arc::increment_strong_count(node);
                Arc::from_raw(node)
            });
        }
        drop(pin);
        OwnedChild(self.find_or_create(&strs, None))
    }

    fn hash(hasher: &RandomState, values: &[&str]) -> u64 {
        let mut h = hasher.build_hasher();
        for v in values {
            h.write(v.as_bytes());
            h.write_u8(0xff);
        }
        h.finish()
    }

    /// The child with these values, without a lock: allocated while
    /// `_pin` lives.
    #[inline]
    fn find(&self, values: &[&str; N], _pin: &Guard) -> Option<*const Node<M>> {
        let hash = Self::hash(self.hasher.get()?, values);
        let table = self.table.load(Ordering::Acquire);
        if table.is_null() {
            return None;
        }
        // SAFETY: a table is retired (not freed) when replaced, and freed
        // only once no thread pinned before its retirement is still
        // pinned; `_pin` was taken before this load.
        let table = unsafe { &*table };
        let mask = table.slots.len() - 1;
        // Truncation intended: the low bits pick the first slot.
        let mut i = hash as usize & mask;
        // At most half the slots are used: a null slot ends the probe.
        for _ in 0..table.slots.len() {
            let p = table.slots[i].load(Ordering::Acquire);
            if p.is_null() {
                return None;
            }
            if p != Table::tombstone() {
                // SAFETY: as for the table: a node is retired once
                // unlinked, and freed after every earlier pin ended.
                let node = unsafe { &*p };
                if node.is(hash, values) {
                    return Some(p.cast_const());
                }
            }
            i = (i + 1) & mask;
        }
        None
    }

    fn lock(&self) -> MutexGuard<'_, Writer<M>> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The child with these values, created if missing, under the writer
    /// lock.
    fn find_or_create(&self, values: &[&str; N], dense: Option<(usize, usize)>) -> Arc<Node<M>> {
        let mut w = self.lock();
        let hasher = self.hasher.get_or_init(RandomState::default);
        let hash = Self::hash(hasher, values);
        let table = self.table.load(Ordering::Acquire);
        // SAFETY: only writers (holding the lock, as here) free tables.
        let slot = unsafe { table.as_ref() }.and_then(|t| {
            let mask = t.slots.len() - 1;
            // Truncation intended: the low bits pick the first slot.
            let mut i = hash as usize & mask;
            for _ in 0..t.slots.len() {
                let p = t.slots[i].load(Ordering::Relaxed);
                if p.is_null() {
                    return None;
                }
                // SAFETY: under the lock, linked nodes are alive (the list
                // owns them).
                if p != Table::tombstone() && unsafe { &*p }.is(hash, values) {
                    return Some(p.cast_const());
                }
                i = (i + 1) & mask;
            }
            None
        });
        if let Some(p) = slot {
            if let Some(node) = w.list.iter().find(|n| ptr::eq(Arc::as_ptr(n), p)) {
                let node = Arc::clone(node);
                self.publish(&node, dense);
                return node;
            }
        }
        let parent = Parent { meta: &self.meta };
        let metric = M::new_child_of(&self.config, &parent);
        let created = metric.created_time().map(RenderedFloat::new);
        let names = match self.meta.get() {
            Some(meta) => &meta.labels,
            None => &LabelNames::Static(&[]),
        };
        let node = Arc::new(Node {
            hash,
            labels: LabelSet::new(values.iter().enumerate().map(|(i, v)| (names.get(i), *v))),
            created,
            dense_slot: AtomicUsize::new(NOT_DENSE),
            metric,
        });
        self.link(&mut w, &node);
        self.publish(&node, dense);
        w.list.push(Arc::clone(&node));
        self.len.store(w.list.len(), Ordering::Relaxed);
        w.retired.collect();
        node
    }

    /// Publishes `node` (linked, under the writer lock) at position `i`
    /// of the dense array, if that position is free and the array on.
    fn publish(&self, node: &Arc<Node<M>>, dense: Option<(usize, usize)>) {
        let Some((i, total)) = dense else { return };
        if self.dense_off.load(Ordering::Relaxed)
            || node.dense_slot.load(Ordering::Relaxed) != NOT_DENSE
        {
            return;
        }
        let slots = self.dense.get_or_init(|| {
            (0..total)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect()
        });
        if slots.len() != total {
            return;
        }
        if let Some(slot) = slots.get(i) {
            if slot.load(Ordering::Relaxed).is_null() {
                node.dense_slot.store(i, Ordering::Relaxed);
                slot.store(Arc::as_ptr(node).cast_mut(), Ordering::Release);
            }
        }
    }

    /// Retires an unlinked node, or keeps it in the graveyard if it was
    /// published in the dense array (emptying its position there).
    fn bury(&self, w: &mut Writer<M>, node: Arc<Node<M>>) {
        let i = node.dense_slot.load(Ordering::Relaxed);
        if i == NOT_DENSE {
            w.retired.retire(Garbage::Node(node));
            return;
        }
        if let Some(slot) = self.dense.get().and_then(|d| d.get(i)) {
            slot.store(ptr::null_mut(), Ordering::Release);
        }
        w.graveyard.push(node);
        if w.graveyard.len() >= crate::metrics::labels::DENSE_MAX {
            self.dense_off.store(true, Ordering::Relaxed);
        }
    }

    /// Puts `node` in the table, growing (or rehashing) it first when
    /// that would fill more than half of it.
    fn link(&self, w: &mut Writer<M>, node: &Arc<Node<M>>) {
        let current = self.table.load(Ordering::Acquire);
        // SAFETY: only writers (holding the lock, as the caller does)
        // replace or free the table.
        let full = unsafe { current.as_ref() }.is_none_or(|t| 2 * (w.used + 1) > t.slots.len());
        if full {
            let live = w.list.len() + 1;
            // Half full at most after the rehash, grown again at half.
            let cap = (2 * live).next_power_of_two().max(8);
            let fresh = Table::with_capacity(cap);
            for n in w.list.iter().chain(std::iter::once(node)) {
                if let Some(slot) = fresh.slot_of(n.hash, None) {
                    slot.store(Arc::as_ptr(n).cast_mut(), Ordering::Relaxed);
                }
            }
            w.used = live;
            let old = self.table.swap(Box::into_raw(fresh), Ordering::AcqRel);
            if let Some(old) = ptr::NonNull::new(old) {
                w.retired.retire(Garbage::Table(OwnedTable(old)));
            }
            return;
        }
        // SAFETY: as above; `full` is false, so there is a table.
        if let Some(t) = unsafe { current.as_ref() } {
            if let Some(slot) = t.slot_of(node.hash, None) {
                slot.store(Arc::as_ptr(node).cast_mut(), Ordering::Release);
            }
            w.used += 1;
        }
    }

    /// Unlinks `node` from the table (a tombstone in its slot) and
    /// retires it: the caller has removed it from the list.
    fn unlink(&self, w: &mut Writer<M>, node: Arc<Node<M>>) {
        let table = self.table.load(Ordering::Acquire);
        // SAFETY: only writers (holding the lock) replace or free it.
        if let Some(t) = unsafe { table.as_ref() } {
            if let Some(slot) = t.slot_of(node.hash, Some(Arc::as_ptr(&node))) {
                slot.store(Table::tombstone(), Ordering::Release);
            }
        }
        self.bury(w, node);
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
    pub fn remove<L: LabelValues<N>>(&self, values: L) -> bool {
        let texts = values.texts();
        let strs: [&str; N] = std::array::from_fn(|i| texts[i].as_str());
        self.remove_where(|n| n.values().eq(strs.iter().copied())) > 0
    }

    /// Removes the children `doomed` picks; how many.
    fn remove_where(&self, mut doomed: impl FnMut(&Node<M>) -> bool) -> usize {
        let mut w = self.lock();
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut w.list)
            .into_iter()
            .partition(|n| doomed(n));
        w.list = kept;
        self.len.store(w.list.len(), Ordering::Relaxed);
        let removed = gone.len();
        for node in gone {
            self.unlink(&mut w, node);
        }
        w.retired.collect();
        removed
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
    pub fn remove_by_labels(&self, pairs: &[(&str, &str)]) -> Result<usize, MetricError> {
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
        Ok(self.remove_where(|c| {
            positions
                .iter()
                .all(|(i, v)| c.values().nth(*i).is_some_and(|cv| cv == *v))
        }))
    }

    /// Removes every child.
    ///
    /// ```
    /// promscribe::gauge!(G, "temp", "T", labels = ["room"]);
    /// G.labels(["attic"]).set(1.0);
    /// G.clear();
    /// assert!(G.is_empty());
    /// ```
    pub fn clear(&self) {
        let mut w = self.lock();
        let old = self.table.swap(ptr::null_mut(), Ordering::AcqRel);
        w.used = 0;
        self.len.store(0, Ordering::Relaxed);
        for node in std::mem::take(&mut w.list) {
            self.bury(&mut w, node);
        }
        if let Some(old) = ptr::NonNull::new(old) {
            w.retired.retire(Garbage::Table(OwnedTable(old)));
        }
        w.retired.collect();
    }

    /// Number of children.
    ///
    /// ```
    /// promscribe::gauge!(G, "temp", "T", labels = ["room"]);
    /// assert_eq!(G.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
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

impl<M: FamilyMember<Config = ()>, const N: usize> Family<M, N> {
    /// A family built at run time (Counter, Gauge, Summary).
    ///
    /// ```
    /// use promscribe::{Family, Gauge, Opts};
    /// let g = Family::<Gauge, 1>::new(Opts::new("temp", "T").labels(["room"])).unwrap();
    /// g.labels(["hall"]).set(19.5);
    /// ```
    pub fn new(opts: Opts) -> Result<Arc<Self>, MetricError> {
        Self::with_config(opts, ())
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
        Self::with_config(opts, buckets)
    }
}

impl<M: FamilyMember, const N: usize> Collector for Family<M, N> {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let Some(meta) = self.meta.get() else {
            return;
        };
        let mut family = new_family(meta);
        let w = self.lock();
        family.metrics.reserve_exact(w.list.len());
        for child in &w.list {
            child.metric.collect_metric(&mut family, &child.labels);
        }
        drop(w);
        out.push(family);
    }

    fn describe(&self) -> Vec<Descriptor> {
        self.meta.get().map(Meta::descriptor).into_iter().collect()
    }

    fn as_stream(&self) -> Option<&dyn StreamFamily> {
        self.meta.get().map(|_| self as &dyn StreamFamily)
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

    /// The children in creation order, read under the family's writer
    /// lock (held for this family only: creating or removing a child
    /// waits, looking one up or updating one does not).
    fn for_each_metric(
        &self,
        f: &mut dyn FnMut(&LabelSet, &crate::Point, Option<&RenderedFloat>) -> std::fmt::Result,
    ) -> std::fmt::Result {
        let mut scratch = crate::Point::Gauge(0.0);
        let w = self.lock();
        for child in &w.list {
            let created = child.created.as_ref();
            child
                .metric
                .visit_metric(&child.labels, &mut scratch, &mut |labels, point| {
                    f(labels, point, created)
                })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Counter, Gauge};

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
    fn created_is_written_from_its_rendering_and_after_a_reset_anew() {
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
                    f.for_each_metric(&mut |labels, _, _| {
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
                f.for_each_metric(&mut |_, _, _| {
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

    /// Removed children are freed once no thread is pinned (here: at once,
    /// or as soon as other tests' brief pins end).
    #[test]
    fn removed_children_are_freed() {
        let f = Family::<Gauge, 1>::new(Opts::new("g", "g").labels(["k"])).unwrap();
        for i in 0..1000 {
            f.labels([i]).set(1.0);
        }
        let kept = f.labels_owned([5]);
        assert!(f.remove([5]));
        f.clear();
        let mut waiting = usize::MAX;
        for _ in 0..10_000 {
            let mut w = f.lock();
            w.retired.collect();
            waiting = w.retired.len();
            drop(w);
            if waiting == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(waiting, 0);
        // An owned handle keeps its child: updates still work, unexposed.
        kept.set(3.0);
        assert_eq!(kept.get(), 3.0);
        assert!(f.is_empty());
        assert_eq!(f.labels([5]).get(), 0.0);
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
            f.labels((Method::Get, Method::Post))._pin.is_none(),
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
    /// `DENSE_MAX` of them the family stops publishing.
    #[test]
    fn dense_removals_are_bounded() {
        let f = Family::<Gauge, 1>::new(Opts::new("g", "g").labels(["m"])).unwrap();
        let max = crate::metrics::labels::DENSE_MAX;
        for _ in 0..max + 10 {
            f.labels([Method::Get]).inc();
            assert_eq!(f.labels([Method::Get]).get(), 1.0);
            assert!(f.remove([Method::Get]));
        }
        assert!(f.dense_off.load(Ordering::Relaxed));
        assert_eq!(f.lock().graveyard.len(), max);
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
        assert!(f.lock().graveyard.len() <= crate::metrics::labels::DENSE_MAX + 4);
        f.labels((Method::Get, Method::Get)).inc();
        assert!(f.labels(["get", "get"]).get() >= 1.0);
    }

    #[test]
    fn label_count_is_checked_at_run_time_for_runtime_families() {
        let e = Family::<Counter, 1>::new(Opts::new("c", "c").labels(["a", "b"])).unwrap_err();
        assert!(e.to_string().contains("has 1 labels, but 2 were given"));
    }
}
