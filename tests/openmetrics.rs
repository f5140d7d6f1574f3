//! The OpenMetrics 1.0.0 encoder: the cases of Python's
//! `tests/openmetrics/test_exposition.py` that apply, and Python's strict
//! OpenMetrics parser (`prometheus_client.openmetrics.parser`) accepting a
//! body with every metric type, exemplars and hostile label values.

use std::sync::Arc;

use promscribe::{
    encode, encode_families, Buckets, Collector, Counter, CounterMetricFamily, EncodeOptions, Enum,
    Family, Format, Gauge, GaugeHistogramMetricFamily, Histogram, HistogramMetricFamily, Info,
    MetricFamily, MetricType, Opts, Registry, States, Summary,
};

struct Fixed(Vec<MetricFamily>);

impl Collector for Fixed {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        out.extend(self.0.iter().cloned());
    }
}

fn om(registry: &Registry, created: bool) -> String {
    let mut out = String::new();
    encode(
        &mut out,
        registry,
        Format::OpenMetrics,
        &EncodeOptions::default().created(created),
    )
    .expect("a String never fails");
    out
}

fn om_families(families: Vec<MetricFamily>) -> String {
    let mut out = String::new();
    encode_families(
        &mut out,
        &families,
        Format::OpenMetrics,
        &EncodeOptions::default().created(true),
    )
    .expect("a String never fails");
    out
}

/// Python's `test_counter`: the family without `_total`, `_created` inside it.
#[test]
fn counter() {
    let r = Registry::new();
    let c = Counter::new("cc", "A counter").expect("valid");
    r.register(c.clone()).expect("no clash");
    c.inc();
    let text = om(&r, true);
    let created = c.created();
    let mut want = String::from("# HELP cc A counter\n# TYPE cc counter\ncc_total 1.0\n");
    want.push_str(&format!("cc_created {}\n# EOF\n", go(created)));
    assert_eq!(text, want);
    assert_eq!(
        om(&r, false),
        "# HELP cc A counter\n# TYPE cc counter\ncc_total 1.0\n# EOF\n"
    );
}

fn go(v: f64) -> String {
    let mut s = String::new();
    promscribe::write_float(&mut s, v);
    s
}

/// Python's `test_counter_total`, `test_counter_unit`.
#[test]
fn counter_total_and_unit() {
    let r = Registry::new();
    let c = Counter::with_opts(Opts::new("cc_seconds_total", "A counter").unit("seconds"))
        .expect("valid");
    r.register(c.clone()).expect("no clash");
    c.inc();
    assert_eq!(
        om(&r, false),
        "# HELP cc_seconds A counter\n# TYPE cc_seconds counter\n# UNIT cc_seconds seconds\n\
         cc_seconds_total 1.0\n# EOF\n"
    );
}

/// Python's `test_gauge`, with a help that needs escaping (OpenMetrics
/// escapes `"` in HELP too).
#[test]
fn gauge_and_help_escaping() {
    let r = Registry::new();
    let g = Gauge::new("gg", "A \"gauge\"\\ with\nnewline").expect("valid");
    r.register(g.clone()).expect("no clash");
    g.set(17.0);
    assert_eq!(
        om(&r, false),
        "# HELP gg A \\\"gauge\\\"\\\\ with\\nnewline\n# TYPE gg gauge\ngg 17.0\n# EOF\n"
    );
}

/// Python's `test_summary`.
#[test]
fn summary() {
    let r = Registry::new();
    let s =
        Family::<Summary, 2>::new(Opts::new("ss", "A summary").labels(["a", "b"])).expect("valid");
    r.register(s.clone()).expect("no clash");
    s.labels(["c", "d"]).observe(17.0);
    assert_eq!(
        om(&r, false),
        "# HELP ss A summary\n# TYPE ss summary\nss_count{a=\"c\",b=\"d\"} 1.0\n\
         ss_sum{a=\"c\",b=\"d\"} 17.0\n# EOF\n"
    );
}

