//! Metric metadata: name, help, unit, label names and declaration site.

use std::borrow::Cow;
use std::sync::Arc;

use crate::error::MetricError;
use crate::model::{Descriptor, MetricType};
use crate::names;

/// Where a metric was declared: reported when two metrics clash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// Source file, as `file!()` gives it.
    pub file: &'static str,
    /// Line number.
    pub line: u32,
    /// Column number.
    pub column: u32,
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Label names of a metric: borrowed from a static, or owned.
#[derive(Debug, Clone)]
pub(crate) enum LabelNames {
    Static(&'static [&'static str]),
    Owned(Arc<[String]>),
}

impl LabelNames {
    pub(crate) fn get(&self, i: usize) -> &str {
        match self {
            LabelNames::Static(s) => s.get(i).copied().unwrap_or(""),
            LabelNames::Owned(s) => s.get(i).map(String::as_str).unwrap_or(""),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            LabelNames::Static(s) => s.len(),
            LabelNames::Owned(s) => s.len(),
        }
    }
}

/// Everything about a metric that is not its value. Statics hold a
/// `&'static Meta` built by the declaration macros; metrics built at run
/// time share an `Arc<Meta>` with their clones.
#[doc(hidden)]
#[derive(Debug)]
pub struct Meta {
    pub(crate) name: Cow<'static, str>,
    pub(crate) help: Cow<'static, str>,
    pub(crate) unit: Cow<'static, str>,
    pub(crate) kind: MetricType,
    pub(crate) labels: LabelNames,
    /// How a gauge's values of several processes merge in multiprocess
    /// mode: the name of one of Python's ten `multiprocess_mode`s (`all`
    /// unless set), read by the metric types (this layer knows no modes).
    #[cfg(feature = "multiprocess")]
    pub(crate) gauge_mode: &'static str,
}

impl Meta {
    /// Metadata of a declared static: the macro has already validated and
    /// built the full name (its site goes to the registration).
    #[doc(hidden)]
    pub const fn new_static(
        kind: MetricType,
        name: &'static str,
        help: &'static str,
        unit: &'static str,
        labels: &'static [&'static str],
    ) -> Meta {
        Meta {
            name: Cow::Borrowed(name),
            help: Cow::Borrowed(help),
            unit: Cow::Borrowed(unit),
            kind,
            labels: LabelNames::Static(labels),
            #[cfg(feature = "multiprocess")]
            gauge_mode: "all",
        }
    }

    /// A declared gauge's `multiprocess_mode = "..."`: one of Python's ten
    /// mode names, which the declaration macro has checked. Kept with the
    /// `multiprocess` feature, ignored without it (a library declares its
    /// gauges' modes whatever the application's features).
    #[doc(hidden)]
    #[cfg_attr(not(feature = "multiprocess"), allow(unused_mut))]
    pub const fn __multiprocess_mode(mut self, mode: &'static str) -> Meta {
        #[cfg(feature = "multiprocess")]
        {
            self.gauge_mode = mode;
        }
        #[cfg(not(feature = "multiprocess"))]
        let _ = mode;
        self
    }

    /// Family name (a counter's without `_total`).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn descriptor(&self) -> Descriptor {
        Descriptor {
            name: self.name.to_string(),
            kind: self.kind,
        }
    }
}

/// Options shared by every runtime constructor: what Python's metric
/// constructors take as keyword arguments.
///
/// ```
/// use promscribe::Opts;
/// let o = Opts::new("requests_total", "Requests").namespace("app").subsystem("http");
/// let c = promscribe::Counter::with_opts(o).unwrap();
/// assert_eq!(c.name(), "app_http_requests");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Opts {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) namespace: String,
    pub(crate) subsystem: String,
    pub(crate) unit: String,
    pub(crate) labels: Vec<String>,
    pub(crate) max_series: Option<usize>,
    pub(crate) expire_after: Option<std::time::Duration>,
    /// A gauge's multiprocess mode, by name (`Opts::multiprocess_mode`,
    /// defined with the metric types).
    #[cfg(feature = "multiprocess")]
    pub(crate) gauge_mode: Option<&'static str>,
}

