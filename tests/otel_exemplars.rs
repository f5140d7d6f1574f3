//! Exemplars from the current trace (feature `otel`): with a real
//! `tracing` subscriber and OpenTelemetry layer (the SDK's tracer
//! provider, no exporter), `inc_traced`, `observe_traced` and
//! `#[timed(METRIC, exemplar)]` put the span's trace and span ids in the
//! OpenMetrics exposition; outside a span, nothing is attached.

use std::future::Future;

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use promscribe::{count_exceptions, counter, histogram, timed, EncodeOptions, Format};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

counter!(TRACED_JOBS, "otel_jobs_total", "Jobs, traced");
counter!(TRACED_FAILURES, "otel_failures_total", "Failures, traced");
counter!(
    UNTRACED_JOBS,
    "otel_untraced_jobs_total",
    "Jobs, outside any span"
);
histogram!(
    TRACED_SIZES,
    "otel_sizes_bytes",
    "Sizes",
    buckets = [10.0, 100.0]
);
histogram!(TRACED_WORK, "otel_work_seconds", "Work", buckets = [1000.0]);
histogram!(
    TRACED_ASYNC,
    "otel_async_seconds",
    "Async work",
    buckets = [1000.0]
);
histogram!(
    TRACED_FUTURE,
    "otel_future_seconds",
    "Futures",
    buckets = [1000.0]
);
histogram!(
    UNTRACED_WORK,
    "otel_untraced_work_seconds",
    "Work",
    buckets = [1000.0]
);
histogram!(
    PLAIN_WORK,
    "otel_plain_work_seconds",
    "Work",
    buckets = [1000.0]
);

#[timed(TRACED_WORK, exemplar)]
fn work() -> u8 {
    1
}

#[timed(TRACED_FUTURE, exemplar)]
fn work_later() -> impl Future<Output = u8> {
    async { 2 }
}

#[timed(TRACED_ASYNC, exemplar)]
async fn work_async() -> u8 {
    3
}

#[count_exceptions(TRACED_FAILURES, exemplar)]
fn fail() -> Result<(), String> {
    Err("no".to_owned())
}

#[timed(UNTRACED_WORK, exemplar)]
fn work_outside() {}

// Without the option, `#[timed]` never attaches one, even in a span.
#[timed(PLAIN_WORK)]
fn work_plain() {}

fn openmetrics() -> String {
    let mut out = String::new();
    promscribe::encode(
        &mut out,
        promscribe::default_registry(),
        Format::OpenMetrics,
        &EncodeOptions::default(),
    )
    .expect("encodes");
    out
}

/// The exposition lines starting with `prefix`.
fn lines<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[test]
fn exemplars_carry_the_current_span_ids_and_nothing_outside_a_span() {
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("promscribe-test")));

    let (trace_id, span_id) = tracing::subscriber::with_default(subscriber, || {
        // Outside any span first.
        UNTRACED_JOBS.inc_traced();
        work_outside();

        let span = tracing::info_span!("request");
        let _entered = span.enter();
        let cx = tracing::Span::current().context();
        let sc = cx.span().span_context().clone();
        assert!(sc.is_valid() && sc.is_sampled(), "a sampled span");

        TRACED_JOBS.inc_traced();
        assert!(fail().is_err());
        TRACED_SIZES.observe_traced(42.0);
        assert_eq!(work(), 1);
        work_plain();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        assert_eq!(rt.block_on(work_later()), 2);
        assert_eq!(rt.block_on(work_async()), 3);
        (
            format!("{:032x}", sc.trace_id()),
            format!("{:016x}", sc.span_id()),
        )
    });
    assert_eq!(trace_id.len(), 32);
    // The encoder writes exemplar labels in name order.
    let exemplar = format!(r#"# {{span_id="{span_id}",trace_id="{trace_id}"}}"#);
    let text = openmetrics();

    let jobs = lines(&text, "otel_jobs_total ");
    assert_eq!(jobs.len(), 1, "{text}");
    assert!(
        jobs[0].starts_with(&format!("otel_jobs_total 1.0 {exemplar} 1.0 ")),
        "{}",
        jobs[0]
    );

    let failures = lines(&text, "otel_failures_total ");
    assert_eq!(failures.len(), 1, "{text}");
    assert!(failures[0].contains(&exemplar), "{}", failures[0]);

    // The observation's bucket (le="100.0") carries it, the others not.
    let sizes = lines(&text, "otel_sizes_bytes_bucket");
    assert_eq!(sizes.len(), 3, "{text}");
    assert!(!sizes[0].contains('#'), "{}", sizes[0]);
    assert!(
        sizes[1].starts_with(r#"otel_sizes_bytes_bucket{le="100.0"} 1.0 "#),
        "{}",
        sizes[1]
    );
    assert!(
        sizes[1].contains(&format!("{exemplar} 42.0 ")),
        "{}",
        sizes[1]
    );

    for name in [
        "otel_work_seconds",
        "otel_future_seconds",
        "otel_async_seconds",
    ] {
        let bucket = lines(&text, &format!(r#"{name}_bucket{{le="1000.0"}}"#));
        assert_eq!(bucket.len(), 1, "{text}");
        assert!(bucket[0].contains(&exemplar), "{}", bucket[0]);
    }

    // Outside a span, and without the option: counted, no exemplar.
    for prefix in [
        "otel_untraced_jobs_total ",
        "otel_untraced_work_seconds_bucket",
        "otel_plain_work_seconds_bucket",
    ] {
        let found = lines(&text, prefix);
        assert!(!found.is_empty(), "{prefix} in {text}");
        for l in found {
            assert!(!l.contains('#'), "no exemplar expected: {l}");
        }
    }
    assert_eq!(UNTRACED_JOBS.get(), 1.0);
    assert_eq!(UNTRACED_WORK.get_count(), 1);
    assert_eq!(PLAIN_WORK.get_count(), 1);
}
