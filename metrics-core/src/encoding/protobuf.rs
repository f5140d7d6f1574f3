//! The Prometheus protobuf exposition: a stream of
//! `io.prometheus.client.MetricFamily` messages, each preceded by its
//! length as a varint (`encoding=delimited`), as Prometheus asks for it
//! when native histograms are enabled.
//!
//! The messages are written straight from the typed snapshot with prost's
//! wire primitives, without building message structs: nothing is
//! allocated per sample. Field numbers follow `metrics.proto` of
//! `prometheus/client_model`:
//!
//! ```text
//! MetricFamily { 1 name, 2 help, 3 type, 4 metric*, 5 unit }
//! Metric       { 1 label*, 2 gauge, 3 counter, 4 summary, 5 untyped, 7 histogram, 6 timestamp_ms }
//! LabelPair    { 1 name, 2 value }
//! Gauge, Untyped { 1 value }
//! Counter      { 1 value, 2 exemplar, 3 created_timestamp }
//! Summary      { 1 sample_count, 2 sample_sum, 3 quantile*, 4 created_timestamp }
//! Quantile     { 1 quantile, 2 value }
//! Histogram    { 1 sample_count, 4 sample_count_float, 2 sample_sum, 3 bucket*,
//!                5 schema, 6 zero_threshold, 7 zero_count, 9 negative_span*,
//!                10 negative_delta*, 12 positive_span*, 13 positive_delta*,
//!                15 created_timestamp, 16 exemplars* }
//! BucketSpan   { 1 offset (sint32), 2 length }
//! Bucket       { 1 cumulative_count, 4 cumulative_count_float, 2 upper_bound, 3 exemplar }
//! Exemplar     { 1 label*, 2 value, 3 timestamp }
//! Timestamp    { 1 seconds, 2 nanos }          (google.protobuf.Timestamp)
//! ```
//!
//! Mapping of the model: a counter family is named with `_total`, an info
//! family with `_info` (a gauge of value 1), a state set is a gauge with
//! one metric per state (the state in the label named as the family),
//! unknown is `UNTYPED`. `_created` travels as `created_timestamp` (when
//! [`EncodeOptions`] writes it), never as a series. Counts that are whole
//! numbers go in the integer fields, others in the `_float` ones. Names
//! are written in the [`EscapingScheme`] of the options (as they are for
//! `allow-utf-8`; a family with a name to escape is copied, escaped).
//!
//! A histogram point with native buckets ([`NativeBuckets`]) adds the
//! native fields beside its classic buckets (if it has any), as
//! client_golang writes them: schema, zero threshold and zero count
//! always; each side's populated buckets as spans and deltas, where a gap
//! of one or two buckets is filled with empty buckets and a longer one
//! starts a new span (`makeBuckets` in client_golang's `histogram.go`);
//! the native exemplars in `exemplars`. A histogram with no observation
//! and a zero threshold of 0 gets one no-op positive span `{0, 0}`, since
//! a scraper tells a native histogram from a classic one by its spans,
//! zero threshold or zero count. Spans and deltas are computed while
//! writing: nothing is allocated for them.

use prost::bytes::BufMut;
use prost::encoding::{encode_key, encode_varint, encoded_len_varint, key_len, WireType};

use std::borrow::Cow;
use std::sync::Arc;

use promscribe_rules::{is_legacy_label_charset, is_valid_legacy_metric_name};

use super::native::{check_native, for_each_delta, for_each_span};
use super::{EncodeOptions, EscapingScheme};
use crate::error::MetricError;
use crate::model::{
    Exemplar, HistogramPoint, LabelSet, Metric, MetricFamily, MetricType, NativeBuckets, Point,
};

/// `Content-Type` of the length-delimited protobuf exposition.
///
/// ```
/// assert_eq!(promscribe::Format::Protobuf.content_type(), promscribe::PROTOBUF_CONTENT_TYPE);
/// ```
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

// `io.prometheus.client.MetricType`.
const COUNTER: u64 = 0;
const GAUGE: u64 = 1;
const SUMMARY: u64 = 2;
const UNTYPED: u64 = 3;
const HISTOGRAM: u64 = 4;
const GAUGE_HISTOGRAM: u64 = 5;

