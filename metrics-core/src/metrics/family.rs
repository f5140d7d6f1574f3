//! [`Family`]: a metric with labels, one child per combination of values.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// Label values are hashed with a per-process random seed (foldhash):
/// several times faster than SipHash on short strings, and still not
/// predictable from outside.
type RandomState = foldhash::fast::RandomState;
use std::sync::{Arc, PoisonError, RwLock};

use crate::collector::{Collector, StreamFamily};
use crate::encoding::float::RenderedFloat;
use crate::error::MetricError;
use crate::metrics::histogram::Buckets;
use crate::metrics::labels::LabelValues;
use crate::metrics::meta::{LabelNames, Meta, MetaRef, Opts};
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
        timestamp_ms: None,
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
                    .map($crate::metrics::meta::Meta::descriptor)
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
            fn stream_meta(&self) -> &$crate::metrics::meta::Meta {
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
                    Option<&$crate::encoding::float::RenderedFloat>,
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

struct Child<M> {
    values: Box<[Box<str>]>,
    /// Names and values, rendered once when the child is created.
    labels: LabelSet,
    /// Its `_created` value, rendered once too (after a reset the value
    /// differs, and the encoders format the new one).
    created: Option<RenderedFloat>,
    metric: Arc<M>,
    hash: u64,
}

/// The index is keyed by a hash already computed (with a random key) from
/// the label values: hashing it again would only cost time.
#[derive(Default)]
struct PrehashedKey(u64);

impl Hasher for PrehashedKey {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (keys are `u64`); fold anything else.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Index = HashMap<u64, Vec<usize>, BuildHasherDefault<PrehashedKey>>;

struct Children<M> {
    hasher: Option<RandomState>,
    /// Hash of the values -> indexes into `list` with that hash.
    index: Option<Index>,
    /// Children in creation order.
    list: Vec<Child<M>>,
}

impl<M> Children<M> {
    const EMPTY: Self = Children {
        hasher: None,
        index: None,
        list: Vec::new(),
    };

    fn hash(&self, values: &[&str]) -> Option<u64> {
        let mut h = self.hasher.as_ref()?.build_hasher();
        for v in values {
            h.write(v.as_bytes());
            h.write_u8(0xff);
        }
        Some(h.finish())
    }

    fn find(&self, values: &[&str]) -> Option<&Arc<M>> {
        let hash = self.hash(values)?;
        let candidates = self.index.as_ref()?.get(&hash)?;
        candidates
            .iter()
            .filter_map(|&i| self.list.get(i))
            .find(|c| c.values.iter().map(|v| &**v).eq(values.iter().copied()))
            .map(|c| &c.metric)
    }

    fn insert(
        &mut self,
        values: &[&str],
        names: &LabelNames,
        metric: Arc<M>,
        created: Option<RenderedFloat>,
    ) {
        let hasher = self.hasher.get_or_insert_with(RandomState::default);
        let mut h = hasher.build_hasher();
        for v in values {
            h.write(v.as_bytes());
            h.write_u8(0xff);
        }
        let hash = h.finish();
        let idx = self.list.len();
        self.list.push(Child {
            values: values.iter().map(|v| Box::from(*v)).collect(),
            labels: LabelSet::new(values.iter().enumerate().map(|(i, v)| (names.get(i), *v))),
            created,
            metric,
            hash,
        });
        self.index
            .get_or_insert_with(Index::default)
            .entry(hash)
            .or_default()
            .push(idx);
    }

    fn retain(&mut self, mut keep: impl FnMut(&Child<M>) -> bool) -> usize {
        let before = self.list.len();
        self.list.retain(|c| keep(c));
        let removed = before - self.list.len();
        if removed > 0 {
            let mut index = Index::default();
            for (i, c) in self.list.iter().enumerate() {
                index.entry(c.hash).or_default().push(i);
            }
            self.index = Some(index);
        }
        removed
    }
}

/// A labelled metric: `N` label names, one child metric per combination of
/// label values. The arity is in the type, so `labels` with the wrong
/// number of values does not compile.
///
/// Look a child up once and keep the returned handle: updating it is then
/// as cheap as updating an unlabelled metric (no lock, no hashing).
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
    children: RwLock<Children<M>>,
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
            children: RwLock::new(Children::EMPTY),
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
            children: RwLock::new(Children::EMPTY),
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
    pub fn labels<L: LabelValues<N>>(&self, values: L) -> Arc<M> {
        let texts = values.texts();
        let strs: [&str; N] = std::array::from_fn(|i| texts[i].as_str());
        {
            let children = self.children.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(m) = children.find(&strs) {
                return Arc::clone(m);
            }
        }
        let mut children = self
            .children
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(m) = children.find(&strs) {
            return Arc::clone(m);
        }
        let parent = Parent { meta: &self.meta };
        let m = Arc::new(M::new_child_of(&self.config, &parent));
        let created = m.created_time().map(RenderedFloat::new);
        match self.meta.get() {
            Some(meta) => children.insert(&strs, &meta.labels, Arc::clone(&m), created),
            None => children.insert(&strs, &LabelNames::Static(&[]), Arc::clone(&m), created),
        }
        m
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
    pub fn labels_named(&self, pairs: &[(&str, &str)]) -> Result<Arc<M>, MetricError> {
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
        let mut children = self
            .children
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        children.retain(|c| !c.values.iter().map(|v| &**v).eq(strs.iter().copied())) > 0
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
        let mut children = self
            .children
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(children.retain(|c| {
            !positions
                .iter()
                .all(|(i, v)| c.values.get(*i).is_some_and(|cv| &**cv == *v))
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
        let mut children = self
            .children
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *children = Children::EMPTY;
    }

    /// Number of children.
    ///
    /// ```
    /// promscribe::gauge!(G, "temp", "T", labels = ["room"]);
    /// assert_eq!(G.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.children
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .list
            .len()
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
        let children = self.children.read().unwrap_or_else(PoisonError::into_inner);
        family.metrics.reserve_exact(children.list.len());
        for child in &children.list {
            child.metric.collect_metric(&mut family, &child.labels);
        }
        drop(children);
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

    /// The children in creation order, read under the family's read lock
    /// (held for this family only: creating a child waits, updating one
    /// does not).
    fn for_each_metric(
        &self,
        f: &mut dyn FnMut(&LabelSet, &crate::Point, Option<&RenderedFloat>) -> std::fmt::Result,
    ) -> std::fmt::Result {
        let mut scratch = crate::Point::Gauge(0.0);
        let children = self.children.read().unwrap_or_else(PoisonError::into_inner);
        for child in &children.list {
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

    #[test]
    fn label_count_is_checked_at_run_time_for_runtime_families() {
        let e = Family::<Counter, 1>::new(Opts::new("c", "c").labels(["a", "b"])).unwrap_err();
        assert!(e.to_string().contains("has 1 labels, but 2 were given"));
    }
}
