//! The format-free snapshot a collector produces at scrape time.
//!
//! Metrics know nothing of exposition formats: a [`Collector`](crate::Collector)
//! turns its state into [`MetricFamily`] values, and the encoders
//! ([`encode_text`](crate::encode_text)) turn those into bytes.

use std::fmt;

/// The type of a metric family, as OpenMetrics names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// A value that only goes up (samples `_total`, `_created`).
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted in cumulative buckets (`_bucket`, `_sum`, `_count`, `_created`).
    Histogram,
    /// A histogram of current values (`_bucket`, `_gsum`, `_gcount`).
    GaugeHistogram,
    /// Observations summarised by count and sum (`_sum`, `_count`, `_created`).
    Summary,
    /// Constant key-value information (`_info`).
    Info,
    /// A set of boolean states, one series per state.
    StateSet,
    /// A value of unknown type.
    Unknown,
}

impl MetricType {
    /// The OpenMetrics name of the type (`counter`, `stateset`, ...).
    ///
    /// ```
    /// assert_eq!(promscribe::MetricType::StateSet.as_str(), "stateset");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }

    /// Suffixes of the sample names a family of this type produces, besides
    /// the family name itself: the names a registry reserves for it.
    ///
    /// ```
    /// use promscribe::MetricType;
    /// assert_eq!(MetricType::Counter.sample_suffixes(), &["_total", "_created"]);
    /// ```
    pub const fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Counter => &["_total", "_created"],
            MetricType::Summary => &["_sum", "_count", "_created"],
            MetricType::Histogram => &["_bucket", "_sum", "_count", "_created"],
            MetricType::GaugeHistogram => &["_bucket", "_gsum", "_gcount"],
            MetricType::Info => &["_info"],
            MetricType::Gauge | MetricType::StateSet | MetricType::Unknown => &[],
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One sample: a full sample name (with its suffix), labels, a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Full sample name, e.g. `http_requests_total` or `latency_bucket`.
    pub name: String,
    /// Label pairs in exposition order.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// Optional timestamp in milliseconds since the Unix epoch.
    pub timestamp_ms: Option<i64>,
    /// Optional exemplar (OpenMetrics; the text format 0.0.4 leaves it out).
    pub exemplar: Option<Exemplar>,
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
            timestamp_ms: None,
            exemplar: None,
        }
    }
}

/// A metric family: name, help, type, unit and its samples.
///
/// As in OpenMetrics (and Python's client), a counter family is named
/// without `_total`; its samples carry the suffixes.
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
    /// Samples, in exposition order.
    pub samples: Vec<Sample>,
}

impl MetricFamily {
    /// An empty family.
    ///
    /// ```
    /// use promscribe::{MetricFamily, MetricType};
    /// let f = MetricFamily::new("temperature_celsius", "Temperature", MetricType::Gauge);
    /// assert!(f.samples.is_empty());
    /// ```
    pub fn new(name: impl Into<String>, help: impl Into<String>, kind: MetricType) -> Self {
        MetricFamily {
            name: name.into(),
            help: help.into(),
            kind,
            unit: String::new(),
            samples: Vec::new(),
        }
    }

    /// Appends a sample named `<family name><suffix>`.
    ///
    /// ```
    /// use promscribe::{MetricFamily, MetricType};
    /// let mut f = MetricFamily::new("jobs", "Jobs run", MetricType::Counter);
    /// f.push("_total", vec![("queue".into(), "a".into())], 3.0);
    /// assert_eq!(f.samples[0].name, "jobs_total");
    /// ```
    pub fn push(&mut self, suffix: &str, labels: Vec<(String, String)>, value: f64) {
        let mut name = String::with_capacity(self.name.len() + suffix.len());
        name.push_str(&self.name);
        name.push_str(suffix);
        self.samples.push(Sample::new(name, labels, value));
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
