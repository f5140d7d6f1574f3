//! The naming and bucket rules of promscribe, in one place.
//!
//! The declaration macros (`counter!`, `histogram!`, ...) check them at
//! compile time and the runtime constructors (`Opts`, `Buckets`, the
//! custom-collector families) at run time; both call the functions of this
//! crate, so a name is accepted by one exactly when it is accepted by the
//! other, with the same message. Use it through `promscribe`.
//!
//! The rules are those of Prometheus 3 and of Python's and Go's clients,
//! which accept UTF-8 names by default:
//!
//! * a metric name is any non-empty string (`http.server.duration`,
//!   `my-app_up` and `temperature_°C` are valid); the full name is
//!   `namespace_subsystem_name`, a counter's `_total` (an info metric's
//!   `_info`) removed, `_unit` appended when missing. The name itself must
//!   not be empty.
//! * a label name is any non-empty string not starting with `__` (reserved
//!   for Prometheus' own labels); `le` is reserved on histograms,
//!   `quantile` on summaries, and a state set (an enum) uses its own name as
//!   the label of its states, so that name must be a valid label name and
//!   no other label may use it.
//! * names outside the legacy character set (`[a-zA-Z_:][a-zA-Z0-9_:]*` for
//!   metrics, `[a-zA-Z_][a-zA-Z0-9_]*` for labels) are quoted or escaped by
//!   the exposition, as the scraper asks; [`is_valid_legacy_metric_name`],
//!   [`is_valid_legacy_label_name`] and [`legacy_full_name`] give the
//!   legacy rules to a program that must keep to them.
//! * buckets are strictly increasing, not NaN, `+Inf` last (appended when
//!   missing), at least two counting `+Inf` and at most [`MAX_BUCKETS`].
//!
//! ```
//! use promscribe_rules::{full_name, Kind, NameParts};
//! let parts = NameParts { namespace: "app", name: "requests_total", ..NameParts::default() };
//! assert_eq!(full_name(Kind::Counter, &parts).unwrap(), "app_requests");
//! ```
#![forbid(unsafe_code)]

use std::fmt;

/// The largest number of histogram buckets, counting `+Inf`.
///
/// Every bucket is a series of its own in every scrape; a few thousand is
/// already far past anything Prometheus handles well, and the limit keeps
/// `linear`/`exponential` with a huge count from exhausting memory.
///
/// ```
/// assert_eq!(promscribe_rules::MAX_BUCKETS, 4096);
/// ```
pub const MAX_BUCKETS: usize = 4096;

/// The metric types, as far as the rules tell them apart.
///
/// ```
/// assert_eq!(promscribe_rules::Kind::Histogram.reserved_label(), Some("le"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A counter: `_total` is removed from its name.
    Counter,
    /// A gauge.
    Gauge,
    /// A histogram: `le` is reserved.
    Histogram,
    /// A gauge histogram: `le` is reserved.
    GaugeHistogram,
    /// A summary: `quantile` is reserved.
    Summary,
    /// An info metric: `_info` is removed from its name; no unit.
    Info,
    /// A state set (an enum): its name is also a label name; no unit.
    StateSet,
    /// A metric of unknown type.
    Unknown,
}

