//! [`Enum`]: which one of a fixed set of states something is in.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::MetricError;
use crate::meta::{Meta, Opts};
use crate::metrics::family::{push_metric, FamilyMember};
use crate::metrics::liveness::Liveness;
use crate::metrics::meta_ref::MetaRef;
use crate::model::{MetricFamily, MetricType};

/// The declared states of an [`Enum`], in order; the first is the default.
#[derive(Debug, Clone)]
pub struct States(StatesRepr);

#[derive(Debug, Clone)]
enum StatesRepr {
    Static(&'static [&'static str]),
    Shared(Arc<[String]>),
}

impl States {
    #[doc(hidden)]
    pub const fn __from_static(states: &'static [&'static str]) -> Self {
        States(StatesRepr::Static(states))
    }

    /// Checks and builds states: at least one, none twice.
    ///
    /// ```
    /// assert!(promscribe::States::new(["up", "down"]).is_ok());
    /// assert!(promscribe::States::new(["up", "up"]).is_err());
    /// ```
    pub fn new<I, S>(states: I) -> Result<Self, MetricError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let v: Vec<String> = states.into_iter().map(Into::into).collect();
        let err = |reason: String| MetricError::InvalidStates {
            metric: String::new(),
            reason,
        };
        if v.is_empty() {
            return Err(err("an enum needs at least one state".into()));
        }
        if let Some((i, s)) = v.iter().enumerate().find(|(i, s)| v[..*i].contains(s)) {
            return Err(err(format!(
                "state `{s}` is declared twice (position {})",
                i + 1
            )));
        }
        Ok(States(StatesRepr::Shared(v.into())))
    }

    /// The number of states.
    ///
    /// ```
    /// assert_eq!(promscribe::States::new(["a", "b"]).unwrap().len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match &self.0 {
            StatesRepr::Static(s) => s.len(),
            StatesRepr::Shared(s) => s.len(),
        }
    }

    /// Whether there is no state (never true for checked states).
    ///
    /// ```
    /// assert!(!promscribe::States::new(["a"]).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The state at `i`.
    ///
    /// ```
    /// assert_eq!(promscribe::States::new(["a", "b"]).unwrap().get(1), Some("b"));
    /// ```
    pub fn get(&self, i: usize) -> Option<&str> {
        match &self.0 {
            StatesRepr::Static(s) => s.get(i).copied(),
            StatesRepr::Shared(s) => s.get(i).map(String::as_str),
        }
    }

    fn position(&self, state: &str) -> Option<usize> {
        (0..self.len()).find(|&i| self.get(i) == Some(state))
    }

    fn to_vec(&self) -> Vec<String> {
        (0..self.len())
            .filter_map(|i| self.get(i).map(str::to_owned))
            .collect()
    }
}

/// An enum metric: one of a declared set of states, exposed as one series
/// per state (1 for the current one, 0 for the others), labelled with the
/// metric's own name (Python's `Enum`; an OpenMetrics stateset).
///
/// ```
/// promscribe::enumeration!(STATE, "my_task_state", "Task state",
///                            states = ["starting", "running", "stopped"]);
///
/// assert_eq!(STATE.get(), "starting");
/// STATE.state("running").unwrap();
/// assert!(STATE.state("exploded").is_err());
/// let r = promscribe::default_registry();
/// assert_eq!(r.get_sample_value("my_task_state", &[("my_task_state", "running")]), Some(1.0));
/// ```
#[derive(Debug)]
pub struct Enum {
    meta: MetaRef,
    states: States,
    current: AtomicUsize,
    /// The metric itself, or for a family's child, the family: whose
    /// name a refusal in multiprocess mode gives.
    #[cfg(feature = "multiprocess")]
    owner: MetaRef,
}