/// Python's `test_histogram` (default buckets) and
/// `test_histogram_negative_buckets` (no `_sum`).
#[test]
fn histograms() {
    let r = Registry::new();
    let h = Histogram::new("hh", "A histogram").expect("valid");
    r.register(h.clone()).expect("no clash");
    h.observe(0.05);
    let mut want = String::from("# HELP hh A histogram\n# TYPE hh histogram\n");
    for (le, n) in [
        ("0.005", 0),
        ("0.01", 0),
        ("0.025", 0),
        ("0.05", 1),
        ("0.075", 1),
        ("0.1", 1),
        ("0.25", 1),
        ("0.5", 1),
        ("0.75", 1),
        ("1.0", 1),
        ("2.5", 1),
        ("5.0", 1),
        ("7.5", 1),
        ("10.0", 1),
        ("+Inf", 1),
    ] {
        want.push_str(&format!("hh_bucket{{le=\"{le}\"}} {n}.0\n"));
    }
    want.push_str("hh_count 1.0\nhh_sum 0.05\n# EOF\n");
    assert_eq!(om(&r, false), want);

    let mut neg = HistogramMetricFamily::new("hn", "help", &[]).expect("valid");
    neg.add_metric(&[], &[(-1.0, 3.0), (f64::INFINITY, 4.0)], -2.0)
        .expect("valid");
    // No `_sum` with a negative bucket, so no `_count` either: OpenMetrics
    // has `_count` if and only if `_sum` (the `+Inf` bucket tells the count).
    assert_eq!(
        om_families(vec![neg.into()]),
        "# HELP hn help\n# TYPE hn histogram\nhn_bucket{le=\"-1.0\"} 3.0\n\
         hn_bucket{le=\"+Inf\"} 4.0\n# EOF\n"
    );
}

/// Runs Python's strict OpenMetrics parser on `body`; what `script` prints
/// (after reading the families into `fams`), or its error.
fn python_om(body: &str, script: &str) -> Result<String, String> {
    promscribe_test_support::python_openmetrics(body, script)
}

/// `_count` (`_gcount`) is written if and only if `_sum` (`_gsum`) is, for
/// every way a point can lack one of them, and Python's strict parser
/// accepts the result.
#[test]
fn count_and_sum_come_together() {
    let r = Registry::new();
    let h = Histogram::with_opts(
        Opts::new("neg", "Negative buckets"),
        Buckets::new([-1.0, 0.0, 1.0]).expect("valid"),
    )
    .expect("valid");
    r.register(h.clone()).expect("no clash");
    h.observe(-2.0);
    h.observe(0.5);
    let mut neg = HistogramMetricFamily::new("hn", "help", &[]).expect("valid");
    neg.add_metric(&[], &[(-1.0, 3.0), (f64::INFINITY, 4.0)], -2.0)
        .expect("valid");
    // A gauge histogram with `_gcount` but no `_gsum`, and a histogram
    // with `_sum` but no `_count`, as the text format 0.0.4 may carry them.
    let mut gh = MetricFamily::new("gh", "G", MetricType::GaugeHistogram);
    gh.push("_bucket", vec![("le".into(), "+Inf".into())], 2.0)
        .expect("fits");
    gh.push("_gcount", vec![], 2.0).expect("fits");
    let mut only_sum = MetricFamily::new("os", "S", MetricType::Histogram);
    only_sum
        .push("_bucket", vec![("le".into(), "1.0".into())], 1.0)
        .expect("fits");
    only_sum
        .push("_bucket", vec![("le".into(), "+Inf".into())], 3.0)
        .expect("fits");
    only_sum.push("_sum", vec![], 7.5).expect("fits");
    r.register(Arc::new(Fixed(vec![neg.into(), gh, only_sum])))
        .expect("no clash");

    let body = om(&r, false);
    for absent in ["neg_count", "neg_sum", "hn_count", "gh_gcount", "gh_gsum"] {
        assert!(!body.contains(absent), "{absent} in:\n{body}");
    }
    // `_sum` alone gets its `_count`: the `+Inf` bucket's.
    assert!(body.contains("\nos_count 3.0\nos_sum 7.5\n"), "{body}");
    let parsed = promscribe::parse_openmetrics(&body).unwrap_or_else(|e| panic!("{e}\n{body}"));
    assert_eq!(parsed.len(), 4);
    let printed = python_om(
        &body,
        "print(' '.join(s.name for f in fams for s in f.samples if not s.name.endswith('_bucket')))",
    )
    .unwrap_or_else(|e| panic!("Python's OpenMetrics parser refused the body:\n{e}\n---\n{body}"));
    assert_eq!(printed, "os_count os_sum", "{body}");
}

