//! Procedural macros of `promscribe`. Use them through `promscribe`,
//! which re-exports them and provides the paths their expansions call.
//!
//! Each macro is split into parse (syntax into a model), validate (the
//! Prometheus rules, as spanned errors) and expand (tokens that call
//! `::promscribe::__private`).

use proc_macro::TokenStream;

mod attr;
mod decl;
mod names;

use attr::Attr;
use decl::Kind;

/// Declares a `static` [`Counter`](https://docs.rs/promscribe) (or a
/// labelled family of counters) registered in the default registry.
///
/// `counter!(vis NAME, "metric_name", "help", options...)` with options
/// `labels = ["a", ...]`, `namespace = "..."`, `subsystem = "..."`,
/// `unit = "..."`. A trailing `_total` is handled as Python's client does.
#[proc_macro]
pub fn counter(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Counter, input.into()).into()
}

/// Declares a `static` Gauge (or a labelled family of gauges).
///
/// Same syntax and options as `counter!`.
#[proc_macro]
pub fn gauge(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Gauge, input.into()).into()
}

/// Declares a `static` Histogram (or a labelled family). Besides the
/// options of `counter!`, `buckets = [0.1, 1.0, ...]` (strictly
/// increasing; `+Inf` is added) replaces the default buckets.
#[proc_macro]
pub fn histogram(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Histogram, input.into()).into()
}

/// Declares a `static` Summary (or a labelled family).
///
/// Same syntax and options as `counter!`.
#[proc_macro]
pub fn summary(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Summary, input.into()).into()
}

/// Declares a `static` Info metric (or a labelled family): key-value
/// pairs exposed as `<name>_info 1`. Options: `labels`, `namespace`,
/// `subsystem`; a unit is an error. A trailing `_info` is dropped from the
/// family name.
#[proc_macro]
pub fn info(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Info, input.into()).into()
}

/// Declares a `static` Enum metric (or a labelled family):
/// `enumeration!(STATE, "task_state", "help", states = ["a", "b"])`; the
/// first state is the default. Options: `states` (required), `labels`,
/// `namespace`, `subsystem`; a unit is an error.
#[proc_macro]
pub fn enumeration(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Enum, input.into()).into()
}

/// Times a function (sync or async) into a Histogram or Summary, or sets a
/// Gauge to its duration: `#[timed(METRIC)]`, or
/// `#[timed(FAMILY, labels = [expr, ...])]` with label values computed from
/// the arguments at call time. The elapsed time is recorded on every exit:
/// return, `?`, panic, and a future dropped before completion.
#[proc_macro_attribute]
pub fn timed(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(Attr::Timed, args.into(), item.into()).into()
}

/// Counts the exceptions of a function (sync or async) in a Counter:
/// returns of `Err(_)` and panics (the panic keeps unwinding). A function
/// returning `()` or `impl Trait` counts panics only.
///
/// `#[count_exceptions(COUNTER, err = pattern)]` counts only errors that
/// match the pattern (`err = MyError::Timeout | MyError::Io(_)`), and
/// `#[count_exceptions(COUNTER, err_type = std::io::Error)]` only errors of
/// that type (also inside a `Box<dyn Error>`). `labels = [expr, ...]`
/// picks a child of a counter family from the arguments.
#[proc_macro_attribute]
pub fn count_exceptions(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(Attr::CountExceptions, args.into(), item.into()).into()
}

/// Tracks calls in progress in a Gauge: +1 on entry, -1 on every exit
/// (return, `?`, panic, and an async future dropped before completion).
/// `labels = [expr, ...]` picks a child of a gauge family.
#[proc_macro_attribute]
pub fn track_inprogress(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(Attr::TrackInprogress, args.into(), item.into()).into()
}