/// Appends `families` to `out`. Every value is checked first: on an error
/// (a number the format cannot carry) nothing is appended.
pub(crate) fn encode(
    out: &mut Vec<u8>,
    families: &[MetricFamily],
    options: &EncodeOptions,
) -> Result<(), MetricError> {
    for f in families {
        check_family(f, options)?;
    }
    let scheme = options.escaping_scheme();
    for f in families {
        let (f, state_label) = escape_family(f, scheme);
        let msg = FamilyMsg {
            f: &f,
            options,
            state_label: &state_label,
        };
        let len = msg.len();
        out.reserve(len + encoded_len_varint(len as u64));
        encode_varint(len as u64, out);
        msg.write(out);
    }
    Ok(())
}

/// `f` with its names written in `scheme`, as client_golang's
/// `EscapeMetricFamily` does (a legacy-valid name is kept; `allow-utf-8`
/// keeps every name), and the name of a state set's states label: `f`
/// itself, borrowed, when no name needs escaping.
fn escape_family(
    f: &MetricFamily,
    scheme: EscapingScheme,
) -> (Cow<'_, MetricFamily>, Cow<'_, str>) {
    if scheme == EscapingScheme::AllowUtf8 {
        return (Cow::Borrowed(f), Cow::Borrowed(&f.name));
    }
    let state_label = if is_legacy_label_charset(&f.name) {
        Cow::Borrowed(f.name.as_str())
    } else {
        Cow::Owned(scheme.label_name(&f.name))
    };
    let legacy_exemplar = |e: Option<&Exemplar>| {
        e.is_none_or(|e| e.labels.iter().all(|(k, _)| is_legacy_label_charset(k)))
    };
    let legacy_metric = |m: &Metric| {
        m.labels.pairs().all(|(k, _)| is_legacy_label_charset(k))
            && match &m.point {
                Point::Counter(c) => legacy_exemplar(c.exemplar.as_deref()),
                Point::Histogram(h) | Point::GaugeHistogram(h) => {
                    h.exemplars.iter().all(|e| legacy_exemplar(e.as_deref()))
                        && h.native
                            .as_ref()
                            .is_none_or(|n| n.exemplars.iter().all(|e| legacy_exemplar(Some(e))))
                }
                _ => true,
            }
    };
    if is_valid_legacy_metric_name(&f.name) && f.metrics.iter().all(legacy_metric) {
        return (Cow::Borrowed(f), state_label);
    }
    let mut out = f.clone();
    out.name = scheme.metric_name(&f.name);
    let escape_one = |x: &mut Arc<Exemplar>| {
        if !legacy_exemplar(Some(x)) {
            let x = Arc::make_mut(x);
            for (k, _) in &mut x.labels {
                *k = scheme.label_name(k);
            }
        }
    };
    let escape_exemplar = |e: &mut Option<Arc<Exemplar>>| {
        if let Some(x) = e.as_mut() {
            escape_one(x);
        }
    };
    for m in &mut out.metrics {
        if m.labels.pairs().any(|(k, _)| !is_legacy_label_charset(k)) {
            let pairs: Vec<(String, &str)> = m
                .labels
                .pairs()
                .map(|(k, v)| (scheme.label_name(k), v))
                .collect();
            m.labels = LabelSet::new(pairs);
        }
        match &mut m.point {
            Point::Counter(c) => escape_exemplar(&mut c.exemplar),
            Point::Histogram(h) | Point::GaugeHistogram(h) => {
                h.exemplars.iter_mut().for_each(escape_exemplar);
                if let Some(n) = h.native.as_mut() {
                    n.exemplars.iter_mut().for_each(escape_one);
                }
            }
            _ => {}
        }
    }
    (Cow::Owned(out), state_label)
}

// ---------------------------------------------------------------- checks

