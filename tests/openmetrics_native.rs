//! Native histograms in the text formats.
//!
//! OpenMetrics 2.0.0 ([`Format::OpenMetrics2_0_0`]): the native-histogram
//! cases of Python's `tests/openmetrics/test_exposition.py`
//! (prometheus/client_python, `TestGenerateText`: `test_native_histogram`,
//! `test_nh_histogram_with_exemplars`, `test_nh_no_observation`,
//! `test_nh_longer_spans`, `test_native_histogram_utf8`,
//! `test_native_histogram_utf8_stress`, `test_native_histogram_with_labels`,
//! `test_native_histogram_with_labels_utf8`,
//! `test_native_histogram_with_classic_histogram`,
//! `test_native_plus_classic_histogram_two_labelsets`, its `_OM_1` twin and
//! `test_native_histogram_version_comparison`), byte for byte. Python's
//! `NativeHistogram` takes spans and deltas; [`native`] turns them into the
//! model's absolute `(index, count)` buckets, every bucket a span lists
//! kept, as Python writes them back. Python sorts a sample's labels when it
//! writes them; the model keeps them in the order given, so they are given
//! here in Python's output order.
//!
//! Text 0.0.4, text 1.0.0 and OpenMetrics 1.0.0 write a histogram with
//! native buckets as client_golang's `expfmt` does: its classic buckets,
//! or, with none, one `+Inf` bucket counting every observation, then
//! `_count` and `_sum`.

use std::sync::Arc;

use promscribe::{
    encode_families, parse_openmetrics, EncodeOptions, EscapingScheme, Exemplar, Format,
    HistogramPoint, LabelSet, Metric, MetricFamily, MetricType, NativeBuckets, Point, Timestamp,
};

/// Python's `NativeHistogram(count, sum, schema, zero_threshold,
/// zero_count, pos_spans, neg_spans, pos_deltas, neg_deltas)` as a
/// histogram point with no classic buckets.
#[allow(clippy::too_many_arguments)]
fn nh(
    count: u64,
    sum: f64,
    schema: i32,
    zero_threshold: f64,
    zero_count: u64,
    pos: (&[(i32, u32)], &[i64]),
    neg: (&[(i32, u32)], &[i64]),
) -> HistogramPoint {
    HistogramPoint {
        bounds: Vec::new().into(),
        counts: Vec::new(),
        count: Some(count as f64),
        sum: Some(sum),
        created: None,
        exemplars: Vec::new(),
        native: Some(Box::new(NativeBuckets {
            schema,
            zero_threshold,
            zero_count,
            positive: native(pos.0, pos.1),
            negative: native(neg.0, neg.1),
            exemplars: Vec::new(),
        })),
    }
}

/// Spans `(offset, length)` and deltas as absolute `(index, count)`.
fn native(spans: &[(i32, u32)], deltas: &[i64]) -> Vec<(i32, u64)> {
    let mut out = Vec::new();
    let mut deltas = deltas.iter();
    let (mut index, mut count) = (0i32, 0i64);
    for &(offset, length) in spans {
        index += offset;
        for _ in 0..length {
            count += deltas.next().copied().expect("a delta per bucket");
            out.push((index, u64::try_from(count).expect("a count")));
            index += 1;
        }
    }
    assert!(deltas.next().is_none(), "a bucket per delta");
    out
}

/// Python's usual test histogram: `NativeHistogram(24, 100, 0, 0.001, 4,
/// (BucketSpan(0, 2), BucketSpan(1, 2)), (BucketSpan(0, 2), BucketSpan(1,
/// 2)), (2, 1, -3, 3), (2, 1, -2, 3))`.
fn nh24() -> HistogramPoint {
    let spans: &[(i32, u32)] = &[(0, 2), (1, 2)];
    nh(
        24,
        100.0,
        0,
        0.001,
        4,
        (spans, &[2, 1, -3, 3]),
        (spans, &[2, 1, -2, 3]),
    )
}

/// Its rendering.
const NH24: &str = "{count:24,sum:100,schema:0,zero_threshold:0.001,zero_count:4,\
    negative_spans:[0:2,1:2],negative_deltas:[2,1,-2,3],\
    positive_spans:[0:2,1:2],positive_deltas:[2,1,-3,3]}";

