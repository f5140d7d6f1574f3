//! The metric types in multiprocess mode: with `multiprocess::init`, the
//! same declared statics, runtime metrics, families' series and the
//! attributes record into this process's files, with the keys Python
//! 0.26's `values.py` writes (compared with the files of a Python worker
//! doing the same), and both collectors read from them what the metrics
//! hold in memory without the mode. One test: multiprocess mode is
//! process-wide, and the metrics built before `init` are the in-memory
//! reference. Python is run, never skipped: the test fails without it.
#![cfg(feature = "multiprocess")]

mod multiprocess_common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use multiprocess_common::{collect, comparable, db_files, python, python_collect, value, Families};
use promscribe::multiprocess::{self, read_entries, GaugeMode};
use promscribe::{
    count_exceptions, counter, gauge, histogram, summary, timed, track_inprogress, Buckets,
    Collector, Counter, Family, Gauge, Histogram, Opts, Registry, Summary,
};

counter!(JOBS, "wire_jobs_total", "Jobs done.");
counter!(
    REQUESTS,
    "wire_requests_total",
    "Requests \"served\".",
    labels = ["method", "path"]
);
gauge!(TEMP, "wire_temperature_celsius", "Temperature.");
gauge!(
    BUSY,
    "wire_busy_workers",
    "Busy workers.",
    multiprocess_mode = "livesum"
);
gauge!(
    LAST,
    "wire_last_seen",
    "Last seen.",
    multiprocess_mode = "mostrecent"
);
gauge!(
    ROOMS,
    "wire_room_celsius",
    "Rooms.",
    labels = ["room"],
    multiprocess_mode = "max"
);
histogram!(
    LATENCY,
    "wire_latency_seconds",
    "Latency.",
    buckets = [0.1, 0.5, 1.0]
);
histogram!(
    SIZES,
    "wire_sizes_bytes",
    "Sizes.",
    labels = ["kind"],
    buckets = [10.0, 100.0, 2500000.0]
);
summary!(WORK, "wire_work_seconds", "Work.");
summary!(CALLS, "wire_call_seconds", "Calls.", labels = ["name"]);
histogram!(TIMED, "wire_timed_seconds", "Timed.", buckets = [1.0, 60.0]);
counter!(FAILURES, "wire_failures_total", "Failures.");
gauge!(
    INPROGRESS,
    "wire_inprogress",
    "In progress.",
    multiprocess_mode = "livesum"
);

#[timed(TIMED)]
fn timed_work() {}

#[timed(CALLS, labels = [name])]
fn timed_call(name: &str) {
    let _ = name;
}

#[count_exceptions(FAILURES)]
fn may_fail(fail: bool) -> Result<(), String> {
    if fail {
        Err("boom".into())
    } else {
        Ok(())
    }
}

#[track_inprogress(INPROGRESS)]
fn in_progress() -> f64 {
    INPROGRESS.get()
}

/// The declared statics' updates; the same as `PY_WORKER` makes.
fn statics_workload() {
    JOBS.inc();
    JOBS.inc_by(2.5).expect("positive");
    JOBS.inc_by_u64(3);
    REQUESTS.labels(["get", "/"]).inc();
    REQUESTS.labels(["get", "/"]).inc();
    REQUESTS
        .labels(["post", "/\u{e9}t\u{e9}"])
        .inc_by(4.0)
        .expect("positive");
    TEMP.set(21.5);
    TEMP.dec_by(0.5);
    BUSY.inc();
    BUSY.inc();
    BUSY.dec();
    LAST.set(42.0);
    ROOMS.labels(["hall"]).set(19.0);
    ROOMS.labels(["attic"]).set(-3.0);
    for v in [0.05, 0.5, 0.7, 3.0] {
        LATENCY.observe(v);
    }
    SIZES.labels(["a"]).observe(5.0);
    SIZES.labels(["b"]).observe(1e6);
    WORK.observe(1.5);
    WORK.observe(2.0);
}

