//! `quantiles = [...]`, `max_age` and `age_buckets` on declared
//! summaries: a static keeps the objectives it was declared with (by
//! increasing quantile), a family gives each child its own window, the
//! window is the declared one, the edge values the run-time constructor
//! accepts are accepted, `#[timed]` records into a declared summary with
//! quantiles, and a summary without quantiles is unchanged. The run-time
//! family constructor gives the same exposition as the declaration.

#![deny(warnings)]

use std::time::Duration;

use promscribe::{
    default_registry, encode_text, summary, timed, DeclaredSummary, Family, Opts, Point, Summary,
    SummaryQuantiles,
};

summary!(
    DECL_Q,
    "decl_q_seconds",
    "A summary with quantiles",
    quantiles = [(0.9, 0.01), (0.5, 0.05), (0.99, 0.001)]
);

summary!(
    DECL_Q_FAMILY,
    "decl_q_family_seconds",
    "A family of summaries with quantiles",
    labels = ["path"],
    quantiles = [(0.5, 0.05), (0.9, 0.01)],
    max_age = "10m",
    age_buckets = 5,
    max_series = 10
);

summary!(
    DECL_Q_SHORT,
    "decl_q_short_seconds",
    "A window of 40 ms in one bucket",
    quantiles = [(0.5, 0.05)],
    max_age = "40ms",
    age_buckets = 1
);

summary!(
    DECL_Q_EDGES,
    "decl_q_edges_seconds",
    "The edges the run-time constructor accepts",
    quantiles = [(0, 0.5), (1, 1e-9), (0.5, 0.999)],
    max_age = "1ms",
    age_buckets = 60
);

summary!(DECL_PLAIN, "decl_q_plain_seconds", "No quantiles");

summary!(
    DECL_PLAIN_FAMILY,
    "decl_q_plain_family_seconds",
    "No quantiles, labels",
    labels = ["path"]
);

summary!(
    DECL_Q_TIMED,
    "decl_q_timed_seconds",
    "Timed into",
    quantiles = [(0.5, 0.05)]
);

#[timed(DECL_Q_TIMED)]
fn timed_work() {}

#[test]
fn a_static_keeps_its_objectives_by_increasing_quantile() {
    let _: &DeclaredSummary = &DECL_Q;
    let empty = DECL_Q.get_quantiles();
    assert_eq!(
        empty.iter().map(|&(q, _)| q).collect::<Vec<_>>(),
        [0.5, 0.9, 0.99]
    );
    assert!(empty.iter().all(|&(_, v)| v.is_nan()), "{empty:?}");
    for i in 1..=1000 {
        DECL_Q.observe(f64::from(i));
    }
    let s: &Summary = &DECL_Q;
    assert_eq!(s.get_count(), 1000);
    assert_eq!(s.get_sum(), 500_500.0);
    let q = DECL_Q.get_quantiles();
    // Within the rank errors: 50 ranks at the median, 10 at 0.9, 1 at 0.99.
    assert!((450.0..=550.0).contains(&q[0].1), "{q:?}");
    assert!((890.0..=910.0).contains(&q[1].1), "{q:?}");
    assert!((989.0..=991.0).contains(&q[2].1), "{q:?}");
}

#[test]
fn each_child_of_a_family_has_its_own_window() {
    DECL_Q_FAMILY.labels(["/a"]).observe(1.0);
    DECL_Q_FAMILY.labels(["/b"]).observe(2.0);
    DECL_Q_FAMILY.labels(["/b"]).observe(2.0);
    assert_eq!(
        DECL_Q_FAMILY.labels(["/a"]).get_quantiles(),
        vec![(0.5, 1.0), (0.9, 1.0)]
    );
    assert_eq!(
        DECL_Q_FAMILY.labels(["/b"]).get_quantiles(),
        vec![(0.5, 2.0), (0.9, 2.0)]
    );
    assert_eq!(DECL_Q_FAMILY.labels(["/b"]).get_count(), 2);
}

