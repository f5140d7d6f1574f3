//! promscribe-macros: the procedural macros of `promscribe`. Use them
//! through `promscribe`, which re-exports them and provides the paths their
//! expansions call; this crate is not meant to be a direct dependency.
//!
//! Each macro is split into parse (syntax into a model), validate (the
//! Prometheus rules, as spanned errors) and expand (tokens that call
//! `::promscribe::__private`).

use proc_macro::TokenStream;

mod attr;
mod decl;
mod derive;
mod krate;
mod names;

use attr::Attr;
use decl::Kind;

/// Declares a `static` counter registered in the default registry.
///
/// `counter!(vis NAME, "metric_name", "help", options...)`. The static is a
/// `promscribe::Counter`, or a `promscribe::Family<Counter, N>` with
/// `labels = ["a", ...]` (N label names; `.labels([..])` picks a child).
/// Options: `labels = [...]`, `max_series = N` and `expire_after = "5m"`
/// (with `labels`, see below), `namespace = "..."`, `subsystem = "..."`,
/// `unit = "..."`, `crate = path` (see below). The family name is built as Python's client does:
/// `namespace_subsystem_name_unit`, a trailing `_total` dropped from the
/// family name and added back on the sample. Names are checked at compile
/// time.
///
/// ```
/// use promscribe::counter;
///
/// counter!(pub FAILURES, "my_failures_total", "Failures");
/// counter!(REQUESTS, "requests_total", "HTTP requests", labels = ["method", "code"]);
///
/// FAILURES.inc();
/// REQUESTS.labels(("get", 200u16)).inc();
/// assert_eq!(FAILURES.get(), 1.0);
/// let text = promscribe::encode_text(promscribe::default_registry());
/// assert!(text.contains(r#"requests_total{method="get",code="200"} 1.0"#));
/// ```
///
/// Names may be any UTF-8 (Prometheus 3); a name outside the legacy
/// character set is quoted or escaped when exposed, as the scraper asks
/// (see `promscribe::EscapingScheme`):
///
/// ```
/// promscribe::counter!(DOTTED, "my.failures_total", "Failures", labels = ["http.method"]);
/// DOTTED.labels(["GET"]).inc();
/// assert_eq!(DOTTED.name(), "my.failures");
/// ```
///
/// An invalid name (empty, or a label starting with `__`) is a compile
/// error at the name:
///
/// ```compile_fail
/// promscribe::counter!(BAD, "", "Failures");
/// ```
///
/// # Bounding a family: `max_series` and `expire_after`
///
/// A family (`labels = [...]`) grows a series for every combination of
/// label values it is given. Two options bound it, in every declaration
/// macro, as `promscribe::Opts::max_series` and `Opts::expire_after` do
/// for a family built at run time:
///
/// - `max_series = N`: at most N series. Past N, a new combination records
///   into the family's one overflow series, labelled only
///   `otel_metric_overflow="true"`; the series already there keep working,
///   and the registry counts the overflow's updates in
///   `promscribe_series_overflow_total{family="<name>"}`. A positive
///   integer literal, or a const expression of type `usize`.
/// - `expire_after = "5m"`: a series not updated for this long leaves the
///   exposition, and its memory is released once nothing holds it; a
///   handle still held (`labels_owned`) brings it back, with all its
///   counts, at its next update. A string, a whole number and a unit,
///   `ms`, `s`, `m` or `h` (`"500ms"`, `"30s"`, `"5m"`, `"1h"`), from 1 ms
///   to under 24 days; or a const expression of type
///   `std::time::Duration`.
///
/// Literals are checked at compile time, with an error at the literal; a
/// const expression is checked where the static is evaluated, and a value
/// out of range fails the build there, at the expression. Without
/// `labels` either option is an error: a metric without labels is one
/// series.
///
/// ```
/// use std::time::Duration;
/// use promscribe::{counter, gauge};
///
/// counter!(LOGINS, "logins_total", "Logins", labels = ["user"], max_series = 2);
/// gauge!(QUEUES, "queue_depth", "Depth", labels = ["queue"], expire_after = "5m");
///
/// const IDLE: Duration = Duration::from_secs(10 * 60);
/// const MAX_PEERS: usize = 1000;
/// gauge!(PEERS, "peer_lag_seconds", "Lag", labels = ["peer"],
///        max_series = MAX_PEERS, expire_after = IDLE);
///
/// for user in ["ann", "bob", "cid", "dee"] {
///     LOGINS.labels([user]).inc();
/// }
/// QUEUES.labels(["mail"]).set(3.0);
/// PEERS.labels(["10.0.0.1"]).set(0.25);
/// assert_eq!(LOGINS.len(), 2);
/// let text = promscribe::encode_text(promscribe::default_registry());
/// assert!(text.contains(r#"logins_total{otel_metric_overflow="true"} 2.0"#));
/// assert!(text.contains(r#"promscribe_series_overflow_total{family="logins"} 2"#));
/// ```
///
/// A limit on a metric without labels, or a duration the macro cannot
/// read, is a compile error:
///
/// ```compile_fail
/// promscribe::counter!(C, "calls_total", "Calls", max_series = 100);
/// ```
///
/// ```compile_fail
/// promscribe::counter!(C, "calls_total", "Calls", labels = ["route"], expire_after = "2d");
/// ```
///
/// # `crate = path`
///
/// The expansion reaches promscribe by `::promscribe`. A crate that
/// depends on it under another name (`prom = { package = "promscribe" }`
/// in its `Cargo.toml`), or reaches it through a facade crate that
/// re-exports it, says where it is with `crate = path`, as the last option
/// or before the static (the form a facade's wrapper macro passes on).
/// Every declaration macro takes it. The path also fixes the version: the
/// expansion calls promscribe's private module of this macro crate's
/// version, so promscribe and promscribe-macros of different versions
/// fail to compile (an unresolved `__private::vX_Y_Z`) instead of
/// misbehaving.
///
/// ```
/// // As if `Cargo.toml` had `prom = { package = "promscribe", ... }`.
/// extern crate promscribe as prom;
///
/// prom::counter!(JOBS, "renamed_jobs_total", "Jobs", crate = prom);
///
/// // A facade re-exporting promscribe, and a wrapper that passes the path
/// // for its users.
/// mod facade {
///     pub use ::promscribe as metrics;
///     macro_rules! counter {
///         ($($input:tt)*) => {
///             $crate::facade::metrics::counter!(crate = $crate::facade::metrics, $($input)*);
///         };
///     }
///     pub(crate) use counter;
/// }
/// facade::counter!(REQUESTS, "facade_requests_total", "Requests", labels = ["method"]);
///
/// fn main() {
///     JOBS.inc();
///     REQUESTS.labels(["get"]).inc();
///     let registry = promscribe::default_registry();
///     assert_eq!(registry.get_sample_value("renamed_jobs_total", &[]), Some(1.0));
///     assert_eq!(
///         registry.get_sample_value("facade_requests_total", &[("method", "get")]),
///         Some(1.0)
///     );
/// }
/// ```
///
/// # Where a declaration can go
///
/// Anywhere a `static` can: a module or a function body (a method's body
/// too). Not directly in an `impl` or `trait` block, where Rust has no
/// `static` items: there the compiler's own error, `associated static items
/// are not allowed`, is the only one. rustc recovers such a static as an
/// associated `const`, which the link-time registration (inside the
/// static's initializer, so that its `#[cfg]` covers it) could not name;
/// the declaration reads the source around its call site, sees that it
/// stands in an `impl` or `trait` block, and leaves the registration out.
/// (That reading is conservative: when it cannot be sure, for instance in
/// a declaration written by another macro, the expansion stays the
/// ordinary one, and the compiler adds a second error,
/// ``cannot find value `NAME` in this scope``.) Declare the metric at module
/// level, beside the `impl`:
///
/// ```
/// promscribe::counter!(REQUESTS, "server_requests_total", "Requests served");
///
/// struct Server;
///
/// impl Server {
///     fn handle(&self) {
///         REQUESTS.inc();
///     }
/// }
/// # Server.handle();
/// ```
#[proc_macro]
pub fn counter(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Counter, input.into()).into()
}