impl Kind {
    /// The OpenMetrics name of the type.
    ///
    /// ```
    /// assert_eq!(promscribe_rules::Kind::StateSet.as_str(), "stateset");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::GaugeHistogram => "gaugehistogram",
            Kind::Summary => "summary",
            Kind::Info => "info",
            Kind::StateSet => "stateset",
            Kind::Unknown => "unknown",
        }
    }

    /// The label name the type's own series use (`le`, `quantile`); a
    /// state set's is its own name (see [`check_label_name`]).
    ///
    /// ```
    /// assert_eq!(promscribe_rules::Kind::Summary.reserved_label(), Some("quantile"));
    /// assert_eq!(promscribe_rules::Kind::Gauge.reserved_label(), None);
    /// ```
    pub const fn reserved_label(self) -> Option<&'static str> {
        match self {
            Kind::Histogram | Kind::GaugeHistogram => Some("le"),
            Kind::Summary => Some("quantile"),
            _ => None,
        }
    }

    /// Whether a metric of this type may have a unit (not info, not
    /// state set).
    ///
    /// ```
    /// assert!(!promscribe_rules::Kind::Info.allows_unit());
    /// ```
    pub const fn allows_unit(self) -> bool {
        !matches!(self, Kind::Info | Kind::StateSet)
    }

    /// The suffix removed from the full name (`_total` of a counter,
    /// `_info` of an info metric): the exposition adds it back.
    ///
    /// ```
    /// assert_eq!(promscribe_rules::Kind::Counter.stripped_suffix(), Some("_total"));
    /// ```
    pub const fn stripped_suffix(self) -> Option<&'static str> {
        match self {
            Kind::Counter => Some("_total"),
            Kind::Info => Some("_info"),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One component of a full metric name.
///
/// ```
/// assert_eq!(promscribe_rules::Part::Namespace.to_string(), "namespace");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The `namespace` prefix.
    Namespace,
    /// The `subsystem` prefix.
    Subsystem,
    /// The metric name given.
    Name,
    /// The unit suffix.
    Unit,
}

impl Part {
    /// How messages call the component.
    ///
    /// ```
    /// assert_eq!(promscribe_rules::Part::Name.as_str(), "metric name");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Part::Namespace => "namespace",
            Part::Subsystem => "subsystem",
            Part::Name => "metric name",
            Part::Unit => "unit",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The components of a full metric name; empty ones are left out.
///
/// ```
/// let p = promscribe_rules::NameParts { name: "latency", unit: "seconds", ..Default::default() };
/// assert_eq!(promscribe_rules::full_name(promscribe_rules::Kind::Gauge, &p).unwrap(),
///            "latency_seconds");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameParts<'a> {
    /// Prefix `namespace_`.
    pub namespace: &'a str,
    /// Prefix `subsystem_`, after the namespace.
    pub subsystem: &'a str,
    /// The name; must not be empty.
    pub name: &'a str,
    /// Suffix `_unit`, appended when the name does not end with it.
    pub unit: &'a str,
}

/// A broken rule: what is wrong and with which input.
///
/// ```
/// let e = promscribe_rules::check_buckets("h", &[2.0, 1.0]).unwrap_err();
/// assert_eq!(e.to_string(),
///     "invalid buckets for histogram `h`: buckets must be in strictly increasing order, \
///      but 2.0 is followed by 1.0");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum RuleError {
    /// By the legacy rules ([`legacy_full_name`]): a namespace, subsystem,
    /// name or unit with a character a legacy metric name cannot hold, or a
    /// leading digit where it would start the full name.
    InvalidPart {
        /// Which component.
        part: Part,
        /// Its value.
        value: String,
        /// Whether the problem is a leading digit (else a character).
        leading_digit: bool,
    },
    /// The metric name is empty.
    EmptyName,
    /// The full name is nothing but the suffix its type removes.
    EmptyAfterSuffix {
        /// The name given.
        input: String,
        /// The suffix removed (`_total`, `_info`).
        suffix: &'static str,
    },
    /// An empty full metric name, or (by the legacy rules) one that does not
    /// match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    InvalidMetricName {
        /// The name.
        name: String,
    },
    /// A unit on a type that cannot have one (info, state set).
    UnitNotAllowed {
        /// The metric.
        name: String,
        /// Its type.
        kind: Kind,
    },
    /// A state set whose name is not a valid label name: its states are
    /// carried by a label named after it.
    NameNotALabel {
        /// The metric.
        name: String,
    },
    /// An empty label name, or one starting with the reserved `__`.
    InvalidLabelName {
        /// The metric.
        metric: String,
        /// The label name.
        label: String,
    },
    /// A label name the type's own series use.
    ReservedLabelName {
        /// The metric.
        metric: String,
        /// The label name.
        label: String,
        /// The metric's type.
        kind: Kind,
    },
    /// The same label name twice.
    DuplicateLabelName {
        /// The metric.
        metric: String,
        /// The label name.
        label: String,
    },
    /// Histogram buckets that break a rule.
    InvalidBuckets {
        /// The histogram; empty when the buckets are built on their own.
        metric: String,
        /// The position of the offending bound in the input, if one is.
        index: Option<usize>,
        /// What is wrong, naming the offending values.
        reason: String,
    },
}

