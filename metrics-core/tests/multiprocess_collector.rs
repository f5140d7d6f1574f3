//! The multiprocess collector against Python's `prometheus_client` 0.26:
//! a directory written by Python workers (and one of ours) is collected by
//! both collectors, which must agree on every family, type, help, label
//! and value. Then: bad files among good ones, `mark_process_dead`, and
//! the time to collect 6,000 files. The tests that run Python fail when
//! python3 or prometheus_client is missing: they never skip.
#![cfg(feature = "multiprocess")]

mod multiprocess_common;

use std::path::Path;
use std::time::Instant;

use multiprocess_common::{collect, collect_logged, comparable, python, python_collect, value};
use promscribe::multiprocess::{
    encode_key, mark_process_dead, FileKind, FileOwner, GaugeMode, MmapDict, SampleKey,
};

/// A Python worker: each metric type, labels, every gauge mode; values
/// that differ by worker so that sums, minima and maxima tell them apart.
const WORKER: &str = r#"
import sys, time
from prometheus_client import Counter, Gauge, Histogram, Summary
w = int(sys.argv[1])
c = Counter('jobs', 'Jobs done.', ['queue'])
c.labels('mail').inc(w + 1)
c.labels('sms').inc(2.5 * w)
Counter('plain_events_total', 'Plain "events".').inc(w)
for m in ['all', 'liveall', 'min', 'livemin', 'max', 'livemax', 'sum', 'livesum',
          'mostrecent', 'livemostrecent']:
    g = Gauge('g_' + m, 'Gauge ' + m, ['kind'], multiprocess_mode=m)
    g.labels('a').set(w * 10 + 1.5 - (30 if w == 1 else 0))
    time.sleep(0.002)
    g.labels('b').set(-w)
Gauge('unlabelled', 'Default mode.').set(w * 0.25)
h = Histogram('latency_seconds', 'Latency.', ['path'], buckets=[0.1, 0.5, 1, 5])
for v in [0.05 * w, 0.3, 0.7 * w, 3, 10]:
    h.labels('/x').observe(v)
h.labels('/w%d' % w).observe(w)
s = Summary('size_bytes', 'Sizes.', ['path'])
s.labels('/y').observe(100 * w)
s.labels('/y').observe(1)
"#;

fn write(dir: &Path, kind: FileKind, pid: u32, entries: &[(SampleKey, f64, f64)]) {
    let mut dict = MmapDict::open(dir.join(kind.file_name(pid))).expect("a new file");
    for (key, value, timestamp) in entries {
        dict.write_value(&encode_key(key), *value, *timestamp)
            .expect("written");
    }
}

#[test]
fn python_and_we_collect_the_same_families() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for worker in ["1", "2", "3"] {
        python(WORKER, &[worker], Some(dir.path()));
    }
    // A process of ours among Python's: a counter and an `all` gauge.
    write(
        dir.path(),
        FileKind::Counter,
        4_000_000,
        &[(
            SampleKey::new("jobs", "jobs_total", &[("queue", "mail")], "Jobs done."),
            100.0,
            0.0,
        )],
    );
    write(
        dir.path(),
        FileKind::Gauge(GaugeMode::All),
        4_000_000,
        &[(
            SampleKey::new("unlabelled", "unlabelled", &[], "Default mode."),
            7.0,
            0.0,
        )],
    );

    let theirs = python_collect(dir.path());
    let ours = comparable(&collect(dir.path()), false);

    // Not vacuous: every kind, the three workers and ours merged.
    assert_eq!(theirs.len(), 15, "{theirs:#?}");
    let jobs = &theirs["jobs"].2;
    assert_eq!(
        jobs[&("jobs_total".to_owned(), "queue=mail".to_owned())],
        2.0 + 3.0 + 4.0 + 100.0
    );
    assert_eq!(theirs["g_all"].2.len(), 6);
    assert_eq!(theirs["unlabelled"].2.len(), 4);
    assert_eq!(theirs["g_min"].2.len(), 2);

    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (name, theirs) in &theirs {
        assert_eq!(&ours[name], theirs, "family {name}");
    }
}

