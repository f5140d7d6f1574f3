//! promscribe: Prometheus instrumentation for Rust, driven by macros; the
//! one dependency a library needs to declare and update metrics.
//!
//! Declare metrics as statics with [`counter!`], [`gauge!`],
//! [`histogram!`] and [`summary!`]; they register themselves at link time
//! in the [default registry](default_registry). Time functions with
//! [`#[timed]`](timed). Encode with [`encode_text`]; serve, push or write
//! them with the `promscribe-export` crate.
//!
//! ```
//! use promscribe::{counter, summary, timed};
//!
//! summary!(REQUEST_TIME, "request_processing_seconds", "Time spent processing request");
//! counter!(REQUESTS, "my_requests_total", "HTTP requests", labels = ["method", "endpoint"]);
//!
//! #[timed(REQUEST_TIME)]
//! fn process_request(n: u64) -> u64 {
//!     REQUESTS.labels(["get", "/"]).inc();
//!     n * 2
//! }
//!
//! assert_eq!(process_request(21), 42);
//! let text = promscribe::encode_text(promscribe::default_registry());
//! assert!(text.contains("request_processing_seconds_count 1.0"));
//! assert!(text.contains(r#"my_requests_total{method="get",endpoint="/"} 1.0"#));
//! ```
//!
//! # Names
//! Metric and label names may be any non-empty UTF-8 text (Prometheus 3);
//! label names starting with `__` are reserved. A name outside the legacy
//! character set is written as the [`EscapingScheme`] of the
//! [`EncodeOptions`] says: quoted with `allow-utf-8` (what Prometheus 3
//! asks for), or escaped into a legacy name (`underscores`, the default,
//! `dots`, `values`). `promscribe-export` picks the scheme from the
//! scraper's `Accept` header.
//!
//! ```
//! use promscribe::{encode, EncodeOptions, EscapingScheme, Format};
//! promscribe::counter!(JOBS, "jobs.done_total", "Jobs", labels = ["job.kind"]);
//! JOBS.labels(["batch"]).inc();
//! let text = promscribe::encode_text(promscribe::default_registry());
//! assert!(text.contains(r#"jobs_done_total{job_kind="batch"} 1.0"#));
//! let mut om = String::new();
//! let utf8 = EncodeOptions::default().escaping(EscapingScheme::AllowUtf8);
//! encode(&mut om, promscribe::default_registry(), Format::OpenMetrics, &utf8).unwrap();
//! assert!(om.contains(r#"{"jobs.done_total","job.kind"="batch"} 1.0"#));
//! ```
//!
//! # Hot path
//! Updating a metric, or a child handle kept from [`Family::labels`], is a
//! few relaxed atomic operations: no lock, no allocation, no hashing.
//!
//! # Linking
//! A static is registered only if its crate is linked into the program. A
//! library crate none of whose items the program uses is not linked: add
//! `use that_crate as _;` to the program.
//!
//! # Features
//! | feature | default | what |
//! |---|---|---|
//! | `process` | no | `ProcessCollector`, and process metrics (CPU, memory, file descriptors, start time) in the default registry, on Linux (procfs). Applications get it through `promscribe-export`'s defaults, so a library depending on `promscribe` alone does not build procfs. |
//! | `tsc-clock` | no | timers read the CPU's time-stamp counter through `quanta` where it is reliable, instead of `Instant` |
//! | `protobuf` | no | the Prometheus protobuf exposition (`Format::Protobuf`, `encode_bytes`; prost) |
//! | `multiprocess` | no | the files of Python's multiprocess mode, byte for byte (the `multiprocess` module: keys, memory-mapped files, file names, the collector; `memmap2`); with `PROMETHEUS_MULTIPROC_DIR` set or `multiprocess::init` called, counters, gauges, histograms and summaries (statics, runtime, families' series, the attributes) record into this process's files; gauges take `multiprocess_mode` |
//! | `otel` | no | exemplars from the current trace (the `trace` module): `Counter::inc_traced`, `Histogram::observe_traced`, `#[timed(METRIC, exemplar)]`, `#[count_exceptions(COUNTER, exemplar)]` (`tracing`, `tracing-opentelemetry`, `opentelemetry`) |

#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate self as promscribe;

mod buckets;
mod collector;
mod encoding;
mod error;
mod meta;
mod metric_type;
mod metrics;
mod model;
#[cfg(feature = "multiprocess")]
#[cfg_attr(docsrs, doc(cfg(feature = "multiprocess")))]
pub mod multiprocess;
mod names;
mod parse;
mod registry;
mod render;
mod support;
mod time;
mod timestamp;
#[cfg(feature = "otel")]
#[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
pub mod trace;

