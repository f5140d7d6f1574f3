//! The remote-write wire format: the registry's families as the series
//! Prometheus stores from a scrape of the text format (every sample of the
//! text exposition, and no other), their metadata, the series that cannot
//! be sent, and the request body (protobuf, then Snappy's block format)
//! decoded again with prost and snap.
#![cfg(feature = "remote-write")]

use std::collections::BTreeMap;

use promscribe::{
    encode_families, Bounds, EncodeOptions, Enum, EscapingScheme, Exemplar, Family, Format, Gauge,
    Histogram, HistogramPoint, Info, LabelSet, MetricFamily, MetricType, NativeBuckets, Opts,
    Point, Registry, States, Summary, Timestamp,
};
use prost::Message;

// The encoder is crate-private; its two files are compiled in here as
// they are (they only use each other, as `super::proto`, and public items).
#[allow(dead_code, unreachable_pub)]
#[path = "../src/remote_write/encode.rs"]
mod encode;
#[allow(dead_code, unreachable_pub)]
#[path = "../src/remote_write/proto.rs"]
mod proto;

use encode::{encode_request, series_of, EncodeError, SeriesOptions};
use proto::{TimeSeries, WriteRequest};

const NOW_MS: i64 = 1_700_000_000_123;

/// A registry with a metric of every kind the library makes (a labelled
/// counter with an exemplar, a gauge, a histogram with an exemplar, a
/// summary, an info, an enum), and the families no metric type makes (a
/// gauge histogram, an unknown, a histogram with native buckets only, a
/// gauge with its own timestamp, a UTF-8 name).
fn families() -> Vec<MetricFamily> {
    let r = Registry::new();
    let requests = Family::<promscribe::Counter, 2>::new(
        Opts::new("http_requests_total", "Requests.").labels(["method", "path"]),
    )
    .expect("a family");
    r.register(requests.clone()).expect("registers");
    requests.labels(["GET", "/a"]).inc();
    requests
        .labels(["POST", "/b"])
        .inc_by_with_exemplar(2.0, &[("trace_id", "abc")])
        .expect("an exemplar");
    let g = Gauge::new("in_flight", "In flight").expect("a gauge");
    r.register(g.clone()).expect("registers");
    g.set(-3.5);
    let h = Histogram::new("wait_seconds", "Wait").expect("a histogram");
    r.register(h.clone()).expect("registers");
    h.observe(0.02);
    h.observe_with_exemplar(3.0, &[("trace_id", "t")])
        .expect("an exemplar");
    let s = Summary::new("size_bytes", "Size").expect("a summary");
    r.register(s.clone()).expect("registers");
    s.observe(512.0);
    let i = Info::new("app", "App").expect("an info");
    r.register(i.clone()).expect("registers");
    i.set([("version", "9")]).expect("sets");
    let e = Enum::new(
        Opts::new("phase", "Phase"),
        States::new(["a", "b"]).expect("states"),
    )
    .expect("an enum");
    r.register(e.clone()).expect("registers");
    e.state("b").expect("a state");
    let mut out = r.gather();

    let mut f = MetricFamily::new("queue_bytes", "Queue", MetricType::GaugeHistogram);
    f.add(
        LabelSet::new([("queue", "q1")]),
        Point::GaugeHistogram(HistogramPoint {
            bounds: Bounds::from(vec![1024.0, f64::INFINITY]),
            counts: vec![2.0, 5.0],
            count: Some(5.0),
            sum: Some(9000.0),
            created: None,
            exemplars: vec![],
            native: None,
        }),
    )
    .expect("a point of the family's kind");
    out.push(f);

    let mut f = MetricFamily::new("mystery", "Unknown", MetricType::Unknown);
    f.push("", vec![("k".into(), "v".into())], 42.0)
        .expect("a sample");
    out.push(f);

    let mut f = MetricFamily::new("native_seconds", "Native only", MetricType::Histogram);
    f.add(
        LabelSet::EMPTY,
        Point::Histogram(HistogramPoint {
            bounds: Bounds::from(vec![]),
            counts: vec![],
            count: Some(4.0),
            sum: Some(2.5),
            created: Some(1_690_000_000.0),
            exemplars: vec![],
            native: Some(
                NativeBuckets {
                    schema: 0,
                    zero_threshold: 0.0,
                    zero_count: 1,
                    positive: vec![(1, 3)],
                    negative: vec![],
                    exemplars: vec![],
                }
                .into(),
            ),
        }),
    )
    .expect("a point of the family's kind");
    out.push(f);

    let mut f = MetricFamily::new("stamped", "Own timestamp", MetricType::Gauge);
    f.push_sample(
        "",
        vec![],
        7.0,
        Some(Timestamp::from_millis(1_600_000_000_456)),
    )
    .expect("a sample");
    out.push(f);

    let mut f = MetricFamily::new("http.server.duration", "UTF-8", MetricType::Gauge);
    f.push("", vec![("http.route".into(), "/ü".into())], 1.0)
        .expect("a sample");
    out.push(f);
    out
}

