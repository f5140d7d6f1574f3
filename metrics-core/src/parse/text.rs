//! A parser of the Prometheus text format 0.0.4 (Python's
//! `text_string_to_metric_families`).
//!
//! The rules are documented on [`parse_text`].
//!
//! ```
//! use promscribe::{parse_text, MetricType};
//! let text = "# HELP jobs_total Jobs run\n# TYPE jobs_total counter\njobs_total{queue=\"a\"} 3.0\n";
//! let families = parse_text(text).unwrap();
//! assert_eq!(families[0].name, "jobs");
//! assert_eq!(families[0].kind, MetricType::Counter);
//! assert_eq!(families[0].samples()[0].name, "jobs_total");
//! assert_eq!(families[0].samples()[0].value, 3.0);
//! ```

use super::ParseError;
use crate::model::{MetricFamily, MetricType, Sample};
use crate::timestamp::Timestamp;
use std::collections::{HashMap, HashSet};

/// A family as read: flat samples, typed once the whole text is read (a
/// `_created` family written after its family is merged back first).
#[derive(Debug)]
struct Flat {
    name: String,
    help: String,
    kind: MetricType,
    samples: Vec<Sample>,
    line: usize,
}

/// Parses the Prometheus text format 0.0.4 into metric families, as
/// Python's `text_string_to_metric_families` does. `parse_text` of what
/// [`encode_text`](crate::encode_text) writes gives back the families
/// (counter, gauge, summary, histogram, gauge histogram, untyped; info
/// and state sets come back as gauges).
///
/// Naming follows the [`MetricFamily`] model (and current Python clients):
///
/// - A counter family is named without `_total`: `# TYPE x_total counter`
///   gives family `x` with samples `x_total`. A counter typed without the
///   suffix (`# TYPE x counter`, sample `x`) gives family `x` whose samples
///   are renamed `x_total`, as Python's parser does.
/// - Two families may therefore share a name: every Go program exposes a
///   gauge `go_memstats_alloc_bytes` and a counter
///   `go_memstats_alloc_bytes_total`, which parse as gauge
///   `go_memstats_alloc_bytes` and counter `go_memstats_alloc_bytes`
///   (samples `go_memstats_alloc_bytes_total`), in input order, as
///   Python's parser gives them; [`encode_text_families`](crate::encode_text_families)
///   writes them back as they were. What tells two families apart is the
///   name their `TYPE` line (or first sample) gives.
/// - `x_bucket`, `x_count`, `x_sum` belong to histogram `x`; `x`,
///   `x_count`, `x_sum` to summary `x`; a gauge or untyped family holds
///   samples of its own name only.
/// - A sample that belongs to no declared family starts an `untyped`
///   ([`MetricType::Unknown`]) family of its name, without help; the
///   following samples of that name join it (Python makes one family per
///   such sample).
/// - What [`encode_text_families`](crate::encode_text_families) writes as
///   separate gauge families is put back where it came from: a gauge family
///   `x_created` with the same help right after counter, summary or
///   histogram `x` is merged into it, and gauges `x_gcount` / `x_gsum`
///   right after histogram `x` (without `_count` / `_sum`) make it a gauge
///   histogram again. Info and state set families, written as gauges, come
///   back as gauges.
/// - Families keep the input order; samples keep theirs within a family
///   (merged `_created` samples come after the family's others).
///
/// Lines end at `\n`. A `\r` before it is a blank on sample and `TYPE`
/// lines (so CRLF text parses), but part of the text on a `HELP` line, as
/// in Prometheus' own parser: a help ending in `\r` comes back unchanged
/// from [`encode_text_families`](crate::encode_text_families).
///
/// Errors, with the 1-based line number: a malformed sample line, an
/// invalid metric or label name, a label given twice, an unknown type in
/// a `TYPE` line, a second `HELP` or `TYPE` line for a family, a `TYPE`
/// line after the family's samples, a second family of a name already
/// written (e.g. an untyped sample `h` after the samples of histogram `h`:
/// Python's parser returns two families named `h`, whose samples clash).
/// Other comments and blank lines are ignored. No input makes it
/// panic; the time taken is linear in the length of the text.
///
/// ```
/// let text = "# TYPE rpc_seconds histogram\n\
///             rpc_seconds_bucket{le=\"0.5\"} 1.0\n\
///             rpc_seconds_bucket{le=\"+Inf\"} 2.0\n\
///             rpc_seconds_count 2.0\n\
///             rpc_seconds_sum 1.25\n\
///             other{path=\"/a\\\"b\"} NaN 1700000000000\n";
/// let families = promscribe::parse_text(text).unwrap();
/// assert_eq!(families.len(), 2);
/// assert_eq!(families[0].samples().len(), 4);
/// assert_eq!(families[1].kind, promscribe::MetricType::Unknown);
/// assert_eq!(families[1].samples()[0].labels[0].1, "/a\"b");
/// assert!(families[1].samples()[0].value.is_nan());
/// let t = families[1].samples()[0].timestamp.unwrap();
/// assert_eq!(t.as_millis(), Some(1_700_000_000_000));
///
/// // A gauge and a counter named alike, as Go programs expose them.
/// let go = "# TYPE mem_bytes gauge\nmem_bytes 5\n# TYPE mem_bytes_total counter\nmem_bytes_total 9\n";
/// let families = promscribe::parse_text(go).unwrap();
/// assert_eq!((families[0].name.as_str(), families[0].kind), ("mem_bytes", promscribe::MetricType::Gauge));
/// assert_eq!((families[1].name.as_str(), families[1].kind), ("mem_bytes", promscribe::MetricType::Counter));
/// assert_eq!(families[1].samples()[0].name, "mem_bytes_total");
/// ```
pub fn parse_text(text: &str) -> Result<Vec<MetricFamily>, ParseError> {
    let mut parser = Parser::default();
    for (i, line) in text.split('\n').enumerate() {
        parser.line(i + 1, line)?;
    }
    parser.finish_current()?;
    parser
        .out
        .into_iter()
        .map(|f| {
            MetricFamily::from_samples(&f.name, &f.help, f.kind, f.samples)
                .map_err(|e| ParseError::new(f.line, e.to_string()))
        })
        .collect()
}

