//! Exemplars from the current trace (feature `otel`): the trace and span
//! ids of the current `tracing` span's OpenTelemetry context (through
//! `tracing-opentelemetry`'s layer), or else of OpenTelemetry's current
//! context, attached to an increment or an observation as the exemplar
//! labels `trace_id` and `span_id`.
//!
//! Attaching is opt-in per call (`inc_traced`, `observe_traced`,
//! `#[timed(METRIC, exemplar)]`), never a change to `inc()`: features unify
//! across a build, so a switch that made every `inc()` look for a span
//! would tax every crate's counters as soon as one crate in the build
//! turned it on. A call that asks pays for the lookup (the current span, a
//! read of its extensions, the exemplar's update); the others pay nothing.
//!
//! ```
//! use opentelemetry::trace::{
//!     SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
//! };
//!
//! promscribe::counter!(JOBS, "traced_doc_jobs_total", "Jobs");
//!
//! JOBS.inc_traced(); // outside a span: no exemplar
//! assert!(JOBS.exemplar().is_none());
//!
//! // A sampled span context, as an incoming request's `traceparent` gives
//! // one (with `tracing`, `tracing-opentelemetry`'s layer provides it).
//! let span = SpanContext::new(
//!     TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
//!     SpanId::from_hex("00f067aa0ba902b7").unwrap(),
//!     TraceFlags::SAMPLED,
//!     true,
//!     TraceState::default(),
//! );
//! let _attached = opentelemetry::Context::new()
//!     .with_remote_span_context(span)
//!     .attach();
//! JOBS.inc_traced();
//! let exemplar = JOBS.exemplar().expect("an exemplar from the span");
//! assert_eq!(exemplar.labels[0].0, "trace_id");
//! assert_eq!(exemplar.labels[0].1, "4bf92f3577b34da6a3ce929d0e0e4736");
//! assert_eq!(JOBS.get(), 2.0);
//! ```

use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::{Counter, Histogram};

/// The ids of a sampled span, as lowercase hex, on the stack.
pub(crate) struct TraceIds {
    trace: [u8; 32],
    span: [u8; 16],
}

fn hex<const N: usize>(bytes: &[u8], out: &mut [u8; N]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
}

impl TraceIds {
    /// The current span's ids, if it is valid and sampled: the `tracing`
    /// span's OpenTelemetry context, else OpenTelemetry's current context.
    pub(crate) fn current() -> Option<TraceIds> {
        let from_tracing = tracing::Span::current().context();
        let cx = if from_tracing.span().span_context().is_valid() {
            from_tracing
        } else {
            opentelemetry::Context::current()
        };
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() || !sc.is_sampled() {
            return None;
        }
        let mut ids = TraceIds {
            trace: [0; 32],
            span: [0; 16],
        };
        hex(&sc.trace_id().to_bytes(), &mut ids.trace);
        hex(&sc.span_id().to_bytes(), &mut ids.span);
        Some(ids)
    }

    /// Calls `f` with the exemplar labels.
    pub(crate) fn with_labels<R>(&self, f: impl FnOnce(&[(&str, &str)]) -> R) -> R {
        // Hex digits are ASCII: these never fail.
        let trace = std::str::from_utf8(&self.trace).unwrap_or_default();
        let span = std::str::from_utf8(&self.span).unwrap_or_default();
        f(&[("trace_id", trace), ("span_id", span)])
    }
}

impl Counter {
    /// Adds one; inside a sampled span, with its trace and span ids as the
    /// exemplar (`trace_id`, `span_id`). Feature `otel`; see the module
    /// documentation of [`crate::trace`] for the cost.
    ///
    /// ```
    /// promscribe::counter!(RETRIES, "traced_retries_total", "Retries");
    /// RETRIES.inc_traced(); // no span: counted, no exemplar
    /// assert_eq!(RETRIES.get(), 1.0);
    /// assert!(RETRIES.exemplar().is_none());
    /// ```
    pub fn inc_traced(&self) {
        match TraceIds::current() {
            Some(ids) => {
                // Valid labels and a positive amount: cannot fail; if the
                // exemplar ever were refused, the increment still counted.
                let _ = ids.with_labels(|l| self.inc_by_with_exemplar(1.0, l));
            }
            None => self.inc(),
        }
    }
}

impl Histogram {
    /// Observes `v`; inside a sampled span, with its trace and span ids as
    /// the exemplar of `v`'s bucket. Feature `otel`.
    ///
    /// ```
    /// promscribe::histogram!(SIZES, "traced_sizes_bytes", "Sizes", buckets = [10.0, 100.0]);
    /// SIZES.observe_traced(42.0);
    /// assert_eq!(SIZES.get_count(), 1);
    /// ```
    pub fn observe_traced(&self, v: f64) {
        match TraceIds::current() {
            Some(ids) => {
                // The observation is recorded even if the exemplar were
                // refused.
                let _ = ids.with_labels(|l| self.observe_with_exemplar(v, l));
            }
            None => self.observe(v),
        }
    }
}
