//! The messages of Prometheus Remote Write 1.0 (`prometheus/prompb`'s
//! `remote.proto` and `types.proto`), as prost-derived structs: the fields
//! a sender fills, with the tags of the spec. Decoding ignores the fields
//! left out (`Sample`'s later additions, remote read), as protobuf does.

/// `prometheus.WriteRequest`: the body of one remote-write POST, before
/// Snappy.
#[derive(Clone, PartialEq, prost_derive::Message)]
pub(crate) struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    pub(crate) timeseries: Vec<TimeSeries>,
    #[prost(message, repeated, tag = "3")]
    pub(crate) metadata: Vec<MetricMetadata>,
}

/// `prometheus.TimeSeries`: one series (labels sorted by name,
/// `__name__` among them) and its samples in time order.
#[derive(Clone, PartialEq, prost_derive::Message)]
pub(crate) struct TimeSeries {
    #[prost(message, repeated, tag = "1")]
    pub(crate) labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    pub(crate) samples: Vec<Sample>,
    #[prost(message, repeated, tag = "3")]
    pub(crate) exemplars: Vec<Exemplar>,
    #[prost(message, repeated, tag = "4")]
    pub(crate) histograms: Vec<Histogram>,
}

/// `prometheus.Label`: a name and a value, neither empty.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, prost_derive::Message)]
pub(crate) struct Label {
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    #[prost(string, tag = "2")]
    pub(crate) value: String,
}

/// `prometheus.Sample`: a value at a timestamp in milliseconds since the
/// Unix epoch.
#[derive(Clone, Copy, PartialEq, prost_derive::Message)]
pub(crate) struct Sample {
    #[prost(double, tag = "1")]
    pub(crate) value: f64,
    #[prost(int64, tag = "2")]
    pub(crate) timestamp: i64,
}

/// `prometheus.Exemplar`: labels (may be empty), a value and a timestamp
/// in milliseconds.
#[derive(Clone, PartialEq, prost_derive::Message)]
pub(crate) struct Exemplar {
    #[prost(message, repeated, tag = "1")]
    pub(crate) labels: Vec<Label>,
    #[prost(double, tag = "2")]
    pub(crate) value: f64,
    #[prost(int64, tag = "3")]
    pub(crate) timestamp: i64,
}

/// `prometheus.MetricMetadata`: what a scrape's `# TYPE`, `# HELP` and
/// `# UNIT` say about one family.
#[derive(Clone, PartialEq, prost_derive::Message)]
pub(crate) struct MetricMetadata {
    /// A [`MetricType`].
    #[prost(enumeration = "MetricType", tag = "1")]
    pub(crate) r#type: i32,
    #[prost(string, tag = "2")]
    pub(crate) metric_family_name: String,
    #[prost(string, tag = "4")]
    pub(crate) help: String,
    #[prost(string, tag = "5")]
    pub(crate) unit: String,
}

/// `prometheus.MetricMetadata.MetricType`, with the values of
/// `types.proto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost_derive::Enumeration)]
#[repr(i32)]
pub(crate) enum MetricType {
    Unknown = 0,
    Counter = 1,
    Gauge = 2,
    Histogram = 3,
    GaugeHistogram = 4,
    Summary = 5,
    Info = 6,
    StateSet = 7,
}

/// `prometheus.Histogram`: a native histogram (integer or float counts).
/// Not filled yet: classic histograms go out as `_bucket`, `_sum` and
/// `_count` series.
#[derive(Clone, PartialEq, prost_derive::Message)]
pub(crate) struct Histogram {
    #[prost(oneof = "HistogramCount", tags = "1, 2")]
    pub(crate) count: Option<HistogramCount>,
    #[prost(double, tag = "3")]
    pub(crate) sum: f64,
    #[prost(sint32, tag = "4")]
    pub(crate) schema: i32,
    #[prost(double, tag = "5")]
    pub(crate) zero_threshold: f64,
    #[prost(oneof = "HistogramZeroCount", tags = "6, 7")]
    pub(crate) zero_count: Option<HistogramZeroCount>,
    #[prost(message, repeated, tag = "8")]
    pub(crate) negative_spans: Vec<BucketSpan>,
    #[prost(sint64, repeated, tag = "9")]
    pub(crate) negative_deltas: Vec<i64>,
    #[prost(double, repeated, tag = "10")]
    pub(crate) negative_counts: Vec<f64>,
    #[prost(message, repeated, tag = "11")]
    pub(crate) positive_spans: Vec<BucketSpan>,
    #[prost(sint64, repeated, tag = "12")]
    pub(crate) positive_deltas: Vec<i64>,
    #[prost(double, repeated, tag = "13")]
    pub(crate) positive_counts: Vec<f64>,
    /// A [`ResetHint`].
    #[prost(enumeration = "ResetHint", tag = "14")]
    pub(crate) reset_hint: i32,
    #[prost(int64, tag = "15")]
    pub(crate) timestamp: i64,
}

/// The count of observations of a [`Histogram`].
#[derive(Clone, Copy, PartialEq, prost_derive::Oneof)]
pub(crate) enum HistogramCount {
    #[prost(uint64, tag = "1")]
    Int(u64),
    #[prost(double, tag = "2")]
    Float(f64),
}

/// The count of the zero bucket of a [`Histogram`].
#[derive(Clone, Copy, PartialEq, prost_derive::Oneof)]
pub(crate) enum HistogramZeroCount {
    #[prost(uint64, tag = "6")]
    Int(u64),
    #[prost(double, tag = "7")]
    Float(f64),
}

/// `prometheus.Histogram.ResetHint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost_derive::Enumeration)]
#[repr(i32)]
pub(crate) enum ResetHint {
    Unknown = 0,
    Yes = 1,
    No = 2,
    Gauge = 3,
}

/// `prometheus.BucketSpan`: `length` consecutive buckets, `offset` after
/// the previous span (or from index 0 for the first).
#[derive(Clone, Copy, PartialEq, prost_derive::Message)]
pub(crate) struct BucketSpan {
    #[prost(sint32, tag = "1")]
    pub(crate) offset: i32,
    #[prost(uint32, tag = "2")]
    pub(crate) length: u32,
}