/// The family being read.
struct Current {
    /// Name as written in its HELP / TYPE line (or first sample).
    name: String,
    /// The line it starts at.
    line: usize,
    family: Flat,
    /// Sample names that belong to it.
    allowed: Vec<String>,
    has_help: bool,
    has_type: bool,
}

impl Current {
    fn new(name: &str, line: usize) -> Self {
        Current {
            name: name.to_owned(),
            line,
            family: Flat {
                name: name.to_owned(),
                help: String::new(),
                kind: MetricType::Unknown,
                samples: Vec::new(),
                line,
            },
            allowed: vec![name.to_owned()],
            has_help: false,
            has_type: false,
        }
    }
}

#[derive(Default)]
struct Parser {
    out: Vec<Flat>,
    current: Option<Current>,
    /// Names of the families in `out` as written (a counter's with its
    /// `_total`): the index of each in `out`.
    names: HashMap<String, usize>,
}

impl Parser {
    fn line(&mut self, n: usize, raw: &str) -> Result<(), ParseError> {
        let line = raw.trim_start();
        if line.trim_end().is_empty() {
            return Ok(());
        }
        match line.strip_prefix('#') {
            Some(rest) => self.comment(n, rest),
            None => {
                let sample = parse_sample(line.trim_end()).map_err(|m| ParseError::new(n, m))?;
                self.sample(n, sample)
            }
        }
    }

