//! The Prometheus text format 0.0.4, as Python's `generate_latest` writes
//! it: a counter family under its `_total` name, an info under `_info`,
//! and the OpenMetrics-only samples (`_created`, `_gcount`, `_gsum`) as
//! separate gauge families after each family. No exemplars.
//!
//! A histogram with native buckets is written as client_golang's `expfmt`
//! writes it in this format: its classic buckets, or, when it has none,
//! one `+Inf` bucket counting every observation; then `_count` and `_sum`
//! (and `_created`). The native buckets themselves are carried by the
//! protobuf format and by OpenMetrics 2.0.0 only.

use std::fmt::{self, Write};

use super::{
    bucket_lines, write_series, EncodeOptions, Extra, FamilyRef, Names, Scratch, Suffix, Value,
};
use crate::model::{HistogramPoint, MetricType, Point};
use crate::render::escaping::write_label_name;
use crate::render::float::escape_help;
use crate::timestamp::Timestamp;

/// The separate gauge families written after a family, in this order.
#[derive(Clone, Copy, PartialEq)]
enum Split {
    Created,
    GCount,
    GSum,
}

/// Writes one family, then its split-off gauge families.
pub(crate) fn family<W: Write + ?Sized>(
    out: &mut W,
    f: &FamilyRef<'_>,
    options: &EncodeOptions,
    scratch: &mut Scratch,
) -> fmt::Result {
    let Scratch {
        names,
        le,
        line,
        created: created_lines,
        labels: label_buf,
        state_label,
    } = scratch;
    created_lines.clear();
    let scheme = options.escaping_scheme();
    names.set(f.name, scheme);
    let quoted = names.quoted;
    let (suffix, kind) = match f.kind {
        MetricType::Counter => (Suffix::Total, "counter"),
        MetricType::Info => (Suffix::Info, "gauge"),
        MetricType::StateSet => (Suffix::None, "gauge"),
        MetricType::GaugeHistogram => (Suffix::None, "histogram"),
        MetricType::Unknown => (Suffix::None, "untyped"),
        MetricType::Gauge => (Suffix::None, "gauge"),
        MetricType::Histogram => (Suffix::None, "histogram"),
        MetricType::Summary => (Suffix::None, "summary"),
    };
    header(out, names, suffix, f.help, kind)?;
    if f.kind == MetricType::StateSet {
        state_label.clear();
        write_label_name(state_label, f.name, scheme)?;
    }
    let state_label = state_label.as_str();
    let mut splits = [false; 3];
    // The `_created` lines are gathered on the way, for their family after
    // this one: the metrics are read once.
    let created_name = names.get(Suffix::Created);
    let mut created_line = |labels: &str, t: Option<f64>, ts: Option<Timestamp>| match t {
        Some(t) if options.created => {
            let first = created_lines.is_empty();
            sample(created_lines, created_name, quoted, labels, None, t, ts)?;
            if first {
                // Room for the family's other lines, sized after the
                // first (a line or two of slack per series): the buffer
                // is kept between scrapes, this sizes it at once.
                let lines = f.len().saturating_sub(1);
                created_lines.reserve(lines * (created_lines.len() + 8));
            }
            Ok(())
        }
        _ => Ok(()),
    };
    f.for_each(|labels, point, ts| {
        let labels = labels.rendered_with(scheme, label_buf);
        match point {
            Point::Counter(c) => {
                sample(
                    out,
                    names.get(Suffix::Total),
                    quoted,
                    labels,
                    None,
                    c.value,
                    ts,
                )?;
                created_line(labels, c.created, ts)?;
                splits[0] |= options.created && c.created.is_some();
            }
            Point::Gauge(v) | Point::Unknown(v) => {
                sample(out, names.get(Suffix::None), quoted, labels, None, *v, ts)?
            }
            Point::Info => sample(out, names.get(Suffix::Info), quoted, labels, None, 1.0, ts)?,
            Point::StateSet(states) => {
                for (s, on) in states {
                    let v = if *on { 1.0 } else { 0.0 };
                    sample(
                        out,
                        names.get(Suffix::None),
                        quoted,
                        labels,
                        Some((state_label, Extra::Text(s))),
                        v,
                        ts,
                    )?;
                }
            }
            Point::Summary(p) => {
                for (q, v) in &p.quantiles {
                    sample(
                        out,
                        names.get(Suffix::None),
                        quoted,
                        labels,
                        Some(("quantile", Extra::Float(*q))),
                        *v,
                        ts,
                    )?;
                }
                if let Some(count) = p.count {
                    sample(
                        out,
                        names.get(Suffix::Count),
                        quoted,
                        labels,
                        None,
                        count,
                        ts,
                    )?;
                }
                if let Some(sum) = p.sum {
                    sample(out, names.get(Suffix::Sum), quoted, labels, None, sum, ts)?;
                }
                created_line(labels, p.created, ts)?;
                splits[0] |= options.created && p.created.is_some();
            }
            Point::Histogram(h) => {
                let bucket = names.get(Suffix::Bucket);
                bucket_lines(out, line, le, (bucket, quoted), labels, h, |out, _| {
                    timestamp(out, ts)
                })?;
                native_only_bucket(out, bucket, quoted, labels, h, ts)?;
                if let Some(count) = h.count {
                    sample(
                        out,
                        names.get(Suffix::Count),
                        quoted,
                        labels,
                        None,
                        count,
                        ts,
                    )?;
                }
                if let Some(sum) = h.sum {
                    sample(out, names.get(Suffix::Sum), quoted, labels, None, sum, ts)?;
                }
                created_line(labels, h.created, ts)?;
                splits[0] |= options.created && h.created.is_some();
            }
            Point::GaugeHistogram(h) => {
                let bucket = names.get(Suffix::Bucket);
                bucket_lines(out, line, le, (bucket, quoted), labels, h, |out, _| {
                    timestamp(out, ts)
                })?;
                native_only_bucket(out, bucket, quoted, labels, h, ts)?;
                splits[1] |= h.count.is_some();
                splits[2] |= h.sum.is_some();
            }
        }
        Ok(())
    })?;
    for (split, on) in [Split::Created, Split::GCount, Split::GSum]
        .into_iter()
        .zip(splits)
    {
        if !on {
            continue;
        }
        let suffix = match split {
            Split::Created => Suffix::Created,
            Split::GCount => Suffix::GCount,
            Split::GSum => Suffix::GSum,
        };
        let split_name = names.get(suffix);
        header(out, names, suffix, f.help, "gauge")?;
        if split == Split::Created {
            out.write_str(created_lines)?;
            continue;
        }
        f.for_each(|labels, point, ts| {
            let value = match (point, split) {
                (Point::GaugeHistogram(h), Split::GCount) => h.count,
                (Point::GaugeHistogram(h), Split::GSum) => h.sum,
                _ => None,
            };
            match value {
                Some(v) => {
                    let labels = labels.rendered_with(scheme, label_buf);
                    sample(out, split_name, quoted, labels, None, v, ts)
                }
                None => Ok(()),
            }
        })?;
    }
    Ok(())
}