/// Declares a `static` gauge registered in the default registry.
///
/// The static is a `promscribe::Gauge`, or a `promscribe::Family<Gauge, N>`
/// with `labels = [...]`. Same syntax and options as [`counter!`].
///
/// ```
/// use promscribe::gauge;
///
/// gauge!(IN_PROGRESS, "inprogress_requests", "Requests in flight");
/// gauge!(TEMPERATURE, "room_temperature", "Temperature", labels = ["room"], unit = "celsius");
///
/// IN_PROGRESS.inc();
/// IN_PROGRESS.dec();
/// TEMPERATURE.labels(["kitchen"]).set(21.5);
/// assert_eq!(IN_PROGRESS.get(), 0.0);
/// assert_eq!(TEMPERATURE.labels(["kitchen"]).get(), 21.5);
/// ```
///
/// A label name reserved by Prometheus is a compile error:
///
/// ```compile_fail
/// promscribe::gauge!(G, "g", "help", labels = ["__name__"]);
/// ```
///
/// `crate = path` names the path promscribe is reached by (a renamed
/// dependency, a facade), as for [`counter!`]:
///
/// ```
/// extern crate promscribe as prom;
/// prom::gauge!(QUEUE, "renamed_queue_length", "Queue length", crate = prom);
/// QUEUE.set(3.0);
/// assert_eq!(QUEUE.get(), 3.0);
/// ```
///
/// `multiprocess_mode = "..."` says how the gauge's values from several
/// processes merge in multiprocess mode (promscribe's `multiprocess`
/// feature; Python's `multiprocess_mode`): one of `"all"` (the default:
/// every process's value, labelled with its `pid`), `"liveall"`, `"min"`,
/// `"livemin"`, `"max"`, `"livemax"`, `"sum"`, `"livesum"`,
/// `"mostrecent"`, `"livemostrecent"` (the `live` modes count live
/// processes only). Any other name is a compile error. Without the mode
/// on, the option changes nothing.
///
/// ```
/// promscribe::gauge!(BUSY, "busy_workers", "Workers busy", multiprocess_mode = "livesum");
/// BUSY.inc();
/// assert_eq!(BUSY.get(), 1.0);
/// ```
///
/// ```compile_fail
/// promscribe::gauge!(G, "g", "help", multiprocess_mode = "average");
/// ```
#[proc_macro]
pub fn gauge(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Gauge, input.into()).into()
}

