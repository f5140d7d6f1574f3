//! What a declaration means once checked: the kind of metric and the
//! static to emit.

use proc_macro2::{Span, TokenStream};
use syn::{Attribute, Expr, Ident, LitStr, Visibility};

use crate::krate::Krate;
use crate::names::RuleKind;

/// Python's gauge modes (`multiprocess_mode`), in Python's order.
pub(super) const GAUGE_MODES: [&str; 10] = [
    "all",
    "liveall",
    "min",
    "livemin",
    "max",
    "livemax",
    "sum",
    "livesum",
    "mostrecent",
    "livemostrecent",
];

/// Which declaration macro.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Info,
    Enum,
}

impl Kind {
    pub(super) fn macro_name(self) -> &'static str {
        match self {
            Kind::Counter => "counter!",
            Kind::Gauge => "gauge!",
            Kind::Histogram => "histogram!",
            Kind::Summary => "summary!",
            Kind::Info => "info!",
            Kind::Enum => "enumeration!",
        }
    }

    pub(super) fn type_ident(self) -> Ident {
        let s = match self {
            Kind::Counter => "Counter",
            Kind::Gauge => "Gauge",
            Kind::Histogram => "Histogram",
            Kind::Summary => "Summary",
            Kind::Info => "Info",
            Kind::Enum => "Enum",
        };
        Ident::new(s, Span::call_site())
    }

    /// The `MetricType` variant.
    pub(super) fn metric_type(self) -> Ident {
        let s = match self {
            Kind::Info => "Info",
            Kind::Enum => "StateSet",
            other => return other.type_ident(),
        };
        Ident::new(s, Span::call_site())
    }

    pub(super) fn noun(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::Summary => "summary",
            Kind::Info => "info metric",
            Kind::Enum => "enum",
        }
    }

    /// The options this macro takes, as the error for an unknown one lists them.
    pub(super) fn options(self) -> &'static [&'static str] {
        match self {
            Kind::Histogram => &[
                "labels",
                "max_series",
                "expire_after",
                "buckets",
                "native",
                "namespace",
                "subsystem",
                "unit",
                "crate",
            ],
            Kind::Enum => &[
                "states",
                "labels",
                "max_series",
                "expire_after",
                "namespace",
                "subsystem",
                "crate",
            ],
            Kind::Info => &[
                "labels",
                "max_series",
                "expire_after",
                "namespace",
                "subsystem",
                "crate",
            ],
            Kind::Gauge => &[
                "labels",
                "max_series",
                "expire_after",
                "multiprocess_mode",
                "namespace",
                "subsystem",
                "unit",
                "crate",
            ],
            Kind::Summary => &[
                "labels",
                "max_series",
                "expire_after",
                "quantiles",
                "max_age",
                "age_buckets",
                "namespace",
                "subsystem",
                "unit",
                "crate",
            ],
            _ => &[
                "labels",
                "max_series",
                "expire_after",
                "namespace",
                "subsystem",
                "unit",
                "crate",
            ],
        }
    }

    /// The kind the shared rules know.
    pub(super) fn rule_kind(self) -> RuleKind {
        match self {
            Kind::Counter => RuleKind::Counter,
            Kind::Gauge => RuleKind::Gauge,
            Kind::Histogram => RuleKind::Histogram,
            Kind::Summary => RuleKind::Summary,
            Kind::Info => RuleKind::Info,
            Kind::Enum => RuleKind::StateSet,
        }
    }
}

/// A checked declaration. Built even when the input has mistakes (invalid
/// parts replaced by stand-ins), so that the static still exists beside
/// the errors and its uses do not add errors of their own.
pub(super) struct Model {
    pub(super) kind: Kind,
    pub(super) krate: Krate,
    pub(super) attrs: Vec<Attribute>,
    pub(super) vis: Visibility,
    pub(super) ident: Ident,
    pub(super) full_name: String,
    pub(super) help: LitStr,
    pub(super) unit: String,
    pub(super) labels: Option<Vec<LitStr>>,
    pub(super) buckets: Option<Vec<f64>>,
    pub(super) states: Option<Vec<LitStr>>,
    /// `native = <const expression of type NativeOpts>` of a histogram,
    /// checked where the static is evaluated.
    pub(super) native: Option<Expr>,
    /// `quantiles = [...]` of a summary, with its `max_age` and
    /// `age_buckets`, checked.
    pub(super) quantiles: Option<QuantileDecl>,
    /// `multiprocess_mode = "..."` of a gauge: one of Python's ten mode
    /// names, checked.
    pub(super) multiprocess_mode: Option<LitStr>,
    /// The family's series limits: `None` when not given (or given on a
    /// metric without labels, or invalid: reported).
    pub(super) limits: Limits,
}

/// A summary's quantile options, checked by the rules of
/// `SummaryQuantiles` (which the expansion builds them with).
pub(super) struct QuantileDecl {
    /// `(quantile, rank error)` pairs, as written.
    pub(super) objectives: Vec<(f64, f64)>,
    /// `max_age`, in milliseconds, if given.
    pub(super) max_age_ms: Option<u64>,
    /// `age_buckets`, if given.
    pub(super) age_buckets: Option<u32>,
}

/// `max_series = ...` and `expire_after = ...` of a labelled family.
#[derive(Default)]
pub(super) struct Limits {
    /// A `usize`.
    pub(super) max_series: Option<Limit>,
    /// A `Duration`.
    pub(super) expire_after: Option<Limit>,
}

/// The value of a limit.
pub(super) enum Limit {
    /// Checked by the macro: an integer literal, or the `Duration` of a
    /// duration string.
    Checked(TokenStream),
    /// A const expression, checked in the expansion, where the static is
    /// evaluated.
    Const(Expr),
}

impl Limits {
    pub(super) fn is_set(&self) -> bool {
        self.max_series.is_some() || self.expire_after.is_some()
    }
}
