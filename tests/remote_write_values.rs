//! The remote-write wire format against a real receiver: a Prometheus
//! 2.42 started with `--web.enable-remote-write-receiver` and
//! `--enable-feature=exemplar-storage` (on 127.0.0.1 with a temporary data
//! directory, stopped by pid) gets one request of a registry with a metric
//! of every type, POSTed as the spec says (`Content-Encoding: snappy`,
//! `Content-Type: application/x-protobuf`,
//! `X-Prometheus-Remote-Write-Version: 0.1.0`); PromQL then finds every
//! series sent with its value, and `/api/v1/query_exemplars` the
//! exemplars.
//!
//! Then what the receiver does with a request holding one bad sample (out
//! of order: older than the one stored for its series) among good ones:
//! Prometheus 2.42 answers 400 `out of order sample` and rolls the whole
//! request back, good series included (what a sender must know to keep
//! one bad series from costing a batch). A request resent whole, samples
//! already stored, is accepted (204): a retry after a lost answer costs
//! nothing. A sample at a stored timestamp with another value is a 400
//! too; a label name given twice is a 500 (`is not unique`), which a
//! sender would retry for ever: the encoder never sends one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use promscribe::{
    Counter, Enum, Family, Gauge, Histogram, Info, MetricFamily, MetricType, Opts, Registry,
    States, Summary,
};
use promscribe_test_support::{
    http_get, prometheus_query, start_prometheus, url_encode, wait_until,
};

// The encoder is crate-private; its two files are compiled in here as
// they are (they only use each other, as `super::proto`, and public items).
#[allow(dead_code, unreachable_pub)]
#[path = "../metrics-export/src/remote_write/encode.rs"]
mod encode;
#[allow(dead_code, unreachable_pub)]
#[path = "../metrics-export/src/remote_write/proto.rs"]
mod proto;

use encode::{encode_request, series_of, SeriesOptions};
use proto::{Label, Sample, TimeSeries, WriteRequest};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

/// POSTs `request` to the receiver as the spec says; its status and body.
fn post(port: u16, request: &WriteRequest) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut answer = agent
        .post(format!("http://127.0.0.1:{port}/api/v1/write"))
        .header("Content-Encoding", "snappy")
        .header("Content-Type", "application/x-protobuf")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .header("User-Agent", "promscribe-export-test")
        .send(&encode_request(request)[..])
        .expect("the receiver answers");
    let status = answer.status().as_u16();
    let body = answer.body_mut().read_to_string().expect("a text answer");
    (status, body)
}

/// A PromQL selector of the series of `labels`: Prometheus 2.42's PromQL
/// cannot name a label outside the legacy character set, so those are left
/// out (the answer's labels are compared whole).
fn selector(labels: &[Label]) -> String {
    let matchers: Vec<String> = labels
        .iter()
        .filter(|l| l.name == "__name__" || promscribe::is_valid_legacy_label_name(&l.name))
        .map(|l| {
            let v = l.value.replace('\\', "\\\\").replace('"', "\\\"");
            format!("{}=\"{v}\"", l.name)
        })
        .collect();
    format!("{{{}}}", matchers.join(","))
}

/// The value of the series of exactly `labels`, as Prometheus renders it;
/// `None` while there is none.
fn stored(port: u16, labels: &[Label]) -> Option<String> {
    let want: serde_json::Map<String, serde_json::Value> = labels
        .iter()
        .map(|l| (l.name.clone(), l.value.clone().into()))
        .collect();
    prometheus_query(port, &selector(labels))
        .iter()
        .find(|r| r["metric"].as_object() == Some(&want))
        .and_then(|r| r["value"][1].as_str().map(str::to_owned))
}

/// The value of the one series `query` selects, as Prometheus renders it;
/// `None` while there is none.
fn value_of(port: u16, query: &str) -> Option<String> {
    let result = prometheus_query(port, query);
    let [one] = result.as_slice() else {
        return None;
    };
    one["value"][1].as_str().map(str::to_owned)
}

/// `v` as Prometheus' JSON renders a sample value (Go's
/// `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest digits that read
/// back, no exponent, as Rust's `Display`), finite values only here.
fn go_float(v: f64) -> String {
    assert!(v.is_finite(), "{v}");
    format!("{v}")
}

