//! Recording values into the multiprocess files (`ProcessFiles`,
//! `FileValue`): exact sums from several threads, values read back after a
//! restart with the same pid, new files after a pid change, `mostrecent`
//! refusing `inc`, and Python 0.26's `MultiProcessCollector` reading what
//! we wrote. The test that runs Python fails when python3 or
//! prometheus_client is missing: it never skips.
#![cfg(feature = "multiprocess")]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use promscribe::multiprocess::{
    read_entries, FileKind, FileValue, GaugeMode, MultiprocessError, ProcessFiles, SampleKey,
};

fn python(script: &str, dir: &Path) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed for this test and could not run: {e}"));
    assert!(
        out.status.success(),
        "python3 failed (is prometheus_client 0.26 installed?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("Python's output is UTF-8")
}

/// Files whose pid is whatever the returned cell holds.
fn files_with_pid(dir: &Path, pid: u32) -> (Arc<ProcessFiles>, Arc<AtomicU32>) {
    let cell = Arc::new(AtomicU32::new(pid));
    let source = Arc::clone(&cell);
    let files = ProcessFiles::with_pid_source(dir, move || source.load(Ordering::Relaxed));
    (Arc::new(files), cell)
}

fn value_in(path: &Path, key: &str) -> Option<f64> {
    read_entries(path)
        .expect("a readable file")
        .into_iter()
        .find(|e| e.key == key)
        .map(|e| e.value)
}

#[test]
fn increments_from_several_threads_sum_exactly() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = Arc::new(ProcessFiles::new(dir.path()));
    const THREADS: usize = 8;
    const INCS: usize = 5_000;
    // Each thread increments a shared counter and a counter of its own, so
    // that entries are appended to the file while others are updated.
    let shared = FileValue::new(
        Arc::clone(&files),
        FileKind::Counter,
        &SampleKey::new("jobs", "jobs_total", &[], "Jobs."),
    );
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let shared = shared.clone();
            let files = Arc::clone(&files);
            s.spawn(move || {
                let label = t.to_string();
                let own = FileValue::new(
                    files,
                    FileKind::Counter,
                    &SampleKey::new("per", "per_total", &[("t", &label)], "Per thread."),
                );
                for _ in 0..INCS {
                    shared.inc(1.0).expect("written");
                    own.inc(0.5).expect("written");
                }
            });
        }
    });
    assert_eq!(shared.get().expect("read"), (THREADS * INCS) as f64);
    let path = dir
        .path()
        .join(FileKind::Counter.file_name(std::process::id()));
    assert_eq!(value_in(&path, shared.key()), Some((THREADS * INCS) as f64));
    let entries = read_entries(&path).expect("a readable file");
    assert_eq!(entries.len(), THREADS + 1);
    for entry in entries.iter().filter(|e| e.key != shared.key()) {
        assert_eq!(entry.value, INCS as f64 * 0.5, "{}", entry.key);
    }
}

#[test]
fn a_restart_with_the_same_pid_reads_the_values_back() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = SampleKey::new("jobs", "jobs_total", &[], "Jobs.");
    {
        let (files, _) = files_with_pid(dir.path(), 1);
        let jobs = FileValue::new(files, FileKind::Counter, &key);
        jobs.inc(4.0).expect("written");
    }
    let (files, _) = files_with_pid(dir.path(), 1);
    let jobs = FileValue::new(files, FileKind::Counter, &key);
    assert_eq!(jobs.get().expect("read"), 4.0);
    jobs.inc(1.0).expect("written");
    assert_eq!(
        value_in(&dir.path().join("counter_1.db"), jobs.key()),
        Some(5.0)
    );
}

#[test]
fn a_pid_change_opens_new_files() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (files, pid) = files_with_pid(dir.path(), 100);
    let key = SampleKey::new("jobs", "jobs_total", &[], "Jobs.");
    let jobs = FileValue::new(Arc::clone(&files), FileKind::Counter, &key);
    let gauge = FileValue::new(
        files,
        FileKind::Gauge(GaugeMode::LiveSum),
        &SampleKey::new("busy", "busy", &[], "Busy."),
    );
    jobs.inc(3.0).expect("written");
    gauge.set(2.0, 0.0).expect("written");

    // A fork: the child's values start from its own, empty files.
    pid.store(101, Ordering::Relaxed);
    assert_eq!(jobs.get().expect("read"), 0.0);
    jobs.inc(1.0).expect("written");
    gauge.inc(1.0).expect("written");

    let dir = dir.path();
    assert_eq!(value_in(&dir.join("counter_100.db"), jobs.key()), Some(3.0));
    assert_eq!(value_in(&dir.join("counter_101.db"), jobs.key()), Some(1.0));
    assert_eq!(
        value_in(&dir.join("gauge_livesum_100.db"), gauge.key()),
        Some(2.0)
    );
    assert_eq!(
        value_in(&dir.join("gauge_livesum_101.db"), gauge.key()),
        Some(1.0)
    );
}

