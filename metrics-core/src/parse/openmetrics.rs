//! A strict parser of OpenMetrics 1.0.0 text (the rules of the
//! specification's ABNF and data model, checked as Python's
//! `prometheus_client.openmetrics.parser` checks them).
//!
//! The text is read line by line, once: each sample line is lexed into a
//! name, labels, a value, an optional timestamp and an optional exemplar;
//! samples of one label set and timestamp are gathered into one typed
//! [`Point`] (a *MetricPoint*), whose rules are checked when it closes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::ParseError;
use crate::model::{
    Bounds, CounterPoint, Exemplar, HistogramPoint, LabelSet, Metric, MetricFamily, MetricType,
    NativeBuckets, Point, SummaryPoint, EXEMPLAR_MAX_CHARS,
};
use crate::timestamp::Timestamp;

/// Parses an OpenMetrics 1.0.0 exposition strictly into metric families:
/// what [`encode`](crate::encode) writes in
/// [`Format::OpenMetrics`](crate::Format::OpenMetrics) comes back as it
/// was (counter, gauge, histogram, gauge histogram, summary, info, state
/// set, unknown; units, exemplars, `_created`, timestamps).
///
/// Anything the specification forbids is an error naming the line and
/// the metric: a missing or misplaced `# EOF` or text after it, a blank
/// line, a comment other than `# HELP` / `# TYPE` / `# UNIT`, a second
/// `HELP`, `TYPE` or `UNIT` for a family or one after its samples, a unit
/// that is not the name's suffix (or a unit on an info or state set), an
/// unknown type (`untyped` included: OpenMetrics calls it `unknown`), a
/// family appearing twice or clashing with another's sample names (a gauge
/// `x_created` and a counter `x`), metrics or points interleaved, invalid
/// names, labels given twice, bad escapes (an unterminated value, a help
/// ending in a lone backslash), numbers outside the grammar (`1_2`, `0x1`,
/// `1e999`), timestamps that go backwards within a metric or are missing
/// on some of its samples, exemplars anywhere but on a counter's `_total`
/// or a histogram's `_bucket` (or with labels longer than 128 characters,
/// or a value above the bucket's bound), a counter without `_total`,
/// negative or NaN counter, bucket, `_count` and `_sum` values, fractional
/// counts, buckets not increasing or without `+Inf`, `_count` different
/// from the `+Inf` bucket, `_sum` without `_count` (or the reverse), a
/// `_sum` with negative buckets, a quantile outside `[0, 1]`, a state set
/// value other than 0 or 1, an info value other than 1.
///
/// A histogram's (or gauge histogram's) sample named as its family whose
/// value is a native histogram, as Python's client writes it for
/// [`Format::OpenMetrics2_0_0`](crate::Format::OpenMetrics2_0_0)
/// (`h {count:3,sum:1.5,schema:0,zero_threshold:0.001,zero_count:1,positive_spans:[0:2],positive_deltas:[1,0]}`,
/// then a timestamp and any number of exemplars), is read into
/// [`HistogramPoint::native`]: spans and deltas become absolute counts,
/// buckets counting 0 left out. It may stand alone or come with classic
/// buckets, which must then count as many observations (and `_sum` the
/// same sum). A missing, unknown or repeated field, a schema outside -4 to
/// 8, a negative or fractional count, deltas that do not match the spans
/// or make a count negative, a count below the observations in the
/// buckets, or a native value on another sample is an error naming the
/// line.
///
/// ```
/// let text = concat!(
///     "# TYPE h histogram\n",
///     "h {count:3,sum:1.5,schema:0,zero_threshold:0.001,zero_count:1,",
///     "positive_spans:[0:2],positive_deltas:[1,0]}\n",
///     "# EOF\n",
/// );
/// let f = promscribe::parse_openmetrics(text).unwrap();
/// let promscribe::Point::Histogram(h) = &f[0].metrics[0].point else { panic!() };
/// assert_eq!(h.native.as_ref().unwrap().positive, vec![(0, 1), (1, 1)]);
/// let bad = text.replace("[1,0]", "[1,-2]");
/// assert_eq!(promscribe::parse_openmetrics(&bad).unwrap_err().line(), 2);
/// ```
///
/// Metric and label names may be quoted (`{"my.metric",label="x"}`,
/// `# TYPE "my.metric" gauge`), as Prometheus 3 and Python's parser read
/// them. Timestamps are kept as written, to the nanosecond
/// ([`Metric::timestamp`], a [`Timestamp`](crate::Timestamp) of `i64`
/// seconds; digits past the nanosecond round it down), so points of one
/// metric a microsecond apart are distinct; a timestamp beyond `i64`
/// seconds (or NaN, or infinite) is an error naming it. No input makes it panic; the time taken is
/// linear in the length of the text.
///
/// ```
/// use promscribe::{parse_openmetrics, MetricType, Point};
/// let text = concat!(
///     "# TYPE jobs counter\n",
///     "# HELP jobs Jobs run\n",
///     "jobs_total{queue=\"a\"} 3.0 # {trace_id=\"abc\"} 1.0 1700000000.5\n",
///     "jobs_created{queue=\"a\"} 1.7e9\n",
///     "# EOF\n",
/// );
/// let families = parse_openmetrics(text).unwrap();
/// assert_eq!(families[0].name, "jobs");
/// assert_eq!(families[0].kind, MetricType::Counter);
/// let Point::Counter(c) = &families[0].metrics[0].point else { panic!() };
/// assert_eq!((c.value, c.created), (3.0, Some(1.7e9)));
/// assert_eq!(c.exemplar.as_ref().unwrap().labels[0].1, "abc");
///
/// let err = parse_openmetrics("# TYPE jobs counter\njobs_total -1\n# EOF\n").unwrap_err();
/// assert_eq!(err.line(), 2);
/// assert!(err.message().contains("negative"));
/// assert!(parse_openmetrics("up 1\n").unwrap_err().message().contains("# EOF"));
/// ```
pub fn parse_openmetrics(text: &str) -> Result<Vec<MetricFamily>, ParseError> {
    let mut parser = Parser::default();
    let last = text.bytes().filter(|b| *b == b'\n').count();
    let mut eof: Option<usize> = None;
    for (i, line) in text.split('\n').enumerate() {
        let n = i + 1;
        if let Some(eof) = eof {
            if i == last && line.is_empty() {
                break;
            }
            return Err(ParseError::new(
                n,
                format!("text after `# EOF` (line {eof}): `# EOF` must end the exposition"),
            ));
        }
        if line.is_empty() {
            if i == last {
                break;
            }
            return Err(ParseError::new(
                n,
                "blank line: OpenMetrics allows none".to_owned(),
            ));
        }
        if line == "# EOF" {
            parser.finish()?;
            eof = Some(n);
        } else if line.starts_with('#') {
            parser.metadata(n, line)?;
        } else {
            parser.sample(n, line)?;
        }
    }
    if eof.is_none() {
        return Err(ParseError::new(
            last + 1,
            "missing `# EOF` at the end of the exposition".to_owned(),
        ));
    }
    Ok(parser.out)
}

#[derive(Default)]
struct Parser {
    out: Vec<MetricFamily>,
    cur: Option<Fam>,
    /// Sample names reserved by the families read: name, kind and line of
    /// the family reserving each.
    taken: HashMap<String, (String, MetricType, usize)>,
}