impl Opts {
    /// Name and help.
    ///
    /// ```
    /// let o = promscribe::Opts::new("jobs_total", "Jobs processed");
    /// ```
    pub fn new(name: impl Into<String>, help: impl Into<String>) -> Self {
        Opts {
            name: name.into(),
            help: help.into(),
            ..Opts::default()
        }
    }

    /// Prefix `namespace_`.
    ///
    /// ```
    /// let o = promscribe::Opts::new("up", "Up").namespace("app");
    /// ```
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Prefix `subsystem_` (after the namespace).
    ///
    /// ```
    /// let o = promscribe::Opts::new("up", "Up").subsystem("db");
    /// ```
    pub fn subsystem(mut self, subsystem: impl Into<String>) -> Self {
        self.subsystem = subsystem.into();
        self
    }

    /// Unit, appended as `_unit` to the name when missing.
    ///
    /// ```
    /// let g = promscribe::Gauge::with_opts(
    ///     promscribe::Opts::new("latency", "Latency").unit("seconds")).unwrap();
    /// assert_eq!(g.name(), "latency_seconds");
    /// ```
    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = unit.into();
        self
    }

    /// Label names (for [`Family`](crate::Family) constructors).
    ///
    /// ```
    /// let o = promscribe::Opts::new("req_total", "Requests").labels(["method"]);
    /// ```
    pub fn labels<I, S>(mut self, labels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// The most series a [`Family`](crate::Family) keeps: past it, a new
    /// combination of label values records into the family's one overflow
    /// series (`otel_metric_overflow="true"`). See the README's "Bounding
    /// cardinality". A cap of 0 is refused by the constructor.
    ///
    /// ```
    /// use promscribe::{Counter, Family, Opts};
    /// let f = Family::<Counter, 1>::new(
    ///     Opts::new("hits_total", "Hits").labels(["user"]).max_series(2)).unwrap();
    /// for user in ["a", "b", "c", "d"] {
    ///     f.labels([user]).inc();
    /// }
    /// assert_eq!(f.len(), 2);
    /// assert!(Family::<Counter, 1>::new(Opts::new("x", "x").labels(["a"]).max_series(0)).is_err());
    /// ```
    pub fn max_series(mut self, max: usize) -> Self {
        self.max_series = Some(max);
        self
    }

    /// An idle timeout for the series of a [`Family`](crate::Family): a
    /// series not updated for this long leaves the exposition, and its
    /// memory is released once no handle holds it; a handle still held
    /// brings it back with its next update. Between 1 ms and 24 days.
    ///
    /// ```
    /// use std::time::Duration;
    /// use promscribe::{Gauge, Family, Opts};
    /// let f = Family::<Gauge, 1>::new(Opts::new("temp", "T").labels(["room"])
    ///     .expire_after(Duration::from_secs(600))).unwrap();
    /// f.labels(["hall"]).set(19.5);
    /// assert!(Family::<Gauge, 1>::new(Opts::new("x", "x").labels(["a"])
    ///     .expire_after(Duration::ZERO)).is_err());
    /// ```
    pub fn expire_after(mut self, after: std::time::Duration) -> Self {
        self.expire_after = Some(after);
        self
    }

    pub(crate) fn into_meta(self, kind: MetricType) -> Result<Meta, MetricError> {
        if self.max_series.is_some() || self.expire_after.is_some() {
            return Err(MetricError::InvalidLimit {
                metric: self.name,
                reason: "max_series and expire_after apply to labelled families only".into(),
            });
        }
        let name = names::full_name(
            kind,
            &self.name,
            &self.namespace,
            &self.subsystem,
            &self.unit,
        )?;
        names::check_label_names(&name, kind, &self.labels)?;
        #[cfg(feature = "multiprocess")]
        if self.gauge_mode.is_some() && kind != MetricType::Gauge {
            return Err(MetricError::Multiprocess {
                metric: name,
                reason: "`multiprocess_mode` is an option of gauges".into(),
            });
        }
        Ok(Meta {
            name: Cow::Owned(name),
            help: Cow::Owned(self.help),
            unit: Cow::Owned(self.unit),
            kind,
            labels: LabelNames::Owned(self.labels.into()),
            #[cfg(feature = "multiprocess")]
            gauge_mode: self.gauge_mode.unwrap_or("all"),
        })
    }
}
