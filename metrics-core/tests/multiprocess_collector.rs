//! The multiprocess collector against Python's `prometheus_client` 0.26:
//! a directory written by Python workers (and one of ours) is collected by
//! both collectors, which must agree on every family, type, help, label
//! and value. Then: bad files among good ones, `mark_process_dead`, and
//! the time to collect 6,000 files. The tests that run Python fail when
//! python3 or prometheus_client is missing: they never skip.
#![cfg(feature = "multiprocess")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use promscribe::multiprocess::{
    encode_key, mark_process_dead, FileKind, GaugeMode, MmapDict, MultiProcessCollector, SampleKey,
};
use promscribe::{Collector, MetricFamily};

/// Runs `script` with `python3`, the arguments after it; its standard
/// output. Panics (fails the test) if Python or prometheus_client is
/// missing, or the script fails.
fn python(script: &str, args: &[&str], env_dir: Option<&Path>) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).args(args);
    cmd.env_remove("PROMETHEUS_MULTIPROC_DIR")
        .env_remove("prometheus_multiproc_dir");
    if let Some(dir) = env_dir {
        cmd.env("PROMETHEUS_MULTIPROC_DIR", dir);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed for this test and could not run: {e}"));
    assert!(
        out.status.success(),
        "python3 failed (is prometheus_client 0.26 installed?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("Python's output is UTF-8")
}

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

/// Python's `MultiProcessCollector` on `sys.argv[1]`: a line per family
/// (`F name type help`) and per sample (`S name labels value`), tab
/// separated, labels as `k=v` joined by `,`.
const PY_COLLECT: &str = r#"
import sys
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
r = CollectorRegistry()
MultiProcessCollector(r, path=sys.argv[1])
for m in r.collect():
    print('F\t%s\t%s\t%s' % (m.name, m.type, m.documentation))
    for s in m.samples:
        labels = ','.join('%s=%s' % kv for kv in sorted(s.labels.items()))
        print('S\t%s\t%s\t%s\t%r' % (m.name, s.name, labels, s.value))
"#;

/// A family: type and help; its samples: (sample name, labels) to value.
type Families = BTreeMap<String, (String, String, BTreeMap<(String, String), f64>)>;

/// Labels in one canonical text: sorted, `le` as a number.
fn canonical_labels<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(String, String)> = pairs
        .map(|(k, v)| {
            let v = if k == "le" {
                let le: f64 = match v {
                    "+Inf" => f64::INFINITY,
                    _ => v.parse().expect("a numeric le"),
                };
                format!("{le:?}")
            } else {
                v.to_owned()
            };
            (k.to_owned(), v)
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_python(out: &str) -> Families {
    let mut families = Families::new();
    for line in out.lines() {
        let parts: Vec<&str> = line.split('\t').collect();
        match parts.as_slice() {
            ["F", name, kind, help] => {
                let old = families.insert(
                    (*name).to_owned(),
                    ((*kind).to_owned(), (*help).to_owned(), BTreeMap::new()),
                );
                assert!(old.is_none(), "Python yields {name} twice");
            }
            ["S", family, name, labels, value] => {
                let pairs = labels
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(|p| p.split_once('=').expect("k=v"));
                let key = ((*name).to_owned(), canonical_labels(pairs));
                let value: f64 = value.parse().expect("a float");
                let samples = &mut families.get_mut(*family).expect("family first").2;
                assert!(samples.insert(key, value).is_none(), "{line} twice");
            }
            _ => panic!("unexpected line from Python: {line:?}"),
        }
    }
    families
}

fn ours(families: &[MetricFamily]) -> Families {
    let mut out = Families::new();
    for f in families {
        let mut samples = BTreeMap::new();
        for s in f.samples() {
            let labels = canonical_labels(s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let key = (s.name.clone(), labels);
            assert!(
                samples.insert(key, s.value).is_none(),
                "{} twice in {}",
                s.name,
                f.name
            );
        }
        let old = out.insert(
            f.name.clone(),
            (f.kind.as_str().to_owned(), f.help.clone(), samples),
        );
        assert!(old.is_none(), "we yield {} twice", f.name);
    }
    out
}

fn collect(dir: &Path) -> Vec<MetricFamily> {
    let mut families = Vec::new();
    MultiProcessCollector::new(dir).collect(&mut families);
    families
}

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

    let dir_arg = dir.path().to_str().expect("a UTF-8 path");
    let theirs = parse_python(&python(PY_COLLECT, &[dir_arg], None));
    let ours = ours(&collect(dir.path()));

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

/// Records the message of every warning.
#[derive(Default)]
struct Warnings(Mutex<Vec<String>>);

impl tracing::Subscriber for Warnings {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, e: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, _: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{v:?}"));
            }
        }
        if e.metadata().level() == &tracing::Level::WARN {
            let mut m = Message(String::new());
            e.record(&mut m);
            self.0.lock().expect("not poisoned").push(m.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn collect_logged(dir: &Path) -> (Vec<MetricFamily>, Vec<String>) {
    let warnings = Arc::new(Warnings::default());
    let families = tracing::subscriber::with_default(warnings.clone(), || collect(dir));
    let logged = warnings.0.lock().expect("not poisoned").clone();
    (families, logged)
}

fn value(families: &[MetricFamily], sample: &str, labels: &[(&str, &str)]) -> Option<f64> {
    families
        .iter()
        .flat_map(|f| f.samples())
        .find(|s| {
            s.name == sample
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(k2, v2)| k2 == k && v2 == v))
        })
        .map(|s| s.value)
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
