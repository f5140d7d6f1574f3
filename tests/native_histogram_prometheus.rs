//! Native histograms as a real Prometheus reads them: a Prometheus started
//! with `--enable-feature=native-histograms` (here on 127.0.0.1 with a
//! temporary data directory, stopped by pid) scrapes, over protobuf, a
//! registry served by `start_http_server_with`. A custom collector emits
//! native histogram points (schema 3, the default zero threshold 2^-128)
//! whose buckets the test computes itself from known observations: every
//! tick adds the same list of values, so any window of the series holds
//! whole copies of the list and its rate has the list's distribution.
//!
//! Checked through PromQL: `histogram_count(rate(..[1m]))` is the pace
//! the test observes at, `histogram_sum / histogram_count` of the rate is
//! the list's mean, and `histogram_quantile(0.9, rate(..[1m]))` lies
//! within the schema's relative error (a factor of 2^(1/8)) of the list's
//! true 0.9 quantile.
//!
//! Prometheus 2.42 decides whether a whole family is native from its
//! first metric only, and only by deltas, a zero count or a zero threshold
//! above 0 (later versions also by spans). The family's first child here
//! has no observation at all: its zero threshold alone must make the
//! family native, or Prometheus would store `_count`/`_sum`/`_bucket`
//! series for the other child instead of a histogram.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use promscribe::{
    encode_bytes, Bounds, Collector, EncodeOptions, Format, HistogramPoint, LabelSet, MetricFamily,
    MetricType, NativeBuckets, Point, Registry,
};
use promscribe_export::{start_http_server_with, ServerOptions};
use promscribe_test_support::{http_get, prometheus_query, start_prometheus, wait_until};
use prost::Message;

#[path = "protobuf_pb/mod.rs"]
mod pb;

/// The family Prometheus queries.
const NAME: &str = "native_request_seconds";
/// client_golang's default zero threshold, 2^-128.
const ZERO_THRESHOLD: f64 = 2.938735877055719e-39;
/// The schema: each power of two split into 2^3 buckets.
const SCHEMA: i32 = 3;
/// How often the test observes the whole list once more.
const TICK: Duration = Duration::from_millis(250);

/// The values observed at every tick: two zeros (the zero bucket) and 38
/// values spread from 3 ms to about 9 s.
fn observations() -> Vec<f64> {
    let mut v = vec![0.0, 0.0];
    v.extend((0..38).map(|k| 0.003 * 1.23f64.powi(k)));
    v
}

/// The schema-3 bucket of `v > 0`: `ceil(log2(v) * 8)`, so that
/// `2^((i-1)/8) < v <= 2^(i/8)`.
fn bucket(v: f64) -> i32 {
    (v.log2() * 8.0).ceil() as i32
}

/// Observations so far: zero count, positive buckets (index -> count),
/// count and sum.
struct Observed {
    zero: u64,
    positive: Vec<(i32, u64)>,
    count: u64,
    sum: f64,
}

impl Observed {
    fn observe(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        if v.abs() <= ZERO_THRESHOLD {
            self.zero += 1;
            return;
        }
        let i = bucket(v);
        match self.positive.binary_search_by_key(&i, |(k, _)| *k) {
            Ok(at) => self.positive[at].1 += 1,
            Err(at) => self.positive.insert(at, (i, 1)),
        }
    }
}

/// Emits the family: first an idle child with no observation, then the
/// busy one, as native-only histogram points.
struct NativeCollector {
    busy: Mutex<Observed>,
    created: f64,
}

impl NativeCollector {
    fn point(&self, zero: u64, positive: Vec<(i32, u64)>, count: u64, sum: f64) -> Point {
        Point::Histogram(HistogramPoint {
            bounds: Bounds::from(Vec::<f64>::new()),
            counts: vec![],
            count: Some(count as f64),
            sum: Some(sum),
            created: Some(self.created),
            exemplars: vec![],
            native: Some(Box::new(NativeBuckets {
                schema: SCHEMA,
                zero_threshold: ZERO_THRESHOLD,
                zero_count: zero,
                positive,
                negative: vec![],
                exemplars: vec![],
            })),
        })
    }
}

impl Collector for NativeCollector {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let mut f = MetricFamily::new(
            NAME,
            "Request latency, native buckets",
            MetricType::Histogram,
        );
        let idle = self.point(0, vec![], 0, 0.0);
        f.add(LabelSet::new([("route", "idle")]), idle)
            .expect("a histogram point");
        let busy = {
            let b = self.busy.lock().expect("not poisoned");
            self.point(b.zero, b.positive.clone(), b.count, b.sum)
        };
        f.add(LabelSet::new([("route", "busy")]), busy)
            .expect("a histogram point");
        out.push(f);
    }
}

