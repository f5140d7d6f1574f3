//! Encoders: one file per exposition format, behind one entry point,
//! [`encode`]. They read a family either from the typed snapshot
//! ([`MetricFamily`], what custom collectors produce and
//! [`encode_families`] takes) or in place from a built-in metric type
//! ([`Collector::as_stream`](crate::Collector)), and write straight into
//! the output: label sets come rendered (a family's child's into a label
//! set it refills in place), sample names and `le` pairs are rendered
//! once per family, numbers (`_created` included) are
//! formatted on the stack (`itoa`, `zmij`), nothing is allocated per
//! sample or per series.

use std::fmt;

pub(crate) use crate::collector::FamilyRef;
use crate::error::MetricError;
use crate::model::{HistogramPoint, MetricFamily, NativeBuckets};
use crate::registry::{Kept, Registry};

pub(crate) mod io;
pub(crate) mod native;
pub(crate) mod openmetrics;
#[cfg(feature = "protobuf")]
pub(crate) mod protobuf;
pub(crate) mod text;

use crate::render::{escaping, float};
pub use escaping::EscapingScheme;
pub use io::{encode_families_to, encode_to};
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
    /// The Prometheus text format 1.0.0, what Prometheus 3 asks for with
    /// `text/plain;version=1.0.0`: the lines of the text format 0.0.4, in
    /// which a name outside the legacy character set may be quoted (with
    /// [`EscapingScheme::AllowUtf8`]); only the `Content-Type` differs.
    ///
    /// ```
    /// use promscribe::{encode_families, EncodeOptions, EscapingScheme, Format, MetricFamily, MetricType};
    /// assert_eq!(Format::Text1_0_0.content_type(), "text/plain; version=1.0.0; charset=utf-8");
    /// let mut f = MetricFamily::new("http.requests", "Requests", MetricType::Gauge);
    /// f.push("", vec![], 1.0).unwrap();
    /// let mut out = String::new();
    /// let utf8 = EncodeOptions::default().escaping(EscapingScheme::AllowUtf8);
    /// encode_families(&mut out, &[f], Format::Text1_0_0, &utf8).unwrap();
    /// assert_eq!(out, "# HELP \"http.requests\" Requests\n# TYPE \"http.requests\" gauge\n{\"http.requests\"} 1.0\n");
    /// ```
    Text1_0_0,
    /// OpenMetrics 1.0.0 text.
    OpenMetrics,
    /// OpenMetrics text as Python's client (0.26) writes it when a scraper
    /// asks for `application/openmetrics-text; version=2.0.0`: OpenMetrics
    /// 1.0.0 in which a histogram with native buckets is first written as
    /// one sample whose value is the native histogram,
    /// `name{labels} {count:3,sum:1.5,schema:3,zero_threshold:2.938735877055719e-39,zero_count:0,positive_spans:[0:2],positive_deltas:[2,-1]}`
    /// (negative spans and deltas before the positive ones, each pair only
    /// when there are buckets on that side), followed by its exemplars; its
    /// classic buckets, `_count`, `_sum` and `_created`, when it has
    /// classic buckets, follow as in OpenMetrics 1.0.0. A histogram with
    /// native buckets only is that one sample. The other formats write
    /// native histograms as classic ones. This is Python's rendering of a
    /// draft: the OpenMetrics 2.0 specification as published since writes
    /// absolute `positive_buckets` and start timestamps instead.
    ///
    /// ```
    /// use promscribe::{encode_families, EncodeOptions, Format, HistogramPoint, LabelSet, Metric,
    ///                  MetricFamily, MetricType, NativeBuckets, Point};
    /// assert_eq!(Format::OpenMetrics2_0_0.content_type(),
    ///            "application/openmetrics-text; version=2.0.0; charset=utf-8");
    /// let native = NativeBuckets { schema: 3, zero_threshold: 2f64.powi(-128), zero_count: 0,
    ///     positive: vec![(0, 2), (1, 1)], negative: vec![], exemplars: vec![] };
    /// let mut f = MetricFamily::new("nh", "nh", MetricType::Histogram);
    /// f.metrics.push(Metric {
    ///     labels: LabelSet::new(Vec::<(String, String)>::new()),
    ///     point: Point::Histogram(HistogramPoint {
    ///         bounds: vec![].into(), counts: vec![], count: Some(3.0), sum: Some(1.5),
    ///         created: None, exemplars: vec![], native: Some(Box::new(native)),
    ///     }),
    ///     timestamp: None,
    /// });
    /// let mut out = String::new();
    /// encode_families(&mut out, &[f], Format::OpenMetrics2_0_0, &EncodeOptions::default()).unwrap();
    /// assert_eq!(out, "# HELP nh nh\n# TYPE nh histogram\n\
    ///     nh {count:3,sum:1.5,schema:3,zero_threshold:2.938735877055719e-39,zero_count:0,\
    ///     positive_spans:[0:2],positive_deltas:[2,-1]}\n# EOF\n");
    /// ```
    OpenMetrics2_0_0,
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
            Format::Text1_0_0 => TEXT_1_0_0_CONTENT_TYPE,
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Format::OpenMetrics2_0_0 => OPENMETRICS_2_0_0_CONTENT_TYPE,
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
            Format::Text | Format::Text1_0_0 | Format::OpenMetrics | Format::OpenMetrics2_0_0 => {
                true
            }
            #[cfg(feature = "protobuf")]
            Format::Protobuf => false,
        }
    }
}