/// Declares a `static` histogram registered in the default registry.
///
/// The static is a `promscribe::Histogram`, or a
/// `promscribe::Family<Histogram, N>` with `labels = [...]`. Besides the
/// options of [`counter!`], `buckets = [0.1, 1.0, ...]` (strictly
/// increasing numbers; `+Inf` is added) replaces
/// `promscribe::DEFAULT_BUCKETS`. `le` is not a valid label name here.
///
/// ```
/// use promscribe::histogram;
///
/// histogram!(LATENCY, "request_latency_seconds", "Latency", buckets = [0.01, 0.1, 1.0]);
///
/// LATENCY.observe(0.05);
/// assert_eq!(LATENCY.get_count(), 1);
/// let text = promscribe::encode_text(promscribe::default_registry());
/// assert!(text.contains(r#"request_latency_seconds_bucket{le="0.1"} 1.0"#));
/// ```
///
/// Buckets out of order are a compile error:
///
/// ```compile_fail
/// promscribe::histogram!(H, "h_seconds", "help", buckets = [1.0, 0.5]);
/// ```
///
/// `native = <const expression of type promscribe::NativeOpts>` gives the
/// histogram native buckets (Prometheus' native histograms; see
/// `promscribe::NativeOpts` for the options and their defaults): alone, the
/// histogram is native only (it exposes no classic buckets); with
/// `buckets`, it has both kinds. It works with `labels` too (every child
/// gets its own native buckets), and with `#[timed]`. The expression is
/// any const expression (a `const` of the user's, a chain of the
/// `NativeOpts` builders); the native state is built on first use.
///
/// ```
/// use promscribe::{histogram, NativeOpts};
///
/// histogram!(RPC, "rpc_duration_seconds", "RPC latency",
///            native = NativeOpts::new().max_buckets(160));
/// const NATIVE: NativeOpts = NativeOpts::new().bucket_factor(1.2);
/// histogram!(QUERY, "query_duration_seconds", "Query latency, both kinds of buckets",
///            buckets = [0.1, 1.0], native = NATIVE);
/// histogram!(BY_PATH, "handler_duration_seconds", "Latency by path",
///            labels = ["path"], native = NativeOpts::new());
///
/// RPC.observe(0.25);
/// QUERY.observe(0.5);
/// BY_PATH.labels(["/"]).observe(2.0);
/// let families = promscribe::default_registry().gather();
/// let family = families.iter().find(|f| f.name == "rpc_duration_seconds").unwrap();
/// let promscribe::Point::Histogram(point) = &family.metrics[0].point else { unreachable!() };
/// let native = point.native.as_ref().unwrap();
/// assert_eq!(native.schema, 3); // the default bucket factor, 1.1
/// assert_eq!(native.positive, vec![(-16, 1)]); // 0.25 = 2^-2: bucket -2 * 2^3
/// assert!(point.bounds.as_slice().is_empty()); // native only
/// assert_eq!(QUERY.buckets().bounds(), &[0.1, 1.0, f64::INFINITY]);
/// ```
///
/// A bucket factor of 1 or less asks for no native buckets: the histogram
/// is classic, with its `buckets` or the default ones. Invalid options
/// (a NaN bucket factor, a zero threshold that is not finite, a NaN or
/// negative maximum zero threshold) fail the build at the expression:
///
/// ```compile_fail
/// promscribe::histogram!(H, "h_seconds", "help",
///                        native = promscribe::NativeOpts::new().bucket_factor(f64::NAN));
/// ```
///
/// `native` on any other macro is a compile error:
///
/// ```compile_fail
/// promscribe::summary!(S, "s_seconds", "help", native = promscribe::NativeOpts::new());
/// ```
///
/// `crate = path` names the path promscribe is reached by (a renamed
/// dependency, a facade), as for [`counter!`]:
///
/// ```
/// extern crate promscribe as prom;
/// prom::histogram!(WAIT, "renamed_wait_seconds", "Wait", buckets = [1.0, f64::INFINITY], crate = prom);
/// WAIT.observe(0.5);
/// assert_eq!(WAIT.get_count(), 1);
/// ```
#[proc_macro]
pub fn histogram(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Histogram, input.into()).into()
}

