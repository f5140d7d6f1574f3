//! [`Registry`]: where collectors are gathered at scrape time.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, TryLockError};

use crate::collector::{Collector, FamilyRef, StreamFamily};
use crate::error::MetricError;
use crate::meta::Site;
use crate::model::{Descriptor, LabelSet, MetricFamily, MetricType, Point, Sample};

/// A link-time registration of a declared static (see `__private`).
#[doc(hidden)]
pub struct StaticMetric {
    collector: &'static dyn Collector,
    site: Site,
}

impl StaticMetric {
    #[doc(hidden)]
    pub const fn new(collector: &'static dyn Collector, site: Site) -> Self {
        StaticMetric { collector, site }
    }
}

/// Where a registered metric came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A static declared with a macro, at this site.
    Static(Site),
    /// A collector registered at run time.
    Runtime,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Static(site) => write!(f, "declared at {site}"),
            Origin::Runtime => f.write_str("registered at run time"),
        }
    }
}

/// Two metrics claim the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    /// The clashing sample or family name.
    pub name: String,
    /// The metric that had the name first.
    pub first: Origin,
    /// The metric that also claims it.
    pub second: Origin,
}

impl fmt::Display for Clash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "duplicate metric name `{}`: {} and {}",
            self.name, self.first, self.second
        )
    }
}

/// Registration refused, or a registry holds clashing metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// Every clash found.
    pub clashes: Vec<Clash>,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.clashes.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RegistryError {}

/// [`Registry::set_target_info`] refused its labels.
///
/// ```
/// let r = promscribe::Registry::new();
/// let err = r.set_target_info([("__bad", "x")]).unwrap_err();
/// assert!(matches!(err, promscribe::TargetInfoError::Label(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TargetInfoError {
    /// A label name is invalid or given twice.
    Label(MetricError),
    /// A registered metric already claims `target_info`.
    Clash(RegistryError),
}

impl fmt::Display for TargetInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetInfoError::Label(e) => write!(f, "invalid target_info: {e}"),
            TargetInfoError::Clash(e) => write!(f, "cannot set target_info: {e}"),
        }
    }
}

impl std::error::Error for TargetInfoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TargetInfoError::Label(e) => Some(e),
            TargetInfoError::Clash(e) => Some(e),
        }
    }
}

impl From<MetricError> for TargetInfoError {
    fn from(e: MetricError) -> Self {
        TargetInfoError::Label(e)
    }
}

impl From<RegistryError> for TargetInfoError {
    fn from(e: RegistryError) -> Self {
        TargetInfoError::Clash(e)
    }
}

struct Entry {
    collector: Arc<dyn Collector>,
    names: Vec<String>,
}

/// What the registry's lock guards.
struct Inner {
    entries: Vec<Entry>,
    /// Labels of the `target_info` sample, when set.
    target_info: Option<Vec<(String, String)>>,
}

/// Name and help of the target info family, as in Python's client: the
/// info family `target`, whose only sample is `target_info`.
const TARGET: &str = "target";
const TARGET_HELP: &str = "Target metadata";
/// The one name target info reserves (Python reserves `target_info` only;
/// a metric named `target` may coexist with it).
const TARGET_SAMPLE: &str = "target_info";

fn target_names() -> Vec<String> {
    vec![TARGET_SAMPLE.to_owned()]
}

