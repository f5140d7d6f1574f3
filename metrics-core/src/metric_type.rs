//! [`MetricType`]: the kinds of metric family, as OpenMetrics names them.

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