/// A series as compared: its labels (`__name__` included) by name, its
/// value's bits and its timestamp.
type Key = (BTreeMap<String, String>, u64, i64);

fn key_of(ts: &TimeSeries) -> Key {
    assert_eq!(ts.samples.len(), 1, "one sample a series: {ts:?}");
    let labels = ts
        .labels
        .iter()
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect();
    (
        labels,
        ts.samples[0].value.to_bits(),
        ts.samples[0].timestamp,
    )
}

/// Every sample of the text exposition of `families` (names unescaped),
/// stamped `NOW_MS` where the text has no timestamp.
fn text_samples(families: &[MetricFamily], created: bool) -> Vec<Key> {
    let options = EncodeOptions::default()
        .created(created)
        .escaping(EscapingScheme::AllowUtf8);
    let mut text = String::new();
    encode_families(&mut text, families, Format::Text1_0_0, &options).expect("encodes");
    let parsed = promscribe::parse_text(&text).expect("parses");
    let mut out = Vec::new();
    for f in &parsed {
        // The parser reads a `_created` gauge family after its family
        // back into it.
        for s in f.samples_with(true) {
            let mut labels: BTreeMap<String, String> = s.labels.into_iter().collect();
            labels.insert("__name__".into(), s.name);
            let ts = s.timestamp.map_or(NOW_MS, |t| t.as_millis().expect("ms"));
            out.push((labels, s.value.to_bits(), ts));
        }
    }
    out
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn every_sample_of_the_text_exposition_and_no_other() {
    let families = families();
    for created in [true, false] {
        let opts = SeriesOptions {
            created,
            exemplars: true,
            native_histograms: false,
        };
        let (series, _, errors) = series_of(&families, NOW_MS, &opts);
        assert!(errors.is_empty(), "{errors:?}");
        let got = sorted(series.iter().map(key_of).collect());
        let want = sorted(text_samples(&families, created));
        assert_eq!(got, want, "created {created}");
        // A few by name, that the comparison above is not vacuous.
        let names: Vec<&str> = series
            .iter()
            .map(|s| {
                s.labels
                    .iter()
                    .find(|l| l.name == "__name__")
                    .expect("a name")
            })
            .map(|l| l.value.as_str())
            .collect();
        for name in [
            "http_requests_total",
            "in_flight",
            "wait_seconds_bucket",
            "wait_seconds_sum",
            "wait_seconds_count",
            "size_bytes_count",
            "app_info",
            "phase",
            "queue_bytes_bucket",
            "queue_bytes_gcount",
            "queue_bytes_gsum",
            "mystery",
            "native_seconds_bucket",
            "stamped",
            "http.server.duration",
        ] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        assert_eq!(names.contains(&"http_requests_created"), created);
        assert_eq!(names.contains(&"native_seconds_created"), created);
    }
}

#[test]
fn labels_are_sorted_by_name_with_the_name_and_text_le() {
    let (series, _, _) = series_of(&families(), NOW_MS, &SeriesOptions::default());
    for s in &series {
        let names: Vec<&str> = s.labels.iter().map(|l| l.name.as_str()).collect();
        let mut want = names.clone();
        want.sort_unstable();
        assert_eq!(names, want);
        assert!(names.contains(&"__name__"));
    }
    let labels = |s: &TimeSeries| -> Vec<(String, String)> {
        s.labels
            .iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect()
    };
    let all: Vec<_> = series.iter().map(labels).collect();
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    let le = |v: &str| {
        vec![
            pair("__name__", "queue_bytes_bucket"),
            pair("le", v),
            pair("queue", "q1"),
        ]
    };
    assert!(all.contains(&le("1024.0")), "{all:?}");
    assert!(all.contains(&le("+Inf")), "{all:?}");
    assert!(all.contains(&vec![pair("__name__", "phase"), pair("phase", "b")]));
    assert!(all.contains(&vec![
        pair("__name__", "http.server.duration"),
        pair("http.route", "/ü")
    ]));
    let native = series
        .iter()
        .find(|s| labels(s)[0] == pair("__name__", "native_seconds_bucket"))
        .expect("the +Inf bucket of a native-only histogram");
    assert_eq!(labels(native)[1], pair("le", "+Inf"));
    assert_eq!(native.samples[0].value, 4.0);
}

#[test]
fn timestamps_are_the_metrics_own_else_now() {
    let (series, _, _) = series_of(&families(), NOW_MS, &SeriesOptions::default());
    for s in &series {
        let name = &s.labels[0].value;
        let want = if name == "stamped" {
            1_600_000_000_456
        } else {
            NOW_MS
        };
        assert_eq!(s.samples[0].timestamp, want, "{name}");
    }
}

#[test]
fn exemplars_of_counters_and_buckets() {
    let families = families();
    let (series, _, _) = series_of(&families, NOW_MS, &SeriesOptions::default());
    let with: Vec<&TimeSeries> = series.iter().filter(|s| !s.exemplars.is_empty()).collect();
    assert_eq!(with.len(), 2, "{with:?}");
    let counter = with
        .iter()
        .find(|s| s.labels[0].value == "http_requests_total")
        .expect("the counter's");
    let ex = &counter.exemplars[0];
    assert_eq!(ex.value, 2.0);
    assert_eq!(
        ex.labels,
        vec![proto::Label {
            name: "trace_id".into(),
            value: "abc".into()
        }]
    );
    // The library stamps exemplars when they are taken.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64;
    assert!((now - 60_000..=now).contains(&ex.timestamp), "{ex:?}");
    let bucket = with
        .iter()
        .find(|s| s.labels[0].value == "wait_seconds_bucket")
        .expect("a bucket's");
    assert_eq!(bucket.exemplars[0].value, 3.0);
    let le = bucket.labels.iter().find(|l| l.name == "le").expect("le");
    assert_eq!(le.value, "5.0");

    // An exemplar without a timestamp takes its sample's.
    let mut f = MetricFamily::new("jobs", "Jobs", MetricType::Counter);
    f.add(
        LabelSet::EMPTY,
        Point::Counter(promscribe::CounterPoint {
            value: 1.0,
            created: None,
            exemplar: Some(
                Exemplar {
                    labels: vec![("b".into(), "2".into()), ("a".into(), "1".into())],
                    value: 1.0,
                    timestamp: None,
                }
                .into(),
            ),
        }),
    )
    .expect("a point of the family's kind");
    let (series, _, _) = series_of(&[f.clone()], NOW_MS, &SeriesOptions::default());
    assert_eq!(series[0].exemplars[0].timestamp, NOW_MS);
    let names: Vec<&str> = series[0].exemplars[0]
        .labels
        .iter()
        .map(|l| l.name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);

    let off = SeriesOptions {
        created: false,
        exemplars: false,
        native_histograms: false,
    };
    let (series, _, _) = series_of(&[f], NOW_MS, &off);
    assert!(series[0].exemplars.is_empty());
}

#[test]
fn metadata_per_type_line_of_the_text_format() {
    let mut families = families();
    families[1].unit = "requests".into();
    let opts = SeriesOptions {
        created: true,
        exemplars: true,
        native_histograms: false,
    };
    let (_, metadata, _) = series_of(&families, NOW_MS, &opts);
    let got: BTreeMap<&str, (i32, &str, &str)> = metadata
        .iter()
        .map(|m| {
            (
                m.metric_family_name.as_str(),
                (m.r#type, m.help.as_str(), m.unit.as_str()),
            )
        })
        .collect();
    assert_eq!(got.len(), metadata.len(), "one entry a name: {metadata:?}");
    use proto::MetricType as T;
    let want: BTreeMap<&str, (i32, &str, &str)> = [
        ("http_requests_total", T::Counter, "Requests.", ""),
        ("http_requests_created", T::Gauge, "Requests.", ""),
        ("in_flight", T::Gauge, "In flight", ""),
        ("wait_seconds", T::Histogram, "Wait", ""),
        ("wait_seconds_created", T::Gauge, "Wait", ""),
        ("size_bytes", T::Summary, "Size", ""),
        ("size_bytes_created", T::Gauge, "Size", ""),
        ("app_info", T::Info, "App", ""),
        ("phase", T::StateSet, "Phase", ""),
        ("queue_bytes", T::GaugeHistogram, "Queue", ""),
        ("queue_bytes_gcount", T::Gauge, "Queue", ""),
        ("queue_bytes_gsum", T::Gauge, "Queue", ""),
        ("mystery", T::Unknown, "Unknown", ""),
        ("native_seconds", T::Histogram, "Native only", ""),
        ("native_seconds_created", T::Gauge, "Native only", ""),
        ("stamped", T::Gauge, "Own timestamp", ""),
        ("http.server.duration", T::Gauge, "UTF-8", ""),
    ]
    .into_iter()
    .map(|(n, t, h, u)| {
        let u = if n == "http_requests_total" {
            "requests"
        } else {
            u
        };
        (n, (t as i32, h, u))
    })
    .collect();
    assert_eq!(got, want);

    // The `# TYPE` lines of the text format name the same families.
    let mut text = String::new();
    let options = EncodeOptions::default()
        .created(true)
        .escaping(EscapingScheme::AllowUtf8);
    encode_families(&mut text, &families, Format::Text1_0_0, &options).expect("encodes");
    let typed: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| {
            l.rsplit_once(' ')
                .expect("a type")
                .0
                .trim_matches('"')
                .to_owned()
        })
        .collect();
    assert_eq!(
        sorted(typed),
        sorted(got.keys().map(|k| (*k).to_owned()).collect())
    );

    let (_, metadata, _) = series_of(
        &families,
        NOW_MS,
        &SeriesOptions {
            created: false,
            exemplars: true,
            native_histograms: false,
        },
    );
    assert!(metadata
        .iter()
        .all(|m| !m.metric_family_name.ends_with("_created")));
}

#[test]
fn series_that_cannot_be_sent_are_errors_naming_them_and_the_rest_go() {
    let mut f = MetricFamily::new("temp", "T", MetricType::Gauge);
    f.push("", vec![("room".into(), "hall".into())], 1.0)
        .expect("a sample");
    f.push("", vec![("room".into(), "".into())], 2.0)
        .expect("a sample");
    f.push(
        "",
        vec![("a".into(), "x\"y".into()), ("".into(), "v".into())],
        3.0,
    )
    .expect("a sample");
    f.push("", vec![("__name__".into(), "other".into())], 4.0)
        .expect("a sample");
    f.push(
        "",
        vec![("a".into(), "1".into()), ("a".into(), "2".into())],
        5.0,
    )
    .expect("a sample");
    f.push("", vec![("room".into(), "attic".into())], 6.0)
        .expect("a sample");
    f.metrics[5].timestamp = Timestamp::new(i64::MAX / 100, 0);
    let (series, metadata, errors) = series_of(&[f], NOW_MS, &SeriesOptions::default());
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].samples[0].value, 1.0);
    assert_eq!(metadata.len(), 1);
    assert_eq!(
        errors,
        [
            EncodeError::EmptyLabelValue {
                series: "temp{room=\"\"}".into(),
                label: "room".into()
            },
            EncodeError::EmptyLabelName {
                series: "temp{=\"v\",a=\"x\\\"y\"}".into()
            },
            EncodeError::DuplicateLabelName {
                series: "temp{__name__=\"other\"}".into(),
                label: "__name__".into()
            },
            EncodeError::DuplicateLabelName {
                series: "temp{a=\"1\",a=\"2\"}".into(),
                label: "a".into()
            },
            EncodeError::TimestampOutOfRange {
                series: "temp{room=\"attic\"}".into()
            },
        ]
    );
    assert_eq!(
        errors[0].to_string(),
        "series temp{room=\"\"}: label `room` has an empty value"
    );
}