/// Refuses what the format cannot carry, naming the family and the value.
fn check_family(f: &MetricFamily, options: &EncodeOptions) -> Result<(), MetricError> {
    let bad = |reason: String| MetricError::InvalidSample {
        metric: f.name.clone(),
        reason,
    };
    let check_time = |t: Option<f64>, what: &str| match t {
        Some(t) if timestamp(t).is_none() => Err(bad(format!(
            "{what} {t} cannot be written as a protobuf timestamp"
        ))),
        _ => Ok(()),
    };
    let check_count = |c: f64, what: &str| {
        if c.is_nan() || c < 0.0 || c == f64::INFINITY {
            Err(bad(format!(
                "{what} {c} is not a count (a non-negative finite number)"
            )))
        } else {
            Ok(())
        }
    };
    let check_exemplar =
        |e: Option<&Exemplar>| check_time(e.and_then(|e| e.timestamp), "exemplar timestamp");
    for m in &f.metrics {
        if let Some(t) = m.timestamp {
            if t.as_millis().is_none() {
                return Err(bad(format!(
                    "timestamp {t} s is beyond the int64 milliseconds of protobuf's `timestamp_ms`"
                )));
            }
        }
        match &m.point {
            Point::Counter(c) => {
                if options.created {
                    check_time(c.created, "created time")?;
                }
                check_exemplar(c.exemplar.as_deref())?;
            }
            Point::Summary(s) => {
                if let Some(c) = s.count {
                    if whole(c).is_none() {
                        return Err(bad(format!(
                            "summary count {c} is not a whole number, as the protobuf format requires"
                        )));
                    }
                }
                if options.created {
                    check_time(s.created, "created time")?;
                }
            }
            Point::Histogram(h) | Point::GaugeHistogram(h) => {
                for c in &h.counts {
                    check_count(*c, "bucket count")?;
                }
                if let Some(c) = h.count {
                    check_count(c, "count")?;
                }
                if options.created && matches!(m.point, Point::Histogram(_)) {
                    check_time(h.created, "created time")?;
                }
                for i in 0..h.counts.len() {
                    check_exemplar(h.exemplar(i))?;
                }
                if let Some(n) = &h.native {
                    check_native(n).map_err(bad)?;
                    for e in &n.exemplars {
                        check_exemplar(Some(e))?;
                    }
                }
            }
            Point::Gauge(_) | Point::Unknown(_) | Point::Info | Point::StateSet(_) => {}
        }
    }
    Ok(())
}

/// `c` as an integer count, when it is one exactly.
fn whole(c: f64) -> Option<u64> {
    // 2^64 as f64; every integral f64 below it converts exactly.
    ((0.0..18_446_744_073_709_551_616.0).contains(&c) && c.fract() == 0.0).then_some(c as u64)
}

/// Unix seconds as `google.protobuf.Timestamp` (seconds, nanos in
/// `0..1e9`), when finite and in range.
fn timestamp(t: f64) -> Option<(i64, i32)> {
    // Seconds of years 1 to 9999, the range of `google.protobuf.Timestamp`.
    const MIN: f64 = -62_135_596_800.0;
    const MAX: f64 = 253_402_300_800.0;
    if !(MIN..MAX).contains(&t) {
        return None;
    }
    let mut secs = t.floor();
    let mut nanos = ((t - secs) * 1e9).round();
    if nanos >= 1e9 {
        secs += 1.0;
        nanos = 0.0;
    }
    Some((secs as i64, nanos as i32))
}

// ------------------------------------------------------ wire primitives

fn len_delimited_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

fn double_len(tag: u32) -> usize {
    key_len(tag) + 8
}

fn varint_len(tag: u32, v: u64) -> usize {
    key_len(tag) + encoded_len_varint(v)
}

fn put_double(tag: u32, v: f64, out: &mut Vec<u8>) {
    encode_key(tag, WireType::SixtyFourBit, out);
    out.put_f64_le(v);
}

fn put_varint(tag: u32, v: u64, out: &mut Vec<u8>) {
    encode_key(tag, WireType::Varint, out);
    encode_varint(v, out);
}

fn put_str(tag: u32, s: &str, out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(s.len() as u64, out);
    out.put_slice(s.as_bytes());
}

/// A message written in place: its encoded length, then its fields.
trait Msg {
    fn len(&self) -> usize;
    fn write(&self, out: &mut Vec<u8>);
}

fn msg_len<M: Msg>(tag: u32, m: &M) -> usize {
    len_delimited_len(tag, m.len())
}

