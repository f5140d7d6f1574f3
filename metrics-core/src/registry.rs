//! [`Registry`]: where collectors are gathered at scrape time.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use crate::collector::Collector;
use crate::meta::Site;
use crate::model::{Descriptor, MetricFamily, Sample};

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

struct Entry {
    collector: Arc<dyn Collector>,
    names: Vec<String>,
}

/// A set of collectors gathered together at scrape time.
///
/// The [default registry](default_registry) holds every declared static
/// (registered at link time), process metrics on Linux, and whatever is
/// registered into it. `Registry::new()` makes a separate, empty one, for
/// batch jobs and tests.
///
/// ```
/// use metrics_core::{Gauge, Registry};
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
    entries: RwLock<Vec<Entry>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("statics", &self.statics)
            .field("collectors", &self.read().len())
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
/// metrics_core::counter!(HITS, "hits_total", "Hits");
/// HITS.inc();
/// let r = metrics_core::default_registry();
/// assert_eq!(r.get_sample_value("hits_total", &[]), Some(1.0));
/// ```
pub fn default_registry() -> &'static Registry {
    static DEFAULT: OnceLock<Registry> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        let r = Registry {
            statics: true,
            entries: RwLock::new(Vec::new()),
        };
        #[cfg(all(target_os = "linux", feature = "process"))]
        {
            // The process metrics cannot clash: nothing else is registered yet
            // and statics may not start with `process_` without clashing
            // visibly in `check()`.
            let p = Arc::new(crate::process::ProcessCollector::new());
            let names = names_of(&p.describe());
            r.write().push(Entry {
                collector: p,
                names,
            });
        }
        r
    })
}

fn names_of(descriptors: &[Descriptor]) -> Vec<String> {
    descriptors
        .iter()
        .flat_map(Descriptor::sample_names)
        .collect()
}

fn statics() -> &'static [StaticMetric] {
    &crate::__private::STATIC_METRICS
}

impl Registry {
    /// An empty registry, without the declared statics.
    ///
    /// ```
    /// let r = metrics_core::Registry::new();
    /// assert!(r.gather().is_empty());
    /// ```
    pub fn new() -> Self {
        Registry {
            statics: false,
            entries: RwLock::new(Vec::new()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Entry>> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Entry>> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a collector (any metric is one). Refused, naming both sides,
    /// when one of the names its [`describe`](Collector::describe) declares
    /// (with the derived sample names: `_total`, `_bucket`, ...) is taken.
    ///
    /// ```
    /// use metrics_core::{Counter, Gauge, Registry};
    /// let r = Registry::new();
    /// r.register(Counter::new("jobs_total", "Jobs").unwrap()).unwrap();
    /// // `jobs_total` is a sample name of the counter above.
    /// let err = r.register(Gauge::new("jobs_total", "Clash").unwrap()).unwrap_err();
    /// assert!(err.to_string().contains("jobs_total"));
    /// ```
    pub fn register(&self, collector: Arc<dyn Collector>) -> Result<(), RegistryError> {
        let names = names_of(&collector.describe());
        let mut taken: HashMap<&str, Origin> = HashMap::new();
        let static_names: Vec<(String, Site)> = if self.statics {
            statics()
                .iter()
                .flat_map(|s| {
                    names_of(&s.collector.describe())
                        .into_iter()
                        .map(move |n| (n, s.site))
                })
                .collect()
        } else {
            Vec::new()
        };
        for (n, site) in &static_names {
            taken.entry(n.as_str()).or_insert(Origin::Static(*site));
        }
        let mut entries = self.write();
        for e in entries.iter() {
            for n in &e.names {
                taken.entry(n.as_str()).or_insert(Origin::Runtime);
            }
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
        entries.push(Entry { collector, names });
        Ok(())
    }

    /// Removes a collector registered earlier (the same `Arc`); `true` if
    /// it was there.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let r = metrics_core::Registry::new();
    /// let g = metrics_core::Gauge::new("g", "g").unwrap();
    /// r.register(g.clone()).unwrap();
    /// assert!(r.unregister(&(g.clone() as Arc<dyn metrics_core::Collector>)));
    /// assert!(r.register(g).is_ok());
    /// ```
    pub fn unregister(&self, collector: &Arc<dyn Collector>) -> bool {
        let mut entries = self.write();
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
    /// metrics_core::counter!(A, "unique_total", "A");
    /// metrics_core::default_registry().check().unwrap();
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
        let mut owner = 0;
        if self.statics {
            for s in statics() {
                for n in names_of(&s.collector.describe()) {
                    claim(n, owner, Origin::Static(s.site));
                }
                owner += 1;
            }
        }
        for e in self.read().iter() {
            for n in &e.names {
                claim(n.clone(), owner, Origin::Runtime);
            }
            owner += 1;
        }
        // Report each clashing pair once, ordered for stable messages.
        clashes.sort_by(|a, b| a.name.cmp(&b.name));
        if clashes.is_empty() {
            Ok(())
        } else {
            Err(RegistryError { clashes })
        }
    }

    /// Collects every family: statics, runtime collectors. Families are
    /// sorted by name; when two families claim the same sample names only
    /// the first is kept (see [`check`](Registry::check)).
    ///
    /// ```
    /// let r = metrics_core::Registry::new();
    /// r.register(metrics_core::Gauge::new("b", "b").unwrap()).unwrap();
    /// r.register(metrics_core::Gauge::new("a", "a").unwrap()).unwrap();
    /// let names: Vec<_> = r.gather().into_iter().map(|f| f.name).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn gather(&self) -> Vec<MetricFamily> {
        let mut out = Vec::new();
        if self.statics {
            for s in statics() {
                s.collector.collect(&mut out);
            }
        }
        let collectors: Vec<Arc<dyn Collector>> = self
            .read()
            .iter()
            .map(|e| Arc::clone(&e.collector))
            .collect();
        for c in collectors {
            c.collect(&mut out);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        let mut seen: HashSet<String> = HashSet::new();
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
        out
    }

    /// The value of one sample, for tests and debugging (Python's
    /// `get_sample_value`). Labels match as a set.
    ///
    /// ```
    /// metrics_core::counter!(REQ, "req_total", "R", labels = ["method"]);
    /// REQ.labels(["get"]).inc();
    /// let r = metrics_core::default_registry();
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
            .flat_map(|f| f.samples.iter())
            .find(|s| matches(s))
            .map(|s| s.value)
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
/// assert!(metrics_core::created_series_enabled());
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
/// metrics_core::disable_created_series();
/// assert!(!metrics_core::created_series_enabled());
/// metrics_core::enable_created_series();
/// ```
pub fn disable_created_series() {
    CREATED.store(CREATED_OFF, Ordering::Relaxed);
}

/// Exposes `_created` series again, process-wide.
///
/// ```
/// metrics_core::enable_created_series();
/// assert!(metrics_core::created_series_enabled());
/// ```
pub fn enable_created_series() {
    CREATED.store(CREATED_ON, Ordering::Relaxed);
}
