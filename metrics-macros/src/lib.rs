//! Procedural macros of `metrics-core`. Use them through `metrics-core`,
//! which re-exports them and provides the paths their expansions call.
//!
//! Each macro is split into parse (syntax into a model), validate (the
//! Prometheus rules, as spanned errors) and expand (tokens that call
//! `::metrics_core::__private`).

use proc_macro::TokenStream;

mod decl;
mod names;
mod timed;

use decl::Kind;

/// Declares a `static` [`Counter`](https://docs.rs/metrics-core) (or a
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

/// Times a function (sync or async) into a Histogram or Summary, or sets a
/// Gauge to its duration: `#[timed(METRIC)]`, or
/// `#[timed(FAMILY, labels = [expr, ...])]` with label values computed from
/// the arguments at call time. The elapsed time is recorded on every exit:
/// return, `?`, panic, and a future dropped before completion.
#[proc_macro_attribute]
pub fn timed(args: TokenStream, item: TokenStream) -> TokenStream {
    timed::timed(args.into(), item.into()).into()
}