/// A histogram with native buckets and no classic ones: the `+Inf` bucket
/// client_golang writes for it, counting every observation.
fn native_only_bucket<W: Write + ?Sized>(
    out: &mut W,
    bucket: &str,
    quoted: bool,
    labels: &str,
    h: &HistogramPoint,
    ts: Option<Timestamp>,
) -> fmt::Result {
    match h.native.as_deref() {
        Some(nb) if h.bounds.as_slice().is_empty() => {
            let count = super::native_count(h, nb);
            let inf = Some(("le", Extra::Float(f64::INFINITY)));
            sample(out, bucket, quoted, labels, inf, count, ts)
        }
        _ => Ok(()),
    }
}

/// `# HELP` and `# TYPE` of the family whose sample name is `suffix`'s.
fn header<W: Write + ?Sized>(
    out: &mut W,
    names: &Names,
    suffix: Suffix,
    help: &str,
    kind: &str,
) -> fmt::Result {
    let name = names.get(suffix);
    out.write_str("# HELP ")?;
    out.write_str(name)?;
    out.write_char(' ')?;
    escape_help(out, help, false)?;
    out.write_str("\n# TYPE ")?;
    out.write_str(name)?;
    out.write_char(' ')?;
    out.write_str(kind)?;
    out.write_char('\n')
}

fn sample<W: Write + ?Sized>(
    out: &mut W,
    name: &str,
    quoted: bool,
    labels: &str,
    extra: Option<(&str, Extra<'_>)>,
    value: impl Into<Value>,
    ts: Option<Timestamp>,
) -> fmt::Result {
    write_series(out, name, quoted, labels, extra)?;
    out.write_char(' ')?;
    value.into().write(out)?;
    timestamp(out, ts)?;
    out.write_char('\n')
}

/// ` 1234` after a value, when there is a timestamp: whole milliseconds
/// (the format's timestamps are integers), rounded down.
fn timestamp<W: Write + ?Sized>(out: &mut W, ts: Option<Timestamp>) -> fmt::Result {
    match ts {
        Some(ts) => {
            out.write_char(' ')?;
            ts.write_millis(out)
        }
        None => Ok(()),
    }
}
