//! The text-format cases of Python's `tests/test_parser.py` not already in
//! `tests/parser.rs` (the OpenMetrics and UTF-8 name cases do not apply),
//! and round trips parse -> encode -> parse.

use promscribe::{encode_text_families, parse_text, MetricFamily, MetricType, Sample, Timestamp};

fn sample(name: &str, labels: &[(&str, &str)], value: f64) -> Sample {
    let labels = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Sample::new(name, labels, value)
}

fn family(name: &str, help: &str, kind: MetricType, samples: Vec<Sample>) -> MetricFamily {
    MetricFamily::from_samples(name, help, kind, samples).expect("fits the family")
}

fn counter_a(help: &str, samples: &[(&str, f64)]) -> MetricFamily {
    let samples = samples
        .iter()
        .map(|(value, v)| sample("a_total", &[("foo", value)], *v))
        .collect();
    family("a", help, MetricType::Counter, samples)
}

fn parse(text: &str) -> Vec<MetricFamily> {
    parse_text(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[test]
fn python_parser_cases() {
    use MetricType::*;
    let plain_a = vec![family(
        "a",
        "help",
        Counter,
        vec![sample("a_total", &[], 1.0)],
    )];
    let cases: Vec<(&str, Vec<MetricFamily>)> = vec![
        // test_simple_summary
        (
            "# TYPE a summary\n# HELP a help\na_count 1\na_sum 2\n",
            vec![family(
                "a",
                "help",
                Summary,
                vec![sample("a_count", &[], 1.0), sample("a_sum", &[], 2.0)],
            )],
        ),
        // test_simple_histogram
        (
            "# TYPE a histogram\n# HELP a help\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 3\n\
             a_count 3\na_sum 2\n",
            vec![family(
                "a",
                "help",
                Histogram,
                vec![
                    sample("a_bucket", &[("le", "1")], 0.0),
                    sample("a_bucket", &[("le", "+Inf")], 3.0),
                    sample("a_count", &[], 3.0),
                    sample("a_sum", &[], 2.0),
                ],
            )],
        ),
        // test_no_metadata
        ("a 1\n", vec![family("a", "", Unknown, vec![sample("a", &[], 1.0)])]),
        // test_type_help_switched
        ("# HELP a help\n# TYPE a counter\na 1\n", plain_a.clone()),
        // test_extra_whitespace
        ("# TYPE  a  counter\n# HELP  a  help\na  1\n", plain_a.clone()),
        // test_labels_with_curly_braces
        (
            "# TYPE a counter\n# HELP a help\na{foo=\"bar\", bar=\"b{a}z\"} 1\n",
            vec![family(
                "a",
                "help",
                Counter,
                vec![sample("a_total", &[("foo", "bar"), ("bar", "b{a}z")], 1.0)],
            )],
        ),
        // test_empty_help
        (
            "# TYPE a counter\n# HELP a\na 1\n",
            vec![family("a", "", Counter, vec![sample("a_total", &[], 1.0)])],
        ),
        // test_spaces
        (
            "# TYPE a counter\n# HELP a help\na{ foo = \"bar\" } 1\n\
             a\t\t{\t\tfoo\t\t=\t\t\"baz\"\t\t}\t\t2\na   {    foo   =  \"buz\"   }    3\n\
             a\t {  \t foo\t = \"biz\"\t  } \t 4\na \t{\t foo   = \"boz\"\t}\t 5\na{foo=\"bez\"}6\n",
            vec![counter_a(
                "help",
                &[("bar", 1.0), ("baz", 2.0), ("buz", 3.0), ("biz", 4.0), ("boz", 5.0), ("bez", 6.0)],
            )],
        ),
        // test_commas (c and d; a and b are in tests/parser.rs)
        (
            "# TYPE c counter\n# HELP c help\nc{  ,} 3\n# TYPE d counter\n# HELP d help\nd{,  } 4\n",
            vec![
                family("c", "help", Counter, vec![sample("c_total", &[], 3.0)]),
                family("d", "help", Counter, vec![sample("d_total", &[], 4.0)]),
            ],
        ),
        // test_empty_brackets
        ("# TYPE a counter\n# HELP a help\na{} 1\n", plain_a.clone()),
        // test_timestamps (Python holds seconds; the text format milliseconds)
        (
            "# TYPE a counter\n# HELP a help\na{foo=\"bar\"} 1\t000\n\
             # TYPE b counter\n# HELP b help\nb 2  1234567890\nb 88   1234566000   \n",
            vec![
                family("a", "help", Counter, vec![{
                    let mut s = sample("a_total", &[("foo", "bar")], 1.0);
                    s.timestamp = Some(Timestamp::UNIX_EPOCH);
                    s
                }]),
                family("b", "help", Counter, {
                    let mut s1 = sample("b_total", &[], 2.0);
                    s1.timestamp = Some(Timestamp::from_millis(1_234_567_890));
                    let mut s2 = sample("b_total", &[], 88.0);
                    s2.timestamp = Some(Timestamp::from_millis(1_234_566_000));
                    vec![s1, s2]
                }),
            ],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(parse(text), want, "{text:?}");
    }
    // test_multiple_trailing_commas
    assert!(parse_text("# TYPE a counter\n# HELP a help\na{foo=\"bar\",, } 1\n").is_err());
    // test_comments_parts_are_not_validated_against_legacy_metric_name
    assert!(parse(
        "\n# A simple. comment line where third token cannot be matched\n\
         # 3565 12345/4436467 another random comment line\n"
    )
    .is_empty());
}

#[test]
fn python_label_and_help_escaping() {
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
    ] {
        let text =
            format!("\n# TYPE a counter\n# HELP a help\na{{foo=\"{escaped}\",bar=\"baz\"}} 1\n");
        let want = family(
            "a",
            "help",
            MetricType::Counter,
            vec![sample(
                "a_total",
                &[("foo", unescaped), ("bar", "baz")],
                1.0,
            )],
        );
        assert_eq!(parse(&text), [want], "label {escaped:?}");
    }
    for (escaped, unescaped) in [
        ("foo", "foo"),
        ("\\foo", "\\foo"),
        ("\\\\foo", "\\foo"),
        ("foo\\", "foo\\"),
        ("foo\\\\", "foo\\"),
        ("\\n", "\n"),
        ("\\\\n", "\\n"),
        ("\\\\\\n", "\\\n"),
        ("\\\"", "\\\""),
        ("\\\\\"", "\\\""),
        ("\\\\\\\"", "\\\\\""),
    ] {
        let text = format!("\n# TYPE a counter\n# HELP a {escaped}\na{{foo=\"bar\"}} 1\n");
        assert_eq!(
            parse(&text),
            [counter_a(unescaped, &[("bar", 1.0)])],
            "help {escaped:?}"
        );
    }
}

/// Python's `test_roundtrip`, without its UTF-8 metric name (the text
/// format 0.0.4 has none): parse, then encode, gives the text back, but
/// for two normalisations of the typed model (Python keeps the flat
/// samples as read): quantiles are numbers, written as every float
/// (`0` -> `0.0`), and a summary's `_count` comes before its `_sum`, as
/// every summary (Python's included) writes them.
#[test]
fn python_roundtrip() {
    let text = "# HELP go_gc_duration_seconds A summary of the GC invocation durations.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile=\"0\"} 0.013300656000000001
go_gc_duration_seconds{quantile=\"0.25\"} 0.013638736
go_gc_duration_seconds{quantile=\"0.5\"} 0.013759906
go_gc_duration_seconds{quantile=\"0.75\"} 0.013962066
go_gc_duration_seconds{quantile=\"1\"} 0.021383540000000003
go_gc_duration_seconds_sum 56.12904785
go_gc_duration_seconds_count 7476.0
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 166.0
# HELP prometheus_local_storage_indexing_batch_duration_milliseconds Quantiles for batch indexing duration in milliseconds.
# TYPE prometheus_local_storage_indexing_batch_duration_milliseconds summary
prometheus_local_storage_indexing_batch_duration_milliseconds{quantile=\"0.5\"} NaN
prometheus_local_storage_indexing_batch_duration_milliseconds{quantile=\"0.9\"} NaN
prometheus_local_storage_indexing_batch_duration_milliseconds{quantile=\"0.99\"} NaN
prometheus_local_storage_indexing_batch_duration_milliseconds_sum 871.5665949999999
prometheus_local_storage_indexing_batch_duration_milliseconds_count 229.0
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 29323.4
# HELP process_virtual_memory_bytes Virtual memory size in bytes.
# TYPE process_virtual_memory_bytes gauge
process_virtual_memory_bytes 2.478268416e+09
# HELP prometheus_build_info A metric with a constant '1' value labeled by version, revision, and branch from which Prometheus was built.
# TYPE prometheus_build_info gauge
prometheus_build_info{branch=\"HEAD\",revision=\"ef176e5\",version=\"0.16.0rc1\"} 1.0
# HELP prometheus_local_storage_chunk_ops_total The total number of chunk operations by their type.
# TYPE prometheus_local_storage_chunk_ops_total counter
prometheus_local_storage_chunk_ops_total{type=\"clone\"} 28.0
prometheus_local_storage_chunk_ops_total{type=\"create\"} 997844.0
prometheus_local_storage_chunk_ops_total{type=\"drop\"} 1.345758e+06
prometheus_local_storage_chunk_ops_total{type=\"load\"} 1641.0
prometheus_local_storage_chunk_ops_total{type=\"persist\"} 981408.0
prometheus_local_storage_chunk_ops_total{type=\"pin\"} 32662.0
prometheus_local_storage_chunk_ops_total{type=\"transcode\"} 980180.0
prometheus_local_storage_chunk_ops_total{type=\"unpin\"} 32662.0
";
    let mut out = String::new();
    encode_text_families(&mut out, &parse(text));
    let normalised = text
        .replace("quantile=\"0\"}", "quantile=\"0.0\"}")
        .replace("quantile=\"1\"}", "quantile=\"1.0\"}")
        .replace(
            "go_gc_duration_seconds_sum 56.12904785\ngo_gc_duration_seconds_count 7476.0\n",
            "go_gc_duration_seconds_count 7476.0\ngo_gc_duration_seconds_sum 56.12904785\n",
        )
        .replace(
            "milliseconds_sum 871.5665949999999\nprometheus_local_storage_indexing_batch_duration_milliseconds_count 229.0\n",
            "milliseconds_count 229.0\nprometheus_local_storage_indexing_batch_duration_milliseconds_sum 871.5665949999999\n",
        );
    assert_ne!(normalised, text);
    assert_eq!(out, normalised);
}

/// Parse -> encode -> parse gives the same families.
fn round_trip(text: &str) -> Vec<MetricFamily> {
    let first = parse(text);
    let mut encoded = String::new();
    encode_text_families(&mut encoded, &first);
    let second = parse_text(&encoded).unwrap_or_else(|e| panic!("{encoded:?}: {e}"));
    assert_eq!(second, first, "{encoded:?}");
    first
}

#[test]
fn help_ending_in_carriage_return_round_trips() {
    let f = round_trip("# HELP a carriage\r\n# TYPE a gauge\na 1\n");
    assert_eq!(f[0].help, "carriage\r");
    let f = round_trip("# HELP b \r\n# TYPE b gauge\r\nb 1\r\n");
    assert_eq!(f[0].help, "\r");
    assert_eq!(f[0].kind, MetricType::Gauge);
    // From a family, too.
    let fam = family(
        "c",
        "ends\r",
        MetricType::Gauge,
        vec![sample("c", &[], 1.0)],
    );
    let mut encoded = String::new();
    encode_text_families(&mut encoded, std::slice::from_ref(&fam));
    assert_eq!(parse(&encoded), [fam]);
}

#[test]
fn untyped_sample_named_like_a_histogram_is_no_second_family() {
    let text = "# HELP h H\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 2\nh 5\n";
    let err = parse_text(text).expect_err("two families named `h`");
    assert_eq!(err.line(), 6, "{err}");
    assert!(err.message().contains("second family named `h`"), "{err}");
    assert!(err.message().contains("histogram"), "{err}");
    // The same name later, apart from its family: refused as well.
    let err = parse_text("a 1\nb 2\na 3\n").expect_err("two families named `a`");
    assert_eq!(err.line(), 3, "{err}");
    // Untyped samples named like histogram samples but without a TYPE line
    // are distinct families, and round-trip.
    let f = round_trip("h_bucket{le=\"1\"} 1\nh 2\n");
    let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["h_bucket", "h"]);
}

/// A sample line with `n` distinct labels.
fn line_with_labels(n: usize) -> String {
    let mut s = String::from("m{");
    for i in 0..n {
        s.push_str(&format!("l{i}=\"v{i}\","));
    }
    s.push_str("} 1\n");
    s
}

#[test]
fn lines_with_many_labels_parse() {
    // The duplicate check is a hash set (linear; the unit test
    // `parser::tests::duplicate_label_check_is_linear` counts its work).
    for n in [40_000, 80_000] {
        let f = parse(&line_with_labels(n));
        let labels = &f[0].samples()[0].labels;
        assert_eq!(labels.len(), n);
        assert_eq!(
            labels[n - 1],
            (format!("l{}", n - 1), format!("v{}", n - 1))
        );
        // A duplicate at the very end is still found, and named.
        let mut dup = line_with_labels(n);
        dup.insert_str(dup.len() - 4, "l7=\"again\",");
        let err = parse_text(&dup).expect_err("duplicate label");
        assert!(
            err.message().contains("label `l7` given twice in `m`"),
            "{err}"
        );
    }
}