    fn comment(&mut self, n: usize, raw: &str) -> Result<(), ParseError> {
        // `#HELP x` is an ordinary comment, as in Python's parser.
        if !raw.starts_with([' ', '\t']) {
            return Ok(());
        }
        // Keyword, name and type end at any blank, `\r` included.
        let (keyword, _) = split_token(raw.trim_end());
        if keyword != "HELP" && keyword != "TYPE" {
            return Ok(());
        }
        // The text after the keyword, as written (the help keeps its
        // trailing blanks and `\r`).
        let after_keyword = raw
            .trim_start_matches([' ', '\t'])
            .get(keyword.len()..)
            .unwrap_or("")
            .trim_start_matches([' ', '\t']);
        let (name, after_name) = if let Some(quoted) = after_keyword.strip_prefix('"') {
            // A UTF-8 name, quoted (Prometheus 3).
            let Some((name, after)) = parse_label_value(quoted) else {
                return Err(ParseError::new(
                    n,
                    format!("unterminated quoted metric name in {keyword} line"),
                ));
            };
            if !after.is_empty() && !after.starts_with([' ', '\t', '\r']) {
                return Err(ParseError::new(
                    n,
                    format!(
                        "expected a blank after the quoted metric name `{name}` in {keyword} line"
                    ),
                ));
            }
            if name.is_empty() {
                return Err(ParseError::new(
                    n,
                    format!("empty quoted metric name in {keyword} line"),
                ));
            }
            (name, after)
        } else {
            let (name, _) = split_token(after_keyword.trim_end());
            if name.is_empty() {
                return Err(ParseError::new(
                    n,
                    format!("{keyword} line without a metric name"),
                ));
            }
            if !crate::names::is_valid_legacy_metric_name(name) {
                return Err(ParseError::new(
                    n,
                    format!(
                        "invalid metric name `{name}` in {keyword} line (a name outside \
                         [a-zA-Z_:][a-zA-Z0-9_:]* must be quoted)"
                    ),
                ));
            }
            (name.to_owned(), &after_keyword[name.len()..])
        };
        let name = name.as_str();
        let rest = after_name.trim();
        let same = self.current.as_ref().is_some_and(|c| c.name == name);
        if keyword == "HELP" {
            let help = after_name.trim_start_matches([' ', '\t']);
            if !same {
                self.finish_current()?;
                self.current = Some(Current::new(name, n));
            }
            let Some(cur) = self.current.as_mut() else {
                return Ok(());
            };
            if cur.has_help {
                return Err(ParseError::new(
                    n,
                    format!("second HELP line for metric `{name}`"),
                ));
            }
            cur.has_help = true;
            cur.family.help = unescape_help(help);
            return Ok(());
        }
        let (kind_word, extra) = split_token(rest);
        let kind = match kind_word {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "summary" => MetricType::Summary,
            "untyped" => MetricType::Unknown,
            "" => {
                return Err(ParseError::new(
                    n,
                    format!("TYPE line for `{name}` without a type"),
                ))
            }
            other => {
                return Err(ParseError::new(
                    n,
                    format!(
                        "unknown type `{other}` for metric `{name}`: the text format 0.0.4 \
                         has counter, gauge, histogram, summary and untyped"
                    ),
                ))
            }
        };
        if !extra.trim().is_empty() {
            return Err(ParseError::new(
                n,
                format!(
                    "unexpected text `{}` after the type of `{name}`",
                    extra.trim()
                ),
            ));
        }
        if !same {
            self.finish_current()?;
            self.current = Some(Current::new(name, n));
        }
        let Some(cur) = self.current.as_mut() else {
            return Ok(());
        };
        if cur.has_type {
            return Err(ParseError::new(
                n,
                format!("second TYPE line for metric `{name}`"),
            ));
        }
        if !cur.family.samples.is_empty() {
            return Err(ParseError::new(
                n,
                format!("TYPE line for metric `{name}` after its samples"),
            ));
        }
        cur.has_type = true;
        cur.family.kind = kind;
        let suffixes: &[&str] = match kind {
            MetricType::Summary => &["", "_count", "_sum"],
            MetricType::Histogram => &["_bucket", "_count", "_sum"],
            _ => &[""],
        };
        cur.allowed = suffixes.iter().map(|s| format!("{name}{s}")).collect();
        Ok(())
    }

    fn sample(&mut self, n: usize, sample: Sample) -> Result<(), ParseError> {
        let belongs = self
            .current
            .as_ref()
            .is_some_and(|c| c.allowed.contains(&sample.name));
        if !belongs {
            self.finish_current()?;
            self.current = Some(Current::new(&sample.name, n));
        }
        if let Some(cur) = self.current.as_mut() {
            cur.family.samples.push(sample);
        }
        Ok(())
    }