fn family(
    name: &str,
    help: &str,
    metrics: Vec<(Vec<(&str, &str)>, HistogramPoint)>,
) -> MetricFamily {
    let mut f = MetricFamily::new(name, help, MetricType::Histogram);
    for (labels, p) in metrics {
        f.metrics.push(Metric {
            labels: LabelSet::new(labels),
            point: Point::Histogram(p),
            timestamp: None,
        });
    }
    f
}

fn encode(families: &[MetricFamily], format: Format, escaping: EscapingScheme) -> String {
    let mut out = String::new();
    let options = EncodeOptions::default().created(false).escaping(escaping);
    encode_families(&mut out, families, format, &options).expect("a String never fails");
    out
}

/// Python's `generate_latest(registry, version="2.0.0")`.
fn om2(families: &[MetricFamily]) -> String {
    encode(
        families,
        Format::OpenMetrics2_0_0,
        EscapingScheme::Underscores,
    )
}

/// Python's `generate_latest(registry, ALLOWUTF8, version="2.0.0")`.
fn om2_utf8(families: &[MetricFamily]) -> String {
    encode(
        families,
        Format::OpenMetrics2_0_0,
        EscapingScheme::AllowUtf8,
    )
}

/// Python's `generate_latest(registry, version="1.0.0")`.
fn om1(families: &[MetricFamily]) -> String {
    encode(families, Format::OpenMetrics, EscapingScheme::Underscores)
}

/// `nh24` with the classic buckets of Python's
/// `test_native_histogram_with_classic_histogram`: `le="0.001"` 4, `+Inf`
/// 24, `_count` 24, `_sum` 100.
fn nh24_classic() -> HistogramPoint {
    let mut p = nh24();
    p.bounds = vec![0.001, f64::INFINITY].into();
    p.counts = vec![4.0, 24.0];
    p
}

#[test]
fn test_native_histogram() {
    let f = family("nh", "nh", vec![(vec![], nh24())]);
    assert_eq!(
        om2(&[f]),
        format!("# HELP nh nh\n# TYPE nh histogram\nnh {NH24}\n# EOF\n")
    );
}

#[test]
fn test_nh_histogram_with_exemplars() {
    let mut p = nh24();
    let native = p.native.as_mut().expect("native");
    native.exemplars = vec![
        Arc::new(Exemplar {
            labels: vec![("trace_id".into(), "KOO5S4vxi0o".into())],
            value: 0.67,
            timestamp: None,
        }),
        Arc::new(Exemplar {
            labels: vec![("trace_id".into(), "oHg5SJYRHA0".into())],
            value: 9.8,
            timestamp: Some(1520879607.789),
        }),
    ];
    let f = family("nh", "nh", vec![(vec![], p)]);
    assert_eq!(
        om2(&[f]),
        format!(
            "# HELP nh nh\n# TYPE nh histogram\nnh {NH24} # {{trace_id=\"KOO5S4vxi0o\"}} 0.67 \
             # {{trace_id=\"oHg5SJYRHA0\"}} 9.8 1520879607.789\n# EOF\n"
        )
    );
}

#[test]
fn test_nh_no_observation() {
    let p = nh(0, 0.0, 3, 2.938735877055719e-39, 0, (&[], &[]), (&[], &[]));
    let f = family("nhnoobs", "nhnoobs", vec![(vec![], p)]);
    assert_eq!(
        om2(&[f]),
        "# HELP nhnoobs nhnoobs\n# TYPE nhnoobs histogram\n\
         nhnoobs {count:0,sum:0,schema:3,zero_threshold:2.938735877055719e-39,zero_count:0}\n\
         # EOF\n"
    );
}

#[test]
fn test_nh_longer_spans() {
    let p = nh(
        4,
        6.0,
        3,
        2.938735877055719e-39,
        1,
        (&[(0, 1), (7, 1), (4, 1)], &[1, 0, 0]),
        (&[], &[]),
    );
    let f = family(
        "nhsp",
        "Is a basic example of a native histogram with three spans",
        vec![(vec![], p)],
    );
    assert_eq!(
        om2(&[f]),
        "# HELP nhsp Is a basic example of a native histogram with three spans\n\
         # TYPE nhsp histogram\n\
         nhsp {count:4,sum:6,schema:3,zero_threshold:2.938735877055719e-39,zero_count:1,\
         positive_spans:[0:1,7:1,4:1],positive_deltas:[1,0,0]}\n\
         # EOF\n"
    );
}