/// Declares a `static` summary registered in the default registry: count
/// and sum (as Python's client, which has no quantiles), and, with
/// `quantiles = [...]`, streaming quantiles over a sliding window, with
/// the semantics of Go's client's `Objectives`, `MaxAge` and `AgeBuckets`.
///
/// The static is a `promscribe::Summary`, or a
/// `promscribe::Family<Summary, N>` with `labels = [...]`. Same syntax and
/// options as [`counter!`]; `quantile` is not a valid label name here.
///
/// Quantiles:
///
/// - `quantiles = [(0.5, 0.05), (0.9, 0.01), (0.99, 0.001)]`: each
///   objective a quantile in `[0, 1]` and the rank error in `(0, 1)` it is
///   allowed (the exposed value's rank among the window's `n`
///   observations is within `error * n` of `quantile * n`), number
///   literals, no quantile twice. Exposed as `name{quantile="0.5"}`.
/// - `max_age = "10m"` (the default): how long an observation stays in
///   the window, a whole number and a unit (`ms`, `s`, `m`, `h`), at
///   least 1 ms.
/// - `age_buckets = 5` (the default): how many streams the window
///   rotates through, from 1 to 60.
///
/// These are checked at compile time by the rules of
/// `promscribe::SummaryQuantiles`, which builds them; `max_age` and `age_buckets` need `quantiles`.
/// Without labels the static is then a `promscribe::DeclaredSummary`,
/// which dereferences to the `Summary` it builds on first use; with
/// labels, every child keeps its own window. `_count` and `_sum` count
/// every observation, as Go's do; the quantiles, the window's.
///
/// ```
/// promscribe::summary!(RPC, "rpc_duration_seconds", "RPC latency",
///                      quantiles = [(0.5, 0.05), (0.9, 0.01), (0.99, 0.001)],
///                      max_age = "10m", age_buckets = 5);
/// promscribe::summary!(BY_PATH, "path_duration_seconds", "Latency by path",
///                      labels = ["path"], quantiles = [(0.5, 0.05)]);
/// RPC.observe(0.25);
/// BY_PATH.labels(["/"]).observe(0.5);
/// assert_eq!(RPC.get_quantiles()[0], (0.5, 0.25));
/// assert_eq!(BY_PATH.labels(["/"]).get_quantiles(), vec![(0.5, 0.5)]);
/// ```
///
/// ```compile_fail
/// promscribe::summary!(S, "s", "help", quantiles = [(1.5, 0.01)]);
/// ```
///
/// ```
/// use promscribe::summary;
///
/// summary!(SIZES, "request_size_bytes", "Request sizes");
///
/// SIZES.observe(512.0);
/// assert_eq!(SIZES.get_sum(), 512.0);
/// ```
///
/// ```compile_fail
/// promscribe::summary!(S, "s", "help", labels = ["quantile"]);
/// ```
///
/// `crate = path` names the path promscribe is reached by (a renamed
/// dependency, a facade), as for [`counter!`]:
///
/// ```
/// extern crate promscribe as prom;
/// prom::summary!(BYTES, "renamed_bytes", "Bytes", crate = prom);
/// BYTES.observe(512.0);
/// assert_eq!(BYTES.get_sum(), 512.0);
/// ```
#[proc_macro]
pub fn summary(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Summary, input.into()).into()
}

