//! Errors of metric construction, updates and registration.

use std::fmt;

use crate::model::MetricType;

/// A metric could not be built or updated.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MetricError {
    /// The metric name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    InvalidMetricName(String),
    /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*` or starts with `__`.
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
    /// Exemplar labels that are invalid or too long.
    InvalidExemplar {
        /// The metric.
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
}

impl fmt::Display for MetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricError::InvalidMetricName(n) => write!(
                f,
                "invalid metric name `{n}`: a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*"
            ),
            MetricError::InvalidLabelName { metric, label } => write!(
                f,
                "invalid label name `{label}` on metric `{metric}`: a label name must match \
                 [a-zA-Z_][a-zA-Z0-9_]* and must not start with `__`"
            ),
            MetricError::ReservedLabelName {
                metric,
                label,
                kind,
            } => write!(
                f,
                "label name `{label}` is reserved on {kind} metric `{metric}`"
            ),
            MetricError::DuplicateLabelName { metric, label } => {
                write!(f, "label name `{label}` appears twice on metric `{metric}`")
            }
            MetricError::UnitNotAllowed { name, kind } => {
                write!(
                    f,
                    "metric `{name}` is of type {kind}, which cannot have a unit"
                )
            }
            MetricError::InvalidBuckets { metric, reason } => {
                write!(f, "invalid buckets for histogram `{metric}`: {reason}")
            }
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
            MetricError::InvalidStates { metric, reason } => {
                write!(f, "invalid states for enum `{metric}`: {reason}")
            }
            MetricError::InvalidExemplar { metric, reason } => {
                write!(f, "invalid exemplar for `{metric}`: {reason}")
            }
            MetricError::NegativeIncrement { metric, amount } => write!(
                f,
                "counter `{metric}` cannot be increased by {amount}: counters only go up"
            ),
        }
    }
}

impl std::error::Error for MetricError {}
