//! The text format 0.0.4 cases of Python's `tests/test_exposition.py`
//! (`generate_latest`), and the exposition details its registry has:
//! target info first, `name[]` collecting only the matching collectors,
//! no `_sum` beside negative buckets, floats as `floatToGoString`.
//!
//! Python mocks the clock so that `_created` reads 123.456; here the
//! families that show `_created` are built with that value, and the
//! runtime metrics are exposed with `_created` switched off (their value
//! is the wall clock; `tests/created.rs` covers it).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use promscribe::{
    encode_text, encode_text_families, Buckets, Collector, CounterMetricFamily, Descriptor, Enum,
    Family, Gauge, GaugeHistogramMetricFamily, Histogram, HistogramMetricFamily, Info,
    MetricFamily, MetricType, Opts, Registry, States, SummaryMetricFamily, Timestamp,
};

/// A collector yielding fixed families.
struct Fixed(Vec<MetricFamily>);

impl Collector for Fixed {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        out.extend(self.0.iter().cloned());
    }
}

/// The text exposition of a registry holding `families`, `_created`
/// asked for explicitly: the default follows `disable_created_series()`,
/// which other tests of this binary call concurrently.
fn text_of(families: Vec<MetricFamily>) -> String {
    let r = Registry::new();
    r.register(Arc::new(Fixed(families))).expect("no clash");
    let mut text = String::new();
    promscribe::encode(
        &mut text,
        &r,
        promscribe::Format::Text,
        &promscribe::EncodeOptions::default().created(true),
    )
    .expect("a String never fails");
    text
}

#[test]
fn counter_with_created() {
    // Python: Counter('cc', ...) and Counter('cc_total', ...), inc().
    for name in ["cc", "cc_total"] {
        let mut c = CounterMetricFamily::new(name, "A counter", &[]).expect("valid");
        c.add_metric_with(&[], 1.0, Some(123.456), None)
            .expect("valid");
        assert_eq!(
            text_of(vec![c.into()]),
            "# HELP cc_total A counter\n# TYPE cc_total counter\ncc_total 1.0\n\
             # HELP cc_created A counter\n# TYPE cc_created gauge\ncc_created 123.456\n"
        );
    }
}

#[test]
fn gauge() {
    let r = Registry::new();
    let g = Gauge::new("gg", "A gauge").expect("valid");
    r.register(g.clone()).expect("no clash");
    g.set(17.0);
    assert_eq!(
        encode_text(&r),
        "# HELP gg A gauge\n# TYPE gg gauge\ngg 17.0\n"
    );
}

#[test]
fn summary_with_created() {
    let mut s = SummaryMetricFamily::new("ss", "A summary", &["a", "b"]).expect("valid");
    s.add_metric_with(&["c", "d"], 1.0, 17.0, Some(123.456), None)
        .expect("valid");
    // `_created` is an encoder option whose default follows
    // `disable_created_series()`, which other tests of this binary call:
    // ask for it explicitly (Python exempts custom collectors from the
    // switch; here one option governs every `_created`).
    let mut text = String::new();
    promscribe::encode_families(
        &mut text,
        &[s.into()],
        promscribe::Format::Text,
        &promscribe::EncodeOptions::default().created(true),
    )
    .expect("a String never fails");
    assert_eq!(
        text,
        "# HELP ss A summary\n# TYPE ss summary\n\
         ss_count{a=\"c\",b=\"d\"} 1.0\nss_sum{a=\"c\",b=\"d\"} 17.0\n\
         # HELP ss_created A summary\n# TYPE ss_created gauge\n\
         ss_created{a=\"c\",b=\"d\"} 123.456\n"
    );
}

#[test]
fn histogram_default_buckets() {
    promscribe::disable_created_series();
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
    want.push_str("hh_count 1.0\nhh_sum 0.05\n");
    assert_eq!(encode_text(&r), want);
}

#[test]
fn gauge_histogram() {
    let g = GaugeHistogramMetricFamily::with_buckets(
        "gh",
        "help",
        &[(1.0, 4.0), (f64::INFINITY, 5.0)],
        7.0,
    )
    .expect("valid");
    assert_eq!(
        text_of(vec![g.into()]),
        "# HELP gh help\n# TYPE gh histogram\n\
         gh_bucket{le=\"1.0\"} 4.0\ngh_bucket{le=\"+Inf\"} 5.0\n\
         # HELP gh_gcount help\n# TYPE gh_gcount gauge\ngh_gcount 5.0\n\
         # HELP gh_gsum help\n# TYPE gh_gsum gauge\ngh_gsum 7.0\n"
    );
}

