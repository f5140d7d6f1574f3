//! Errors of metric construction, updates and registration.

use std::fmt;

use promscribe_rules::{Kind, Part, RuleError};

use crate::metric_type::MetricType;

/// A metric could not be built or updated.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MetricError {
    /// The metric name is empty (any other UTF-8 name is valid).
    InvalidMetricName(String),
    /// By the legacy (pre-UTF-8) rules only, which promscribe's
    /// constructors no longer apply: a component of a metric name
    /// (`"namespace"`, `"subsystem"`, `"metric name"`, `"unit"`) holds a
    /// character a legacy metric name cannot, or a leading digit where it
    /// starts the full name.
    InvalidNamePart {
        /// Which component.
        part: &'static str,
        /// Its value.
        value: String,
        /// Whether the problem is a leading digit (else a character).
        leading_digit: bool,
    },
    /// The metric name is empty, or nothing but the suffix its type
    /// removes (`_total` of a counter, `_info` of an info metric).
    EmptyName {
        /// The name given.
        input: String,
        /// The suffix removed; empty when the name itself is empty.
        suffix: &'static str,
    },
    /// A state set (an enum) whose name is not a valid label name: its
    /// states are exposed in a label named after it.
    NameNotALabel {
        /// The metric.
        name: String,
    },
    /// A label name is empty or starts with the reserved `__`.
    InvalidLabelName {
        /// The metric.
        metric: String,
        /// The offending label name.
        label: String,
    },
    /// A label name reserved by the metric type (`le`, `quantile`, ...).
    ReservedLabelName {
        /// The metric.
        metric: String,
        /// The offending label name.
        label: String,
        /// The metric's type.
        kind: MetricType,
    },
    /// The same label name twice.
    DuplicateLabelName {
        /// The metric.
        metric: String,
        /// The repeated label name.
        label: String,
    },
    /// A unit on a type that cannot have one (info, stateset).
    UnitNotAllowed {
        /// The metric.
        name: String,
        /// The metric's type.
        kind: MetricType,
    },
    /// Histogram buckets not in strictly increasing order, or NaN.
    InvalidBuckets {
        /// The metric.
        metric: String,
        /// What is wrong.
        reason: String,
    },
    /// A number of labels (names for a family built at run time, values
    /// for a custom-collector family) that differs from the expected one.
    LabelCount {
        /// The metric.
        metric: String,
        /// How many labels the metric has.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// A label name the metric does not have (named label lookup).
    UnknownLabel {
        /// The metric.
        metric: String,
        /// The label name given.
        label: String,
    },
    /// An enum metric was set to a state it does not declare.
    UnknownState {
        /// The metric.
        metric: String,
        /// The state given.
        state: String,
        /// The declared states.
        states: Vec<String>,
    },
    /// An enum metric declared without states, or with one twice.
    InvalidStates {
        /// The metric.
        metric: String,
        /// What is wrong.
        reason: String,
    },
    /// The value was recorded, but its exemplar was refused (labels that
    /// are invalid, given twice or too long): the event happened, so the
    /// increment or observation counts, as in Python's and Go's clients.
    ExemplarRefused {
        /// The metric.
        metric: String,
        /// The increment or observation that was recorded.
        value: f64,
        /// Why the exemplar was refused.
        reason: String,
    },
    /// Exemplar labels that are invalid or too long.
    InvalidExemplar {
        /// The metric.
        metric: String,
        /// What is wrong.
        reason: String,
    },
    /// A sample does not fit the type of its family (a `_bucket` sample
    /// without `le`, a `_total` sample in a gauge family, ...).
    InvalidSample {
        /// The family.
        metric: String,
        /// What is wrong.
        reason: String,
    },
    /// A counter was asked to go down.
    NegativeIncrement {
        /// The metric.
        metric: String,
        /// The refused amount.
        amount: f64,
    },
    /// A series limit out of range: `max_series` of 0, an `expire_after`
    /// of zero or longer than 24 days, or a process-wide default set twice.
    InvalidLimit {
        /// The metric (empty for the process-wide default).
        metric: String,
        /// What is wrong.
        reason: String,
    },
    /// What multiprocess mode cannot record (an info or enum metric, a
    /// value function, the removal of a series, native buckets, an
    /// increment of a `mostrecent` gauge), or an update its file refused:
    /// the update was not recorded. Feature `multiprocess`.
    #[cfg(feature = "multiprocess")]
    #[cfg_attr(docsrs, doc(cfg(feature = "multiprocess")))]
    Multiprocess {
        /// The metric (empty for a series of a family that has no name).
        metric: String,
        /// Why.
        reason: String,
    },
    /// An option of a histogram's native buckets is out of range.
    InvalidNativeOption {
        /// The metric (empty when not yet named).
        metric: String,
        /// The option, as `NativeOpts` names it (`"bucket_factor"`, ...).
        option: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for MetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricError::InvalidMetricName(_)
            | MetricError::InvalidNamePart { .. }
            | MetricError::EmptyName { .. }
            | MetricError::NameNotALabel { .. }
            | MetricError::InvalidLabelName { .. }
            | MetricError::ReservedLabelName { .. }
            | MetricError::DuplicateLabelName { .. }
            | MetricError::UnitNotAllowed { .. }
            | MetricError::InvalidBuckets { .. } => match self.as_rule_error() {
                Some(rule) => rule.fmt(f),
                None => Ok(()),
            },
            MetricError::LabelCount {
                metric,
                expected,
                got,
            } => write!(
                f,
                "metric `{metric}` has {expected} labels, but {got} were given"
            ),
            MetricError::UnknownLabel { metric, label } => {
                write!(f, "metric `{metric}` has no label named `{label}`")
            }
            MetricError::UnknownState {
                metric,
                state,
                states,
            } => write!(
                f,
                "`{state}` is not a state of enum `{metric}`; its states are: {}",
                states.join(", ")
            ),
            MetricError::InvalidStates { metric, reason } if metric.is_empty() => {
                write!(f, "invalid enum states: {reason}")
            }
            MetricError::InvalidStates { metric, reason } => {
                write!(f, "invalid states for enum `{metric}`: {reason}")
            }
            MetricError::ExemplarRefused {
                metric,
                value,
                reason,
            } => write!(
                f,
                "`{metric}` recorded {value}, but its exemplar was refused: {reason}"
            ),
            MetricError::InvalidExemplar { metric, reason } => {
                write!(f, "invalid exemplar for `{metric}`: {reason}")
            }
            MetricError::InvalidSample { metric, reason } => {
                write!(f, "invalid sample for `{metric}`: {reason}")
            }
            MetricError::NegativeIncrement { metric, amount } => write!(
                f,
                "counter `{metric}` cannot be increased by {amount}: counters only go up"
            ),
            MetricError::InvalidLimit { metric, reason } if metric.is_empty() => {
                write!(f, "invalid series limit: {reason}")
            }
            MetricError::InvalidLimit { metric, reason } => {
                write!(f, "invalid series limit of metric `{metric}`: {reason}")
            }
            #[cfg(feature = "multiprocess")]
            MetricError::Multiprocess { metric, reason } => {
                write!(f, "metric `{metric}` in multiprocess mode: {reason}")
            }
            MetricError::InvalidNativeOption {
                metric,
                option,
                reason,
            } => write!(
                f,
                "invalid native histogram option `{option}` of metric `{metric}`: {reason}"
            ),
        }
    }
}