fn put_msg<M: Msg>(tag: u32, m: &M, out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(m.len() as u64, out);
    m.write(out);
}

// -------------------------------------------------------------- messages

struct FamilyMsg<'a> {
    f: &'a MetricFamily,
    options: &'a EncodeOptions,
    /// The name of a state set's states label.
    state_label: &'a str,
}

impl FamilyMsg<'_> {
    fn suffix(&self) -> &'static str {
        match self.f.kind {
            MetricType::Counter => "_total",
            MetricType::Info => "_info",
            _ => "",
        }
    }

    fn kind(&self) -> u64 {
        match self.f.kind {
            MetricType::Counter => COUNTER,
            MetricType::Gauge | MetricType::Info | MetricType::StateSet => GAUGE,
            MetricType::Histogram => HISTOGRAM,
            MetricType::GaugeHistogram => GAUGE_HISTOGRAM,
            MetricType::Summary => SUMMARY,
            MetricType::Unknown => UNTYPED,
        }
    }

    /// The messages of metric `m`: one, or one per state of a state set.
    fn for_each_metric(&self, m: &Metric, mut each: impl FnMut(&MetricMsg<'_>)) {
        let created = |t: Option<f64>| {
            if !self.options.created {
                return None;
            }
            t.and_then(timestamp)
                .map(|(seconds, nanos)| TimestampMsg { seconds, nanos })
        };
        let value = match &m.point {
            Point::Counter(c) => ValueMsg::Counter(CounterMsg {
                value: c.value,
                exemplar: c.exemplar.as_deref().map(ExemplarMsg),
                created: created(c.created),
            }),
            Point::Gauge(v) => ValueMsg::Gauge(*v),
            Point::Unknown(v) => ValueMsg::Untyped(*v),
            Point::Info => ValueMsg::Gauge(1.0),
            Point::Summary(s) => ValueMsg::Summary(SummaryMsg {
                count: s.count.and_then(whole),
                sum: s.sum,
                quantiles: &s.quantiles,
                created: created(s.created),
            }),
            Point::Histogram(h) => ValueMsg::Histogram(HistogramMsg {
                h,
                created: created(h.created),
            }),
            // A gauge histogram has no creation time.
            Point::GaugeHistogram(h) => ValueMsg::Histogram(HistogramMsg { h, created: None }),
            Point::StateSet(states) => {
                for (state, on) in states {
                    each(&MetricMsg {
                        m,
                        extra: Some((self.state_label, state)),
                        value: ValueMsg::Gauge(if *on { 1.0 } else { 0.0 }),
                    });
                }
                return;
            }
        };
        each(&MetricMsg {
            m,
            extra: None,
            value,
        });
    }
}

impl Msg for FamilyMsg<'_> {
    fn len(&self) -> usize {
        let name = self.f.name.len() + self.suffix().len();
        let mut n = len_delimited_len(1, name) + varint_len(3, self.kind());
        if !self.f.help.is_empty() {
            n += len_delimited_len(2, self.f.help.len());
        }
        if !self.f.unit.is_empty() {
            n += len_delimited_len(5, self.f.unit.len());
        }
        for m in &self.f.metrics {
            self.for_each_metric(m, |msg| n += msg_len(4, msg));
        }
        n
    }

    fn write(&self, out: &mut Vec<u8>) {
        let suffix = self.suffix();
        encode_key(1, WireType::LengthDelimited, out);
        encode_varint((self.f.name.len() + suffix.len()) as u64, out);
        out.put_slice(self.f.name.as_bytes());
        out.put_slice(suffix.as_bytes());
        if !self.f.help.is_empty() {
            put_str(2, &self.f.help, out);
        }
        put_varint(3, self.kind(), out);
        for m in &self.f.metrics {
            self.for_each_metric(m, |msg| put_msg(4, msg, out));
        }
        if !self.f.unit.is_empty() {
            put_str(5, &self.f.unit, out);
        }
    }
}

struct MetricMsg<'a> {
    m: &'a Metric,
    /// A label the point adds (a state set's state).
    extra: Option<(&'a str, &'a str)>,
    value: ValueMsg<'a>,
}

