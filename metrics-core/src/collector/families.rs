//! Metric families built by hand in custom collectors: the equivalents of
//! Python's `GaugeMetricFamily`, `CounterMetricFamily`,
//! `SummaryMetricFamily`, `HistogramMetricFamily`,
//! `GaugeHistogramMetricFamily`, `InfoMetricFamily`,
//! `StateSetMetricFamily` and `UnknownMetricFamily`.
//!
//! Each builder checks the names when it is made and the label values of
//! every [`add_metric`](GaugeMetricFamily::add_metric) call; a refused
//! call leaves the family unchanged. Turn one into a [`MetricFamily`] with
//! `MetricFamily::from` (or `.into()`) and push it in
//! [`Collector::collect`](crate::Collector::collect).
//!
//! ```
//! use promscribe::{Collector, CounterMetricFamily, GaugeMetricFamily, MetricFamily, Registry};
//! use std::sync::Arc;
//!
//! struct CustomCollector;
//! impl Collector for CustomCollector {
//!     fn collect(&self, out: &mut Vec<MetricFamily>) {
//!         if let Ok(g) = GaugeMetricFamily::with_value("my_gauge", "Help text", 7.0) {
//!             out.push(g.into());
//!         }
//!         let Ok(mut c) = CounterMetricFamily::new("my_counter_total", "Help text", &["foo"]) else {
//!             return;
//!         };
//!         let _ = c.add_metric(&["bar"], 1.7);
//!         let _ = c.add_metric(&["baz"], 3.8);
//!         out.push(c.into());
//!     }
//! }
//!
//! let registry = Registry::new();
//! registry.register(Arc::new(CustomCollector)).unwrap();
//! assert_eq!(registry.get_sample_value("my_counter_total", &[("foo", "baz")]), Some(3.8));
//! assert_eq!(registry.get_sample_value("my_gauge", &[]), Some(7.0));
//! ```

use crate::error::MetricError;
use crate::model::{MetricFamily, MetricType};
use crate::names::{check_label_names, is_valid_label_name, is_valid_metric_name};
use crate::render::float::float_string;
use crate::timestamp::Timestamp;

type Labels = Vec<(String, String)>;

/// What every builder shares: the family and its label names.
#[derive(Debug, Clone, PartialEq)]
struct Builder {
    family: MetricFamily,
    label_names: Vec<String>,
}

impl Builder {
    fn new(
        name: &str,
        help: &str,
        kind: MetricType,
        label_names: &[&str],
    ) -> Result<Self, MetricError> {
        if !is_valid_metric_name(name) {
            return Err(MetricError::InvalidMetricName(name.to_owned()));
        }
        check_label_names(name, kind, label_names)?;
        Ok(Builder {
            family: MetricFamily::new(name, help, kind),
            label_names: label_names.iter().map(|l| (*l).to_owned()).collect(),
        })
    }

    /// The label pairs of one `add_metric` call.
    fn labels(&self, values: &[&str]) -> Result<Labels, MetricError> {
        if values.len() != self.label_names.len() {
            return Err(MetricError::LabelCount {
                metric: self.family.name.clone(),
                expected: self.label_names.len(),
                got: values.len(),
            });
        }
        Ok(self
            .label_names
            .iter()
            .zip(values)
            .map(|(k, v)| (k.clone(), (*v).to_owned()))
            .collect())
    }

    /// Runs `add` on an empty family of the same name and type, then moves
    /// the metrics it built into this one: one `add_metric` call gives its
    /// own metric(s), and a refused call changes nothing.
    fn stage(
        &mut self,
        add: impl FnOnce(&mut MetricFamily) -> Result<(), MetricError>,
    ) -> Result<(), MetricError> {
        let mut scratch = MetricFamily::new(self.family.name.as_str(), "", self.family.kind);
        add(&mut scratch)?;
        self.family.metrics.append(&mut scratch.metrics);
        Ok(())
    }
}

/// Pushes the `_bucket` samples (with `le`) of validated buckets.
fn push_buckets(
    f: &mut MetricFamily,
    labels: &Labels,
    buckets: &[(f64, f64)],
    ts: Option<Timestamp>,
) -> Result<(), MetricError> {
    for (bound, count) in buckets {
        let mut l = labels.clone();
        l.push(("le".to_owned(), float_string(*bound)));
        f.push_sample("_bucket", l, *count, ts)?;
    }
    Ok(())
}

/// The name of a family whose constructor strips a suffix (`_total`,
/// `_info`), as Python's client does.
fn strip<'a>(name: &'a str, suffix: &str) -> &'a str {
    name.strip_suffix(suffix).unwrap_or(name)
}

fn check_counter_value(metric: &str, value: f64) -> Result<(), MetricError> {
    // NaN is refused too, as `Counter::inc_by` refuses it.
    if value >= 0.0 {
        Ok(())
    } else {
        Err(MetricError::NegativeIncrement {
            metric: metric.to_owned(),
            amount: value,
        })
    }
}