impl RuleError {
    /// The name component the error is about, if it is about one (the
    /// macros point at it).
    ///
    /// ```
    /// use promscribe_rules::{legacy_full_name, Kind, NameParts, Part};
    /// let p = NameParts { namespace: "a-b", name: "x", ..NameParts::default() };
    /// assert_eq!(legacy_full_name(Kind::Gauge, &p).unwrap_err().part(), Some(Part::Namespace));
    /// ```
    pub fn part(&self) -> Option<Part> {
        match self {
            RuleError::InvalidPart { part, .. } => Some(*part),
            RuleError::EmptyName
            | RuleError::EmptyAfterSuffix { .. }
            | RuleError::InvalidMetricName { .. }
            | RuleError::NameNotALabel { .. } => Some(Part::Name),
            RuleError::UnitNotAllowed { .. } => Some(Part::Unit),
            _ => None,
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::InvalidPart {
                part,
                value,
                leading_digit: true,
            } => write!(
                f,
                "invalid {part} `{value}`: it starts the metric name, which must not start \
                 with a digit by the legacy rules ([a-zA-Z_:][a-zA-Z0-9_:]*)"
            ),
            RuleError::InvalidPart { part, value, .. } => write!(
                f,
                "invalid {part} `{value}`: only ASCII letters, digits, `_` and `:` may appear \
                 in a metric name by the legacy rules ([a-zA-Z_:][a-zA-Z0-9_:]*)"
            ),
            RuleError::EmptyName => f.write_str("the metric name is empty"),
            RuleError::EmptyAfterSuffix { input, suffix } => write!(
                f,
                "invalid metric name `{input}`: the name is empty after removing the \
                 `{suffix}` suffix"
            ),
            RuleError::InvalidMetricName { name } => write!(
                f,
                "invalid metric name `{name}`: a metric name must not be empty (and must match \
                 [a-zA-Z_:][a-zA-Z0-9_:]* by the legacy rules)"
            ),
            RuleError::UnitNotAllowed { name, kind } => write!(
                f,
                "metric `{name}` is of type {kind}, which cannot have a unit"
            ),
            RuleError::NameNotALabel { name } => write!(
                f,
                "invalid name `{name}` for a stateset (enum): its states are exposed in a label \
                 named after the metric, so the name must also be a valid label name \
                 (not starting with `__`)"
            ),
            RuleError::InvalidLabelName { metric, label } => write!(
                f,
                "invalid label name `{label}` on metric `{metric}`: a label name must not be \
                 empty and must not start with `__` (reserved for Prometheus' own labels)"
            ),
            RuleError::ReservedLabelName {
                metric,
                label,
                kind,
            } => {
                let why = match kind {
                    Kind::StateSet => "its states are exposed in a label named after the metric",
                    Kind::Summary => "its quantile series use it",
                    _ => "its `_bucket` series use it for the bucket bound",
                };
                write!(
                    f,
                    "label name `{label}` is reserved on {kind} metric `{metric}`: {why}"
                )
            }
            RuleError::DuplicateLabelName { metric, label } => {
                write!(f, "label name `{label}` appears twice on metric `{metric}`")
            }
            RuleError::InvalidBuckets { metric, reason, .. } if metric.is_empty() => {
                write!(f, "invalid histogram buckets: {reason}")
            }
            RuleError::InvalidBuckets { metric, reason, .. } => {
                write!(f, "invalid buckets for histogram `{metric}`: {reason}")
            }
        }
    }
}

impl std::error::Error for RuleError {}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

