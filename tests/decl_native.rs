//! `native = ...` on declared histograms: statics and families observe
//! into native buckets (schema 3 by default: 1.0 in bucket 0, 2.0 in
//! bucket 8), declarations with `buckets` keep their classic buckets
//! beside them, options asking for no native buckets leave a classic
//! histogram, and `#[timed]` records into a declared native histogram.

#![deny(warnings)]

use promscribe::{
    default_registry, histogram, timed, HistogramPoint, Metric, MetricFamily, NativeOpts, Point,
};

histogram!(
    NATIVE_ONLY,
    "decl_native_only_seconds",
    "A native-only histogram",
    native = promscribe::NativeOpts::new().max_buckets(160)
);

const OPTS: NativeOpts = NativeOpts::new().bucket_factor(1.1).max_buckets(100);

histogram!(
    NATIVE_BOTH,
    "decl_native_both_seconds",
    "Classic and native buckets",
    buckets = [1.0, 5.0],
    native = OPTS
);

histogram!(
    NATIVE_FAMILY,
    "decl_native_family_seconds",
    "A native-only family",
    labels = ["path"],
    native = NativeOpts::new()
);

histogram!(
    NATIVE_FAMILY_BOTH,
    "decl_native_family_both_seconds",
    "A family with both kinds of buckets",
    labels = ["path"],
    buckets = [1.5],
    native = NativeOpts::new().bucket_factor(1.2),
    max_series = 10
);

histogram!(
    NATIVE_OFF,
    "decl_native_off_seconds",
    "A factor of 1: classic, default buckets",
    native = NativeOpts::new().bucket_factor(1.0)
);

histogram!(
    NATIVE_OFF_FAMILY,
    "decl_native_off_family_seconds",
    "A factor of 1: classic family, its buckets",
    labels = ["path"],
    buckets = [2.5],
    native = NativeOpts::new().bucket_factor(0.5)
);

histogram!(
    NATIVE_TIMED,
    "decl_native_timed_seconds",
    "Timed into native buckets",
    native = NativeOpts::new()
);

/// A wrapper that forwards the option as an expression fragment.
macro_rules! native_histogram {
    ($name:ident, $metric:literal, $native:expr) => {
        histogram!($name, $metric, "A forwarded declaration", native = $native);
    };
}
native_histogram!(
    NATIVE_FORWARDED,
    "decl_native_forwarded_seconds",
    NativeOpts::new().bucket_factor(4.0)
);

fn family(name: &str) -> MetricFamily {
    default_registry()
        .gather()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("`{name}` is registered"))
}

fn point(m: &Metric) -> &HistogramPoint {
    match &m.point {
        Point::Histogram(p) => p,
        other => panic!("not a histogram point: {other:?}"),
    }
}

fn only_point(name: &str) -> HistogramPoint {
    let f = family(name);
    assert_eq!(f.metrics.len(), 1, "{name}");
    point(&f.metrics[0]).clone()
}

#[test]
fn a_native_only_static_observes_into_native_buckets() {
    NATIVE_ONLY.observe(1.0);
    NATIVE_ONLY.observe(2.0);
    NATIVE_ONLY.observe(2.0);
    let p = only_point("decl_native_only_seconds");
    let native = p.native.as_ref().expect("native buckets");
    assert_eq!(native.schema, 3);
    assert_eq!(native.positive, vec![(0, 1), (8, 2)]);
    assert!(native.negative.is_empty());
    assert_eq!(native.zero_count, 0);
    assert_eq!(p.count, Some(3.0));
    assert_eq!(p.sum, Some(5.0));
    // No classic buckets.
    assert!(p.bounds.as_slice().is_empty(), "{:?}", p.bounds);
    assert_eq!(NATIVE_ONLY.get_count(), 3);
    assert_eq!(NATIVE_ONLY.get_sum(), 5.0);
}

#[test]
fn a_static_with_both_kinds_keeps_its_classic_buckets() {
    NATIVE_BOTH.observe(1.0);
    NATIVE_BOTH.observe(2.0);
    NATIVE_BOTH.observe(9.0);
    let p = only_point("decl_native_both_seconds");
    let native = p.native.as_ref().expect("native buckets");
    assert_eq!(native.schema, 3);
    // 9.0 = 2^3.17: bucket 26 (2^(25/8) = 8.72 < 9 <= 2^(26/8) = 9.51).
    assert_eq!(native.positive, vec![(0, 1), (8, 1), (26, 1)]);
    assert_eq!(p.bounds.as_slice(), &[1.0, 5.0, f64::INFINITY]);
    assert_eq!(p.counts, vec![1.0, 2.0, 3.0]);
    assert_eq!(p.count, Some(3.0));
    assert_eq!(p.sum, Some(12.0));
}