    /// Closes the current family: counter naming, then merging of the
    /// gauges the encoder splits off; refuses a second family of a name.
    fn finish_current(&mut self) -> Result<(), ParseError> {
        let Some(cur) = self.current.take() else {
            return Ok(());
        };
        let mut family = cur.family;
        if family.kind == MetricType::Counter {
            match family.name.strip_suffix("_total") {
                Some(base) if !base.is_empty() => family.name = base.to_owned(),
                _ => {
                    for s in &mut family.samples {
                        s.name.push_str("_total");
                    }
                }
            }
        }
        if family.kind == MetricType::Gauge {
            if let Some(prev) = self.out.last_mut() {
                if merge_split_gauge(prev, &mut family) {
                    return Ok(());
                }
            }
        }
        // One family per name as written: a gauge `x` and a counter
        // `x_total` (family `x`, as Python names it) are two families,
        // whose samples do not clash; a second `x`, of any type, is refused.
        if let Some(first) = self.names.get(&cur.name).and_then(|&i| self.out.get(i)) {
            return Err(ParseError::new(
                cur.line,
                format!(
                    "a second family named `{}` ({}) starts here; the first ({}) starts at \
                     line {}, and the samples of one family must be together",
                    cur.name,
                    type_word(family.kind),
                    type_word(first.kind),
                    first.line,
                ),
            ));
        }
        self.names.insert(cur.name, self.out.len());
        self.out.push(family);
        Ok(())
    }
}

/// The word of a `TYPE` line for `kind`.
fn type_word(kind: MetricType) -> &'static str {
    match kind {
        MetricType::Unknown => "untyped",
        MetricType::GaugeHistogram => "gauge histogram",
        other => other.as_str(),
    }
}

/// Merges a gauge `x_created` / `x_gcount` / `x_gsum` into family `x`
/// written just before it with the same help, as the encoder splits them.
fn merge_split_gauge(prev: &mut Flat, gauge: &mut Flat) -> bool {
    if gauge.help != prev.help {
        return false;
    }
    let Some(suffix) = gauge.name.strip_prefix(prev.name.as_str()) else {
        return false;
    };
    let has = |f: &Flat, suffix: &str| {
        f.samples
            .iter()
            .any(|s| s.name.strip_prefix(f.name.as_str()) == Some(suffix))
    };
    let fits = match (suffix, prev.kind) {
        ("_created", MetricType::Counter | MetricType::Summary | MetricType::Histogram) => true,
        ("_gcount" | "_gsum", MetricType::GaugeHistogram) => true,
        ("_gcount" | "_gsum", MetricType::Histogram) => {
            !has(prev, "_count") && !has(prev, "_sum") && !has(prev, "_created")
        }
        _ => false,
    };
    if !fits {
        return false;
    }
    if suffix != "_created" {
        prev.kind = MetricType::GaugeHistogram;
    }
    prev.samples.append(&mut gauge.samples);
    true
}

/// The first blank-separated token of `s` and the rest after the blanks
/// that follow it.
fn split_token(s: &str) -> (&str, &str) {
    let s = s.trim_start_matches([' ', '\t']);
    match s.find([' ', '\t']) {
        Some(i) => (&s[..i], s[i..].trim_start_matches([' ', '\t'])),
        None => (s, ""),
    }
}