/// Whether `name` is a valid metric name: any non-empty string (Prometheus
/// 3 takes every UTF-8 name; names outside the legacy character set are
/// quoted or escaped by the exposition).
///
/// ```
/// assert!(promscribe_rules::is_valid_metric_name("http.server.duration"));
/// assert!(promscribe_rules::is_valid_metric_name("ns:requests"));
/// assert!(!promscribe_rules::is_valid_metric_name(""));
/// ```
pub fn is_valid_metric_name(name: &str) -> bool {
    !name.is_empty()
}

/// Whether `name` is a valid metric name by the legacy (pre-UTF-8) rule,
/// `[a-zA-Z_:][a-zA-Z0-9_:]*`: such a name is written as it is by every
/// escaping scheme.
///
/// ```
/// assert!(promscribe_rules::is_valid_legacy_metric_name("ns:requests"));
/// assert!(!promscribe_rules::is_valid_legacy_metric_name("9x"));
/// assert!(!promscribe_rules::is_valid_legacy_metric_name("my.metric"));
/// ```
pub fn is_valid_legacy_metric_name(name: &str) -> bool {
    match name.as_bytes() {
        [first, rest @ ..] => {
            !first.is_ascii_digit() && is_name_char(*first) && rest.iter().all(|b| is_name_char(*b))
        }
        [] => false,
    }
}

/// Whether `name` is a valid label name: any non-empty string that does
/// not start with `__` (reserved for Prometheus' own labels).
///
/// ```
/// assert!(promscribe_rules::is_valid_label_name("method"));
/// assert!(promscribe_rules::is_valid_label_name("http.method"));
/// assert!(!promscribe_rules::is_valid_label_name("__name__"));
/// assert!(!promscribe_rules::is_valid_label_name(""));
/// ```
pub fn is_valid_label_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with("__")
}

/// Whether `name` has only the characters of a legacy label name,
/// `[a-zA-Z_][a-zA-Z0-9_]*` (the reserved `__` prefix is not looked at):
/// such a name is written as it is by every escaping scheme.
///
/// ```
/// assert!(promscribe_rules::is_legacy_label_charset("_x9"));
/// assert!(!promscribe_rules::is_legacy_label_charset("a:b"));
/// ```
pub fn is_legacy_label_charset(name: &str) -> bool {
    let ok = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    match name.as_bytes() {
        [first, rest @ ..] => !first.is_ascii_digit() && ok(first) && rest.iter().all(ok),
        [] => false,
    }
}

/// Whether `name` is a valid label name by the legacy (pre-UTF-8) rule:
/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`.
///
/// ```
/// assert!(promscribe_rules::is_valid_legacy_label_name("method"));
/// assert!(!promscribe_rules::is_valid_legacy_label_name("a:b"));
/// assert!(!promscribe_rules::is_valid_legacy_label_name("__name__"));
/// ```
pub fn is_valid_legacy_label_name(name: &str) -> bool {
    is_legacy_label_charset(name) && !name.starts_with("__")
}

/// Builds and checks the full name of a metric, as Python's client builds
/// it: `namespace_subsystem_name`, the type's suffix removed (`_total`,
/// `_info`), `_unit` appended when missing. Any non-empty name is valid
/// (UTF-8 names, as Prometheus 3 takes them); a state set's name must also
/// be a valid label name.
///
/// ```
/// use promscribe_rules::{full_name, Kind, NameParts, RuleError};
/// let p = |name| NameParts { name, ..NameParts::default() };
/// assert_eq!(full_name(Kind::Counter, &p("jobs_total")).unwrap(), "jobs");
/// assert_eq!(full_name(Kind::Gauge, &p("http.server.duration")).unwrap(),
///            "http.server.duration");
/// assert!(matches!(full_name(Kind::Counter, &p("_total")),
///                  Err(RuleError::EmptyAfterSuffix { .. })));
/// assert!(matches!(full_name(Kind::StateSet, &p("__state")),
///                  Err(RuleError::NameNotALabel { .. })));
/// ```
pub fn full_name(kind: Kind, parts: &NameParts<'_>) -> Result<String, RuleError> {
    build_full_name(kind, parts, false)
}

