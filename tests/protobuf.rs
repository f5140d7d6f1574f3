//! The Prometheus protobuf exposition (`Format::Protobuf`): the bytes are
//! decoded with prost, through a message set mirroring `metrics.proto` of
//! `prometheus/client_model` (below), and compared with the typed model
//! for every metric type; `_created` travels as `created_timestamp`,
//! exemplars on counters and buckets; values the format cannot carry are
//! errors naming the family; `/metrics` answers protobuf for Prometheus'
//! `Accept` with the exact `Content-Type`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use promscribe::{
    encode, encode_bytes, encode_families_bytes, Bounds, CounterPoint, EncodeOptions, Enum,
    EscapingScheme, Exemplar, Family, Format, Gauge, Histogram, HistogramPoint, Info, LabelSet,
    MetricFamily, MetricType, Opts, Point, Registry, States, Summary, SummaryPoint, Timestamp,
    PROTOBUF_CONTENT_TYPE,
};
use prost::Message;

#[path = "protobuf_pb/mod.rs"]
mod pb;

/// Every length-delimited `MetricFamily` of `bytes`; the whole input must
/// be consumed.
fn decode(mut bytes: &[u8]) -> Vec<pb::MetricFamily> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        out.push(pb::MetricFamily::decode_length_delimited(&mut bytes).expect("a MetricFamily"));
    }
    out
}

fn encode_pb(families: &[MetricFamily], options: &EncodeOptions) -> Vec<pb::MetricFamily> {
    let mut out = Vec::new();
    encode_families_bytes(&mut out, families, Format::Protobuf, options).expect("encodes");
    decode(&out)
}

fn ts(t: f64) -> pb::Timestamp {
    let seconds = t.floor();
    pb::Timestamp {
        seconds: seconds as i64,
        nanos: ((t - seconds) * 1e9).round() as i32,
    }
}

fn pairs<'a>(it: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<pb::LabelPair> {
    it.into_iter()
        .map(|(k, v)| pb::LabelPair {
            name: Some(k.to_owned()),
            value: Some(v.to_owned()),
        })
        .collect()
}