impl Enum {
    #[doc(hidden)]
    pub const fn __from_static(meta: &'static Meta, states: &'static [&'static str]) -> Self {
        Enum {
            meta: MetaRef::Static(meta),
            states: States::__from_static(states),
            current: AtomicUsize::new(0),
            #[cfg(feature = "multiprocess")]
            owner: MetaRef::Static(meta),
        }
    }

    /// An enum built at run time.
    ///
    /// ```
    /// use promscribe::{Enum, Opts, States};
    /// let e = Enum::new(Opts::new("door", "Door state"),
    ///                   States::new(["open", "closed"]).unwrap()).unwrap();
    /// e.state("closed").unwrap();
    /// ```
    pub fn new(opts: Opts, states: States) -> Result<Arc<Self>, MetricError> {
        let meta = MetaRef::Shared(Arc::new(opts.into_meta(MetricType::StateSet)?));
        Ok(Arc::new(Enum {
            #[cfg(feature = "multiprocess")]
            owner: meta.clone(),
            meta,
            states,
            current: AtomicUsize::new(0),
        }))
    }

    /// The family name.
    ///
    /// ```
    /// promscribe::enumeration!(E, "door", "help", states = ["open"]);
    /// assert_eq!(E.name(), "door");
    /// ```
    pub fn name(&self) -> &str {
        self.meta.name()
    }

    /// Sets the current state; an undeclared state is an error and changes
    /// nothing.
    ///
    /// Refused in multiprocess mode (feature `multiprocess`), whose files
    /// cannot carry an enum metric (Python's client cannot either): the
    /// error is `MetricError::Multiprocess`, nothing changes, and the
    /// refusal is logged once for the metric.
    ///
    /// ```
    /// promscribe::enumeration!(E, "door", "help", states = ["open", "closed"]);
    /// E.state("closed").unwrap();
    /// assert_eq!(E.get(), "closed");
    /// ```
    pub fn state(&self, state: &str) -> Result<(), MetricError> {
        #[cfg(feature = "multiprocess")]
        if crate::multiprocess::metric_values::check() {
            use crate::multiprocess::metric_values::{reason, refuse_once, refused};
            let metric = self.owner.name();
            refuse_once(metric, reason::ENUM);
            return Err(refused(metric, reason::ENUM));
        }
        match self.states.position(state) {
            Some(i) => {
                self.current.store(i, Ordering::Relaxed);
                self.meta.touch();
                Ok(())
            }
            None => Err(MetricError::UnknownState {
                metric: self.name().to_owned(),
                state: state.to_owned(),
                states: self.states.to_vec(),
            }),
        }
    }

    /// The current state.
    ///
    /// ```
    /// promscribe::enumeration!(E, "door", "help", states = ["open", "closed"]);
    /// assert_eq!(E.get(), "open");
    /// ```
    pub fn get(&self) -> &str {
        self.states
            .get(self.current.load(Ordering::Relaxed))
            .unwrap_or("")
    }

    /// The declared states.
    ///
    /// ```
    /// promscribe::enumeration!(E, "door", "help", states = ["open", "closed"]);
    /// assert_eq!(E.states().len(), 2);
    /// ```
    pub fn states(&self) -> &States {
        &self.states
    }
}

impl FamilyMember for Enum {
    const TYPE: MetricType = MetricType::StateSet;
    type Config = States;

    fn new_child(states: &States) -> Self {
        Enum {
            meta: MetaRef::child(),
            states: states.clone(),
            current: AtomicUsize::new(0),
            #[cfg(feature = "multiprocess")]
            owner: MetaRef::None,
        }
    }

    #[cfg(feature = "multiprocess")]
    fn new_child_of(states: &States, family: &crate::metrics::family::Parent<'_>) -> Self {
        Enum {
            owner: family.meta.clone(),
            ..Self::new_child(states)
        }
    }

    fn __liveness(&self) -> Option<&Liveness> {
        self.meta.liveness()
    }

    fn __overflow(mut self, tally: std::sync::Arc<crate::Counter>) -> Self {
        self.meta = MetaRef::Overflow(tally);
        self
    }

    fn collect_metric(&self, family: &mut MetricFamily, labels: &crate::LabelSet) {
        let current = self.current.load(Ordering::Relaxed);
        let states = (0..self.states.len())
            .map(|i| (self.states.get(i).unwrap_or("").to_owned(), i == current))
            .collect();
        push_metric(family, labels, crate::Point::StateSet(states));
    }
}

crate::metrics::family::impl_collector!(Enum);

impl<const N: usize> crate::Family<Enum, N> {
    /// An enum family built at run time.
    ///
    /// ```
    /// use promscribe::{Enum, Family, Opts, States};
    /// let f = Family::<Enum, 1>::with_states(
    ///     Opts::new("disk_state", "Disk state").labels(["disk"]),
    ///     States::new(["ok", "degraded"]).unwrap()).unwrap();
    /// f.labels(["sda"]).state("degraded").unwrap();
    /// ```
    pub fn with_states(opts: Opts, states: States) -> Result<Arc<Self>, MetricError> {
        Self::with_config(opts, states)
    }
}