/// Label pairs as read.
type Labels = Vec<(String, String)>;

/// The family being read.
struct Fam {
    name: String,
    line: usize,
    kind: Option<MetricType>,
    help: Option<String>,
    unit: Option<String>,
    has_samples: bool,
    metrics: Vec<Metric>,
    /// The labels (sorted) of the metric being read, and its timestamp.
    group: Option<(Labels, Option<Timestamp>)>,
    /// Every label set read, so that a metric coming back is caught.
    seen_groups: HashSet<Labels>,
    point: Option<Acc>,
    /// An error of the point closed by a sample, reported at its own line.
    closed_with: Option<ParseError>,
}

/// A point being gathered from its samples.
struct Acc {
    labels: Vec<(String, String)>,
    timestamp: Option<Timestamp>,
    /// The line of its last sample.
    line: usize,
    value: AccValue,
}

enum AccValue {
    Counter {
        total: Option<(f64, Option<Arc<Exemplar>>)>,
        created: Option<f64>,
    },
    Gauge(f64),
    Unknown(f64),
    Info,
    StateSet(Vec<(String, bool)>, HashSet<String>),
    Summary {
        quantiles: Vec<(f64, f64)>,
        seen: HashSet<u64>,
        count: Option<f64>,
        sum: Option<f64>,
        created: Option<f64>,
    },
    Histogram {
        gauge: bool,
        bounds: Vec<f64>,
        counts: Vec<f64>,
        exemplars: Vec<Option<Arc<Exemplar>>>,
        count: Option<f64>,
        sum: Option<f64>,
        created: Option<f64>,
        native: Option<Box<NativeValue>>,
    },
}

/// What a sample is within its point.
enum Part {
    Value,
    Total,
    Created,
    Bucket(f64),
    Count,
    Sum,
    Quantile(f64),
    State(String),
    Native(Box<NativeValue>),
}

/// A lexed sample line.
struct RawSample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
    timestamp: Option<Timestamp>,
    exemplar: Option<Exemplar>,
    /// A native histogram value (`{count:..,sum:..,...}`), its exemplars
    /// in its buckets.
    native: Option<Box<NativeValue>>,
}

/// A native histogram sample's value.
struct NativeValue {
    count: f64,
    sum: f64,
    buckets: NativeBuckets,
}

/// Suffixes of the sample names of a family of this type.
fn suffixes(kind: MetricType) -> &'static [&'static str] {
    match kind {
        MetricType::Counter => &["_total", "_created"],
        MetricType::Summary => &["", "_count", "_sum", "_created"],
        MetricType::Histogram => &["_bucket", "_count", "_sum", "_created"],
        MetricType::GaugeHistogram => &["_bucket", "_gcount", "_gsum"],
        MetricType::Info => &["_info"],
        MetricType::Gauge | MetricType::StateSet | MetricType::Unknown => &[""],
    }
}

impl Fam {
    fn new(name: String, line: usize) -> Fam {
        Fam {
            name,
            line,
            kind: None,
            help: None,
            unit: None,
            has_samples: false,
            metrics: Vec::new(),
            group: None,
            seen_groups: HashSet::new(),
            point: None,
            closed_with: None,
        }
    }

    fn kind(&self) -> MetricType {
        self.kind.unwrap_or(MetricType::Unknown)
    }

    /// The suffix of `sample` when it belongs to this family.
    fn suffix_of<'a>(&self, sample: &'a str) -> Option<&'a str> {
        let suffix = sample.strip_prefix(self.name.as_str())?;
        suffixes(self.kind()).contains(&suffix).then_some(suffix)
    }
}

impl Parser {
    fn metadata(&mut self, n: usize, line: &str) -> Result<(), ParseError> {
        let err = |m: String| ParseError::new(n, m);
        let Some(rest) = line.strip_prefix("# ") else {
            return Err(err(format!(
                "`{line}`: the only comment lines OpenMetrics allows are `# HELP`, `# TYPE`, \
                 `# UNIT` and `# EOF`, each `#` followed by one space"
            )));
        };
        let (keyword, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        if !matches!(keyword, "HELP" | "TYPE" | "UNIT") {
            return Err(err(format!(
                "`{line}`: the only comment lines OpenMetrics allows are `# HELP`, `# TYPE`, \
                 `# UNIT` and `# EOF`"
            )));
        }
        let (name, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let (name, end) = read_quoted(quoted, 0)
                .map_err(|m| err(format!("{keyword} line: metric name {m}")))?;
            (name, &quoted[end..])
        } else {
            let end = legacy_name_end(rest);
            (rest[..end].to_owned(), &rest[end..])
        };
        if name.is_empty() {
            return Err(err(format!("{keyword} line without a metric name")));
        }
        let Some(text) = after.strip_prefix(' ') else {
            return Err(err(match after.chars().next() {
                None => format!(
                    "{keyword} line for `{name}` ends after the name: a space and the {} must \
                     follow (possibly empty)",
                    keyword.to_ascii_lowercase()
                ),
                Some(c) => format!(
                    "invalid character `{c:?}` after metric name `{name}` in {keyword} line"
                ),
            }));
        };
        if self.cur.as_ref().is_some_and(|c| c.name == name) {
            if self.cur.as_ref().is_some_and(|c| c.has_samples) {
                return Err(err(format!(
                    "{keyword} line for `{name}` after its samples: metadata must come first"
                )));
            }
        } else {
            self.finish()?;
            self.cur = Some(Fam::new(name.clone(), n));
        }
        let Some(fam) = self.cur.as_mut() else {
            return Ok(());
        };
        let twice = |what: &str| err(format!("second {what} line for metric `{name}`"));
        match keyword {
            "HELP" => {
                if fam.help.is_some() {
                    return Err(twice("HELP"));
                }
                fam.help =
                    Some(unescape_help(text).ok_or_else(|| {
                        err(format!("HELP of `{name}` ends in a lone backslash"))
                    })?);
            }
            "TYPE" => {
                if fam.kind.is_some() {
                    return Err(twice("TYPE"));
                }
                fam.kind = Some(match text {
                    "counter" => MetricType::Counter,
                    "gauge" => MetricType::Gauge,
                    "histogram" => MetricType::Histogram,
                    "gaugehistogram" => MetricType::GaugeHistogram,
                    "summary" => MetricType::Summary,
                    "info" => MetricType::Info,
                    "stateset" => MetricType::StateSet,
                    "unknown" => MetricType::Unknown,
                    "untyped" => {
                        return Err(err(format!(
                            "type `untyped` of `{name}`: OpenMetrics calls it `unknown`"
                        )))
                    }
                    other => {
                        return Err(err(format!(
                            "unknown type `{other}` for metric `{name}`: OpenMetrics has counter, \
                             gauge, histogram, gaugehistogram, summary, info, stateset and unknown"
                        )))
                    }
                });
            }
            _ => {
                if fam.unit.is_some() {
                    return Err(twice("UNIT"));
                }
                if let Some(c) = text
                    .chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == ':'))
                {
                    return Err(err(format!(
                        "invalid character `{c:?}` in unit `{text}` of `{name}`"
                    )));
                }
                fam.unit = Some(text.to_owned());
            }
        }
        Ok(())
    }

    fn sample(&mut self, n: usize, line: &str) -> Result<(), ParseError> {
        let s = lex_sample(line).map_err(|m| ParseError::new(n, m))?;
        let belongs = self.cur.as_ref().is_some_and(|c| {
            c.suffix_of(&s.name).is_some()
                || (s.native.is_some()
                    && c.name == s.name
                    && matches!(c.kind(), MetricType::Histogram | MetricType::GaugeHistogram))
        });
        if !belongs {
            if let Some(c) = self.cur.as_ref().filter(|c| c.name == s.name) {
                let names: Vec<String> = suffixes(c.kind())
                    .iter()
                    .map(|x| format!("`{}{x}`", c.name))
                    .collect();
                return Err(ParseError::new(
                    n,
                    format!(
                        "sample `{}` in {} `{}`: its samples are named {}",
                        s.name,
                        c.kind(),
                        c.name,
                        names.join(", ")
                    ),
                ));
            }
            self.finish()?;
            let mut fam = Fam::new(s.name.clone(), n);
            fam.kind = Some(MetricType::Unknown);
            self.cur = Some(fam);
        }
        let Some(fam) = self.cur.as_mut() else {
            return Ok(());
        };
        fam.has_samples = true;
        fam.add(n, s).map_err(|m| {
            fam.closed_with
                .take()
                .unwrap_or_else(|| ParseError::new(n, m))
        })
    }

    /// Closes the current family: its last point, its unit, its names.
    fn finish(&mut self) -> Result<(), ParseError> {
        let Some(mut fam) = self.cur.take() else {
            return Ok(());
        };
        fam.close_point()?;
        let kind = fam.kind();
        let name = fam.name.clone();
        let unit = fam.unit.take().unwrap_or_default();
        if !unit.is_empty() {
            if matches!(kind, MetricType::Info | MetricType::StateSet) {
                return Err(ParseError::new(
                    fam.line,
                    format!("{kind} `{name}` has unit `{unit}`: an {kind} has none"),
                ));
            }
            if !name.ends_with(&format!("_{unit}")) {
                return Err(ParseError::new(
                    fam.line,
                    format!("unit `{unit}` of `{name}` is not the suffix of its name (`_{unit}`)"),
                ));
            }
        }
        let names = std::iter::once("")
            .chain(kind.sample_suffixes().iter().copied())
            .map(|s| format!("{name}{s}"));
        for sample_name in names {
            if let Some((other, other_kind, other_line)) = self.taken.get(&sample_name) {
                let what = if *other == name {
                    format!("family `{name}` appears again")
                } else {
                    format!("{kind} `{name}` clashes with {other_kind} `{other}`")
                };
                return Err(ParseError::new(
                    fam.line,
                    format!(
                        "{what} (first at line {other_line}; both name samples `{sample_name}`): \
                         a family must be written once, its samples together"
                    ),
                ));
            }
            self.taken
                .insert(sample_name, (name.clone(), kind, fam.line));
        }
        let mut family = MetricFamily::new(name, fam.help.take().unwrap_or_default(), kind);
        family.unit = unit;
        family.metrics = fam.metrics;
        self.out.push(family);
        Ok(())
    }
}

