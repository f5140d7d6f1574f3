//! Declarations forwarded by `macro_rules!` (fragments arrive wrapped in
//! invisible groups), bucket bounds written as `f64::INFINITY` by any
//! path, and families with more label names than the old tuple limit.

use promscribe::default_registry;

macro_rules! labelled_counter {
    ($name:ident, $metric:literal, [$($l:literal),*]) => {
        promscribe::counter!($name, $metric, "forwarded", labels = [$($l),*]);
    };
}

macro_rules! bucketed {
    ($name:ident, $metric:literal, [$($b:expr),*]) => {
        promscribe::histogram!($name, $metric, "forwarded", buckets = [$($b),*]);
    };
}

macro_rules! labels_as_one_expr {
    ($name:ident, $metric:expr, $help:expr, $labels:expr) => {
        promscribe::gauge!($name, $metric, $help, labels = $labels);
    };
}

macro_rules! everything_as_tt {
    ($($t:tt)*) => {
        promscribe::summary!($($t)*);
    };
}

labelled_counter!(FWD_COUNTER, "decl_fwd_total", ["method", "code"]);
bucketed!(
    FWD_HIST,
    "decl_fwd_seconds",
    [0.5, 1.0, ::core::f64::INFINITY]
);
labels_as_one_expr!(FWD_GAUGE, "decl_fwd_gauge", "forwarded", ["room"]);
everything_as_tt!(
    FWD_SUMMARY,
    "decl_fwd_summary_seconds",
    "forwarded",
    labels = ["x"]
);

promscribe::histogram!(
    INF_PATHS,
    "decl_inf_paths_seconds",
    "help",
    buckets = [1.0, ::core::f64::INFINITY]
);
promscribe::histogram!(
    INF_STD,
    "decl_inf_std_seconds",
    "help",
    buckets = [1.0, std::f64::INFINITY]
);

promscribe::counter!(
    SEVEN,
    "decl_seven_labels_total",
    "help",
    labels = ["a", "b", "c", "d", "e", "f", "g"]
);
promscribe::gauge!(
    TWELVE,
    "decl_twelve_labels",
    "help",
    labels = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]
);

#[test]
fn forwarded_fragments_declare_the_metrics_they_say() {
    FWD_COUNTER.labels(["get", "200"]).inc();
    FWD_GAUGE.labels(["kitchen"]).set(21.0);
    FWD_SUMMARY.labels(["y"]).observe(2.0);
    let r = default_registry();
    assert_eq!(
        r.get_sample_value("decl_fwd_total", &[("method", "get"), ("code", "200")]),
        Some(1.0)
    );
    assert_eq!(
        r.get_sample_value("decl_fwd_gauge", &[("room", "kitchen")]),
        Some(21.0)
    );
    assert_eq!(
        r.get_sample_value("decl_fwd_summary_seconds_sum", &[("x", "y")]),
        Some(2.0)
    );
}

#[test]
fn forwarded_and_infinite_bounds() {
    FWD_HIST.observe(0.7);
    INF_PATHS.observe(5.0);
    INF_STD.observe(0.5);
    let r = default_registry();
    let bucket = |name: &str, le: &str| r.get_sample_value(name, &[("le", le)]);
    assert_eq!(bucket("decl_fwd_seconds_bucket", "0.5"), Some(0.0));
    assert_eq!(bucket("decl_fwd_seconds_bucket", "1.0"), Some(1.0));
    assert_eq!(bucket("decl_fwd_seconds_bucket", "+Inf"), Some(1.0));
    assert_eq!(bucket("decl_inf_paths_seconds_bucket", "1.0"), Some(0.0));
    assert_eq!(bucket("decl_inf_paths_seconds_bucket", "+Inf"), Some(1.0));
    assert_eq!(bucket("decl_inf_std_seconds_bucket", "1.0"), Some(1.0));
}

#[test]
fn more_than_six_labels_as_a_tuple_or_an_array() {
    SEVEN
        .labels(("x", 1u8, 'c', true, String::from("e"), -6i64, 7usize))
        .inc();
    SEVEN.labels(["x", "1", "c", "true", "e", "-6", "7"]).inc();
    TWELVE
        .labels((1u8, 2u8, 3u8, 4u8, 5u8, 6u8, 7u8, 8u8, 9u8, 10u8, 11u8, "z"))
        .set(3.0);
    let r = default_registry();
    let seven = [
        ("a", "x"),
        ("b", "1"),
        ("c", "c"),
        ("d", "true"),
        ("e", "e"),
        ("f", "-6"),
        ("g", "7"),
    ];
    assert_eq!(
        r.get_sample_value("decl_seven_labels_total", &seven),
        Some(2.0)
    );
    let twelve = [
        ("a", "1"),
        ("b", "2"),
        ("c", "3"),
        ("d", "4"),
        ("e", "5"),
        ("f", "6"),
        ("g", "7"),
        ("h", "8"),
        ("i", "9"),
        ("j", "10"),
        ("k", "11"),
        ("l", "z"),
    ];
    assert_eq!(r.get_sample_value("decl_twelve_labels", &twelve), Some(3.0));
}
