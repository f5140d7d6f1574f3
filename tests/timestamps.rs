//! Sample timestamps keep what the formats carry: OpenMetrics' seconds to
//! the nanosecond and beyond the `i64` milliseconds, through the parsers
//! and every encoder; what a format cannot carry is an error naming it.

use promscribe::{
    encode_families, parse_openmetrics, parse_text, EncodeOptions, Format, MetricFamily,
    MetricType, Timestamp,
};

fn encode(families: &[MetricFamily], format: Format) -> String {
    let mut out = String::new();
    encode_families(&mut out, families, format, &EncodeOptions::default())
        .expect("a String never fails");
    out
}

fn om(families: &[MetricFamily]) -> String {
    encode(families, Format::OpenMetrics)
}

fn parse(text: &str) -> Vec<MetricFamily> {
    parse_openmetrics(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Python's strict OpenMetrics parser reads `body`; the timestamps of its
/// samples as it prints them (`sec.nsec`).
fn python_timestamps(body: &str) -> String {
    promscribe_test_support::python_openmetrics(
        body,
        "print(' '.join(str(s.timestamp) for f in fams for s in f.samples))",
    )
    .unwrap_or_else(|e| panic!("Python's OpenMetrics parser refused:\n{e}\n---\n{body}"))
}

const MICROSECONDS: &str = "# HELP a A gauge.\n# TYPE a gauge\n\
    a 1.0 1700000000.000001\na 2.0 1700000000.000002\na 3.0 1700000000.000003\n# EOF\n";

/// Three points of one gauge a microsecond apart: three points, written
/// back as they were, which Python's strict parser reads alike.
#[test]
fn samples_a_microsecond_apart_round_trip() {
    let families = parse(MICROSECONDS);
    assert_eq!(families[0].metrics.len(), 3);
    assert_eq!(om(&families), MICROSECONDS);
    assert_eq!(
        python_timestamps(MICROSECONDS),
        "1700000000.000001000 1700000000.000002000 1700000000.000003000"
    );
}

/// The model holds them to the nanosecond.
#[test]
fn the_model_holds_nanoseconds() {
    let families = parse(MICROSECONDS);
    let times: Vec<_> = families[0]
        .metrics
        .iter()
        .map(|m| m.timestamp.map(|t| (t.secs(), t.subsec_nanos())))
        .collect();
    assert_eq!(
        times,
        [1_000, 2_000, 3_000].map(|ns| Some((1_700_000_000, ns)))
    );
    let samples = families[0].samples();
    assert_eq!(samples[2].timestamp, Timestamp::new(1_700_000_000, 3_000));
    // Counter and histogram points carry theirs to every sample.
    let text = "# TYPE c counter\nc_total 1.0 0.123456789\nc_created 0.5 0.123456789\n\
                # TYPE h histogram\nh_bucket{le=\"+Inf\"} 1.0 -0.25\nh_count 1.0 -0.25\nh_sum 2.0 -0.25\n\
                # EOF\n";
    let families = parse(text);
    assert_eq!(
        families[0].metrics[0].timestamp,
        Timestamp::new(0, 123_456_789)
    );
    assert_eq!(
        families[1].metrics[0].timestamp,
        Timestamp::new(-1, 750_000_000)
    );
    assert!(families[1]
        .samples()
        .iter()
        .all(|s| s.timestamp == Timestamp::new(-1, 750_000_000)));
    let out = {
        let mut out = String::new();
        let options = EncodeOptions::default().created(true);
        encode_families(&mut out, &families, Format::OpenMetrics, &options).expect("a String");
        out
    };
    for line in [
        "\nc_total 1.0 0.123456789\nc_created 0.5 0.123456789\n",
        "\nh_count 1.0 -0.25\nh_sum 2.0 -0.25\n",
    ] {
        assert!(out.contains(line), "{line:?} not in:\n{out}");
    }
}

/// Beyond `i64` milliseconds (1e17 s is 1e20 ms): parsed, written back by
/// OpenMetrics in seconds and by the text format in milliseconds, and
/// read back from both.
#[test]
fn a_timestamp_beyond_i64_milliseconds_round_trips() {
    let text = "# HELP far A gauge.\n# TYPE far gauge\nfar 1.0 100000000000000000.5\n# EOF\n";
    let families = parse(text);
    assert_eq!(om(&families), text);
    assert_eq!(python_timestamps(text), "100000000000000000.500000000");
    // The exponent form reads the same.
    let exp = parse(&text.replace("100000000000000000.5", "1.000000000000000005e17"));
    assert_eq!(om(&exp), text);

    let as_text = encode(&families, Format::Text);
    assert_eq!(
        as_text,
        "# HELP far A gauge.\n# TYPE far gauge\nfar 1.0 100000000000000000500\n"
    );
    let back = parse_text(&as_text).unwrap_or_else(|e| panic!("{e}\n{as_text}"));
    assert_eq!(om(&back), text);
}

/// The text format 0.0.4 has integer milliseconds: a finer timestamp is
/// written rounded down, before the epoch too.
#[test]
fn the_text_format_writes_whole_milliseconds() {
    let text =
        "# TYPE a gauge\na 1.0 1.0009999\na 2.0 1.002\n# TYPE b gauge\nb 1.0 -0.0005\n# EOF\n";
    let out = encode(&parse(text), Format::Text);
    assert!(
        out.contains("\na 1.0 1000\na 2.0 1002\n") && out.contains("\nb 1.0 -1\n"),
        "{out}"
    );
}

/// Invalid timestamps are errors naming the timestamp and the line.
#[test]
fn invalid_timestamps_are_errors_naming_them() {
    for (ts, why) in [
        ("1e19", "beyond the range"),
        ("-9.3e18", "beyond the range"),
        ("1e400", "beyond the range"),
        ("NaN", "expected seconds"),
        ("+Inf", "expected seconds"),
        ("0x10", "expected seconds"),
        ("1.2.3", "expected seconds"),
    ] {
        let text = format!("# TYPE a gauge\na 1 {ts}\n# EOF\n");
        let err = parse_openmetrics(&text).expect_err(ts);
        assert_eq!(err.line(), 2, "{ts}: {err}");
        assert!(
            err.message().contains(&format!("invalid timestamp `{ts}`"))
                && err.message().contains(why),
            "{ts}: {err}"
        );
    }
    for (ts, why) in [
        ("1.5", "expected integer milliseconds"),
        ("99999999999999999999999999", "beyond the range"),
    ] {
        let err = parse_text(&format!("a 1 {ts}\n")).expect_err(ts);
        assert!(
            err.message().contains(&format!("invalid timestamp `{ts}`"))
                && err.message().contains(why),
            "{ts}: {err}"
        );
    }
}

/// Protobuf's `timestamp_ms` is an `int64` of milliseconds: a timestamp
/// beyond it is an error naming the family, never a wrapped number.
#[test]
fn protobuf_refuses_a_timestamp_beyond_its_milliseconds() {
    let mut f = MetricFamily::new("far", "A gauge.", MetricType::Gauge);
    f.push_sample("", vec![], 1.0, Timestamp::new(100_000_000_000_000_000, 0))
        .expect("fits");
    let mut bytes = Vec::new();
    let err = promscribe::encode_families_bytes(
        &mut bytes,
        &[f],
        Format::Protobuf,
        &EncodeOptions::default(),
    )
    .expect_err("beyond int64 ms");
    let msg = err.to_string();
    assert!(
        msg.contains("far") && msg.contains("100000000000000000.0"),
        "{msg}"
    );
    assert!(bytes.is_empty());
}

/// The conversions of the public type.
#[test]
fn timestamp_conversions() {
    use std::time::{Duration, UNIX_EPOCH};
    let t = Timestamp::from(UNIX_EPOCH + Duration::new(1_700_000_000, 1_000));
    assert_eq!(t, Timestamp::new(1_700_000_000, 1_000).expect("valid"));
    assert_eq!(t.as_millis(), Some(1_700_000_000_000));
    assert_eq!(t.to_string(), "1700000000.000001");
    assert_eq!(
        Timestamp::from_secs_f64(1.5),
        Some(Timestamp::from_millis(1_500))
    );
    assert_eq!(Timestamp::from_millis(-1).to_string(), "-0.001");
    assert!(Timestamp::new(0, 1_000_000_000).is_none());
}