fn registry() -> Registry {
    let r = Registry::new();
    let requests = Family::<Counter, 2>::new(
        Opts::new("http_requests_total", "Requests.").labels(["method", "path"]),
    )
    .expect("a family");
    r.register(requests.clone()).expect("registers");
    requests
        .labels(["GET", "/a"])
        .inc_by(3.0)
        .expect("increments");
    requests
        .labels(["POST", "/b"])
        .inc_by_with_exemplar(2.0, &[("trace_id", "0af7651916cd43dd")])
        .expect("an exemplar");
    let g = Gauge::new("in_flight", "In flight").expect("a gauge");
    r.register(g.clone()).expect("registers");
    g.set(-3.5);
    let h = Histogram::new("wait_seconds", "Wait").expect("a histogram");
    r.register(h.clone()).expect("registers");
    h.observe(0.02);
    h.observe_with_exemplar(3.0, &[("trace_id", "feedface")])
        .expect("an exemplar");
    let s = Summary::new("size_bytes", "Size").expect("a summary");
    r.register(s.clone()).expect("registers");
    s.observe(512.0);
    s.observe(0.25);
    let i = Info::new("app", "App").expect("an info");
    r.register(i.clone()).expect("registers");
    i.set([("version", "9.1")]).expect("sets");
    let e = Enum::new(
        Opts::new("phase", "Phase"),
        States::new(["starting", "running"]).expect("states"),
    )
    .expect("an enum");
    r.register(e.clone()).expect("registers");
    e.state("running").expect("a state");
    let rooms = Family::<Gauge, 1>::new(Opts::new("room_celsius", "Rooms").labels(["room"]))
        .expect("a family");
    r.register(rooms.clone()).expect("registers");
    rooms.labels(["hall"]).set(19.5);
    rooms.labels(["attic \"top\""]).set(12.25);
    r
}