/// A Python worker doing what `statics_workload` does, in the directory
/// of `PROMETHEUS_MULTIPROC_DIR`.
const PY_WORKER: &str = r#"
from prometheus_client import Counter, Gauge, Histogram, Summary
jobs = Counter('wire_jobs_total', 'Jobs done.')
jobs.inc(); jobs.inc(2.5); jobs.inc(3)
req = Counter('wire_requests_total', 'Requests "served".', ['method', 'path'])
req.labels('get', '/').inc(); req.labels('get', '/').inc()
req.labels('post', '/\u00e9t\u00e9').inc(4)
temp = Gauge('wire_temperature_celsius', 'Temperature.')
temp.set(21.5); temp.dec(0.5)
busy = Gauge('wire_busy_workers', 'Busy workers.', multiprocess_mode='livesum')
busy.inc(); busy.inc(); busy.dec()
last = Gauge('wire_last_seen', 'Last seen.', multiprocess_mode='mostrecent')
last.set(42)
rooms = Gauge('wire_room_celsius', 'Rooms.', ['room'], multiprocess_mode='max')
rooms.labels('hall').set(19); rooms.labels('attic').set(-3)
lat = Histogram('wire_latency_seconds', 'Latency.', buckets=[0.1, 0.5, 1.0])
for v in [0.05, 0.5, 0.7, 3.0]:
    lat.observe(v)
sizes = Histogram('wire_sizes_bytes', 'Sizes.', ['kind'], buckets=[10.0, 100.0, 2500000.0])
sizes.labels('a').observe(5); sizes.labels('b').observe(1e6)
work = Summary('wire_work_seconds', 'Work.')
work.observe(1.5); work.observe(2.0)
"#;

/// The entries of every file in `dir`: (kind part of the file name, key)
/// to value (and whether the timestamp is set), the pid left out.
fn entries(dir: &Path) -> BTreeMap<(String, String), (f64, bool)> {
    let mut out = BTreeMap::new();
    for name in db_files(dir) {
        let kind = name
            .rsplit_once('_')
            .map(|(kind, _)| kind.to_owned())
            .expect("kind_pid.db");
        for e in read_entries(dir.join(&name)).expect("a readable file") {
            out.insert((kind.clone(), e.key), (e.value, e.timestamp > 0.0));
        }
    }
    out
}

/// Runtime metrics, families of them, and the attributes, registered in
/// `registry`: built before `init`, they are the in-memory reference;
/// after, they record into the files.
fn runtime_workload(registry: &Registry) {
    let c = Counter::new("rt_jobs_total", "Runtime jobs.").expect("valid");
    c.inc();
    c.inc_by(0.25).expect("positive");
    let g = Gauge::with_opts(Opts::new("rt_depth", "Depth.").multiprocess_mode(GaugeMode::Sum))
        .expect("valid");
    g.set(3.0);
    g.inc_by(1.5);
    g.dec();
    let h = Histogram::with_opts(
        Opts::new("rt_latency", "Latency.").unit("seconds"),
        Buckets::new([0.1, 1.0, 10.0]).expect("valid"),
    )
    .expect("valid");
    for v in [0.05, 0.5, 0.5, 5.0, 50.0, f64::INFINITY] {
        h.observe(v);
    }
    let s = Summary::new("rt_size_bytes", "Sizes.").expect("valid");
    s.observe(10.0);
    s.observe(20.0);
    let f = Family::<Counter, 2>::new(
        Opts::new("rt_requests_total", "Requests.").labels(["method", "code"]),
    )
    .expect("valid");
    f.labels(["get", "200"]).inc();
    f.labels(["get", "200"]).inc();
    f.labels_owned(["post", "500"])
        .inc_by(4.0)
        .expect("positive");
    let fg = Family::<Gauge, 1>::new(
        Opts::new("rt_queue", "Queues.")
            .labels(["queue"])
            .multiprocess_mode(GaugeMode::Max),
    )
    .expect("valid");
    fg.labels(["mail"]).set(7.0);
    fg.labels(["sms"]).set(-1.0);
    let fh = Family::<Histogram, 1>::with_buckets(
        Opts::new("rt_sizes", "Sizes.").labels(["kind"]),
        Buckets::new([1.0, 2.0]).expect("valid"),
    )
    .expect("valid");
    fh.labels(["x"]).observe(1.5);
    fh.labels(["y"]).observe(0.5);
    fh.labels(["y"]).observe(9.0);
    let fs =
        Family::<Summary, 1>::new(Opts::new("rt_calls", "Calls.").labels(["fn"])).expect("valid");
    fs.labels(["f"]).observe(2.0);
    // A capped family: the third series goes to the overflow series.
    let capped = Family::<Counter, 1>::new(
        Opts::new("rt_capped_total", "Capped.")
            .labels(["user"])
            .max_series(2),
    )
    .expect("valid");
    for user in ["a", "b", "c", "d"] {
        capped.labels([user]).inc();
    }
    let collectors: [Arc<dyn Collector>; 9] = [c, g, h, s, f, fg, fh, fs, capped];
    for m in collectors {
        registry.register(m).expect("registered");
    }
}