#[test]
fn info_and_enum() {
    let r = Registry::new();
    let i = Family::<Info, 2>::new(Opts::new("ii", "A info").labels(["a", "b"])).expect("valid");
    r.register(i.clone()).expect("no clash");
    i.labels(["c", "d"]).set([("foo", "bar")]).expect("valid");
    let e = Family::<Enum, 2>::with_states(
        Opts::new("ee", "An enum").labels(["a", "b"]),
        States::new(["foo", "bar"]).expect("valid"),
    )
    .expect("valid");
    r.register(e.clone()).expect("no clash");
    e.labels(["c", "d"]).state("bar").expect("a state");
    assert_eq!(
        encode_text(&r),
        "# HELP ee An enum\n# TYPE ee gauge\n\
         ee{a=\"c\",b=\"d\",ee=\"foo\"} 0.0\nee{a=\"c\",b=\"d\",ee=\"bar\"} 1.0\n\
         # HELP ii_info A info\n# TYPE ii_info gauge\nii_info{a=\"c\",b=\"d\",foo=\"bar\"} 1.0\n"
    );
}

#[test]
fn unicode_and_escaping() {
    let r = Registry::new();
    let u = Family::<Gauge, 1>::new(Opts::new("cc", "\u{4500}").labels(["l"])).expect("valid");
    r.register(u.clone()).expect("no clash");
    u.labels(["\u{4500}"]).inc();
    assert_eq!(
        encode_text(&r),
        "# HELP cc \u{4500}\n# TYPE cc gauge\ncc{l=\"\u{4500}\"} 1.0\n"
    );

    let r = Registry::new();
    let g = Family::<Gauge, 1>::new(Opts::new("cc", "A\ngaug\\e").labels(["a"])).expect("valid");
    r.register(g.clone()).expect("no clash");
    g.labels(["\\x\n\""]).inc_by(1.0);
    assert_eq!(
        encode_text(&r),
        "# HELP cc A\\ngaug\\\\e\n# TYPE cc gauge\ncc{a=\"\\\\x\\n\\\"\"} 1.0\n"
    );
}

#[test]
fn timestamps_in_milliseconds() {
    // Python gives seconds (123.456, -123.456, 123, Timestamp(...)), and
    // the text format writes whole milliseconds.
    let mut f = MetricFamily::new("ts", "help", MetricType::Unknown);
    for (foo, secs) in [("a", 123.456), ("b", -123.456), ("c", 123.0)] {
        let t = Timestamp::from_secs_f64(secs).expect("in range");
        f.push_sample("", vec![("foo".into(), foo.into())], 0.0, Some(t))
            .expect("fits the family");
    }
    assert_eq!(
        text_of(vec![f]),
        "# HELP ts help\n# TYPE ts untyped\n\
         ts{foo=\"a\"} 0.0 123456\nts{foo=\"b\"} 0.0 -123456\nts{foo=\"c\"} 0.0 123000\n"
    );
}

#[test]
fn negative_values_are_not_written_with_an_exponent() {
    // Python's floatToGoString: Go's exponent for positive values >= 1e6
    // only (bucket bounds, quantiles); negative values keep `repr`.
    let mut f = MetricFamily::new("balance", "Balance", MetricType::Gauge);
    for (acct, v) in [
        ("a", -1234567.0),
        ("b", 1234567.0),
        ("c", -1e16),
        ("d", -1e-5),
    ] {
        f.push("", vec![("acct".into(), acct.into())], v)
            .expect("fits the family");
    }
    assert_eq!(
        text_of(vec![f]),
        "# HELP balance Balance\n# TYPE balance gauge\n\
         balance{acct=\"a\"} -1234567.0\nbalance{acct=\"b\"} 1.234567e+06\n\
         balance{acct=\"c\"} -1e+16\nbalance{acct=\"d\"} -1e-05\n"
    );
}

#[test]
fn histogram_family_with_negative_buckets_has_no_sum() {
    promscribe::disable_created_series();
    let buckets = [(-1.0, 1.0), (10.0, 2.0), (f64::INFINITY, 3.0)];
    let custom = HistogramMetricFamily::with_buckets("t", "T", &buckets, -4.5).expect("valid");
    let custom = MetricFamily::from(custom);
    let names: Vec<String> = custom.samples().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["t_bucket", "t_bucket", "t_bucket", "t_count"]);

    // The same sample names as the built-in histogram.
    let r = Registry::new();
    let h = Histogram::with_opts(
        Opts::new("t", "T"),
        Buckets::new([-1.0, 10.0]).expect("valid"),
    )
    .expect("valid");
    r.register(h.clone()).expect("no clash");
    for v in [-2.0, 5.0, 20.0] {
        h.observe(v);
    }
    let builtin = r.gather();
    let builtin_names: Vec<String> = builtin[0].samples().into_iter().map(|s| s.name).collect();
    assert_eq!(builtin_names, names);

    // Without negative bounds the sum is there.
    let plain =
        HistogramMetricFamily::with_buckets("p", "P", &[(f64::INFINITY, 1.0)], 2.0).expect("valid");
    let plain = MetricFamily::from(plain);
    assert_eq!(
        plain.samples().last().map(|s| s.name.as_str()),
        Some("p_sum")
    );
}