impl Fam {
    /// Adds a sample of this family.
    fn add(&mut self, n: usize, s: RawSample) -> Result<(), String> {
        let kind = self.kind();
        let suffix = self.suffix_of(&s.name).unwrap_or("");
        let mut labels = s.labels;
        let sample = &s.name;
        let value = s.value;
        let take = |labels: &mut Vec<(String, String)>, label: &str| {
            let i = labels.iter().position(|(k, _)| k == label)?;
            Some(labels.remove(i).1)
        };
        let has =
            |labels: &Vec<(String, String)>, label: &str| labels.iter().any(|(k, _)| k == label);
        if s.exemplar.is_some()
            && !matches!(
                (kind, suffix),
                (MetricType::Counter, "_total")
                    | (
                        MetricType::Histogram | MetricType::GaugeHistogram,
                        "_bucket"
                    )
            )
        {
            return Err(format!(
                "exemplar on `{sample}` ({kind}): only a counter's `_total` and a histogram's \
                 `_bucket` samples may have one"
            ));
        }
        let histogram = matches!(kind, MetricType::Histogram | MetricType::GaugeHistogram);
        let part = match (kind, suffix, s.native) {
            (MetricType::Histogram | MetricType::GaugeHistogram, "", Some(native)) => {
                Part::Native(native)
            }
            (_, _, Some(_)) => {
                return Err(format!(
                    "`{sample}` has a native histogram value, which only the sample named as \
                     its histogram (or gauge histogram) family may have: `{sample}` is {kind}"
                ))
            }
            (kind, suffix, None) => match (kind, suffix) {
                (MetricType::Counter, "_total") => Part::Total,
                (MetricType::Counter | MetricType::Histogram | MetricType::Summary, "_created") => {
                    Part::Created
                }
                (MetricType::Histogram | MetricType::GaugeHistogram, "_bucket") => {
                    let le = take(&mut labels, "le")
                        .ok_or_else(|| format!("bucket `{sample}` has no `le` label"))?;
                    let bound = parse_number(&le).filter(|b| !b.is_nan()).ok_or_else(|| {
                        format!("`le` label `{le}` of `{sample}` is not a number")
                    })?;
                    if bound == f64::INFINITY && le != "+Inf" {
                        return Err(format!(
                            "`le` label `{le}` of `{sample}`: positive infinity is written `+Inf`"
                        ));
                    }
                    Part::Bucket(bound)
                }
                (MetricType::Histogram | MetricType::Summary, "_count")
                | (MetricType::GaugeHistogram, "_gcount") => Part::Count,
                (MetricType::Histogram | MetricType::Summary, "_sum")
                | (MetricType::GaugeHistogram, "_gsum") => Part::Sum,
                (MetricType::Summary, "") => {
                    let q = take(&mut labels, "quantile").ok_or_else(|| {
                        format!("summary sample `{sample}` has no `quantile` label")
                    })?;
                    let quantile = parse_number(&q)
                        .filter(|q| (0.0..=1.0).contains(q))
                        .ok_or_else(|| {
                            format!(
                                "`quantile` label `{q}` of `{sample}` is not a number from 0 to 1"
                            )
                        })?;
                    Part::Quantile(quantile)
                }
                (MetricType::StateSet, "") => {
                    let state = take(&mut labels, &self.name).ok_or_else(|| {
                        format!(
                            "state set sample `{sample}` has no `{}` label naming its state",
                            self.name
                        )
                    })?;
                    Part::State(state)
                }
                _ => Part::Value,
            },
        };
        if histogram && !matches!(part, Part::Bucket(_)) && has(&labels, "le") {
            return Err(format!(
                "`{sample}` has an `le` label: only a histogram's buckets may"
            ));
        }
        if kind == MetricType::Summary
            && !matches!(part, Part::Quantile(_))
            && has(&labels, "quantile")
        {
            return Err(format!(
                "`{sample}` has a `quantile` label: only a summary's quantiles may"
            ));
        }
        // Values.
        let counter_like = matches!(part, Part::Total | Part::Bucket(_) | Part::Count)
            || matches!(part, Part::Sum) && kind != MetricType::GaugeHistogram;
        if (counter_like || matches!(part, Part::Sum)) && value.is_nan() {
            return Err(format!(
                "`{sample}` is NaN: it counts, so it must be a number"
            ));
        }
        if counter_like && value < 0.0 {
            return Err(format!(
                "`{sample}` is negative ({value}): it counts, so it must not be"
            ));
        }
        if matches!(part, Part::Bucket(_) | Part::Count) && (value.fract() != 0.0) {
            return Err(format!(
                "`{sample}` is {value}: a count must be a whole number"
            ));
        }
        match part {
            Part::State(_) if value != 0.0 && value != 1.0 => {
                return Err(format!(
                    "state set sample `{sample}` is {value}: a state is 0 or 1"
                ))
            }
            Part::Value if kind == MetricType::Info && value != 1.0 => {
                return Err(format!(
                    "info sample `{sample}` is {value}: an info is always 1"
                ))
            }
            Part::Quantile(_) if value < 0.0 => {
                return Err(format!("quantile `{sample}` is negative ({value})"))
            }
            _ => {}
        }
        // Which point: a new label set, or a later timestamp, starts one.
        let mut key = labels.clone();
        key.sort_unstable();
        let same_group = self.group.as_ref().is_some_and(|(g, _)| *g == key);
        if same_group {
            let last_ts = self.group.as_ref().and_then(|(_, t)| *t);
            match (last_ts, s.timestamp) {
                (None, None) => {}
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) if b > a => {
                    self.close_point_in_add()?;
                    if let Some(g) = self.group.as_mut() {
                        g.1 = Some(b);
                    }
                }
                (Some(a), Some(b)) => {
                    return Err(format!(
                        "timestamp of `{sample}` ({b} s) is before the previous one of its metric \
                         ({a} s): the points of a metric must go forward in time"
                    ))
                }
                _ => {
                    return Err(format!(
                        "`{sample}` {} a timestamp but other samples of its metric {}: all or none must",
                        if s.timestamp.is_some() { "has" } else { "has no" },
                        if last_ts.is_some() { "have one" } else { "have none" }
                    ))
                }
            }
        } else {
            if self.seen_groups.contains(&key) {
                return Err(format!(
                    "`{sample}{}` belongs to a metric written earlier: the samples of one \
                     metric must be together",
                    show_labels(&labels)
                ));
            }
            self.close_point_in_add()?;
            self.seen_groups.insert(key.clone());
            self.group = Some((key, s.timestamp));
        }
        let acc = self.point.get_or_insert_with(|| Acc {
            labels,
            timestamp: s.timestamp,
            line: n,
            value: match kind {
                MetricType::Counter => AccValue::Counter {
                    total: None,
                    created: None,
                },
                MetricType::Gauge => AccValue::Gauge(value),
                MetricType::Unknown => AccValue::Unknown(value),
                MetricType::Info => AccValue::Info,
                MetricType::StateSet => AccValue::StateSet(Vec::new(), HashSet::new()),
                MetricType::Summary => AccValue::Summary {
                    quantiles: Vec::new(),
                    seen: HashSet::new(),
                    count: None,
                    sum: None,
                    created: None,
                },
                MetricType::Histogram | MetricType::GaugeHistogram => AccValue::Histogram {
                    gauge: kind == MetricType::GaugeHistogram,
                    bounds: Vec::new(),
                    counts: Vec::new(),
                    exemplars: Vec::new(),
                    count: None,
                    sum: None,
                    created: None,
                    native: None,
                },
            },
        });
        let fresh = acc.line == n;
        acc.line = n;
        let twice = || format!("`{sample}` is given twice for one point of its metric");
        let set = |slot: &mut Option<f64>| {
            if slot.is_some() {
                return Err(twice());
            }
            *slot = Some(value);
            Ok(())
        };
        match (&mut acc.value, part) {
            (AccValue::Counter { total, .. }, Part::Total) => {
                if total.is_some() {
                    return Err(twice());
                }
                *total = Some((value, s.exemplar.map(Arc::new)));
            }
            (AccValue::Counter { created, .. }, Part::Created)
            | (AccValue::Summary { created, .. }, Part::Created)
            | (AccValue::Histogram { created, .. }, Part::Created) => set(created)?,
            (AccValue::Gauge(_) | AccValue::Unknown(_) | AccValue::Info, Part::Value) => {
                if !fresh {
                    return Err(twice());
                }
            }
            (AccValue::StateSet(states, seen), Part::State(state)) => {
                if !seen.insert(state.clone()) {
                    return Err(format!(
                        "state `{state}` of `{sample}` is given twice for one point"
                    ));
                }
                states.push((state, value == 1.0));
            }
            (
                AccValue::Summary {
                    quantiles, seen, ..
                },
                Part::Quantile(q),
            ) => {
                if !seen.insert(q.to_bits()) {
                    return Err(format!(
                        "quantile {q} of `{sample}` is given twice for one point"
                    ));
                }
                quantiles.push((q, value));
            }
            (AccValue::Summary { count, .. }, Part::Count)
            | (AccValue::Histogram { count, .. }, Part::Count) => set(count)?,
            (AccValue::Summary { sum, .. }, Part::Sum)
            | (AccValue::Histogram { sum, .. }, Part::Sum) => set(sum)?,
            (AccValue::Histogram { native, .. }, Part::Native(value)) => {
                if native.is_some() {
                    return Err(twice());
                }
                *native = Some(value);
            }
            (
                AccValue::Histogram {
                    bounds,
                    counts,
                    exemplars,
                    ..
                },
                Part::Bucket(le),
            ) => {
                if let Some(prev) = bounds.last() {
                    if *prev >= le {
                        return Err(format!(
                            "bucket `{sample}` le={le} after le={prev}: buckets must be in \
                             increasing order of `le`, each once"
                        ));
                    }
                }
                if let Some(prev) = counts.last() {
                    if *prev > value {
                        return Err(format!(
                            "bucket `{sample}` le={le} counts {value}, less than the bucket \
                             before it ({prev}): buckets are cumulative"
                        ));
                    }
                }
                if let Some(e) = &s.exemplar {
                    if e.value.is_nan() || e.value > le {
                        return Err(format!(
                            "exemplar value {} of bucket `{sample}` le={le} is above the bucket's bound",
                            e.value
                        ));
                    }
                }
                bounds.push(le);
                counts.push(value);
                if s.exemplar.is_some() && exemplars.is_empty() {
                    exemplars.resize(bounds.len() - 1, None);
                }
                if !exemplars.is_empty() || s.exemplar.is_some() {
                    exemplars.push(s.exemplar.map(Arc::new));
                }
            }
            _ => return Err(twice()),
        }
        Ok(())
    }

    /// [`close_point`](Fam::close_point) from [`add`](Fam::add): the error
    /// is kept with its line.
    fn close_point_in_add(&mut self) -> Result<(), String> {
        self.close_point().map_err(|e| {
            let m = e.message().to_owned();
            self.closed_with = Some(e);
            m
        })
    }

    /// Checks the point being read and adds it to the family's metrics.
    fn close_point(&mut self) -> Result<(), ParseError> {
        let Some(acc) = self.point.take() else {
            return Ok(());
        };
        let err = |m: String| ParseError::new(acc.line, m);
        let name = &self.name;
        let shown = show_labels(&acc.labels);
        let point = match acc.value {
            AccValue::Counter { total, created } => {
                let Some((value, exemplar)) = total else {
                    return Err(err(format!(
                        "counter `{name}{shown}` has no `{name}_total` sample: `_created` \
                         alone is not a point"
                    )));
                };
                Point::Counter(CounterPoint {
                    value,
                    created,
                    exemplar,
                })
            }
            AccValue::Gauge(v) => Point::Gauge(v),
            AccValue::Unknown(v) => Point::Unknown(v),
            AccValue::Info => Point::Info,
            AccValue::StateSet(states, _) => Point::StateSet(states),
            AccValue::Summary {
                quantiles,
                count,
                sum,
                created,
                ..
            } => Point::Summary(SummaryPoint {
                count,
                sum,
                quantiles,
                created,
            }),
            AccValue::Histogram {
                gauge,
                bounds,
                counts,
                mut exemplars,
                count,
                sum,
                created,
                native,
            } => {
                let (c, s) = if gauge {
                    ("_gcount", "_gsum")
                } else {
                    ("_count", "_sum")
                };
                let kind = if gauge {
                    "gauge histogram"
                } else {
                    "histogram"
                };
                if let (Some(n), true) = (&native, bounds.is_empty()) {
                    // Native buckets only: the native sample is the point.
                    if let Some(what) = count.map(|_| c).or(sum.map(|_| s)) {
                        return Err(err(format!(
                            "{kind} `{name}{shown}` has `{what}` and native buckets but no \
                             classic bucket: a `{what}` comes with the `+Inf` bucket"
                        )));
                    }
                    let p = HistogramPoint {
                        bounds: Bounds::from(Vec::new()),
                        counts: Vec::new(),
                        count: Some(n.count),
                        sum: Some(n.sum),
                        created,
                        exemplars: Vec::new(),
                        native: native.map(|n| Box::new(n.buckets)),
                    };
                    let point = if gauge {
                        Point::GaugeHistogram(p)
                    } else {
                        Point::Histogram(p)
                    };
                    self.metrics.push(Metric {
                        labels: LabelSet::new(acc.labels),
                        point,
                        timestamp: acc.timestamp,
                    });
                    return Ok(());
                }
                let (Some(f64::INFINITY), Some(inf)) = (bounds.last().copied(), counts.last())
                else {
                    return Err(err(format!("{kind} `{name}{shown}` has no `+Inf` bucket")));
                };
                if let Some(n) = &native {
                    if n.count != *inf {
                        return Err(err(format!(
                            "the native buckets of `{name}{shown}` count {} observations but \
                             its `+Inf` bucket {inf}: they must be equal",
                            n.count
                        )));
                    }
                    if let Some(sum) =
                        sum.filter(|v| *v != n.sum && !(v.is_nan() && n.sum.is_nan()))
                    {
                        return Err(err(format!(
                            "the native buckets of `{name}{shown}` sum to {} but its `{s}` is \
                             {sum}: they must be equal",
                            n.sum
                        )));
                    }
                }
                if let Some(count) = count {
                    if count != *inf {
                        return Err(err(format!(
                            "`{name}{c}{shown}` is {count} but the `+Inf` bucket counts {inf}: \
                             they must be equal"
                        )));
                    }
                }
                match (count.is_some(), sum.is_some()) {
                    (true, false) => {
                        return Err(err(format!(
                            "{kind} `{name}{shown}` has `{c}` but no `{s}`: both or neither"
                        )))
                    }
                    (false, true) => {
                        return Err(err(format!(
                            "{kind} `{name}{shown}` has `{s}` but no `{c}`: both or neither"
                        )))
                    }
                    _ => {}
                }
                let negative_buckets = bounds.first().is_some_and(|b| *b < 0.0);
                if !gauge && negative_buckets && sum.is_some() {
                    return Err(err(format!(
                        "histogram `{name}{shown}` has negative buckets and a `_sum`: a sum \
                         is then not a counter, and must be left out"
                    )));
                }
                if gauge && !negative_buckets && sum.is_some_and(|s| s < 0.0) {
                    return Err(err(format!(
                        "gauge histogram `{name}{shown}` has a negative `_gsum` but no \
                         negative bucket"
                    )));
                }
                if !exemplars.is_empty() {
                    exemplars.resize(bounds.len(), None);
                }
                let p = HistogramPoint {
                    bounds: Bounds::from(bounds),
                    counts,
                    count,
                    sum,
                    created,
                    exemplars,
                    native: native.map(|n| Box::new(n.buckets)),
                };
                if gauge {
                    Point::GaugeHistogram(p)
                } else {
                    Point::Histogram(p)
                }
            }
        };
        self.metrics.push(Metric {
            labels: LabelSet::new(acc.labels),
            point,
            timestamp: acc.timestamp,
        });
        Ok(())
    }
}

