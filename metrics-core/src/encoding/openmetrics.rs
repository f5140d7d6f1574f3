//! OpenMetrics 1.0.0 text, as Python's `openmetrics.exposition` writes
//! it: `# HELP`, `# TYPE`, `# UNIT`; counter families without `_total`;
//! `_created` inside each family; `info` and `stateset` types; exemplars
//! on counters and histogram buckets; timestamps in seconds; `# EOF`.
//! A histogram's `_count` (a gauge histogram's `_gcount`) is written if and
//! only if its `_sum` (`_gsum`) is, as the specification requires: a
//! histogram with negative buckets, which has no sum, writes neither
//! (Python's `Histogram` writes `_count` there, which its own strict parser
//! refuses).
//!
//! A histogram with native buckets is written in OpenMetrics 1.0.0 as
//! client_golang's `expfmt` writes it: its classic buckets, or, when it has
//! none, one `+Inf` bucket counting every observation, then `_count`,
//! `_sum` and `_created`. When the scraper asked for the version that
//! carries them ([`Format::OpenMetrics2_0_0`](crate::Format::OpenMetrics2_0_0)),
//! as Python's client writes it: first the native histogram as the value of
//! one sample, `name{labels} {count:..,sum:..,schema:..,...}`, then its
//! classic samples if it has classic buckets (a native-only histogram is
//! that one sample, as in Python, whose parser refuses a `_created` without
//! buckets).

use std::fmt::{self, Write};

use super::{
    bucket_lines, write_series, EncodeOptions, Extra, FamilyRef, Names, Scratch, Suffix, Value,
};
use crate::model::{Exemplar, HistogramPoint, NativeBuckets, Point};
use crate::render::escaping::{write_label_name, write_unit, EscapingScheme};
use crate::render::float::{escape_help, fmt_float, write_float_repr_to, write_label_value};
use crate::timestamp::Timestamp;

/// The end of an exposition.
pub(crate) fn end<W: Write + ?Sized>(out: &mut W) -> fmt::Result {
    out.write_str("# EOF\n")
}

