//! Custom collectors built with the `*MetricFamily` builders (Python's
//! `prometheus_client.core`), exact expositions checked by promtool;
//! registry clash detection (describe and auto-describe), the restricted
//! view and target info.

use std::sync::Arc;

use promscribe::{
    encode_text, encode_text_families, Collector, CounterMetricFamily, Descriptor,
    GaugeHistogramMetricFamily, GaugeMetricFamily, HistogramMetricFamily, InfoMetricFamily,
    MetricError, MetricFamily, MetricType, Origin, Registry, StateSetMetricFamily,
    SummaryMetricFamily, TargetInfoError, Timestamp, UnknownMetricFamily,
};
use promscribe_test_support::promtool_check;

/// Python's `CustomCollector` from the docs.
struct CustomCollector;

impl Collector for CustomCollector {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        out.push(
            GaugeMetricFamily::with_value("my_gauge", "Help text", 7.0)
                .expect("valid test input")
                .into(),
        );
        let mut c = CounterMetricFamily::new("my_counter_total", "Help text", &["foo"])
            .expect("valid test input");
        c.add_metric(&["bar"], 1.7).expect("valid test input");
        c.add_metric(&["baz"], 3.8).expect("valid test input");
        out.push(c.into());
    }
}

/// A collector yielding fixed families (built once, cloned per scrape).
struct Fixed(Vec<MetricFamily>);

impl Collector for Fixed {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        out.extend(self.0.iter().cloned());
    }
}

fn fixed(families: Vec<MetricFamily>) -> Arc<dyn Collector> {
    Arc::new(Fixed(families))
}

/// Registers `collector` in a new registry; asserts the exact text and
/// that promtool accepts it.
fn assert_exposition(collector: Arc<dyn Collector>, want: &str) {
    let r = Registry::new();
    r.register(collector).expect("valid test input");
    let text = encode_text(&r);
    assert_eq!(text, want);
    assert_promtool_accepts(&text);
}

/// promtool's lint refuses the names of Python's docs example (`my_gauge`
/// "should not include type 'gauge'"), which says nothing of the format:
/// check the text strictly with those names replaced, and the original
/// tolerating only that lint.
fn assert_promtool_accepts(text: &str) {
    let renamed = text
        .replace("my_gauge", "my_level")
        .replace("my_counter", "my_events");
    let (ok, report) = promtool_check(&renamed);
    assert!(ok, "promtool rejected:\n{report}\n---\n{renamed}");
    let (ok, report) = promtool_check(text);
    let only_name_lint = report
        .lines()
        .filter(|l| !l.trim().is_empty())
        .all(|l| l.contains("metric name should not include type"));
    assert!(
        ok || only_name_lint,
        "promtool rejected:\n{report}\n---\n{text}"
    );
}

#[test]
fn python_custom_collector_exact_exposition() {
    assert_exposition(
        Arc::new(CustomCollector),
        "# HELP my_counter_total Help text\n\
         # TYPE my_counter_total counter\n\
         my_counter_total{foo=\"bar\"} 1.7\n\
         my_counter_total{foo=\"baz\"} 3.8\n\
         # HELP my_gauge Help text\n\
         # TYPE my_gauge gauge\n\
         my_gauge 7.0\n",
    );
}

#[test]
fn summary_family_with_created() {
    let mut s = SummaryMetricFamily::new("rpc_seconds", "RPC latency", &["method"]).unwrap();
    s.add_metric(&["get"], 10.0, 2.5).unwrap();
    s.add_metric_with(&["put"], 1.0, 0.5, Some(1.7e9), None)
        .unwrap();
    assert_exposition(
        fixed(vec![s.into()]),
        "# HELP rpc_seconds RPC latency\n\
         # TYPE rpc_seconds summary\n\
         rpc_seconds_count{method=\"get\"} 10.0\n\
         rpc_seconds_sum{method=\"get\"} 2.5\n\
         rpc_seconds_count{method=\"put\"} 1.0\n\
         rpc_seconds_sum{method=\"put\"} 0.5\n\
         # HELP rpc_seconds_created RPC latency\n\
         # TYPE rpc_seconds_created gauge\n\
         rpc_seconds_created{method=\"put\"} 1.7e+09\n",
    );
}

#[test]
fn histogram_family() {
    let h = HistogramMetricFamily::with_buckets(
        "latency_seconds",
        "Latency",
        &[(0.5, 2.0), (1.0, 3.0), (f64::INFINITY, 4.0)],
        2.75,
    )
    .unwrap();
    assert_exposition(
        fixed(vec![h.into()]),
        "# HELP latency_seconds Latency\n\
         # TYPE latency_seconds histogram\n\
         latency_seconds_bucket{le=\"0.5\"} 2.0\n\
         latency_seconds_bucket{le=\"1.0\"} 3.0\n\
         latency_seconds_bucket{le=\"+Inf\"} 4.0\n\
         latency_seconds_count 4.0\n\
         latency_seconds_sum 2.75\n",
    );
}

