//! What multiprocess mode cannot record is refused, never ignored: info
//! and enum metrics, exemplars, value functions, removing series, native
//! histograms, and `inc`/`dec` on a `mostrecent` gauge. Where the call
//! returns a `Result` or a `bool` it says so; every refusal is logged once
//! per metric, naming it. One test: multiprocess mode is process-wide.
#![cfg(feature = "multiprocess")]

mod multiprocess_common;

use std::sync::Arc;

use multiprocess_common::{collect, db_files, value, Logged};
use promscribe::multiprocess::{self, GaugeMode};
use promscribe::{
    counter, enumeration, gauge, histogram, info, Buckets, Counter, Enum, Family, Gauge, Histogram,
    Info, MetricError, NativeOpts, Opts, States,
};

info!(BUILD, "ref_build", "Build.");
info!(LIBS, "ref_lib", "Libraries.", labels = ["lib"]);
enumeration!(STATE, "ref_state", "State.", states = ["up", "down"]);
enumeration!(
    DISKS,
    "ref_disk_state",
    "Disks.",
    labels = ["disk"],
    states = ["ok", "bad"]
);
counter!(EXEMPLARY, "ref_exemplary_total", "Exemplars.");
histogram!(
    EXEMPLARY_H,
    "ref_exemplary_seconds",
    "Exemplars.",
    buckets = [1.0]
);
gauge!(QUEUE, "ref_queue_length", "Queue.");
gauge!(
    RECENT,
    "ref_recent",
    "Most recent.",
    multiprocess_mode = "mostrecent"
);
gauge!(
    LIVE_RECENT,
    "ref_live_recent",
    "Live most recent.",
    labels = ["k"],
    multiprocess_mode = "livemostrecent"
);
gauge!(PAGES, "ref_pages", "Pages.", labels = ["page"]);
histogram!(
    NATIVE,
    "ref_native_seconds",
    "Native.",
    native = NativeOpts::new()
);
histogram!(
    NATIVE_FAMILY,
    "ref_native_family_seconds",
    "Native.",
    labels = ["path"],
    native = NativeOpts::new()
);

fn refused(r: Result<(), MetricError>, metric: &str) {
    match r {
        Err(MetricError::Multiprocess { metric: m, reason }) => {
            assert_eq!(m, metric, "{reason}");
        }
        other => panic!("{metric}: expected a refusal, got {other:?}"),
    }
}

