//! The text format parser: round trips of what the encoder writes, the
//! cases of Python's parser tests, errors with line numbers, and no panic
//! on garbage.

use std::sync::Arc;

use promscribe::{
    encode_text, encode_text_families, parse_text, Buckets, Counter, CounterMetricFamily, Family,
    Gauge, GaugeHistogramMetricFamily, GaugeMetricFamily, Histogram, HistogramMetricFamily,
    InfoMetricFamily, MetricFamily, MetricType, Opts, Registry, Sample, StateSetMetricFamily,
    Summary, SummaryMetricFamily, Timestamp, UnknownMetricFamily,
};

struct Fixed(Vec<MetricFamily>);

impl promscribe::Collector for Fixed {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        out.extend(self.0.iter().cloned());
    }
}

/// A registry holding every kind of family the encoder writes.
fn everything() -> Registry {
    let r = Registry::new();
    let c = Counter::new("jobs_total", "Jobs run").expect("valid test input");
    c.inc_by(3.5).expect("valid test input");
    r.register(c).expect("valid test input");
    let g = Gauge::new("temperature_celsius", "Temperature\nwith \\ escapes")
        .expect("valid test input");
    g.set(-12.25);
    r.register(g).expect("valid test input");
    let h = Histogram::with_opts(
        Opts::new("latency_seconds", "Latency"),
        Buckets::new([0.1, 1.0]).expect("valid test input"),
    )
    .expect("valid test input");
    h.observe(0.05);
    h.observe(3.0);
    r.register(h).expect("valid test input");
    let s = Summary::new("rpc_seconds", "RPC").expect("valid test input");
    s.observe(0.25);
    r.register(s).expect("valid test input");
    let hits = Family::<Counter, 2>::new(Opts::new("hits", "Hits").labels(["path", "code"]))
        .expect("valid test input");
    hits.labels(["/a\"b\\c\nd", "200"]).inc();
    hits.labels(["/", "500"]).inc_by_u64(7);
    r.register(hits).expect("valid test input");

    let mut custom = Vec::new();
    let mut gh = GaugeHistogramMetricFamily::new("queue_age_seconds", "Age", &["queue"])
        .expect("valid test input");
    gh.add_metric(&["mail"], &[(60.0, 3.0), (f64::INFINITY, 5.0)], 420.0)
        .expect("valid test input");
    gh.add_metric(&["sms"], &[(60.0, 0.0), (f64::INFINITY, 1.0)], 61.5)
        .expect("valid test input");
    custom.push(gh.into());
    let mut u = UnknownMetricFamily::new("legacy", "", &["x"]).expect("valid test input");
    u.add_metric_with(
        &["1"],
        f64::INFINITY,
        Some(Timestamp::from_millis(1_700_000_000_123)),
    )
    .expect("valid test input");
    u.add_metric(&["2"], 1e-7).expect("valid test input");
    custom.push(u.into());
    let mut hf =
        HistogramMetricFamily::new("neg", "Negative buckets", &[]).expect("valid test input");
    hf.add_metric_with(&[], &[(-1.0, 1.0), (f64::INFINITY, 2.0)], None, None, None)
        .expect("valid test input");
    custom.push(hf.into());
    custom.push(
        GaugeMetricFamily::with_value("empty_help_gauge", "", 0.0)
            .expect("valid test input")
            .into(),
    );
    let mut cf = CounterMetricFamily::new("c", "C", &[]).expect("valid test input");
    cf.add_metric_with(&[], 1.0, Some(1.5e9), Some(Timestamp::from_millis(-5)))
        .expect("valid test input");
    custom.push(cf.into());
    let mut sf = SummaryMetricFamily::new("sf", "SF", &["a"]).expect("valid test input");
    sf.add_metric(&["x"], 2.0, 1.0).expect("valid test input");
    custom.push(sf.into());
    r.register(Arc::new(Fixed(custom)))
        .expect("valid test input");
    r
}

/// Samples sorted by name and labels, for comparisons that ignore where
/// the encoder moved `_created` samples.
fn normalised(mut families: Vec<MetricFamily>) -> Vec<MetricFamily> {
    for f in &mut families {
        f.samples()
            .sort_by(|a, b| (a.name.as_str(), &a.labels).cmp(&(b.name.as_str(), &b.labels)));
    }
    families
}

