//! The strict OpenMetrics parser (`parse_openmetrics`): the cases of the
//! Python client's `tests/openmetrics/test_parser.py`, accepted and
//! rejected, and the rules of the specification each with the line and
//! the problem in its error.

use std::sync::Arc;

use promscribe::{
    encode_families, parse_openmetrics, Bounds, CounterPoint, EncodeOptions, Exemplar, Format,
    HistogramPoint, LabelSet, Metric, MetricFamily, MetricType, Point, SummaryPoint, Timestamp,
};

fn parse(text: &str) -> Vec<MetricFamily> {
    parse_openmetrics(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn fam(name: &str, help: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut f = MetricFamily::new(name, help, kind);
    f.metrics = metrics;
    f
}

fn m(labels: &[(&str, &str)], point: Point) -> Metric {
    Metric {
        labels: LabelSet::new(labels.iter().copied()),
        point,
        timestamp: None,
    }
}

fn at(mut metric: Metric, ms: i64) -> Metric {
    metric.timestamp = Some(Timestamp::from_millis(ms));
    metric
}

fn ctr(value: f64) -> Point {
    Point::Counter(CounterPoint {
        value,
        created: None,
        exemplar: None,
    })
}

fn ex(labels: &[(&str, &str)], value: f64, timestamp: Option<f64>) -> Option<Arc<Exemplar>> {
    Some(Arc::new(Exemplar {
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        value,
        timestamp,
    }))
}

fn hist(bounds: &[f64], counts: &[f64], count: Option<f64>, sum: Option<f64>) -> HistogramPoint {
    HistogramPoint {
        bounds: Bounds::from(bounds.to_vec()),
        counts: counts.to_vec(),
        count,
        sum,
        created: None,
        exemplars: Vec::new(),
        native: None,
    }
}

fn summary(count: Option<f64>, sum: Option<f64>, quantiles: &[(f64, f64)]) -> Point {
    Point::Summary(SummaryPoint {
        count,
        sum,
        quantiles: quantiles.to_vec(),
        created: None,
    })
}

const INF: f64 = f64::INFINITY;

#[test]
fn simple_counter_gauge_and_type_help_order() {
    let expected = vec![fam(
        "a",
        "help",
        MetricType::Counter,
        vec![m(&[], ctr(1.0))],
    )];
    assert_eq!(
        parse("# TYPE a counter\n# HELP a help\na_total 1\n# EOF\n"),
        expected
    );
    assert_eq!(
        parse("# HELP a help\n# TYPE a counter\na_total 1\n# EOF\n"),
        expected
    );
    assert_eq!(
        parse("# TYPE a counter\n# HELP a help\na_total{} 1\n# EOF\n"),
        expected
    );
    assert_eq!(
        parse("# TYPE a counter\n# HELP a help\na_total 9223372036854775808\n# EOF\n"),
        vec![fam(
            "a",
            "help",
            MetricType::Counter,
            vec![m(&[], ctr(2f64.powi(63)))]
        )]
    );
    for (value, expected) in [
        ("1", 1.0),
        ("1.2", 1.2),
        ("0000000000000000000000000000000000000000001", 1.0),
        ("0000000000000000000000000000000000000000001.2e-1", 0.12),
    ] {
        assert_eq!(
            parse(&format!(
                "# TYPE a gauge\n# HELP a help\na {value}\n# EOF\n"
            )),
            vec![fam(
                "a",
                "help",
                MetricType::Gauge,
                vec![m(&[], Point::Gauge(expected))]
            )]
        );
    }
    let f = parse("# TYPE a gauge\n# HELP a help\na NaN\n# EOF\n");
    assert!(matches!(f[0].metrics[0].point, Point::Gauge(v) if v.is_nan()));
    let f = parse("a NaN\n# EOF\n");
    assert!(matches!(f[0].metrics[0].point, Point::Unknown(v) if v.is_nan()));
    // No newline after `# EOF`.
    assert_eq!(
        parse("# TYPE a gauge\n# HELP a help\na 1\n# EOF"),
        vec![fam(
            "a",
            "help",
            MetricType::Gauge,
            vec![m(&[], Point::Gauge(1.0))]
        )]
    );
    assert_eq!(
        parse("# TYPE a gauge\n# HELP a help\na{foo=\"bar\"} +Inf\na{foo=\"baz\"} -Inf\n# EOF\n"),
        vec![fam(
            "a",
            "help",
            MetricType::Gauge,
            vec![
                m(&[("foo", "bar")], Point::Gauge(INF)),
                m(&[("foo", "baz")], Point::Gauge(f64::NEG_INFINITY)),
            ]
        )]
    );
    assert!(parse("# EOF\n").is_empty());
    assert!(parse("# EOF").is_empty());
}

#[test]
fn utf8_and_complex_quoted_names() {
    assert_eq!(
        parse("# TYPE \"my.counter\" counter\n# HELP \"my.counter\" help\n{\"my.counter_total\"} 1\n# EOF\n"),
        vec![fam("my.counter", "help", MetricType::Counter, vec![m(&[], ctr(1.0))])]
    );
    let text = "# TYPE \"my.counter{} # = \\\" \\n\" counter\n\
                # HELP \"my.counter{} # = \\\" \\n\" help\n\
                {\"my.counter{} # = \\\" \\n_total\", \"awful. }}{{ # HELP EOF name\"=\"\\n yikes } \\\" value\"} 1\n\
                # EOF\n";
    assert_eq!(
        parse(text),
        vec![fam(
            "my.counter{} # = \" \n",
            "help",
            MetricType::Counter,
            vec![m(
                &[("awful. }}{{ # HELP EOF name", "\n yikes } \" value")],
                ctr(1.0)
            )]
        )]
    );
    assert_eq!(
        parse(
            "# TYPE \"a.b\" histogram\n# HELP \"a.b\" help\n{\"a.b_bucket\", le=\"1.0\"} 0.0\n\
               {\"a.b_bucket\", le=\"+Inf\"} 3.0\n{\"a.b_count\"} 3.0\n{\"a.b_sum\"} 2.0\n# EOF\n"
        ),
        vec![fam(
            "a.b",
            "help",
            MetricType::Histogram,
            vec![m(
                &[],
                Point::Histogram(hist(&[1.0, INF], &[0.0, 3.0], Some(3.0), Some(2.0)))
            )]
        )]
    );
    let f = parse("# TYPE \"a.b\" counter\n# HELP \"a.b\" help\n{\"a.b_total\"} 0 123 # {\"c{}d\"=\"b\"} 0.5\n# EOF\n");
    let Point::Counter(c) = &f[0].metrics[0].point else {
        panic!("{f:?}")
    };
    assert_eq!(c.exemplar, ex(&[("c{}d", "b")], 0.5, None));
    assert_eq!(
        f[0].metrics[0].timestamp,
        Some(Timestamp::from_millis(123_000))
    );
}

#[test]
fn units_summaries_and_empty_metadata() {
    let mut g = fam(
        "a_seconds",
        "help",
        MetricType::Gauge,
        vec![m(&[], Point::Gauge(1.0))],
    );
    g.unit = "seconds".into();
    assert_eq!(
        parse("# TYPE a_seconds gauge\n# UNIT a_seconds seconds\n# HELP a_seconds help\na_seconds 1\n# EOF\n"),
        vec![g]
    );
    assert_eq!(
        parse("# TYPE a summary\n# HELP a help\na_count 1\na_sum 2\n# EOF\n"),
        vec![fam(
            "a",
            "help",
            MetricType::Summary,
            vec![m(&[], summary(Some(1.0), Some(2.0), &[]))]
        )]
    );
    assert_eq!(
        parse("# TYPE a summary\n# HELP a help\na_count 1\na_sum 2\na{quantile=\"0.5\"} 0.7\na{quantile=\"1\"} 0.8\n# EOF\n"),
        vec![fam(
            "a",
            "help",
            MetricType::Summary,
            vec![m(&[], summary(Some(1.0), Some(2.0), &[(0.5, 0.7), (1.0, 0.8)]))]
        )]
    );
    // Empty HELP and UNIT count as none.
    assert_eq!(
        parse("# HELP a \n# UNIT a \n# EOF\n"),
        vec![fam("a", "", MetricType::Unknown, vec![])]
    );
    assert_eq!(
        parse("# TYPE a counter\n# HELP a \na_total 1\n# EOF\n"),
        vec![fam("a", "", MetricType::Counter, vec![m(&[], ctr(1.0))])]
    );
    assert_eq!(
        parse("a 1\n# EOF\n"),
        vec![fam(
            "a",
            "",
            MetricType::Unknown,
            vec![m(&[], Point::Unknown(1.0))]
        )]
    );
    assert_eq!(
        parse("# HELP redis_connected_clients Redis connected clients\n\
               # TYPE redis_connected_clients unknown\n\
               redis_connected_clients{instance=\"rough-snowflake-web\",port=\"6380\"} 10.0\n\
               redis_connected_clients{instance=\"rough-snowflake-web\",port=\"6381\"} 12.0\n# EOF\n"),
        vec![fam(
            "redis_connected_clients",
            "Redis connected clients",
            MetricType::Unknown,
            vec![
                m(&[("instance", "rough-snowflake-web"), ("port", "6380")], Point::Unknown(10.0)),
                m(&[("instance", "rough-snowflake-web"), ("port", "6381")], Point::Unknown(12.0)),
            ]
        )]
    );
}

#[test]
fn histograms() {
    let expected = vec![fam(
        "a",
        "help",
        MetricType::Histogram,
        vec![m(
            &[],
            Point::Histogram(hist(&[1.0, INF], &[0.0, 3.0], Some(3.0), Some(2.0))),
        )],
    )];
    assert_eq!(
        parse("# TYPE a histogram\n# HELP a help\na_bucket{le=\"1.0\"} 0\na_bucket{le=\"+Inf\"} 3\na_count 3\na_sum 2\n# EOF\n"),
        expected
    );
    assert_eq!(
        parse("# TYPE a histogram\n# HELP a help\na_bucket{le=\"1.0\"} 0.0\na_bucket{le=\"+Inf\"} 3.0\na_count 3.0\na_sum 2.0\n# EOF\n"),
        expected
    );
    // Non-canonical bounds are accepted.
    let f = parse(
        "# TYPE a histogram\n# HELP a help\na_bucket{le=\"0\"} 0\na_bucket{le=\"0.00000000001\"} 0\n\
         a_bucket{le=\"0.0000000001\"} 0\na_bucket{le=\"1e-04\"} 0\na_bucket{le=\"1.1e-4\"} 0\n\
         a_bucket{le=\"1.1e-3\"} 0\na_bucket{le=\"1.1e-2\"} 0\na_bucket{le=\"1\"} 0\n\
         a_bucket{le=\"1e+05\"} 0\na_bucket{le=\"10000000000\"} 0\na_bucket{le=\"100000000000.0\"} 0\n\
         a_bucket{le=\"+Inf\"} 3\na_count 3\na_sum 2\n# EOF\n",
    );
    let Point::Histogram(h) = &f[0].metrics[0].point else {
        panic!("{f:?}")
    };
    assert_eq!(h.bounds.as_slice().len(), 12);
    assert_eq!(
        parse("# TYPE a histogram\n# HELP a help\na_bucket{le=\"-1.0\"} 0\na_bucket{le=\"1.0\"} 1\na_bucket{le=\"+Inf\"} 3\n# EOF\n"),
        vec![fam(
            "a",
            "help",
            MetricType::Histogram,
            vec![m(&[], Point::Histogram(hist(&[-1.0, 1.0, INF], &[0.0, 1.0, 3.0], None, None)))]
        )]
    );
    let long = "2345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678";
    let f = parse(&format!(
        "# TYPE a histogram\n# HELP a help\na_bucket{{le=\"1.0\"}} 0 # {{a=\"b\"}} 0.5\n\
         a_bucket{{le=\"2.0\"}} 2 # {{a=\"c\"}} 0.5\na_bucket{{le=\"+Inf\"}} 3 # {{a=\"{long}\"}} 4 123\n# EOF\n"
    ));
    let mut h = hist(&[1.0, 2.0, INF], &[0.0, 2.0, 3.0], None, None);
    h.exemplars = vec![
        ex(&[("a", "b")], 0.5, None),
        ex(&[("a", "c")], 0.5, None),
        ex(&[("a", long)], 4.0, Some(123.0)),
    ];
    assert_eq!(
        f,
        vec![fam(
            "a",
            "help",
            MetricType::Histogram,
            vec![m(&[], Point::Histogram(h))]
        )]
    );
    // Exemplars on some buckets only; `#` inside label values.
    let f = parse(
        "# TYPE a histogram\n# HELP a help\na_bucket{le=\"1.0\",foo=\"bar # \"} 0 # {a=\"b\",foo=\"bar # bar\"} 0.5\n\
         a_bucket{le=\"2.0\",foo=\"bar # \"} 2\n\
         a_bucket{le=\"+Inf\",foo=\"bar # \"} 3 # {a=\"d\",foo=\"bar # bar\"} 4\n# EOF\n",
    );
    let mut h = hist(&[1.0, 2.0, INF], &[0.0, 2.0, 3.0], None, None);
    h.exemplars = vec![
        ex(&[("a", "b"), ("foo", "bar # bar")], 0.5, None),
        None,
        ex(&[("a", "d"), ("foo", "bar # bar")], 4.0, None),
    ];
    assert_eq!(
        f,
        vec![fam(
            "a",
            "help",
            MetricType::Histogram,
            vec![m(&[("foo", "bar # ")], Point::Histogram(h))]
        )]
    );
}

#[test]
fn gauge_histograms_and_counter_exemplars() {
    assert_eq!(
        parse("# TYPE a gaugehistogram\n# HELP a help\na_bucket{le=\"1.0\"} 0\na_bucket{le=\"+Inf\"} 3\na_gcount 3\na_gsum 2\n# EOF\n"),
        vec![fam(
            "a",
            "help",
            MetricType::GaugeHistogram,
            vec![m(&[], Point::GaugeHistogram(hist(&[1.0, INF], &[0.0, 3.0], Some(3.0), Some(2.0))))]
        )]
    );
    assert_eq!(
        parse("# TYPE a gaugehistogram\n# HELP a help\na_bucket{le=\"-1.0\"} 1\na_bucket{le=\"1.0\"} 2\na_bucket{le=\"+Inf\"} 3\na_gcount 3\na_gsum -5\n# EOF\n"),
        vec![fam(
            "a",
            "help",
            MetricType::GaugeHistogram,
            vec![m(&[], Point::GaugeHistogram(hist(&[-1.0, 1.0, INF], &[1.0, 2.0, 3.0], Some(3.0), Some(-5.0))))]
        )]
    );
    let f = parse(
        "# TYPE a gaugehistogram\n# HELP a help\na_bucket{le=\"1.0\"} 0 123 # {a=\"b\"} 0.5\n\
         a_bucket{le=\"2.0\"} 2 123 # {a=\"c\"} 0.5\na_bucket{le=\"+Inf\"} 3 123 # {a=\"d\"} 4 123\n# EOF\n",
    );
    let mut h = hist(&[1.0, 2.0, INF], &[0.0, 2.0, 3.0], None, None);
    h.exemplars = vec![
        ex(&[("a", "b")], 0.5, None),
        ex(&[("a", "c")], 0.5, None),
        ex(&[("a", "d")], 4.0, Some(123.0)),
    ];
    assert_eq!(
        f,
        vec![fam(
            "a",
            "help",
            MetricType::GaugeHistogram,
            vec![at(m(&[], Point::GaugeHistogram(h)), 123_000)]
        )]
    );
    let f = parse("# TYPE a counter\n# HELP a help\na_total 0 123 # {a=\"b\"} 0.5\n# EOF\n");
    let point = Point::Counter(CounterPoint {
        value: 0.0,
        created: None,
        exemplar: ex(&[("a", "b")], 0.5, None),
    });
    assert_eq!(
        f,
        vec![fam(
            "a",
            "help",
            MetricType::Counter,
            vec![at(m(&[], point), 123_000)]
        )]
    );
}

#[test]
fn info_stateset_and_timestamps() {
    assert_eq!(
        parse("# TYPE a info\n# HELP a help\na_info{foo=\"bar\"} 1\n# EOF\n"),
        vec![fam(
            "a",
            "help",
            MetricType::Info,
            vec![m(&[("foo", "bar")], Point::Info)]
        )]
    );
    assert_eq!(
        parse("# TYPE a info\n# HELP a help\na_info{a=\"1\",foo=\"bar\"} 1 1\na_info{a=\"2\",foo=\"bar\"} 1 0\n# EOF\n"),
        vec![fam(
            "a",
            "help",
            MetricType::Info,
            vec![
                at(m(&[("a", "1"), ("foo", "bar")], Point::Info), 1000),
                at(m(&[("a", "2"), ("foo", "bar")], Point::Info), 0),
            ]
        )]
    );
    assert_eq!(
        parse("# TYPE a stateset\n# HELP a help\na{a=\"bar\"} 0\na{a=\"foo\"} 1.0\n# EOF\n"),
        vec![fam(
            "a",
            "help",
            MetricType::StateSet,
            vec![m(
                &[],
                Point::StateSet(vec![("bar".into(), false), ("foo".into(), true)])
            )]
        )]
    );
    let f = parse(
        "# TYPE a counter\n# HELP a help\na_total{foo=\"1\"} 1 000\na_total{foo=\"2\"} 1 0.0\n\
         a_total{foo=\"3\"} 1 1.1\na_total{foo=\"5\"} 1 1.5e3\n# TYPE b counter\n# HELP b help\n\
         b_total 2 1234567890\n# EOF\n",
    );
    let ts: Vec<_> = f[0]
        .metrics
        .iter()
        .map(|m| m.timestamp.and_then(|t| t.as_millis()))
        .collect();
    assert_eq!(ts, [Some(0), Some(0), Some(1100), Some(1_500_000)]);
    assert_eq!(
        f[1].metrics[0].timestamp,
        Some(Timestamp::from_millis(1_234_567_890_000))
    );
    // Several points of one metric, in time order (the specification's example).
    let f = parse(
        "# TYPE foo_seconds summary\n# UNIT foo_seconds seconds\n\
         foo_seconds_count{a=\"bb\"} 0 123\nfoo_seconds_sum{a=\"bb\"} 0 123\n\
         foo_seconds_count{a=\"bb\"} 0 456\nfoo_seconds_sum{a=\"bb\"} 0 456\n\
         foo_seconds_count{a=\"ccc\"} 0 123\nfoo_seconds_sum{a=\"ccc\"} 0 123\n# EOF\n",
    );
    let points: Vec<_> = f[0]
        .metrics
        .iter()
        .map(|m| {
            let ms = m.timestamp.and_then(|t| t.as_millis());
            (m.labels.get("a").unwrap_or(""), ms)
        })
        .collect();
    assert_eq!(
        points,
        [
            ("bb", Some(123_000)),
            ("bb", Some(456_000)),
            ("ccc", Some(123_000))
        ]
    );
}

#[test]
fn labels_and_help_escaping() {
    let label = |text: &str| {
        let f = parse(&format!(
            "# TYPE a counter\n# HELP a help\na_total{{foo=\"{text}\",bar=\"baz\"}} 1\n# EOF\n"
        ));
        f[0].metrics[0].labels.get("foo").map(str::to_owned)
    };
    for (escaped, unescaped) in [
        ("foo", "foo"),
        ("\\foo", "\\foo"),
        ("\\\\foo", "\\foo"),
        ("foo\\\\", "foo\\"),
        ("\\\\", "\\"),
        ("\\n", "\n"),
        ("\\\\n", "\\n"),
        ("\\\\\\n", "\\\n"),
        ("\\\"", "\""),
        ("\\\\\\\"", "\\\""),
        ("", ""),
        ("b{a}z", "b{a}z"),
        ("} foo # bar # ", "} foo # bar # "),
    ] {
        assert_eq!(label(escaped).as_deref(), Some(unescaped), "{escaped:?}");
    }
    let help = |text: &str| {
        parse(&format!(
            "# TYPE a counter\n# HELP a {text}\na_total{{foo=\"bar\"}} 1\n# EOF\n"
        ))[0]
            .help
            .clone()
    };
    for (escaped, unescaped) in [
        ("foo", "foo"),
        ("\\foo", "\\foo"),
        ("\\\\foo", "\\foo"),
        ("foo\\\\", "foo\\"),
        ("\\n", "\n"),
        ("\\\\n", "\\n"),
        ("\\\\\\n", "\\\n"),
        ("\\\"", "\""),
        ("\\\\\"", "\\\""),
        ("\\\\\\\"", "\\\""),
        ("he\0lp", "he\0lp"),
    ] {
        assert_eq!(help(escaped), unescaped, "{escaped:?}");
    }
    let f = parse(
        "# TYPE a counter\n# HELP a he\\n\\\\l\\tp\n{\"a_total\", foo=\"b\\\"a\\nr\"} 1\n\
         {\"a_total\", foo=\"b\\\\a\\z\"} 2\n{\"a_total\", foo=\"b\\\"a\\nr # \"} 3\n\
         {\"a_total\", foo=\"b\\\\a\\z # \"} 4\n# EOF\n",
    );
    assert_eq!(f[0].help, "he\n\\l\\tp");
    let values: Vec<_> = f[0]
        .metrics
        .iter()
        .map(|m| m.labels.get("foo").unwrap_or("?").to_owned())
        .collect();
    assert_eq!(values, ["b\"a\nr", "b\\a\\z", "b\"a\nr # ", "b\\a\\z # "]);
}

/// Python's `test_roundtrip`: parsed, then written again.
#[test]
fn python_roundtrip() {
    let text = PYTHON_ROUNDTRIP;
    let families = parse(text);
    let mut out = String::new();
    encode_families(
        &mut out,
        &families,
        Format::OpenMetrics,
        &EncodeOptions::default().created(true),
    )
    .expect("writes to a String");
    // The same families come back; the text is the same lines, but a
    // summary's `_count` is written before its `_sum` (the typed model
    // keeps no order between them).
    assert_eq!(format!("{:?}", parse(&out)), format!("{families:?}"));
    let mut written: Vec<&str> = out.lines().collect();
    let mut read: Vec<&str> = text.lines().collect();
    assert_ne!(written, read);
    written.sort_unstable();
    read.sort_unstable();
    assert_eq!(written, read);
}

/// Every input Python's `test_invalid_input` rejects is rejected, with a
/// message and a line within the text.
#[test]
fn python_invalid_inputs_are_rejected() {
    let cases = [
        "",
        "a 1\n\n# EOF\n",
        "a 1\n# EOF\nblah",
        "a 1\n# EOFblah",
        "a{a=1} 1\n# EOF\n",
        "a{a=\"1} 1\n# EOF\n",
        "a{a='1'} 1\n# EOF\n",
        "\"a\" 1\n# EOF\n",
        "a{a} 1\n# EOF\n",
        "a{\"a} 1\n# EOF\n",
        "a{a\"value\"} 1\n# EOF\n",
        "a{a\"\"} 1\n# EOF\n",
        "a{a=} 1\n# EOF\n",
        "a{a=\"} 1\n# EOF\n",
        "a{a=\"1\"}1\n# EOF\n",
        "a{a=\"1\"b=\"2\"} 1\n# EOF\n",
        "a{a=\"1\",,b=\"2\"} 1\n# EOF\n",
        "a{a=\"1\",b=\"2\",} 1\n# EOF\n",
        "a{1=\"1\"} 1\n# EOF\n",
        "a{1=\"1\"}1\n# EOF\n",
        "a{a=\"1\",a=\"1\"} 1\n# EOF\n",
        "a{a=\"1\"b} 1\n# EOF\n",
        "a{1=\" # \"} 1\n# EOF\n",
        "a{a=\" # \",a=\" # \"} 1\n# EOF\n",
        "a{a=\" # \"}1\n# EOF\n",
        "a{a=\" # \",b=}1\n# EOF\n",
        "a{a=\" # \"b}1\n# EOF\n",
        "a\n# EOF\n",
        "a \n# EOF\n",
        "# HELP\n# EOF\n",
        "# HELP \n# EOF\n",
        "# HELP a\n# EOF\n",
        "# HELP a\t\n# EOF\n",
        " # HELP a meh\n# EOF\n",
        "# TYPE\n# EOF\n",
        "# TYPE \n# EOF\n",
        "# TYPE a\n# EOF\n",
        "# TYPE a\t\n# EOF\n",
        "# TYPE a meh\n# EOF\n",
        "# TYPE a meh \n# EOF\n",
        "# TYPE a gauge \n# EOF\n",
        "# TYPE a untyped\n# EOF\n",
        "# UNIT\n# EOF\n",
        "# UNIT \n# EOF\n",
        "# UNIT a\n# EOF\n",
        "# UNIT a\t\n# EOF\n",
        "# UNIT a seconds\n# EOF\n",
        "# UNIT a_seconds seconds \n# EOF\n",
        "# TYPE x_u info\n# UNIT x_u u\n# EOF\n",
        "# TYPE x_u stateset\n# UNIT x_u u\n# EOF\n",
        "# HELP a x\na 1\n# TYPE a gauge\n# EOF\n",
        "# TYPE a gauge\na 1\n# HELP a gauge\n# EOF\n",
        "# TYPE a_s gauge\na_s 1\n# UNIT a_s s\n# EOF\n",
        "# HELP a \n# HELP a \n# EOF\n",
        "# HELP a x\n# HELP a x\n# EOF\n",
        "# TYPE a untyped\n# TYPE a untyped\n# EOF\n",
        "# UNIT a_s s\n# UNIT a_s s\n# EOF\n",
        "# FOO a x\n# EOF\n",
        "0a 1\n# EOF\n",
        "a.b 1\n# EOF\n",
        "a-b 1\n# EOF\n",
        "a a\n# EOF\n",
        "a  1\n# EOF\n",
        "a 1\t\n# EOF\n",
        "a 1 \n# EOF\n",
        "a 1_2\n# EOF\n",
        "a 0x1p-3\n# EOF\n",
        "a 0x1P-3\n# EOF\n",
        "a 0b1\n# EOF\n",
        "a 0B1\n# EOF\n",
        "a 0x1\n# EOF\n",
        "a 0X1\n# EOF\n",
        "a 0o1\n# EOF\n",
        "a 0O1\n# EOF\n",
        "a 1 z\n# EOF\n",
        "a 1 1z\n# EOF\n",
        "a 1 1_2\n# EOF\n",
        "a 1 1.1.1\n# EOF\n",
        "a 1 NaN\n# EOF\n",
        "a 1 Inf\n# EOF\n",
        "a 1 +Inf\n# EOF\n",
        "a 1 -Inf\n# EOF\n",
        "a 1 0x1p-3\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1 #\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1# {} 1\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1 #{} 1\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1 # {}1\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1 # {} 1 \n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1 # {} 1 1 \n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1 # {a=\"23456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"} 1 1\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1 # {} 0x1p-3\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1 # {} 1 0x1p-3\n# EOF\n",
        "# TYPE a counter\na_total 1 1 # {id=\"a\"}  \n# EOF\n",
        "# TYPE a counter\na_total 1 1 # id=\"a\"} 1\n# EOF\n",
        "# TYPE a counter\na_total 1 1 #id=\" # \"} 1\n# EOF\n",
        "# TYPE a counter\na_total 1 1 id=\" # \"} 1\n# EOF\n",
        "# TYPE a histogram\na_sum 1 # {a=\"b\"} 0.5\n# EOF\n",
        "# TYPE a gaugehistogram\na_sum 1 # {a=\"b\"} 0.5\n# EOF\n",
        "# TYPE a_bucket gauge\na_bucket 1 # {a=\"b\"} 0.5\n# EOF\n",
        "# TYPE a counter\na_created 1 # {a=\"b\"} 0.5\n# EOF\n",
        "# TYPE a gauge\na 1 # {a=\"b\"} 1\n# EOF\n",
        "# TYPE a info\na_info 1 # {a=\"b\"} 1\n# EOF\n",
        "# TYPE a stateset\na{a=\"b\"} 1 # {c=\"d\"} 1\n# EOF\n",
        "# TYPE a stateset\na 2\n# EOF\n",
        "# TYPE a info\na 2\n# EOF\n",
        "# TYPE a stateset\na 2.0\n# EOF\n",
        "# TYPE a info\na 2.0\n# EOF\n",
        "# TYPE a summary\na 0\n# EOF\n",
        "# TYPE a summary\na{quantile=\"-1\"} 0\n# EOF\n",
        "# TYPE a summary\na{quantile=\"foo\"} 0\n# EOF\n",
        "# TYPE a summary\na{quantile=\"1.01\"} 0\n# EOF\n",
        "# TYPE a summary\na{quantile=\"NaN\"} 0\n# EOF\n",
        "# TYPE a histogram\na_bucket 0\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket 0\n# EOF\n",
        "# TYPE a stateset\na 0\n# EOF\n",
        "# TYPE a counter\na_total NaN\n# EOF\n",
        "# TYPE a counter\na_total -1\n# EOF\n",
        "# TYPE a histogram\na_sum NaN\n# EOF\n",
        "# TYPE a histogram\na_count NaN\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} NaN\n# EOF\n",
        "# TYPE a histogram\na_sum -1\n# EOF\n",
        "# TYPE a histogram\na_count -1\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} -1\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"-1.0\"} 1\na_bucket{le=\"+Inf\"} 2\na_sum -1\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"-1.0\"} 1\na_bucket{le=\"+Inf\"} 2\na_sum 1\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0.5\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0.5\na_count 0.5\na_sum 0\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} NaN\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} -1\na_gcount -1\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} -1\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gsum -1\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gsum NaN\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0.5\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0.5\na_gsum 0.5\na_gcount 0\n# EOF\n",
        "# TYPE a summary\na_sum NaN\n# EOF\n",
        "# TYPE a summary\na_count NaN\n# EOF\n",
        "# TYPE a summary\na_sum -1\n# EOF\n",
        "# TYPE a summary\na_count -1\n# EOF\n",
        "# TYPE a summary\na_count 0.5\n# EOF\n",
        "# TYPE a summary\na{quantile=\"0.5\"} -1\n# EOF\n",
        "# TYPE a info\na_info{foo=\"bar\"} 2\n# EOF\n",
        "# TYPE a stateset\na{a=\"bar\"} 2\n# EOF\n",
        "# TYPE a histogram\na_sum 1\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_sum 0\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_count 0\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"-1\"} 0\na_bucket{le=\"+Inf\"} 0\na_sum 0\na_count 0\n# EOF\n",
        "# TYPE a gaugehistogram\na_gsum 1\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0\na_gsum 0\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0\na_gcount 0\n# EOF\n",
        "# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_gsum -1\na_gcount 1\n# EOF\n",
        "# TYPE a histogram\na_count 1\na_bucket{le=\"+Inf\"} 0\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_count 1\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"+INF\"} 0\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"2\"} 0\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"1\"} 1\na_bucket{le=\"2\"} 1\na_bucket{le=\"+Inf\"} 0\n# EOF\n",
        "# TYPE a histogram\na_bucket {} {}",
        "# TYPE a histogram\na_sum{a=\"1\"} 0\na_sum{a=\"2\"} 0\na_count{a=\"1\"} 0\n# EOF\n",
        "# TYPE a histogram\na_bucket{a=\"1\",le=\"1\"} 0\na_bucket{a=\"2\",le=\"+Inf\"\"} 0\na_bucket{a=\"1\",le=\"+Inf\"} 0\n# EOF\n",
        "# TYPE a gaugehistogram\na_gsum{a=\"1\"} 0\na_gsum{a=\"2\"} 0\na_gcount{a=\"1\"} 0\n# EOF\n",
        "# TYPE a summary\nquantile{quantile=\"0\"} 0\na_sum{a=\"1\"} 0\nquantile{quantile=\"1\"} 0\n# EOF\n",
        "# TYPE a gauge\na 0 -1\na 0 -2\n# EOF\n",
        "# TYPE a gauge\na 0 -1\na 0 -1.1\n# EOF\n",
        "# TYPE a gauge\na 0 1\na 0 -1\n# EOF\n",
        "# TYPE a gauge\na 0 1.1\na 0 1\n# EOF\n",
        "# TYPE a gauge\na 0 1\na 0 0\n# EOF\n",
        "# TYPE a gauge\na 0\na 0 0\n# EOF\n",
        "# TYPE a gauge\na 0 0\na 0\n# EOF\n",
        "# TYPE a counter\n# TYPE a counter\n# EOF\n",
        "# TYPE a info\n# TYPE a counter\n# EOF\n",
        "# TYPE a_created gauge\n# TYPE a counter\n# EOF\n",
        "# TYPE nh histogram\nnh {count:24\n# EOF\n",
        "# TYPE nh histogram\nnh{} # {count:24\n# EOF\n",
    ];
    assert_eq!(cases.len(), 172);
    for text in cases {
        match parse_openmetrics(text) {
            Ok(f) => panic!("accepted {text:?}: {f:?}"),
            Err(e) => {
                let lines = text.split('\n').count();
                assert!(e.line() >= 1 && e.line() <= lines + 1, "{text:?}: {e}");
                assert!(!e.message().is_empty());
            }
        }
    }
}

/// The rules of the specification: each error names the line and the
/// problem.
#[test]
fn errors_name_the_line_and_the_problem() {
    let long = "x".repeat(127);
    let over = format!("# TYPE a counter\na_total 1 # {{id=\"{long}\"}} 1\n# EOF\n");
    let cases: &[(&str, usize, &str)] = &[
        ("a 1\n", 2, "missing `# EOF`"),
        ("a 1\n# EOF\nb 1\n", 3, "after `# EOF`"),
        ("a 1\n# EOF\n\n", 3, "after `# EOF`"),
        ("a 1\n\nb 1\n# EOF\n", 2, "blank line"),
        ("# random comment\n# EOF\n", 1, "comment"),
        ("# TYPE a gauge\n# TYPE a gauge\n# EOF\n", 2, "second TYPE"),
        ("# HELP a x\n# HELP a y\n# EOF\n", 2, "second HELP"),
        ("# UNIT a_s s\n# UNIT a_s s\n# EOF\n", 2, "second UNIT"),
        ("# TYPE a gauge\na 1\n# HELP a x\n# EOF\n", 3, "after its samples"),
        ("# TYPE a gauge\n# UNIT a seconds\n# EOF\n", 1, "not the suffix"),
        ("# TYPE a_u info\n# UNIT a_u u\n# EOF\n", 1, "has unit"),
        ("# TYPE a untyped\n# EOF\n", 1, "`unknown`"),
        ("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF\n", 5, "appears again"),
        ("# TYPE a_created gauge\n# TYPE a counter\n# EOF\n", 2, "clashes with gauge `a_created`"),
        ("# TYPE a counter\na 1\n# EOF\n", 2, "`a_total`"),
        ("# TYPE a counter\na_created 1\n# EOF\n", 2, "no `a_total`"),
        ("# TYPE a counter\na_total -1\n# EOF\n", 2, "negative"),
        ("# TYPE a counter\na_total NaN\n# EOF\n", 2, "NaN"),
        ("# TYPE a gauge\na 1 # {x=\"y\"} 1\n# EOF\n", 2, "exemplar on `a`"),
        ("# TYPE a histogram\na_count 1 # {x=\"y\"} 1\n# EOF\n", 2, "exemplar on `a_count`"),
        (&over, 2, "129 characters, more than the 128"),
        ("# TYPE a counter\na_total 1 # {x=\"y\"}\n# EOF\n", 2, "bad exemplar"),
        ("# TYPE a counter\na_total 1 # x\n# EOF\n", 2, "bad exemplar"),
        ("# TYPE a histogram\na_bucket{le=\"1\"} 1 # {} 2\na_bucket{le=\"+Inf\"} 1\n# EOF\n", 2, "above the bucket"),
        ("# TYPE a histogram\na_bucket{le=\"1\"} 1\na_count 1\na_sum 1\n# EOF\n", 4, "no `+Inf` bucket"),
        ("# TYPE a histogram\na_bucket{le=\"2\"} 1\na_bucket{le=\"1\"} 1\n# EOF\n", 3, "increasing order"),
        ("# TYPE a histogram\na_bucket{le=\"1\"} 2\na_bucket{le=\"+Inf\"} 1\n# EOF\n", 3, "cumulative"),
        ("# TYPE a histogram\na_bucket{le=\"+Inf\"} 2\na_count 3\na_sum 1\n# EOF\n", 4, "must be equal"),
        ("# TYPE a histogram\na_bucket{le=\"+Inf\"} 2\na_sum 1\n# EOF\n", 3, "no `_count`"),
        ("# TYPE a histogram\na_bucket{le=\"+Inf\"} 1.5\n# EOF\n", 2, "whole number"),
        ("# TYPE a histogram\na_bucket{le=\"+INF\"} 1\n# EOF\n", 2, "`+Inf`"),
        ("# TYPE a histogram\na_bucket 1\n# EOF\n", 2, "no `le` label"),
        ("# TYPE a histogram\na_count{le=\"1\"} 1\n# EOF\n", 2, "`le` label"),
        ("# TYPE a histogram\na_bucket{le=\"-1\"} 0\na_bucket{le=\"+Inf\"} 1\na_count 1\na_sum 1\n# EOF\n", 5, "negative buckets"),
        ("# TYPE a summary\na{quantile=\"1.5\"} 1\n# EOF\n", 2, "from 0 to 1"),
        ("# TYPE a summary\na{quantile=\"0.5\"} -1\n# EOF\n", 2, "negative"),
        ("# TYPE a summary\na_count 1.5\na_sum 1\n# EOF\n", 2, "whole number"),
        ("# TYPE a stateset\na{a=\"x\"} 2\n# EOF\n", 2, "0 or 1"),
        ("# TYPE a stateset\na{b=\"x\"} 1\n# EOF\n", 2, "no `a` label"),
        ("# TYPE a info\na_info{b=\"x\"} 2\n# EOF\n", 2, "always 1"),
        ("# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"1\"} 1\n# EOF\n", 4, "written earlier"),
        ("# TYPE a gauge\na 1 2\na 1 1\n# EOF\n", 3, "before the previous"),
        ("# TYPE a gauge\na 1 2\na 1\n# EOF\n", 3, "has no a timestamp"),
        ("# TYPE a gauge\na 1\na 2\n# EOF\n", 3, "given twice"),
        ("a{x=\"1\",x=\"2\"} 1\n# EOF\n", 1, "given twice"),
        ("a{__x=\"1\"} 1\n# EOF\n", 1, "reserved"),
        ("a{x=\"1\",} 1\n# EOF\n", 1, "trailing comma"),
        ("a{x=\"1\\\"} 1\n# EOF\n", 1, "no closing quote"),
        ("# HELP a bad\\\n# EOF\n", 1, "lone backslash"),
        ("a 1_000\n# EOF\n", 1, "invalid value `1_000`"),
        ("a 1e999\n# EOF\n", 1, "invalid value `1e999`"),
        ("a 1 NaN\n# EOF\n", 1, "invalid timestamp `NaN`"),
        ("0a 1\n# EOF\n", 1, "expected a metric name"),
        ("a-b 1\n# EOF\n", 1, "invalid character `-`"),
    ];
    for (text, line, message) in cases {
        let err = parse_openmetrics(text).expect_err(text);
        assert_eq!(err.line(), *line, "{text:?}: {err}");
        assert!(err.message().contains(message), "{text:?}: {err}");
    }
}

const PYTHON_ROUNDTRIP: &str = r#"# HELP go_gc_duration_seconds A summary of the GC invocation durations.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0.0"} 0.013300656000000001
go_gc_duration_seconds{quantile="0.25"} 0.013638736
go_gc_duration_seconds{quantile="0.5"} 0.013759906
go_gc_duration_seconds{quantile="0.75"} 0.013962066
go_gc_duration_seconds{quantile="1.0"} 0.021383540000000003
go_gc_duration_seconds_sum 56.12904785
go_gc_duration_seconds_count 7476.0
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 166.0
# HELP prometheus_local_storage_indexing_batch_duration_milliseconds Quantiles for batch indexing duration in milliseconds.
# TYPE prometheus_local_storage_indexing_batch_duration_milliseconds summary
prometheus_local_storage_indexing_batch_duration_milliseconds{quantile="0.5"} NaN
prometheus_local_storage_indexing_batch_duration_milliseconds{quantile="0.9"} NaN
prometheus_local_storage_indexing_batch_duration_milliseconds{quantile="0.99"} NaN
prometheus_local_storage_indexing_batch_duration_milliseconds_sum 871.5665949999999
prometheus_local_storage_indexing_batch_duration_milliseconds_count 229.0
# HELP process_cpu_seconds Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds counter
process_cpu_seconds_total 29323.4
# HELP process_virtual_memory_bytes Virtual memory size in bytes.
# TYPE process_virtual_memory_bytes gauge
process_virtual_memory_bytes 2.478268416e+09
# HELP prometheus_build_info A metric with a constant '1' value labeled by version, revision, and branch from which Prometheus was built.
# TYPE prometheus_build_info gauge
prometheus_build_info{branch="HEAD",revision="ef176e5",version="0.16.0rc1"} 1.0
# HELP prometheus_local_storage_chunk_ops The total number of chunk operations by their type.
# TYPE prometheus_local_storage_chunk_ops counter
prometheus_local_storage_chunk_ops_total{type="clone"} 28.0
prometheus_local_storage_chunk_ops_total{type="create"} 997844.0
prometheus_local_storage_chunk_ops_total{type="drop"} 1.345758e+06
prometheus_local_storage_chunk_ops_total{type="load"} 1641.0
prometheus_local_storage_chunk_ops_total{type="persist"} 981408.0
prometheus_local_storage_chunk_ops_total{type="pin"} 32662.0
prometheus_local_storage_chunk_ops_total{type="transcode"} 980180.0
prometheus_local_storage_chunk_ops_total{type="unpin"} 32662.0
# HELP foo histogram Testing histogram buckets
# TYPE foo histogram
foo_bucket{le="0.0"} 0.0
foo_bucket{le="1e-05"} 0.0
foo_bucket{le="0.0001"} 0.0
foo_bucket{le="0.1"} 8.0
foo_bucket{le="1.0"} 10.0
foo_bucket{le="10.0"} 17.0
foo_bucket{le="100000.0"} 17.0
foo_bucket{le="1e+06"} 17.0
foo_bucket{le="1.55555555555552e+06"} 17.0
foo_bucket{le="1e+23"} 17.0
foo_bucket{le="+Inf"} 17.0
foo_count 17.0
foo_sum 324789.3
foo_created 1.520430000123e+09
# HELP bar histogram Testing with labels
# TYPE bar histogram
bar_bucket{a="b",le="+Inf"} 0.0
bar_bucket{a="c",le="+Inf"} 0.0
# EOF
"#;