impl MetricMsg<'_> {
    /// The timestamp in whole milliseconds, rounded down (`check_family`
    /// refuses one beyond the `int64` range).
    fn timestamp_ms(&self) -> Option<i64> {
        self.m.timestamp.and_then(|t| t.as_millis())
    }

    fn labels(&self) -> impl Iterator<Item = LabelMsg<'_>> {
        self.m
            .labels
            .pairs()
            .chain(self.extra)
            .map(|(name, value)| LabelMsg { name, value })
    }
}

impl Msg for MetricMsg<'_> {
    fn len(&self) -> usize {
        let mut n: usize = self.labels().map(|l| msg_len(1, &l)).sum();
        n += msg_len(self.value.tag(), &self.value);
        if let Some(ts) = self.timestamp_ms() {
            n += varint_len(6, ts as u64);
        }
        n
    }

    fn write(&self, out: &mut Vec<u8>) {
        for l in self.labels() {
            put_msg(1, &l, out);
        }
        put_msg(self.value.tag(), &self.value, out);
        if let Some(ts) = self.timestamp_ms() {
            // int64: two's complement, ten bytes when negative.
            put_varint(6, ts as u64, out);
        }
    }
}

/// The value field of a `Metric`.
enum ValueMsg<'a> {
    Counter(CounterMsg<'a>),
    Gauge(f64),
    Untyped(f64),
    Summary(SummaryMsg<'a>),
    Histogram(HistogramMsg<'a>),
}

impl ValueMsg<'_> {
    fn tag(&self) -> u32 {
        match self {
            ValueMsg::Gauge(_) => 2,
            ValueMsg::Counter(_) => 3,
            ValueMsg::Summary(_) => 4,
            ValueMsg::Untyped(_) => 5,
            ValueMsg::Histogram(_) => 7,
        }
    }
}

impl Msg for ValueMsg<'_> {
    fn len(&self) -> usize {
        match self {
            // `Gauge` and `Untyped`: one double, field 1.
            ValueMsg::Gauge(_) | ValueMsg::Untyped(_) => double_len(1),
            ValueMsg::Counter(m) => m.len(),
            ValueMsg::Summary(m) => m.len(),
            ValueMsg::Histogram(m) => m.len(),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            ValueMsg::Gauge(v) | ValueMsg::Untyped(v) => put_double(1, *v, out),
            ValueMsg::Counter(m) => m.write(out),
            ValueMsg::Summary(m) => m.write(out),
            ValueMsg::Histogram(m) => m.write(out),
        }
    }
}

struct LabelMsg<'a> {
    name: &'a str,
    value: &'a str,
}

impl Msg for LabelMsg<'_> {
    fn len(&self) -> usize {
        len_delimited_len(1, self.name.len()) + len_delimited_len(2, self.value.len())
    }

    fn write(&self, out: &mut Vec<u8>) {
        put_str(1, self.name, out);
        put_str(2, self.value, out);
    }
}

struct TimestampMsg {
    seconds: i64,
    nanos: i32,
}

impl Msg for TimestampMsg {
    fn len(&self) -> usize {
        varint_len(1, self.seconds as u64) + varint_len(2, i64::from(self.nanos) as u64)
    }

    fn write(&self, out: &mut Vec<u8>) {
        put_varint(1, self.seconds as u64, out);
        put_varint(2, i64::from(self.nanos) as u64, out);
    }
}

struct ExemplarMsg<'a>(&'a Exemplar);

impl ExemplarMsg<'_> {
    fn labels(&self) -> impl Iterator<Item = LabelMsg<'_>> {
        self.0
            .labels
            .iter()
            .map(|(name, value)| LabelMsg { name, value })
    }

    fn timestamp(&self) -> Option<TimestampMsg> {
        self.0
            .timestamp
            .and_then(timestamp)
            .map(|(seconds, nanos)| TimestampMsg { seconds, nanos })
    }
}