#[test]
fn round_trip_of_every_kind() {
    let r = everything();
    let families = r.gather();
    let text = encode_text(&r);
    let parsed = parse_text(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(normalised(parsed.clone()), normalised(families), "{text}");
    // And the text is a fixed point.
    let mut again = String::new();
    encode_text_families(&mut again, &parsed);
    assert_eq!(again, text);
}

#[test]
fn families_with_ordered_samples_round_trip_exactly() {
    // One child each: the `_created` samples stay last.
    let mut c = CounterMetricFamily::new("a_total", "A", &["l"]).unwrap();
    c.add_metric_with(&["v"], 2.0, Some(1.25e9), None).unwrap();
    let h =
        HistogramMetricFamily::with_buckets("b", "B", &[(0.5, 1.0), (f64::INFINITY, 1.0)], 0.25)
            .unwrap();
    let mut gh = GaugeHistogramMetricFamily::new("g", "G", &[]).unwrap();
    gh.add_metric(&[], &[(f64::INFINITY, 2.0)], -3.0).unwrap();
    let families: Vec<MetricFamily> = vec![c.into(), h.into(), gh.into()];
    let mut text = String::new();
    encode_text_families(&mut text, &families);
    assert_eq!(parse_text(&text).unwrap(), families);
}

#[test]
fn info_and_stateset_come_back_as_gauges() {
    let i = InfoMetricFamily::with_value("build", "Build", &[("version", "1")]).unwrap();
    let s = StateSetMetricFamily::with_value("mode", "Mode", &[("a", true), ("b", false)]).unwrap();
    let (i, s): (MetricFamily, MetricFamily) = (i.into(), s.into());
    let mut text = String::new();
    encode_text_families(&mut text, &[i.clone(), s.clone()]);
    let parsed = parse_text(&text).unwrap();
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[0].name, "build_info");
    assert_eq!(parsed[0].kind, MetricType::Gauge);
    assert_eq!(parsed[0].samples(), i.samples());
    assert_eq!(parsed[1].name, "mode");
    assert_eq!(parsed[1].kind, MetricType::Gauge);
    assert_eq!(parsed[1].samples(), s.samples());
}

fn sample(name: &str, labels: &[(&str, &str)], value: f64) -> Sample {
    Sample::new(
        name,
        labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        value,
    )
}

fn family(name: &str, help: &str, kind: MetricType, samples: Vec<Sample>) -> MetricFamily {
    MetricFamily::from_samples(name, help, kind, samples).expect("fits the family")
}