pub use buckets::{Buckets, DEFAULT_BUCKETS};
pub use collector::build_info::{BuildInfo, RUSTC_VERSION, TARGET};
pub use collector::families::{
    CounterMetricFamily, GaugeHistogramMetricFamily, GaugeMetricFamily, HistogramMetricFamily,
    InfoMetricFamily, StateSetMetricFamily, SummaryMetricFamily, UnknownMetricFamily,
};
#[cfg(all(target_os = "linux", feature = "process"))]
#[cfg_attr(docsrs, doc(cfg(all(target_os = "linux", feature = "process"))))]
pub use collector::process::ProcessCollector;
pub use collector::Collector;
#[doc(hidden)]
pub use encoding::native::NativeSpans;
#[cfg(feature = "protobuf")]
#[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
pub use encoding::PROTOBUF_CONTENT_TYPE;
pub use encoding::{
    encode, encode_families, EncodeOptions, EscapingScheme, Format, OPENMETRICS_2_0_0_CONTENT_TYPE,
    OPENMETRICS_CONTENT_TYPE,
};
pub use encoding::{encode_bytes, encode_families_bytes};
pub use encoding::{encode_families_to, encode_to};
pub use encoding::{encode_text, encode_text_families, TEXT_1_0_0_CONTENT_TYPE, TEXT_CONTENT_TYPE};
pub use error::MetricError;
pub use meta::{Opts, Site};
pub use metrics::counter::Counter;
pub use metrics::enumeration::{Enum, States};
#[doc(hidden)]
pub use metrics::family::PlainConfig;
pub use metrics::family::{
    default_max_series, set_default_max_series, Child, Family, FamilyMember, OwnedChild,
    OVERFLOW_COUNTER, OVERFLOW_LABEL,
};
pub use metrics::gauge::Gauge;
pub use metrics::histogram::{Histogram, HistogramConfig};
pub use metrics::info::Info;
pub use metrics::labels::{LabelEnum, LabelText, LabelValue, LabelValues};
pub use metrics::native::NativeOpts;
pub use metrics::quantiles::SummaryQuantiles;
pub use metrics::summary::{DeclaredSummary, Summary, SummaryConfig};
pub use metrics::timer::{InProgress, Observe, Timer};
pub use model::{
    created_series_enabled, disable_created_series, enable_created_series, Bounds, CounterPoint,
    Descriptor, Exemplar, HistogramPoint, LabelSet, Metric, MetricFamily, MetricType,
    NativeBuckets, Point, Sample, SummaryPoint, EXEMPLAR_MAX_CHARS,
};
pub use names::{
    is_valid_label_name, is_valid_legacy_label_name, is_valid_legacy_metric_name,
    is_valid_metric_name,
};
pub use parse::{parse_openmetrics, parse_text, ParseError};
pub use registry::TargetInfoError;
pub use registry::{default_registry, Clash, Origin, Registry, RegistryError};
pub use render::float::{write_float, write_float_repr};
pub use support::{ErrorReturn, Fallible};
pub use support::{ExceptionMetric, InProgressMetric, TimedMetric};
pub use timestamp::Timestamp;
// Named by the attributes' expansions for `labels = [...]` and `exemplar`;
// exported here, hidden, so that the compiler's errors call them by their
// short names.
#[doc(hidden)]
pub use support::{FeatureEnabled, LabelValueCount, LabelledMetric, OtelFeature};

/// `#[derive(LabelValue)]` for an enum whose variants have no fields: see
/// [`LabelEnum`].
pub use promscribe_macros::LabelValue;
pub use promscribe_macros::{
    count_exceptions, counter, enumeration, gauge, histogram, info, summary, timed,
    track_inprogress,
};

/// The link-time registration of a declared static, expanded inside the
/// static's own initializer (so the static's `#[cfg]` and `#[deprecated]`
/// cover it). Not public API: use it through `__private::v0_1_0::register`.
#[doc(hidden)]
#[macro_export]
macro_rules! __promscribe_register {
    ($metric:ident, $site:expr) => {
        #[$crate::__private::linkme::distributed_slice($crate::__private::STATIC_METRICS)]
        #[linkme(crate = $crate::__private::linkme)]
        static __REGISTRATION: $crate::__private::StaticMetric =
            $crate::__private::StaticMetric::new(&$metric, $site);
    };
}

/// Support for the macro expansions. Not public API: it changes without
/// notice between versions.
#[doc(hidden)]
pub mod __private {
    pub use crate::meta::{Meta, Site};
    pub use crate::metrics::family::Parent;
    pub use crate::metrics::liveness::Liveness;
    pub use crate::model::MetricType;
    pub use crate::registry::{StaticMetric, STATIC_METRICS};
    pub use crate::support::{
        call, error_is, exceptions, exceptions_traced, inprogress, inprogress_future,
        inprogress_later, timed, timed_future, timed_later, timed_traced, timed_traced_later,
        typed, CountingAny, ErrorReturn, ExceptionMetric, FeatureEnabled, FinishAny, Holder,
        InProgressMetric, LabelValueCount, LabelledMetric, OtelFeature, TimedMetric,
    };
    pub use core::sync::atomic::AtomicU64;
    pub use linkme;

    /// A zero bucket count, to build static bucket arrays.
    #[allow(clippy::declare_interior_mutable_const)]
    pub const ZERO: AtomicU64 = AtomicU64::new(0);

    /// What the declaration macros of promscribe-macros 0.1.0 call: the
    /// module is named after the version, and promscribe defines only the
    /// one of its own version, so macros of another version fail loudly
    /// (an unresolved import of `__private::vX_Y_Z`) instead of calling
    /// items whose meaning may have changed. Renamed with every release
    /// (the assertion below fails the build otherwise).
    pub mod v0_1_0 {
        pub use super::*;
        pub use crate::buckets::{Buckets, DEFAULT_BUCKETS};
        pub use crate::metrics::enumeration::{Enum, States};
        pub use crate::metrics::family::Family;
        pub use crate::metrics::family::{__expire_after_error, __max_series_error};
        pub use crate::metrics::histogram::Histogram;
        pub use crate::metrics::histogram::HistogramConfig;
        pub use crate::metrics::histogram::{__declared_counts, __native_error};
        pub use crate::metrics::native::NativeOpts;
        pub use crate::metrics::summary::{DeclaredQuantiles, DeclaredSummary, SummaryConfig};
        pub use crate::{Counter, Gauge, Info, Summary};

        pub use crate::__promscribe_register as register;

        /// The version this module is named after.
        pub const VERSION: &str = "0.1.0";
    }

    const fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    const _: () = assert!(
        same(v0_1_0::VERSION, env!("CARGO_PKG_VERSION")),
        "the version-stamped module `__private::v0_1_0` must be renamed after the package version"
    );
}