#[test]
fn mostrecent_gauges_refuse_inc() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (files, _) = files_with_pid(dir.path(), 1);
    let key = SampleKey::new("temp", "temp", &[], "Temperature.");
    for mode in [GaugeMode::MostRecent, GaugeMode::LiveMostRecent] {
        let value = FileValue::new(Arc::clone(&files), FileKind::Gauge(mode), &key);
        let err = value.inc(1.0).expect_err("inc refused");
        assert!(
            matches!(err, MultiprocessError::Unsupported { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(mode.as_str()), "{err}");
        // Nothing was written; `set` still works.
        assert_eq!(value.get().expect("read"), 0.0);
        value.set(21.5, 1_700_000_000.0).expect("written");
        assert_eq!(value.get().expect("read"), 21.5);
    }
}

#[test]
fn python_collects_what_we_record() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Two processes of one application, simulated by their pids.
    for (pid, jobs, latencies, temp, busy) in [
        (10u32, 2, [0.2, 0.7, 3.0], (20.0, 1_700_000_010.0), 1.0),
        (11, 3, [0.8, 0.9, 0.1], (25.0, 1_700_000_000.0), 2.0),
    ] {
        let (files, _) = files_with_pid(dir.path(), pid);
        let value = |kind, name: &str, sample: &str, labels: &[(&str, &str)], help: &str| {
            FileValue::new(
                Arc::clone(&files),
                kind,
                &SampleKey::new(name, sample, labels, help),
            )
        };
        let counter = value(
            FileKind::Counter,
            "jobs",
            "jobs_total",
            &[("queue", "é\"")],
            "Jobs.",
        );
        for _ in 0..jobs {
            counter.inc(1.0).expect("written");
        }
        // A histogram as Python lays it out: each observation counted in
        // its own bucket only, `_sum`, no `_count`.
        let sum = value(FileKind::Histogram, "lat", "lat_sum", &[], "Latency.");
        for v in latencies {
            let le = if v <= 0.5 {
                "0.5"
            } else if v <= 1.0 {
                "1.0"
            } else {
                "+Inf"
            };
            value(
                FileKind::Histogram,
                "lat",
                "lat_bucket",
                &[("le", le)],
                "Latency.",
            )
            .inc(1.0)
            .expect("written");
            sum.inc(v).expect("written");
        }
        for le in ["0.5", "1.0", "+Inf"] {
            // Buckets never observed still have an entry, as Python's
            // histogram creates one per bucket.
            value(
                FileKind::Histogram,
                "lat",
                "lat_bucket",
                &[("le", le)],
                "Latency.",
            )
            .inc(0.0)
            .expect("written");
        }
        value(
            FileKind::Gauge(GaugeMode::MostRecent),
            "temp",
            "temp",
            &[],
            "Temperature.",
        )
        .set(temp.0, temp.1)
        .expect("written");
        value(
            FileKind::Gauge(GaugeMode::LiveSum),
            "busy",
            "busy",
            &[],
            "Busy.",
        )
        .inc(busy)
        .expect("written");
        value(
            FileKind::Gauge(GaugeMode::All),
            "mem",
            "mem",
            &[],
            "Memory.",
        )
        .set(f64::from(pid) * 100.0, 0.0)
        .expect("written");
    }
    let script = r#"
import sys
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
registry = CollectorRegistry()
MultiProcessCollector(registry, path=sys.argv[1])
for metric in sorted(registry.collect(), key=lambda m: m.name):
    print(metric.name, metric.type, metric.documentation)
    for s in sorted(metric.samples, key=lambda s: (s.name, sorted(s.labels.items()))):
        print(" ", s.name, sorted(s.labels.items()), round(s.value, 9))
"#;
    let out = python(script, dir.path());
    assert_eq!(
        out,
        "busy gauge Busy.
  busy [] 3.0
jobs counter Jobs.
  jobs_total [('queue', 'é\"')] 5.0
lat histogram Latency.
  lat_bucket [('le', '+Inf')] 6.0
  lat_bucket [('le', '0.5')] 2.0
  lat_bucket [('le', '1.0')] 5.0
  lat_count [] 6.0
  lat_sum [] 5.7
mem gauge Memory.
  mem [('pid', '10')] 1000.0
  mem [('pid', '11')] 1100.0
temp gauge Temperature.
  temp [] 20.0
"
    );
}