/// Checks `(bound, cumulative count)` pairs: bounds strictly increasing
/// and ending with `+Inf`, counts neither NaN, negative nor decreasing.
fn check_buckets(metric: &str, buckets: &[(f64, f64)]) -> Result<(), MetricError> {
    let invalid = |reason: String| MetricError::InvalidBuckets {
        metric: metric.to_owned(),
        reason,
    };
    let Some((last, _)) = buckets.last() else {
        return Err(invalid(
            "no buckets given; the last one must be +Inf".into(),
        ));
    };
    for (bound, count) in buckets {
        if bound.is_nan() {
            return Err(invalid("a bucket bound is NaN".into()));
        }
        if count.is_nan() || *count < 0.0 {
            return Err(invalid(format!(
                "bucket le=\"{}\" has count {}; counts must be zero or positive",
                float_string(*bound),
                float_string(*count)
            )));
        }
    }
    for pair in buckets.windows(2) {
        let [(b1, c1), (b2, c2)] = pair else { continue };
        if b1 >= b2 {
            return Err(invalid(format!(
                "bucket bounds must increase: {} then {}",
                float_string(*b1),
                float_string(*b2)
            )));
        }
        if c1 > c2 {
            return Err(invalid(format!(
                "bucket counts are cumulative and must not decrease: le=\"{}\" has {}, le=\"{}\" has {}",
                float_string(*b1),
                float_string(*c1),
                float_string(*b2),
                float_string(*c2)
            )));
        }
    }
    if *last != f64::INFINITY {
        return Err(invalid(format!(
            "the last bucket must be +Inf, not {}",
            float_string(*last)
        )));
    }
    Ok(())
}

/// A family of plain values, one sample per label set: the gauge and
/// unknown builders differ only in their type.
macro_rules! value_family {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(Builder);

        impl $name {
            /// An empty family with these label names.
            ///
            #[doc = concat!(
                "```\n",
                "let f = promscribe::", stringify!($name), "::new(\"temperature_celsius\", \"Temperature\", &[\"room\"]);\n",
                "assert!(f.is_ok());\n",
                "assert!(promscribe::", stringify!($name), "::new(\"\", \"x\", &[]).is_err());\n",
                "```"
            )]
            pub fn new(name: &str, help: &str, label_names: &[&str]) -> Result<Self, MetricError> {
                Builder::new(name, help, $kind, label_names).map(Self)
            }

            /// A family of one unlabelled sample (Python's `value=7`).
            ///
            #[doc = concat!(
                "```\n",
                "let f = promscribe::", stringify!($name), "::with_value(\"my_value\", \"Help text\", 7.0).unwrap();\n",
                "let f = promscribe::MetricFamily::from(f);\n",
                "assert_eq!((f.samples()[0].name.as_str(), f.samples()[0].value), (\"my_value\", 7.0));\n",
                "```"
            )]
            pub fn with_value(name: &str, help: &str, value: f64) -> Result<Self, MetricError> {
                let mut f = Self::new(name, help, &[])?;
                f.add_metric(&[], value)?;
                Ok(f)
            }

            /// Adds a sample: one value per label name, in order.
            ///
            #[doc = concat!(
                "```\n",
                "let mut f = promscribe::", stringify!($name), "::new(\"g\", \"help\", &[\"a\"]).unwrap();\n",
                "f.add_metric(&[\"x\"], 1.5).unwrap();\n",
                "assert!(f.add_metric(&[\"x\", \"y\"], 1.5).is_err()); // one label, two values\n",
                "assert!(f.add_metric(&[], 1.5).is_err());\n",
                "```"
            )]
            pub fn add_metric(&mut self, label_values: &[&str], value: f64) -> Result<(), MetricError> {
                self.add_metric_with(label_values, value, None)
            }

            /// Adds a sample with an optional timestamp.
            ///
            #[doc = concat!(
                "```\n",
                "let mut f = promscribe::", stringify!($name), "::new(\"g\", \"help\", &[]).unwrap();\n",
                "let t = promscribe::Timestamp::from_millis(1_700_000_000_000);\n",
                "f.add_metric_with(&[], 1.0, Some(t)).unwrap();\n",
                "let f = promscribe::MetricFamily::from(f);\n",
                "assert_eq!(f.samples()[0].timestamp, Some(t));\n",
                "```"
            )]
            pub fn add_metric_with(
                &mut self,
                label_values: &[&str],
                value: f64,
                timestamp: Option<Timestamp>,
            ) -> Result<(), MetricError> {
                let labels = self.0.labels(label_values)?;
                self.0.stage(|f| f.push_sample("", labels, value, timestamp))
            }
        }

        impl From<$name> for MetricFamily {
            fn from(f: $name) -> Self {
                f.0.family
            }
        }
    };
}