#[test]
fn python_parser_cases() {
    use MetricType::*;
    let cases: Vec<(&str, Vec<MetricFamily>)> = vec![
        (
            "# TYPE a counter\n# HELP a help\na 1\n",
            vec![family("a", "help", Counter, vec![sample("a_total", &[], 1.0)])],
        ),
        (
            "# TYPE a counter\n# HELP a help\na_total 1\n",
            // `a_total` is not a sample of the family typed `a`.
            vec![
                family("a", "help", Counter, vec![]),
                family("a_total", "", Unknown, vec![sample("a_total", &[], 1.0)]),
            ],
        ),
        (
            "# HELP a_total help\n# TYPE a_total counter\na_total 1\n",
            vec![family("a", "help", Counter, vec![sample("a_total", &[], 1.0)])],
        ),
        (
            "# TYPE a gauge\n# HELP a help\na 1\n",
            vec![family("a", "help", Gauge, vec![sample("a", &[], 1.0)])],
        ),
        (
            "# TYPE a summary\n# HELP a help\na_count 1\na_sum 2\na{quantile=\"0.5\"} 0.7\n",
            vec![family(
                "a",
                "help",
                Summary,
                vec![
                    sample("a_count", &[], 1.0),
                    sample("a_sum", &[], 2.0),
                    sample("a", &[("quantile", "0.5")], 0.7),
                ],
            )],
        ),
        (
            "# TYPE a histogram\n# HELP a help\na_count 1\na_sum 2\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 3\n",
            vec![family(
                "a",
                "help",
                Histogram,
                vec![
                    sample("a_count", &[], 1.0),
                    sample("a_sum", &[], 2.0),
                    sample("a_bucket", &[("le", "1")], 0.0),
                    sample("a_bucket", &[("le", "+Inf")], 3.0),
                ],
            )],
        ),
        (
            "# HELP redis_connected_clients Redis connected clients\n\
             # TYPE redis_connected_clients untyped\n\
             redis_connected_clients{instance=\"rough-snowflake-web\",port=\"6380\"} 10.0\n\
             redis_connected_clients{instance=\"rough-snowflake-web\",port=\"6381\"} 12.0\n",
            vec![family(
                "redis_connected_clients",
                "Redis connected clients",
                Unknown,
                vec![
                    sample(
                        "redis_connected_clients",
                        &[("instance", "rough-snowflake-web"), ("port", "6380")],
                        10.0,
                    ),
                    sample(
                        "redis_connected_clients",
                        &[("instance", "rough-snowflake-web"), ("port", "6381")],
                        12.0,
                    ),
                ],
            )],
        ),
        (
            "# TYPE a counter\n# FOO a\n# BAR b\n# HELP a help\n\na 1\n",
            vec![family("a", "help", Counter, vec![sample("a_total", &[], 1.0)])],
        ),
        (
            "#\tTYPE\ta\tcounter\n#\tHELP\ta\thelp\na\t1\n",
            vec![family("a", "help", Counter, vec![sample("a_total", &[], 1.0)])],
        ),
        (
            "# TYPE a counter\n# HELP a help\na{foo=\"bar\",} 1\na{foo=\"baz\",  } 1\n\
             # TYPE b counter\n# HELP b help\nb{,} 2\n",
            vec![
                family(
                    "a",
                    "help",
                    Counter,
                    vec![
                        sample("a_total", &[("foo", "bar")], 1.0),
                        sample("a_total", &[("foo", "baz")], 1.0),
                    ],
                ),
                family("b", "help", Counter, vec![sample("b_total", &[], 2.0)]),
            ],
        ),
        (
            "a{foo=\"bar\"} 1\na{foo=\"\"} 2\n",
            vec![family(
                "a",
                "",
                Unknown,
                vec![sample("a", &[("foo", "bar")], 1.0), sample("a", &[("foo", "")], 2.0)],
            )],
        ),
        (
            "# HELP a he\\n\\\\l\\tp\n# TYPE a counter\na{foo=\"b\\\"a\\nr\"} 1\na{foo=\"b\\\\a\\z\"} 2\n",
            vec![family(
                "a",
                "he\n\\l\\tp",
                Counter,
                vec![
                    sample("a_total", &[("foo", "b\"a\nr")], 1.0),
                    sample("a_total", &[("foo", "b\\a\\z")], 2.0),
                ],
            )],
        ),
        // Windows line endings and surrounding blanks.
        (
            "  # TYPE a gauge\r\n  a 1  \r\n",
            vec![family("a", "", Gauge, vec![sample("a", &[], 1.0)])],
        ),
    ];
    for (text, want) in cases {
        let got = parse_text(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(got, want, "{text:?}");
    }
}

#[test]
fn infinities_nan_and_timestamps() {
    let f = parse_text(
        "a{foo=\"bar\"} +Inf\na{foo=\"baz\"} -Inf\na{foo=\"q\"} NaN\n\
         a{foo=\"t\"} 1\t000\na{foo=\"u\"} 2  -1234567890\n",
    )
    .unwrap();
    let s = &f[0].samples();
    assert_eq!(s[0].value, f64::INFINITY);
    assert_eq!(s[1].value, f64::NEG_INFINITY);
    assert!(s[2].value.is_nan());
    assert_eq!(
        (s[3].value, s[3].timestamp),
        (1.0, Some(Timestamp::UNIX_EPOCH))
    );
    assert_eq!(
        (s[4].value, s[4].timestamp),
        (2.0, Some(Timestamp::from_millis(-1_234_567_890)))
    );
}

#[test]
fn created_gauges_are_merged_only_where_the_encoder_puts_them() {
    // Different help: kept apart.
    let text = "# HELP a_total A\n# TYPE a_total counter\na_total 1\n\
                # HELP a_created other\n# TYPE a_created gauge\na_created 5\n";
    let f = parse_text(text).unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[1].name, "a_created");
    // After a gauge: kept apart.
    let text = "# HELP a A\n# TYPE a gauge\na 1\n# HELP a_created A\n# TYPE a_created gauge\na_created 5\n";
    assert_eq!(parse_text(text).unwrap().len(), 2);
    // `_gsum` after a histogram with `_sum`: not a gauge histogram.
    let text = "# HELP h H\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n\
                # HELP h_gsum H\n# TYPE h_gsum gauge\nh_gsum 1\n";
    let f = parse_text(text).unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].kind, MetricType::Histogram);
}