/// [`full_name`] by the legacy (pre-UTF-8) rules, for a program that must
/// keep its names valid for scrapers older than Prometheus 3: every
/// component may only use the characters of a legacy metric name
/// (`[a-zA-Z0-9_:]`), the first one must not start with a digit, and each
/// is checked on its own so that the error blames it; a state set's name
/// must be a legacy label name.
///
/// ```
/// use promscribe_rules::{legacy_full_name, Kind, NameParts, Part};
/// let p = NameParts { namespace: "my-app", name: "up", ..NameParts::default() };
/// assert_eq!(legacy_full_name(Kind::Gauge, &p).unwrap_err().part(), Some(Part::Namespace));
/// let p = NameParts { namespace: "app", name: "up", ..NameParts::default() };
/// assert_eq!(legacy_full_name(Kind::Gauge, &p).unwrap(), "app_up");
/// ```
pub fn legacy_full_name(kind: Kind, parts: &NameParts<'_>) -> Result<String, RuleError> {
    build_full_name(kind, parts, true)
}

fn build_full_name(kind: Kind, parts: &NameParts<'_>, legacy: bool) -> Result<String, RuleError> {
    if parts.name.is_empty() {
        return Err(RuleError::EmptyName);
    }
    let components = [
        (Part::Namespace, parts.namespace),
        (Part::Subsystem, parts.subsystem),
        (Part::Name, parts.name),
        (Part::Unit, parts.unit),
    ];
    let invalid = |part: Part, value: &str, leading_digit: bool| RuleError::InvalidPart {
        part,
        value: value.to_owned(),
        leading_digit,
    };
    if legacy {
        for (part, value) in components {
            if !value.bytes().all(is_name_char) {
                return Err(invalid(part, value, false));
            }
        }
        // The first non-empty prefix (or the name) starts the full name.
        if let Some((part, value)) = components[..3].iter().find(|(_, v)| !v.is_empty()) {
            if value.as_bytes()[0].is_ascii_digit() {
                return Err(invalid(*part, value, true));
            }
        }
    }
    let mut full = String::new();
    for prefix in [parts.namespace, parts.subsystem] {
        if !prefix.is_empty() {
            full.push_str(prefix);
            full.push('_');
        }
    }
    full.push_str(parts.name);
    if let Some(suffix) = kind.stripped_suffix() {
        if let Some(stripped) = full.strip_suffix(suffix) {
            if stripped.is_empty() {
                return Err(RuleError::EmptyAfterSuffix {
                    input: parts.name.to_owned(),
                    suffix,
                });
            }
            full.truncate(stripped.len());
        }
    }
    if !parts.unit.is_empty() {
        if !kind.allows_unit() {
            return Err(RuleError::UnitNotAllowed { name: full, kind });
        }
        let already = full
            .strip_suffix(parts.unit)
            .is_some_and(|rest| rest.ends_with('_'));
        if !already {
            full.push('_');
            full.push_str(parts.unit);
        }
    }
    let valid = if legacy {
        is_valid_legacy_metric_name(&full)
    } else {
        is_valid_metric_name(&full)
    };
    if !valid {
        return Err(RuleError::InvalidMetricName { name: full });
    }
    if kind == Kind::StateSet {
        let label = if legacy {
            is_valid_legacy_label_name(&full)
        } else {
            is_valid_label_name(&full)
        };
        if !label {
            return Err(RuleError::NameNotALabel { name: full });
        }
    }
    Ok(full)
}

/// Checks the name of a state set (an enum): its states are exposed in a
/// label named after it, so it must be a valid label name too.
///
/// ```
/// assert!(promscribe_rules::check_stateset_name("task.state").is_ok());
/// assert!(promscribe_rules::check_stateset_name("__task_state").is_err());
/// ```
pub fn check_stateset_name(name: &str) -> Result<(), RuleError> {
    if is_valid_label_name(name) {
        Ok(())
    } else {
        Err(RuleError::NameNotALabel {
            name: name.to_owned(),
        })
    }
}