#[test]
fn the_declared_window_is_kept() {
    let start = std::time::Instant::now();
    DECL_Q_SHORT.observe(3.0);
    let first = DECL_Q_SHORT.get_quantiles()[0].1;
    // One bucket of 40 ms: the observation is gone once it has rotated
    // (the count and sum are of every observation, as Go's).
    if start.elapsed() < Duration::from_millis(30) {
        assert_eq!(first, 3.0);
    }
    while !DECL_Q_SHORT.get_quantiles()[0].1.is_nan() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the observation never left a 40 ms window"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(DECL_Q_SHORT.get_count(), 1);
}

#[test]
fn the_edges_of_the_rules_are_accepted() {
    DECL_Q_EDGES.observe(7.0);
    let q = DECL_Q_EDGES.get_quantiles();
    assert_eq!(
        q.iter().map(|&(q, _)| q).collect::<Vec<_>>(),
        [0.0, 0.5, 1.0]
    );
    // The same objectives through the run-time constructors.
    let rt = SummaryQuantiles::new(&[(0.0, 0.5), (1.0, 1e-9), (0.5, 0.999)])
        .and_then(|q| q.max_age(Duration::from_millis(1)))
        .and_then(|q| q.age_buckets(60));
    assert!(rt.is_ok(), "{rt:?}");
}

#[test]
fn timed_records_into_a_declared_summary_with_quantiles() {
    timed_work();
    assert_eq!(DECL_Q_TIMED.get_count(), 1);
    assert_eq!(DECL_Q_TIMED.get_quantiles().len(), 1);
}

#[test]
fn summaries_without_quantiles_keep_none() {
    DECL_PLAIN.observe(1.0);
    let _: &Summary = &DECL_PLAIN;
    assert!(DECL_PLAIN.get_quantiles().is_empty());
    DECL_PLAIN_FAMILY.labels(["/"]).observe(1.0);
    assert!(DECL_PLAIN_FAMILY.labels(["/"]).get_quantiles().is_empty());
    let text = encode_text(default_registry());
    assert!(text.contains("decl_q_plain_seconds_count 1.0\n"), "{text}");
    assert!(!text.contains("decl_q_plain_seconds{quantile"), "{text}");
    assert!(
        !text.contains("decl_q_plain_family_seconds{path=\"/\",quantile"),
        "{text}"
    );
}

#[test]
fn declared_and_run_time_families_expose_alike() {
    let q = SummaryQuantiles::new(&[(0.5, 0.05), (0.9, 0.01)]).expect("valid");
    let rt = Family::<Summary, 1>::with_quantiles(
        Opts::new(
            "decl_q_family_seconds",
            "A family of summaries with quantiles",
        )
        .labels(["path"]),
        q,
    )
    .expect("a family");
    let registry = promscribe::Registry::new();
    registry.register(rt.clone()).expect("registered");
    rt.labels(["/c"]).observe(4.0);
    let text = encode_text(&registry);
    assert!(
        text.contains("decl_q_family_seconds{path=\"/c\",quantile=\"0.5\"} 4.0\n"),
        "{text}"
    );
    assert!(
        text.contains("decl_q_family_seconds{path=\"/c\",quantile=\"0.9\"} 4.0\n"),
        "{text}"
    );
    DECL_Q_FAMILY.labels(["/c"]).observe(4.0);
    let declared = encode_text(default_registry());
    for line in text.lines().filter(|l| l.contains("path=\"/c\"")) {
        if !line.contains("_created") {
            assert!(declared.contains(line), "{line} missing from {declared}");
        }
    }
}

#[test]
fn a_static_with_quantiles_is_exposed_before_its_first_observation() {
    let families = default_registry().gather();
    let family = families
        .iter()
        .find(|f| f.name == "decl_q_edges_seconds")
        .expect("registered");
    match &family.metrics[0].point {
        Point::Summary(s) => assert_eq!(s.quantiles.len(), 3),
        other => panic!("not a summary: {other:?}"),
    }
}
