//! Recording values into the multiprocess files (`ProcessFiles`,
//! `FileValue`): exact sums from several threads, files created
//! exclusively (a restart with the same pid takes `-1`, never writing the
//! older file), locked while open, no temporary name left behind,
//! `mostrecent` refusing `inc`, errors naming the file, and Python 0.26's
//! `MultiProcessCollector` reading what we wrote. The test that runs
//! Python fails when python3 or prometheus_client is missing: it never
//! skips. Forks are tested in `multiprocess_fork`, growth under load in
//! `multiprocess_stress`.
#![cfg(feature = "multiprocess")]

mod multiprocess_common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use multiprocess_common::{python, utf8};
use promscribe::multiprocess::{
    encode_key, read_entries, FileKind, FileValue, GaugeMode, MmapDict, MultiprocessError,
    ProcessFiles, SampleKey, INITIAL_SIZE,
};

/// The files of a process named `pid`.
fn files_with_pid(dir: &Path, pid: u32) -> Arc<ProcessFiles> {
    Arc::new(ProcessFiles::with_pid_source(dir, move || pid))
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a readable directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .into_string()
                .expect("a UTF-8 name")
        })
        .collect();
    names.sort();
    names
}

/// Whether another open file description could take the file's exclusive
/// lock (it is then released again).
fn lockable(path: &Path) -> bool {
    let file = File::open(path).expect("the file opens");
    match file.try_lock() {
        Ok(()) => true,
        Err(std::fs::TryLockError::WouldBlock) => false,
        Err(std::fs::TryLockError::Error(e)) => panic!("locking {}: {e}", path.display()),
    }
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
fn a_restart_with_the_same_pid_never_writes_the_older_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = SampleKey::new("jobs", "jobs_total", &[], "Jobs.");
    {
        let jobs = FileValue::new(files_with_pid(dir.path(), 1), FileKind::Counter, &key);
        jobs.inc(4.0).expect("written");
    }
    // Another process of pid 1 (a restarted container's worker): its own
    // file, its own value; the first file counts on, untouched.
    let files = files_with_pid(dir.path(), 1);
    let jobs = FileValue::new(Arc::clone(&files), FileKind::Counter, &key);
    assert_eq!(jobs.get().expect("read"), 0.0);
    jobs.inc(1.0).expect("written");
    let first = dir.path().join("counter_1.db");
    let second = dir.path().join("counter_1-1.db");
    assert_eq!(files.file_path(FileKind::Counter), Some(second.clone()));
    assert_eq!(value_in(&first, jobs.key()), Some(4.0));
    assert_eq!(value_in(&second, jobs.key()), Some(1.0));

    // And a third, while the second still runs: `-2`.
    let third = FileValue::new(files_with_pid(dir.path(), 1), FileKind::Counter, &key);
    third.inc(2.0).expect("written");
    assert_eq!(
        value_in(&dir.path().join("counter_1-2.db"), jobs.key()),
        Some(2.0)
    );
    assert_eq!(value_in(&second, jobs.key()), Some(1.0));
}

#[test]
fn a_file_of_python_or_another_process_is_never_opened() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = SampleKey::new("jobs", "jobs_total", &[], "Jobs.");
    // A file already there under our name, written by someone else.
    let theirs = dir.path().join("counter_5.db");
    MmapDict::open(&theirs)
        .expect("a new file")
        .write_value(&encode_key(&key), 9.0, 0.0)
        .expect("written");
    let before = std::fs::read(&theirs).expect("readable");

    let jobs = FileValue::new(files_with_pid(dir.path(), 5), FileKind::Counter, &key);
    jobs.inc(1.0).expect("written");
    assert_eq!(std::fs::read(&theirs).expect("readable"), before);
    assert_eq!(
        value_in(&dir.path().join("counter_5-1.db"), jobs.key()),
        Some(1.0)
    );
}