/// The families named `rt_*`.
fn runtime_only(families: Families) -> Families {
    families
        .into_iter()
        .filter(|(name, _)| name.starts_with("rt_"))
        .collect()
}

#[test]
fn metrics_record_into_the_files_as_python_does() {
    assert!(multiprocess::process_files().is_none());
    let memory_registry = Registry::new();
    runtime_workload(&memory_registry);
    let in_memory = runtime_only(comparable(&memory_registry.gather(), false));
    assert_eq!(in_memory.len(), 9, "{in_memory:#?}");

    let dir = tempfile::tempdir().expect("a temporary directory");
    multiprocess::init(dir.path()).expect("multiprocess mode on");
    // Nothing is written before a metric is updated.
    assert!(db_files(dir.path()).is_empty());

    // Runtime metrics, families, the overflow series: the collector reads
    // from the files what the metrics held in memory.
    let files_registry = Registry::new();
    runtime_workload(&files_registry);
    let from_files = runtime_only(comparable(&collect(dir.path()), true));
    assert_eq!(from_files, in_memory);
    // The registry's own exposition reads the values from the files too.
    let read_back = runtime_only(comparable(&files_registry.gather(), false));
    assert_eq!(read_back, in_memory);

    // Declared statics: the same entries as a Python worker writes.
    statics_workload();
    let py_dir = tempfile::tempdir().expect("a temporary directory");
    python(PY_WORKER, &[], Some(py_dir.path()));
    let theirs = entries(py_dir.path());
    let ours: BTreeMap<_, _> = entries(dir.path())
        .into_iter()
        .filter(|((_, key), _)| key.starts_with("[\"wire_"))
        .collect();
    assert_eq!(theirs.len(), 25, "{theirs:#?}");
    assert_eq!(ours, theirs);

    let pid = std::process::id();
    let names = db_files(dir.path());
    for kind in [
        "counter",
        "gauge_all",
        "gauge_livesum",
        "gauge_mostrecent",
        "gauge_max",
        "gauge_sum",
        "histogram",
        "summary",
    ] {
        assert!(
            names.contains(&format!("{kind}_{pid}.db")),
            "{kind}: {names:?}"
        );
    }

    // The values live in the files: `get` reads them.
    assert_eq!(JOBS.get(), 6.5);
    assert_eq!(REQUESTS.labels(["get", "/"]).get(), 2.0);
    assert_eq!(TEMP.get(), 21.0);
    assert_eq!(BUSY.get(), 1.0);
    assert_eq!(LATENCY.get_count(), 4);
    assert_eq!(LATENCY.get_sum(), 4.25);
    assert_eq!(WORK.get_count(), 2);
    assert_eq!(WORK.get_sum(), 3.5);

    // The attributes record through the same paths.
    timed_work();
    timed_work();
    timed_call("open");
    may_fail(true).expect_err("fails");
    may_fail(false).expect("succeeds");
    assert_eq!(in_progress(), 1.0);
    assert_eq!(INPROGRESS.get(), 0.0);

    let families = collect(dir.path());
    assert_eq!(value(&families, "wire_timed_seconds_count", &[]), Some(2.0));
    assert_eq!(
        value(&families, "wire_timed_seconds_bucket", &[("le", "+Inf")]),
        Some(2.0)
    );
    assert_eq!(
        value(&families, "wire_call_seconds_count", &[("name", "open")]),
        Some(1.0)
    );
    assert_eq!(value(&families, "wire_failures_total", &[]), Some(1.0));
    assert_eq!(value(&families, "wire_inprogress", &[]), Some(0.0));
    assert_eq!(value(&families, "wire_jobs_total", &[]), Some(6.5));
    assert_eq!(
        value(
            &families,
            "wire_temperature_celsius",
            &[("pid", &pid.to_string())]
        ),
        Some(21.0)
    );
    assert_eq!(value(&families, "wire_last_seen", &[]), Some(42.0));
    assert_eq!(
        value(&families, "wire_latency_seconds_bucket", &[("le", "0.5")]),
        Some(2.0)
    );

    // Python's collector reads the whole directory as ours does.
    let python = python_collect(dir.path());
    assert!(python.len() >= 20, "{python:#?}");
    assert_eq!(comparable(&families, false), python);
}