#[test]
fn the_body_is_snappy_block_format_of_the_protobuf_request() {
    let (timeseries, metadata, _) = series_of(&families(), NOW_MS, &SeriesOptions::default());
    let request = WriteRequest {
        timeseries,
        metadata,
    };
    let body = encode_request(&request);
    let raw = snap::raw::Decoder::new()
        .decompress_vec(&body)
        .expect("Snappy's block format");
    assert_eq!(raw, request.encode_to_vec());
    assert!(body.len() < raw.len());
    let decoded = WriteRequest::decode(raw.as_slice()).expect("a WriteRequest");
    assert_eq!(decoded, request);
    // Not the framed format: no stream identifier chunk.
    assert!(!body.starts_with(b"\xff\x06\x00\x00sNaPpY"));

    // An empty request is an empty message, compressed.
    let body = encode_request(&WriteRequest::default());
    assert_eq!(
        snap::raw::Decoder::new()
            .decompress_vec(&body)
            .expect("Snappy"),
        Vec::<u8>::new()
    );
}

/// The field numbers of the spec, read off the wire by hand: a label's
/// name is field 1 and value field 2 inside the series' field 1, a sample
/// is field 2 (value double 1, timestamp varint 2), metadata field 3.
#[test]
fn field_numbers_are_the_specs() {
    let request = WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![proto::Label {
                name: "__name__".into(),
                value: "up".into(),
            }],
            samples: vec![proto::Sample {
                value: 1.0,
                timestamp: 5,
            }],
            exemplars: vec![],
            histograms: vec![],
        }],
        metadata: vec![proto::MetricMetadata {
            r#type: proto::MetricType::Gauge as i32,
            metric_family_name: "up".into(),
            help: "h".into(),
            unit: "u".into(),
        }],
    };
    let mut want = vec![0x0a, 29]; // timeseries, 29 bytes
    want.extend([0x0a, 14, 0x0a, 8]); // labels, 14 bytes; name, 8 bytes
    want.extend(b"__name__");
    want.extend([0x12, 2]); // value, 2 bytes
    want.extend(b"up");
    want.extend([0x12, 11, 0x09]); // samples, 11 bytes; value: double
    want.extend(1.0f64.to_le_bytes());
    want.extend([0x10, 5]); // timestamp 5
    want.extend([0x1a, 12, 0x08, 2, 0x12, 2]); // metadata; type 2; family name
    want.extend(b"up");
    want.extend([0x22, 1, b'h', 0x2a, 1, b'u']); // help 4, unit 5
    assert_eq!(request.encode_to_vec(), want);
}

