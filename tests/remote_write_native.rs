//! Native histograms through the public remote-write sender, against a
//! real Prometheus 2.42 started with `--web.enable-remote-write-receiver`
//! (on 127.0.0.1, a temporary data directory, stopped by pid).
//!
//! With `--enable-feature=native-histograms`, a histogram with native
//! buckets only, sent by `push` with `native_histograms(true)`, is stored
//! as a native histogram: PromQL's `histogram_count`, `histogram_sum` and
//! `histogram_quantile` agree with what was observed, and no `_count`,
//! `_sum` or `_bucket` series is stored beside it.
//!
//! Without the feature, Prometheus 2.42 answers such a request with 500
//! (`native histograms are disabled`) every time: `push` retries it as
//! any 5xx until `give_up_after`, then fails with that status and reason.
//! The same registry sent with native histograms off (the default) is
//! stored there as a text scrape would store it.

use std::time::Duration;

use promscribe::{Histogram, NativeOpts, Opts, Registry};
use promscribe_export::{RemoteWrite, RemoteWriteError};
use promscribe_test_support::{http_get, prometheus_query, start_prometheus, wait_until};

fn wait_ready(port: u16) {
    wait_until(Duration::from_secs(60), "Prometheus ready", || {
        matches!(
            http_get(&format!("http://127.0.0.1:{port}/-/ready")),
            Ok((200, _, _))
        )
        .then_some(())
    });
}

fn value(port: u16, query: &str) -> Option<f64> {
    prometheus_query(port, query).first()?["value"][1]
        .as_str()?
        .parse()
        .ok()
}

/// A native-only histogram (schema 3, the default bucket factor 1.1) of
/// five observations: 1 three times, 2 and 4. Its median is in the bucket
/// `(2^(-1/8), 1]`.
fn registry() -> Registry {
    let r = Registry::new();
    let h = Histogram::with_native(
        Opts::new("rw_native_seconds", "Native"),
        None,
        NativeOpts::new(),
    )
    .expect("a native histogram");
    r.register(h.clone()).expect("registers");
    for v in [1.0, 1.0, 1.0, 2.0, 4.0] {
        h.observe(v);
    }
    r
}

#[test]
fn a_native_histogram_is_stored_as_one_and_promql_agrees_with_the_observations() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (_server, port) = start_prometheus(
        dir.path(),
        "  []\n",
        &[
            "--web.enable-remote-write-receiver",
            "--enable-feature=native-histograms",
        ],
    );
    wait_ready(port);
    let rw = RemoteWrite::builder(format!("http://127.0.0.1:{port}/api/v1/write"))
        .native_histograms(true)
        .build()
        .expect("valid");
    let report = rw.push(&registry()).expect("pushed");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    // The histogram counts as one sample (and `_created` as another, when
    // the encoder writes it).
    let created = u64::from(promscribe::created_series_enabled());
    assert_eq!(
        (report.samples_sent, report.samples_failed),
        (1 + created, 0)
    );

    let q = |query: &str| wait_until(Duration::from_secs(10), query, || value(port, query));
    assert_eq!(q("histogram_count(rw_native_seconds)"), 5.0);
    assert_eq!(q("histogram_sum(rw_native_seconds)"), 9.0);
    let median = q("histogram_quantile(0.5, rw_native_seconds)");
    eprintln!("histogram_quantile(0.5) = {median}");
    let lower = 2f64.powf(-1.0 / 8.0);
    assert!(
        median > lower && median <= 1.0,
        "the median {median} is in the bucket of 1, ({lower}, 1]"
    );
    // Prometheus 2.42 interpolates linearly inside the bucket: rank 2.5
    // of the bucket's 3 observations.
    let want = lower + (1.0 - lower) * 2.5 / 3.0;
    assert!((median - want).abs() < 1e-9, "{median} against {want}");
    let ninety = q("histogram_quantile(0.9, rw_native_seconds)");
    assert!(
        ninety > 2f64.powf(15.0 / 8.0) && ninety <= 4.0,
        "the 0.9 quantile {ninety} is in the bucket of 4"
    );
    let series = prometheus_query(port, "{__name__=~\"rw_native_seconds.*\"}");
    let mut names: Vec<&str> = series
        .iter()
        .filter_map(|s| s["metric"]["__name__"].as_str())
        .collect();
    names.sort_unstable();
    let want: &[&str] = if created == 1 {
        &["rw_native_seconds", "rw_native_seconds_created"]
    } else {
        &["rw_native_seconds"]
    };
    assert_eq!(names, want, "{series:?}");
}

#[test]
fn without_the_feature_prometheus_answers_500_every_time_and_the_default_is_stored() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (_server, port) = start_prometheus(
        dir.path(),
        "  []\n",
        &["--web.enable-remote-write-receiver"],
    );
    wait_ready(port);
    let url = format!("http://127.0.0.1:{port}/api/v1/write");
    let rw = RemoteWrite::builder(&url)
        .native_histograms(true)
        .backoff(Duration::from_millis(50), Duration::from_millis(200))
        .give_up_after(Duration::from_secs(2))
        .build()
        .expect("valid");
    let started = std::time::Instant::now();
    let err = rw.push(&registry()).expect_err("refused");
    // Retried as any 5xx until given up: the answer never changes.
    assert!(started.elapsed() >= Duration::from_millis(1900), "{err}");
    let RemoteWriteError::Status { status, reason, .. } = &err else {
        panic!("a status: {err}");
    };
    assert_eq!(*status, 500, "{err}");
    assert!(
        reason.contains("native histograms are disabled"),
        "{reason}"
    );

    // Off, as by default: `_count`, `_sum` and the `+Inf` bucket.
    let report = RemoteWrite::new(&url)
        .expect("valid")
        .push(&registry())
        .expect("pushed");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let count = wait_until(Duration::from_secs(10), "the _count", || {
        value(port, "rw_native_seconds_count")
    });
    assert_eq!(count, 5.0);
    assert_eq!(value(port, "rw_native_seconds_sum"), Some(9.0));
    assert_eq!(
        value(port, "rw_native_seconds_bucket{le=\"+Inf\"}"),
        Some(5.0)
    );
}
