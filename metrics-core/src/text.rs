//! The Prometheus text exposition format, version 0.0.4.

use std::fmt::Write;

use crate::model::{MetricFamily, MetricType, Sample};
use crate::registry::Registry;
use crate::value::{escape_help, escape_label_value, write_float};

/// `Content-Type` of the text format.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Encodes everything in `registry` in the text format 0.0.4, as Python's
/// `generate_latest` does.
///
/// ```
/// let r = promscribe::Registry::new();
/// let g = promscribe::Gauge::new("raid_status", "1 if raid array is okay").unwrap();
/// r.register(g.clone()).unwrap();
/// g.set(1.0);
/// assert_eq!(promscribe::encode_text(&r),
///     "# HELP raid_status 1 if raid array is okay\n# TYPE raid_status gauge\nraid_status 1.0\n");
/// ```
pub fn encode_text(registry: &Registry) -> String {
    let mut out = String::with_capacity(4096);
    encode_text_families(&mut out, &registry.gather());
    out
}

/// Appends `families` to `out` in the text format 0.0.4.
///
/// OpenMetrics-only samples (`_created`, `_gsum`, `_gcount`) follow each
/// family as a separate gauge family, as Python's client writes them; a
/// counter family is written under its `_total` name.
///
/// ```
/// use promscribe::{MetricFamily, MetricType};
/// let mut f = MetricFamily::new("jobs", "Jobs", MetricType::Counter);
/// f.push("_total", vec![], 3.0);
/// let mut out = String::new();
/// promscribe::encode_text_families(&mut out, &[f]);
/// assert_eq!(out, "# HELP jobs_total Jobs\n# TYPE jobs_total counter\njobs_total 3.0\n");
/// ```
pub fn encode_text_families(out: &mut String, families: &[MetricFamily]) {
    for f in families {
        let (suffix, kind) = match f.kind {
            MetricType::Counter => ("_total", "counter"),
            MetricType::Info => ("_info", "gauge"),
            MetricType::StateSet => ("", "gauge"),
            MetricType::GaugeHistogram => ("", "histogram"),
            MetricType::Unknown => ("", "untyped"),
            MetricType::Gauge => ("", "gauge"),
            MetricType::Histogram => ("", "histogram"),
            MetricType::Summary => ("", "summary"),
        };
        write_header(out, &f.name, suffix, &f.help, kind);
        let mut extra: [Vec<&Sample>; 3] = Default::default();
        const EXTRA: [&str; 3] = ["_created", "_gcount", "_gsum"];
        for s in &f.samples {
            let om_only = s
                .name
                .strip_prefix(f.name.as_str())
                .and_then(|rest| EXTRA.iter().position(|e| *e == rest));
            match om_only {
                Some(i) => extra[i].push(s),
                None => write_sample(out, s),
            }
        }
        for (suffix, samples) in EXTRA.iter().zip(&extra) {
            if samples.is_empty() {
                continue;
            }
            write_header(out, &f.name, suffix, &f.help, "gauge");
            for s in samples {
                write_sample(out, s);
            }
        }
    }
}

fn write_header(out: &mut String, name: &str, suffix: &str, help: &str, kind: &str) {
    out.push_str("# HELP ");
    out.push_str(name);
    out.push_str(suffix);
    out.push(' ');
    escape_help(out, help);
    out.push_str("\n# TYPE ");
    out.push_str(name);
    out.push_str(suffix);
    out.push(' ');
    out.push_str(kind);
    out.push('\n');
}

fn write_sample(out: &mut String, s: &Sample) {
    out.push_str(&s.name);
    if !s.labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in s.labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push_str("=\"");
            escape_label_value(out, v);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    write_float(out, s.value);
    if let Some(ts) = s.timestamp_ms {
        let _ = write!(out, " {ts}");
    }
    out.push('\n');
}