/// `{a="1",b="2"}` for messages (nothing for no labels).
fn show_labels(labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let mut s = String::from("{");
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(k);
        s.push_str("=\"");
        crate::render::float::escape_label_value(&mut s, v);
        s.push('"');
    }
    s.push('}');
    s
}

/// Length of the legacy metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`) at the
/// start of `s`.
fn legacy_name_end(s: &str) -> usize {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b':' => {}
        _ => return 0,
    }
    b.iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b':'))
        .unwrap_or(b.len())
}

/// Length of the label name (`[a-zA-Z_][a-zA-Z0-9_]*`) at the start of `s`.
fn label_name_end(s: &str) -> usize {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return 0,
    }
    b.iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .unwrap_or(b.len())
}

/// Reads a quoted string of `s` starting at `i` (after its opening quote):
/// the unescaped text and the index after the closing quote. `\\`, `\n`
/// and `\"` are escapes; a backslash before any other character is kept
/// (the ABNF's `BS normal-char`).
fn read_quoted(s: &str, mut i: usize) -> Result<(String, usize), String> {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut start = i;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                out.push_str(&s[start..i]);
                return Ok((out, i + 1));
            }
            b'\\' => {
                out.push_str(&s[start..i]);
                match b.get(i + 1) {
                    Some(b'\\') => out.push('\\'),
                    Some(b'"') => out.push('"'),
                    Some(b'n') => out.push('\n'),
                    Some(_) => {
                        // Kept as written, the next character included.
                        out.push('\\');
                        i += 1;
                        start = i;
                        continue;
                    }
                    None => break,
                }
                i += 2;
                start = i;
            }
            _ => i += 1,
        }
    }
    Err("has no closing quote (an escaped `\\\"` does not close it)".to_owned())
}