impl std::error::Error for MetricError {}

pub(crate) fn rule_kind(kind: MetricType) -> Kind {
    match kind {
        MetricType::Counter => Kind::Counter,
        MetricType::Gauge => Kind::Gauge,
        MetricType::Histogram => Kind::Histogram,
        MetricType::GaugeHistogram => Kind::GaugeHistogram,
        MetricType::Summary => Kind::Summary,
        MetricType::Info => Kind::Info,
        MetricType::StateSet => Kind::StateSet,
        MetricType::Unknown => Kind::Unknown,
    }
}

fn metric_type(kind: Kind) -> MetricType {
    match kind {
        Kind::Counter => MetricType::Counter,
        Kind::Gauge => MetricType::Gauge,
        Kind::Histogram => MetricType::Histogram,
        Kind::GaugeHistogram => MetricType::GaugeHistogram,
        Kind::Summary => MetricType::Summary,
        Kind::Info => MetricType::Info,
        Kind::StateSet => MetricType::StateSet,
        Kind::Unknown => MetricType::Unknown,
    }
}

fn part_named(part: &str) -> Part {
    match part {
        "namespace" => Part::Namespace,
        "subsystem" => Part::Subsystem,
        "unit" => Part::Unit,
        _ => Part::Name,
    }
}

impl MetricError {
    /// An exemplar's error once the value it came with has been recorded:
    /// `InvalidExemplar` becomes `ExemplarRefused`, which says so.
    pub(crate) fn exemplar_refused(self, value: f64) -> MetricError {
        match self {
            MetricError::InvalidExemplar { metric, reason } => MetricError::ExemplarRefused {
                metric,
                value,
                reason,
            },
            other => other,
        }
    }