#[test]
fn bad_files_are_skipped_and_named() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let jobs = SampleKey::new("jobs", "jobs_total", &[], "Jobs.");
    write(
        dir.path(),
        FileKind::Counter,
        1,
        &[(jobs.clone(), 2.0, 0.0)],
    );
    write(
        dir.path(),
        FileKind::Counter,
        2,
        &[(jobs.clone(), 3.0, 0.0)],
    );

    // Empty (a process killed as it created it).
    std::fs::write(dir.path().join("counter_3.db"), b"").expect("written");
    // Truncated: the header counts more than the file holds.
    write(
        dir.path(),
        FileKind::Counter,
        4,
        &[(jobs.clone(), 50.0, 0.0)],
    );
    let truncated = dir.path().join("counter_4.db");
    let data = std::fs::read(&truncated).expect("read");
    std::fs::write(&truncated, &data[..40]).expect("written");
    // Foreign bytes under a good name.
    std::fs::write(dir.path().join("counter_5.db"), [0xffu8; 100]).expect("written");
    // A name that is no multiprocess file's.
    std::fs::write(dir.path().join("notes.db"), b"hello").expect("written");
    // A key that is not Python's JSON: the whole file is left out.
    let mut dict = MmapDict::open(dir.path().join("counter_6.db")).expect("a new file");
    dict.write_value(&encode_key(&jobs), 1000.0, 0.0)
        .expect("written");
    dict.write_value("not json", 1.0, 0.0).expect("written");
    drop(dict);

    let (families, logged) = collect_logged(dir.path());
    assert_eq!(value(&families, "jobs_total", &[]), Some(5.0));
    for bad in [
        "counter_3.db",
        "counter_4.db",
        "counter_5.db",
        "notes.db",
        "counter_6.db",
    ] {
        assert!(
            logged.iter().any(|w| w.contains(bad)),
            "no warning names {bad}: {logged:#?}"
        );
    }
    assert_eq!(logged.len(), 5, "{logged:#?}");
}

#[test]
fn a_directory_that_cannot_be_read_is_logged() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = dir.path().join("gone");
    let (families, logged) = collect_logged(&missing);
    assert!(families.is_empty());
    assert_eq!(logged.len(), 1);
    assert!(logged[0].contains("gone"), "{logged:?}");
}

#[test]
fn mark_process_dead_removes_live_gauges_only() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = |name: &str| SampleKey::new(name, name, &[], "");
    for pid in [7, 8] {
        for mode in GaugeMode::ALL {
            let name = format!("g_{mode}");
            write(
                dir.path(),
                FileKind::Gauge(mode),
                pid,
                &[(key(&name), f64::from(pid), 1.0)],
            );
        }
        write(
            dir.path(),
            FileKind::Counter,
            pid,
            &[(SampleKey::new("c", "c_total", &[], ""), 1.0, 0.0)],
        );
    }
    mark_process_dead(dir.path(), 7).expect("removed");
    // Again: the files are gone, which is no error.
    mark_process_dead(dir.path(), 7).expect("nothing to remove");

    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("listed")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .into_string()
                .expect("UTF-8")
        })
        .filter(|n| n.ends_with("_7.db"))
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "counter_7.db",
            "gauge_all_7.db",
            "gauge_max_7.db",
            "gauge_min_7.db",
            "gauge_mostrecent_7.db",
            "gauge_sum_7.db"
        ]
    );

    let families = collect(dir.path());
    assert_eq!(value(&families, "g_livesum", &[]), Some(8.0));
    assert_eq!(value(&families, "g_sum", &[]), Some(15.0));
    assert_eq!(value(&families, "g_livemin", &[]), Some(8.0));
    assert_eq!(value(&families, "g_min", &[]), Some(7.0));
    assert_eq!(value(&families, "g_liveall", &[("pid", "7")]), None);
    assert_eq!(value(&families, "g_liveall", &[("pid", "8")]), Some(8.0));
    assert_eq!(value(&families, "g_all", &[("pid", "7")]), Some(7.0));
    assert_eq!(value(&families, "c_total", &[]), Some(2.0));
}

/// 6,000 files of 100 entries each (1,500 processes, each with a counter,
/// a histogram, a summary and a `livesum` gauge file), collected once;
/// the time is printed, not asserted (run with `--release --nocapture`).
#[test]
fn six_thousand_files_are_collected() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bounds = [
        "0.005", "0.01", "0.05", "0.1", "0.5", "1.0", "5.0", "10.0", "+Inf",
    ];
    let paths: Vec<String> = (0..100).map(|i| format!("/p{i}")).collect();
    let mut counter = Vec::new();
    let mut gauge = Vec::new();
    let mut summary = Vec::new();
    let mut histogram = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let l = [("path", path.as_str())];
        counter.push(encode_key(&SampleKey::new(
            "requests",
            "requests_total",
            &l,
            "Requests.",
        )));
        gauge.push(encode_key(&SampleKey::new(
            "inflight",
            "inflight",
            &l,
            "In flight.",
        )));
        if i < 50 {
            for part in ["count", "sum"] {
                let name = format!("size_bytes_{part}");
                summary.push(encode_key(&SampleKey::new(
                    "size_bytes",
                    &name,
                    &l,
                    "Sizes.",
                )));
            }
        }
        if i < 10 {
            for le in bounds {
                let l = [("path", path.as_str()), ("le", le)];
                histogram.push(encode_key(&SampleKey::new(
                    "latency",
                    "latency_bucket",
                    &l,
                    "L.",
                )));
            }
            histogram.push(encode_key(&SampleKey::new(
                "latency",
                "latency_sum",
                &l,
                "L.",
            )));
        }
    }
    let start = Instant::now();
    for pid in 1..=1500u32 {
        for (kind, keys) in [
            (FileKind::Counter, &counter),
            (FileKind::Gauge(GaugeMode::LiveSum), &gauge),
            (FileKind::Summary, &summary),
            (FileKind::Histogram, &histogram),
        ] {
            assert_eq!(keys.len(), 100);
            let mut dict = MmapDict::open(dir.path().join(kind.file_name(pid))).expect("a file");
            for key in keys {
                dict.write_value(key, 1.0, 0.0).expect("written");
            }
        }
    }
    println!("6,000 files written in {:?}", start.elapsed());

    let start = Instant::now();
    let families = collect(dir.path());
    let took = start.elapsed();
    println!("6,000 files of 100 entries collected in {took:?}");

    assert_eq!(families.len(), 4);
    assert_eq!(
        value(&families, "requests_total", &[("path", "/p99")]),
        Some(1500.0)
    );
    assert_eq!(
        value(&families, "inflight", &[("path", "/p0")]),
        Some(1500.0)
    );
    assert_eq!(
        value(&families, "size_bytes_count", &[("path", "/p49")]),
        Some(1500.0)
    );
    assert_eq!(
        value(
            &families,
            "latency_bucket",
            &[("path", "/p9"), ("le", "+Inf")]
        ),
        Some(9.0 * 1500.0)
    );
    assert_eq!(
        value(&families, "latency_count", &[("path", "/p9")]),
        Some(13_500.0)
    );
}

