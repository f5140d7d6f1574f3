//! Encoders: one file per exposition format, behind one entry point,
//! [`encode`]. They read the typed snapshot ([`MetricFamily`]) and write
//! straight into the output: label sets come pre-rendered, numbers are
//! formatted on the stack, nothing is allocated per sample.

use std::fmt;

use crate::error::MetricError;
use crate::model::MetricFamily;
use crate::registry::Registry;

pub(crate) mod float;
pub(crate) mod openmetrics;
#[cfg(feature = "protobuf")]
pub(crate) mod protobuf;
pub(crate) mod text;

#[cfg(feature = "protobuf")]
pub use protobuf::PROTOBUF_CONTENT_TYPE;

/// An exposition format.
///
/// ```
/// use promscribe::Format;
/// assert_eq!(Format::OpenMetrics.content_type(),
///            "application/openmetrics-text; version=1.0.0; charset=utf-8");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// The Prometheus text format 0.0.4 (Python's `generate_latest`).
    Text,
    /// OpenMetrics 1.0.0 text.
    OpenMetrics,
    /// The Prometheus protobuf format: length-delimited
    /// `io.prometheus.client.MetricFamily` messages (feature `protobuf`).
    /// Binary: write it with [`encode_bytes`]; [`encode`] into text
    /// refuses it.
    ///
    /// ```
    /// assert_eq!(promscribe::Format::Protobuf.content_type(),
    ///            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited");
    /// ```
    #[cfg(feature = "protobuf")]
    #[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
    Protobuf,
}

impl Format {
    /// The exact `Content-Type` of a body in this format.
    ///
    /// ```
    /// assert_eq!(promscribe::Format::Text.content_type(),
    ///            "text/plain; version=0.0.4; charset=utf-8");
    /// ```
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Text => crate::encoding::TEXT_CONTENT_TYPE,
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            #[cfg(feature = "protobuf")]
            Format::Protobuf => PROTOBUF_CONTENT_TYPE,
        }
    }

    /// Whether bodies in this format are text (else binary: write them
    /// with [`encode_bytes`]).
    ///
    /// ```
    /// assert!(promscribe::Format::OpenMetrics.is_text());
    /// ```
    pub const fn is_text(self) -> bool {
        match self {
            Format::Text | Format::OpenMetrics => true,
            #[cfg(feature = "protobuf")]
            Format::Protobuf => false,
        }
    }
}

/// `Content-Type` of OpenMetrics 1.0.0 text.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What an encoder writes besides the values: policy that belongs to the
/// exposition, not to the metrics.
///
/// ```
/// use promscribe::EncodeOptions;
/// let o = EncodeOptions::default().created(false);
/// assert!(!o.writes_created());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeOptions {
    created: bool,
}

impl Default for EncodeOptions {
    /// `_created` series as [`created_series_enabled`](crate::created_series_enabled)
    /// says (on, unless [`disable_created_series`](crate::disable_created_series)
    /// or `PROMETHEUS_DISABLE_CREATED_SERIES` turned them off).
    fn default() -> Self {
        EncodeOptions {
            created: crate::registry::created_series_enabled(),
        }
    }
}

impl EncodeOptions {
    /// Whether `_created` series are written.
    ///
    /// ```
    /// assert!(promscribe::EncodeOptions::default().created(true).writes_created());
    /// ```
    pub fn created(mut self, on: bool) -> Self {
        self.created = on;
        self
    }

    /// Whether `_created` series are written.
    ///
    /// ```
    /// assert!(!promscribe::EncodeOptions::default().created(false).writes_created());
    /// ```
    pub fn writes_created(&self) -> bool {
        self.created
    }
}

/// Encodes everything in `registry` in `format` into `out`: the one entry
/// point of every exporter of text. A binary format
/// ([`Format::is_text`] false) cannot be written into text: it fails with
/// [`fmt::Error`] before anything is written; use [`encode_bytes`].
///
/// ```
/// use promscribe::{encode, EncodeOptions, Format, Registry};
/// let r = Registry::new();
/// let c = promscribe::Counter::new("jobs_total", "Jobs").unwrap();
/// r.register(c.clone()).unwrap();
/// c.inc();
/// let mut out = String::new();
/// encode(&mut out, &r, Format::OpenMetrics, &EncodeOptions::default().created(false)).unwrap();
/// assert_eq!(out, "# HELP jobs Jobs\n# TYPE jobs counter\njobs_total 1.0\n# EOF\n");
/// ```
pub fn encode<W: fmt::Write + ?Sized>(
    out: &mut W,
    registry: &Registry,
    format: Format,
    options: &EncodeOptions,
) -> fmt::Result {
    encode_families(out, &registry.gather(), format, options)
}

