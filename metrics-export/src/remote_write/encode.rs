//! The registry's families as remote-write series, and the body of one
//! request.
//!
//! A family becomes the series Prometheus stores when it scrapes the text
//! format: the samples of [`MetricFamily::samples_with`] (a counter's
//! `_total`, a histogram's `_bucket` with `le` rendered as the text format
//! renders it, `_count`, `_sum`, a gauge histogram's `_gcount` and
//! `_gsum`, a summary's `quantile` samples, an info's `_info`, a state
//! set's one series per state, `_created` as the options say), plus the
//! `+Inf` bucket the text format writes for a histogram with native
//! buckets only. Names and label names go out as they are (remote write
//! carries any UTF-8 name: no escaping). Each series carries one sample:
//! the metric's own timestamp when it has one, else the time given.
//!
//! With [`SeriesOptions::native_histograms`] on, a histogram point with
//! native buckets is also sent as one series named as the family, with
//! one native `Histogram` (integer counts, spans and deltas as the
//! protobuf exposition cuts them): instead of its `+Inf` bucket, `_count`
//! and `_sum` (`_gcount`, `_gsum`) when it has no classic bucket, beside
//! its classic series when it has both (as Prometheus stores a mixed
//! histogram it scrapes with classic histograms kept). Off, as by default,
//! native buckets are sent as a text scrape stores them: a receiver
//! without native histograms refuses a request carrying one.
//!
//! This module only uses `super::proto` and public items of other crates.

use std::collections::HashSet;

use promscribe::{EncodeOptions, Metric, MetricFamily, MetricType, Point, Timestamp};
use prost::Message;

use super::proto::{
    self, BucketSpan, HistogramCount, HistogramZeroCount, Label, MetricMetadata, ResetHint, Sample,
    TimeSeries, WriteRequest,
};

/// What becomes a series besides the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SeriesOptions {
    /// `_created` series of counters, histograms and summaries.
    pub(crate) created: bool,
    /// Exemplars of counters and histogram buckets.
    pub(crate) exemplars: bool,
    /// Native buckets as native histograms (off: as a text scrape stores
    /// them, the `+Inf` bucket, `_count` and `_sum` only).
    pub(crate) native_histograms: bool,
}

impl Default for SeriesOptions {
    /// `_created` as the text encoder's default says
    /// ([`promscribe::created_series_enabled`]), exemplars on.
    fn default() -> Self {
        SeriesOptions::from(&EncodeOptions::default())
    }
}

impl From<&EncodeOptions> for SeriesOptions {
    /// `_created` as `options` writes them, exemplars on.
    fn from(options: &EncodeOptions) -> Self {
        SeriesOptions {
            created: options.writes_created(),
            exemplars: true,
            native_histograms: false,
        }
    }
}

/// A series that cannot be sent: the receiver would refuse the whole
/// request for it. It names the series, as `name{label="value",...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EncodeError {
    /// A label whose name is empty.
    EmptyLabelName {
        /// The series.
        series: String,
    },
    /// A label whose value is empty (remote write has no empty values: a
    /// scrape drops such a label, a receiver refuses it).
    EmptyLabelValue {
        /// The series.
        series: String,
        /// The label's name.
        label: String,
    },
    /// Two labels of one name (a user label named `__name__`, `le`,
    /// `quantile` or as the state set).
    DuplicateLabelName {
        /// The series.
        series: String,
        /// The label's name.
        label: String,
    },
    /// A metric timestamp beyond what milliseconds in an `i64` hold.
    TimestampOutOfRange {
        /// The series.
        series: String,
    },
    /// Native buckets a native histogram cannot carry (a schema outside
    /// -4..=8, indexes out of order, ...).
    InvalidNative {
        /// The series.
        series: String,
        /// Why.
        reason: String,
    },
}