impl Msg for ExemplarMsg<'_> {
    fn len(&self) -> usize {
        let mut n: usize = self.labels().map(|l| msg_len(1, &l)).sum();
        n += double_len(2);
        if let Some(t) = self.timestamp() {
            n += msg_len(3, &t);
        }
        n
    }

    fn write(&self, out: &mut Vec<u8>) {
        for l in self.labels() {
            put_msg(1, &l, out);
        }
        put_double(2, self.0.value, out);
        if let Some(t) = self.timestamp() {
            put_msg(3, &t, out);
        }
    }
}

struct CounterMsg<'a> {
    value: f64,
    exemplar: Option<ExemplarMsg<'a>>,
    created: Option<TimestampMsg>,
}

impl Msg for CounterMsg<'_> {
    fn len(&self) -> usize {
        let mut n = double_len(1);
        if let Some(e) = &self.exemplar {
            n += msg_len(2, e);
        }
        if let Some(t) = &self.created {
            n += msg_len(3, t);
        }
        n
    }

    fn write(&self, out: &mut Vec<u8>) {
        put_double(1, self.value, out);
        if let Some(e) = &self.exemplar {
            put_msg(2, e, out);
        }
        if let Some(t) = &self.created {
            put_msg(3, t, out);
        }
    }
}

struct QuantileMsg(f64, f64);

impl Msg for QuantileMsg {
    fn len(&self) -> usize {
        double_len(1) + double_len(2)
    }

    fn write(&self, out: &mut Vec<u8>) {
        put_double(1, self.0, out);
        put_double(2, self.1, out);
    }
}

struct SummaryMsg<'a> {
    count: Option<u64>,
    sum: Option<f64>,
    quantiles: &'a [(f64, f64)],
    created: Option<TimestampMsg>,
}

impl Msg for SummaryMsg<'_> {
    fn len(&self) -> usize {
        let mut n = 0;
        if let Some(c) = self.count {
            n += varint_len(1, c);
        }
        if self.sum.is_some() {
            n += double_len(2);
        }
        n += self
            .quantiles
            .iter()
            .map(|(q, v)| msg_len(3, &QuantileMsg(*q, *v)))
            .sum::<usize>();
        if let Some(t) = &self.created {
            n += msg_len(4, t);
        }
        n
    }

    fn write(&self, out: &mut Vec<u8>) {
        if let Some(c) = self.count {
            put_varint(1, c, out);
        }
        if let Some(s) = self.sum {
            put_double(2, s, out);
        }
        for (q, v) in self.quantiles {
            put_msg(3, &QuantileMsg(*q, *v), out);
        }
        if let Some(t) = &self.created {
            put_msg(4, t, out);
        }
    }
}

/// A count in the integer field when it is a whole number, else in the
/// `_float` one (`int_tag`, `float_tag`).
fn count_len(int_tag: u32, float_tag: u32, c: f64) -> usize {
    match whole(c) {
        Some(c) => varint_len(int_tag, c),
        None => double_len(float_tag),
    }
}

fn put_count(int_tag: u32, float_tag: u32, c: f64, out: &mut Vec<u8>) {
    match whole(c) {
        Some(c) => put_varint(int_tag, c, out),
        None => put_double(float_tag, c, out),
    }
}

/// A histogram: its classic buckets and, when the point has them, its
/// native ones.
struct HistogramMsg<'a> {
    h: &'a HistogramPoint,
    created: Option<TimestampMsg>,
}

impl HistogramMsg<'_> {
    /// `_count`, or else the last cumulative count, or else the native
    /// buckets' count.
    fn count(&self) -> Option<f64> {
        self.h
            .count
            .or_else(|| self.h.counts.last().copied())
            .or_else(|| self.h.native.as_ref().map(|n| n.count() as f64))
    }

    fn buckets(&self) -> impl Iterator<Item = BucketMsg<'_>> {
        self.h
            .bounds
            .as_slice()
            .iter()
            .zip(&self.h.counts)
            .enumerate()
            .map(|(i, (bound, count))| BucketMsg {
                bound: *bound,
                count: *count,
                exemplar: self.h.exemplar(i).map(ExemplarMsg),
            })
    }

    /// The no-op span a native histogram needs so that a scraper does not
    /// take it for a classic one: when it has no bucket, no zero count and
    /// a zero threshold of 0 (client_golang's rule).
    fn needs_noop_span(n: &NativeBuckets) -> bool {
        n.zero_threshold == 0.0
            && n.zero_count == 0
            && n.positive.is_empty()
            && n.negative.is_empty()
    }
}