#[test]
fn test_native_histogram_utf8() {
    let f = family(
        "native{histogram",
        "Is a basic example of a native histogram",
        vec![(vec![], nh24())],
    );
    assert_eq!(
        om2_utf8(&[f]),
        format!(
            "# HELP \"native{{histogram\" Is a basic example of a native histogram\n\
             # TYPE \"native{{histogram\" histogram\n\
             {{\"native{{histogram\"}} {NH24}\n# EOF\n"
        )
    );
}

#[test]
fn test_native_histogram_utf8_stress() {
    let f = family(
        "native{histogram",
        "Is a basic example of a native histogram",
        vec![(vec![("xx{} # {}", " EOF # {}}}")], nh24())],
    );
    assert_eq!(
        om2_utf8(&[f]),
        format!(
            "# HELP \"native{{histogram\" Is a basic example of a native histogram\n\
             # TYPE \"native{{histogram\" histogram\n\
             {{\"native{{histogram\",\"xx{{}} # {{}}\"=\" EOF # {{}}}}}}\"}} {NH24}\n# EOF\n"
        )
    );
}

#[test]
fn test_native_histogram_with_labels() {
    let f = family(
        "hist_w_labels",
        "Is a basic example of a native histogram with labels",
        vec![(vec![("baz", "qux"), ("foo", "bar")], nh24())],
    );
    assert_eq!(
        om2(&[f]),
        format!(
            "# HELP hist_w_labels Is a basic example of a native histogram with labels\n\
             # TYPE hist_w_labels histogram\n\
             hist_w_labels{{baz=\"qux\",foo=\"bar\"}} {NH24}\n# EOF\n"
        )
    );
}

#[test]
fn test_native_histogram_with_labels_utf8() {
    let f = family(
        "hist.w.labels",
        "Is a basic example of a native histogram with labels",
        vec![(vec![("baz", "qux"), ("foo", "bar")], nh24())],
    );
    assert_eq!(
        om2_utf8(&[f]),
        format!(
            "# HELP \"hist.w.labels\" Is a basic example of a native histogram with labels\n\
             # TYPE \"hist.w.labels\" histogram\n\
             {{\"hist.w.labels\",baz=\"qux\",foo=\"bar\"}} {NH24}\n# EOF\n"
        )
    );
}

#[test]
fn test_native_histogram_with_classic_histogram() {
    let f = family(
        "hist_w_classic",
        "Is a basic example of a native histogram coexisting with a classic histogram",
        vec![(vec![("foo", "bar")], nh24_classic())],
    );
    assert_eq!(
        om2(&[f]),
        format!(
            "# HELP hist_w_classic Is a basic example of a native histogram coexisting with a \
             classic histogram\n\
             # TYPE hist_w_classic histogram\n\
             hist_w_classic{{foo=\"bar\"}} {NH24}\n\
             hist_w_classic_bucket{{foo=\"bar\",le=\"0.001\"}} 4.0\n\
             hist_w_classic_bucket{{foo=\"bar\",le=\"+Inf\"}} 24.0\n\
             hist_w_classic_count{{foo=\"bar\"}} 24.0\n\
             hist_w_classic_sum{{foo=\"bar\"}} 100.0\n\
             # EOF\n"
        )
    );
}

fn two_labelsets(help: &str) -> MetricFamily {
    family(
        "hist_w_classic_two_sets",
        help,
        vec![
            (vec![("foo", "bar")], nh24_classic()),
            (vec![("foo", "baz")], nh24_classic()),
        ],
    )
}