#[test]
fn errors_name_the_line() {
    let cases = [
        (
            "# TYPE a gauge\na 1\na{b=\"c\" 2\n",
            3,
            "expected `,` or `}`",
        ),
        ("a{}\n", 1, "has no value"),
        ("a{foo=\"bar\"}\n", 1, "has no value"),
        ("a 1 2 3\n", 1, "unexpected text `3`"),
        ("a x\n", 1, "invalid value `x`"),
        ("a 1 1.5\n", 1, "invalid timestamp `1.5`"),
        ("a{foo=\"bar\",,} 1\n", 1, "expected a label name"),
        ("a{foo=\"bar\"\n", 1, "not closed"),
        ("a{foo=bar} 1\n", 1, "must be quoted"),
        ("a{foo\"bar\"} 1\n", 1, "expected `=`"),
        ("a{foo=\"bar\\\"} 1\n", 1, "unterminated"),
        ("a{a=\"1\",a=\"2\"} 1\n", 1, "given twice"),
        ("# TYPE a gauge\n# TYPE a counter\n", 2, "second TYPE line"),
        ("# HELP a x\n# HELP a x\n", 2, "second HELP line"),
        ("a 1\n# TYPE a gauge\n", 2, "after its samples"),
        ("# TYPE a info\n", 1, "unknown type `info`"),
        ("# TYPE a gauge extra\n", 1, "unexpected text `extra`"),
        ("# TYPE 0a gauge\n", 1, "invalid metric name `0a`"),
        ("# HELP\n", 1, "HELP line without a metric name"),
        ("é 1\n", 1, "expected a metric name"),
        ("a.b 1\n", 1, "invalid character `.`"),
    ];
    for (text, line, msg) in cases {
        let err = parse_text(text).expect_err(text);
        assert_eq!(err.line(), line, "{text:?}: {err}");
        assert!(err.message().contains(msg), "{text:?}: {err}");
        assert_eq!(err.to_string(), format!("line {line}: {}", err.message()));
    }
}

#[test]
fn never_panics_on_garbage_or_truncated_input() {
    let valid = encode_text(&everything());
    // Every prefix and suffix (at char boundaries) of a valid exposition.
    for (i, _) in valid.char_indices() {
        let _ = parse_text(&valid[..i]);
        let _ = parse_text(&valid[i..]);
    }
    // Random mutations of it, and random strings over a nasty alphabet.
    let alphabet: Vec<char> = "#{}=\",\\ \t\n\r_:aZ09.+-eEInfNaH TYPEHELP\u{0}é€😀"
        .chars()
        .collect();
    let valid_chars: Vec<char> = valid.chars().collect();
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..3000 {
        let mut chars = valid_chars.clone();
        for _ in 0..rng.usize(1..8) {
            let at = rng.usize(..chars.len());
            let c = alphabet[rng.usize(..alphabet.len())];
            match rng.u8(..3) {
                0 => chars[at] = c,
                1 => chars.insert(at, c),
                _ => {
                    chars.remove(at);
                }
            }
        }
        let text: String = chars.into_iter().collect();
        let _ = parse_text(&text);
        let garbage: String = (0..rng.usize(..200))
            .map(|_| alphabet[rng.usize(..alphabet.len())])
            .collect();
        let _ = parse_text(&garbage);
    }
}
