//! Rust and Python worker processes of one application, sharing one
//! `PROMETHEUS_MULTIPROC_DIR`: four workers (two of this binary, started
//! again with `--worker`, recording through declared metrics; two
//! `python3` processes recording through `prometheus_client` 0.26) run at
//! once and update the same metrics: a counter with a label, a histogram
//! with the same buckets, and gauges in the `livesum`, `max`, `all` and
//! `mostrecent` modes. Then Python's `MultiProcessCollector` and ours,
//! over that directory, give the same families and samples (parsed, not
//! text), and the values the workloads add up to; again after
//! `mark_process_dead` of a Rust and a Python worker, and again after a
//! compaction of the directory.
//!
//! Without the test harness: the binary is also the Rust worker. Python is
//! run, never skipped: the test fails without python3 or prometheus_client.

#[path = "../metrics-core/tests/multiprocess_common/mod.rs"]
mod multiprocess_common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command};

use multiprocess_common::{collect, comparable, python_collect, Families};
use promscribe::multiprocess::{self, compact, mark_process_dead};
use promscribe::{counter, gauge, histogram};

counter!(JOBS, "interop_jobs_total", "Jobs done.", labels = ["queue"]);
histogram!(
    LATENCY,
    "interop_latency_seconds",
    "Latency.",
    buckets = [0.01, 0.1, 1.0]
);
gauge!(
    BUSY,
    "interop_busy",
    "Busy, over the live workers.",
    multiprocess_mode = "livesum"
);
gauge!(
    PEAK,
    "interop_peak",
    "Peak by room.",
    labels = ["room"],
    multiprocess_mode = "max"
);
gauge!(
    TEMPERATURE,
    "interop_temperature",
    "Temperature of each worker.",
    multiprocess_mode = "all"
);
gauge!(
    LAST,
    "interop_last_seen",
    "Last seen.",
    multiprocess_mode = "mostrecent"
);

/// The workload of worker `i`, in Rust.
fn rust_workload(i: usize) {
    let fi = i as f64;
    for k in 0..200 {
        JOBS.labels([["mail", "sms"][k % 2]]).inc();
    }
    JOBS.labels(["mail"])
        .inc_by(0.5 * fi)
        .expect("not negative");
    for k in 0..100 {
        LATENCY.observe(k as f64 * 0.003 * (fi + 1.0));
    }
    BUSY.inc_by(fi + 1.0);
    for (r, room) in ["hall", "attic"].into_iter().enumerate() {
        PEAK.labels([room]).set(10.0 * fi + r as f64);
    }
    TEMPERATURE.set(20.0 + fi);
    LAST.set(100.0 + fi);
}

/// The same workload, in Python: worker `sys.argv[1]`.
const PY_WORKLOAD: &str = r#"
import sys
from prometheus_client import Counter, Gauge, Histogram
i = int(sys.argv[1])
fi = float(i)
jobs = Counter('interop_jobs_total', 'Jobs done.', ['queue'])
for k in range(200):
    jobs.labels(['mail', 'sms'][k % 2]).inc()
jobs.labels('mail').inc(0.5 * fi)
lat = Histogram('interop_latency_seconds', 'Latency.', buckets=[0.01, 0.1, 1.0])
for k in range(100):
    lat.observe(float(k) * 0.003 * (fi + 1.0))
busy = Gauge('interop_busy', 'Busy, over the live workers.', multiprocess_mode='livesum')
busy.inc(fi + 1.0)
peak = Gauge('interop_peak', 'Peak by room.', ['room'], multiprocess_mode='max')
for r, room in enumerate(['hall', 'attic']):
    peak.labels(room).set(10.0 * fi + r)
temp = Gauge('interop_temperature', 'Temperature of each worker.', multiprocess_mode='all')
temp.set(20.0 + fi)
last = Gauge('interop_last_seen', 'Last seen.', multiprocess_mode='mostrecent')
last.set(100.0 + fi)
"#;

/// Starts worker `i` (even: Rust, odd: Python) recording into `dir`.
fn start_worker(i: usize, dir: &Path) -> Child {
    let mut cmd = if i.is_multiple_of(2) {
        let mut cmd = Command::new(std::env::current_exe().expect("this binary"));
        cmd.args(["--worker", &i.to_string()]);
        cmd
    } else {
        let mut cmd = Command::new("python3");
        cmd.args(["-c", PY_WORKLOAD, &i.to_string()]);
        cmd
    };
    cmd.env("PROMETHEUS_MULTIPROC_DIR", dir)
        .env_remove("prometheus_multiproc_dir")
        .spawn()
        .unwrap_or_else(|e| panic!("worker {i} cannot start (python3 is needed): {e}"))
}

/// Both collectors over `dir` agree: same families, types, help, sample
/// names and labels; values equal but for the order floats were summed
/// in. Returns ours.
fn both_agree(dir: &Path, step: &str) -> Families {
    let ours = comparable(&collect(dir), false);
    let python = python_collect(dir);
    let names = |f: &Families| f.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&python), "{step}: families");
    for (name, (kind, help, samples)) in &ours {
        let (py_kind, py_help, py_samples) = &python[name];
        assert_eq!((kind, help), (py_kind, py_help), "{step}: {name}");
        let keys = |s: &BTreeMap<(String, String), f64>| s.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(samples), keys(py_samples), "{step}: {name}'s samples");
        for (key, value) in samples {
            let py = py_samples[key];
            assert!(
                (value - py).abs() <= 1e-12 * value.abs().max(1.0),
                "{step}: {key:?}: ours {value}, Python's {py}"
            );
        }
    }
    ours
}