#[test]
fn test_native_plus_classic_histogram_two_labelsets() {
    let help = "Is an example of a native histogram plus a classic histogram with two label sets";
    let mut want = format!(
        "# HELP hist_w_classic_two_sets {help}\n# TYPE hist_w_classic_two_sets histogram\n"
    );
    for v in ["bar", "baz"] {
        want += &format!(
            "hist_w_classic_two_sets{{foo=\"{v}\"}} {NH24}\n\
             hist_w_classic_two_sets_bucket{{foo=\"{v}\",le=\"0.001\"}} 4.0\n\
             hist_w_classic_two_sets_bucket{{foo=\"{v}\",le=\"+Inf\"}} 24.0\n\
             hist_w_classic_two_sets_count{{foo=\"{v}\"}} 24.0\n\
             hist_w_classic_two_sets_sum{{foo=\"{v}\"}} 100.0\n"
        );
    }
    want += "# EOF\n";
    assert_eq!(om2(&[two_labelsets(help)]), want);
}

/// OpenMetrics 1.0.0 leaves the native buckets out.
#[test]
fn test_native_plus_classic_histogram_two_labelsets_om_1() {
    let help = "Is an example of a native histogram plus a classic histogram with two label \
                sets in OM 1.0.0";
    let mut want = format!(
        "# HELP hist_w_classic_two_sets {help}\n# TYPE hist_w_classic_two_sets histogram\n"
    );
    for v in ["bar", "baz"] {
        want += &format!(
            "hist_w_classic_two_sets_bucket{{foo=\"{v}\",le=\"0.001\"}} 4.0\n\
             hist_w_classic_two_sets_bucket{{foo=\"{v}\",le=\"+Inf\"}} 24.0\n\
             hist_w_classic_two_sets_count{{foo=\"{v}\"}} 24.0\n\
             hist_w_classic_two_sets_sum{{foo=\"{v}\"}} 100.0\n"
        );
    }
    want += "# EOF\n";
    assert_eq!(om1(&[two_labelsets(help)]), want);
}

/// Python's 2.0.0 half byte for byte. Its 1.0.0 half writes no sample at
/// all for a native-only histogram; this follows client_golang there
/// instead (a `+Inf` bucket, `_count`, `_sum`), so that an OpenMetrics
/// 1.0.0 scraper still reads the count and the sum.
#[test]
fn test_native_histogram_version_comparison() {
    let p = nh(5, 10.0, 0, 0.01, 2, (&[(0, 1)], &[3]), (&[(0, 1)], &[4]));
    let f = family("nh_version", "nh version test", vec![(vec![], p)]);
    assert_eq!(
        om2(std::slice::from_ref(&f)),
        "# HELP nh_version nh version test\n# TYPE nh_version histogram\n\
         nh_version {count:5,sum:10,schema:0,zero_threshold:0.01,zero_count:2,\
         negative_spans:[0:1],negative_deltas:[4],positive_spans:[0:1],positive_deltas:[3]}\n\
         # EOF\n"
    );
    assert_eq!(
        om1(&[f]),
        "# HELP nh_version nh version test\n# TYPE nh_version histogram\n\
         nh_version_bucket{le=\"+Inf\"} 5.0\n\
         nh_version_count 5.0\nnh_version_sum 10.0\n# EOF\n"
    );
}

/// A native-only histogram with labels, a creation time and 7
/// observations (one NaN: the count is above the buckets' 6).
fn native_only() -> MetricFamily {
    let mut p = nh(
        7,
        f64::NAN,
        3,
        2f64.powi(-128),
        1,
        (&[(-2, 2)], &[3, -1]),
        (&[(5, 1)], &[1]),
    );
    p.created = Some(1.5);
    family(
        "rpc_seconds",
        "RPC latency",
        vec![(vec![("path", "/a")], p)],
    )
}

fn with_created(families: &[MetricFamily], format: Format) -> String {
    let mut out = String::new();
    let options = EncodeOptions::default().created(true);
    encode_families(&mut out, families, format, &options).expect("a String never fails");
    out
}