/// Stops the observing thread when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// `q` percent-encoded for a URL query.
fn url_encode(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `data.result` of an instant query at `time` (Unix seconds; `None`:
/// now). A query Prometheus refuses fails the test.
fn query(port: u16, q: &str, time: Option<f64>) -> Vec<serde_json::Value> {
    let mut url = format!(
        "http://127.0.0.1:{port}/api/v1/query?query={}",
        url_encode(q)
    );
    if let Some(t) = time {
        url.push_str(&format!("&time={t:.3}"));
    }
    let (status, _, body) = http_get(&url).unwrap_or_else(|e| panic!("`{q}`: {e}"));
    assert_eq!(status, 200, "`{q}`: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("Prometheus answers JSON");
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

/// Seconds since the Unix epoch: the clock Prometheus stamps samples with.
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs_f64()
}

/// The value of the single sample `q` yields, once it yields one.
fn single(port: u16, q: &str) -> Option<f64> {
    let r = prometheus_query(port, q);
    assert!(r.len() <= 1, "`{q}` yields more than one sample: {r:?}");
    r.first()?["value"][1].as_str()?.parse().ok()
}

/// The value of the single sample `q` yields at `time`.
fn single_at(port: u16, q: &str, time: f64) -> Option<f64> {
    let r = query(port, q, Some(time));
    assert!(r.len() <= 1, "`{q}` yields more than one sample: {r:?}");
    r.first()?["value"][1].as_str()?.parse().ok()
}

#[test]
fn prometheus_reads_native_histograms_over_protobuf_and_queries_them() {
    let values = observations();
    // The index formula, checked for every value against the bounds it
    // must fall between (none of them is near a bound).
    let base = 2f64.powf(1.0 / 8.0);
    for &v in values.iter().filter(|v| **v > 0.0) {
        let i = bucket(v);
        let (lower, upper) = (base.powi(i - 1), base.powi(i));
        assert!(
            lower * (1.0 + 1e-9) < v && v < upper * (1.0 - 1e-9),
            "{v} in bucket {i} ({lower}, {upper}]"
        );
    }
    // The true 0.9 quantile (nearest rank) and the mean of the list.
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let rank = (0.9 * sorted.len() as f64).ceil() as usize;
    let true_q90 = sorted[rank - 1];
    let mean = values.iter().sum::<f64>() / values.len() as f64;

    let collector = Arc::new(NativeCollector {
        busy: Mutex::new(Observed {
            zero: 0,
            positive: vec![],
            count: 0,
            sum: 0.0,
        }),
        created: unix_now(),
    });
    let registry = Arc::new(Registry::new());
    registry.register(collector.clone()).expect("registered");

    // What Prometheus will read: the family's first metric has no span,
    // no delta and no zero count; only its zero threshold says "native".
    let mut body = Vec::new();
    encode_bytes(
        &mut body,
        &registry,
        Format::Protobuf,
        &EncodeOptions::default(),
    )
    .expect("encodes");
    let mut bytes = body.as_slice();
    let mut first = None;
    while !bytes.is_empty() {
        let f = pb::MetricFamily::decode_length_delimited(&mut bytes).expect("a MetricFamily");
        if f.name.as_deref() == Some(NAME) {
            first = f.metric.first().cloned();
        }
    }
    let first = first.expect("the family, with a metric");
    assert_eq!(first.label[0].value.as_deref(), Some("idle"));
    let h = first.histogram.expect("a histogram");
    assert!(h.positive_delta.is_empty() && h.positive_span.is_empty());
    assert_eq!(h.zero_count, Some(0));
    assert_eq!(h.zero_threshold, Some(ZERO_THRESHOLD));

    // Observe the whole list every tick, under the collector's lock, so
    // that every scrape sees whole copies of it.
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_guard = StopOnDrop(stop.clone());
    let observer = {
        let (stop, collector, values) = (stop.clone(), collector.clone(), values.clone());
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut ticks = 0u32;
            while !stop.load(Ordering::Relaxed) {
                {
                    let mut b = collector.busy.lock().expect("not poisoned");
                    for &v in &values {
                        b.observe(v);
                    }
                }
                ticks += 1;
                let next = TICK * ticks;
                if let Some(wait) = next.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
        })
    };

    let server = start_http_server_with(
        "127.0.0.1:0",
        ServerOptions::new().registry(registry.clone()),
    )
    .expect("metrics server");
    let target = server.local_addr().to_string();
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut prometheus, port) = start_prometheus(
        dir.path(),
        &format!("  - job_name: native\n    static_configs:\n      - targets: ['{target}']\n"),
        &["--enable-feature=native-histograms"],
    );

    let selector = format!("{NAME}{{route=\"busy\"}}");
    let count_q = format!("histogram_count(rate({selector}[1m]))");
    // At least three scrapes of observations: rate has two intervals.
    wait_until(
        Duration::from_secs(30),
        "Prometheus to rate the native histogram",
        || {
            assert!(prometheus.is_running(), "prometheus exited; see its log");
            let scrapes = single(port, "count_over_time(up{job=\"native\"}[1m])")?;
            if scrapes < 4.0 {
                return None;
            }
            single(port, &count_q).filter(|r| *r > 0.0).map(|_| ())
        },
    );
    let (_, _, targets) =
        http_get(&format!("http://127.0.0.1:{port}/api/v1/targets")).expect("targets API");
    let targets: serde_json::Value = serde_json::from_str(&targets).expect("JSON");
    let active = &targets["data"]["activeTargets"][0];
    assert_eq!(active["health"], "up", "{active}");
    assert_eq!(active["lastError"], "", "{active}");

    // What Prometheus stored over the window, at one evaluation time:
    // whole copies of the list, at the pace the test observes at.
    let at = unix_now();
    let raw = query(port, &format!("{selector}[1m]"), Some(at));
    let samples: Vec<(f64, f64)> = raw[0]["histograms"]
        .as_array()
        .unwrap_or_else(|| panic!("native samples: {raw:?}"))
        .iter()
        .map(|s| {
            let t = s[0].as_f64().expect("a time");
            let c = s[1]["count"].as_str().and_then(|c| c.parse().ok());
            (t, c.expect("a count"))
        })
        .collect();
    assert!(samples.len() >= 3, "{samples:?}");
    let (t1, c1) = samples[0];
    let (tn, cn) = samples[samples.len() - 1];
    for w in samples.windows(2) {
        assert!(w[1].1 >= w[0].1, "the count went down: {samples:?}");
    }
    for (_, c) in &samples {
        assert_eq!(c % values.len() as f64, 0.0, "whole lists: {samples:?}");
    }
    let sampled = tn - t1;
    let pace = values.len() as f64 / TICK.as_secs_f64();
    assert!(
        ((cn - c1) / sampled / pace - 1.0).abs() < 0.25,
        "{} observations in {sampled} s, observed {pace}/s",
        cn - c1
    );
    // `rate` over [1m] of a series younger than the window: the increase
    // between the first and last samples, extrapolated by at most 1.1
    // sample interval at each end, over 60 s.
    let rate = single_at(port, &count_q, at).expect("histogram_count of the rate");
    let average = sampled / (samples.len() - 1) as f64;
    let (low, high) = (
        (cn - c1) / 60.0,
        (cn - c1) * (sampled + 2.2 * average) / sampled / 60.0,
    );
    assert!(
        rate >= low * (1.0 - 1e-9) && rate <= high * (1.0 + 1e-9),
        "histogram_count(rate) {rate}/s, not within [{low}, {high}]"
    );
    // Sum and count of the rate are scaled alike: their ratio is the mean.
    let sum_rate = single_at(port, &format!("histogram_sum(rate({selector}[1m]))"), at)
        .expect("histogram_sum of the rate");
    let got_mean = sum_rate / rate;
    assert!(
        (got_mean / mean - 1.0).abs() < 1e-6,
        "histogram_sum / histogram_count {got_mean}, mean of the observations {mean}"
    );
    // The quantile lies within the bucket of the true one.
    let q90 = single(
        port,
        &format!("histogram_quantile(0.9, rate({selector}[1m]))"),
    )
    .expect("histogram_quantile of the rate");
    assert!(
        q90 >= true_q90 / base && q90 <= true_q90 * base,
        "histogram_quantile(0.9) {q90}, true 0.9 quantile {true_q90}, factor {base}"
    );

    eprintln!(
        "rate {rate}/s (stored increase {} in {sampled:.3} s), mean {got_mean} (true {mean}), \
         q90 {q90} (true {true_q90})",
        cn - c1
    );

    // Both children are stored as native histograms (the idle one too),
    // and no classic series were made of them.
    let stored = prometheus_query(port, NAME);
    assert_eq!(stored.len(), 2, "{stored:?}");
    for s in &stored {
        assert!(s["histogram"].is_array(), "not a native histogram: {s}");
    }
    let idle = stored
        .iter()
        .find(|s| s["metric"]["route"] == "idle")
        .expect("the idle child");
    assert_eq!(idle["histogram"][1]["count"], "0", "{idle}");
    for suffix in ["_count", "_sum", "_bucket"] {
        let classic = prometheus_query(port, &format!("{{__name__=\"{NAME}{suffix}\"}}"));
        assert!(classic.is_empty(), "{NAME}{suffix} stored: {classic:?}");
    }
    let count_busy = prometheus_query(port, &format!("histogram_count({selector})"));
    let total: f64 = count_busy[0]["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a count");
    assert!(total >= 3.0 * values.len() as f64, "{total}");
    assert_eq!(total % values.len() as f64, 0.0, "whole lists: {total}");

    prometheus.stop();
    stop.store(true, Ordering::Relaxed);
    observer.join().expect("the observer ends");
    drop(server);
}