fn unescape_help(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            // Unknown escapes are kept as written, as Python does.
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Parses `name{labels} value [timestamp]` (a trimmed, non-empty line); a
/// UTF-8 name is quoted inside the braces (`{"my.metric",a="b"} 1`).
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(|c: char| !is_name_char(c)).unwrap_or(line.len());
    let bare = &line[..name_end];
    if !bare.is_empty() && !crate::names::is_valid_legacy_metric_name(bare) {
        return Err(format!("invalid metric name `{bare}`"));
    }
    let mut name = (!bare.is_empty()).then(|| bare.to_owned());
    let mut rest = line[name_end..].trim_start_matches([' ', '\t']);
    let mut labels = Vec::new();
    if let Some(after_brace) = rest.strip_prefix('{') {
        rest = parse_labels(&mut name, after_brace, &mut labels)?;
    } else if name.is_none() {
        let c = line.chars().next().unwrap_or(' ');
        return Err(format!(
            "expected a metric name at the start of the line, found `{c}`"
        ));
    } else if !rest.is_empty() && rest.len() == line.len() - name_end {
        // No blank after the name: an invalid character in it.
        let c = rest.chars().next().unwrap_or(' ');
        return Err(format!(
            "invalid character `{c}` after metric name `{bare}`"
        ));
    }
    let Some(name) = name else {
        return Err(
            "expected a metric name at the start of the line or quoted in its labels".to_owned(),
        );
    };
    let name = name.as_str();
    let mut tokens = rest.split([' ', '\t']).filter(|t| !t.is_empty());
    let Some(value) = tokens.next() else {
        return Err(format!("sample `{name}` has no value"));
    };
    let value =
        parse_value(value).ok_or_else(|| format!("invalid value `{value}` for sample `{name}`"))?;
    let timestamp = match tokens.next() {
        None => None,
        Some(t) => Some(
            Timestamp::parse_millis(t)
                .map_err(|why| format!("invalid timestamp `{t}` for sample `{name}`: {why}"))?,
        ),
    };
    if let Some(extra) = tokens.next() {
        return Err(format!(
            "unexpected text `{extra}` after the timestamp of sample `{name}`"
        ));
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
        timestamp,
        exemplar: None,
    })
}

/// Parses labels after `{` up to and including `}`; returns what follows.
/// A label name is bare (`[a-zA-Z_][a-zA-Z0-9_]*`) or quoted (any UTF-8);
/// a quoted string not followed by `=` is the metric name, when the line
/// did not start with one.
fn parse_labels<'a>(
    name: &mut Option<String>,
    mut s: &'a str,
    labels: &mut Vec<(String, String)>,
) -> Result<&'a str, String> {
    // Names read so far: a hash set, so that a line of n labels is checked
    // in O(n) (a scan of the names before each would take O(n²)).
    let mut seen: HashSet<LabelName> = HashSet::new();
    let metric = |name: &Option<String>| name.clone().unwrap_or_default();
    // `{,}`: no labels and a trailing comma, which Python accepts.
    if let Some(after) = s.trim_start_matches([' ', '\t']).strip_prefix(',') {
        if let Some(after) = after.trim_start_matches([' ', '\t']).strip_prefix('}') {
            return Ok(after);
        }
    }
    loop {
        s = s.trim_start_matches([' ', '\t']);
        if let Some(after) = s.strip_prefix('}') {
            return Ok(after);
        }
        let label: String = if let Some(quoted) = s.strip_prefix('"') {
            let (text, after) = parse_label_value(quoted).ok_or_else(|| {
                format!(
                    "unterminated quoted name in the labels of `{}`",
                    metric(name)
                )
            })?;
            s = after.trim_start_matches([' ', '\t']);
            if !s.starts_with('=') {
                // The metric name, quoted.
                if name.is_some() {
                    return Err(format!(
                        "a second metric name `{text}` in the labels of `{}`",
                        metric(name)
                    ));
                }
                if text.is_empty() {
                    return Err("empty quoted metric name".to_owned());
                }
                *name = Some(text);
                if let Some(after_comma) = s.strip_prefix(',') {
                    s = after_comma;
                } else if !s.starts_with('}') {
                    return Err(format!(
                        "expected `,` or `}}` after the quoted metric name `{}`",
                        metric(name)
                    ));
                }
                continue;
            }
            if text.is_empty() {
                return Err(format!("empty label name in `{}`", metric(name)));
            }
            text
        } else {
            let end = s
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(s.len());
            let label = &s[..end];
            if label.is_empty() {
                return Err(match s.chars().next() {
                    None => format!("labels of `{}` not closed with `}}`", metric(name)),
                    Some(c) => {
                        format!("expected a label name in `{}`, found `{c}`", metric(name))
                    }
                });
            }
            if label.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(format!(
                    "invalid label name `{label}` in `{}`",
                    metric(name)
                ));
            }
            s = s[end..].trim_start_matches([' ', '\t']);
            label.to_owned()
        };
        if !seen.insert(LabelName(label.clone())) {
            return Err(format!("label `{label}` given twice in `{}`", metric(name)));
        }
        let Some(after_eq) = s.strip_prefix('=') else {
            return Err(format!(
                "expected `=` after label `{label}` in `{}`",
                metric(name)
            ));
        };
        s = after_eq.trim_start_matches([' ', '\t']);
        let Some(after_quote) = s.strip_prefix('"') else {
            return Err(format!(
                "the value of label `{label}` in `{}` must be quoted",
                metric(name)
            ));
        };
        let (value, after_value) = parse_label_value(after_quote).ok_or_else(|| {
            format!(
                "unterminated value of label `{label}` in `{}`",
                metric(name)
            )
        })?;
        s = after_value.trim_start_matches([' ', '\t']);
        if let Some(after_comma) = s.strip_prefix(',') {
            s = after_comma;
        } else if !s.starts_with('}') {
            return Err(match s.chars().next() {
                None => format!("labels of `{}` not closed with `}}`", metric(name)),
                Some(c) => format!(
                    "expected `,` or `}}` after the value of label `{label}` in `{}`, found `{c}`",
                    metric(name)
                ),
            });
        }
        labels.push((label, value));
    }
}