/// Python's `test_counter_exemplar` and `test_histogram_exemplar`:
/// ` # {labels} value timestamp` after the `_total` and `_bucket` samples,
/// never in the text format 0.0.4.
#[test]
fn exemplars() {
    let r = Registry::new();
    let c = Counter::new("cc_total", "A counter").expect("valid");
    let h = Histogram::with_opts(
        Opts::new("hh", "A histogram"),
        Buckets::new([1.0, 2.0]).expect("valid"),
    )
    .expect("valid");
    r.register(c.clone()).expect("no clash");
    r.register(h.clone()).expect("no clash");
    c.inc_by_with_exemplar(1.0, &[("a", "b"), ("_", "x\"y")])
        .expect("valid");
    h.observe_with_exemplar(1.5, &[("trace_id", "t1")])
        .expect("valid");
    h.observe_with_exemplar(1.7, &[("trace_id", "t2")])
        .expect("valid");
    h.observe(0.5);
    let text = om(&r, false);
    let ts = |e: promscribe::Exemplar| {
        let mut s = String::new();
        promscribe::write_float_repr(&mut s, e.timestamp.expect("stamped"));
        s
    };
    let cts = ts(c.exemplar().expect("kept"));
    assert!(
        text.contains(&format!(
            "cc_total 1.0 # {{_=\"x\\\"y\",a=\"b\"}} 1.0 {cts}\n"
        )),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("hh_bucket{le=\"2.0\"}"))
        .expect("bucket line");
    assert!(
        line.starts_with("hh_bucket{le=\"2.0\"} 3.0 # {trace_id=\"t2\"} 1.7 "),
        "latest exemplar per bucket: {line}"
    );
    assert!(text.contains("hh_bucket{le=\"1.0\"} 1.0\n"), "{text}");
    let text004 = promscribe::encode_text(&r);
    assert!(
        !text004.contains(" # {"),
        "no exemplars in 0.0.4: {text004}"
    );
}

/// Python's `test_gaugehistogram`, `test_info`, `test_enum` (stateset),
/// `test_unicode`, `test_escaping`, `test_nonnumber`, `test_timestamp`.
#[test]
fn other_types_escaping_and_timestamps() {
    let mut gh = GaugeHistogramMetricFamily::new("gh", "help", &[]).expect("valid");
    gh.add_metric(&[], &[(1.0, 4.0), (f64::INFINITY, 5.0)], 7.0)
        .expect("valid");
    assert_eq!(
        om_families(vec![gh.into()]),
        "# HELP gh help\n# TYPE gh gaugehistogram\ngh_bucket{le=\"1.0\"} 4.0\n\
         gh_bucket{le=\"+Inf\"} 5.0\ngh_gcount 5.0\ngh_gsum 7.0\n# EOF\n"
    );

    let r = Registry::new();
    let i = Info::new("ii", "An info").expect("valid");
    r.register(i.clone()).expect("no clash");
    i.set([("a", "c"), ("b", "d")]).expect("valid");
    let e = Enum::new(
        Opts::new("ee", "An enum").labels(Vec::<String>::new()),
        States::new(["foo", "bar"]).expect("valid"),
    )
    .expect("valid");
    r.register(e.clone()).expect("no clash");
    e.state("bar").expect("declared");
    let g = Family::<Gauge, 1>::new(Opts::new("gg", "\u{4e2d}").labels(["a"])).expect("valid");
    r.register(g.clone()).expect("no clash");
    g.labels(["\\x\n\"\u{4e2d}"]).set(f64::NAN);
    assert_eq!(
        om(&r, false),
        "# HELP ee An enum\n# TYPE ee stateset\nee{ee=\"foo\"} 0.0\nee{ee=\"bar\"} 1.0\n\
         # HELP gg \u{4e2d}\n# TYPE gg gauge\ngg{a=\"\\\\x\\n\\\"\u{4e2d}\"} NaN\n\
         # HELP ii An info\n# TYPE ii info\nii_info{a=\"c\",b=\"d\"} 1.0\n# EOF\n"
    );

    let mut ts = MetricFamily::new("ts", "help", MetricType::Unknown);
    for (foo, ms) in [("a", 123_456), ("b", -123_456), ("c", 123_000)] {
        let t = promscribe::Timestamp::from_millis(ms);
        ts.push_sample("", vec![("foo".into(), foo.into())], 0.0, Some(t))
            .expect("fits the family");
    }
    assert_eq!(
        om_families(vec![ts]),
        "# HELP ts help\n# TYPE ts unknown\nts{foo=\"a\"} 0.0 123.456\n\
         ts{foo=\"b\"} 0.0 -123.456\nts{foo=\"c\"} 0.0 123.0\n# EOF\n"
    );
}