/// Writes one family; `native`: native histograms as Python's client
/// writes them for OpenMetrics 2.0.0 (else as classic ones).
pub(crate) fn family<W: Write + ?Sized>(
    out: &mut W,
    f: &FamilyRef<'_>,
    options: &EncodeOptions,
    scratch: &mut Scratch,
    native: bool,
) -> fmt::Result {
    let Scratch {
        names,
        le,
        line,
        labels: label_buf,
        state_label,
        ..
    } = scratch;
    let scheme = options.escaping_scheme();
    names.set(f.name, scheme);
    let names = &*names;
    let name = names.get(Suffix::None);
    out.write_str("# HELP ")?;
    out.write_str(name)?;
    out.write_char(' ')?;
    escape_help(out, f.help, true)?;
    out.write_str("\n# TYPE ")?;
    out.write_str(name)?;
    out.write_char(' ')?;
    out.write_str(f.kind.as_str())?;
    out.write_char('\n')?;
    if f.kind == crate::model::MetricType::StateSet {
        state_label.clear();
        write_label_name(state_label, f.name, scheme)?;
    }
    let state_label = state_label.as_str();
    if !f.unit.is_empty() {
        out.write_str("# UNIT ")?;
        out.write_str(name)?;
        out.write_char(' ')?;
        if scheme == EscapingScheme::AllowUtf8
            || promscribe_rules::is_valid_legacy_metric_name(f.name)
        {
            out.write_str(f.unit)?;
        } else {
            // Escaped as the name is, so that it stays its suffix.
            write_unit(out, f.unit, scheme)?;
        }
        out.write_char('\n')?;
    }
    f.for_each(|labels, point, timestamp| {
        let s = Line {
            names,
            labels: labels.rendered_with(scheme, label_buf),
            timestamp,
            scheme,
        };
        match point {
            Point::Counter(c) => {
                s.write(out, Suffix::Total, None, c.value, c.exemplar.as_deref())?;
                if let (true, Some(t)) = (options.created, c.created) {
                    s.write(out, Suffix::Created, None, t, None)?;
                }
            }
            Point::Gauge(v) | Point::Unknown(v) => s.write(out, Suffix::None, None, *v, None)?,
            Point::Info => s.write(out, Suffix::Info, None, 1.0, None)?,
            Point::StateSet(states) => {
                for (state, on) in states {
                    let v = if *on { 1.0 } else { 0.0 };
                    let extra = Some((state_label, Extra::Text(state)));
                    s.write(out, Suffix::None, extra, v, None)?;
                }
            }
            Point::Summary(p) => {
                for (q, v) in &p.quantiles {
                    s.write(
                        out,
                        Suffix::None,
                        Some(("quantile", Extra::Float(*q))),
                        *v,
                        None,
                    )?;
                }
                if let Some(count) = p.count {
                    s.write(out, Suffix::Count, None, count, None)?;
                }
                if let Some(sum) = p.sum {
                    s.write(out, Suffix::Sum, None, sum, None)?;
                }
                if let (true, Some(t)) = (options.created, p.created) {
                    s.write(out, Suffix::Created, None, t, None)?;
                }
            }
            Point::Histogram(h) | Point::GaugeHistogram(h) => {
                let gauge = matches!(point, Point::GaugeHistogram(_));
                if let Some(nb) = h.native.as_deref() {
                    if native {
                        s.native(out, h, nb)?;
                        if h.bounds.as_slice().is_empty() {
                            return Ok(());
                        }
                    } else if h.bounds.as_slice().is_empty() {
                        // No classic buckets: one `+Inf` bucket, as Go writes it.
                        let count = super::native_count(h, nb);
                        let inf = Some(("le", Extra::Float(f64::INFINITY)));
                        s.write(out, Suffix::Bucket, inf, count, None)?;
                    }
                }
                let bucket = names.get(Suffix::Bucket);
                bucket_lines(
                    out,
                    line,
                    le,
                    (bucket, names.quoted),
                    s.labels,
                    h,
                    |out, i| s.tail(out, h.exemplar(i)),
                )?;
                // `_count` if and only if `_sum` (`_gcount`, `_gsum`): a
                // point without a sum (negative buckets) writes neither, its
                // count being the `+Inf` bucket's; one with a sum and no
                // count (as the text format may carry it) takes that bucket's.
                if let Some(sum) = h.sum {
                    if let Some(count) = h.count.or_else(|| h.counts.last().copied()) {
                        s.write(
                            out,
                            if gauge { Suffix::GCount } else { Suffix::Count },
                            None,
                            count,
                            None,
                        )?;
                    }
                    s.write(
                        out,
                        if gauge { Suffix::GSum } else { Suffix::Sum },
                        None,
                        sum,
                        None,
                    )?;
                }
                if let (true, false, Some(t)) = (options.created, gauge, h.created) {
                    s.write(out, Suffix::Created, None, t, None)?;
                }
            }
        }
        Ok(())
    })
}

struct Line<'a> {
    names: &'a Names,
    labels: &'a str,
    timestamp: Option<Timestamp>,
    scheme: EscapingScheme,
}