#[test]
fn target_info_comes_first_and_reserves_only_target_info() {
    let r = Registry::new();
    r.register(Gauge::new("a_first", "A").expect("valid"))
        .expect("no clash");
    r.set_target_info([("env", "prod")]).expect("valid");
    // Python reserves `target_info` only: a metric named `target` is fine.
    let target = Gauge::new("target", "Named target").expect("valid");
    r.register(target.clone())
        .expect("`target` is not reserved");
    target.set(2.0);
    assert_eq!(
        encode_text(&r),
        "# HELP target_info Target metadata\n# TYPE target_info gauge\n\
         target_info{env=\"prod\"} 1.0\n\
         # HELP a_first A\n# TYPE a_first gauge\na_first 0.0\n\
         # HELP target Named target\n# TYPE target gauge\ntarget 2.0\n"
    );
    // And the other way round: target info beside a registered `target`.
    let r2 = Registry::new();
    r2.register(Gauge::new("target", "T").expect("valid"))
        .expect("no clash");
    r2.set_target_info([("env", "prod")])
        .expect("`target` does not clash with target info");
    // `target_info` itself stays reserved.
    assert!(r2
        .register(Gauge::new("target_info", "Clash").expect("valid"))
        .is_err());
}

/// Counts its `collect` calls.
struct Counting {
    name: &'static str,
    describe: bool,
    calls: AtomicUsize,
}

impl Counting {
    fn new(name: &'static str, describe: bool) -> Arc<Self> {
        Arc::new(Counting {
            name,
            describe,
            calls: AtomicUsize::new(0),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Collector for Counting {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut f = MetricFamily::new(self.name, "Counted", MetricType::Gauge);
        f.push("", vec![], 1.0).expect("fits the family");
        out.push(f);
    }

    fn describe(&self) -> Vec<Descriptor> {
        if !self.describe {
            return Vec::new();
        }
        vec![Descriptor {
            name: self.name.to_owned(),
            kind: MetricType::Gauge,
        }]
    }
}

#[test]
fn restricted_gather_runs_only_the_matching_collectors() {
    let r = Registry::new();
    let described = Counting::new("described", true);
    let auto = Counting::new("auto_described", false);
    r.register(described.clone()).expect("no clash");
    r.register(auto.clone()).expect("no clash");
    // Auto-describe collected `auto` once at registration.
    assert_eq!((described.calls(), auto.calls()), (0, 1));

    let only = r.gather_restricted(&["described"]);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].name, "described");
    assert_eq!((described.calls(), auto.calls()), (1, 1));

    let only = r.gather_restricted(&["auto_described"]);
    assert_eq!(only[0].name, "auto_described");
    assert_eq!((described.calls(), auto.calls()), (1, 2));

    assert!(r.gather_restricted(&["nothing_of_that_name"]).is_empty());
    assert_eq!((described.calls(), auto.calls()), (1, 2));

    // A collector that claims no name (no describe, no auto-describe) is
    // skipped by `name[]`, as in Python, but collected by a full scrape.
    let r = Registry::without_auto_describe();
    let silent = Counting::new("silent", false);
    r.register(silent.clone()).expect("not checked");
    assert!(r.gather_restricted(&["silent"]).is_empty());
    assert_eq!(silent.calls(), 0);
    assert_eq!(r.gather().len(), 1);
    assert_eq!(silent.calls(), 1);
}

#[test]
fn restricted_gather_of_target_info_runs_no_collector() {
    let r = Registry::new();
    let c = Counting::new("counted", true);
    r.register(c.clone()).expect("no clash");
    r.set_target_info([("env", "prod")]).expect("valid");
    let mut text = String::new();
    encode_text_families(&mut text, &r.gather_restricted(&["target_info", "counted"]));
    assert_eq!(
        text,
        "# HELP target_info Target metadata\n# TYPE target_info gauge\n\
         target_info{env=\"prod\"} 1.0\n\
         # HELP counted Counted\n# TYPE counted gauge\ncounted 1.0\n"
    );
    assert_eq!(c.calls(), 1);
    let t = r.gather_restricted(&["target_info"]);
    assert_eq!(t.len(), 1);
    assert_eq!(c.calls(), 1);
}