/// One side's `(index, count)` buckets read back from the spans and deltas
/// of a native histogram, the empty buckets inside spans left out.
fn buckets_of(spans: &[proto::BucketSpan], deltas: &[i64]) -> Vec<(i32, u64)> {
    let mut out = Vec::new();
    let (mut index, mut count, mut d) = (0i32, 0i64, deltas.iter());
    // The first offset counts from index 0, each next one from the end
    // of the previous span.
    for span in spans {
        index += span.offset;
        for _ in 0..span.length {
            count += d.next().expect("a delta per bucket");
            if count != 0 {
                out.push((index, u64::try_from(count).expect("a count")));
            }
            index += 1;
        }
    }
    assert!(d.next().is_none(), "no delta beyond the spans");
    out
}

fn native_point(classic: bool, native: NativeBuckets) -> HistogramPoint {
    HistogramPoint {
        bounds: Bounds::from(if classic {
            vec![1.0, f64::INFINITY]
        } else {
            vec![]
        }),
        counts: if classic { vec![3.0, 9.0] } else { vec![] },
        count: Some(9.0),
        sum: Some(-12.5),
        created: Some(1_690_000_000.0),
        exemplars: vec![],
        native: Some(native.into()),
    }
}

fn rich_buckets() -> NativeBuckets {
    NativeBuckets {
        schema: 3,
        zero_threshold: 2f64.powi(-128),
        zero_count: 1,
        // A gap of two (filled) and one of five (a new span).
        positive: vec![(-2, 1), (1, 2), (7, 1)],
        negative: vec![(4, 3)],
        exemplars: vec![],
    }
}