/// `Content-Type` of the Prometheus text format 1.0.0 ([`Format::Text1_0_0`]).
///
/// ```
/// assert_eq!(promscribe::TEXT_1_0_0_CONTENT_TYPE, "text/plain; version=1.0.0; charset=utf-8");
/// ```
pub const TEXT_1_0_0_CONTENT_TYPE: &str = "text/plain; version=1.0.0; charset=utf-8";

/// `Content-Type` of OpenMetrics 1.0.0 text.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `Content-Type` of OpenMetrics text with native histograms
/// ([`Format::OpenMetrics2_0_0`]), as Python's client names it.
///
/// ```
/// assert_eq!(promscribe::OPENMETRICS_2_0_0_CONTENT_TYPE,
///            "application/openmetrics-text; version=2.0.0; charset=utf-8");
/// ```
pub const OPENMETRICS_2_0_0_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=2.0.0; charset=utf-8";

/// What an encoder writes besides the values: policy that belongs to the
/// exposition, not to the metrics.
///
/// ```
/// use promscribe::{EncodeOptions, EscapingScheme};
/// let o = EncodeOptions::default().created(false).escaping(EscapingScheme::AllowUtf8);
/// assert!(!o.writes_created());
/// assert_eq!(o.escaping_scheme(), EscapingScheme::AllowUtf8);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeOptions {
    created: bool,
    escaping: EscapingScheme,
}