/// Unescapes a HELP text; `None` for a lone backslash at the end.
fn unescape_help(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            '"' => out.push('"'),
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

/// Label names read so far on a line: a scan for a few, a hash set
/// beyond, so that a line of n labels is checked in O(n).
#[derive(Default)]
struct SeenNames {
    set: Option<HashSet<String>>,
}

impl SeenNames {
    /// Whether `name` is new among `labels` (the pairs read so far).
    fn insert(&mut self, labels: &[(String, String)], name: &str) -> bool {
        const SCAN: usize = 16;
        if self.set.is_none() && labels.len() < SCAN {
            #[cfg(test)]
            tests::SCANNED.with(|c| c.set(c.get() + labels.len()));
            return !labels.iter().any(|(k, _)| k == name);
        }
        let set = self
            .set
            .get_or_insert_with(|| labels.iter().map(|(k, _)| k.clone()).collect());
        set.insert(name.to_owned())
    }
}

/// Reads labels after `{` at `i` up to and including `}`; returns the
/// index after it. `name`, when given, receives a quoted metric name
/// written as a term of its own (`{"my.metric",a="1"}`).
fn read_labels(
    line: &str,
    mut i: usize,
    labels: &mut Vec<(String, String)>,
    mut name: Option<&mut Option<String>>,
    what: &str,
) -> Result<usize, String> {
    let b = line.as_bytes();
    let mut seen = SeenNames::default();
    if b.get(i) == Some(&b'}') {
        return Ok(i + 1);
    }
    loop {
        let label = match b.get(i) {
            Some(b'"') => {
                let (text, end) = read_quoted(line, i + 1)
                    .map_err(|m| format!("a quoted name in the labels of {what} {m}"))?;
                i = end;
                if b.get(i) != Some(&b'=') {
                    // A metric name of its own.
                    match name.as_deref_mut() {
                        Some(slot) if slot.is_none() && !text.is_empty() => *slot = Some(text),
                        Some(Some(first)) => {
                            return Err(format!(
                                "{what} names its metric twice (`{first}` and `\"{text}\"`)"
                            ))
                        }
                        _ => {
                            return Err(format!(
                                "expected `=` after the quoted label name `{text}` in {what}"
                            ))
                        }
                    }
                    None
                } else {
                    if text.is_empty() || text.starts_with("__") {
                        return Err(format!(
                            "invalid label name `\"{text}\"` in {what}: empty or reserved (`__`)"
                        ));
                    }
                    Some(text)
                }
            }
            Some(_) => {
                let end = i + label_name_end(&line[i..]);
                let text = &line[i..end];
                if text.is_empty() {
                    let c = line[i..].chars().next().unwrap_or(' ');
                    return Err(format!("expected a label name in {what}, found `{c}`"));
                }
                if text.starts_with("__") {
                    return Err(format!(
                        "label name `{text}` in {what} is reserved (it starts with `__`)"
                    ));
                }
                i = end;
                if b.get(i) != Some(&b'=') {
                    return Err(match line[i..].chars().next() {
                        None => format!("labels of {what} not closed with `}}`"),
                        Some(c) => {
                            format!("expected `=` after label name `{text}` in {what}, found `{c}`")
                        }
                    });
                }
                Some(text.to_owned())
            }
            None => return Err(format!("labels of {what} not closed with `}}`")),
        };
        if let Some(label) = label {
            // At `=`.
            i += 1;
            if b.get(i) != Some(&b'"') {
                return Err(format!(
                    "the value of label `{label}` in {what} must be quoted"
                ));
            }
            let (value, end) = read_quoted(line, i + 1)
                .map_err(|m| format!("the value of label `{label}` in {what} {m}"))?;
            i = end;
            if !seen.insert(labels, &label) {
                return Err(format!("label `{label}` is given twice in {what}"));
            }
            labels.push((label, value));
        }
        match b.get(i) {
            Some(b'}') => return Ok(i + 1),
            Some(b',') => {
                i += 1;
                // Blanks after a comma, as in `{"my.metric", a="1"}`.
                while b.get(i) == Some(&b' ') {
                    i += 1;
                }
                if b.get(i) == Some(&b'}') {
                    return Err(format!("trailing comma in the labels of {what}"));
                }
            }
            None => return Err(format!("labels of {what} not closed with `}}`")),
            Some(_) => {
                let c = line[i..].chars().next().unwrap_or(' ');
                return Err(format!(
                    "expected `,` or `}}` after a label in {what}, found `{c}`"
                ));
            }
        }
    }
}

/// The token of `line` at `i` up to the next space (or the end).
fn token(line: &str, i: usize) -> &str {
    let rest = line.get(i..).unwrap_or("");
    rest.split(' ').next().unwrap_or("")
}

/// Lexes `name[{labels}] value [timestamp] [# {labels} value [timestamp]]`.
fn lex_sample(line: &str) -> Result<RawSample, String> {
    let b = line.as_bytes();
    let mut name: Option<String> = None;
    let mut i = 0;
    if b.first() != Some(&b'{') {
        i = legacy_name_end(line);
        if i == 0 {
            let c = line.chars().next().unwrap_or(' ');
            return Err(format!(
                "expected a metric name at the start of the line, found `{c}`"
            ));
        }
        name = Some(line[..i].to_owned());
    }
    let mut labels = Vec::new();
    if b.get(i) == Some(&b'{') {
        let what = match &name {
            Some(n) => format!("`{n}`"),
            None => "a sample".to_owned(),
        };
        let slot = if name.is_none() {
            Some(&mut name)
        } else {
            None
        };
        i = read_labels(line, i + 1, &mut labels, slot, &what)?;
    }
    let Some(name) = name else {
        return Err(
            "the labels of a sample without a name must start with the quoted metric name"
                .to_owned(),
        );
    };
    match b.get(i) {
        Some(b' ') => i += 1,
        None => return Err(format!("sample `{name}` has no value")),
        Some(_) => {
            let c = line[i..].chars().next().unwrap_or(' ');
            return Err(format!(
                "invalid character `{c}` after `{name}`: a space and the value must follow"
            ));
        }
    }
    if b.get(i) == Some(&b'{') {
        return lex_native_sample(line, i, name, labels);
    }
    let v = token(line, i);
    let value = parse_number(v).ok_or_else(|| {
        if v.is_empty() {
            format!("sample `{name}` has no value (one space before it, no more)")
        } else {
            format!("invalid value `{v}` of sample `{name}`")
        }
    })?;
    i += v.len();
    let mut timestamp = None;
    let mut exemplar = None;
    if i < line.len() {
        i += 1;
        if b.get(i) != Some(&b'#') {
            let t = token(line, i);
            if t.is_empty() {
                return Err(format!("trailing space after sample `{name}`"));
            }
            timestamp = Some(
                Timestamp::parse_secs(t)
                    .map_err(|why| format!("invalid timestamp `{t}` of sample `{name}`: {why}"))?,
            );
            i += t.len();
            if i < line.len() {
                i += 1;
                if b.get(i) != Some(&b'#') {
                    return Err(if i == line.len() {
                        format!("trailing space after sample `{name}`")
                    } else {
                        format!(
                            "unexpected `{}` after the timestamp of `{name}`: only an exemplar \
                             (` # {{labels}} value`) may follow",
                            token(line, i)
                        )
                    });
                }
            }
        }
        if i < line.len() {
            exemplar = Some(lex_exemplar(line, i, &name, false)?.0);
        }
    }
    Ok(RawSample {
        name,
        labels,
        value,
        timestamp,
        exemplar,
        native: None,
    })
}

/// Lexes the rest of a native histogram sample from its value at `i` (at
/// the `{`): `{count:..,...} [timestamp] [# {labels} value [timestamp]]...`.
fn lex_native_sample(
    line: &str,
    mut i: usize,
    name: String,
    labels: Vec<(String, String)>,
) -> Result<RawSample, String> {
    let b = line.as_bytes();
    let end = line
        .get(i..)
        .and_then(|rest| rest.find('}'))
        .map(|e| i + e)
        .ok_or_else(|| format!("the native histogram value of `{name}` is not closed with `}}`"))?;
    let mut native = parse_native(line.get(i + 1..end).unwrap_or(""), &name)?;
    i = end + 1;
    let mut timestamp = None;
    if i < line.len() {
        if b.get(i) != Some(&b' ') {
            return Err(format!(
                "unexpected `{}` after the native histogram value of `{name}`: a space must \
                 follow it",
                token(line, i)
            ));
        }
        i += 1;
        if b.get(i) != Some(&b'#') {
            let t = token(line, i);
            if t.is_empty() {
                return Err(format!("trailing space after sample `{name}`"));
            }
            timestamp = Some(
                Timestamp::parse_secs(t)
                    .map_err(|why| format!("invalid timestamp `{t}` of sample `{name}`: {why}"))?,
            );
            i += t.len();
            if i < line.len() {
                i += 1;
                if b.get(i) != Some(&b'#') {
                    return Err(if i == line.len() {
                        format!("trailing space after sample `{name}`")
                    } else {
                        format!(
                            "unexpected `{}` after the timestamp of `{name}`: only exemplars \
                             (` # {{labels}} value`) may follow",
                            token(line, i)
                        )
                    });
                }
            }
        }
        // Exemplars, one after the other.
        while i < line.len() {
            let (e, end) = lex_exemplar(line, i, &name, true)?;
            native.buckets.exemplars.push(Arc::new(e));
            i = end;
            if i < line.len() {
                if b.get(i) != Some(&b' ') || b.get(i + 1) != Some(&b'#') {
                    return Err(format!(
                        "unexpected `{}` after an exemplar of `{name}`: only another exemplar \
                         may follow",
                        token(line, i)
                    ));
                }
                i += 1;
            }
        }
    }
    Ok(RawSample {
        name,
        labels,
        value: f64::NAN,
        timestamp,
        exemplar: None,
        native: Some(Box::new(native)),
    })
}

/// The fields of a native histogram value, between its braces, as
/// Python's client writes them: `count`, `sum`, `schema`,
/// `zero_threshold`, `zero_count`, then `negative_spans` and
/// `negative_deltas`, `positive_spans` and `positive_deltas` for the sides
/// with buckets (in any order, each once). Spans and deltas become the
/// absolute counts of the buckets (those counting 0 left out).
fn parse_native(text: &str, name: &str) -> Result<NativeValue, String> {
    let bad = |why: String| format!("native histogram value of `{name}`: {why}");
    let mut fields = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                fields.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(&text[start..]);
    let (mut count, mut sum, mut schema, mut zero_threshold, mut zero_count) =
        (None, None, None, None, None);
    // Negative, positive.
    let mut spans: [Option<Vec<(i64, u64)>>; 2] = [None, None];
    let mut deltas: [Option<Vec<i64>>; 2] = [None, None];
    for field in fields {
        let Some((key, value)) = field.split_once(':') else {
            return Err(bad(format!("`{field}` is not `key:value`")));
        };
        let twice = || bad(format!("`{key}` is given twice"));
        let whole = |v: &str| -> Option<u64> {
            v.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| v.parse().ok())
                .flatten()
        };
        let side = usize::from(key.starts_with("positive"));
        match key {
            "count" if count.is_some() => return Err(twice()),
            "count" => {
                count = Some(
                    parse_number(value)
                        .filter(|v| *v >= 0.0 && v.is_finite() && v.fract() == 0.0)
                        .ok_or_else(|| {
                            bad(format!(
                                "count `{value}` is not a whole number of observations"
                            ))
                        })?,
                )
            }
            "sum" if sum.is_some() => return Err(twice()),
            "sum" => {
                sum = Some(
                    parse_number(value)
                        .ok_or_else(|| bad(format!("sum `{value}` is not a number")))?,
                )
            }
            "schema" if schema.is_some() => return Err(twice()),
            "schema" => {
                schema = Some(
                    value
                        .parse::<i32>()
                        .ok()
                        .filter(|s| (-4..=8).contains(s))
                        .ok_or_else(|| {
                            bad(format!("schema `{value}` is not an integer from -4 to 8"))
                        })?,
                )
            }
            "zero_threshold" if zero_threshold.is_some() => return Err(twice()),
            "zero_threshold" => {
                zero_threshold = Some(
                    parse_number(value)
                        .filter(|v| *v >= 0.0 && v.is_finite())
                        .ok_or_else(|| {
                            bad(format!(
                                "zero_threshold `{value}` is not a finite, non-negative number"
                            ))
                        })?,
                )
            }
            "zero_count" if zero_count.is_some() => return Err(twice()),
            "zero_count" => {
                zero_count =
                    Some(whole(value).ok_or_else(|| {
                        bad(format!("zero_count `{value}` is not a whole number"))
                    })?)
            }
            "negative_spans" | "positive_spans" => {
                if spans[side].is_some() {
                    return Err(twice());
                }
                let items = list(value).ok_or_else(|| {
                    bad(format!(
                        "{key} `{value}` is not a list `[offset:length,...]`"
                    ))
                })?;
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let span = item.split_once(':').and_then(|(o, l)| {
                        Some((
                            o.parse::<i32>().ok()?,
                            whole(l).and_then(|l| u32::try_from(l).ok())?,
                        ))
                    });
                    let Some((offset, length)) = span else {
                        return Err(bad(format!(
                            "span `{item}` of {key} is not `offset:length`"
                        )));
                    };
                    if !out.is_empty() && offset < 0 {
                        return Err(bad(format!(
                            "span `{item}` of {key}: the offset of a span after the first must \
                             not be negative (bucket indexes increase)"
                        )));
                    }
                    out.push((i64::from(offset), u64::from(length)));
                }
                spans[side] = Some(out);
            }
            "negative_deltas" | "positive_deltas" => {
                if deltas[side].is_some() {
                    return Err(twice());
                }
                let items = list(value)
                    .ok_or_else(|| bad(format!("{key} `{value}` is not a list `[delta,...]`")))?;
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let digits = item.strip_prefix('-').unwrap_or(item);
                    let delta = digits
                        .bytes()
                        .all(|c| c.is_ascii_digit())
                        .then(|| item.parse::<i64>().ok())
                        .flatten()
                        .ok_or_else(|| bad(format!("delta `{item}` of {key} is not an integer")))?;
                    out.push(delta);
                }
                deltas[side] = Some(out);
            }
            _ => {
                return Err(bad(format!(
                    "unknown field `{key}`: expected count, sum, schema, zero_threshold, \
                     zero_count, negative_spans, negative_deltas, positive_spans, positive_deltas"
                )))
            }
        }
    }
    let missing = |key: &str| bad(format!("no `{key}`"));
    let count = count.ok_or_else(|| missing("count"))?;
    let sum = sum.ok_or_else(|| missing("sum"))?;
    let schema = schema.ok_or_else(|| missing("schema"))?;
    let zero_threshold = zero_threshold.ok_or_else(|| missing("zero_threshold"))?;
    let zero_count = zero_count.ok_or_else(|| missing("zero_count"))?;
    let mut sides: [Vec<(i32, u64)>; 2] = [Vec::new(), Vec::new()];
    let mut total = u128::from(zero_count);
    for (side, prefix) in ["negative", "positive"].into_iter().enumerate() {
        let (spans, deltas) = match (spans[side].take(), deltas[side].take()) {
            (Some(s), Some(d)) => (s, d),
            (None, None) => continue,
            (Some(_), None) => return Err(bad(format!("{prefix}_spans without {prefix}_deltas"))),
            (None, Some(_)) => return Err(bad(format!("{prefix}_deltas without {prefix}_spans"))),
        };
        let buckets = &mut sides[side];
        let mut deltas = deltas.into_iter();
        let (mut index, mut bucket) = (0i64, 0i128);
        for (offset, length) in spans {
            index += offset;
            for _ in 0..length {
                let Some(delta) = deltas.next() else {
                    return Err(bad(format!(
                        "{prefix}_spans list more buckets than {prefix}_deltas"
                    )));
                };
                bucket += i128::from(delta);
                let (Ok(i), Ok(c)) = (i32::try_from(index), u64::try_from(bucket)) else {
                    return Err(bad(format!(
                        "{prefix} bucket {index} counts {bucket}: a count is from 0 to 2^64 - 1, \
                         an index a 32-bit integer"
                    )));
                };
                if c > 0 {
                    buckets.push((i, c));
                    total += u128::from(c);
                }
                index += 1;
            }
        }
        if deltas.next().is_some() {
            return Err(bad(format!(
                "{prefix}_deltas has more deltas than {prefix}_spans list buckets"
            )));
        }
    }
    if count < total as f64 {
        return Err(bad(format!(
            "count {count} is less than the {total} observations in its buckets"
        )));
    }
    let [negative, positive] = sides;
    Ok(NativeValue {
        count,
        sum,
        buckets: NativeBuckets {
            schema,
            zero_threshold,
            zero_count,
            positive,
            negative,
            exemplars: Vec::new(),
        },
    })
}