/// A custom collector's counter with created: inside the family.
#[test]
fn custom_counter_created_inside_the_family() {
    let mut c = CounterMetricFamily::new("jobs_total", "Jobs", &["q"]).expect("valid");
    c.add_metric_with(&["a"], 2.0, Some(1.5e9), None)
        .expect("valid");
    assert_eq!(
        om_families(vec![c.into()]),
        "# HELP jobs Jobs\n# TYPE jobs counter\njobs_total{q=\"a\"} 2.0\n\
         jobs_created{q=\"a\"} 1.5e+09\n# EOF\n"
    );
}

/// Every type, exemplars, units, hostile label values: Python's strict
/// OpenMetrics parser accepts the body. Fails (does not skip) when
/// `python3` or `prometheus_client` is missing.
#[test]
fn python_strict_parser_accepts_every_type() {
    let r = Registry::new();
    let hostile = "a\"b\\c\nd}{,=\u{1F600} # {x=\"y\"} 1";
    let c = Family::<Counter, 1>::new(Opts::new("req_total", "Requests \"all\"").labels(["path"]))
        .expect("valid");
    r.register(c.clone()).expect("no clash");
    c.labels([hostile])
        // Python's parser refuses an escaped `"` inside an exemplar's
        // label value (valid OpenMetrics), so this one is hostile without.
        .inc_by_with_exemplar(2.0, &[("trace_id", "abc"), ("span", "a\\c\nd}{,= # x")])
        .expect("valid");
    c.labels(["/"]).inc();
    let g = Gauge::with_opts(Opts::new("temp", "T").unit("celsius")).expect("valid");
    r.register(g.clone()).expect("no clash");
    g.set(-1.5e-7);
    let h = Family::<Histogram, 1>::with_buckets(
        Opts::new("lat_seconds", "Latency").labels(["path"]),
        Buckets::new([0.1, 1.0]).expect("valid"),
    )
    .expect("valid");
    r.register(h.clone()).expect("no clash");
    h.labels([hostile])
        .observe_with_exemplar(0.5, &[("trace_id", "x")])
        .expect("valid");
    h.labels(["/"]).observe(7.0);
    let s = Summary::new("rpc_seconds", "RPC").expect("valid");
    r.register(s.clone()).expect("no clash");
    s.observe(0.25);
    let i = Info::new("build", "Build").expect("valid");
    r.register(i.clone()).expect("no clash");
    i.set([("version", hostile)]).expect("valid");
    let e = Enum::new(
        Opts::new("state", "State"),
        States::new(["on", "off"]).expect("valid"),
    )
    .expect("valid");
    r.register(e.clone()).expect("no clash");
    let mut gh = GaugeHistogramMetricFamily::new("queue_age", "Age", &[]).expect("valid");
    gh.add_metric(&[], &[(60.0, 3.0), (f64::INFINITY, 5.0)], 420.0)
        .expect("valid");
    let mut u = MetricFamily::new("mystery", "?", MetricType::Unknown);
    u.push("", vec![("k".into(), hostile.into())], 3.0)
        .expect("fits the family");
    r.register(Arc::new(Fixed(vec![gh.into(), u])))
        .expect("no clash");
    r.set_target_info([("env", hostile)]).expect("valid");

    let body = om(&r, true);
    let printed = python_om(
        &body,
        "ex = sum(1 for f in fams for s in f.samples if s.exemplar)\n\
         print(len(fams), ex, ' '.join(sorted(f.type for f in fams)))",
    )
    .unwrap_or_else(|e| panic!("Python's OpenMetrics parser refused the body:\n{e}\n---\n{body}"));
    assert_eq!(
        printed, "9 2 counter gauge gaugehistogram histogram info info stateset summary unknown",
        "{body}"
    );
}