#[test]
fn a_native_family_observes_into_native_buckets_per_child() {
    NATIVE_FAMILY.labels(["/a"]).observe(1.0);
    NATIVE_FAMILY.labels(["/b"]).observe(2.0);
    NATIVE_FAMILY.labels(["/b"]).observe(2.0);
    let f = family("decl_native_family_seconds");
    assert_eq!(f.metrics.len(), 2);
    for m in &f.metrics {
        let p = point(m);
        let native = p.native.as_ref().expect("native buckets");
        assert_eq!(native.schema, 3);
        assert!(p.bounds.as_slice().is_empty(), "{:?}", p.bounds);
        match m.labels.get("path") {
            Some("/a") => {
                assert_eq!(native.positive, vec![(0, 1)]);
                assert_eq!((p.count, p.sum), (Some(1.0), Some(1.0)));
            }
            Some("/b") => {
                assert_eq!(native.positive, vec![(8, 2)]);
                assert_eq!((p.count, p.sum), (Some(2.0), Some(4.0)));
            }
            other => panic!("unexpected child {other:?}"),
        }
    }
}

#[test]
fn a_family_with_both_kinds_keeps_its_classic_buckets() {
    NATIVE_FAMILY_BOTH.labels(["/"]).observe(1.0);
    NATIVE_FAMILY_BOTH.labels(["/"]).observe(2.0);
    let p = only_point("decl_native_family_both_seconds");
    let native = p.native.as_ref().expect("native buckets");
    // Bucket factor 1.2: schema 2, 2.0 in bucket 4.
    assert_eq!(native.schema, 2);
    assert_eq!(native.positive, vec![(0, 1), (4, 1)]);
    assert_eq!(p.bounds.as_slice(), &[1.5, f64::INFINITY]);
    assert_eq!(p.counts, vec![1.0, 2.0]);
    assert_eq!((p.count, p.sum), (Some(2.0), Some(3.0)));
}

#[test]
fn options_asking_for_no_native_buckets_leave_a_classic_histogram() {
    NATIVE_OFF.observe(0.3);
    let p = only_point("decl_native_off_seconds");
    assert!(p.native.is_none());
    assert_eq!(p.bounds.as_slice(), NATIVE_OFF.buckets().bounds());
    assert_eq!(
        NATIVE_OFF.buckets().bounds(),
        promscribe::Buckets::DEFAULT.bounds()
    );
    assert_eq!((p.count, p.sum), (Some(1.0), Some(0.3)));

    NATIVE_OFF_FAMILY.labels(["/"]).observe(1.0);
    let p = only_point("decl_native_off_family_seconds");
    assert!(p.native.is_none());
    assert_eq!(p.bounds.as_slice(), &[2.5, f64::INFINITY]);
    assert_eq!(p.counts, vec![1.0, 1.0]);
}

#[test]
fn a_forwarded_option_is_read() {
    NATIVE_FORWARDED.observe(2.0);
    let p = only_point("decl_native_forwarded_seconds");
    let native = p.native.as_ref().expect("native buckets");
    // Bucket factor 4: schema -1, 2.0 in bucket 1 (bounds 1, 4, 16...).
    assert_eq!(native.schema, -1);
    assert_eq!(native.positive, vec![(1, 1)]);
}

#[timed(NATIVE_TIMED)]
fn work() -> u32 {
    std::thread::sleep(std::time::Duration::from_millis(2));
    7
}

#[test]
fn timed_records_into_a_declared_native_histogram() {
    assert_eq!(work(), 7);
    assert_eq!(work(), 7);
    let p = only_point("decl_native_timed_seconds");
    let native = p.native.as_ref().expect("native buckets");
    assert_eq!(native.schema, 3);
    assert_eq!(p.count, Some(2.0));
    assert_eq!(native.count(), 2);
    let sum = p.sum.expect("a sum");
    assert!((0.004..10.0).contains(&sum), "{sum}");
    // Each call took at least 2 ms: a bucket at or above 2^-9 (key -72).
    assert!(native.positive.iter().all(|(k, _)| *k >= -72), "{native:?}");
}

histogram!(
    NATIVE_RACE,
    "decl_native_race_seconds",
    "First used by several threads at once",
    buckets = [1.0],
    native = NativeOpts::new()
);

#[test]
fn threads_racing_to_build_the_native_state_lose_no_observation() {
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                for _ in 0..1000 {
                    NATIVE_RACE.observe(2.0);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("an observing thread");
    }
    let p = only_point("decl_native_race_seconds");
    let native = p.native.as_ref().expect("native buckets");
    assert_eq!(native.positive, vec![(8, 4000)]);
    assert_eq!(p.counts, vec![0.0, 4000.0]);
    assert_eq!((p.count, p.sum), (Some(4000.0), Some(8000.0)));
}
