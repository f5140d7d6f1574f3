//! `multiprocess::init` called after some metrics were updated: a metric
//! carries what it recorded in memory into its file at its first update
//! after, so nothing is lost or counted twice; a family's series created
//! before records in memory only (it cannot name its labels later), which
//! is logged once. `init` is seen by the very next update of every metric.
#![cfg(feature = "multiprocess")]

mod multiprocess_common;

use multiprocess_common::{collect, value, Logged};
use promscribe::multiprocess;
use promscribe::{counter, gauge, histogram, summary};

counter!(JOBS, "late_jobs_total", "Jobs.");
gauge!(DEPTH, "late_depth", "Depth.", multiprocess_mode = "max");
histogram!(
    LATENCY,
    "late_latency_seconds",
    "Latency.",
    buckets = [1.0, 2.0]
);
summary!(WORK, "late_work_seconds", "Work.");
counter!(HITS, "late_hits_total", "Hits.", labels = ["page"]);
counter!(LAG, "late_lag_total", "Updated only.");

#[test]
fn what_was_recorded_in_memory_is_carried_into_the_files() {
    let logged = Logged::install();
    JOBS.inc_by(2.0).expect("positive");
    DEPTH.set(5.0);
    LATENCY.observe(0.5);
    LATENCY.observe(1.5);
    WORK.observe(3.0);
    HITS.labels(["/old"]).inc();
    LAG.inc();

    let dir = tempfile::tempdir().expect("a temporary directory");
    multiprocess::init(dir.path()).expect("multiprocess mode on");
    // `init` turns the mode on for the very next update of every metric:
    // no read or constructor is needed, and the counter carries what it
    // counted in memory into its file.
    for _ in 0..2048 {
        LAG.inc();
    }
    assert_eq!(
        value(&collect(dir.path()), "late_lag_total", &[]),
        Some(2049.0)
    );
    assert_eq!(LAG.get(), 2049.0);
    JOBS.inc();
    DEPTH.inc();
    LATENCY.observe(5.0);
    WORK.observe(1.0);
    HITS.labels(["/old"]).inc();
    HITS.labels(["/new"]).inc();

    assert_eq!(JOBS.get(), 3.0);
    assert_eq!(DEPTH.get(), 6.0);
    assert_eq!(LATENCY.get_count(), 3);
    assert_eq!(WORK.get_count(), 2);
    assert_eq!(HITS.labels(["/old"]).get(), 2.0);

    let families = collect(dir.path());
    assert_eq!(value(&families, "late_jobs_total", &[]), Some(3.0));
    assert_eq!(value(&families, "late_depth", &[]), Some(6.0));
    for (le, count) in [("1.0", 1.0), ("2.0", 2.0), ("+Inf", 3.0)] {
        assert_eq!(
            value(&families, "late_latency_seconds_bucket", &[("le", le)]),
            Some(count),
            "le {le}"
        );
    }
    assert_eq!(value(&families, "late_latency_seconds_sum", &[]), Some(7.0));
    assert_eq!(value(&families, "late_work_seconds_count", &[]), Some(2.0));
    assert_eq!(value(&families, "late_work_seconds_sum", &[]), Some(4.0));
    assert_eq!(
        value(&families, "late_hits_total", &[("page", "/new")]),
        Some(1.0)
    );
    assert_eq!(
        value(&families, "late_hits_total", &[("page", "/old")]),
        None
    );
    let late = logged.containing("created before multiprocess mode");
    assert_eq!(late.len(), 1, "{late:#?}");
}
