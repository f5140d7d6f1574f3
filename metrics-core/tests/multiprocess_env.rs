//! `PROMETHEUS_MULTIPROC_DIR` set when the process starts turns
//! multiprocess mode on without `init`, as in Python.
#![cfg(feature = "multiprocess")]

mod multiprocess_common;

use multiprocess_common::{collect, db_files, value};
use promscribe::multiprocess;
use promscribe::{counter, gauge};

counter!(JOBS, "env_jobs_total", "Jobs.");
gauge!(UP, "env_up", "Up.", multiprocess_mode = "liveall");

#[test]
fn the_environment_variable_turns_the_mode_on() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The only test of this binary, before any metric is touched.
    std::env::set_var(multiprocess::ENV_DIR, dir.path());
    JOBS.inc();
    UP.set(1.0);
    let pid = std::process::id();
    assert_eq!(
        db_files(dir.path()),
        [
            format!("counter_{pid}.db"),
            format!("gauge_liveall_{pid}.db")
        ]
    );
    let families = collect(dir.path());
    assert_eq!(value(&families, "env_jobs_total", &[]), Some(1.0));
    assert_eq!(
        value(&families, "env_up", &[("pid", &pid.to_string())]),
        Some(1.0)
    );
}