/// The items of `[a,b,c]` (none for `[]`).
fn list(value: &str) -> Option<Vec<&str>> {
    let inner = value.strip_prefix('[')?.strip_suffix(']')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    Some(inner.split(',').collect())
}

/// Lexes `# {labels} value [timestamp]` at `i` (at the `#`): to the end of
/// the line, or, for one of several (`many`, a native histogram's), to the
/// next space; returns the exemplar and the index after it.
fn lex_exemplar(
    line: &str,
    mut i: usize,
    name: &str,
    many: bool,
) -> Result<(Exemplar, usize), String> {
    let b = line.as_bytes();
    let bad = |why: &str| format!("bad exemplar on `{name}`: {why}");
    if b.get(i + 1) != Some(&b' ') || b.get(i + 2) != Some(&b'{') {
        return Err(bad("expected ` # {labels} value [timestamp]`"));
    }
    i += 3;
    let mut labels = Vec::new();
    i = read_labels(
        line,
        i,
        &mut labels,
        None,
        &format!("the exemplar of `{name}`"),
    )?;
    let chars: usize = labels
        .iter()
        .map(|(k, v)| k.chars().count() + v.chars().count())
        .sum();
    if chars > EXEMPLAR_MAX_CHARS {
        return Err(bad(&format!(
            "its labels have {chars} characters, more than the {EXEMPLAR_MAX_CHARS} allowed"
        )));
    }
    if b.get(i) != Some(&b' ') {
        return Err(bad("a space and a value must follow its labels"));
    }
    i += 1;
    let v = token(line, i);
    let value = parse_number(v).ok_or_else(|| bad(&format!("invalid value `{v}`")))?;
    i += v.len();
    let mut timestamp = None;
    if i < line.len() && !(many && line.get(i..).is_some_and(|r| r.starts_with(" #"))) {
        i += 1;
        let t = if many {
            token(line, i)
        } else {
            line.get(i..).unwrap_or("")
        };
        timestamp = Some(
            parse_real(t)
                .ok_or_else(|| bad(&format!("invalid timestamp `{t}`: expected seconds")))?,
        );
        i += t.len();
    }
    Ok((
        Exemplar {
            labels,
            value,
            timestamp,
        },
        i,
    ))
}