impl Default for EncodeOptions {
    /// `_created` series as [`created_series_enabled`](crate::created_series_enabled)
    /// says (on, unless [`disable_created_series`](crate::disable_created_series)
    /// or `PROMETHEUS_DISABLE_CREATED_SERIES` turned them off); names
    /// escaped with [`EscapingScheme::Underscores`], what a scraper that
    /// does not ask gets.
    fn default() -> Self {
        EncodeOptions {
            created: crate::model::created_series_enabled(),
            escaping: EscapingScheme::default(),
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

    /// How names outside the legacy character set are written (see
    /// [`EscapingScheme`]); `promscribe-export` picks it from the
    /// scraper's `Accept` header.
    ///
    /// ```
    /// use promscribe::{EncodeOptions, EscapingScheme};
    /// let o = EncodeOptions::default().escaping(EscapingScheme::Dots);
    /// assert_eq!(o.escaping_scheme(), EscapingScheme::Dots);
    /// ```
    pub fn escaping(mut self, scheme: EscapingScheme) -> Self {
        self.escaping = scheme;
        self
    }

    /// The escaping scheme names are written with.
    ///
    /// ```
    /// use promscribe::{EncodeOptions, EscapingScheme};
    /// assert_eq!(EncodeOptions::default().escaping_scheme(), EscapingScheme::Underscores);
    /// ```
    pub fn escaping_scheme(&self) -> EscapingScheme {
        self.escaping
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
    if !format.is_text() {
        return Err(fmt::Error);
    }
    let mut kept = registry.scratch();
    let mut own = Scratch::default();
    let scratch = kept
        .as_deref_mut()
        .and_then(Scratch::kept)
        .unwrap_or(&mut own);
    registry.for_each_family(&mut |f| text_family(out, &f, format, options, scratch))?;
    text_end(out, format)
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
    if !format.is_text() {
        return Err(fmt::Error);
    }
    let mut scratch = Scratch::default();
    for f in families {
        text_family(out, &FamilyRef::from(f), format, options, &mut scratch)?;
    }
    text_end(out, format)
}

/// One family in a text format.
pub(crate) fn text_family<W: fmt::Write + ?Sized>(
    out: &mut W,
    f: &FamilyRef<'_>,
    format: Format,
    options: &EncodeOptions,
    scratch: &mut Scratch,
) -> fmt::Result {
    match format {
        Format::OpenMetrics => openmetrics::family(out, f, options, scratch, false),
        Format::OpenMetrics2_0_0 => openmetrics::family(out, f, options, scratch, true),
        _ => text::family(out, f, options, scratch),
    }
}

/// The end of an exposition in a text format (`# EOF` for OpenMetrics).
pub(crate) fn text_end<W: fmt::Write + ?Sized>(out: &mut W, format: Format) -> fmt::Result {
    match format {
        Format::OpenMetrics | Format::OpenMetrics2_0_0 => openmetrics::end(out),
        _ => Ok(()),
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
        Format::Text | Format::Text1_0_0 | Format::OpenMetrics | Format::OpenMetrics2_0_0 => {
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

/// A sample value.
#[derive(Clone, Copy)]
pub(crate) struct Value(f64);

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value(v)
    }
}

impl Value {
    pub(crate) fn write<W: fmt::Write + ?Sized>(self, out: &mut W) -> fmt::Result {
        float::fmt_float(out, self.0)
    }
}

/// What an encoder keeps from one family to the next so that it does not
/// allocate per family: the family's sample names, its rendered bounds.
/// A registry keeps one from one scrape to the next ([`Scratch::kept`]).
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) names: Names,
    pub(crate) le: LeCache,
    /// The start of a histogram series' bucket lines.
    pub(crate) line: String,
    /// The text format's `_created` lines of the family being written.
    pub(crate) created: String,
    /// A label set rendered for the scheme asked for, when it is not kept
    /// rendered (`dots`, `values` with a name outside the legacy set).
    pub(crate) labels: String,
    /// The family name as a label name (a state set's states label).
    pub(crate) state_label: String,
}

impl Scratch {
    /// The buffers kept in a registry's slot, put there on first use.
    pub(crate) fn kept(slot: &mut Kept) -> Option<&mut Scratch> {
        if !matches!(slot, Some(b) if b.is::<Scratch>()) {
            *slot = Some(Box::<Scratch>::default());
        }
        slot.as_mut()?.downcast_mut()
    }
}

/// Writes a histogram's bucket lines, `name_bucket{labels,le="b"} count`
/// (`{"name_bucket",labels,le="b"} count` for a `quoted` name),
/// each followed by `tail(out, bucket index)` (timestamp, exemplar) and a
/// newline. The start of the line is rendered once per series, the `le`
/// pairs once per family.
pub(crate) fn bucket_lines<W, T>(
    out: &mut W,
    line: &mut String,
    le: &mut LeCache,
    (name, quoted): (&str, bool),
    labels: &str,
    h: &HistogramPoint,
    mut tail: T,
) -> fmt::Result
where
    W: fmt::Write + ?Sized,
    T: FnMut(&mut W, usize) -> fmt::Result,
{
    line.clear();
    line.reserve(name.len() + labels.len() + 3);
    if quoted {
        line.push('{');
        line.push_str(name);
        line.push(',');
    } else {
        line.push_str(name);
        line.push('{');
    }
    if !labels.is_empty() {
        line.push_str(labels);
        line.push(',');
    }
    for (i, (pair, count)) in le.get(h.bounds.as_slice()).zip(&h.counts).enumerate() {
        out.write_str(line)?;
        out.write_str(pair)?;
        Value::from(*count).write(out)?;
        tail(out, i)?;
        out.write_char('\n')?;
    }
    Ok(())
}

/// The count of a histogram point with native buckets: its own, else the
/// observations in its buckets (summed as floats: no overflow).
pub(crate) fn native_count(h: &HistogramPoint, nb: &NativeBuckets) -> f64 {
    h.count.unwrap_or_else(|| {
        let side = |b: &[(i32, u64)]| b.iter().map(|(_, c)| *c as f64).sum::<f64>();
        nb.zero_count as f64 + side(&nb.positive) + side(&nb.negative)
    })
}

/// A sample name suffix, an index into [`Names`].
#[derive(Clone, Copy)]
pub(crate) enum Suffix {
    None,
    Total,
    Created,
    Bucket,
    Count,
    Sum,
    GCount,
    GSum,
    Info,
}

const SUFFIXES: [&str; 9] = [
    "", "_total", "_created", "_bucket", "_count", "_sum", "_gcount", "_gsum", "_info",
];

/// A family's sample names (`name_total`, `name_bucket`, ...), written
/// once per family and copied into each line in one piece.
/// A name outside the legacy character set is written as the escaping
/// scheme says: escaped, the suffixes appended (as client_golang escapes a
/// family's name), or quoted whole (`"my.metric_total"`, `allow-utf-8`),
/// which then goes inside the braces.
#[derive(Default)]
pub(crate) struct Names {
    text: String,
    ends: [usize; SUFFIXES.len()],
    /// Whether the names are quoted (they open the label set).
    pub(crate) quoted: bool,
}

impl Names {
    pub(crate) fn set(&mut self, name: &str, scheme: EscapingScheme) {
        self.text.clear();
        self.text
            .reserve(SUFFIXES.len() * name.len() + SUFFIXES.iter().map(|s| s.len()).sum::<usize>());
        let legacy = promscribe_rules::is_valid_legacy_metric_name(name);
        self.quoted = !legacy && scheme == EscapingScheme::AllowUtf8;
        for (end, suffix) in self.ends.iter_mut().zip(SUFFIXES) {
            if legacy {
                self.text.push_str(name);
            } else if self.quoted {
                self.text.push('"');
                // Writing into a `String` cannot fail.
                let _ = float::write_label_value(&mut self.text, name);
                self.text.push_str(suffix);
                self.text.push('"');
                *end = self.text.len();
                continue;
            } else {
                let _ = escaping::write_metric_name(&mut self.text, name, scheme);
            }
            self.text.push_str(suffix);
            *end = self.text.len();
        }
    }

    #[inline]
    pub(crate) fn get(&self, suffix: Suffix) -> &str {
        let i = suffix as usize;
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).copied().unwrap_or(0),
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.text.get(start..end).unwrap_or("")
    }
}

/// The `le="..."} ` ends of bucket lines for the histogram bounds last seen, rendered once
/// and reused for every series with the same bounds (all the children of
/// a histogram family share theirs).
#[derive(Default)]
pub(crate) struct LeCache {
    bounds: Vec<f64>,
    text: String,
    /// End of each bound's text in `text`.
    ends: Vec<usize>,
}

impl LeCache {
    /// The rendered bounds, in order.
    pub(crate) fn get(&mut self, bounds: &[f64]) -> impl Iterator<Item = &str> + '_ {
        let same = self.bounds.len() == bounds.len()
            && self
                .bounds
                .iter()
                .zip(bounds)
                .all(|(a, b)| a.to_bits() == b.to_bits());
        if !same {
            self.bounds.clear();
            self.bounds.extend_from_slice(bounds);
            self.text.clear();
            // `le="` and `"} ` around at most 24 characters each.
            self.text.reserve(bounds.len() * 32);
            self.ends.clear();
            self.ends.reserve(bounds.len());
            for b in bounds {
                self.text.push_str("le=\"");
                // Writing into a `String` cannot fail.
                let _ = float::fmt_float(&mut self.text, *b);
                self.text.push_str("\"} ");
                self.ends.push(self.text.len());
            }
        }
        let text = self.text.as_str();
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = text.get(start..end).unwrap_or("");
            start = end;
            s
        })
    }
}

