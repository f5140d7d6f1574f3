//! The Prometheus text exposition format, version 0.0.4: the public
//! shorthands over [`encode`](crate::encode).

use crate::encoding::{encode, encode_families, EncodeOptions, Format};
use crate::model::MetricFamily;
use crate::registry::Registry;

/// `Content-Type` of the text format.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Encodes everything in `registry` in the text format 0.0.4, as Python's
/// `generate_latest` does (`_created` as [`EncodeOptions::default`] says).
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
    // Writing into a `String` cannot fail.
    let _ = encode(&mut out, registry, Format::Text, &EncodeOptions::default());
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
/// f.push("_total", vec![], 3.0).unwrap();
/// let mut out = String::new();
/// promscribe::encode_text_families(&mut out, &[f]);
/// assert_eq!(out, "# HELP jobs_total Jobs\n# TYPE jobs_total counter\njobs_total 3.0\n");
/// ```
pub fn encode_text_families(out: &mut String, families: &[MetricFamily]) {
    let _ = encode_families(out, families, Format::Text, &EncodeOptions::default());
}
