//! With the `multiprocess` feature but without the mode (no
//! `PROMETHEUS_MULTIPROC_DIR`, no `multiprocess::init`), nothing is
//! written and every metric keeps its values in memory, with everything
//! the mode would refuse working as without the feature.
#![cfg(feature = "multiprocess")]

use promscribe::multiprocess::{self, GaugeMode};
use promscribe::{
    counter, enumeration, gauge, histogram, info, summary, Counter, Gauge, NativeOpts, Opts,
};

counter!(JOBS, "off_jobs_total", "Jobs.", labels = ["queue"]);
gauge!(
    RECENT,
    "off_recent",
    "Recent.",
    multiprocess_mode = "mostrecent"
);
histogram!(LATENCY, "off_latency_seconds", "Latency.", buckets = [1.0]);
histogram!(
    NATIVE,
    "off_native_seconds",
    "Native.",
    native = NativeOpts::new()
);
summary!(WORK, "off_work_seconds", "Work.");
info!(BUILD, "off_build", "Build.");
enumeration!(STATE, "off_state", "State.", states = ["a", "b"]);

#[test]
fn without_the_mode_values_stay_in_memory_and_nothing_is_written() {
    let cwd = tempfile::tempdir().expect("a temporary directory");
    std::env::set_current_dir(cwd.path()).expect("cd");
    assert!(std::env::var_os(multiprocess::ENV_DIR).is_none());

    JOBS.labels(["mail"]).inc();
    JOBS.labels(["mail"])
        .inc_by_with_exemplar(2.0, &[("trace_id", "t")])
        .expect("an exemplar in memory");
    RECENT.set(1.0);
    // The mode means nothing in memory: `inc` works.
    RECENT.inc();
    RECENT.try_inc_by(1.0).expect("in memory");
    LATENCY.observe(0.5);
    NATIVE.observe(0.5);
    WORK.observe(2.0);
    BUILD.set([("version", "1")]).expect("in memory");
    STATE.state("b").expect("in memory");
    let g = Gauge::with_opts(Opts::new("off_g", "G.").multiprocess_mode(GaugeMode::LiveSum))
        .expect("valid");
    assert!(g.set_function(|| 7.0));
    let c = Counter::new("off_c_total", "C.").expect("valid");
    c.inc();
    assert!(JOBS.remove(["mail"]));

    assert!(multiprocess::process_files().is_none());
    assert_eq!(RECENT.get(), 3.0);
    assert_eq!(LATENCY.get_count(), 1);
    assert_eq!(NATIVE.get_count(), 1);
    assert_eq!(WORK.get_sum(), 2.0);
    assert_eq!(g.get(), 7.0);
    assert_eq!(c.get(), 1.0);
    assert_eq!(STATE.get(), "b");
    assert_eq!(multiprocess::failed_updates(), 0);
    let left: Vec<_> = std::fs::read_dir(cwd.path()).expect("readable").collect();
    assert!(left.is_empty(), "{left:?}");
}