/// What client_golang's `expfmt` writes for a histogram without classic
/// buckets: a `+Inf` bucket counting every observation, `_count`, `_sum`.
#[test]
fn text_formats_write_a_native_only_histogram_as_go_does() {
    let f = [native_only()];
    let text = "# HELP rpc_seconds RPC latency\n# TYPE rpc_seconds histogram\n\
                rpc_seconds_bucket{path=\"/a\",le=\"+Inf\"} 7.0\n\
                rpc_seconds_count{path=\"/a\"} 7.0\n\
                rpc_seconds_sum{path=\"/a\"} NaN\n\
                # HELP rpc_seconds_created RPC latency\n# TYPE rpc_seconds_created gauge\n\
                rpc_seconds_created{path=\"/a\"} 1.5\n";
    assert_eq!(with_created(&f, Format::Text), text);
    assert_eq!(with_created(&f, Format::Text1_0_0), text);
    assert_eq!(
        with_created(&f, Format::OpenMetrics),
        "# HELP rpc_seconds RPC latency\n# TYPE rpc_seconds histogram\n\
         rpc_seconds_bucket{path=\"/a\",le=\"+Inf\"} 7.0\n\
         rpc_seconds_count{path=\"/a\"} 7.0\n\
         rpc_seconds_sum{path=\"/a\"} NaN\n\
         rpc_seconds_created{path=\"/a\"} 1.5\n# EOF\n"
    );
    // A quoted name keeps the bucket's `le` inside the braces.
    let mut dotted = native_only();
    dotted.name = "rpc.seconds".into();
    let mut out = String::new();
    let utf8 = EncodeOptions::default()
        .created(false)
        .escaping(EscapingScheme::AllowUtf8);
    encode_families(&mut out, &[dotted], Format::Text1_0_0, &utf8).expect("a String");
    assert!(
        out.contains("{\"rpc.seconds_bucket\",path=\"/a\",le=\"+Inf\"} 7.0\n"),
        "{out}"
    );
    // A gauge histogram: the same bucket, `_gcount` and
    // `_gsum` split off in the text format.
    let mut g = native_only();
    g.kind = MetricType::GaugeHistogram;
    for m in &mut g.metrics {
        if let Point::Histogram(h) = &m.point {
            m.point = Point::GaugeHistogram(h.clone());
        }
    }
    let out = with_created(std::slice::from_ref(&g), Format::Text);
    assert!(
        out.starts_with(
            "# HELP rpc_seconds RPC latency\n# TYPE rpc_seconds histogram\n\
             rpc_seconds_bucket{path=\"/a\",le=\"+Inf\"} 7.0\n# HELP rpc_seconds_gcount"
        ),
        "{out}"
    );
}

/// In OpenMetrics 2.0.0 a native-only histogram is its native sample (no
/// `_created`: Python's parser refuses one without buckets); with classic
/// buckets too, `_created` follows them. Timestamps follow the native value.
#[test]
fn openmetrics_2_created_and_timestamps() {
    let mut f = native_only();
    f.metrics[0].timestamp = Some(Timestamp::from_millis(1_700_000_000_250));
    assert_eq!(
        with_created(std::slice::from_ref(&f), Format::OpenMetrics2_0_0),
        "# HELP rpc_seconds RPC latency\n# TYPE rpc_seconds histogram\n\
         rpc_seconds{path=\"/a\"} {count:7,sum:NaN,schema:3,zero_threshold:2.938735877055719e-39,\
         zero_count:1,negative_spans:[5:1],negative_deltas:[1],\
         positive_spans:[-2:2],positive_deltas:[3,-1]} 1700000000.25\n# EOF\n"
    );
    let mut p = nh24_classic();
    p.created = Some(2.0);
    p.sum = Some(0.125);
    let out = with_created(
        &[family("c", "c", vec![(vec![], p)])],
        Format::OpenMetrics2_0_0,
    );
    assert!(out.contains("c {count:24,sum:0.125,"), "{out}");
    assert!(
        out.ends_with("c_count 24.0\nc_sum 0.125\nc_created 2.0\n# EOF\n"),
        "{out}"
    );
}

