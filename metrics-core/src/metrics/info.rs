//! [`Info`]: constant key-value information about the target.

use std::sync::{Arc, PoisonError, RwLock};

use crate::error::MetricError;
use crate::meta::{Meta, Opts};
use crate::metrics::family::{push_metric, FamilyMember, Parent};
use crate::metrics::liveness::Liveness;
use crate::metrics::meta_ref::MetaRef;
use crate::model::{MetricFamily, MetricType};
use crate::names::is_valid_label_name;

/// Key-value information, exposed as one `<name>_info` series with the
/// value `1` and the pairs as labels (Python's `Info`).
///
/// ```
/// promscribe::info!(BUILD, "my_build", "Build information");
///
/// BUILD.set([("version", "1.2.3"), ("revision", "abc")]).unwrap();
/// let r = promscribe::default_registry();
/// assert_eq!(
///     r.get_sample_value("my_build_info", &[("version", "1.2.3"), ("revision", "abc")]),
///     Some(1.0)
/// );
/// ```
#[derive(Debug)]
pub struct Info {
    meta: MetaRef,
    /// Whose name and label names `set` checks keys against: the metric
    /// itself, or for a family's child, the family.
    owner: MetaRef,
    value: RwLock<Vec<(String, String)>>,
}

impl Info {
    #[doc(hidden)]
    pub const fn __from_static(meta: &'static Meta) -> Self {
        Info {
            meta: MetaRef::Static(meta),
            owner: MetaRef::Static(meta),
            value: RwLock::new(Vec::new()),
        }
    }

    /// An info metric built at run time. A trailing `_info` in `name` is
    /// dropped (it is added back in the exposition).
    ///
    /// ```
    /// let i = promscribe::Info::new("app_build_info", "Build").unwrap();
    /// assert_eq!(i.name(), "app_build");
    /// ```
    pub fn new(name: &str, help: &str) -> Result<Arc<Self>, MetricError> {
        Self::with_opts(Opts::new(name, help))
    }

    /// An info metric from [`Opts`]; a unit is refused.
    ///
    /// ```
    /// use promscribe::{Info, Opts};
    /// assert!(Info::with_opts(Opts::new("build", "B").unit("seconds")).is_err());
    /// ```
    pub fn with_opts(opts: Opts) -> Result<Arc<Self>, MetricError> {
        // The name rules strip the `_info` suffix (promscribe-rules).
        let meta = MetaRef::Shared(Arc::new(opts.into_meta(MetricType::Info)?));
        Ok(Arc::new(Info {
            owner: meta.clone(),
            meta,
            value: RwLock::new(Vec::new()),
        }))
    }

    /// The family name (without `_info`).
    ///
    /// ```
    /// promscribe::info!(I, "my_build", "help");
    /// assert_eq!(I.name(), "my_build");
    /// ```
    pub fn name(&self) -> &str {
        self.meta.name()
    }

    /// Replaces the information. Keys must be valid label names, each once,
    /// and must not repeat a label of the metric (for a child of a
    /// labelled family, one of the family's labels); on error nothing
    /// changes and the error names the key and the metric.
    ///
    /// ```
    /// promscribe::info!(I, "my_build", "help");
    /// I.set([("version", "1.0")]).unwrap();
    /// assert!(I.set([("__bad", "x")]).is_err());
    /// assert_eq!(I.get(), [("version".to_string(), "1.0".to_string())]);
    ///
    /// promscribe::info!(LIBS, "my_lib", "Libraries", labels = ["lib"]);
    /// let err = LIBS.labels(["tokio"]).set([("lib", "x")]).unwrap_err();
    /// assert_eq!(err.to_string(), "label name `lib` appears twice on metric `my_lib`");
    /// ```
    ///
    /// Refused in multiprocess mode (feature `multiprocess`), whose files
    /// cannot carry an info metric (Python's client cannot either): the
    /// error is `MetricError::Multiprocess`, nothing changes, and the
    /// refusal is logged once for the metric.
    pub fn set<I, K, V>(&self, pairs: I) -> Result<(), MetricError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        #[cfg(feature = "multiprocess")]
        if crate::multiprocess::metric_values::check() {
            use crate::multiprocess::metric_values::{reason, refuse_once, refused};
            let metric = self.owner.name();
            refuse_once(metric, reason::INFO);
            return Err(refused(metric, reason::INFO));
        }
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let metric = self.owner.name().to_owned();
        for (i, (k, _)) in pairs.iter().enumerate() {
            if !is_valid_label_name(k) {
                return Err(MetricError::InvalidLabelName {
                    metric,
                    label: k.clone(),
                });
            }
            let taken = pairs[..i].iter().any(|(o, _)| o == k)
                || self
                    .owner
                    .get()
                    .is_some_and(|m| (0..m.labels.len()).any(|j| m.labels.get(j) == k));
            if taken {
                return Err(MetricError::DuplicateLabelName {
                    metric,
                    label: k.clone(),
                });
            }
        }
        *self.value.write().unwrap_or_else(PoisonError::into_inner) = pairs;
        self.meta.touch();
        Ok(())
    }

    /// The current information.
    ///
    /// ```
    /// promscribe::info!(I, "my_build", "help");
    /// assert!(I.get().is_empty());
    /// ```
    pub fn get(&self) -> Vec<(String, String)> {
        self.value
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl FamilyMember for Info {
    const TYPE: MetricType = MetricType::Info;
    type Config = ();

    fn new_child(_: &()) -> Self {
        Info {
            meta: MetaRef::child(),
            owner: MetaRef::None,
            value: RwLock::new(Vec::new()),
        }
    }

    fn __liveness(&self) -> Option<&Liveness> {
        self.meta.liveness()
    }

    fn __overflow(mut self, tally: std::sync::Arc<crate::Counter>) -> Self {
        self.meta = MetaRef::Overflow(tally);
        self
    }

    fn new_child_of(_: &(), family: &Parent<'_>) -> Self {
        Info {
            meta: MetaRef::child(),
            owner: family.meta.clone(),
            value: RwLock::new(Vec::new()),
        }
    }

    fn collect_metric(&self, family: &mut MetricFamily, labels: &crate::LabelSet) {
        let value = self.value.read().unwrap_or_else(PoisonError::into_inner);
        // `set` refuses a key that repeats a family label; should one get
        // here anyway, two labels of one name would make the series invalid.
        let own = value
            .iter()
            .filter(|(k, _)| labels.get(k).is_none())
            .map(|(k, v)| (k.as_str(), v.as_str()));
        let all = crate::LabelSet::new(labels.pairs().chain(own));
        drop(value);
        push_metric(family, &all, crate::Point::Info);
    }
}

crate::metrics::family::impl_collector!(Info);