value_family!(
    /// A gauge family for a custom collector (Python's `GaugeMetricFamily`).
    ///
    /// ```
    /// use promscribe::{GaugeMetricFamily, MetricFamily};
    /// let mut g = GaugeMetricFamily::new("queue_depth", "Items waiting", &["queue"]).unwrap();
    /// g.add_metric(&["mail"], 7.0).unwrap();
    /// let f = MetricFamily::from(g);
    /// assert_eq!(f.samples()[0].name, "queue_depth");
    /// assert_eq!(f.samples()[0].labels, [("queue".to_string(), "mail".to_string())]);
    /// ```
    GaugeMetricFamily,
    MetricType::Gauge
);

value_family!(
    /// A family of unknown type (Python's `UnknownMetricFamily`), exposed as
    /// `untyped` in the text format 0.0.4.
    ///
    /// ```
    /// use promscribe::{MetricFamily, MetricType, UnknownMetricFamily};
    /// let u = UnknownMetricFamily::with_value("legacy_value", "From elsewhere", 3.0).unwrap();
    /// let f = MetricFamily::from(u);
    /// assert_eq!(f.kind, MetricType::Unknown);
    /// ```
    UnknownMetricFamily,
    MetricType::Unknown
);

/// A counter family (Python's `CounterMetricFamily`). A trailing `_total`
/// in the name is stripped from the family name; the samples are named
/// `<name>_total` (and `<name>_created` when a creation time is given).
/// Negative values (and NaN) are refused.
///
/// ```
/// use promscribe::{CounterMetricFamily, MetricFamily};
/// let mut c = CounterMetricFamily::new("my_counter_total", "Help text", &["foo"]).unwrap();
/// c.add_metric(&["bar"], 1.7).unwrap();
/// let f = MetricFamily::from(c);
/// assert_eq!(f.name, "my_counter");
/// assert_eq!(f.samples()[0].name, "my_counter_total");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CounterMetricFamily(Builder);

impl CounterMetricFamily {
    /// An empty counter family; `name` may end in `_total`.
    ///
    /// ```
    /// let c = promscribe::CounterMetricFamily::new("jobs_total", "Jobs", &["queue"]).unwrap();
    /// assert_eq!(promscribe::MetricFamily::from(c).name, "jobs");
    /// ```
    pub fn new(name: &str, help: &str, label_names: &[&str]) -> Result<Self, MetricError> {
        Builder::new(
            strip(name, "_total"),
            help,
            MetricType::Counter,
            label_names,
        )
        .map(Self)
    }

    /// A family of one unlabelled sample (Python's `value=`).
    ///
    /// ```
    /// let c = promscribe::CounterMetricFamily::with_value("jobs_total", "Jobs", 3.0).unwrap();
    /// assert_eq!(promscribe::MetricFamily::from(c).samples()[0].value, 3.0);
    /// assert!(promscribe::CounterMetricFamily::with_value("jobs", "Jobs", -1.0).is_err());
    /// ```
    pub fn with_value(name: &str, help: &str, value: f64) -> Result<Self, MetricError> {
        let mut c = Self::new(name, help, &[])?;
        c.add_metric(&[], value)?;
        Ok(c)
    }

    /// Adds a `_total` sample: one value per label name, in order.
    ///
    /// ```
    /// let mut c = promscribe::CounterMetricFamily::new("jobs", "Jobs", &["queue"]).unwrap();
    /// c.add_metric(&["mail"], 4.0).unwrap();
    /// assert!(c.add_metric(&["mail"], -4.0).is_err());
    /// ```
    pub fn add_metric(&mut self, label_values: &[&str], value: f64) -> Result<(), MetricError> {
        self.add_metric_with(label_values, value, None, None)
    }

    /// Adds a `_total` sample, and a `_created` one (Unix seconds) when
    /// `created` is given; both carry the optional timestamp.
    ///
    /// ```
    /// let mut c = promscribe::CounterMetricFamily::new("jobs", "Jobs", &[]).unwrap();
    /// c.add_metric_with(&[], 4.0, Some(1.7e9), None).unwrap();
    /// let f = promscribe::MetricFamily::from(c);
    /// assert_eq!(f.samples()[1].name, "jobs_created");
    /// assert_eq!(f.samples()[1].value, 1.7e9);
    /// ```
    pub fn add_metric_with(
        &mut self,
        label_values: &[&str],
        value: f64,
        created: Option<f64>,
        timestamp: Option<Timestamp>,
    ) -> Result<(), MetricError> {
        let labels = self.0.labels(label_values)?;
        check_counter_value(&self.0.family.name, value)?;
        self.0.stage(|f| {
            f.push_sample("_total", labels.clone(), value, timestamp)?;
            match created {
                Some(created) => f.push_sample("_created", labels, created, timestamp),
                None => Ok(()),
            }
        })
    }
}

impl From<CounterMetricFamily> for MetricFamily {
    fn from(c: CounterMetricFamily) -> Self {
        c.0.family
    }
}