fn exemplar(e: &Exemplar) -> pb::Exemplar {
    pb::Exemplar {
        label: pairs(e.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        value: Some(e.value),
        timestamp: e.timestamp.map(ts),
    }
}

fn count(c: f64) -> (Option<u64>, Option<f64>) {
    if c.fract() == 0.0 {
        (Some(c as u64), None)
    } else {
        (None, Some(c))
    }
}

/// What the model says the decoded family must be: the mapping written
/// out once more, independently of the encoder, with prost's types.
fn expected(f: &MetricFamily, created: bool) -> pb::MetricFamily {
    let created = |t: Option<f64>| if created { t.map(ts) } else { None };
    let (suffix, kind) = match f.kind {
        MetricType::Counter => ("_total", pb::MetricType::Counter),
        MetricType::Gauge | MetricType::StateSet => ("", pb::MetricType::Gauge),
        MetricType::Info => ("_info", pb::MetricType::Gauge),
        MetricType::Histogram => ("", pb::MetricType::Histogram),
        MetricType::GaugeHistogram => ("", pb::MetricType::GaugeHistogram),
        MetricType::Summary => ("", pb::MetricType::Summary),
        MetricType::Unknown => ("", pb::MetricType::Untyped),
    };
    let mut metrics = Vec::new();
    for m in &f.metrics {
        let base = pb::Metric {
            label: pairs(m.labels.pairs()),
            timestamp_ms: m.timestamp.and_then(|t| t.as_millis()),
            ..Default::default()
        };
        let gauge = |v: f64| pb::Metric {
            gauge: Some(pb::Gauge { value: Some(v) }),
            ..base.clone()
        };
        match &m.point {
            Point::Counter(c) => metrics.push(pb::Metric {
                counter: Some(pb::Counter {
                    value: Some(c.value),
                    exemplar: c.exemplar.as_deref().map(exemplar),
                    created_timestamp: created(c.created),
                }),
                ..base
            }),
            Point::Gauge(v) => metrics.push(gauge(*v)),
            Point::Info => metrics.push(gauge(1.0)),
            Point::Unknown(v) => metrics.push(pb::Metric {
                untyped: Some(pb::Untyped { value: Some(*v) }),
                ..base
            }),
            Point::StateSet(states) => {
                for (state, on) in states {
                    let mut label = base.label.clone();
                    label.extend(pairs([(f.name.as_str(), state.as_str())]));
                    metrics.push(pb::Metric {
                        label,
                        ..gauge(if *on { 1.0 } else { 0.0 })
                    });
                }
            }
            Point::Summary(s) => metrics.push(pb::Metric {
                summary: Some(pb::Summary {
                    sample_count: s.count.map(|c| c as u64),
                    sample_sum: s.sum,
                    quantile: s
                        .quantiles
                        .iter()
                        .map(|(q, v)| pb::Quantile {
                            quantile: Some(*q),
                            value: Some(*v),
                        })
                        .collect(),
                    created_timestamp: created(s.created),
                }),
                ..base
            }),
            Point::Histogram(h) | Point::GaugeHistogram(h) => {
                let gauge = matches!(m.point, Point::GaugeHistogram(_));
                let (sample_count, sample_count_float) =
                    count(h.count.or(h.counts.last().copied()).unwrap_or(0.0));
                metrics.push(pb::Metric {
                    histogram: Some(pb::Histogram {
                        sample_count,
                        sample_count_float,
                        sample_sum: h.sum,
                        bucket: h
                            .bounds
                            .as_slice()
                            .iter()
                            .zip(&h.counts)
                            .enumerate()
                            .map(|(i, (b, c))| {
                                let (cumulative_count, cumulative_count_float) = count(*c);
                                pb::Bucket {
                                    cumulative_count,
                                    cumulative_count_float,
                                    upper_bound: Some(*b),
                                    exemplar: h.exemplar(i).map(exemplar),
                                }
                            })
                            .collect(),
                        created_timestamp: if gauge { None } else { created(h.created) },
                        ..Default::default()
                    }),
                    ..base
                })
            }
            other => panic!("a point this test does not know: {other:?}"),
        }
    }
    pb::MetricFamily {
        name: Some(format!("{}{suffix}", f.name)),
        help: (!f.help.is_empty()).then(|| f.help.clone()),
        r#type: Some(kind as i32),
        metric: metrics,
        unit: (!f.unit.is_empty()).then(|| f.unit.clone()),
    }
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

/// One family of every type, with the corners of each: hostile label
/// values, UTF-8, timestamps, missing counts and sums, fractional counts,
/// exemplars with and without timestamps.
fn every_type() -> Vec<MetricFamily> {
    let hostile = LabelSet::new([("path", "/a\"b\\c\nd"), ("city", "Zürich ☃")]);
    let mut out = Vec::new();

    let mut f = MetricFamily::new("jobs", "Jobs run.\nSecond \"line\"", MetricType::Counter);
    f.add(
        hostile.clone(),
        Point::Counter(CounterPoint {
            value: 3.5,
            created: Some(1_700_000_000.25),
            exemplar: ex(
                &[("trace_id", "abc"), ("span", "☃")],
                0.5,
                Some(1_700_000_001.125),
            ),
        }),
    )
    .expect("a point of the family's kind");
    f.add(
        LabelSet::new([("path", "/"), ("city", "")]),
        Point::Counter(CounterPoint {
            value: 0.0,
            created: None,
            exemplar: ex(&[], 1.0, None),
        }),
    )
    .expect("a point of the family's kind");
    out.push(f);

    let mut f = MetricFamily::new("temperature_celsius", "", MetricType::Gauge);
    f.unit = "celsius".into();
    f.add(LabelSet::EMPTY, Point::Gauge(-12.5))
        .expect("a point of the family's kind");
    f.add(LabelSet::new([("room", "a")]), Point::Gauge(f64::NAN))
        .expect("a point of the family's kind");
    f.metrics[0].timestamp = Some(Timestamp::from_millis(-1_500));
    // Below the millisecond: rounded down.
    f.metrics[1].timestamp = Timestamp::new(1_700_000_000, 123_999_999);
    out.push(f);

    let mut f = MetricFamily::new("latency_seconds", "Latency", MetricType::Histogram);
    f.add(
        hostile.clone(),
        Point::Histogram(HistogramPoint {
            bounds: Bounds::from(vec![0.1, 1.0, f64::INFINITY]),
            counts: vec![1.0, 3.0, 4.0],
            count: Some(4.0),
            sum: Some(7.25),
            created: Some(1_650_000_000.5),
            exemplars: vec![
                ex(&[("trace_id", "t1")], 0.05, Some(1_700_000_002.0)),
                None,
                ex(&[("trace_id", "t3")], 9.0, None),
            ],
            native: None,
        }),
    )
    .expect("a point of the family's kind");
    // As Python's HistogramMetricFamily without a sum, fractional counts.
    f.add(
        LabelSet::new([("path", "/x"), ("city", "y")]),
        Point::Histogram(HistogramPoint {
            bounds: Bounds::from(vec![-1.0, f64::INFINITY]),
            counts: vec![0.5, 2.5],
            count: None,
            sum: None,
            created: None,
            exemplars: vec![],
            native: None,
        }),
    )
    .expect("a point of the family's kind");
    out.push(f);

    let mut f = MetricFamily::new("queue_bytes", "Queue", MetricType::GaugeHistogram);
    f.add(
        LabelSet::EMPTY,
        Point::GaugeHistogram(HistogramPoint {
            bounds: Bounds::from(vec![1024.0, f64::INFINITY]),
            counts: vec![2.0, 5.0],
            count: Some(5.0),
            sum: Some(9000.0),
            created: Some(1.0),
            exemplars: vec![None, ex(&[("id", "q")], 4096.0, Some(2.0))],
            native: None,
        }),
    )
    .expect("a point of the family's kind");
    out.push(f);

    let mut f = MetricFamily::new("rpc_seconds", "RPC", MetricType::Summary);
    f.add(
        hostile.clone(),
        Point::Summary(SummaryPoint {
            count: Some(10.0),
            sum: Some(2.5),
            quantiles: vec![(0.5, 0.2), (0.99, 1.5)],
            created: Some(1_600_000_000.0),
        }),
    )
    .expect("a point of the family's kind");
    f.add(
        LabelSet::new([("path", "/n"), ("city", "c")]),
        Point::Summary(SummaryPoint {
            count: None,
            sum: None,
            quantiles: vec![],
            created: None,
        }),
    )
    .expect("a point of the family's kind");
    out.push(f);

    let mut f = MetricFamily::new("build", "Build", MetricType::Info);
    f.add(
        LabelSet::new([("version", "1.2.3"), ("commit", "abc\"")]),
        Point::Info,
    )
    .expect("a point of the family's kind");
    out.push(f);

    let mut f = MetricFamily::new("door", "Door", MetricType::StateSet);
    f.add(
        LabelSet::new([("site", "north")]),
        Point::StateSet(vec![("open".into(), false), ("closed".into(), true)]),
    )
    .expect("a point of the family's kind");
    out.push(f);

    let mut f = MetricFamily::new("mystery", "Unknown", MetricType::Unknown);
    f.add(LabelSet::EMPTY, Point::Unknown(f64::NEG_INFINITY))
        .expect("a point of the family's kind");
    out.push(f);
    out
}

/// NaN != NaN: compare through the bits of every double, via Debug of
/// the bits-normalised message.
fn same(a: &[pb::MetricFamily], b: &[pb::MetricFamily]) -> bool {
    let norm = |f: &[pb::MetricFamily]| format!("{f:?}").replace("NaN", "nan");
    a.len() == b.len() && norm(a) == norm(b)
}

#[test]
fn every_metric_type_decodes_to_the_typed_model() {
    let families = every_type();
    for created in [true, false] {
        let options = EncodeOptions::default().created(created);
        let got = encode_pb(&families, &options);
        let want: Vec<_> = families.iter().map(|f| expected(f, created)).collect();
        assert!(
            same(&got, &want),
            "created {created}:\n{got:#?}\n!=\n{want:#?}"
        );
    }

    // A few facts spelled out, not derived.
    let got = encode_pb(&families, &EncodeOptions::default().created(true));
    assert_eq!(got.len(), 8);
    let counter = &got[0];
    assert_eq!(counter.name.as_deref(), Some("jobs_total"));
    assert_eq!(counter.r#type, Some(pb::MetricType::Counter as i32));
    let c = counter.metric[0].counter.as_ref().unwrap();
    assert_eq!(c.value, Some(3.5));
    assert_eq!(
        c.created_timestamp,
        Some(pb::Timestamp {
            seconds: 1_700_000_000,
            nanos: 250_000_000
        })
    );
    let e = c.exemplar.as_ref().unwrap();
    assert_eq!(e.label[1].value.as_deref(), Some("☃"));
    assert_eq!(
        e.timestamp,
        Some(pb::Timestamp {
            seconds: 1_700_000_001,
            nanos: 125_000_000
        })
    );
    assert_eq!(
        counter.metric[0].label[0].value.as_deref(),
        Some("/a\"b\\c\nd")
    );
    assert_eq!(got[1].unit.as_deref(), Some("celsius"));
    assert_eq!(got[1].help, None);
    assert_eq!(got[1].metric[0].timestamp_ms, Some(-1_500));
    assert_eq!(got[1].metric[1].timestamp_ms, Some(1_700_000_000_123));
    let h = got[2].metric[0].histogram.as_ref().unwrap();
    assert_eq!(h.sample_count, Some(4));
    assert_eq!(h.bucket[1].cumulative_count, Some(3));
    assert_eq!(h.bucket[2].upper_bound, Some(f64::INFINITY));
    assert_eq!(h.bucket[0].exemplar.as_ref().unwrap().value, Some(0.05));
    assert!(h.bucket[1].exemplar.is_none());
    assert_eq!(h.created_timestamp.unwrap().nanos, 500_000_000);
    assert_eq!(h.schema, None, "a classic histogram");
    let h = got[2].metric[1].histogram.as_ref().unwrap();
    assert_eq!(h.bucket[0].cumulative_count_float, Some(0.5));
    assert_eq!(h.sample_count_float, Some(2.5));
    assert_eq!(h.sample_sum, None);
    assert_eq!(got[3].r#type, Some(pb::MetricType::GaugeHistogram as i32));
    assert_eq!(
        got[3].metric[0]
            .histogram
            .as_ref()
            .unwrap()
            .created_timestamp,
        None
    );
    assert_eq!(got[5].name.as_deref(), Some("build_info"));
    assert_eq!(got[6].metric.len(), 2);
    assert_eq!(got[6].metric[1].label[1].name.as_deref(), Some("door"));
    assert_eq!(got[6].metric[1].label[1].value.as_deref(), Some("closed"));
    assert_eq!(got[6].metric[1].gauge.as_ref().unwrap().value, Some(1.0));
    assert_eq!(got[7].r#type, Some(pb::MetricType::Untyped as i32));

    let got = encode_pb(&families, &EncodeOptions::default().created(false));
    assert_eq!(
        got[0].metric[0].counter.as_ref().unwrap().created_timestamp,
        None
    );
    assert_eq!(
        got[4].metric[0].summary.as_ref().unwrap().created_timestamp,
        None
    );
}

#[test]
fn a_registry_of_real_metrics_round_trips() {
    let r = Registry::new();
    let c = promscribe::Counter::new("orders_total", "Orders").unwrap();
    r.register(c.clone()).unwrap();
    c.inc_by_with_exemplar(2.0, &[("trace_id", "0af7651916cd43dd")])
        .unwrap();
    let g = Gauge::new("in_flight", "In flight").unwrap();
    r.register(g.clone()).unwrap();
    g.set(3.0);
    let h = Histogram::new("wait_seconds", "Wait").unwrap();
    r.register(h.clone()).unwrap();
    h.observe(0.02);
    h.observe_with_exemplar(3.0, &[("trace_id", "t")]).unwrap();
    let s = Summary::new("size_bytes", "Size").unwrap();
    r.register(s.clone()).unwrap();
    s.observe(512.0);
    let i = Info::new("app", "App").unwrap();
    r.register(i.clone()).unwrap();
    i.set([("version", "9")]).unwrap();
    let e = Enum::new(
        Opts::new("phase", "Phase"),
        States::new(["a", "b"]).unwrap(),
    )
    .unwrap();
    r.register(e.clone()).unwrap();
    e.state("b").unwrap();
    let fam = Family::<Gauge, 1>::new(Opts::new("room_temp", "T").labels(["room"])).unwrap();
    r.register(fam.clone()).unwrap();
    fam.labels(["hall"]).set(19.5);

    let options = EncodeOptions::default().created(true);
    let mut bytes = Vec::new();
    encode_bytes(&mut bytes, &r, Format::Protobuf, &options).unwrap();
    let got = decode(&bytes);
    let want: Vec<_> = r.gather().iter().map(|f| expected(f, true)).collect();
    assert!(same(&got, &want), "{got:#?}\n!=\n{want:#?}");

    let orders = got
        .iter()
        .find(|f| f.name.as_deref() == Some("orders_total"))
        .expect("the counter");
    let oc = orders.metric[0].counter.as_ref().unwrap();
    assert_eq!(oc.value, Some(2.0));
    let created = oc.created_timestamp.unwrap();
    assert_eq!(created.seconds, c.created().floor() as i64);
    let ex = oc.exemplar.as_ref().unwrap();
    assert_eq!(ex.label[0].value.as_deref(), Some("0af7651916cd43dd"));
    assert!(ex.timestamp.is_some_and(|t| t.seconds > 1_600_000_000));
    let wait = got
        .iter()
        .find(|f| f.name.as_deref() == Some("wait_seconds"))
        .expect("the histogram");
    let wh = wait.metric[0].histogram.as_ref().unwrap();
    assert_eq!(wh.sample_count, Some(2));
    assert_eq!(wh.bucket.last().unwrap().cumulative_count, Some(2));
    let with_exemplar: Vec<_> = wh.bucket.iter().filter(|b| b.exemplar.is_some()).collect();
    assert_eq!(with_exemplar.len(), 1);
    assert!(with_exemplar[0].upper_bound.unwrap() >= 3.0);
}

#[test]
fn values_the_format_cannot_carry_are_errors_naming_the_family() {
    let ok = every_type();
    let cases: Vec<(MetricFamily, &str)> = vec![
        {
            let mut f = MetricFamily::new("fractional", "", MetricType::Summary);
            f.add(
                LabelSet::EMPTY,
                Point::Summary(SummaryPoint {
                    count: Some(1.5),
                    sum: None,
                    quantiles: vec![],
                    created: None,
                }),
            )
            .unwrap();
            (f, "summary count 1.5")
        },
        {
            let mut f = MetricFamily::new("nan_bucket", "", MetricType::Histogram);
            f.add(
                LabelSet::EMPTY,
                Point::Histogram(HistogramPoint {
                    bounds: Bounds::from(vec![f64::INFINITY]),
                    counts: vec![f64::NAN],
                    count: None,
                    sum: None,
                    created: None,
                    exemplars: vec![],
                    native: None,
                }),
            )
            .unwrap();
            (f, "bucket count NaN")
        },
        {
            let mut f = MetricFamily::new("bad_created", "", MetricType::Counter);
            f.add(
                LabelSet::EMPTY,
                Point::Counter(CounterPoint {
                    value: 1.0,
                    created: Some(f64::INFINITY),
                    exemplar: None,
                }),
            )
            .unwrap();
            (f, "created time inf")
        },
    ];
    for (bad, what) in cases {
        let mut families = ok.clone();
        families.push(bad);
        let mut out = b"kept".to_vec();
        let err = encode_families_bytes(
            &mut out,
            &families,
            Format::Protobuf,
            &EncodeOptions::default().created(true),
        )
        .unwrap_err()
        .to_string();
        let name = &families.last().unwrap().name;
        assert!(err.contains(&format!("`{name}`")), "{err}");
        assert!(err.contains(what), "{err}");
        assert_eq!(out, b"kept", "nothing appended on an error");
    }
    // An infinite created time is only an error when it is written.
    let mut f = MetricFamily::new("bad_created", "", MetricType::Counter);
    f.add(
        LabelSet::EMPTY,
        Point::Counter(CounterPoint {
            value: 1.0,
            created: Some(f64::INFINITY),
            exemplar: None,
        }),
    )
    .unwrap();
    let got = encode_pb(&[f], &EncodeOptions::default().created(false));
    assert_eq!(got[0].metric[0].counter.as_ref().unwrap().value, Some(1.0));
}

#[test]
fn text_entry_point_refuses_the_binary_format() {
    let r = Registry::new();
    let g = Gauge::new("up", "Up").unwrap();
    r.register(g).unwrap();
    let mut out = String::new();
    assert!(encode(&mut out, &r, Format::Protobuf, &EncodeOptions::default()).is_err());
    assert_eq!(out, "");
    assert!(!Format::Protobuf.is_text());
    // The byte entry point writes the text formats too, unchanged.
    for format in [Format::Text, Format::OpenMetrics] {
        let mut text = String::new();
        encode(&mut text, &r, format, &EncodeOptions::default()).unwrap();
        let mut bytes = Vec::new();
        encode_bytes(&mut bytes, &r, format, &EncodeOptions::default()).unwrap();
        assert_eq!(bytes, text.as_bytes());
    }
}

/// What Prometheus 2.x sends with `--enable-feature=native-histograms`.
const PROMETHEUS2_PROTOBUF: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// What Prometheus 3.x sends with `scrape_protocols` putting protobuf first.
const PROMETHEUS3_PROTOBUF: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

#[test]
fn negotiation_picks_protobuf_only_when_asked_for_delimited() {
    use promscribe_export::negotiate;
    let cases = [
        (PROMETHEUS2_PROTOBUF, Format::Protobuf),
        (PROMETHEUS3_PROTOBUF, Format::Protobuf),
        (
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
            Format::Protobuf,
        ),
        // q-values win over order, order breaks ties.
        (
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.4,application/openmetrics-text;q=0.5",
            Format::OpenMetrics,
        ),
        (
            "text/plain,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
            Format::Text,
        ),
        (
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0",
            Format::Text,
        ),
        // Other encodings, other messages, or none: not served.
        (
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
            Format::Text,
        ),
        (
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily",
            Format::Text,
        ),
        (
            "application/vnd.google.protobuf;proto=other.Message;encoding=delimited",
            Format::Text,
        ),
        ("application/vnd.google.protobuf", Format::Text),
    ];
    for (accept, want) in cases {
        assert_eq!(negotiate(accept), want, "{accept}");
    }
}

/// GET /metrics with `Accept`: status, Content-Type, body bytes.
fn get(addr: &str, accept: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let req = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: {accept}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).expect("writes");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("reads");
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let body = raw[end + 4..].to_vec();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status");
    let ct = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    (status, ct, body)
}

promscribe::counter!(PB_HITS, "pb_hits_total", "Hits");

#[test]
fn metrics_endpoint_answers_protobuf_with_its_content_type() {
    PB_HITS.inc_by_u64(7);
    let server = promscribe_export::start_http_server("127.0.0.1:0").expect("binds");
    let addr = server.local_addr().to_string();
    for accept in [PROMETHEUS2_PROTOBUF, PROMETHEUS3_PROTOBUF] {
        let (status, ct, body) = get(&addr, accept);
        assert_eq!(status, 200);
        assert_eq!(ct, format!("{PROTOBUF_CONTENT_TYPE}; escaping=underscores"));
        assert_eq!(
            ct,
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores"
        );
        let families = decode(&body);
        let hits = families
            .iter()
            .find(|f| f.name.as_deref() == Some("pb_hits_total"))
            .expect("the counter");
        let c = hits.metric[0].counter.as_ref().expect("a counter");
        assert_eq!(c.value, Some(7.0));
        assert!(c.created_timestamp.is_some());
    }
    // The text formats are still what other scrapers get.
    let (_, ct, body) = get(&addr, "text/plain");
    assert_eq!(
        ct,
        "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"
    );
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("pb_hits_total 7.0\n"));
    server.stop().expect("stops");
}

#[test]
fn times_are_whole_seconds_and_nanos_in_range() {
    let cases = [
        (-1.5, (-2, 500_000_000)),
        (1.999_999_999_9, (2, 0)),
        (0.001, (0, 1_000_000)),
        (1_700_000_000.0, (1_700_000_000, 0)),
    ];
    for (t, (seconds, nanos)) in cases {
        let mut f = MetricFamily::new("t", "", MetricType::Counter);
        f.add(
            LabelSet::EMPTY,
            Point::Counter(CounterPoint {
                value: 1.0,
                created: Some(t),
                exemplar: ex(&[("a", "b")], 1.0, Some(t)),
            }),
        )
        .unwrap();
        let got = encode_pb(&[f], &EncodeOptions::default().created(true));
        let c = got[0].metric[0].counter.clone().unwrap();
        let want = Some(pb::Timestamp { seconds, nanos });
        assert_eq!(c.created_timestamp, want, "created {t}");
        assert_eq!(c.exemplar.unwrap().timestamp, want, "exemplar {t}");
    }
}

/// Names in the options' escaping scheme, as client_golang's
/// `EscapeMetricFamily`: as given with `allow-utf-8`, escaped otherwise
/// (family, label and exemplar label names; a state set's label escaped as
/// a label name), legacy names untouched.
#[test]
fn names_follow_the_escaping_scheme() {
    let mut c = MetricFamily::new("my.requests", "Requests", MetricType::Counter);
    c.add(
        LabelSet::new([("http.method", "GET"), ("code", "200")]),
        Point::Counter(CounterPoint {
            value: 1.0,
            created: None,
            exemplar: ex(&[("trace.id", "abc")], 1.0, None),
        }),
    )
    .expect("fits");
    let mut s = MetricFamily::new("ns:state", "State", MetricType::StateSet);
    s.add(LabelSet::EMPTY, Point::StateSet(vec![("on".into(), true)]))
        .expect("fits");
    let mut g = MetricFamily::new("legacy", "Legacy", MetricType::Gauge);
    g.add(LabelSet::new([("a", "1")]), Point::Gauge(2.0))
        .expect("fits");
    let families = [c, s, g];
    let names = |scheme| {
        let options = EncodeOptions::default().created(false).escaping(scheme);
        encode_pb(&families, &options)
            .into_iter()
            .map(|f| {
                let labels: Vec<String> = f
                    .metric
                    .iter()
                    .flat_map(|m| {
                        let ex = m
                            .counter
                            .iter()
                            .flat_map(|c| c.exemplar.iter())
                            .flat_map(|e| e.label.iter());
                        m.label.iter().chain(ex)
                    })
                    .map(|l| l.name.clone().unwrap_or_default())
                    .collect();
                format!("{} {}", f.name.unwrap_or_default(), labels.join(","))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(EscapingScheme::AllowUtf8),
        [
            "my.requests_total http.method,code,trace.id",
            "ns:state ns:state",
            "legacy a"
        ]
    );
    assert_eq!(
        names(EscapingScheme::Underscores),
        [
            "my_requests_total http_method,code,trace_id",
            "ns:state ns_state",
            "legacy a"
        ]
    );
    assert_eq!(
        names(EscapingScheme::Dots),
        [
            "my_dot_requests_total http_dot_method,code,trace_dot_id",
            "ns:state ns__state",
            "legacy a"
        ]
    );
    assert_eq!(
        names(EscapingScheme::Values),
        [
            "U__my_2e_requests_total U__http_2e_method,code,U__trace_2e_id",
            "ns:state U__ns_3a_state",
            "legacy a"
        ]
    );
}