#[test]
fn labelled_histogram_with_created_and_timestamp() {
    let mut h = HistogramMetricFamily::new("req_bytes", "Request size", &["path"]).unwrap();
    h.add_metric_with(
        &["/a"],
        &[(1e3, 1.0), (f64::INFINITY, 2.0)],
        Some(1500.0),
        Some(1.5e9),
        Some(Timestamp::from_millis(1_700_000_000_000)),
    )
    .unwrap();
    assert_exposition(
        fixed(vec![h.into()]),
        "# HELP req_bytes Request size\n\
         # TYPE req_bytes histogram\n\
         req_bytes_bucket{path=\"/a\",le=\"1000.0\"} 1.0 1700000000000\n\
         req_bytes_bucket{path=\"/a\",le=\"+Inf\"} 2.0 1700000000000\n\
         req_bytes_count{path=\"/a\"} 2.0 1700000000000\n\
         req_bytes_sum{path=\"/a\"} 1500.0 1700000000000\n\
         # HELP req_bytes_created Request size\n\
         # TYPE req_bytes_created gauge\n\
         req_bytes_created{path=\"/a\"} 1.5e+09 1700000000000\n",
    );
}

#[test]
fn gauge_histogram_family() {
    let mut g = GaugeHistogramMetricFamily::new("queue_age_seconds", "Age", &["queue"]).unwrap();
    g.add_metric(&["mail"], &[(60.0, 3.0), (f64::INFINITY, 5.0)], 420.0)
        .unwrap();
    assert_exposition(
        fixed(vec![g.into()]),
        "# HELP queue_age_seconds Age\n\
         # TYPE queue_age_seconds histogram\n\
         queue_age_seconds_bucket{queue=\"mail\",le=\"60.0\"} 3.0\n\
         queue_age_seconds_bucket{queue=\"mail\",le=\"+Inf\"} 5.0\n\
         # HELP queue_age_seconds_gcount Age\n\
         # TYPE queue_age_seconds_gcount gauge\n\
         queue_age_seconds_gcount{queue=\"mail\"} 5.0\n\
         # HELP queue_age_seconds_gsum Age\n\
         # TYPE queue_age_seconds_gsum gauge\n\
         queue_age_seconds_gsum{queue=\"mail\"} 420.0\n",
    );
}

#[test]
fn info_family() {
    let mut i = InfoMetricFamily::new("build_info", "Build", &["component"]).unwrap();
    i.add_metric(&["db"], &[("version", "1.2"), ("revision", "a\"b")])
        .unwrap();
    assert_exposition(
        fixed(vec![i.into()]),
        "# HELP build_info Build\n\
         # TYPE build_info gauge\n\
         build_info{component=\"db\",version=\"1.2\",revision=\"a\\\"b\"} 1.0\n",
    );
}

#[test]
fn stateset_family() {
    let mut s = StateSetMetricFamily::new("disk", "Disk state", &["device"]).unwrap();
    s.add_metric(&["sda"], &[("ok", true), ("full", false)])
        .unwrap();
    assert_exposition(
        fixed(vec![s.into()]),
        "# HELP disk Disk state\n\
         # TYPE disk gauge\n\
         disk{device=\"sda\",disk=\"full\"} 0.0\n\
         disk{device=\"sda\",disk=\"ok\"} 1.0\n",
    );
}

#[test]
fn unknown_family() {
    let mut u = UnknownMetricFamily::new("legacy_value", "From elsewhere", &["source"]).unwrap();
    u.add_metric(&["x"], 3.0).unwrap();
    u.add_metric(&["y"], f64::NEG_INFINITY).unwrap();
    assert_exposition(
        fixed(vec![u.into()]),
        "# HELP legacy_value From elsewhere\n\
         # TYPE legacy_value untyped\n\
         legacy_value{source=\"x\"} 3.0\n\
         legacy_value{source=\"y\"} -Inf\n",
    );
}

#[test]
fn counter_family_with_created() {
    let mut c = CounterMetricFamily::new("jobs", "Jobs run", &[]).unwrap();
    c.add_metric_with(&[], 3.0, Some(1_600_000_000.5), None)
        .unwrap();
    assert_exposition(
        fixed(vec![c.into()]),
        "# HELP jobs_total Jobs run\n\
         # TYPE jobs_total counter\n\
         jobs_total 3.0\n\
         # HELP jobs_created Jobs run\n\
         # TYPE jobs_created gauge\n\
         jobs_created 1.6000000005e+09\n",
    );
}