/// A number of the ABNF: a real number, `[+-]inf`/`infinity`, `nan`
/// (case-insensitive); finite numbers must fit in an f64.
fn parse_number(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
        return Some(if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if s.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    parse_real(s)
}

/// A real number of the ABNF (`[sign] digits [. digits] [e [sign] digits]`),
/// finite.
fn parse_real(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Label names compared by the scan of [`SeenNames`].
        pub(super) static SCANNED: Cell<usize> = const { Cell::new(0) };
    }

    /// The duplicate-label check scans a few names, then hashes: a line of
    /// n labels costs O(n), not the n²/2 comparisons of a scan (800
    /// million for these 40,000), counted rather than timed.
    #[test]
    fn duplicate_label_check_is_linear() {
        let n = 40_000;
        let mut line = String::from("m{");
        for i in 0..n {
            line.push_str(&format!("l{i}=\"v\","));
        }
        line.pop();
        line.push_str("} 1\n# EOF\n");
        SCANNED.with(|c| c.set(0));
        let f = parse_openmetrics(&line).expect("parses");
        assert_eq!(f[0].metrics[0].labels.len(), n);
        let scanned = SCANNED.with(Cell::get);
        assert!(scanned <= 16 * 16, "{scanned} comparisons");
        let dup = line.replacen("l39999=", "l0=", 1);
        assert!(parse_openmetrics(&dup)
            .unwrap_err()
            .message()
            .contains("`l0` is given twice"));
    }

    #[test]
    fn numbers() {
        for (s, v) in [
            ("1", 1.0),
            ("-1.5", -1.5),
            ("+.5", 0.5),
            ("1.", 1.0),
            ("1e3", 1000.0),
            ("1E-3", 0.001),
            ("0000000000000000000000000000000000000000001.2e-1", 0.12),
            ("+Inf", f64::INFINITY),
            ("-infinity", f64::NEG_INFINITY),
        ] {
            assert_eq!(parse_number(s), Some(v), "{s}");
        }
        assert!(parse_number("NaN").is_some_and(f64::is_nan));
        for s in [
            "", "+", ".", "e3", "1e", "1_2", "0x1", "0b1", "1.1.1", "1e999", "+nan", "in", "1 ",
            "1f",
        ] {
            assert_eq!(parse_number(s), None, "{s:?}");
        }
        let ts = |t: &str| Timestamp::parse_secs(t).ok();
        assert_eq!(ts("1.5"), Some(Timestamp::from_millis(1500)));
        assert_eq!(
            ts("1700000000.123"),
            Some(Timestamp::from_millis(1_700_000_000_123))
        );
        assert_eq!(ts("-1"), Some(Timestamp::from_millis(-1000)));
        assert_eq!(ts("1e20"), None);
        assert_eq!(ts("Inf"), None);
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(
            read_quoted(r#"a\"b\\c\nd\qe" x"#, 0),
            Ok(("a\"b\\c\nd\\qe".to_owned(), 14))
        );
        assert!(read_quoted(r#"abc\""#, 0).is_err());
        assert!(read_quoted(r"abc\", 0).is_err());
        assert_eq!(
            unescape_help(r#"a\\b\nc\"d\e"#),
            Some("a\\b\nc\"d\\e".to_owned())
        );
        assert_eq!(unescape_help(r"a\"), None);
    }
}