/// Numbers of the native sample: whole numbers without a fraction, others
/// as Python's `repr`, specials as OpenMetrics spells them; deltas of
/// counts beyond `i64` exact.
#[test]
fn native_sample_numbers() {
    let line = |sum: f64, zero_threshold: f64, positive: Vec<(i32, u64)>| {
        let mut p = nh(0, sum, -4, zero_threshold, 0, (&[], &[]), (&[], &[]));
        // No count of its own: the buckets', summed without overflow.
        p.count = None;
        if let Some(n) = p.native.as_mut() {
            n.positive = positive;
        }
        let out = om2(&[family("n", "n", vec![(vec![], p)])]);
        out.lines().nth(2).unwrap_or_default().to_owned()
    };
    assert_eq!(
        line(-2.5, 0.0, vec![]),
        "n {count:0,sum:-2.5,schema:-4,zero_threshold:0,zero_count:0}"
    );
    assert_eq!(
        line(1e20, 1e-5, vec![]),
        "n {count:0,sum:1e+20,schema:-4,zero_threshold:1e-05,zero_count:0}"
    );
    assert_eq!(
        line(f64::INFINITY, 0.5, vec![]),
        "n {count:0,sum:+Inf,schema:-4,zero_threshold:0.5,zero_count:0}"
    );
    assert_eq!(
        line(
            0.0,
            0.0,
            vec![(i32::MIN, u64::MAX), (i32::MIN + 1, 1), (i32::MAX, 2)]
        ),
        format!(
            "n {{count:1.8446744073709552e+19,sum:0,schema:-4,zero_threshold:0,zero_count:0,\
             positive_spans:[{}:2,{}:1],positive_deltas:[{},{},1]}}",
            i32::MIN,
            i64::from(i32::MAX) - i64::from(i32::MIN) - 2,
            u64::MAX,
            1 - i128::from(u64::MAX),
        )
    );
}

/// Scrapers that do not ask for 2.0.0 never get the native sample.
#[test]
fn only_openmetrics_2_writes_the_native_sample() {
    let f = [native_only()];
    for format in [Format::Text, Format::Text1_0_0, Format::OpenMetrics] {
        let out = encode(&f, format, EscapingScheme::Underscores);
        assert!(!out.contains("{count:"), "{format:?}: {out}");
        assert!(!out.contains("schema"), "{format:?}: {out}");
    }
    assert!(om2(&f).contains("{count:7,"));
}

// Reading it back: `parse_openmetrics`.

/// A point's native buckets without those counting 0 (the model keeps
/// none; Python's spans may list some), and without a `_created` the
/// native sample cannot carry.
fn normalised(families: &[MetricFamily]) -> Vec<MetricFamily> {
    let mut families = families.to_vec();
    for m in families.iter_mut().flat_map(|f| f.metrics.iter_mut()) {
        if let Point::Histogram(h) | Point::GaugeHistogram(h) = &mut m.point {
            if h.bounds.as_slice().is_empty() {
                h.created = None;
            }
            if let Some(n) = h.native.as_mut() {
                n.positive.retain(|(_, c)| *c > 0);
                n.negative.retain(|(_, c)| *c > 0);
            }
        }
    }
    families
}

fn all_cases() -> Vec<MetricFamily> {
    let mut with_exemplars = nh24();
    if let Some(n) = with_exemplars.native.as_mut() {
        n.exemplars = vec![
            Arc::new(Exemplar {
                labels: vec![("trace_id".into(), "KOO5S4vxi0o".into())],
                value: 0.67,
                timestamp: None,
            }),
            Arc::new(Exemplar {
                labels: vec![
                    ("span".into(), "a # {}".into()),
                    ("trace_id".into(), "x".into()),
                ],
                value: -9.8,
                timestamp: Some(1520879607.789),
            }),
        ];
    }
    let mut classic = nh24_classic();
    classic.created = Some(1.25);
    let mut stamped = family("stamped", "s", vec![(vec![("a", "1")], nh24())]);
    stamped.metrics[0].timestamp = Some(Timestamp::from_millis(1_700_000_000_250));
    vec![
        family("nh", "nh", vec![(vec![], nh24())]),
        family("nhx", "nh", vec![(vec![], with_exemplars)]),
        family(
            "nhnoobs",
            "nhnoobs",
            vec![(
                vec![],
                nh(0, 0.0, 3, 2.938735877055719e-39, 0, (&[], &[]), (&[], &[])),
            )],
        ),
        family(
            "nhsp",
            "three spans",
            vec![(
                vec![],
                nh(
                    4,
                    6.0,
                    3,
                    2.938735877055719e-39,
                    1,
                    (&[(0, 1), (7, 1), (4, 1)], &[1, 0, 0]),
                    (&[], &[]),
                ),
            )],
        ),
        family(
            "native{histogram",
            "utf-8",
            vec![(vec![("xx{} # {}", " EOF # {}}}")], nh24())],
        ),
        two_labelsets("two"),
        family("classic_c", "c", vec![(vec![("foo", "bar")], classic)]),
        native_only(),
        stamped,
    ]
}