#[test]
fn builders_refuse_bad_input() {
    assert!(matches!(
        GaugeMetricFamily::new("", "h", &[]),
        Err(MetricError::InvalidMetricName(_))
    ));
    // A UTF-8 name is valid (Prometheus 3).
    assert!(GaugeMetricFamily::new("my gauge", "h", &[]).is_ok());
    assert!(matches!(
        HistogramMetricFamily::new("h", "h", &["le"]),
        Err(MetricError::ReservedLabelName { .. })
    ));
    assert!(matches!(
        SummaryMetricFamily::new("s", "h", &["quantile"]),
        Err(MetricError::ReservedLabelName { .. })
    ));
    let mut c = CounterMetricFamily::new("c", "h", &["a", "b"]).unwrap();
    assert!(matches!(
        c.add_metric(&["x"], 1.0),
        Err(MetricError::LabelCount {
            expected: 2,
            got: 1,
            ..
        })
    ));
    assert!(matches!(
        c.add_metric(&["x", "y"], -0.5),
        Err(MetricError::NegativeIncrement { .. })
    ));
    let mut h = HistogramMetricFamily::new("h", "h", &[]).unwrap();
    for buckets in [
        &[][..],
        &[(1.0, 1.0)],
        &[(1.0, 2.0), (f64::INFINITY, 1.0)],
        &[(2.0, 1.0), (1.0, 1.0), (f64::INFINITY, 1.0)],
    ] {
        assert!(
            matches!(
                h.add_metric(&[], buckets, 0.0),
                Err(MetricError::InvalidBuckets { .. })
            ),
            "{buckets:?}"
        );
    }
    assert!(MetricFamily::from(h).samples().is_empty());
}

/// A collector that declares its names.
struct Described(&'static str, MetricType);

impl Collector for Described {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let mut f = MetricFamily::new(self.0, "described", self.1);
        let suffix = if self.1 == MetricType::Counter {
            "_total"
        } else {
            ""
        };
        f.push(suffix, vec![], 1.0).expect("fits the family");
        out.push(f);
    }

    fn describe(&self) -> Vec<Descriptor> {
        vec![Descriptor {
            name: self.0.to_owned(),
            kind: self.1,
        }]
    }
}

#[test]
fn describe_based_clash_detection() {
    let r = Registry::new();
    r.register(Arc::new(Described("events", MetricType::Counter)))
        .unwrap();
    // `events_total` is a sample name of the counter.
    let err = r
        .register(Arc::new(Described("events_total", MetricType::Gauge)))
        .unwrap_err();
    assert_eq!(err.clashes.len(), 1);
    assert_eq!(err.clashes[0].name, "events_total");
    assert_eq!(err.clashes[0].first, Origin::Runtime);
    r.register(Arc::new(Described("other", MetricType::Gauge)))
        .unwrap();
    r.check().unwrap();
}

#[test]
fn auto_describe_collects_at_registration() {
    let r = Registry::new();
    r.register(Arc::new(CustomCollector)).unwrap();
    // The same collector again: its families are found by collecting it.
    let err = r.register(Arc::new(CustomCollector)).unwrap_err();
    let names: Vec<&str> = err.clashes.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"my_gauge"), "{names:?}");
    assert!(names.contains(&"my_counter_total"), "{names:?}");
    // A described metric clashing with a derived name of the collected counter.
    let g = promscribe::Gauge::new("my_counter_created", "clash").unwrap();
    let err = r.register(g).unwrap_err();
    assert_eq!(err.clashes[0].name, "my_counter_created");
    // And the other way round: a described metric first.
    let r = Registry::new();
    r.register(promscribe::Gauge::new("my_gauge", "first").unwrap())
        .unwrap();
    assert!(r.register(Arc::new(CustomCollector)).is_err());
}

#[test]
fn without_auto_describe_does_not_check_silent_collectors() {
    let r = Registry::without_auto_describe();
    r.register(Arc::new(CustomCollector)).unwrap();
    r.register(Arc::new(CustomCollector)).unwrap();
    // Exposed once: the first of clashing families wins.
    let text = encode_text(&r);
    assert_eq!(text.matches("# TYPE my_gauge gauge").count(), 1, "{text}");
    // Described collectors are still checked.
    r.register(Arc::new(Described("d", MetricType::Gauge)))
        .unwrap();
    assert!(r
        .register(Arc::new(Described("d", MetricType::Gauge)))
        .is_err());
}

#[test]
fn unregister_frees_the_names() {
    let r = Registry::new();
    let c: Arc<dyn Collector> = Arc::new(CustomCollector);
    r.register(Arc::clone(&c)).unwrap();
    assert!(r.register(Arc::new(CustomCollector)).is_err());
    assert!(r.unregister(&c));
    assert!(!r.unregister(&c));
    assert!(r.gather().is_empty());
    r.register(Arc::new(CustomCollector)).unwrap();
    assert_eq!(r.get_sample_value("my_gauge", &[]), Some(7.0));
}

