//! One set of name rules: the runtime's side of the agreement on the
//! shared table of names (the macros' side runs the same table through
//! their expansion in `metrics-macros`), a trybuild program declaring every
//! accepted row with the macros, the bucket limits, and promtool on the
//! accepted enum forms. Many rows port Python's `tests/test_core.py`.

use std::fmt::Write as _;
use std::sync::Arc;

use promscribe::{
    Buckets, Collector, Counter, Enum, Family, Gauge, Histogram, Info, MetricError, Opts, Registry,
    StateSetMetricFamily, States, Summary,
};

include!("../metrics-rules/tests/shared/table.rs");

/// A metric built at run time from a row, as a collector.
fn build(c: &Case) -> Result<Arc<dyn Collector>, MetricError> {
    let opts = Opts::new(c.name, "help")
        .namespace(c.namespace)
        .subsystem(c.subsystem)
        .unit(c.unit)
        .labels(c.labels.iter().copied());
    let buckets = match c.buckets {
        Some(b) => Buckets::new(b.iter().copied())?,
        None => Buckets::DEFAULT,
    };
    let states = States::new(["a", "b"])?;
    macro_rules! family {
        ($n:literal) => {
            match c.kind {
                "counter" => Family::<Counter, $n>::new(opts).map(|m| m as Arc<dyn Collector>),
                "gauge" => Family::<Gauge, $n>::new(opts).map(|m| m as Arc<dyn Collector>),
                "summary" => Family::<Summary, $n>::new(opts).map(|m| m as Arc<dyn Collector>),
                "info" => Family::<Info, $n>::new(opts).map(|m| m as Arc<dyn Collector>),
                "histogram" => Family::<Histogram, $n>::with_buckets(opts, buckets)
                    .map(|m| m as Arc<dyn Collector>),
                "enum" => {
                    Family::<Enum, $n>::with_states(opts, states).map(|m| m as Arc<dyn Collector>)
                }
                other => panic!("unknown kind `{other}` in the table"),
            }
        };
    }
    match c.labels.len() {
        0 => match c.kind {
            "counter" => Counter::with_opts(opts).map(|m| m as Arc<dyn Collector>),
            "gauge" => Gauge::with_opts(opts).map(|m| m as Arc<dyn Collector>),
            "summary" => Summary::with_opts(opts).map(|m| m as Arc<dyn Collector>),
            "info" => Info::with_opts(opts).map(|m| m as Arc<dyn Collector>),
            "histogram" => Histogram::with_opts(opts, buckets).map(|m| m as Arc<dyn Collector>),
            "enum" => Enum::new(opts, states).map(|m| m as Arc<dyn Collector>),
            other => panic!("unknown kind `{other}` in the table"),
        },
        1 => family!(1),
        2 => family!(2),
        n => panic!("{n} labels: extend `build`"),
    }
}

/// The family name a collector describes.
fn family_name(c: &Arc<dyn Collector>) -> String {
    let names: Vec<String> = c.describe().into_iter().map(|d| d.name).collect();
    assert_eq!(names.len(), 1, "one family expected: {names:?}");
    names.into_iter().next().unwrap_or_default()
}

#[test]
fn the_runtime_follows_the_shared_table() {
    for case in CASES {
        match (build(case), case.expect) {
            (Ok(m), Ok(want)) => assert_eq!(family_name(&m), want, "{case:?}"),
            (Err(e), Err(want)) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(want),
                    "{case:?}: `{msg}` does not say `{want}`"
                );
            }
            (Ok(m), Err(want)) => panic!(
                "{case:?}: accepted as `{}`, expected `{want}`",
                family_name(&m)
            ),
            (Err(e), Ok(want)) => panic!("{case:?}: refused ({e}), expected `{want}`"),
        }
    }
}

