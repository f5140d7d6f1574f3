//! Exact text exposition for each metric type, with labels and hostile
//! label values. `_created` series are switched off here (they carry the
//! wall clock); `tests/created.rs` checks them.

use promscribe::{counter, gauge, histogram, summary};

counter!(
    EXPO_REQUESTS,
    "expo_requests_total",
    "Requests.\nSecond \\ line",
    labels = ["method", "path"]
);
counter!(EXPO_PLAIN, "expo_plain", "Plain counter");
gauge!(
    EXPO_TEMP,
    "expo_temperature",
    "Temperature \"inside\"",
    labels = ["room"]
);
histogram!(
    EXPO_LATENCY,
    "expo_latency_seconds",
    "Latency",
    buckets = [0.1, 1, 2.5]
);
histogram!(
    EXPO_SIZES,
    "expo_sizes",
    "Sizes",
    labels = ["kind"],
    buckets = [-1.0, 10.0]
);
summary!(EXPO_SIZE, "expo_size_bytes", "Size", labels = ["kind"]);
gauge!(
    EXPO_SPECIAL,
    "expo_special",
    "Special values",
    labels = ["v"]
);

// Metrics of the promtool test, outside the `expo_` prefix.
counter!(
    PT_REQUESTS,
    "pt_requests_total",
    "Requests",
    labels = ["method", "path"]
);
histogram!(PT_LATENCY, "pt_latency_seconds", "Latency");

fn expo_text() -> String {
    promscribe_test_support::exposition_of(|name| name.starts_with("expo_"))
}

#[test]
fn every_type_with_hostile_labels() {
    EXPO_REQUESTS.labels(["a\\b", "\"quoted\"\nnewline"]).inc();
    EXPO_REQUESTS
        .labels(["get", "/"])
        .inc_by(2.5)
        .expect("positive");
    EXPO_PLAIN.inc_by_u64(7);
    EXPO_TEMP.labels(["Zürich ☃"]).set(-3.25);
    for v in [0.25, 0.5, 4.0] {
        EXPO_LATENCY.observe(v);
    }
    EXPO_SIZES.labels(["neg"]).observe(-5.0);
    EXPO_SIZE.labels(["small"]).observe(512.0);
    EXPO_SIZE.labels(["small"]).observe(1024.0);
    EXPO_SPECIAL.labels(["inf"]).set(f64::INFINITY);
    EXPO_SPECIAL.labels(["-inf"]).set(f64::NEG_INFINITY);
    EXPO_SPECIAL.labels(["nan"]).set(f64::NAN);
    EXPO_SPECIAL.labels(["big"]).set(1.5e12);
    EXPO_SPECIAL.labels(["tiny"]).set(2e-7);

    let want = r#"# HELP expo_latency_seconds Latency
# TYPE expo_latency_seconds histogram
expo_latency_seconds_bucket{le="0.1"} 0.0
expo_latency_seconds_bucket{le="1.0"} 2.0
expo_latency_seconds_bucket{le="2.5"} 2.0
expo_latency_seconds_bucket{le="+Inf"} 3.0
expo_latency_seconds_count 3.0
expo_latency_seconds_sum 4.75
# HELP expo_plain_total Plain counter
# TYPE expo_plain_total counter
expo_plain_total 7.0
# HELP expo_requests_total Requests.\nSecond \\ line
# TYPE expo_requests_total counter
expo_requests_total{method="a\\b",path="\"quoted\"\nnewline"} 1.0
expo_requests_total{method="get",path="/"} 2.5
# HELP expo_size_bytes Size
# TYPE expo_size_bytes summary
expo_size_bytes_count{kind="small"} 2.0
expo_size_bytes_sum{kind="small"} 1536.0
# HELP expo_sizes Sizes
# TYPE expo_sizes histogram
expo_sizes_bucket{kind="neg",le="-1.0"} 1.0
expo_sizes_bucket{kind="neg",le="10.0"} 1.0
expo_sizes_bucket{kind="neg",le="+Inf"} 1.0
expo_sizes_count{kind="neg"} 1.0
# HELP expo_special Special values
# TYPE expo_special gauge
expo_special{v="inf"} +Inf
expo_special{v="-inf"} -Inf
expo_special{v="nan"} NaN
expo_special{v="big"} 1.5e+12
expo_special{v="tiny"} 2e-07
# HELP expo_temperature Temperature "inside"
# TYPE expo_temperature gauge
expo_temperature{room="Zürich ☃"} -3.25
"#;
    assert_eq!(expo_text(), want);
}

#[test]
fn promtool_accepts_the_exposition() {
    PT_REQUESTS.labels(["x\ny", "\\"]).inc();
    PT_LATENCY.observe(0.3);
    let text = promscribe::encode_text(promscribe::default_registry());
    let (ok, report) = promscribe_test_support::promtool_check(&text);
    assert!(
        ok,
        "promtool rejected the exposition:\n{report}\n---\n{text}"
    );
}