/// Writes `name{labels,extra="value"}` (the name alone for no labels at
/// all), or `{"name",labels,extra="value"}` for a `quoted` name.
pub(crate) fn write_series<W: fmt::Write + ?Sized>(
    out: &mut W,
    name: &str,
    quoted: bool,
    rendered: &str,
    extra: Option<(&str, Extra<'_>)>,
) -> fmt::Result {
    let no_labels = rendered.is_empty() && extra.is_none();
    if quoted {
        out.write_char('{')?;
        out.write_str(name)?;
        if no_labels {
            return out.write_char('}');
        }
        out.write_char(',')?;
    } else {
        out.write_str(name)?;
        if no_labels {
            return Ok(());
        }
        out.write_char('{')?;
    }
    out.write_str(rendered)?;
    if let Some((name, value)) = extra {
        if !rendered.is_empty() {
            out.write_char(',')?;
        }
        out.write_str(name)?;
        out.write_str("=\"")?;
        match value {
            Extra::Float(v) => crate::render::float::fmt_float(out, v)?,
            Extra::Text(t) => crate::render::float::write_label_value(out, t)?,
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
    // Sized after the previous scrape: the text is written without
    // growing (and copying) the buffer.
    let mut out = String::with_capacity(registry.text_capacity());
    // Writing into a `String` cannot fail.
    let _ = encode(&mut out, registry, Format::Text, &EncodeOptions::default());
    registry.set_text_len(out.len());
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