/// A second file of a pid (`<pid>-<n>.db`, taken when a dead process of
/// the same pid left its file) is read as Python 0.26 reads it: its `all`
/// gauges labelled with the whole identifier (`123-1`).
#[test]
fn numbered_files_are_labelled_as_python_labels_them() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let gauge = |name, value| {
        [(
            SampleKey::new(name, name, &[("kind", "web")], "Workers."),
            value,
            0.0,
        )]
    };
    let jobs = |value| {
        [(
            SampleKey::new("jobs", "jobs_total", &[], "Jobs."),
            value,
            0.0,
        )]
    };
    for (owner, value) in [
        (FileOwner::Process { pid: 123, n: 0 }, 1.0),
        (FileOwner::Process { pid: 123, n: 1 }, 2.0),
        (FileOwner::Process { pid: 123, n: 12 }, 4.0),
    ] {
        for (kind, entries) in [
            (FileKind::Gauge(GaugeMode::All), gauge("workers", value)),
            (
                FileKind::Gauge(GaugeMode::LiveAll),
                gauge("live_workers", value * 10.0),
            ),
            (FileKind::Counter, jobs(value)),
        ] {
            let name = dir.path().join(kind.file_name_of(owner));
            let mut dict = MmapDict::open(name).expect("a new file");
            for (key, value, timestamp) in entries {
                dict.write_value(&encode_key(&key), value, timestamp)
                    .expect("written");
            }
        }
    }

    let theirs = python_collect(dir.path());
    let families = collect(dir.path());
    assert_eq!(comparable(&families, false), theirs);

    let web = ("kind", "web");
    assert_eq!(
        value(&families, "workers", &[web, ("pid", "123")]),
        Some(1.0)
    );
    assert_eq!(
        value(&families, "workers", &[web, ("pid", "123-1")]),
        Some(2.0)
    );
    assert_eq!(
        value(&families, "workers", &[web, ("pid", "123-12")]),
        Some(4.0)
    );
    assert_eq!(
        value(&families, "live_workers", &[web, ("pid", "123-1")]),
        Some(20.0)
    );
    assert_eq!(value(&families, "jobs_total", &[]), Some(7.0));
}

/// `mark_process_dead` removes the live gauges of every file of the pid
/// (`-<n>` ones too), but not one whose lock a process holds: a live
/// writer of the same pid in another container.
#[test]
fn mark_process_dead_removes_numbered_files_unless_locked() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = SampleKey::new("g", "g", &[], "");
    let live = FileKind::Gauge(GaugeMode::LiveSum);
    let name = |pid, n| live.file_name_of(FileOwner::Process { pid, n });
    for (pid, n) in [(7, 0), (7, 1), (7, 2), (7, 3), (70, 1), (17, 0)] {
        let mut dict = MmapDict::open(dir.path().join(name(pid, n))).expect("opened");
        dict.write_value(&encode_key(&key), 1.0, 0.0)
            .expect("written");
    }
    let held = std::fs::File::open(dir.path().join(name(7, 2))).expect("opened");
    held.lock().expect("locked");

    mark_process_dead(dir.path(), 7).expect("removed");

    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("listed")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .into_string()
                .expect("UTF-8")
        })
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "gauge_livesum_17.db",
            "gauge_livesum_7-2.db",
            "gauge_livesum_70-1.db"
        ]
    );
    drop(held);
    mark_process_dead(dir.path(), 7).expect("removed");
    assert!(!dir.path().join(name(7, 2)).exists());
    // A directory that is gone: nothing to remove.
    mark_process_dead(dir.path().join("gone"), 7).expect("nothing to remove");
}