/// A label name in the duplicate check of [`parse_labels`]; tests count
/// its comparisons.
struct LabelName(String);

impl std::hash::Hash for LabelName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for LabelName {
    fn eq(&self, other: &Self) -> bool {
        #[cfg(test)]
        tests::LABEL_NAME_COMPARISONS.with(|c| c.set(c.get() + 1));
        self.0 == other.0
    }
}

impl Eq for LabelName {}

/// Reads an escaped label value up to its closing quote; the value and
/// what follows the quote. `None` when the quote is missing.
fn parse_label_value(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => match chars.next()?.1 {
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                'n' => out.push('\n'),
                // Unknown escapes are kept as written, as Python does.
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            c => out.push(c),
        }
    }
    None
}

/// A sample value: a float, `+Inf`, `-Inf`, `NaN` (case as Go and Python
/// accept it).
fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => return Some(f64::INFINITY),
        "-Inf" => return Some(f64::NEG_INFINITY),
        "NaN" => return Some(f64::NAN),
        _ => {}
    }
    // Decimals and exponents; Rust also accepts `inf`, `infinity` and
    // `nan` in any case, as Go and Python do.
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Label-name equality comparisons made by the duplicate check.
        pub(super) static LABEL_NAME_COMPARISONS: Cell<u64> = const { Cell::new(0) };
    }

    /// A sample line with `n` distinct labels.
    fn line_with_labels(n: usize) -> String {
        let mut s = String::from("m{");
        for i in 0..n {
            s.push_str(&format!("l{i}=\"v{i}\","));
        }
        s.push_str("} 1\n");
        s
    }

    /// Comparisons of label names needed to parse a line of `n` labels.
    fn comparisons(n: usize) -> u64 {
        let text = line_with_labels(n);
        LABEL_NAME_COMPARISONS.with(|c| c.set(0));
        let f = parse_text(&text).expect("parses");
        assert_eq!(f[0].samples()[0].labels.len(), n);
        LABEL_NAME_COMPARISONS.with(Cell::get)
    }

    #[test]
    fn duplicate_label_check_is_linear() {
        // Work counted, not timed: twice the labels may cost at most twice
        // the comparisons (plus a slack for hash collisions). A scan of the
        // names read before each label makes n(n-1)/2: 800 million here.
        let (small, large) = (comparisons(40_000), comparisons(80_000));
        assert!(
            large <= 2 * small + 1_000,
            "{small} comparisons for 40,000 labels, {large} for 80,000"
        );
        assert!(large <= 80_000, "{large} comparisons for 80,000 labels");
    }

    #[test]
    fn python_doc_example() {
        let f = parse_text("my_gauge 1.0\n").unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].name, "my_gauge");
        assert_eq!(f[0].kind, MetricType::Unknown);
        assert_eq!(f[0].samples()[0].value, 1.0);
    }

    #[test]
    fn escapes() {
        let f = parse_text(
            "# HELP a Line\\nbreak \\\\ and \\q\n# TYPE a gauge\na{l=\"x\\\\y\\\"z\\nw\\q\"} 1\n",
        )
        .unwrap();
        assert_eq!(f[0].help, "Line\nbreak \\ and \\q");
        assert_eq!(f[0].samples()[0].labels[0].1, "x\\y\"z\nw\\q");
    }

    #[test]
    fn labels_tolerate_blanks_and_trailing_comma() {
        let f = parse_text("a { x = \"1\" , y=\"2\", } 3\n").unwrap();
        assert_eq!(
            f[0].samples()[0].labels,
            [("x".into(), "1".into()), ("y".into(), "2".into())]
        );
        assert_eq!(f[0].samples()[0].value, 3.0);
    }

    #[test]
    fn empty_label_sets() {
        let f = parse_text("a{} 1\na{,} 2\na{ , } 3\n").unwrap();
        assert_eq!(f[0].samples().len(), 3);
        assert!(f[0].samples().iter().all(|s| s.labels.is_empty()));
        assert!(parse_text("a{,,} 1\n").is_err());
        assert!(parse_text("a{x=\"1\",,} 1\n").is_err());
    }

    #[test]
    fn counter_without_total_is_renamed() {
        let f = parse_text("# TYPE c counter\nc 1\n").unwrap();
        assert_eq!(f[0].name, "c");
        assert_eq!(f[0].samples()[0].name, "c_total");
    }

    #[test]
    fn values() {
        let f = parse_text("a +Inf\na -Inf\na NaN\na 1e3\na -0.5\n").unwrap();
        let v: Vec<f64> = f[0].samples().iter().map(|s| s.value).collect();
        assert_eq!(v[0], f64::INFINITY);
        assert_eq!(v[1], f64::NEG_INFINITY);
        assert!(v[2].is_nan());
        assert_eq!(&v[3..], [1000.0, -0.5]);
    }

    #[test]
    fn errors_carry_line_numbers() {
        let cases = [
            ("a 1\nb{x=\"1\" 2\n", 2, "expected `,` or `}`"),
            ("a\n", 1, "has no value"),
            ("a{x=\"1\"} one\n", 1, "invalid value `one`"),
            ("a 1 1.5\n", 1, "invalid timestamp"),
            ("a 1 2 3\n", 1, "unexpected text `3`"),
            ("\n\n# TYPE a gauge\n# TYPE a gauge\n", 4, "second TYPE"),
            ("# HELP a x\n# HELP a y\n", 2, "second HELP"),
            ("a 1\n# TYPE a gauge\n", 2, "after its samples"),
            ("# TYPE a stateset\n", 1, "unknown type `stateset`"),
            ("# TYPE a\n", 1, "without a type"),
            ("# HELP\n", 1, "without a metric name"),
            ("a{x=\"1\",x=\"2\"} 1\n", 1, "given twice"),
            ("a{1x=\"1\"} 1\n", 1, "invalid label name"),
            ("a{x=1} 1\n", 1, "must be quoted"),
            ("a{x=\"1} 1\n", 1, "unterminated"),
            ("1a 1\n", 1, "invalid metric name"),
            ("a-b 1\n", 1, "invalid character `-`"),
            ("{a=\"b\"} 1\n", 1, "expected a metric name"),
        ];
        for (text, line, msg) in cases {
            let err = parse_text(text).unwrap_err();
            assert_eq!(err.line(), line, "{text:?}: {err}");
            assert!(err.message().contains(msg), "{text:?}: {err}");
        }
    }

    #[test]
    fn never_panics_on_prefixes_of_valid_text() {
        let text = "# HELP h_seconds Hélp \\\\ \\n\n# TYPE h_seconds histogram\n\
                    h_seconds_bucket{le=\"0.5\",p=\"é\\\"\"} 1.0 17\n\
                    h_seconds_bucket{le=\"+Inf\",p=\"é\\\"\"} 2.0\nh_seconds_count 2\n";
        for (i, _) in text.char_indices() {
            let _ = parse_text(&text[..i]);
            let _ = parse_text(&text[i..]);
        }
    }
}