#[test]
fn what_the_files_cannot_carry_is_refused_and_logged_once() {
    let logged = Logged::install();
    let dir = tempfile::tempdir().expect("a temporary directory");
    multiprocess::init(dir.path()).expect("multiprocess mode on");
    let once = |metric: &str, what: &str| {
        let lines = logged.containing(&format!("metric `{metric}`"));
        assert_eq!(lines.len(), 1, "{metric}: {lines:#?}");
        assert!(lines[0].contains(what), "{metric}: {lines:#?}");
    };

    // Info and enum metrics: the `Result` says it, nothing changes.
    for _ in 0..2 {
        refused(BUILD.set([("version", "1.0")]), "ref_build");
        refused(LIBS.labels(["tokio"]).set([("version", "1")]), "ref_lib");
        refused(STATE.state("down"), "ref_state");
        refused(DISKS.labels(["sda"]).state("bad"), "ref_disk_state");
    }
    assert!(BUILD.get().is_empty());
    assert_eq!(STATE.get(), "up");
    once("ref_build", "info metric");
    once("ref_lib", "info metric");
    once("ref_state", "enum metric");
    once("ref_disk_state", "enum metric");
    let info = Info::new("ref_runtime_info", "Runtime info.").expect("valid");
    refused(info.set([("a", "b")]), "ref_runtime");
    let states = States::new(["a", "b"]).expect("valid");
    let e = Enum::new(Opts::new("ref_runtime_enum", "E."), states).expect("valid");
    refused(e.state("b"), "ref_runtime_enum");

    // Exemplars: the value is recorded, the exemplar refused.
    for _ in 0..2 {
        let err = EXEMPLARY
            .inc_by_with_exemplar(2.0, &[("trace_id", "abc")])
            .expect_err("exemplar refused");
        assert!(
            matches!(err, MetricError::ExemplarRefused { value, .. } if value == 2.0),
            "{err}"
        );
        let err = EXEMPLARY_H
            .observe_with_exemplar(0.5, &[("trace_id", "abc")])
            .expect_err("exemplar refused");
        assert!(
            matches!(err, MetricError::ExemplarRefused { value, .. } if value == 0.5),
            "{err}"
        );
    }
    assert_eq!(EXEMPLARY.get(), 4.0);
    assert!(EXEMPLARY.exemplar().is_none());
    assert_eq!(EXEMPLARY_H.get_count(), 2);
    once("ref_exemplary", "exemplars");
    once("ref_exemplary_seconds", "exemplars");

    // A value function: `false`, and the gauge keeps its own value.
    QUEUE.set(3.0);
    assert!(!QUEUE.set_function(|| 99.0));
    assert!(!QUEUE.set_function(|| 99.0));
    assert_eq!(QUEUE.get(), 3.0);
    once("ref_queue_length", "value function");

    // Removing series: `false`, an error, nothing removed or hidden.
    PAGES.labels(["/"]).set(1.0);
    PAGES.labels(["/a"]).set(2.0);
    assert!(!PAGES.remove(["/"]));
    refused(
        PAGES.remove_by_labels(&[("page", "/a")]).map(|_| ()),
        "ref_pages",
    );
    PAGES.clear();
    assert_eq!(PAGES.retain(|_, _| false), 0);
    assert_eq!(PAGES.len(), 2);
    once("ref_pages", "cannot be removed");

    // An idle timeout releases series from memory, but not from the
    // files: said once, at the family's first sweep.
    let idle = Family::<Gauge, 1>::new(
        Opts::new("ref_idle", "Idle.")
            .labels(["k"])
            .expire_after(std::time::Duration::from_millis(1)),
    )
    .expect("valid");
    idle.labels(["a"]).set(1.0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    idle.labels(["b"]).set(1.0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    idle.labels(["c"]).set(1.0);
    once("ref_idle", "stay in the multiprocess files");

    // Native histograms: refused at construction when the constructor
    // returns a `Result`; a declared one records in memory only.
    let opts = || Opts::new("ref_runtime_native_seconds", "Native.");
    match Histogram::with_native(opts(), None, NativeOpts::new()) {
        Err(MetricError::Multiprocess { metric, .. }) => {
            assert_eq!(metric, "ref_runtime_native_seconds")
        }
        other => panic!("{other:?}"),
    }
    let family = Family::<Histogram, 1>::with_native(
        Opts::new("ref_runtime_native_family_seconds", "N.").labels(["a"]),
        Some(Buckets::DEFAULT),
        NativeOpts::new(),
    );
    assert!(matches!(family, Err(MetricError::Multiprocess { .. })));
    // Classic buckets only is fine.
    Histogram::with_native(opts(), None, NativeOpts::new().bucket_factor(1.0))
        .expect("classic")
        .observe(1.0);
    NATIVE.observe(0.25);
    NATIVE.observe(0.5);
    assert_eq!(NATIVE.get_count(), 2);
    NATIVE_FAMILY.labels(["/"]).observe(0.25);
    NATIVE_FAMILY.labels(["/x"]).observe(0.25);
    assert_eq!(NATIVE_FAMILY.labels(["/"]).get_count(), 1);
    once("ref_native_seconds", "native histogram");
    once("ref_native_family_seconds", "native histogram");

    // `inc` and `dec` of a `mostrecent` gauge: refused, logged once, the
    // value kept; `try_inc_by` returns the refusal; `set` works.
    RECENT.set(5.0);
    RECENT.inc();
    RECENT.dec();
    RECENT.inc_by(2.0);
    RECENT.dec_by(2.0);
    drop(RECENT.track_inprogress());
    refused(RECENT.try_inc_by(1.0), "ref_recent");
    assert_eq!(RECENT.get(), 5.0);
    once("ref_recent", "mostrecent");
    let child = LIVE_RECENT.labels(["x"]);
    child.set(1.0);
    child.inc();
    assert!(child.try_inc_by(1.0).is_err());
    assert_eq!(child.get(), 1.0);
    let g = Gauge::with_opts(
        Opts::new("ref_runtime_recent", "R.").multiprocess_mode(GaugeMode::MostRecent),
    )
    .expect("valid");
    g.set(2.0);
    g.inc();
    refused(g.try_inc_by(1.0), "ref_runtime_recent");
    assert_eq!(g.get(), 2.0);
    // Other modes increment.
    QUEUE.try_inc_by(1.0).expect("an `all` gauge increments");
    assert_eq!(QUEUE.get(), 4.0);

    // A gauge mode on another metric type is refused by its constructor.
    let c = Counter::with_opts(Opts::new("ref_c_total", "C.").multiprocess_mode(GaugeMode::Max));
    assert!(matches!(c, Err(MetricError::Multiprocess { .. })), "{c:?}");

    // What was refused is not in the files; what was recorded is.
    let families = collect(dir.path());
    for absent in [
        "ref_build_info",
        "ref_state",
        "ref_native_seconds_count",
        "ref_native_family_seconds_count",
    ] {
        assert!(
            families
                .iter()
                .all(|f| f.samples().iter().all(|s| s.name != absent)),
            "{absent} in the files"
        );
    }
    assert_eq!(value(&families, "ref_exemplary_total", &[]), Some(4.0));
    assert_eq!(value(&families, "ref_recent", &[]), Some(5.0));
    assert_eq!(
        value(
            &families,
            "ref_pages",
            &[("page", "/"), ("pid", &std::process::id().to_string())]
        ),
        Some(1.0)
    );
    assert!(!db_files(dir.path()).is_empty());
    let _: Arc<Logged> = logged;
}