impl Line<'_> {
    fn write<W: Write + ?Sized>(
        &self,
        out: &mut W,
        suffix: Suffix,
        extra: Option<(&str, Extra<'_>)>,
        value: impl Into<Value>,
        exemplar: Option<&Exemplar>,
    ) -> fmt::Result {
        let name = self.names.get(suffix);
        write_series(out, name, self.names.quoted, self.labels, extra)?;
        out.write_char(' ')?;
        value.into().write(out)?;
        self.tail(out, exemplar)?;
        out.write_char('\n')
    }

    /// The native histogram as one sample, `name{labels} {count:..,...}`,
    /// then its timestamp and exemplars, as Python's client writes it.
    fn native<W: Write + ?Sized>(
        &self,
        out: &mut W,
        h: &HistogramPoint,
        nb: &NativeBuckets,
    ) -> fmt::Result {
        let name = self.names.get(Suffix::None);
        write_series(out, name, self.names.quoted, self.labels, None)?;
        out.write_str(" {count:")?;
        native_number(out, super::native_count(h, nb))?;
        out.write_str(",sum:")?;
        native_number(out, h.sum.unwrap_or(0.0))?;
        out.write_str(",schema:")?;
        out.write_str(itoa::Buffer::new().format(nb.schema))?;
        out.write_str(",zero_threshold:")?;
        native_number(out, nb.zero_threshold)?;
        out.write_str(",zero_count:")?;
        out.write_str(itoa::Buffer::new().format(nb.zero_count))?;
        for (side, buckets) in [("negative", &nb.negative), ("positive", &nb.positive)] {
            if buckets.is_empty() {
                continue;
            }
            write!(out, ",{side}_spans:[")?;
            spans(out, buckets, |out, offset, length| {
                write!(out, "{offset}:{length}")
            })?;
            write!(out, "],{side}_deltas:[")?;
            let mut previous = 0i128;
            for (i, &(_, count)) in buckets.iter().enumerate() {
                if i > 0 {
                    out.write_char(',')?;
                }
                let count = i128::from(count);
                out.write_str(itoa::Buffer::new().format(count - previous))?;
                previous = count;
            }
            out.write_char(']')?;
        }
        out.write_char('}')?;
        if let Some(t) = self.timestamp {
            write!(out, " {t}")?;
        }
        for e in &nb.exemplars {
            write_exemplar(out, e, self.scheme)?;
        }
        out.write_char('\n')
    }

    /// What follows a value: the timestamp (in seconds, every fractional
    /// digit kept), the exemplar.
    fn tail<W: Write + ?Sized>(&self, out: &mut W, exemplar: Option<&Exemplar>) -> fmt::Result {
        if let Some(t) = self.timestamp {
            write!(out, " {t}")?;
        }
        match exemplar {
            Some(e) => write_exemplar(out, e, self.scheme),
            None => Ok(()),
        }
    }
}

/// The spans of the buckets `(index, count)` (indexes increasing): each
/// run of consecutive indexes is one span, as Python's client writes the
/// spans it is given (client_golang's protobuf spans also cover gaps of
/// one or two buckets with zero counts; these write no bucket that is not
/// in the point). `span(out, offset, length)` is called for each,
/// separated by commas; the offset of the first is its first index, of the
/// others the number of indexes skipped before it.
fn spans<W, F>(out: &mut W, buckets: &[(i32, u64)], mut span: F) -> fmt::Result
where
    W: Write + ?Sized,
    F: FnMut(&mut W, i64, u64) -> fmt::Result,
{
    let mut current: Option<(i64, u64)> = None;
    let mut next = 0i64;
    for &(index, _) in buckets {
        let index = i64::from(index);
        match current.as_mut() {
            Some((_, length)) if index == next => *length += 1,
            _ => {
                if let Some((offset, length)) = current {
                    span(out, offset, length)?;
                    out.write_char(',')?;
                }
                current = Some((index - next, 1));
            }
        }
        next = index + 1;
    }
    match current {
        Some((offset, length)) => span(out, offset, length),
        None => Ok(()),
    }
}

/// A number of the native histogram sample: a whole number (exactly
/// representable) without a fraction, as Python writes its integers; any
/// other as Python's `repr`; `NaN`, `+Inf` and `-Inf` as OpenMetrics
/// spells them.
fn native_number<W: Write + ?Sized>(out: &mut W, v: f64) -> fmt::Result {
    if v.is_nan() {
        return out.write_str("NaN");
    }
    if v.is_infinite() {
        return out.write_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    }
    // Below 2^53 every whole number is exact, and `as` converts it exactly.
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        return out.write_str(itoa::Buffer::new().format(v as i64));
    }
    write_float_repr_to(out, v)
}