/// Checks one label name of metric `metric` (its full name) of type
/// `kind`, given the label names declared before it.
///
/// ```
/// use promscribe_rules::{check_label_name, Kind};
/// assert!(check_label_name("h", Kind::Histogram, "le", &[] as &[&str]).is_err());
/// assert!(check_label_name("g", Kind::Gauge, "a", &["a"]).is_err());
/// assert!(check_label_name("e", Kind::StateSet, "e", &[] as &[&str]).is_err());
/// ```
pub fn check_label_name<S: AsRef<str>>(
    metric: &str,
    kind: Kind,
    label: &str,
    earlier: &[S],
) -> Result<(), RuleError> {
    if !is_valid_label_name(label) {
        return Err(RuleError::InvalidLabelName {
            metric: metric.to_owned(),
            label: label.to_owned(),
        });
    }
    let reserved =
        kind.reserved_label() == Some(label) || (kind == Kind::StateSet && label == metric);
    if reserved {
        return Err(RuleError::ReservedLabelName {
            metric: metric.to_owned(),
            label: label.to_owned(),
            kind,
        });
    }
    if earlier.iter().any(|l| l.as_ref() == label) {
        return Err(RuleError::DuplicateLabelName {
            metric: metric.to_owned(),
            label: label.to_owned(),
        });
    }
    Ok(())
}

/// Checks all label names of a metric (see [`check_label_name`]).
///
/// ```
/// use promscribe_rules::{check_label_names, Kind};
/// assert!(check_label_names("s", Kind::Summary, &["method", "quantile"]).is_err());
/// assert!(check_label_names("s", Kind::Summary, &["method"]).is_ok());
/// ```
pub fn check_label_names<S: AsRef<str>>(
    metric: &str,
    kind: Kind,
    labels: &[S],
) -> Result<(), RuleError> {
    for (i, label) in labels.iter().enumerate() {
        check_label_name(metric, kind, label.as_ref(), &labels[..i])?;
    }
    Ok(())
}

/// A bucket bound as the exposition writes it (`+Inf`, `1.0`).
fn bound(v: f64) -> String {
    if v == f64::INFINITY {
        "+Inf".to_owned()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else {
        format!("{v:?}")
    }
}

fn bucket_error(metric: &str, index: Option<usize>, reason: String) -> RuleError {
    RuleError::InvalidBuckets {
        metric: metric.to_owned(),
        index,
        reason,
    }
}

/// Checks the bucket bounds of histogram `metric` (empty when not known
/// yet) and returns them with `+Inf` appended when missing: strictly
/// increasing, no NaN, at least two buckets counting `+Inf`, at most
/// [`MAX_BUCKETS`].
///
/// ```
/// use promscribe_rules::check_buckets;
/// assert_eq!(check_buckets("h", &[1.0]).unwrap(), [1.0, f64::INFINITY]);
/// assert!(check_buckets("h", &[]).is_err());
/// assert!(check_buckets("h", &[f64::INFINITY]).is_err());
/// ```
pub fn check_buckets(metric: &str, bounds: &[f64]) -> Result<Vec<f64>, RuleError> {
    let has_inf = bounds.last() == Some(&f64::INFINITY);
    let total = bounds.len() + usize::from(!has_inf);
    if total > MAX_BUCKETS {
        return Err(bucket_error(
            metric,
            None,
            format!("{total} buckets counting +Inf, more than the maximum of {MAX_BUCKETS}"),
        ));
    }
    if let Some(i) = bounds.iter().position(|b| b.is_nan()) {
        return Err(bucket_error(
            metric,
            Some(i),
            format!("bucket bound {} of {} is NaN", i + 1, bounds.len()),
        ));
    }
    if let Some(i) = bounds.windows(2).position(|w| w[0] >= w[1]) {
        return Err(bucket_error(
            metric,
            Some(i + 1),
            format!(
                "buckets must be in strictly increasing order, but {} is followed by {}",
                bound(bounds[i]),
                bound(bounds[i + 1])
            ),
        ));
    }
    if total < 2 {
        let reason = if bounds.is_empty() {
            "no bucket bound given: a histogram needs at least two buckets counting +Inf"
        } else {
            "only +Inf given: a histogram needs at least two buckets counting +Inf"
        };
        return Err(bucket_error(metric, None, reason.to_owned()));
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(bounds);
    if !has_inf {
        out.push(f64::INFINITY);
    }
    Ok(out)
}

fn check_finite(metric: &str, what: &str, v: f64) -> Result<(), RuleError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(bucket_error(
            metric,
            None,
            format!("{what} is {}; it must be a finite number", bound(v)),
        ))
    }
}

