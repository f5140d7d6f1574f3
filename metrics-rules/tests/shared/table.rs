// The shared table of names: one row per declaration and what both sides
// must make of it. `include!`d by the agreement tests of the macros
// (`metrics-macros/src/decl.rs`, the expansion itself) and of the runtime
// (`tests/rules_agree.rs`, `Opts` and the constructors, and a trybuild
// program declaring every accepted row), so both are held to one
// expectation. Many rows port Python's `tests/test_core.py`.

/// One declaration.
#[derive(Debug, Clone, Copy)]
struct Case {
    /// `counter`, `gauge`, `histogram`, `summary`, `info` or `enum`.
    kind: &'static str,
    namespace: &'static str,
    subsystem: &'static str,
    name: &'static str,
    unit: &'static str,
    labels: &'static [&'static str],
    /// `None`: the default buckets.
    buckets: Option<&'static [f64]>,
    /// The family name, or a part of the message both sides must give.
    expect: Result<&'static str, &'static str>,
}

const ROW: Case = Case {
    kind: "gauge",
    namespace: "",
    subsystem: "",
    name: "",
    unit: "",
    labels: &[],
    buckets: None,
    expect: Ok(""),
};

const INF: f64 = f64::INFINITY;

const CASES: &[Case] = &[
    // test_namespace_subsystem_concatenated
    Case { kind: "counter", namespace: "a", subsystem: "b", name: "c_total", expect: Ok("a_b_c"), ..ROW },
    // test_invalid_names_raise (UTF-8 names are valid, as in Python and Go by default)
    Case { kind: "counter", name: "", expect: Err("the metric name is empty"), ..ROW },
    Case { kind: "counter", namespace: "&", name: "", expect: Err("the metric name is empty"), ..ROW },
    Case { kind: "counter", subsystem: "(", name: "", expect: Err("the metric name is empty"), ..ROW },
    Case { kind: "counter", name: "^", expect: Ok("^"), ..ROW },
    Case { kind: "counter", name: "c_total", labels: &["^"], expect: Ok("c"), ..ROW },
    Case { kind: "counter", name: "c_total", labels: &["a:b"], expect: Ok("c"), ..ROW },
    Case { kind: "counter", name: "c_total", labels: &["__reserved"], expect: Err("invalid label name `__reserved` on metric `c`"), ..ROW },
    Case { kind: "summary", name: "c_total", labels: &["quantile"], expect: Err("label name `quantile` is reserved on summary metric `c_total`"), ..ROW },
    // TestHistogram.test_labels
    Case { kind: "histogram", name: "h", labels: &["le"], expect: Err("label name `le` is reserved on histogram metric `h`"), ..ROW },
    // test_unit_appended / test_unit_notappended / test_name_cleanup_before_unit_append
    Case { kind: "histogram", name: "h", unit: "seconds", expect: Ok("h_seconds"), ..ROW },
    Case { kind: "histogram", name: "h_seconds", unit: "seconds", expect: Ok("h_seconds"), ..ROW },
    Case { kind: "counter", name: "b_total", unit: "total", labels: &["l"], expect: Ok("b_total"), ..ROW },
    // test_no_units_for_info_enum
    Case { kind: "info", name: "foo", unit: "x", expect: Err("cannot have a unit"), ..ROW },
    Case { kind: "enum", name: "foo", unit: "x", expect: Err("cannot have a unit"), ..ROW },
    // TestEnum.test_overlapping_labels
    Case { kind: "enum", name: "e", labels: &["e"], expect: Err("label name `e` is reserved on stateset metric `e`"), ..ROW },
    Case { kind: "enum", name: "el", labels: &["l"], expect: Ok("el"), ..ROW },
    Case { kind: "enum", namespace: "app", name: "task_state", expect: Ok("app_task_state"), ..ROW },
    Case { kind: "enum", namespace: "app", name: "state", labels: &["state"], expect: Ok("app_state"), ..ROW },
    Case { kind: "enum", namespace: "app", name: "state", labels: &["app_state"], expect: Err("label name `app_state` is reserved on stateset metric `app_state`"), ..ROW },
    // An enum's name is also a label name (a UTF-8 one, not starting with `__`).
    Case { kind: "enum", name: "ns:task_state", expect: Ok("ns:task_state"), ..ROW },
    Case { kind: "enum", namespace: "ns:", name: "task_state", expect: Ok("ns:_task_state"), ..ROW },
    Case { kind: "enum", name: "__state", expect: Err("invalid name `__state` for a stateset"), ..ROW },
    // Any non-empty name is valid (Prometheus 3): no component is refused for
    // its characters; Python's full-name rule.
    Case { kind: "gauge", name: "x", unit: "a:b", expect: Ok("x_a:b"), ..ROW },
    Case { kind: "counter", namespace: "ns", name: "9x_total", expect: Ok("ns_9x"), ..ROW },
    Case { kind: "counter", name: "9x_total", expect: Ok("9x"), ..ROW },
    Case { kind: "gauge", namespace: "9ns", name: "x", expect: Ok("9ns_x"), ..ROW },
    Case { kind: "gauge", subsystem: "9ss", name: "x", expect: Ok("9ss_x"), ..ROW },
    Case { kind: "gauge", namespace: "app", subsystem: "9ss", name: "x", expect: Ok("app_9ss_x"), ..ROW },
    Case { kind: "gauge", namespace: "a-b", name: "x", expect: Ok("a-b_x"), ..ROW },
    Case { kind: "gauge", namespace: "ok", subsystem: "a b", name: "x", expect: Ok("ok_a b_x"), ..ROW },
    Case { kind: "gauge", namespace: "a-b", name: "x-y", expect: Ok("a-b_x-y"), ..ROW },
    Case { kind: "gauge", name: "x", unit: "deg-c", expect: Ok("x_deg-c"), ..ROW },
    Case { kind: "gauge", name: "é", expect: Ok("é"), ..ROW },
    Case { kind: "gauge", name: ":colon", expect: Ok(":colon"), ..ROW },
    Case { kind: "gauge", namespace: "app:", name: "x", expect: Ok("app:_x"), ..ROW },
    // Suffixes removed by the type.
    Case { kind: "counter", name: "_total", expect: Err("invalid metric name `_total`: the name is empty after removing the `_total` suffix"), ..ROW },
    Case { kind: "counter", namespace: "ns", name: "_total", expect: Ok("ns_"), ..ROW },
    Case { kind: "gauge", name: "_total", expect: Ok("_total"), ..ROW },
    Case { kind: "info", name: "build_info", expect: Ok("build"), ..ROW },
    Case { kind: "info", name: "build_info", labels: &["host"], expect: Ok("build"), ..ROW },
    Case { kind: "info", name: "_info", expect: Err("invalid metric name `_info`: the name is empty after removing the `_info` suffix"), ..ROW },
    // Labels.
    Case { kind: "gauge", name: "g", labels: &["a", "a"], expect: Err("label name `a` appears twice on metric `g`"), ..ROW },
    Case { kind: "gauge", name: "g", labels: &["9a"], expect: Ok("g"), ..ROW },
    Case { kind: "gauge", name: "g", labels: &["le", "quantile"], expect: Ok("g"), ..ROW },
    // TestHistogram.test_setting_buckets
    Case { kind: "histogram", name: "h", buckets: Some(&[0.0, 1.0, 2.0]), expect: Ok("h"), ..ROW },
    Case { kind: "histogram", name: "h", buckets: Some(&[0.0, 1.0, 2.0, INF]), expect: Ok("h"), ..ROW },
    Case { kind: "histogram", name: "h", buckets: Some(&[]), expect: Err("no bucket bound given: a histogram needs at least two buckets counting +Inf"), ..ROW },
    Case { kind: "histogram", name: "h", buckets: Some(&[INF]), expect: Err("only +Inf given: a histogram needs at least two buckets counting +Inf"), ..ROW },
    Case { kind: "histogram", name: "h", buckets: Some(&[3.0, 1.0]), expect: Err("buckets must be in strictly increasing order, but 3.0 is followed by 1.0"), ..ROW },
    Case { kind: "histogram", name: "h", buckets: Some(&[1.0, 1.0]), expect: Err("but 1.0 is followed by 1.0"), ..ROW },
    Case { kind: "histogram", name: "h", labels: &["l"], buckets: Some(&[-1.0, 0.5]), expect: Ok("h"), ..ROW },
    // Prometheus 3 UTF-8 names: accepted by both sides, quoted or escaped by
    // the exposition (test_valid_utf8_metric_names / test_valid_utf8_label_names).
    Case { kind: "counter", name: "my.metric_total", expect: Ok("my.metric"), ..ROW },
    Case { kind: "histogram", name: "http.server.duration", unit: "seconds", labels: &["http.method"], expect: Ok("http.server.duration_seconds"), ..ROW },
    Case { kind: "gauge", namespace: "app.io", name: "temperature", unit: "°C", labels: &["room ✓"], expect: Ok("app.io_temperature_°C"), ..ROW },
    Case { kind: "summary", name: "rpc.latency", labels: &["service.name", "quantile.x"], expect: Ok("rpc.latency"), ..ROW },
    Case { kind: "info", name: "build.version_info", labels: &["git.sha"], expect: Ok("build.version"), ..ROW },
    Case { kind: "enum", name: "task.state", labels: &["worker.id"], expect: Ok("task.state"), ..ROW },
    Case { kind: "gauge", name: "g", labels: &[""], expect: Err("invalid label name `` on metric `g`"), ..ROW },
    Case { kind: "gauge", name: "g", labels: &["__my.label"], expect: Err("invalid label name `__my.label` on metric `g`"), ..ROW },
    Case { kind: "gauge", name: "g", labels: &["my.label", "my.label"], expect: Err("label name `my.label` appears twice on metric `g`"), ..ROW },
    Case { kind: "histogram", name: "h.x", labels: &["le"], expect: Err("label name `le` is reserved on histogram metric `h.x`"), ..ROW },
    Case { kind: "enum", name: "task.state", labels: &["task.state"], expect: Err("label name `task.state` is reserved on stateset metric `task.state`"), ..ROW },
    Case { kind: "counter", name: "my.metric_total", unit: "x", expect: Ok("my.metric_x"), ..ROW },
];