/// ` # {labels} value timestamp`, labels sorted by name as Python does.
fn write_exemplar<W: Write + ?Sized>(
    out: &mut W,
    e: &Exemplar,
    scheme: EscapingScheme,
) -> fmt::Result {
    out.write_str(" # {")?;
    // A checked exemplar holds at most 128 characters of labels, so at
    // most 64 labels; a longer list built by hand is written unsorted.
    let mut order: [usize; 64] = std::array::from_fn(|i| i);
    let n = e.labels.len();
    if let Some(head) = order.get_mut(..n) {
        head.sort_by(|a, b| e.labels[*a].0.cmp(&e.labels[*b].0));
    }
    for i in 0..n {
        let j = order.get(i).copied().unwrap_or(i);
        if i > 0 {
            out.write_char(',')?;
        }
        let Some((k, v)) = e.labels.get(j) else {
            continue;
        };
        write_label_name(out, k, scheme)?;
        out.write_str("=\"")?;
        write_label_value(out, v)?;
        out.write_char('"')?;
    }
    out.write_str("} ")?;
    fmt_float(out, e.value)?;
    if let Some(t) = e.timestamp {
        out.write_char(' ')?;
        write_float_repr_to(out, t)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::collector::{Collector, StreamFamily};
    use crate::meta::Meta;
    use crate::model::{
        HistogramPoint, LabelSet, Metric, MetricFamily, MetricType, NativeBuckets, Point,
    };
    use crate::{encode, encode_families, EncodeOptions, Format, Registry};

    static META: Meta = Meta::new_static(MetricType::Histogram, "lat", "Latency", "", &["a"]);

    /// A histogram family read in place by the encoders (as the built-in
    /// types are), its one point with native buckets only.
    struct Native {
        labels: LabelSet,
        point: Point,
    }

    impl Native {
        fn new() -> Native {
            Native {
                labels: LabelSet::new([("a", "1")]),
                point: Point::Histogram(HistogramPoint {
                    bounds: Vec::new().into(),
                    counts: Vec::new(),
                    count: Some(4.0),
                    sum: Some(2.5),
                    created: Some(7.0),
                    exemplars: Vec::new(),
                    native: Some(Box::new(NativeBuckets {
                        schema: 1,
                        zero_threshold: 0.25,
                        zero_count: 1,
                        positive: vec![(-1, 1), (3, 2)],
                        negative: Vec::new(),
                        exemplars: Vec::new(),
                    })),
                }),
            }
        }
    }

    impl Collector for Native {
        fn collect(&self, out: &mut Vec<MetricFamily>) {
            let mut f = MetricFamily::new("lat", "Latency", MetricType::Histogram);
            f.metrics.push(Metric {
                labels: self.labels.clone(),
                point: self.point.clone(),
                timestamp: None,
            });
            out.push(f);
        }

        fn as_stream(&self) -> Option<&dyn StreamFamily> {
            Some(self)
        }
    }

    impl StreamFamily for Native {
        fn stream_meta(&self) -> &Meta {
            &META
        }

        fn metric_count(&self) -> usize {
            1
        }

        fn for_each_metric(
            &self,
            f: &mut dyn FnMut(&LabelSet, &Point) -> std::fmt::Result,
        ) -> std::fmt::Result {
            f(&self.labels, &self.point)
        }
    }

    /// The in-place path and the snapshot path write a native histogram
    /// alike, in every text format.
    #[test]
    fn stream_and_snapshot_paths_agree() {
        let r = Registry::new();
        let native = Arc::new(Native::new());
        r.register(native.clone()).expect("registers");
        let mut snapshot = Vec::new();
        native.collect(&mut snapshot);
        let options = EncodeOptions::default().created(true);
        for format in [
            Format::Text,
            Format::Text1_0_0,
            Format::OpenMetrics,
            Format::OpenMetrics2_0_0,
        ] {
            let (mut streamed, mut snapped) = (String::new(), String::new());
            encode(&mut streamed, &r, format, &options).expect("a String");
            encode_families(&mut snapped, &snapshot, format, &options).expect("a String");
            assert_eq!(streamed, snapped, "{format:?}");
            let want = if format == Format::OpenMetrics2_0_0 {
                "lat{a=\"1\"} {count:4,sum:2.5,schema:1,zero_threshold:0.25,zero_count:1,\
                 positive_spans:[-1:1,3:1],positive_deltas:[1,1]}\n"
            } else {
                "lat_bucket{a=\"1\",le=\"+Inf\"} 4.0\nlat_count{a=\"1\"} 4.0\nlat_sum{a=\"1\"} 2.5\n"
            };
            assert!(streamed.contains(want), "{format:?}: {streamed}");
        }
    }
}