/// Every accepted row, declared with the macros in one program that trybuild
/// compiles and runs: it checks each static's name.
#[test]
fn the_macros_accept_every_accepted_row() {
    let mut src = String::from("#![allow(missing_docs)]\n");
    let mut checks = String::new();
    for (i, case) in CASES.iter().enumerate() {
        let Ok(want) = case.expect else { continue };
        let mac = match case.kind {
            "enum" => "enumeration",
            other => other,
        };
        let mut args = format!("S{i}, {:?}, \"help\"", case.name);
        for (key, value) in [
            ("namespace", case.namespace),
            ("subsystem", case.subsystem),
            ("unit", case.unit),
        ] {
            if !value.is_empty() {
                let _ = write!(args, ", {key} = {value:?}");
            }
        }
        if !case.labels.is_empty() {
            let _ = write!(args, ", labels = {:?}", case.labels);
        }
        if let Some(b) = case.buckets {
            let b: Vec<String> = b
                .iter()
                .map(|v| {
                    if *v == f64::INFINITY {
                        "f64::INFINITY".to_owned()
                    } else {
                        format!("{v:?}")
                    }
                })
                .collect();
            let _ = write!(args, ", buckets = [{}]", b.join(", "));
        }
        if case.kind == "enum" {
            args.push_str(", states = [\"a\", \"b\"]");
        }
        let _ = writeln!(src, "promscribe::{mac}!({args});");
        let _ = writeln!(checks, "    assert_eq!(S{i}.name(), {want:?});");
    }
    let _ = write!(src, "fn main() {{\n{checks}}}\n");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("rules_agree");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("accepted_rows.rs");
    std::fs::write(&file, src).expect("write the program");
    trybuild::TestCases::new().pass(&file);
}

#[test]
fn accepted_enum_forms_pass_promtool() {
    let registry = Registry::new();
    // promtool's lint refuses `:` in metric names (it is for recording
    // rules): those rows are valid names it would only lint.
    for case in CASES
        .iter()
        .filter(|c| c.kind == "enum" && c.expect.is_ok_and(|n| !n.contains(':')))
    {
        let m = build(case).expect("accepted row");
        registry
            .register(m)
            .expect("no clash between the enum rows");
    }
    let mut s = StateSetMetricFamily::new("disk_state", "Disk state", &["device"])
        .expect("valid state set");
    s.add_metric(&["sda"], &[("ok", true), ("full", false)])
        .expect("one label value");
    registry
        .register(Arc::new(StaticFamilies(vec![s.into()])))
        .expect("registered");
    let text = promscribe::encode_text(&registry);
    assert!(
        text.contains("app_task_state{app_task_state=\"a\"} 1.0"),
        "{text}"
    );
    let (ok, report) = promscribe_test_support::promtool_check(&text);
    assert!(ok, "promtool rejected:\n{report}\n---\n{text}");
}

/// A collector returning fixed families.
struct StaticFamilies(Vec<promscribe::MetricFamily>);

impl Collector for StaticFamilies {
    fn collect(&self, out: &mut Vec<promscribe::MetricFamily>) {
        out.extend(self.0.iter().cloned());
    }
}

#[test]
fn enum_and_stateset_names_must_be_label_names() {
    let states = || States::new(["a", "b"]).expect("valid states");
    let e = Enum::new(Opts::new("__task_state", "help"), states()).expect_err("refused");
    assert_eq!(
        e,
        MetricError::NameNotALabel {
            name: "__task_state".into()
        }
    );
    assert!(e.to_string().contains("`__task_state`"), "{e}");
    assert!(Family::<Enum, 1>::with_states(
        Opts::new("state", "help").namespace("__ns").labels(["l"]),
        states()
    )
    .is_err());
    let e = StateSetMetricFamily::new("__disk", "help", &[]).expect_err("refused");
    assert!(e.to_string().contains("`__disk`"), "{e}");
    assert!(StateSetMetricFamily::with_value("__disk", "help", &[("ok", true)]).is_err());
    // UTF-8 names are label names too (Prometheus 3).
    assert!(Enum::new(Opts::new("ns:task.state", "help"), states()).is_ok());
    assert!(StateSetMetricFamily::new("disk.state", "help", &[]).is_ok());
}