fn name_of(s: &TimeSeries) -> &str {
    &s.labels
        .iter()
        .find(|l| l.name == "__name__")
        .expect("a name")
        .value
}

const NATIVE_ON: SeriesOptions = SeriesOptions {
    created: true,
    exemplars: true,
    native_histograms: true,
};

#[test]
fn native_histograms_are_off_by_default() {
    assert!(!SeriesOptions::default().native_histograms);
    assert!(!SeriesOptions::from(&EncodeOptions::default()).native_histograms);
    let (series, _, _) = series_of(&families(), NOW_MS, &SeriesOptions::default());
    assert!(series.iter().all(|s| s.histograms.is_empty()));
    // The native-only histogram goes as a text scrape stores it.
    assert!(series.iter().any(|s| name_of(s) == "native_seconds_bucket"));
    assert!(series.iter().any(|s| name_of(s) == "native_seconds_count"));
}

#[test]
fn a_native_histogram_decoded_back_equals_the_points_buckets() {
    let mut f = MetricFamily::new("rpc_seconds", "RPC", MetricType::Histogram);
    f.add(
        LabelSet::new([("svc", "a")]),
        Point::Histogram(native_point(false, rich_buckets())),
    )
    .expect("a point");
    let (series, _, errors) = series_of(&[f], NOW_MS, &NATIVE_ON);
    assert!(errors.is_empty(), "{errors:?}");
    // Native only: the histogram and `_created`; no `+Inf` bucket, no
    // `_count`, no `_sum`.
    let names: Vec<&str> = series.iter().map(name_of).collect();
    assert_eq!(sorted(names), ["rpc_seconds", "rpc_seconds_created"]);
    let request = WriteRequest {
        timeseries: series,
        metadata: vec![],
    };
    let raw = snap::raw::Decoder::new()
        .decompress_vec(&encode_request(&request))
        .expect("Snappy");
    let decoded = WriteRequest::decode(raw.as_slice()).expect("a WriteRequest");
    let native = decoded
        .timeseries
        .iter()
        .find(|s| name_of(s) == "rpc_seconds")
        .expect("the native series");
    let labels: Vec<(&str, &str)> = native
        .labels
        .iter()
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect();
    assert_eq!(labels, [("__name__", "rpc_seconds"), ("svc", "a")]);
    assert!(native.samples.is_empty());
    let [h] = native.histograms.as_slice() else {
        panic!("one histogram: {native:?}");
    };
    let want = rich_buckets();
    assert_eq!(h.count, Some(proto::HistogramCount::Int(9)));
    assert_eq!(h.sum, -12.5);
    assert_eq!(h.schema, 3);
    assert_eq!(h.zero_threshold, want.zero_threshold);
    assert_eq!(h.zero_count, Some(proto::HistogramZeroCount::Int(1)));
    assert_eq!(h.timestamp, NOW_MS);
    assert_eq!(h.reset_hint, proto::ResetHint::Unknown as i32);
    assert_eq!(
        buckets_of(&h.positive_spans, &h.positive_deltas),
        want.positive
    );
    assert_eq!(
        buckets_of(&h.negative_spans, &h.negative_deltas),
        want.negative
    );
    // Cut as the protobuf exposition cuts them.
    let spans: Vec<(i32, u32)> = h
        .positive_spans
        .iter()
        .map(|s| (s.offset, s.length))
        .collect();
    assert_eq!(spans, [(-2, 4), (5, 1)]);
    assert!(h.positive_counts.is_empty() && h.negative_counts.is_empty());
}