/// A set of collectors gathered together at scrape time.
///
/// The [default registry](default_registry) holds every declared static
/// (registered at link time), process metrics on Linux, and whatever is
/// registered into it. `Registry::new()` makes a separate, empty one, for
/// batch jobs and tests.
///
/// # Auto-describe
/// A collector whose [`describe`](Collector::describe) declares nothing
/// (the default) is collected once by [`register`](Registry::register),
/// and the names of the families it yields are checked for clashes and
/// reserved, as Python's default registry does (`auto_describe=True`).
/// Both the default registry and `Registry::new()` do this: in Rust an
/// empty `describe` cannot be told apart from a missing one, so the opt
/// out is the registry's, [`Registry::without_auto_describe`], for
/// collectors that must not be collected at registration (expensive or
/// not yet ready), which are then not checked.
///
/// ```
/// use promscribe::{Gauge, Registry};
/// let registry = Registry::new();
/// let done = Gauge::new("job_last_success_unixtime", "Last success").unwrap();
/// registry.register(done.clone()).unwrap();
/// done.set(7.0);
/// assert_eq!(registry.get_sample_value("job_last_success_unixtime", &[]), Some(7.0));
/// // The same name twice is refused.
/// let again = Gauge::new("job_last_success_unixtime", "Again").unwrap();
/// assert!(registry.register(again).is_err());
/// ```
pub struct Registry {
    statics: bool,
    auto_describe: bool,
    inner: RwLock<Inner>,
    /// The encoders' buffers, kept from one scrape to the next (taken
    /// only when free: a concurrent scrape uses buffers of its own).
    scratch: Mutex<Kept>,
    /// Length of the last text written by `encode_text`, to size the next.
    text_len: AtomicUsize,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.read();
        f.debug_struct("Registry")
            .field("statics", &self.statics)
            .field("auto_describe", &self.auto_describe)
            .field("collectors", &inner.entries.len())
            .field("target_info", &inner.target_info)
            .finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

/// The default registry: every metric declared with the macros in any
/// crate linked into the program, process metrics on Linux, and what is
/// registered into it at run time.
///
/// A crate whose items the program never uses is not linked, and so its
/// statics are not registered: name it with `use the_crate as _;`.
///
/// ```
/// promscribe::counter!(HITS, "hits_total", "Hits");
/// HITS.inc();
/// let r = promscribe::default_registry();
/// assert_eq!(r.get_sample_value("hits_total", &[]), Some(1.0));
/// ```
pub fn default_registry() -> &'static Registry {
    static DEFAULT: OnceLock<Registry> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        let r = Registry {
            statics: true,
            auto_describe: true,
            inner: Registry::empty(),
            scratch: Mutex::default(),
            text_len: AtomicUsize::new(0),
        };
        #[cfg(all(target_os = "linux", feature = "process"))]
        {
            // The process metrics cannot clash: nothing else is registered yet
            // and statics may not start with `process_` without clashing
            // visibly in `check()`.
            let p = Arc::new(crate::collector::process::ProcessCollector::new());
            let names = names_of(&p.describe());
            r.write().entries.push(Entry {
                collector: p,
                names,
            });
        }
        r
    })
}

/// What an encoder keeps in a registry from one scrape to the next. The
/// registry holds it without knowing its type: the encoders sit above the
/// registry, put their buffers in and take them out again (`None` until
/// the first scrape).
pub(crate) type Kept = Option<Box<dyn Any + Send>>;

fn names_of(descriptors: &[Descriptor]) -> Vec<String> {
    descriptors
        .iter()
        .flat_map(Descriptor::sample_names)
        .collect()
}

/// Every declared static, gathered by the linker (the declarations reach
/// it as `__private::STATIC_METRICS`).
#[doc(hidden)]
#[linkme::distributed_slice]
pub static STATIC_METRICS: [StaticMetric];

fn statics() -> &'static [StaticMetric] {
    &STATIC_METRICS
}

impl Registry {
    /// An empty registry, without the declared statics.
    ///
    /// ```
    /// let r = promscribe::Registry::new();
    /// assert!(r.gather().is_empty());
    /// ```
    pub fn new() -> Self {
        Registry {
            statics: false,
            auto_describe: true,
            inner: Registry::empty(),
            scratch: Mutex::default(),
            text_len: AtomicUsize::new(0),
        }
    }

    /// An empty registry that does not collect a collector at registration
    /// when its `describe` declares nothing: such a collector is then not
    /// checked for clashes (Python's `CollectorRegistry(auto_describe=False)`).
    ///
    /// ```
    /// use promscribe::{Collector, MetricFamily, MetricType, Registry};
    /// use std::sync::Arc;
    ///
    /// struct Slow;
    /// impl Collector for Slow {
    ///     fn collect(&self, out: &mut Vec<MetricFamily>) {
    ///         out.push(MetricFamily::new("slow", "Expensive to read", MetricType::Gauge));
    ///     }
    /// }
    /// let r = Registry::without_auto_describe();
    /// r.register(Arc::new(Slow)).unwrap();
    /// r.register(Arc::new(Slow)).unwrap(); // not checked
    /// assert_eq!(r.gather().len(), 1); // the first of clashing families wins
    /// ```
    pub fn without_auto_describe() -> Self {
        Registry {
            statics: false,
            auto_describe: false,
            inner: Registry::empty(),
            scratch: Mutex::default(),
            text_len: AtomicUsize::new(0),
        }
    }