/// A summary family of count and sum (Python's `SummaryMetricFamily`):
/// samples `_count`, `_sum` and optionally `_created`. The label
/// `quantile` is reserved.
///
/// ```
/// use promscribe::{MetricFamily, SummaryMetricFamily};
/// let mut s = SummaryMetricFamily::new("rpc_seconds", "RPC latency", &["method"]).unwrap();
/// s.add_metric(&["get"], 10.0, 2.5).unwrap();
/// let f = MetricFamily::from(s);
/// assert_eq!(f.samples()[0].name, "rpc_seconds_count");
/// assert_eq!(f.samples()[1].name, "rpc_seconds_sum");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryMetricFamily(Builder);

impl SummaryMetricFamily {
    /// An empty summary family.
    ///
    /// ```
    /// assert!(promscribe::SummaryMetricFamily::new("rpc", "help", &["quantile"]).is_err());
    /// ```
    pub fn new(name: &str, help: &str, label_names: &[&str]) -> Result<Self, MetricError> {
        Builder::new(name, help, MetricType::Summary, label_names).map(Self)
    }

    /// A family of one unlabelled count and sum (Python's `count_value=`,
    /// `sum_value=`).
    ///
    /// ```
    /// let s = promscribe::SummaryMetricFamily::with_value("rpc", "help", 2.0, 0.5).unwrap();
    /// assert_eq!(promscribe::MetricFamily::from(s).samples().len(), 2);
    /// ```
    pub fn with_value(name: &str, help: &str, count: f64, sum: f64) -> Result<Self, MetricError> {
        let mut s = Self::new(name, help, &[])?;
        s.add_metric(&[], count, sum)?;
        Ok(s)
    }

    /// Adds `_count` and `_sum` samples: one value per label name.
    ///
    /// ```
    /// let mut s = promscribe::SummaryMetricFamily::new("rpc", "help", &["m"]).unwrap();
    /// s.add_metric(&["get"], 3.0, 1.25).unwrap();
    /// ```
    pub fn add_metric(
        &mut self,
        label_values: &[&str],
        count: f64,
        sum: f64,
    ) -> Result<(), MetricError> {
        self.add_metric_with(label_values, count, sum, None, None)
    }

    /// Adds `_count` and `_sum`, and `_created` (Unix seconds) when given,
    /// all with the optional timestamp.
    ///
    /// ```
    /// let mut s = promscribe::SummaryMetricFamily::new("rpc", "help", &[]).unwrap();
    /// let t = promscribe::Timestamp::from_millis(1_000);
    /// s.add_metric_with(&[], 3.0, 1.25, Some(1.7e9), Some(t)).unwrap();
    /// let f = promscribe::MetricFamily::from(s);
    /// assert_eq!(f.samples()[2].name, "rpc_created");
    /// assert_eq!(f.samples()[2].timestamp, Some(t));
    /// ```
    pub fn add_metric_with(
        &mut self,
        label_values: &[&str],
        count: f64,
        sum: f64,
        created: Option<f64>,
        timestamp: Option<Timestamp>,
    ) -> Result<(), MetricError> {
        let labels = self.0.labels(label_values)?;
        self.0.stage(|f| {
            f.push_sample("_count", labels.clone(), count, timestamp)?;
            f.push_sample("_sum", labels.clone(), sum, timestamp)?;
            match created {
                Some(created) => f.push_sample("_created", labels, created, timestamp),
                None => Ok(()),
            }
        })
    }
}

impl From<SummaryMetricFamily> for MetricFamily {
    fn from(s: SummaryMetricFamily) -> Self {
        s.0.family
    }
}

/// A histogram family (Python's `HistogramMetricFamily`). Buckets are
/// `(upper bound, cumulative count)` pairs with increasing bounds, the
/// last `+Inf`; `_count` is the `+Inf` bucket's count. The label `le` is
/// reserved.
///
/// ```
/// use promscribe::{HistogramMetricFamily, MetricFamily};
/// let mut h = HistogramMetricFamily::new("latency_seconds", "Latency", &[]).unwrap();
/// h.add_metric(&[], &[(0.5, 2.0), (1.0, 3.0), (f64::INFINITY, 4.0)], 2.75).unwrap();
/// let f = MetricFamily::from(h);
/// assert_eq!(f.samples()[2].labels, [("le".to_string(), "+Inf".to_string())]);
/// assert_eq!((f.samples()[3].name.as_str(), f.samples()[3].value), ("latency_seconds_count", 4.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramMetricFamily(Builder);

impl HistogramMetricFamily {
    /// An empty histogram family.
    ///
    /// ```
    /// assert!(promscribe::HistogramMetricFamily::new("h", "help", &["le"]).is_err());
    /// ```
    pub fn new(name: &str, help: &str, label_names: &[&str]) -> Result<Self, MetricError> {
        Builder::new(name, help, MetricType::Histogram, label_names).map(Self)
    }