#[test]
fn files_are_locked_while_open_and_no_temporary_name_is_left() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = files_with_pid(dir.path(), 3);
    let key = SampleKey::new("busy", "busy", &[], "Busy.");
    let counter = FileValue::new(Arc::clone(&files), FileKind::Counter, &key);
    let gauge = FileValue::new(
        Arc::clone(&files),
        FileKind::Gauge(GaugeMode::LiveSum),
        &key,
    );
    counter.inc(1.0).expect("written");
    gauge.set(2.0, 0.0).expect("written");
    assert_eq!(
        names(dir.path()),
        ["counter_3.db", "gauge_livesum_3.db"],
        "the published names only"
    );
    let paths: Vec<PathBuf> = names(dir.path())
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
    for path in &paths {
        assert!(!lockable(path), "{} is locked while open", path.display());
        assert_eq!(
            std::fs::metadata(path).expect("a file").len(),
            INITIAL_SIZE as u64
        );
    }
    drop((counter, gauge, files));
    for path in &paths {
        assert!(lockable(path), "{} is unlocked once closed", path.display());
    }
}

#[test]
fn a_file_that_cannot_be_created_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = dir.path().join("gone");
    let files = Arc::new(ProcessFiles::new(&missing));
    let key = SampleKey::new("jobs", "jobs_total", &[], "Jobs.");
    let jobs = FileValue::new(files, FileKind::Counter, &key);
    for result in [jobs.inc(1.0), jobs.set(1.0, 0.0), jobs.get().map(drop)] {
        match result {
            Err(MultiprocessError::Io { path, source }) => {
                assert!(path.starts_with(&missing), "{}", path.display());
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("{other:?}"),
        }
    }
    // Once the directory exists, the next update creates the file.
    std::fs::create_dir(&missing).expect("created");
    jobs.inc(2.0).expect("written");
    assert_eq!(jobs.get().expect("read"), 2.0);
}

#[test]
fn values_survive_growth_and_keys_are_not_written_twice() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = files_with_pid(dir.path(), 4);
    let value = |i: usize| {
        FileValue::new(
            Arc::clone(&files),
            FileKind::Histogram,
            &SampleKey::new("lat", "lat_bucket", &[("le", &i.to_string())], "Latency."),
        )
    };
    let first = value(0);
    first.inc(1.5).expect("written");
    // Past 64 KiB twice.
    let n = 3_000;
    for i in 1..n {
        value(i).inc(i as f64).expect("written");
    }
    first.inc(1.0).expect("written");
    // A new value of an existing key finds its entry.
    value(0).inc(0.5).expect("written");
    let path = files.file_path(FileKind::Histogram).expect("created");
    assert!(std::fs::metadata(&path).expect("a file").len() >= 4 * INITIAL_SIZE as u64);
    let entries = read_entries(&path).expect("readable");
    assert_eq!(entries.len(), n);
    assert_eq!(entries[0].value, 3.0);
    for (i, entry) in entries.iter().enumerate().skip(1) {
        assert_eq!(entry.value, i as f64);
    }
    assert_eq!(first.get().expect("read"), 3.0);
}

#[test]
fn mostrecent_gauges_refuse_inc() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = files_with_pid(dir.path(), 1);
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
        let files = files_with_pid(dir.path(), pid);
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
    // A restart of pid 10 (a worker of a new container): its own files,
    // `counter_10-1.db` and `gauge_all_10-1.db`, which Python's collector
    // reads as any other (the `pid` label is `10-1`).
    let restarted = files_with_pid(dir.path(), 10);
    FileValue::new(
        Arc::clone(&restarted),
        FileKind::Counter,
        &SampleKey::new("jobs", "jobs_total", &[("queue", "é\"")], "Jobs."),
    )
    .inc(1.0)
    .expect("written");
    FileValue::new(
        restarted,
        FileKind::Gauge(GaugeMode::All),
        &SampleKey::new("mem", "mem", &[], "Memory."),
    )
    .set(500.0, 0.0)
    .expect("written");
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
    let out = python(script, &[utf8(dir.path())], None);
    assert_eq!(
        out,
        "busy gauge Busy.
  busy [] 3.0
jobs counter Jobs.
  jobs_total [('queue', 'é\"')] 6.0
lat histogram Latency.
  lat_bucket [('le', '+Inf')] 6.0
  lat_bucket [('le', '0.5')] 2.0
  lat_bucket [('le', '1.0')] 5.0
  lat_count [] 6.0
  lat_sum [] 5.7
mem gauge Memory.
  mem [('pid', '10')] 1000.0
  mem [('pid', '10-1')] 500.0
  mem [('pid', '11')] 1100.0
temp gauge Temperature.
  temp [] 20.0
"
    );
}