#[test]
fn restricted_view_keeps_only_the_named_samples() {
    let r = Registry::new();
    r.register(Arc::new(CustomCollector)).unwrap();
    let h = HistogramMetricFamily::with_buckets("h", "H", &[(f64::INFINITY, 2.0)], 1.0).unwrap();
    r.register(fixed(vec![h.into()])).unwrap();
    r.set_target_info([("env", "prod")]).unwrap();

    let only = r.gather_restricted(&["my_counter_total", "h_count", "no_such_metric"]);
    let mut text = String::new();
    encode_text_families(&mut text, &only);
    assert_eq!(
        text,
        "# HELP h H\n\
         # TYPE h histogram\n\
         h_count 2.0\n\
         # HELP my_counter_total Help text\n\
         # TYPE my_counter_total counter\n\
         my_counter_total{foo=\"bar\"} 1.7\n\
         my_counter_total{foo=\"baz\"} 3.8\n"
    );
    // A family name alone is not a sample name.
    assert!(r.gather_restricted(&["my_counter"]).is_empty());
    assert!(r.gather_restricted(&[]).is_empty());
    let t = r.gather_restricted(&["target_info"]);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].name, "target");
}

#[test]
fn target_info_exact_exposition() {
    let r = Registry::new();
    r.register(Arc::new(CustomCollector)).unwrap();
    r.set_target_info([("service", "billing"), ("version", "1.2.3")])
        .unwrap();
    let text = encode_text(&r);
    assert_eq!(
        text,
        "# HELP target_info Target metadata\n\
         # TYPE target_info gauge\n\
         target_info{service=\"billing\",version=\"1.2.3\"} 1.0\n\
         # HELP my_counter_total Help text\n\
         # TYPE my_counter_total counter\n\
         my_counter_total{foo=\"bar\"} 1.7\n\
         my_counter_total{foo=\"baz\"} 3.8\n\
         # HELP my_gauge Help text\n\
         # TYPE my_gauge gauge\n\
         my_gauge 7.0\n"
    );
    assert_promtool_accepts(&text);
    assert_eq!(
        r.get_sample_value(
            "target_info",
            &[("service", "billing"), ("version", "1.2.3")]
        ),
        Some(1.0)
    );
    // Replaced, then cleared (explicitly or with no labels, as in Python).
    r.set_target_info([("service".to_string(), "x".to_string())])
        .unwrap();
    assert_eq!(
        r.target_info(),
        Some(vec![("service".to_string(), "x".to_string())])
    );
    r.clear_target_info();
    assert!(!encode_text(&r).contains("target_info"));
    r.set_target_info([("a", "b")]).unwrap();
    r.set_target_info(Vec::<(String, String)>::new()).unwrap();
    assert_eq!(r.target_info(), None);
}

#[test]
fn target_info_is_validated_and_clash_checked() {
    let r = Registry::new();
    assert!(matches!(
        r.set_target_info([("", "x")]),
        Err(TargetInfoError::Label(MetricError::InvalidLabelName { .. }))
    ));
    assert!(matches!(
        r.set_target_info([("__reserved", "x")]),
        Err(TargetInfoError::Label(_))
    ));
    assert!(matches!(
        r.set_target_info([("a", "x"), ("a", "y")]),
        Err(TargetInfoError::Label(
            MetricError::DuplicateLabelName { .. }
        ))
    ));
    assert_eq!(r.target_info(), None);

    // While set, a metric claiming `target_info` is refused.
    r.set_target_info([("env", "prod")]).unwrap();
    let err = r
        .register(promscribe::Gauge::new("target_info", "mine").unwrap())
        .unwrap_err();
    assert_eq!(err.clashes[0].name, "target_info");
    let info = InfoMetricFamily::with_value("target", "mine", &[("a", "b")]).unwrap();
    assert!(r.register(fixed(vec![info.into()])).is_err());
    r.check().unwrap();

    // A metric registered first keeps the name: target info is refused.
    let r = Registry::new();
    r.register(promscribe::Gauge::new("target_info", "mine").unwrap())
        .unwrap();
    let err = r.set_target_info([("env", "prod")]).unwrap_err();
    match &err {
        TargetInfoError::Clash(e) => assert_eq!(e.clashes[0].name, "target_info"),
        other => panic!("{other}"),
    }
    assert!(err
        .to_string()
        .contains("duplicate metric name `target_info`"));
    assert_eq!(r.target_info(), None);
}

#[test]
fn default_registry_supports_target_info() {
    let r = promscribe::default_registry();
    r.set_target_info([("job", "collectors-test")]).unwrap();
    let text = encode_text(r);
    assert!(text.contains("target_info{job=\"collectors-test\"} 1.0\n"));
    r.clear_target_info();
}