/// Declares a `static` info metric registered in the default registry:
/// key-value pairs exposed as `<name>_info{...} 1`.
///
/// The static is a `promscribe::Info`, or a `promscribe::Family<Info, N>`
/// with `labels = [...]`. Options: `labels`, `max_series` and
/// `expire_after` (as for [`counter!`]), `namespace`, `subsystem`; a unit
/// is an error. A trailing `_info` is dropped from the family name.
///
/// ```
/// use promscribe::info;
///
/// info!(BUILD, "my_build", "Build information");
///
/// BUILD.set([("version", "1.2.3"), ("buildhost", "foo@bar")]).unwrap();
/// let text = promscribe::encode_text(promscribe::default_registry());
/// assert!(text.contains(r#"my_build_info{version="1.2.3",buildhost="foo@bar"} 1.0"#));
/// ```
///
/// ```compile_fail
/// promscribe::info!(I, "build", "help", unit = "seconds");
/// ```
///
/// `crate = path` names the path promscribe is reached by (a renamed
/// dependency, a facade), as for [`counter!`]:
///
/// ```
/// extern crate promscribe as prom;
/// prom::info!(VERSION, "renamed_version", "Version", crate = prom);
/// VERSION.set([("version", "1.0")]).unwrap();
/// ```
#[proc_macro]
pub fn info(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Info, input.into()).into()
}

/// Declares a `static` enum (state set) metric registered in the default
/// registry: `enumeration!(STATE, "task_state", "help", states = ["a", "b"])`;
/// the first state is the initial one.
///
/// The static is a `promscribe::Enum`, or a `promscribe::Family<Enum, N>`
/// with `labels = [...]`. Options: `states` (required), `labels`,
/// `max_series` and `expire_after` (as for [`counter!`]), `namespace`,
/// `subsystem`; a unit is an error. The state label is named
/// after the metric, so the metric name must also be a valid label name.
///
/// ```
/// use promscribe::enumeration;
///
/// enumeration!(STATE, "my_task_state", "Task state", states = ["starting", "running", "stopped"]);
///
/// assert_eq!(STATE.get(), "starting");
/// STATE.state("running").unwrap();
/// let text = promscribe::encode_text(promscribe::default_registry());
/// assert!(text.contains(r#"my_task_state{my_task_state="running"} 1.0"#));
/// ```
///
/// A state given twice is a compile error:
///
/// ```compile_fail
/// promscribe::enumeration!(E, "e", "help", states = ["a", "a"]);
/// ```
///
/// `crate = path` names the path promscribe is reached by (a renamed
/// dependency, a facade), as for [`counter!`]:
///
/// ```
/// extern crate promscribe as prom;
/// prom::enumeration!(PHASE, "renamed_phase", "Phase", states = ["a", "b"], crate = prom);
/// assert_eq!(PHASE.get(), "a");
/// ```
#[proc_macro]
pub fn enumeration(input: TokenStream) -> TokenStream {
    decl::declare(Kind::Enum, input.into()).into()
}