/// Every rendering above reads back as the points written (in both
/// escapings: names outside the legacy set quoted or escaped).
#[test]
fn openmetrics_2_reads_back() {
    let cases = all_cases();
    for text in [
        om2_utf8(&cases),
        with_created(&cases, Format::OpenMetrics2_0_0),
    ] {
        let parsed = parse_openmetrics(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let mut want = normalised(&cases);
        if !text.contains("\"native{histogram\"") {
            want[4].name = "native_histogram".into();
            want[4].metrics[0].labels = LabelSet::new([("xx_______", " EOF # {}}}")]);
        }
        if !text.contains("_created") {
            for m in want.iter_mut().flat_map(|f| f.metrics.iter_mut()) {
                if let Point::Histogram(h) = &mut m.point {
                    h.created = None;
                }
            }
        }
        // Compared as written out: a NaN sum is not equal to itself.
        assert_eq!(format!("{parsed:?}"), format!("{want:?}"), "{text}");
        // And writes the same text again (the zero-count bucket of Python's
        // example aside, which is not kept).
        assert_eq!(om2_utf8(&parsed), om2_utf8(&want));
    }
}

/// Python's example histogram reads as absolute counts: spans `0:2,1:2`
/// with deltas `2,1,-3,3` are buckets 0, 1, 3, 4 counting 2, 3, 0, 3.
#[test]
fn spans_and_deltas_become_absolute_counts() {
    let text = format!("# TYPE nh histogram\nnh {NH24}\n# EOF\n");
    let f = parse_openmetrics(&text).expect("parses");
    let Point::Histogram(h) = &f[0].metrics[0].point else {
        panic!("a histogram: {f:?}")
    };
    assert_eq!((h.count, h.sum), (Some(24.0), Some(100.0)));
    assert!(h.bounds.as_slice().is_empty() && h.counts.is_empty());
    let n = h.native.as_deref().expect("native buckets");
    assert_eq!((n.schema, n.zero_threshold, n.zero_count), (0, 0.001, 4));
    assert_eq!(n.positive, vec![(0, 2), (1, 3), (4, 3)]);
    assert_eq!(n.negative, vec![(0, 2), (1, 3), (3, 1), (4, 4)]);
    // Python's first rendering (0.21) put both span lists first.
    let old = "# TYPE nh histogram\nnh {count:24,sum:100,schema:0,zero_threshold:0.001,\
               zero_count:4,positive_spans:[0:2,1:2],negative_spans:[0:2,1:2],\
               positive_deltas:[2,1,-3,3],negative_deltas:[2,1,-2,3]}\n# EOF\n";
    assert_eq!(parse_openmetrics(old).expect("parses"), f);
    // A negative first offset, a sum with a fraction, a NaN sum.
    let text = "# TYPE x histogram\nx {count:3,sum:-1.5,schema:8,zero_threshold:0,zero_count:0,\
                negative_spans:[-3:1,0:1],negative_deltas:[1,1]}\nx2 1\n# EOF\n";
    let f = parse_openmetrics(text).expect("parses");
    let Point::Histogram(h) = &f[0].metrics[0].point else {
        panic!("a histogram")
    };
    assert_eq!(h.sum, Some(-1.5));
    assert_eq!(
        h.native.as_ref().map(|n| n.negative.clone()),
        Some(vec![(-3, 1), (-2, 2)])
    );
}

/// Malformed native histograms are refused, naming the line.
#[test]
fn malformed_native_histograms_are_refused() {
    let ok = "count:1,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1],positive_deltas:[1]";
    assert!(parse_openmetrics(&format!("# TYPE h histogram\nh {{{ok}}}\n# EOF\n")).is_ok());
    let cases: &[(&str, &str)] = &[
        ("h {count:1,sum:1,schema:0,zero_threshold:0}", "no `zero_count`"),
        ("h {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0,bucket:[]}", "unknown field `bucket`"),
        ("h {count:1,count:1,sum:1,schema:0,zero_threshold:0,zero_count:0}", "`count` is given twice"),
        ("h {count:1.5,sum:1,schema:0,zero_threshold:0,zero_count:0}", "count `1.5`"),
        ("h {count:-1,sum:1,schema:0,zero_threshold:0,zero_count:0}", "count `-1`"),
        ("h {count:1,sum:x,schema:0,zero_threshold:0,zero_count:0}", "sum `x`"),
        ("h {count:1,sum:1,schema:9,zero_threshold:0,zero_count:0}", "schema `9`"),
        ("h {count:1,sum:1,schema:0,zero_threshold:-1,zero_count:0}", "zero_threshold `-1`"),
        ("h {count:1,sum:1,schema:0,zero_threshold:0,zero_count:+1}", "zero_count `+1`"),
        ("h {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1]}", "positive_spans without positive_deltas"),
        ("h {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0,negative_deltas:[1]}", "negative_deltas without negative_spans"),
        ("h {count:2,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:2],positive_deltas:[1]}", "more buckets than"),
        ("h {count:2,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1],positive_deltas:[1,1]}", "more deltas than"),
        ("h {count:2,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:2],positive_deltas:[1,-2]}", "counts -1"),
        ("h {count:2,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1,-1:1],positive_deltas:[1,0]}", "must not be negative"),
        ("h {count:2,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:x],positive_deltas:[1]}", "span `0:x`"),
        ("h {count:2,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:0:1,positive_deltas:[1]}", "is not a list"),
        ("h {count:2,sum:1,schema:0,zero_threshold:0,zero_count:0,positive_spans:[0:1],positive_deltas:[1.0]}", "delta `1.0`"),
        ("h {count:2,sum:1,schema:0,zero_threshold:0,zero_count:3}", "count 2 is less than the 3 observations"),
        ("h {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0", "not closed with `}`"),
        ("h {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0}x", "a space must follow"),
        ("h {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0} ", "trailing space"),
        ("h {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0} 1 x", "only exemplars"),
        ("h {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0} # {a=\"1\"} 1 junk", "invalid timestamp `junk`"),
        ("h {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0} # {a=\"1\"} 1 2 x", "only another exemplar"),
        ("h{le=\"1\"} {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0}", "`le` label"),
        ("h_count {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0}", "`h_count` is histogram"),
    ];
    for (line, why) in cases {
        let text = format!("# TYPE h histogram\n{line}\n# EOF\n");
        let err = parse_openmetrics(&text).expect_err(line);
        assert_eq!(err.line(), 2, "{line}: {err}");
        assert!(err.message().contains(why), "{line}: {err}");
    }
    // Across samples: the native value twice for one point, on a counter,
    // disagreeing with the classic buckets, a `_count` with no bucket.
    let native = "{count:2,sum:1,schema:0,zero_threshold:0,zero_count:2}";
    let cases: &[(String, usize, &str)] = &[
        (
            format!("# TYPE h histogram\nh {native}\nh {native}\n"),
            3,
            "given twice",
        ),
        (
            format!("# TYPE c counter\nc {native}\n"),
            2,
            "sample `c` in counter `c`",
        ),
        (
            format!("# TYPE h histogram\nh {native}\nh_bucket{{le=\"+Inf\"}} 3\n"),
            3,
            "count 2 observations but its `+Inf` bucket 3",
        ),
        (
            format!(
                "# TYPE h histogram\nh {native}\nh_bucket{{le=\"+Inf\"}} 2\nh_count 2\nh_sum 5\n"
            ),
            5,
            "sum to 1 but its `_sum` is 5",
        ),
        (
            format!("# TYPE h histogram\nh {native}\nh_count 2\nh_sum 1\n"),
            4,
            "no classic bucket",
        ),
        (format!("h {native}\n"), 1, "`h` is unknown"),
    ];
    for (text, line, why) in cases {
        let text = format!("{text}# EOF\n");
        let err = parse_openmetrics(&text).expect_err(&text);
        assert_eq!(err.line(), *line, "{text}: {err}");
        assert!(err.message().contains(why), "{text}: {err}");
    }
}