#[test]
fn a_mixed_histogram_keeps_its_classic_series_beside_the_native_one() {
    let mut f = MetricFamily::new("rpc_seconds", "RPC", MetricType::Histogram);
    f.add(
        LabelSet::EMPTY,
        Point::Histogram(native_point(true, rich_buckets())),
    )
    .expect("a point");
    let (series, _, errors) = series_of(&[f.clone()], NOW_MS, &NATIVE_ON);
    assert!(errors.is_empty(), "{errors:?}");
    let names: Vec<&str> = series.iter().map(name_of).collect();
    let (classic, _, _) = series_of(
        &[f],
        NOW_MS,
        &SeriesOptions {
            native_histograms: false,
            ..NATIVE_ON
        },
    );
    let mut want: Vec<&str> = classic.iter().map(name_of).collect();
    want.push("rpc_seconds");
    assert_eq!(sorted(names), sorted(want));
    assert_eq!(
        series.iter().filter(|s| !s.histograms.is_empty()).count(),
        1
    );
}

#[test]
fn a_library_histogram_with_native_buckets_goes_as_observed() {
    let r = Registry::new();
    let h = Histogram::with_native(
        Opts::new("lat_seconds", "Latency"),
        None,
        promscribe::NativeOpts::new(),
    )
    .expect("a native histogram");
    r.register(h.clone()).expect("registers");
    for v in [0.0, 0.3, 0.3, 1.5, -2.0] {
        h.observe(v);
    }
    let families = r.gather();
    let (series, _, errors) = series_of(&families, NOW_MS, &NATIVE_ON);
    assert!(errors.is_empty(), "{errors:?}");
    let native = series
        .iter()
        .find(|s| name_of(s) == "lat_seconds")
        .expect("the native series");
    let h = &native.histograms[0];
    let Point::Histogram(point) = &families[0].metrics[0].point else {
        panic!("a histogram point");
    };
    let buckets = point.native.as_deref().expect("native buckets");
    assert_eq!(h.count, Some(proto::HistogramCount::Int(5)));
    assert_eq!(Some(h.sum), point.sum);
    assert_eq!(h.schema, buckets.schema);
    assert_eq!(h.zero_count, Some(proto::HistogramZeroCount::Int(1)));
    assert_eq!(
        buckets_of(&h.positive_spans, &h.positive_deltas),
        buckets.positive
    );
    assert_eq!(
        buckets_of(&h.negative_spans, &h.negative_deltas),
        buckets.negative
    );
}