/// Times a function (sync or async) into a Histogram or Summary, or sets a
/// Gauge to its duration: `#[timed(METRIC)]`, or
/// `#[timed(FAMILY, labels = [expr, ...])]` with label values computed from
/// the arguments at call time (taken by reference, any number of them), or
/// `#[timed(self.field)]` for a metric held in an `Arc` field. The elapsed
/// time (seconds) is recorded on every exit: return, `?`, panic, and a
/// future dropped before completion.
///
/// What is measured:
///
/// - a plain function: from the call to its return (or its unwinding);
/// - an `async fn`: from the **first poll** of its future to its
///   completion, **including the time spent awaiting** (other tasks may run
///   meanwhile). Creating the future without polling it records nothing;
///   a future dropped before completion records the time until the drop;
/// - an `#[async_trait]` method: the same as an `async fn` (the boxed
///   future the method returns is instrumented, not the call that boxes it);
/// - a function returning `impl Future<Output = T>` or
///   `Pin<Box<dyn Future<Output = T> ..>>` (`BoxFuture`): the **returned
///   future**, from its first poll to its completion, as for an `async fn`;
///   the synchronous part that builds the future is not timed;
/// - a function returning a named future type (`Self::Future`): refused at
///   compile time, as only the creation of the future could be timed.
///
/// `const fn` and functions returning `!` are refused with a message.
///
/// `#[timed(METRIC, exemplar)]` (promscribe's `otel` feature) attaches the
/// trace and span ids of the span current when the call ends (a `tracing`
/// span with the OpenTelemetry layer, or OpenTelemetry's current context)
/// to a Histogram's observation as its bucket's exemplar; outside a sampled
/// span nothing is attached. Without the feature the option is a compile
/// error that names it. Without the option nothing looks for a span.
///
/// ```
/// use promscribe::{histogram, timed};
///
/// histogram!(LATENCY, "work_seconds", "Time spent working");
/// histogram!(BY_KIND, "job_seconds", "Time per job kind", labels = ["kind"]);
///
/// #[timed(LATENCY)]
/// fn work(n: u64) -> u64 {
///     n * 2
/// }
///
/// #[timed(BY_KIND, labels = [kind])]
/// fn job(kind: &str) {}
///
/// assert_eq!(work(21), 42);
/// job("backup");
/// assert_eq!(LATENCY.get_count(), 1);
/// assert_eq!(BY_KIND.labels(["backup"]).get_count(), 1);
/// ```
///
/// A returned future is timed when it runs, not when it is created:
///
/// ```
/// use std::future::Future;
/// use promscribe::{histogram, timed};
///
/// histogram!(FETCH, "fetch_seconds", "Time fetching");
///
/// #[timed(FETCH)]
/// fn fetch() -> impl Future<Output = u8> {
///     async { 7 }
/// }
///
/// let fut = fetch();
/// assert_eq!(FETCH.get_count(), 0);
/// # let _ = fut;
/// ```
///
/// A Counter cannot hold a duration:
///
/// ```compile_fail
/// promscribe::counter!(C, "c_total", "help");
/// #[promscribe::timed(C)]
/// fn f() {}
/// ```
///
/// `crate = path` names the path promscribe is reached by (a renamed
/// dependency, a facade), on all three attributes:
///
/// ```
/// extern crate promscribe as prom;
/// prom::histogram!(JOB_TIME, "renamed_job_seconds", "Job time", crate = prom);
///
/// #[prom::timed(JOB_TIME, crate = prom)]
/// fn job() {}
///
/// job();
/// assert_eq!(JOB_TIME.get_count(), 1);
/// ```
#[proc_macro_attribute]
pub fn timed(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(Attr::Timed, args.into(), item.into()).into()
}