    /// The shared rule this error reports, whose text is the message (the
    /// declaration macros print the same one).
    fn as_rule_error(&self) -> Option<RuleError> {
        Some(match self.clone() {
            MetricError::InvalidMetricName(name) => RuleError::InvalidMetricName { name },
            MetricError::InvalidNamePart {
                part,
                value,
                leading_digit,
            } => RuleError::InvalidPart {
                part: part_named(part),
                value,
                leading_digit,
            },
            MetricError::EmptyName { suffix: "", .. } => RuleError::EmptyName,
            MetricError::EmptyName { input, suffix } => {
                RuleError::EmptyAfterSuffix { input, suffix }
            }
            MetricError::NameNotALabel { name } => RuleError::NameNotALabel { name },
            MetricError::InvalidLabelName { metric, label } => {
                RuleError::InvalidLabelName { metric, label }
            }
            MetricError::ReservedLabelName {
                metric,
                label,
                kind,
            } => RuleError::ReservedLabelName {
                metric,
                label,
                kind: rule_kind(kind),
            },
            MetricError::DuplicateLabelName { metric, label } => {
                RuleError::DuplicateLabelName { metric, label }
            }
            MetricError::UnitNotAllowed { name, kind } => RuleError::UnitNotAllowed {
                name,
                kind: rule_kind(kind),
            },
            MetricError::InvalidBuckets { metric, reason } => RuleError::InvalidBuckets {
                metric,
                index: None,
                reason,
            },
            _ => return None,
        })
    }
}

impl From<RuleError> for MetricError {
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::InvalidPart {
                part,
                value,
                leading_digit,
            } => MetricError::InvalidNamePart {
                part: part.as_str(),
                value,
                leading_digit,
            },
            RuleError::EmptyName => MetricError::EmptyName {
                input: String::new(),
                suffix: "",
            },
            RuleError::EmptyAfterSuffix { input, suffix } => {
                MetricError::EmptyName { input, suffix }
            }
            RuleError::InvalidMetricName { name } => MetricError::InvalidMetricName(name),
            RuleError::UnitNotAllowed { name, kind } => MetricError::UnitNotAllowed {
                name,
                kind: metric_type(kind),
            },
            RuleError::NameNotALabel { name } => MetricError::NameNotALabel { name },
            RuleError::InvalidLabelName { metric, label } => {
                MetricError::InvalidLabelName { metric, label }
            }
            RuleError::ReservedLabelName {
                metric,
                label,
                kind,
            } => MetricError::ReservedLabelName {
                metric,
                label,
                kind: metric_type(kind),
            },
            RuleError::DuplicateLabelName { metric, label } => {
                MetricError::DuplicateLabelName { metric, label }
            }
            RuleError::InvalidBuckets { metric, reason, .. } => {
                MetricError::InvalidBuckets { metric, reason }
            }
        }
    }
}