/// The value of a sample of `families` (labels as `k=v,...`, sorted).
fn value(families: &Families, family: &str, sample: &str, labels: &str) -> f64 {
    let samples = &families
        .get(family)
        .unwrap_or_else(|| panic!("no {family} in {families:?}"))
        .2;
    *samples
        .get(&(sample.to_owned(), labels.to_owned()))
        .unwrap_or_else(|| panic!("no {sample}{{{labels}}} in {samples:?}"))
}

const WORKERS: usize = 4;

fn rust_and_python_workers_share_one_directory() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path();
    let mut workers: Vec<(usize, Child)> =
        (0..WORKERS).map(|i| (i, start_worker(i, dir))).collect();
    let mut pids = Vec::new();
    for (i, child) in &mut workers {
        let status = child.wait().expect("the worker ends");
        assert!(status.success(), "worker {i}: {status}");
        pids.push(child.id());
    }
    // Every worker wrote its own files, Rust and Python alike.
    for pid in &pids {
        for kind in [
            "counter",
            "histogram",
            "gauge_livesum",
            "gauge_max",
            "gauge_all",
        ] {
            let name = format!("{kind}_{pid}.db");
            assert!(dir.join(&name).exists(), "no {name}");
        }
    }

    let all = both_agree(dir, "four workers");
    let sum_over = |f: fn(f64) -> f64| (0..WORKERS).map(|i| f(i as f64)).sum::<f64>();
    let (workers_f, half) = (WORKERS as f64, sum_over(|i| 0.5 * i));
    let jobs = |queue: &str| {
        value(
            &all,
            "interop_jobs",
            "interop_jobs_total",
            &format!("queue={queue}"),
        )
    };
    assert_eq!(jobs("mail"), 100.0 * workers_f + half);
    assert_eq!(jobs("sms"), 100.0 * workers_f);
    let count = value(
        &all,
        "interop_latency_seconds",
        "interop_latency_seconds_count",
        "",
    );
    assert_eq!(count, 100.0 * workers_f);
    // k * 0.003 * (i + 1) <= 0.01: k <= 3, 1, 1, 0 for i = 0..4 (and 0).
    let le = |b: &str| {
        value(
            &all,
            "interop_latency_seconds",
            "interop_latency_seconds_bucket",
            &format!("le={b}"),
        )
    };
    let expected_below = |bound: f64| {
        (0..WORKERS)
            .map(|i| {
                (0..100)
                    .filter(|k| f64::from(*k) * 0.003 * (i as f64 + 1.0) <= bound)
                    .count() as f64
            })
            .sum::<f64>()
    };
    assert_eq!(le("0.01"), expected_below(0.01));
    assert_eq!(le("0.1"), expected_below(0.1));
    assert_eq!(le("1.0"), expected_below(1.0));
    assert_eq!(le("inf"), 100.0 * workers_f);
    assert_eq!(
        value(&all, "interop_busy", "interop_busy", ""),
        sum_over(|i| i + 1.0)
    );
    let top = (WORKERS - 1) as f64;
    assert_eq!(
        value(&all, "interop_peak", "interop_peak", "room=hall"),
        10.0 * top
    );
    assert_eq!(
        value(&all, "interop_peak", "interop_peak", "room=attic"),
        10.0 * top + 1.0
    );
    for (i, pid) in pids.iter().enumerate() {
        let t = value(
            &all,
            "interop_temperature",
            "interop_temperature",
            &format!("pid={pid}"),
        );
        assert_eq!(t, 20.0 + i as f64, "worker {i}");
    }
    let last = value(&all, "interop_last_seen", "interop_last_seen", "");
    assert!(
        (100.0..100.0 + workers_f).contains(&last) && last.fract() == 0.0,
        "{last}"
    );

    // A Rust and a Python worker marked dead: their live gauges go, the
    // rest stays.
    mark_process_dead(dir, pids[0]).expect("marked dead");
    mark_process_dead(dir, pids[1]).expect("marked dead");
    let marked = both_agree(dir, "two workers marked dead");
    assert_eq!(
        value(&marked, "interop_busy", "interop_busy", ""),
        3.0 + 4.0
    );
    let mut without_busy = all.clone();
    without_busy.remove("interop_busy");
    let mut marked_without_busy = marked.clone();
    marked_without_busy.remove("interop_busy");
    assert_eq!(marked_without_busy, without_busy);

    // Compacted (every worker has exited): the aggregates hold what the
    // absorbed files held, for both collectors; the dead workers' live
    // gauges are gone, as if each had been marked dead.
    let report = compact(dir).expect("compacted");
    assert_eq!(report.live, 0, "{report:?}");
    assert_eq!(report.removed_live_gauges, 2, "{report:?}");
    assert_eq!(report.kept_all_gauges, WORKERS, "{report:?}");
    // Counters, histograms, max and mostrecent gauges of each worker.
    assert_eq!(report.absorbed, 4 * WORKERS, "{report:?}");
    let compacted = both_agree(dir, "compacted");
    assert_eq!(compacted, marked_without_busy);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, i] = args.as_slice() {
        if flag == "--worker" {
            assert!(
                multiprocess::process_files().is_some(),
                "a worker runs with PROMETHEUS_MULTIPROC_DIR"
            );
            rust_workload(i.parse().expect("a worker index"));
            return;
        }
    }
    // `cargo test` passes a name filter (and flags, ignored here).
    let name = "rust_and_python_workers_share_one_directory";
    let filter = args.iter().find(|a| !a.starts_with('-'));
    let mut ran = 0;
    if filter.is_none_or(|f| name.contains(f.as_str())) {
        print!("test {name} ... ");
        std::io::stdout().flush().expect("stdout");
        rust_and_python_workers_share_one_directory();
        println!("ok");
        ran += 1;
    }
    println!("\ntest result: ok. {ran} passed; 0 failed");
}