// By hand rather than with `thiserror`: the file is compiled into tests
// and benchmarks as it is.
impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::EmptyLabelName { series } => {
                write!(f, "series {series}: a label has an empty name")
            }
            EncodeError::EmptyLabelValue { series, label } => {
                write!(f, "series {series}: label `{label}` has an empty value")
            }
            EncodeError::DuplicateLabelName { series, label } => {
                write!(
                    f,
                    "series {series}: label `{label}` is given more than once"
                )
            }
            EncodeError::TimestampOutOfRange { series } => {
                write!(f, "series {series}: its timestamp is out of range")
            }
            EncodeError::InvalidNative { series, reason } => {
                write!(f, "series {series}: {reason}")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// The series and metadata of `families`, and an error for each series
/// that cannot be sent (left out of the series).
///
/// Labels are sorted by name, `__name__` among them. `now_ms` stamps the
/// samples of metrics without a timestamp of their own, and exemplars
/// without one.
pub(crate) fn series_of(
    families: &[MetricFamily],
    now_ms: i64,
    opts: &SeriesOptions,
) -> (Vec<TimeSeries>, Vec<MetricMetadata>, Vec<EncodeError>) {
    let mut series = Vec::new();
    let mut metadata = Vec::with_capacity(families.len());
    let mut errors = Vec::new();
    for family in families {
        metadata_of(family, opts, &mut metadata);
        // The metrics sent as native histograms, whose `_count` and `_sum`
        // (native-only ones) are left out of the samples.
        let native_only: HashSet<Vec<(String, String)>> = if opts.native_histograms {
            family
                .metrics
                .iter()
                .filter(|m| native_point(m).is_some_and(|h| h.bounds.as_slice().is_empty()))
                .map(|m| m.labels.to_vec())
                .collect()
        } else {
            HashSet::new()
        };
        let count_sum = [
            format!("{}_count", family.name),
            format!("{}_sum", family.name),
            format!("{}_gcount", family.name),
            format!("{}_gsum", family.name),
        ];
        for sample in family.samples_with(opts.created) {
            if !native_only.is_empty()
                && count_sum.contains(&sample.name)
                && native_only.contains(&sample.labels)
            {
                continue;
            }
            let exemplar = sample.exemplar.filter(|_| opts.exemplars);
            push_series(
                sample.name,
                sample.labels,
                sample.value,
                sample.timestamp,
                exemplar,
                now_ms,
                &mut series,
                &mut errors,
            );
        }
        for metric in &family.metrics {
            if opts.native_histograms {
                if native_point(metric).is_some() {
                    push_native(&family.name, metric, now_ms, &mut series, &mut errors);
                }
                continue;
            }
            if let Some((labels, count)) = native_only_bucket(metric) {
                let name = format!("{}_bucket", family.name);
                push_series(
                    name,
                    labels,
                    count,
                    metric.timestamp,
                    None,
                    now_ms,
                    &mut series,
                    &mut errors,
                );
            }
        }
    }
    (series, metadata, errors)
}

/// The histogram point of `metric`, when it has native buckets.
fn native_point(metric: &Metric) -> Option<&promscribe::HistogramPoint> {
    match &metric.point {
        Point::Histogram(h) | Point::GaugeHistogram(h) if h.native.is_some() => Some(h),
        _ => None,
    }
}

/// The native histogram of `metric` (a histogram point with native
/// buckets) as one series named `name`, or the error that keeps it out.
fn push_native(
    name: &str,
    metric: &Metric,
    now_ms: i64,
    series: &mut Vec<TimeSeries>,
    errors: &mut Vec<EncodeError>,
) {
    let Some(h) = native_point(metric) else {
        return;
    };
    let Some(native) = h.native.as_deref() else {
        return;
    };
    let mut labels = Vec::with_capacity(metric.labels.len() + 1);
    labels.push(Label {
        name: "__name__".to_owned(),
        value: name.to_owned(),
    });
    labels.extend(metric.labels.pairs().map(|(name, value)| Label {
        name: name.to_owned(),
        value: value.to_owned(),
    }));
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    if let Err(error) = check_labels(&labels) {
        errors.push(error);
        return;
    }
    let timestamp = match metric.timestamp.map(Timestamp::as_millis) {
        None => now_ms,
        Some(Some(ms)) => ms,
        Some(None) => {
            errors.push(EncodeError::TimestampOutOfRange {
                series: series_name(&labels),
            });
            return;
        }
    };
    let spans = match native.spans_and_deltas() {
        Ok(spans) => spans,
        Err(reason) => {
            errors.push(EncodeError::InvalidNative {
                series: series_name(&labels),
                reason,
            });
            return;
        }
    };
    // The point's count when it is a whole number (it counts NaN
    // observations, which are in no bucket), never less than the buckets'.
    let in_buckets = native.count();
    let count = h
        .count
        .filter(|c| c.fract() == 0.0 && *c >= in_buckets as f64 && *c < u64::MAX as f64)
        .map_or(in_buckets, |c| c as u64);
    let to_spans = |spans: Vec<(i32, u32)>| {
        spans
            .into_iter()
            .map(|(offset, length)| BucketSpan { offset, length })
            .collect()
    };
    let reset_hint = match metric.point {
        Point::GaugeHistogram(_) => ResetHint::Gauge,
        _ => ResetHint::Unknown,
    };
    let histogram = proto::Histogram {
        count: Some(HistogramCount::Int(count)),
        // No sum is known: NaN, as PromQL shows an unknown value.
        sum: h.sum.unwrap_or(f64::NAN),
        schema: native.schema,
        zero_threshold: native.zero_threshold,
        zero_count: Some(HistogramZeroCount::Int(native.zero_count)),
        negative_spans: to_spans(spans.negative_spans),
        negative_deltas: spans.negative_deltas,
        negative_counts: Vec::new(),
        positive_spans: to_spans(spans.positive_spans),
        positive_deltas: spans.positive_deltas,
        positive_counts: Vec::new(),
        reset_hint: reset_hint as i32,
        timestamp,
    };
    series.push(TimeSeries {
        labels,
        samples: Vec::new(),
        exemplars: Vec::new(),
        histograms: vec![histogram],
    });
}

/// The `+Inf` bucket of a histogram with native buckets and no classic
/// ones, counting every observation, which the text format writes for it
/// (as client_golang does).
fn native_only_bucket(metric: &Metric) -> Option<(Vec<(String, String)>, f64)> {
    let (Point::Histogram(h) | Point::GaugeHistogram(h)) = &metric.point else {
        return None;
    };
    let native = h.native.as_deref()?;
    if !h.bounds.as_slice().is_empty() {
        return None;
    }
    let mut le = String::new();
    promscribe::write_float(&mut le, f64::INFINITY);
    let mut labels = metric.labels.to_vec();
    labels.push(("le".to_owned(), le));
    Some((labels, h.count.unwrap_or(native.count() as f64)))
}

/// One series of one sample, or the error that keeps it out.
#[allow(clippy::too_many_arguments)]
fn push_series(
    name: String,
    pairs: Vec<(String, String)>,
    value: f64,
    timestamp: Option<Timestamp>,
    exemplar: Option<promscribe::Exemplar>,
    now_ms: i64,
    series: &mut Vec<TimeSeries>,
    errors: &mut Vec<EncodeError>,
) {
    let mut labels = Vec::with_capacity(pairs.len() + 1);
    labels.push(Label {
        name: "__name__".to_owned(),
        value: name,
    });
    labels.extend(pairs.into_iter().map(|(name, value)| Label { name, value }));
    // Stable: of two `__name__` labels, the sample's name stays first.
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    if let Err(error) = check_labels(&labels) {
        errors.push(error);
        return;
    }
    let timestamp = match timestamp.map(Timestamp::as_millis) {
        None => now_ms,
        Some(Some(ms)) => ms,
        Some(None) => {
            errors.push(EncodeError::TimestampOutOfRange {
                series: series_name(&labels),
            });
            return;
        }
    };
    let exemplars = exemplar
        .map(|e| {
            let mut labels: Vec<Label> = e
                .labels
                .into_iter()
                .map(|(name, value)| Label { name, value })
                .collect();
            labels.sort_unstable_by(|a, b| a.name.cmp(&b.name));
            proto::Exemplar {
                labels,
                value: e.value,
                timestamp: e
                    .timestamp
                    .and_then(Timestamp::from_secs_f64)
                    .and_then(Timestamp::as_millis)
                    .unwrap_or(timestamp),
            }
        })
        .into_iter()
        .collect();
    series.push(TimeSeries {
        labels,
        samples: vec![Sample { value, timestamp }],
        exemplars,
        histograms: Vec::new(),
    });
}

/// No empty name or value, no name twice (`labels` sorted by name).
fn check_labels(labels: &[Label]) -> Result<(), EncodeError> {
    for (i, label) in labels.iter().enumerate() {
        if label.name.is_empty() {
            return Err(EncodeError::EmptyLabelName {
                series: series_name(labels),
            });
        }
        if label.value.is_empty() {
            return Err(EncodeError::EmptyLabelValue {
                series: series_name(labels),
                label: label.name.clone(),
            });
        }
        if i > 0 && labels[i - 1].name == label.name {
            return Err(EncodeError::DuplicateLabelName {
                series: series_name(labels),
                label: label.name.clone(),
            });
        }
    }
    Ok(())
}

/// `name{label="value",...}` of sorted labels, for errors (values escaped
/// as the text format escapes them).
fn series_name(labels: &[Label]) -> String {
    let at = labels.iter().position(|l| l.name == "__name__");
    let mut out = at.map_or(String::new(), |i| labels[i].value.clone());
    out.push('{');
    let mut first = true;
    for (_, label) in labels.iter().enumerate().filter(|(i, _)| Some(*i) != at) {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&label.name);
        out.push_str("=\"");
        for c in label.value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// The metadata of `family`, one per `# TYPE` line the text format writes
/// for it: the family under the name its series take (a counter's
/// `_total`, an info's `_info`) with its own type, help and unit, then the
/// gauge families split off from it (`_created`, a gauge histogram's
/// `_gcount` and `_gsum`) when it has such samples.
fn metadata_of(family: &MetricFamily, opts: &SeriesOptions, out: &mut Vec<MetricMetadata>) {
    let (suffix, kind) = match family.kind {
        MetricType::Counter => ("_total", proto::MetricType::Counter),
        MetricType::Gauge => ("", proto::MetricType::Gauge),
        MetricType::Histogram => ("", proto::MetricType::Histogram),
        MetricType::GaugeHistogram => ("", proto::MetricType::GaugeHistogram),
        MetricType::Summary => ("", proto::MetricType::Summary),
        MetricType::Info => ("_info", proto::MetricType::Info),
        MetricType::StateSet => ("", proto::MetricType::StateSet),
        MetricType::Unknown => ("", proto::MetricType::Unknown),
    };
    let entry = |suffix: &str, kind: proto::MetricType, unit: &str| MetricMetadata {
        r#type: kind as i32,
        metric_family_name: format!("{}{suffix}", family.name),
        help: family.help.clone(),
        unit: unit.to_owned(),
    };
    out.push(entry(suffix, kind, &family.unit));
    let (mut created, mut gcount, mut gsum) = (false, false, false);
    for metric in &family.metrics {
        match &metric.point {
            Point::Counter(c) => created |= c.created.is_some(),
            Point::Summary(s) => created |= s.created.is_some(),
            Point::Histogram(h) => created |= h.created.is_some(),
            Point::GaugeHistogram(h) => {
                gcount |= h.count.is_some();
                gsum |= h.sum.is_some();
            }
            _ => {}
        }
    }
    for (on, suffix) in [
        (created && opts.created, "_created"),
        (gcount, "_gcount"),
        (gsum, "_gsum"),
    ] {
        if on {
            out.push(entry(suffix, proto::MetricType::Gauge, ""));
        }
    }
}

/// The body of one request: `req` in protobuf, compressed with Snappy's
/// block format (not the framed one), as the spec says.
pub(crate) fn encode_request(req: &WriteRequest) -> Vec<u8> {
    let raw = req.encode_to_vec();
    let mut out = vec![0; snap::raw::max_compress_len(raw.len())];
    match snap::raw::Encoder::new().compress(&raw, &mut out) {
        Ok(n) => {
            out.truncate(n);
            out
        }
        // Only an input beyond what Snappy's format holds (about 4 GiB)
        // fails: no request comes near (the sender batches).
        Err(_) => Vec::new(),
    }
}