    fn empty() -> RwLock<Inner> {
        RwLock::new(Inner {
            entries: Vec::new(),
            target_info: None,
        })
    }

    /// The encoders' buffers, when no other scrape holds them.
    pub(crate) fn scratch(&self) -> Option<MutexGuard<'_, Kept>> {
        match self.scratch.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::WouldBlock) => None,
            // A collector panicked during an encode: start afresh.
            Err(TryLockError::Poisoned(e)) => {
                let mut guard = e.into_inner();
                *guard = None;
                Some(guard)
            }
        }
    }

    /// A capacity for the next `encode_text` output.
    pub(crate) fn text_capacity(&self) -> usize {
        let last = self.text_len.load(Ordering::Relaxed);
        last + last / 16 + 4096
    }

    pub(crate) fn set_text_len(&self, len: usize) {
        self.text_len.store(len, Ordering::Relaxed);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The names a collector claims: from `describe`, or, when that is
    /// empty and this registry auto-describes, from one `collect`.
    fn claimed_names(&self, collector: &dyn Collector) -> Vec<String> {
        let described = collector.describe();
        if !described.is_empty() || !self.auto_describe {
            return names_of(&described);
        }
        let mut families = Vec::new();
        collector.collect(&mut families);
        let mut names = Vec::new();
        for f in families {
            let d = Descriptor {
                name: f.name,
                kind: f.kind,
            };
            for n in d.sample_names() {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        names
    }

    /// Names already claimed, and by whom: statics, then runtime
    /// collectors, then the target info.
    fn taken_names<'a>(
        &self,
        static_names: &'a [(String, Site)],
        inner: &'a Inner,
    ) -> HashMap<&'a str, Origin> {
        let mut taken: HashMap<&str, Origin> = HashMap::new();
        for (n, site) in static_names {
            taken.entry(n.as_str()).or_insert(Origin::Static(*site));
        }
        for e in &inner.entries {
            for n in &e.names {
                taken.entry(n.as_str()).or_insert(Origin::Runtime);
            }
        }
        taken
    }

    fn static_names(&self) -> Vec<(String, Site)> {
        if !self.statics {
            return Vec::new();
        }
        statics()
            .iter()
            .flat_map(|s| {
                names_of(&s.collector.describe())
                    .into_iter()
                    .map(move |n| (n, s.site))
            })
            .collect()
    }

    /// Adds a collector (any metric is one). Refused, naming both sides,
    /// when one of the names its [`describe`](Collector::describe) declares
    /// (with the derived sample names: `_total`, `_bucket`, ...) is taken,
    /// or `target_info` while [target info](Registry::set_target_info) is
    /// set. A collector that describes nothing is collected once here and
    /// the families it yields give its names (see [auto-describe](Registry#auto-describe)).
    ///
    /// ```
    /// use promscribe::{Counter, Gauge, Registry};
    /// let r = Registry::new();
    /// r.register(Counter::new("jobs_total", "Jobs").unwrap()).unwrap();
    /// // `jobs_total` is a sample name of the counter above.
    /// let err = r.register(Gauge::new("jobs_total", "Clash").unwrap()).unwrap_err();
    /// assert!(err.to_string().contains("jobs_total"));
    /// ```
    pub fn register(&self, collector: Arc<dyn Collector>) -> Result<(), RegistryError> {
        // Collected (auto-describe) before the lock is taken: a collector
        // may read this registry.
        let names = self.claimed_names(&*collector);
        let static_names = self.static_names();
        let mut inner = self.write();
        let target_names = match inner.target_info {
            Some(_) => target_names(),
            None => Vec::new(),
        };
        let mut taken = self.taken_names(&static_names, &inner);
        for n in &target_names {
            taken.entry(n.as_str()).or_insert(Origin::Runtime);
        }
        let clashes: Vec<Clash> = names
            .iter()
            .filter_map(|n| {
                taken.get(n.as_str()).map(|first| Clash {
                    name: n.clone(),
                    first: first.clone(),
                    second: Origin::Runtime,
                })
            })
            .collect();
        if !clashes.is_empty() {
            return Err(RegistryError { clashes });
        }
        drop(taken);
        inner.entries.push(Entry { collector, names });
        Ok(())
    }

    /// Removes a collector registered earlier (the same `Arc`); `true` if
    /// it was there.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let r = promscribe::Registry::new();
    /// let g = promscribe::Gauge::new("g", "g").unwrap();
    /// r.register(g.clone()).unwrap();
    /// assert!(r.unregister(&(g.clone() as Arc<dyn promscribe::Collector>)));
    /// assert!(r.register(g).is_ok());
    /// ```
    pub fn unregister(&self, collector: &Arc<dyn Collector>) -> bool {
        let entries = &mut self.write().entries;
        let before = entries.len();
        entries.retain(|e| !std::ptr::addr_eq(Arc::as_ptr(&e.collector), Arc::as_ptr(collector)));
        entries.len() != before
    }

    /// Checks the declared statics for clashing names (a name and its
    /// derived sample names), reporting both declaration sites. Statics
    /// cannot fail at construction, so call this at start-up or in a test:
    /// the encoders expose only the first of two clashing families.
    ///
    /// ```
    /// promscribe::counter!(A, "unique_total", "A");
    /// promscribe::default_registry().check().unwrap();
    /// ```
    pub fn check(&self) -> Result<(), RegistryError> {
        let mut clashes = Vec::new();
        // name -> (owner index, origin); a clash is one name, two owners.
        let mut seen: HashMap<String, (usize, Origin)> = HashMap::new();
        let mut claim = |name: String, owner: usize, origin: Origin| match seen.get(&name) {
            Some((first_owner, first)) if *first_owner != owner => clashes.push(Clash {
                name,
                first: first.clone(),
                second: origin,
            }),
            Some(_) => {}
            None => {
                seen.insert(name, (owner, origin));
            }
        };
        let inner = self.read();
        let mut owner = 0;
        if inner.target_info.is_some() {
            for n in target_names() {
                claim(n, owner, Origin::Runtime);
            }
            owner += 1;
        }
        if self.statics {
            for s in statics() {
                for n in names_of(&s.collector.describe()) {
                    claim(n, owner, Origin::Static(s.site));
                }
                owner += 1;
            }
        }
        for e in &inner.entries {
            for n in &e.names {
                claim(n.clone(), owner, Origin::Runtime);
            }
            owner += 1;
        }
        drop(inner);
        // Report each clashing pair once, ordered for stable messages.
        clashes.sort_by(|a, b| a.name.cmp(&b.name));
        if clashes.is_empty() {
            Ok(())
        } else {
            Err(RegistryError { clashes })
        }
    }

    /// Collects every family: the target info first (as Python's
    /// registry yields it), then the families of the statics and runtime
    /// collectors sorted by name. When two families claim the same sample
    /// names only the first is kept (see [`check`](Registry::check)); the
    /// target info always wins.
    ///
    /// ```
    /// let r = promscribe::Registry::new();
    /// r.register(promscribe::Gauge::new("b", "b").unwrap()).unwrap();
    /// r.register(promscribe::Gauge::new("a", "a").unwrap()).unwrap();
    /// r.set_target_info([("env", "prod")]).unwrap();
    /// let names: Vec<_> = r.gather().into_iter().map(|f| f.name).collect();
    /// assert_eq!(names, ["target", "a", "b"]);
    /// ```
    pub fn gather(&self) -> Vec<MetricFamily> {
        self.collect_families(None)
    }

    /// The families of the collectors `wanted` selects (all when `None`),
    /// sorted and deduplicated, after the target info.
    fn collect_families(&self, wanted: Option<&HashSet<&str>>) -> Vec<MetricFamily> {
        // A collector is run when one of the names it claims is wanted.
        let selected =
            |names: &[String]| wanted.is_none_or(|w| names.iter().any(|n| w.contains(n.as_str())));
        let (target_info, collectors): (_, Vec<Arc<dyn Collector>>) = {
            let inner = self.read();
            let collectors = inner
                .entries
                .iter()
                .filter(|e| selected(&e.names))
                .map(|e| Arc::clone(&e.collector))
                .collect();
            let target_wanted = wanted.is_none_or(|w| w.contains(TARGET_SAMPLE));
            let target_info = inner.target_info.clone().filter(|_| target_wanted);
            (target_info, collectors)
        };
        let mut out = Vec::new();
        if self.statics {
            for s in statics() {
                if wanted.is_none() || selected(&names_of(&s.collector.describe())) {
                    s.collector.collect(&mut out);
                }
            }
        }
        for c in &collectors {
            c.collect(&mut out);
        }
        let overflow_wanted = wanted.is_none_or(|w| w.contains(OVERFLOW_SAMPLE));
        if let Some(f) = overflow_family(self.statics_if_any(), &collectors) {
            if overflow_wanted {
                out.push(f);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        let mut seen: HashSet<String> = HashSet::new();
        if target_info.is_some() {
            seen.insert(TARGET_SAMPLE.to_owned());
        }
        out.retain(|f| {
            let d = Descriptor {
                name: f.name.clone(),
                kind: f.kind,
            };
            let names = d.sample_names();
            if names.iter().any(|n| seen.contains(n)) {
                return false;
            }
            seen.extend(names);
            true
        });
        if let Some(labels) = target_info {
            let mut f = MetricFamily::new(TARGET, TARGET_HELP, MetricType::Info);
            // An info point in an info family: cannot be refused.
            let _ = f.add(LabelSet::new(labels), Point::Info);
            out.insert(0, f);
        }
        out
    }

    /// Calls `f` with every family, in [`gather`](Registry::gather)'s
    /// order and with its deduplication, without materialising the
    /// built-in metric types: their families are read in place by the
    /// encoder (see [`Collector::as_stream`]); other collectors are
    /// collected as usual. The registry's lock is released before any
    /// collector runs; a family's own lock is held only while `f` reads it.
    pub(crate) fn for_each_family(
        &self,
        f: &mut dyn FnMut(FamilyRef<'_>) -> fmt::Result,
    ) -> fmt::Result {
        let (target_info, collectors): (_, Vec<Arc<dyn Collector>>) = {
            let inner = self.read();
            let collectors = inner
                .entries
                .iter()
                .map(|e| Arc::clone(&e.collector))
                .collect();
            (inner.target_info.clone(), collectors)
        };
        enum Source<'a> {
            Owned(MetricFamily),
            Stream(&'a dyn StreamFamily),
        }
        impl Source<'_> {
            fn name(&self) -> &str {
                match self {
                    Source::Owned(f) => &f.name,
                    Source::Stream(s) => &s.stream_meta().name,
                }
            }
        }
        let mut sources: Vec<Source<'_>> = Vec::new();
        let statics: &[StaticMetric] = if self.statics { statics() } else { &[] };
        let mut owned = Vec::new();
        for c in statics
            .iter()
            .map(|s| s.collector)
            .chain(collectors.iter().map(|c| &**c as &dyn Collector))
        {
            match c.as_stream() {
                Some(s) => sources.push(Source::Stream(s)),
                None => {
                    c.collect(&mut owned);
                    sources.extend(owned.drain(..).map(Source::Owned));
                }
            }
        }
        if let Some(family) = overflow_family(statics, &collectors) {
            sources.push(Source::Owned(family));
        }
        sources.sort_by(|a, b| a.name().cmp(b.name()));
        let mut seen: HashSet<String> = HashSet::new();
        if target_info.is_some() {
            seen.insert(TARGET_SAMPLE.to_owned());
        }
        sources.retain(|source| {
            let d = match source {
                Source::Owned(f) => Descriptor {
                    name: f.name.clone(),
                    kind: f.kind,
                },
                Source::Stream(s) => s.stream_meta().descriptor(),
            };
            let names = d.sample_names();
            if names.iter().any(|n| seen.contains(n)) {
                return false;
            }
            seen.extend(names);
            true
        });
        if let Some(labels) = target_info {
            let mut t = MetricFamily::new(TARGET, TARGET_HELP, MetricType::Info);
            // An info point in an info family: cannot be refused.
            let _ = t.add(LabelSet::new(labels), Point::Info);
            f(FamilyRef::from(&t))?;
        }
        for source in &sources {
            match source {
                Source::Owned(family) => f(FamilyRef::from(family))?,
                Source::Stream(s) => f(FamilyRef::stream(*s))?,
            }
        }
        Ok(())
    }

    /// The statics, if this registry exposes them.
    fn statics_if_any(&self) -> &'static [StaticMetric] {
        if self.statics {
            statics()
        } else {
            &[]
        }
    }

    /// The families for `/metrics?name[]=...`, as Python's
    /// `restricted_registry`: only the collectors that claim one of the
    /// given names (by their [`describe`](Collector::describe), or by the
    /// families [auto-describe](Registry#auto-describe) saw at
    /// registration) are collected, the others' `collect` is not called;
    /// a collector that claims no name is skipped. Of their families only
    /// the samples of the given names are kept (a counter's `_total` always
    /// stays with its family: a typed counter has a value), and a family
    /// left without samples is left out. Names are sample names
    /// (`jobs_total`, `latency_bucket`, `target_info`).
    ///
    /// ```
    /// let r = promscribe::Registry::new();
    /// let jobs = promscribe::Counter::new("jobs_total", "Jobs").unwrap();
    /// r.register(jobs.clone()).unwrap();
    /// r.register(promscribe::Gauge::new("temp", "Temperature").unwrap()).unwrap();
    /// let only = r.gather_restricted(&["jobs_total"]);
    /// assert_eq!(only.len(), 1);
    /// assert_eq!(only[0].samples().len(), 1); // not `jobs_created`
    /// assert_eq!(only[0].samples()[0].name, "jobs_total");
    /// ```
    pub fn gather_restricted(&self, names: &[&str]) -> Vec<MetricFamily> {
        let wanted: HashSet<&str> = names.iter().copied().collect();
        let mut out = self.collect_families(Some(&wanted));
        out.retain_mut(|f| {
            let has = |suffix: &str| wanted.contains(format!("{}{suffix}", f.name).as_str());
            let kept = f
                .samples_with(true)
                .iter()
                .any(|s| wanted.contains(s.name.as_str()));
            let (created, sum, count) = (has("_created"), has("_sum"), has("_count"));
            let (bucket, bare) = (has("_bucket"), has(""));
            let (gsum, gcount) = (has("_gsum"), has("_gcount"));
            for m in &mut f.metrics {
                let gauge_histogram = matches!(m.point, Point::GaugeHistogram(_));
                match &mut m.point {
                    Point::Counter(c) if !created => c.created = None,
                    Point::Summary(p) => {
                        p.created = p.created.filter(|_| created);
                        p.count = p.count.filter(|_| count);
                        p.sum = p.sum.filter(|_| sum);
                        if !bare {
                            p.quantiles.clear();
                        }
                    }
                    Point::Histogram(h) | Point::GaugeHistogram(h) => {
                        let (count, sum) = if gauge_histogram {
                            (gcount, gsum)
                        } else {
                            (count, sum)
                        };
                        h.created = h.created.filter(|_| created);
                        h.count = h.count.filter(|_| count);
                        h.sum = h.sum.filter(|_| sum);
                        if !bucket {
                            h.bounds = crate::model::Bounds::from(Vec::new());
                            h.counts.clear();
                            h.exemplars.clear();
                        }
                    }
                    _ => {}
                }
            }
            kept
        });
        out
    }

    /// Exposes target metadata as the info family `target`
    /// (`target_info{...} 1.0`, help "Target metadata"), as Python's
    /// `CollectorRegistry(target_info=...)` does; it replaces earlier
    /// target info. Label names must be valid and distinct. Refused when a
    /// registered metric claims `target_info` (a metric named `target` is
    /// fine, as in Python); while set, such a metric cannot be registered.
    /// It is exposed first. Empty labels clear it, as in Python.
    ///
    /// ```
    /// let r = promscribe::Registry::new();
    /// r.set_target_info([("service", "billing"), ("env", "prod")]).unwrap();
    /// assert_eq!(promscribe::encode_text(&r),
    ///     "# HELP target_info Target metadata\n# TYPE target_info gauge\n\
    ///      target_info{service=\"billing\",env=\"prod\"} 1.0\n");
    /// let clash = promscribe::Gauge::new("target_info", "Clash").unwrap();
    /// assert!(r.register(clash).is_err());
    /// ```
    pub fn set_target_info<I, K, V>(&self, labels: I) -> Result<(), TargetInfoError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let labels: Vec<(String, String)> = labels
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        for (i, (k, _)) in labels.iter().enumerate() {
            if !crate::names::is_valid_label_name(k) {
                return Err(MetricError::InvalidLabelName {
                    metric: "target_info".to_owned(),
                    label: k.clone(),
                }
                .into());
            }
            if labels[..i].iter().any(|(other, _)| other == k) {
                return Err(MetricError::DuplicateLabelName {
                    metric: "target_info".to_owned(),
                    label: k.clone(),
                }
                .into());
            }
        }
        if labels.is_empty() {
            self.clear_target_info();
            return Ok(());
        }
        let static_names = self.static_names();
        let mut inner = self.write();
        let taken = self.taken_names(&static_names, &inner);
        let clashes: Vec<Clash> = target_names()
            .into_iter()
            .filter_map(|n| {
                let first = taken.get(n.as_str())?.clone();
                Some(Clash {
                    name: n,
                    first,
                    second: Origin::Runtime,
                })
            })
            .collect();
        if !clashes.is_empty() {
            return Err(RegistryError { clashes }.into());
        }
        drop(taken);
        inner.target_info = Some(labels);
        Ok(())
    }

    /// Stops exposing target info.
    ///
    /// ```
    /// let r = promscribe::Registry::new();
    /// r.set_target_info([("env", "prod")]).unwrap();
    /// r.clear_target_info();
    /// assert!(r.gather().is_empty());
    /// assert_eq!(r.target_info(), None);
    /// ```
    pub fn clear_target_info(&self) {
        self.write().target_info = None;
    }

    /// The target info labels, when set (Python's `get_target_info`).
    ///
    /// ```
    /// let r = promscribe::Registry::new();
    /// r.set_target_info([("env", "prod")]).unwrap();
    /// assert_eq!(r.target_info(), Some(vec![("env".to_string(), "prod".to_string())]));
    /// ```
    pub fn target_info(&self) -> Option<Vec<(String, String)>> {
        self.read().target_info.clone()
    }

    /// The value of one sample, for tests and debugging (Python's
    /// `get_sample_value`). Labels match as a set.
    ///
    /// ```
    /// promscribe::counter!(REQ, "req_total", "R", labels = ["method"]);
    /// REQ.labels(["get"]).inc();
    /// let r = promscribe::default_registry();
    /// assert_eq!(r.get_sample_value("req_total", &[("method", "get")]), Some(1.0));
    /// assert_eq!(r.get_sample_value("req_total", &[("method", "put")]), None);
    /// ```
    pub fn get_sample_value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matches = |s: &Sample| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(sk, sv)| sk == k && sv == v))
        };
        self.gather()
            .iter()
            .flat_map(|f| f.samples())
            .find(|s| matches(s))
            .map(|s| s.value)
    }
}

