//! A file that cannot be written (its directory removed) never panics an
//! update: the first failure of each metric is logged with the metric and
//! the file, every failure is counted (`failed_updates`), a read gives
//! NaN, and `try_inc_by` returns the error.
#![cfg(feature = "multiprocess")]

mod multiprocess_common;

use multiprocess_common::Logged;
use promscribe::multiprocess;
use promscribe::{counter, gauge, histogram, MetricError};

counter!(JOBS, "werr_jobs_total", "Jobs.");
gauge!(DEPTH, "werr_depth", "Depth.");
histogram!(LATENCY, "werr_latency_seconds", "Latency.", buckets = [1.0]);

#[test]
fn failed_writes_are_logged_once_and_counted() {
    let logged = Logged::install();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().to_path_buf();
    multiprocess::init(&path).expect("multiprocess mode on");
    dir.close().expect("removed");

    for _ in 0..3 {
        JOBS.inc();
        DEPTH.set(1.0);
        LATENCY.observe(0.5);
    }
    assert!(JOBS.get().is_nan());
    let err = DEPTH
        .try_inc_by(1.0)
        .expect_err("the file cannot be created");
    assert!(
        matches!(&err, MetricError::Multiprocess { metric, .. } if metric == "werr_depth"),
        "{err}"
    );
    // Three updates of each (a histogram's two values each), the start of
    // each metric (its entries), the read and `try_inc_by`.
    assert!(
        multiprocess::failed_updates() >= 3 + 3 + 6 + 2,
        "{}",
        multiprocess::failed_updates()
    );
    let pid = std::process::id();
    for (metric, file) in [
        ("werr_jobs", format!("counter_{pid}.db")),
        ("werr_depth", format!("gauge_all_{pid}.db")),
        ("werr_latency_seconds", format!("histogram_{pid}.db")),
    ] {
        let lines = logged.containing(&format!("metric `{metric}`"));
        assert_eq!(lines.len(), 1, "{metric}: {lines:#?}");
        assert!(lines[0].contains(&file), "{metric}: {lines:#?}");
    }
}