fn check_count(metric: &str, kind: &str, count: usize) -> Result<(), RuleError> {
    if count == 0 {
        return Err(bucket_error(
            metric,
            None,
            format!(
                "{kind} buckets with count 0: a histogram needs at least one bound besides +Inf"
            ),
        ));
    }
    if count >= MAX_BUCKETS {
        return Err(bucket_error(
            metric,
            None,
            format!(
                "{kind} buckets with count {count}: at most {} bounds besides +Inf \
                 (MAX_BUCKETS = {MAX_BUCKETS} counting +Inf)",
                MAX_BUCKETS - 1
            ),
        ));
    }
    Ok(())
}

fn generated(
    metric: &str,
    kind: &str,
    count: usize,
    mut next: impl FnMut() -> f64,
) -> Result<Vec<f64>, RuleError> {
    let mut v = Vec::with_capacity(count + 1);
    for i in 0..count {
        let b = next();
        if !b.is_finite() {
            return Err(bucket_error(
                metric,
                Some(i),
                format!(
                    "bound {} of {count} of the {kind} buckets is {}: the bounds must stay finite",
                    i + 1,
                    bound(b)
                ),
            ));
        }
        v.push(b);
    }
    check_buckets(metric, &v)
}

/// `count` bounds `start`, `start + width`, ..., then `+Inf`. `start` and
/// `width` must be finite, `width` positive, `count` between 1 and
/// `MAX_BUCKETS - 1`.
///
/// ```
/// assert_eq!(promscribe_rules::linear_buckets("", 1.0, 2.0, 2).unwrap(),
///            [1.0, 3.0, f64::INFINITY]);
/// assert!(promscribe_rules::linear_buckets("", 1.0, 2.0, usize::MAX).is_err());
/// ```
pub fn linear_buckets(
    metric: &str,
    start: f64,
    width: f64,
    count: usize,
) -> Result<Vec<f64>, RuleError> {
    check_finite(metric, "the start of the linear buckets", start)?;
    check_finite(metric, "the width of the linear buckets", width)?;
    check_count(metric, "linear", count)?;
    let mut i = 0.0;
    generated(metric, "linear", count, || {
        let b = start + width * i;
        i += 1.0;
        b
    })
}

/// `count` bounds `start`, `start * factor`, ..., then `+Inf`. `start`
/// must be finite and positive, `factor` finite and above 1, `count`
/// between 1 and `MAX_BUCKETS - 1`.
///
/// ```
/// assert_eq!(promscribe_rules::exponential_buckets("", 1.0, 10.0, 2).unwrap(),
///            [1.0, 10.0, f64::INFINITY]);
/// assert!(promscribe_rules::exponential_buckets("", 1.0, f64::NAN, 2).is_err());
/// ```
pub fn exponential_buckets(
    metric: &str,
    start: f64,
    factor: f64,
    count: usize,
) -> Result<Vec<f64>, RuleError> {
    check_finite(metric, "the start of the exponential buckets", start)?;
    check_finite(metric, "the factor of the exponential buckets", factor)?;
    check_count(metric, "exponential", count)?;
    let mut b = start;
    generated(metric, "exponential", count, || {
        let cur = b;
        b *= factor;
        cur
    })
}