#[test]
fn a_real_prometheus_stores_every_series_and_exemplar_sent() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (_prometheus, port) = start_prometheus(
        dir.path(),
        "",
        &[
            "--web.enable-remote-write-receiver",
            "--enable-feature=exemplar-storage",
        ],
    );
    wait_until(Duration::from_secs(60), "Prometheus is ready", || {
        matches!(
            http_get(&format!("http://127.0.0.1:{port}/-/ready")),
            Ok((200, _, _))
        )
        .then_some(())
    });

    let mut families = registry().gather();
    // A UTF-8 name, as it is: Prometheus 2.42 stores it.
    let mut utf8 = MetricFamily::new("http.server.duration", "UTF-8", MetricType::Gauge);
    utf8.push("", vec![("http.route".into(), "/ü".into())], 0.5)
        .expect("a sample");
    families.push(utf8);
    let now = now_ms();
    let opts = SeriesOptions {
        created: true,
        exemplars: true,
        native_histograms: false,
    };
    let (timeseries, metadata, errors) = series_of(&families, now, &opts);
    assert!(errors.is_empty(), "{errors:?}");
    // 2 counters and their `_created`, a gauge, 15 buckets, `_sum`,
    // `_count` and `_created`, `_sum`, `_count` and `_created` of the
    // summary, an info, 2 states, 2 rooms, the UTF-8 one.
    assert_eq!(timeseries.len(), 4 + 1 + 18 + 3 + 1 + 2 + 2 + 1);
    let request = WriteRequest {
        timeseries: timeseries.clone(),
        metadata,
    };
    let (status, body) = post(port, &request);
    assert_eq!(status, 204, "{body}");

    for ts in &timeseries {
        let query = selector(&ts.labels);
        let want = go_float(ts.samples[0].value);
        let got = wait_until(Duration::from_secs(10), &query, || stored(port, &ts.labels));
        assert_eq!(got, want, "{query}");
    }
    // Nothing else was stored.
    let all = prometheus_query(port, "count({__name__=~\".+\"})");
    assert_eq!(
        all[0]["value"][1].as_str(),
        Some(timeseries.len().to_string().as_str())
    );
    // A few by hand: the names and labels a scrape gives.
    for (query, want) in [
        ("http_requests_total{method=\"GET\",path=\"/a\"}", "3"),
        ("wait_seconds_bucket{le=\"0.025\"}", "1"),
        ("wait_seconds_bucket{le=\"+Inf\"}", "2"),
        ("wait_seconds_count", "2"),
        ("size_bytes_sum", "512.25"),
        ("app_info{version=\"9.1\"}", "1"),
        ("phase{phase=\"running\"}", "1"),
        ("phase{phase=\"starting\"}", "0"),
        ("room_celsius{room=\"attic \\\"top\\\"\"}", "12.25"),
        ("{__name__=\"http.server.duration\"}", "0.5"),
    ] {
        assert_eq!(value_of(port, query).as_deref(), Some(want), "{query}");
    }

    // The exemplars of the counter and of the bucket, with their labels.
    let (start, end) = (now / 1000 - 600, now / 1000 + 600);
    let exemplars = |query: &str| -> serde_json::Value {
        let url = format!(
            "http://127.0.0.1:{port}/api/v1/query_exemplars?query={}&start={start}&end={end}",
            url_encode(query)
        );
        let (code, _, body) = http_get(&url).expect("Prometheus answers");
        assert_eq!(code, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        v["data"].clone()
    };
    let counter = exemplars("http_requests_total");
    let counter = counter.as_array().expect("a list");
    assert_eq!(counter.len(), 1, "{counter:?}");
    assert_eq!(counter[0]["seriesLabels"]["path"], "/b");
    let e = &counter[0]["exemplars"][0];
    assert_eq!(e["labels"]["trace_id"], "0af7651916cd43dd");
    assert_eq!(e["value"], "2");
    let bucket = exemplars("wait_seconds_bucket");
    let bucket = bucket.as_array().expect("a list");
    assert_eq!(bucket.len(), 1, "{bucket:?}");
    assert_eq!(bucket[0]["seriesLabels"]["le"], "5.0");
    assert_eq!(bucket[0]["exemplars"][0]["labels"]["trace_id"], "feedface");
    assert_eq!(bucket[0]["exemplars"][0]["value"], "3");

    // The same request again, every sample already stored: accepted.
    let (status, body) = post(port, &request);
    assert_eq!(status, 204, "a resent request: {body}");

    // One bad sample among good ones: `in_flight` a minute older than the
    // sample stored, between a new series and a newer sample of a stored
    // one.
    let series = |name: &str, value: f64, timestamp: i64| TimeSeries {
        labels: vec![Label {
            name: "__name__".into(),
            value: name.into(),
        }],
        samples: vec![Sample { value, timestamp }],
        exemplars: vec![],
        histograms: vec![],
    };
    let mixed = WriteRequest {
        timeseries: vec![
            series("good_before", 1.0, now + 1000),
            series("in_flight", 99.0, now - 60_000),
            series("good_after", 2.0, now + 1000),
        ],
        metadata: vec![],
    };
    let (status, body) = post(port, &mixed);
    println!("one out-of-order sample in a request: {status} {body:?}");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("out of order sample"), "{body}");
    // The whole request was rolled back: the good series are not stored.
    std::thread::sleep(Duration::from_secs(1));
    for name in ["good_before", "good_after"] {
        assert!(prometheus_query(port, name).is_empty(), "{name} stored");
    }
    assert_eq!(value_of(port, "in_flight").as_deref(), Some("-3.5"));

    // Without the bad series, the same good ones are stored.
    let good = WriteRequest {
        timeseries: vec![mixed.timeseries[0].clone(), mixed.timeseries[2].clone()],
        metadata: vec![],
    };
    let (status, body) = post(port, &good);
    assert_eq!(status, 204, "{body}");
    for (name, want) in [("good_before", "1"), ("good_after", "2")] {
        let got = wait_until(Duration::from_secs(10), name, || value_of(port, name));
        assert_eq!(got, want);
    }

    // What else the receiver refuses, one request each: a sample at a
    // stored timestamp with another value (400, like out of order), and
    // a label name given twice: 500, which a sender would retry for ever
    // (the encoder never sends one).
    let with = |labels: &[(&str, &str)], value: f64, timestamp: i64| TimeSeries {
        labels: labels
            .iter()
            .map(|(name, value)| Label {
                name: (*name).into(),
                value: (*value).into(),
            })
            .collect(),
        samples: vec![Sample { value, timestamp }],
        exemplars: vec![],
        histograms: vec![],
    };
    let one = |ts: TimeSeries| WriteRequest {
        timeseries: vec![ts],
        metadata: vec![],
    };
    let (status, body) = post(port, &one(with(&[("__name__", "in_flight")], 5.0, now)));
    println!("a stored timestamp with another value: {status} {body:?}");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("duplicate sample for timestamp"), "{body}");
    let twice = [("__name__", "twice"), ("a", "1"), ("a", "2")];
    let (status, body) = post(port, &one(with(&twice, 1.0, now)));
    println!("a label name twice: {status} {body:?}");
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("is not unique"), "{body}");
}