    /// A family of one unlabelled histogram (Python's `buckets=`,
    /// `sum_value=`).
    ///
    /// ```
    /// let h = promscribe::HistogramMetricFamily::with_buckets(
    ///     "h", "help", &[(1.0, 1.0), (f64::INFINITY, 2.0)], 3.0).unwrap();
    /// assert_eq!(promscribe::MetricFamily::from(h).samples().len(), 4);
    /// ```
    pub fn with_buckets(
        name: &str,
        help: &str,
        buckets: &[(f64, f64)],
        sum: f64,
    ) -> Result<Self, MetricError> {
        let mut h = Self::new(name, help, &[])?;
        h.add_metric(&[], buckets, sum)?;
        Ok(h)
    }

    /// Adds the `_bucket` samples, `_count` and `_sum`.
    ///
    /// ```
    /// let mut h = promscribe::HistogramMetricFamily::new("h", "help", &[]).unwrap();
    /// assert!(h.add_metric(&[], &[(1.0, 1.0)], 1.0).is_err()); // no +Inf bucket
    /// assert!(h.add_metric(&[], &[(2.0, 1.0), (1.0, 1.0), (f64::INFINITY, 1.0)], 1.0).is_err());
    /// h.add_metric(&[], &[(f64::INFINITY, 0.0)], 0.0).unwrap();
    /// ```
    pub fn add_metric(
        &mut self,
        label_values: &[&str],
        buckets: &[(f64, f64)],
        sum: f64,
    ) -> Result<(), MetricError> {
        self.add_metric_with(label_values, buckets, Some(sum), None, None)
    }

    /// Adds the `_bucket` samples and `_count`, `_sum` when given (Python
    /// leaves both out without a sum, e.g. for negative observations), and
    /// `_created` (Unix seconds) when given; all with the optional
    /// timestamp (ms). With a negative bucket bound `_sum` is left out
    /// (and `_count` kept), as the built-in [`Histogram`](crate::Histogram)
    /// does: OpenMetrics forbids a sum there. The OpenMetrics encoder then
    /// writes neither `_count` nor `_sum` (the `+Inf` bucket holds the
    /// count); the text format 0.0.4 writes `_count`, as Python does.
    ///
    /// ```
    /// let mut h = promscribe::HistogramMetricFamily::new("h", "help", &[]).unwrap();
    /// h.add_metric_with(&[], &[(f64::INFINITY, 2.0)], None, Some(1.7e9), None).unwrap();
    /// let names: Vec<_> = promscribe::MetricFamily::from(h)
    ///     .samples().into_iter().map(|s| s.name).collect();
    /// assert_eq!(names, ["h_bucket", "h_created"]);
    ///
    /// let mut t = promscribe::HistogramMetricFamily::new("t", "help", &[]).unwrap();
    /// t.add_metric(&[], &[(-10.0, 1.0), (f64::INFINITY, 2.0)], -3.0).unwrap();
    /// let names: Vec<_> = promscribe::MetricFamily::from(t)
    ///     .samples().into_iter().map(|s| s.name).collect();
    /// assert_eq!(names, ["t_bucket", "t_bucket", "t_count"]);
    /// ```
    pub fn add_metric_with(
        &mut self,
        label_values: &[&str],
        buckets: &[(f64, f64)],
        sum: Option<f64>,
        created: Option<f64>,
        timestamp: Option<Timestamp>,
    ) -> Result<(), MetricError> {
        let labels = self.0.labels(label_values)?;
        check_buckets(&self.0.family.name, buckets)?;
        self.0.stage(|f| {
            push_buckets(f, &labels, buckets, timestamp)?;
            if let Some(sum) = sum {
                let count = buckets.last().map_or(0.0, |(_, c)| *c);
                f.push_sample("_count", labels.clone(), count, timestamp)?;
                // As the built-in `Histogram`: with a negative bucket bound the
                // sum is not monotonic, and OpenMetrics forbids exposing it.
                if buckets.first().is_some_and(|(bound, _)| *bound >= 0.0) {
                    f.push_sample("_sum", labels.clone(), sum, timestamp)?;
                }
            }
            match created {
                Some(created) => f.push_sample("_created", labels, created, timestamp),
                None => Ok(()),
            }
        })
    }
}

impl From<HistogramMetricFamily> for MetricFamily {
    fn from(h: HistogramMetricFamily) -> Self {
        h.0.family
    }
}

/// A gauge histogram family (Python's `GaugeHistogramMetricFamily`):
/// cumulative `_bucket` samples of current values, `_gcount` (the `+Inf`
/// bucket) and `_gsum`. The label `le` is reserved.
///
/// ```
/// use promscribe::{GaugeHistogramMetricFamily, MetricFamily};
/// let mut g = GaugeHistogramMetricFamily::new("queue_age_seconds", "Age", &[]).unwrap();
/// g.add_metric(&[], &[(60.0, 3.0), (f64::INFINITY, 5.0)], 420.0).unwrap();
/// let names: Vec<_> = MetricFamily::from(g).samples().into_iter().map(|s| s.name).collect();
/// assert_eq!(names, ["queue_age_seconds_bucket", "queue_age_seconds_bucket",
///     "queue_age_seconds_gcount", "queue_age_seconds_gsum"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaugeHistogramMetricFamily(Builder);

impl GaugeHistogramMetricFamily {
    /// An empty gauge histogram family.
    ///
    /// ```
    /// assert!(promscribe::GaugeHistogramMetricFamily::new("g", "help", &["queue"]).is_ok());
    /// ```
    pub fn new(name: &str, help: &str, label_names: &[&str]) -> Result<Self, MetricError> {
        Builder::new(name, help, MetricType::GaugeHistogram, label_names).map(Self)
    }

    /// A family of one unlabelled gauge histogram (Python's `buckets=`,
    /// `gsum_value=`).
    ///
    /// ```
    /// let g = promscribe::GaugeHistogramMetricFamily::with_buckets(
    ///     "g", "help", &[(f64::INFINITY, 2.0)], 3.0).unwrap();
    /// assert_eq!(promscribe::MetricFamily::from(g).samples().len(), 3);
    /// ```
    pub fn with_buckets(
        name: &str,
        help: &str,
        buckets: &[(f64, f64)],
        gsum: f64,
    ) -> Result<Self, MetricError> {
        let mut g = Self::new(name, help, &[])?;
        g.add_metric(&[], buckets, gsum)?;
        Ok(g)
    }

    /// Adds the `_bucket` samples, `_gcount` and `_gsum`.
    ///
    /// ```
    /// let mut g = promscribe::GaugeHistogramMetricFamily::new("g", "help", &["q"]).unwrap();
    /// g.add_metric(&["a"], &[(1.0, 1.0), (f64::INFINITY, 1.0)], 0.5).unwrap();
    /// assert!(g.add_metric(&["a"], &[(1.0, 1.0)], 0.5).is_err());
    /// ```
    pub fn add_metric(
        &mut self,
        label_values: &[&str],
        buckets: &[(f64, f64)],
        gsum: f64,
    ) -> Result<(), MetricError> {
        self.add_metric_with(label_values, buckets, gsum, None)
    }

    /// Adds the samples with an optional timestamp.
    ///
    /// ```
    /// let mut g = promscribe::GaugeHistogramMetricFamily::new("g", "help", &[]).unwrap();
    /// let t = promscribe::Timestamp::from_millis(7);
    /// g.add_metric_with(&[], &[(f64::INFINITY, 1.0)], 0.5, Some(t)).unwrap();
    /// ```
    pub fn add_metric_with(
        &mut self,
        label_values: &[&str],
        buckets: &[(f64, f64)],
        gsum: f64,
        timestamp: Option<Timestamp>,
    ) -> Result<(), MetricError> {
        let labels = self.0.labels(label_values)?;
        check_buckets(&self.0.family.name, buckets)?;
        self.0.stage(|f| {
            push_buckets(f, &labels, buckets, timestamp)?;
            let count = buckets.last().map_or(0.0, |(_, c)| *c);
            f.push_sample("_gcount", labels.clone(), count, timestamp)?;
            f.push_sample("_gsum", labels, gsum, timestamp)
        })
    }
}

impl From<GaugeHistogramMetricFamily> for MetricFamily {
    fn from(g: GaugeHistogramMetricFamily) -> Self {
        g.0.family
    }
}

/// An info family (Python's `InfoMetricFamily`): a trailing `_info` is
/// stripped from the family name; each sample is `<name>_info`, value 1,
/// labelled with the family's labels followed by the info pairs.
///
/// ```
/// use promscribe::{InfoMetricFamily, MetricFamily};
/// let i = InfoMetricFamily::with_value("build_info", "Build", &[("version", "1.2")]).unwrap();
/// let f = MetricFamily::from(i);
/// assert_eq!(f.name, "build");
/// assert_eq!(f.samples()[0].name, "build_info");
/// assert_eq!(f.samples()[0].value, 1.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct InfoMetricFamily(Builder);

impl InfoMetricFamily {
    /// An empty info family; `name` may end in `_info`.
    ///
    /// ```
    /// let i = promscribe::InfoMetricFamily::new("build", "Build", &["component"]);
    /// assert!(i.is_ok());
    /// ```
    pub fn new(name: &str, help: &str, label_names: &[&str]) -> Result<Self, MetricError> {
        Builder::new(strip(name, "_info"), help, MetricType::Info, label_names).map(Self)
    }

    /// A family of one unlabelled info sample (Python's `value=`).
    ///
    /// ```
    /// let i = promscribe::InfoMetricFamily::with_value("b", "help", &[("k", "v")]).unwrap();
    /// assert_eq!(promscribe::MetricFamily::from(i).samples().len(), 1);
    /// ```
    pub fn with_value(name: &str, help: &str, info: &[(&str, &str)]) -> Result<Self, MetricError> {
        let mut i = Self::new(name, help, &[])?;
        i.add_metric(&[], info)?;
        Ok(i)
    }