/// The sample name of [`OVERFLOW_COUNTER`](crate::OVERFLOW_COUNTER).
const OVERFLOW_SAMPLE: &str = "promscribe_series_overflow_total";

/// `promscribe_series_overflow_total{family="..."}`: for each family with
/// a series cap among `statics` and `collectors`, the updates recorded in
/// its overflow series; `None` when no family has a cap.
fn overflow_family(
    statics: &[StaticMetric],
    collectors: &[Arc<dyn Collector>],
) -> Option<MetricFamily> {
    let mut counts: Vec<(&str, u64)> = statics
        .iter()
        .map(|s| s.collector)
        .chain(collectors.iter().map(|c| &**c as &dyn Collector))
        .filter_map(|c| c.series_overflow())
        .collect();
    if counts.is_empty() {
        return None;
    }
    counts.sort_unstable();
    let mut f = MetricFamily::new(
        crate::OVERFLOW_COUNTER,
        "Updates recorded in a family's overflow series (otel_metric_overflow=\"true\") \
         because the family had reached its max_series",
        MetricType::Counter,
    );
    for (family, n) in counts {
        let point = Point::Counter(crate::model::CounterPoint {
            value: n as f64,
            created: None,
            exemplar: None,
        });
        // A counter point in a counter family: cannot be refused.
        let _ = f.add(LabelSet::new([("family", family)]), point);
    }
    Some(f)
}