/// Counts the exceptions of a function (sync or async) in a Counter:
/// returns of `Err(_)` (also `Result<impl Trait, E>`) and panics (the
/// panic keeps unwinding). A function whose result is not a `Result`
/// counts panics only. For an `async fn`, an `#[async_trait]` method or a
/// function returning a future, the future's own output and panics count:
/// a panic counts only when it comes out of this future's own poll, so a
/// future dropped because a sibling panicked (in `join!`, `select!`, an
/// unwinding task) is a cancellation and counts nothing. `#[track_caller]`
/// keeps working on a sync function (its body then must end with its
/// result: a `return` or `?` in it is refused with a message).
///
/// `#[count_exceptions(COUNTER, err = pattern)]` counts only errors that
/// match the pattern (`err = MyError::Timeout | MyError::Io(_)`), and
/// `#[count_exceptions(COUNTER, err_type = std::io::Error)]` only errors of
/// that type (also inside a `Box<dyn Error>`); both are compile errors on
/// a function returning `()`. `labels = [expr, ...]` picks a child of a
/// counter family from the arguments; `#[count_exceptions(self.field)]`
/// takes an `Arc<Counter>` field.
///
/// ```
/// use promscribe::{count_exceptions, counter};
///
/// counter!(FAILURES, "parse_failures_total", "Inputs that did not parse");
///
/// #[count_exceptions(FAILURES)]
/// fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
///     s.parse()
/// }
///
/// assert!(parse("12").is_ok());
/// assert!(parse("x").is_err());
/// assert_eq!(FAILURES.get(), 1.0);
/// ```
///
/// The counter is required:
///
/// ```compile_fail
/// #[promscribe::count_exceptions]
/// fn f() {}
/// ```
///
/// `#[count_exceptions(COUNTER, exemplar)]` (promscribe's `otel` feature)
/// counts each exception with the current span's trace and span ids as the
/// exemplar, as `#[timed(METRIC, exemplar)]` does.
///
/// `crate = path` names the path promscribe is reached by, as for
/// [`macro@timed`].
#[proc_macro_attribute]
pub fn count_exceptions(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(Attr::CountExceptions, args.into(), item.into()).into()
}

/// Tracks calls in progress in a Gauge: +1 on entry, -1 on every exit
/// (return, `?`, panic, and an async future dropped before completion).
/// For an `async fn`, an `#[async_trait]` method or a function returning a
/// future, the call is in progress from the future's first poll to its
/// completion (or drop). `labels = [expr, ...]` picks a child of a gauge
/// family; `#[track_inprogress(self.field)]` takes an `Arc<Gauge>` field.
///
/// ```
/// use promscribe::{gauge, track_inprogress};
///
/// gauge!(IN_PROGRESS, "jobs_in_progress", "Jobs running now");
///
/// #[track_inprogress(IN_PROGRESS)]
/// fn job() -> f64 {
///     IN_PROGRESS.get()
/// }
///
/// assert_eq!(job(), 1.0); // seen from inside
/// assert_eq!(IN_PROGRESS.get(), 0.0);
/// ```
///
/// A Histogram cannot count calls in progress:
///
/// ```compile_fail
/// promscribe::histogram!(H, "h_seconds", "help");
/// #[promscribe::track_inprogress(H)]
/// fn f() {}
/// ```
///
/// `crate = path` names the path promscribe is reached by, as for
/// [`macro@timed`].
#[proc_macro_attribute]
pub fn track_inprogress(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(Attr::TrackInprogress, args.into(), item.into()).into()
}

/// Implements `LabelValue` (and `LabelEnum`) for an enum whose variants
/// have no fields: each variant is one label value, its name in
/// snake_case, or the text of `#[label(rename = "...")]`. Rendering it
/// formats nothing and allocates nothing. `LabelEnum` gives the number of
/// variants, their texts in declaration order and a variant's index.
/// `#[label(crate = path)]` on the enum names the path promscribe is
/// reached by, as for [`macro@timed`].
///
/// ```
/// use promscribe::{LabelEnum, LabelValue};
///
/// #[derive(Clone, Copy, LabelValue)]
/// enum Method {
///     Get,
///     NotModified,
///     #[label(rename = "DELETE")]
///     Delete,
/// }
///
/// promscribe::counter!(CALLS, "calls_total", "Calls", labels = ["method"]);
/// CALLS.labels([Method::NotModified]).inc();
/// assert_eq!(CALLS.labels(["not_modified"]).get(), 1.0);
/// assert_eq!(Method::Delete.label_text().as_str(), "DELETE");
/// assert_eq!((Method::COUNT, Method::Get.index()), (3, 0));
/// ```
///
/// A struct, or a variant with fields, is refused:
///
/// ```compile_fail
/// #[derive(promscribe::LabelValue)]
/// enum Shape { Circle(f64) }
/// ```
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    derive::label_value(input.into()).into()
}