/// Encodes `families` in `format` into `out`.
///
/// ```
/// use promscribe::{encode_families, EncodeOptions, Format, MetricFamily, MetricType};
/// let mut f = MetricFamily::new("up", "Up", MetricType::Gauge);
/// f.push("", vec![], 1.0).unwrap();
/// let mut out = String::new();
/// encode_families(&mut out, &[f], Format::Text, &EncodeOptions::default()).unwrap();
/// assert_eq!(out, "# HELP up Up\n# TYPE up gauge\nup 1.0\n");
/// ```
pub fn encode_families<W: fmt::Write + ?Sized>(
    out: &mut W,
    families: &[MetricFamily],
    format: Format,
    options: &EncodeOptions,
) -> fmt::Result {
    match format {
        Format::Text => text::encode(out, families, options),
        Format::OpenMetrics => openmetrics::encode(out, families, options),
        #[cfg(feature = "protobuf")]
        Format::Protobuf => Err(fmt::Error),
    }
}

/// Appends everything in `registry` in `format` to `out`, as bytes: the
/// entry point for every format, binary ones included (text formats as
/// UTF-8). An error names the family and the value the format cannot
/// carry (e.g. a summary count that is not a whole number, in protobuf);
/// then nothing is appended.
///
/// ```
/// use promscribe::{encode_bytes, EncodeOptions, Format, Registry};
/// let r = Registry::new();
/// let g = promscribe::Gauge::new("up", "Up").unwrap();
/// r.register(g.clone()).unwrap();
/// let mut out = Vec::new();
/// encode_bytes(&mut out, &r, Format::Text, &EncodeOptions::default()).unwrap();
/// assert_eq!(out, b"# HELP up Up\n# TYPE up gauge\nup 0.0\n");
/// ```
pub fn encode_bytes(
    out: &mut Vec<u8>,
    registry: &Registry,
    format: Format,
    options: &EncodeOptions,
) -> Result<(), MetricError> {
    encode_families_bytes(out, &registry.gather(), format, options)
}

/// Appends `families` in `format` to `out`, as bytes (see [`encode_bytes`]).
///
/// ```
/// use promscribe::{encode_families_bytes, EncodeOptions, Format, MetricFamily, MetricType};
/// let mut f = MetricFamily::new("up", "Up", MetricType::Gauge);
/// f.push("", vec![], 1.0).unwrap();
/// let mut out = Vec::new();
/// encode_families_bytes(&mut out, &[f], Format::OpenMetrics, &EncodeOptions::default()).unwrap();
/// assert!(out.ends_with(b"up 1.0\n# EOF\n"));
/// ```
pub fn encode_families_bytes(
    out: &mut Vec<u8>,
    families: &[MetricFamily],
    format: Format,
    options: &EncodeOptions,
) -> Result<(), MetricError> {
    match format {
        #[cfg(feature = "protobuf")]
        Format::Protobuf => protobuf::encode(out, families, options),
        Format::Text | Format::OpenMetrics => {
            let mut text = Utf8Writer(out);
            // Writing into a `Vec` cannot fail.
            let _ = encode_families(&mut text, families, format, options);
            Ok(())
        }
    }
}

/// `fmt::Write` into a byte vector.
struct Utf8Writer<'a>(&'a mut Vec<u8>);

impl fmt::Write for Utf8Writer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Writes `{labels,extra="value"}` (nothing for no labels at all).
pub(crate) fn write_labels<W: fmt::Write + ?Sized>(
    out: &mut W,
    rendered: &str,
    extra: Option<(&str, Extra<'_>)>,
) -> fmt::Result {
    if rendered.is_empty() && extra.is_none() {
        return Ok(());
    }
    out.write_char('{')?;
    out.write_str(rendered)?;
    if let Some((name, value)) = extra {
        if !rendered.is_empty() {
            out.write_char(',')?;
        }
        out.write_str(name)?;
        out.write_str("=\"")?;
        match value {
            Extra::Float(v) => crate::encoding::float::fmt_float(out, v)?,
            Extra::Text(t) => crate::encoding::float::write_label_value(out, t)?,
        }
        out.write_char('"')?;
    }
    out.write_char('}')
}

/// The value of the label a point adds (`le`, `quantile`, a state).
#[derive(Clone, Copy)]
pub(crate) enum Extra<'a> {
    Float(f64),
    Text(&'a str),
}

// The text format 0.0.4 in one call, as Python's `generate_latest`.

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