#[test]
fn utf8_names_are_accepted_and_legacy_rules_remain_available() {
    // Any non-empty name (Prometheus 3, Python's and Go's clients by default).
    let g = Gauge::with_opts(Opts::new("up", "help").namespace("my-app")).expect("valid");
    assert_eq!(g.name(), "my-app_up");
    let g = Gauge::with_opts(Opts::new("up", "help").subsystem("9db")).expect("valid");
    assert_eq!(g.name(), "9db_up");
    let g = Gauge::with_opts(Opts::new("x", "h").unit("a:b")).expect("valid");
    assert_eq!(g.name(), "x_a:b");
    assert!(!promscribe::is_valid_legacy_metric_name("my-app_up"));
    assert!(promscribe::is_valid_legacy_metric_name("x_a:b"));
    // A name that is only `_total` names its input.
    let e = Counter::new("_total", "help").expect_err("refused");
    assert_eq!(
        e.to_string(),
        "invalid metric name `_total`: the name is empty after removing the `_total` suffix"
    );
    // The empty name, and label names that are empty or reserved.
    assert!(Gauge::new("", "help").is_err());
    let e = Family::<Gauge, 1>::new(Opts::new("g", "help").labels(["__my.label"]))
        .expect_err("refused");
    assert!(e.to_string().contains("`__my.label`"), "{e}");
}

#[test]
fn histograms_need_two_buckets_counting_inf() {
    // TestHistogram.test_setting_buckets
    let b = Buckets::new([0.0, 1.0, 2.0]).expect("valid");
    assert_eq!(b.bounds(), [0.0, 1.0, 2.0, f64::INFINITY]);
    let b = Buckets::new([0.0, 1.0, 2.0, f64::INFINITY]).expect("valid");
    assert_eq!(b.bounds(), [0.0, 1.0, 2.0, f64::INFINITY]);
    for bad in [&[][..], &[f64::INFINITY], &[3.0, 1.0]] {
        assert!(
            matches!(
                Buckets::new(bad.iter().copied()),
                Err(MetricError::InvalidBuckets { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn bucket_errors_name_their_input() {
    let e = Buckets::new([2.0, 1.0]).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "invalid histogram buckets: buckets must be in strictly increasing order, \
         but 2.0 is followed by 1.0"
    );
    assert!(!e.to_string().contains("``"), "{e}");
    let e = States::new(["up", "up"]).expect_err("refused");
    assert!(!e.to_string().contains("``"), "{e}");
}

#[test]
fn huge_or_non_finite_bucket_generators_are_errors() {
    for count in [usize::MAX, 1 << 40, Buckets::MAX] {
        let e = Buckets::linear(1.0, 1.0, count).expect_err("too many");
        assert!(e.to_string().contains(&count.to_string()), "{e}");
        assert!(Buckets::exponential(1.0, 2.0, count).is_err());
    }
    assert_eq!(
        Buckets::linear(0.0, 1.0, Buckets::MAX - 1)
            .expect("at the limit")
            .bounds()
            .len(),
        Buckets::MAX
    );
    assert!(Buckets::linear(0.0, 1.0, 0).is_err());
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(Buckets::linear(bad, 1.0, 3).is_err(), "start {bad}");
        assert!(Buckets::linear(0.0, bad, 3).is_err(), "width {bad}");
        assert!(Buckets::exponential(bad, 2.0, 3).is_err(), "start {bad}");
        assert!(Buckets::exponential(1.0, bad, 3).is_err(), "factor {bad}");
    }
    // Bounds that overflow to +Inf are refused, not merged into +Inf.
    let e = Buckets::exponential(1.0, 1e10, 40).expect_err("overflows");
    assert!(e.to_string().contains("+Inf"), "{e}");
    assert!(Buckets::linear(0.0, 1.0, 3).is_ok());
    // A longer list than the limit is refused without being collected.
    assert!(Buckets::new((0..).map(f64::from)).is_err());
}