    /// Adds an `_info` sample. The info keys must be valid label names,
    /// distinct from each other and from the family's label names.
    ///
    /// ```
    /// let mut i = promscribe::InfoMetricFamily::new("build", "help", &["component"]).unwrap();
    /// i.add_metric(&["db"], &[("version", "1.2")]).unwrap();
    /// assert!(i.add_metric(&["db"], &[("component", "x")]).is_err());
    /// assert!(i.add_metric(&["db"], &[("__bad", "x")]).is_err());
    /// ```
    pub fn add_metric(
        &mut self,
        label_values: &[&str],
        info: &[(&str, &str)],
    ) -> Result<(), MetricError> {
        self.add_metric_with(label_values, info, None)
    }

    /// Adds an `_info` sample with an optional timestamp.
    ///
    /// ```
    /// let mut i = promscribe::InfoMetricFamily::new("build", "help", &[]).unwrap();
    /// let t = promscribe::Timestamp::from_millis(9);
    /// i.add_metric_with(&[], &[("version", "1.2")], Some(t)).unwrap();
    /// ```
    pub fn add_metric_with(
        &mut self,
        label_values: &[&str],
        info: &[(&str, &str)],
        timestamp: Option<Timestamp>,
    ) -> Result<(), MetricError> {
        let mut labels = self.0.labels(label_values)?;
        let metric = &self.0.family.name;
        for (k, v) in info {
            if !is_valid_label_name(k) {
                return Err(MetricError::InvalidLabelName {
                    metric: metric.clone(),
                    label: (*k).to_owned(),
                });
            }
            if labels.iter().any(|(l, _)| l == k) {
                return Err(MetricError::DuplicateLabelName {
                    metric: metric.clone(),
                    label: (*k).to_owned(),
                });
            }
            labels.push(((*k).to_owned(), (*v).to_owned()));
        }
        self.0
            .stage(|f| f.push_sample("_info", labels, 1.0, timestamp))
    }
}

impl From<InfoMetricFamily> for MetricFamily {
    fn from(i: InfoMetricFamily) -> Self {
        i.0.family
    }
}

/// A state set family (Python's `StateSetMetricFamily`): one sample per
/// state, named like the family, labelled with the family's labels and a
/// label named after the metric holding the state; value 1 when the state
/// is set, 0 otherwise. States are written sorted by name, as Python
/// does; a state given twice keeps its last value (as in a Python dict).
///
/// ```
/// use promscribe::{MetricFamily, StateSetMetricFamily};
/// let s = StateSetMetricFamily::with_value("disk", "Disk state", &[("ok", true), ("full", false)])
///     .unwrap();
/// let f = MetricFamily::from(s);
/// assert_eq!(f.samples()[0].labels, [("disk".to_string(), "full".to_string())]);
/// assert_eq!(f.samples()[0].value, 0.0);
/// assert_eq!(f.samples()[1].value, 1.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StateSetMetricFamily(Builder);

impl StateSetMetricFamily {
    /// An empty state set family; no label may be named after the metric.
    ///
    /// ```
    /// assert!(promscribe::StateSetMetricFamily::new("disk", "help", &["disk"]).is_err());
    /// assert!(promscribe::StateSetMetricFamily::new("disk", "help", &["device"]).is_ok());
    /// ```
    ///
    /// Its name is also the label holding the state, so it must be a valid
    /// label name:
    ///
    /// ```
    /// assert!(promscribe::StateSetMetricFamily::new("__disk", "help", &[]).is_err());
    /// ```
    pub fn new(name: &str, help: &str, label_names: &[&str]) -> Result<Self, MetricError> {
        let builder = Builder::new(name, help, MetricType::StateSet, label_names)?;
        crate::names::check_stateset_name(name)?;
        Ok(Self(builder))
    }

    /// A family of one unlabelled set of states (Python's `value=`).
    ///
    /// ```
    /// let s = promscribe::StateSetMetricFamily::with_value("mode", "help", &[("a", true)]);
    /// assert_eq!(promscribe::MetricFamily::from(s.unwrap()).samples().len(), 1);
    /// ```
    pub fn with_value(
        name: &str,
        help: &str,
        states: &[(&str, bool)],
    ) -> Result<Self, MetricError> {
        let mut s = Self::new(name, help, &[])?;
        s.add_metric(&[], states)?;
        Ok(s)
    }

    /// Adds one sample per state.
    ///
    /// ```
    /// let mut s = promscribe::StateSetMetricFamily::new("mode", "help", &["device"]).unwrap();
    /// s.add_metric(&["sda"], &[("rw", true), ("ro", false)]).unwrap();
    /// assert!(s.add_metric(&[], &[("rw", true)]).is_err());
    /// ```
    pub fn add_metric(
        &mut self,
        label_values: &[&str],
        states: &[(&str, bool)],
    ) -> Result<(), MetricError> {
        self.add_metric_with(label_values, states, None)
    }