#[test]
fn a_native_gauge_histogram_hints_gauge_and_bad_buckets_are_an_error() {
    let mut f = MetricFamily::new("queue_bytes", "Queue", MetricType::GaugeHistogram);
    f.add(
        LabelSet::new([("q", "ok")]),
        Point::GaugeHistogram(native_point(false, rich_buckets())),
    )
    .expect("a point");
    let mut bad = rich_buckets();
    bad.positive = vec![(3, 1), (1, 1)];
    f.add(
        LabelSet::new([("q", "bad")]),
        Point::GaugeHistogram(native_point(false, bad)),
    )
    .expect("a point");
    let (series, _, errors) = series_of(&[f], NOW_MS, &NATIVE_ON);
    let names: Vec<&str> = series.iter().map(name_of).collect();
    // Native only: no `_gcount`, no `_gsum`, no `+Inf` bucket.
    assert_eq!(names, ["queue_bytes"]);
    assert_eq!(
        series[0].histograms[0].reset_hint,
        proto::ResetHint::Gauge as i32
    );
    let [EncodeError::InvalidNative { series, reason }] = errors.as_slice() else {
        panic!("one error: {errors:?}");
    };
    assert_eq!(series, "queue_bytes{q=\"bad\"}");
    assert!(reason.contains("not strictly increasing"), "{reason}");
}