impl Msg for HistogramMsg<'_> {
    fn len(&self) -> usize {
        let mut n = 0;
        if let Some(c) = self.count() {
            n += count_len(1, 4, c);
        }
        if self.h.sum.is_some() {
            n += double_len(2);
        }
        n += self.buckets().map(|b| msg_len(3, &b)).sum::<usize>();
        if let Some(native) = &self.h.native {
            n += varint_len(5, zigzag(i64::from(native.schema)))
                + double_len(6)
                + varint_len(7, native.zero_count);
            n += side_len(9, 10, &native.negative);
            n += side_len(12, 13, &native.positive);
            if Self::needs_noop_span(native) {
                n += msg_len(12, &SpanMsg(0, 0));
            }
            n += native
                .exemplars
                .iter()
                .map(|e| msg_len(16, &ExemplarMsg(e)))
                .sum::<usize>();
        }
        if let Some(t) = &self.created {
            n += msg_len(15, t);
        }
        n
    }

    fn write(&self, out: &mut Vec<u8>) {
        if let Some(c) = self.count() {
            put_count(1, 4, c, out);
        }
        if let Some(s) = self.h.sum {
            put_double(2, s, out);
        }
        for b in self.buckets() {
            put_msg(3, &b, out);
        }
        if let Some(native) = &self.h.native {
            put_varint(5, zigzag(i64::from(native.schema)), out);
            put_double(6, native.zero_threshold, out);
            put_varint(7, native.zero_count, out);
            put_side(9, 10, &native.negative, out);
            put_side(12, 13, &native.positive, out);
            if Self::needs_noop_span(native) {
                put_msg(12, &SpanMsg(0, 0), out);
            }
        }
        if let Some(t) = &self.created {
            put_msg(15, t, out);
        }
        if let Some(native) = &self.h.native {
            for e in &native.exemplars {
                put_msg(16, &ExemplarMsg(e), out);
            }
        }
    }
}

/// `v` zigzag-encoded, as `sint32` and `sint64` fields are.
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// A `BucketSpan`: offset (from the end of the previous span, or from
/// index 0 for the first), length.
struct SpanMsg(i32, u32);

impl Msg for SpanMsg {
    fn len(&self) -> usize {
        varint_len(1, zigzag(i64::from(self.0))) + varint_len(2, u64::from(self.1))
    }

    fn write(&self, out: &mut Vec<u8>) {
        put_varint(1, zigzag(i64::from(self.0)), out);
        put_varint(2, u64::from(self.1), out);
    }
}

/// The encoded length of one side's spans (`span_tag`) and deltas
/// (`delta_tag`, unpacked, as proto2 writes a repeated `sint64`).
fn side_len(span_tag: u32, delta_tag: u32, buckets: &[(i32, u64)]) -> usize {
    let mut n = 0;
    for_each_span(buckets, |o, l| n += msg_len(span_tag, &SpanMsg(o, l)));
    for_each_delta(buckets, |d| n += varint_len(delta_tag, zigzag(d)));
    n
}

fn put_side(span_tag: u32, delta_tag: u32, buckets: &[(i32, u64)], out: &mut Vec<u8>) {
    for_each_span(buckets, |o, l| put_msg(span_tag, &SpanMsg(o, l), out));
    for_each_delta(buckets, |d| put_varint(delta_tag, zigzag(d), out));
}

struct BucketMsg<'a> {
    bound: f64,
    count: f64,
    exemplar: Option<ExemplarMsg<'a>>,
}

impl Msg for BucketMsg<'_> {
    fn len(&self) -> usize {
        let mut n = count_len(1, 4, self.count) + double_len(2);
        if let Some(e) = &self.exemplar {
            n += msg_len(3, e);
        }
        n
    }

    fn write(&self, out: &mut Vec<u8>) {
        put_count(1, 4, self.count, out);
        put_double(2, self.bound, out);
        if let Some(e) = &self.exemplar {
            put_msg(3, e, out);
        }
    }
}