    /// Adds one sample per state, with an optional timestamp.
    ///
    /// ```
    /// let mut s = promscribe::StateSetMetricFamily::new("mode", "help", &[]).unwrap();
    /// s.add_metric_with(&[], &[("rw", true)], Some(promscribe::Timestamp::now())).unwrap();
    /// ```
    pub fn add_metric_with(
        &mut self,
        label_values: &[&str],
        states: &[(&str, bool)],
        timestamp: Option<Timestamp>,
    ) -> Result<(), MetricError> {
        let labels = self.0.labels(label_values)?;
        let mut sorted: Vec<(&str, bool)> = Vec::with_capacity(states.len());
        for (state, on) in states {
            match sorted.iter_mut().find(|(s, _)| s == state) {
                Some(slot) => slot.1 = *on,
                None => sorted.push((state, *on)),
            }
        }
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let name = self.0.family.name.clone();
        self.0.stage(|f| {
            for (state, on) in sorted {
                let mut l = labels.clone();
                l.push((name.clone(), state.to_owned()));
                f.push_sample("", l, if on { 1.0 } else { 0.0 }, timestamp)?;
            }
            Ok(())
        })
    }
}

impl From<StateSetMetricFamily> for MetricFamily {
    fn from(s: StateSetMetricFamily) -> Self {
        s.0.family
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(f: &MetricFamily) -> Vec<String> {
        f.samples().into_iter().map(|s| s.name).collect()
    }

    #[test]
    fn counter_strips_total_and_refuses_negative_and_nan() {
        let mut c = CounterMetricFamily::new("x_total", "h", &["a"]).unwrap();
        assert!(matches!(
            c.add_metric(&["v"], -1.0),
            Err(MetricError::NegativeIncrement { .. })
        ));
        assert!(c.add_metric(&["v"], f64::NAN).is_err());
        assert!(matches!(
            c.add_metric(&[], 1.0),
            Err(MetricError::LabelCount {
                expected: 1,
                got: 0,
                ..
            })
        ));
        let t = Timestamp::from_millis(5);
        c.add_metric_with(&["v"], 2.0, Some(10.0), Some(t)).unwrap();
        let f = MetricFamily::from(c);
        assert_eq!(f.name, "x");
        assert_eq!(names(&f), ["x_total", "x_created"]);
        assert!(f.samples().iter().all(|s| s.timestamp == Some(t)));
        assert!(CounterMetricFamily::new("_total", "h", &[]).is_err());
    }

    #[test]
    fn refused_calls_leave_the_family_unchanged() {
        let mut h = HistogramMetricFamily::new("h", "h", &[]).unwrap();
        let before = h.clone();
        assert!(h.add_metric(&[], &[], 0.0).is_err());
        assert!(h.add_metric(&[], &[(f64::NAN, 1.0)], 0.0).is_err());
        assert!(h
            .add_metric(&[], &[(1.0, 2.0), (f64::INFINITY, 1.0)], 0.0)
            .is_err());
        assert!(h
            .add_metric(&[], &[(1.0, -1.0), (f64::INFINITY, 1.0)], 0.0)
            .is_err());
        assert!(h
            .add_metric(&[], &[(1.0, 1.0), (1.0, 1.0), (f64::INFINITY, 1.0)], 0.0)
            .is_err());
        let mut i = InfoMetricFamily::new("i", "h", &["a"]).unwrap();
        let before_i = i.clone();
        assert!(i.add_metric(&["x"], &[("b", "1"), ("b", "2")]).is_err());
        assert_eq!(h, before);
        assert_eq!(i, before_i);
    }

    #[test]
    fn bucket_errors_name_the_problem() {
        let err = check_buckets("h", &[(1.0, 1.0), (2.0, 2.0)]).unwrap_err();
        assert!(err
            .to_string()
            .contains("last bucket must be +Inf, not 2.0"));
        let err = check_buckets("h", &[(2.0, 1.0), (1.0, 2.0)]).unwrap_err();
        assert!(err.to_string().contains("must increase: 2.0 then 1.0"));
    }

    #[test]
    fn reserved_and_invalid_label_names() {
        assert!(HistogramMetricFamily::new("h", "h", &["le"]).is_err());
        assert!(GaugeHistogramMetricFamily::new("h", "h", &["le"]).is_err());
        assert!(SummaryMetricFamily::new("s", "h", &["quantile"]).is_err());
        assert!(GaugeMetricFamily::new("g", "h", &["a", "a"]).is_err());
        assert!(GaugeMetricFamily::new("g", "h", &["__a"]).is_err());
        assert!(InfoMetricFamily::new("", "h", &[]).is_err());
        assert!(InfoMetricFamily::new("bad-name_info", "h", &["my.label"]).is_ok());
    }

    #[test]
    fn stateset_last_value_wins_and_sorted() {
        let s =
            StateSetMetricFamily::with_value("m", "h", &[("b", true), ("a", true), ("b", false)])
                .unwrap();
        let f = MetricFamily::from(s);
        let got: Vec<_> = f
            .samples()
            .into_iter()
            .map(|s| (s.labels[0].1.clone(), s.value))
            .collect();
        assert_eq!(got, [("a".to_string(), 1.0), ("b".to_string(), 0.0)]);
    }
}
