//! Native histograms as a real Prometheus reads them: a Prometheus started
//! with `--enable-feature=native-histograms` (here on 127.0.0.1 with a
//! temporary data directory, stopped by pid) scrapes, over protobuf, the
//! `native_histogram` example (started on a free port, stopped by pid).
//! The example observes a fixed cycle of 42 values (40 log-spaced from
//! 1 ms to 10 s, two zeros) every 100 ms into three histograms: one with
//! native buckets only, the busy child of a native family, and one with
//! classic and native buckets. Any window of their series holds whole
//! cycles but for a part of one at either end, so its rate has the
//! cycle's distribution.
//!
//! Checked through PromQL, for each of the three: `histogram_count(rate(..[1m]))`
//! is the increase Prometheus stored, extrapolated as `rate` does, at the
//! example's pace; `histogram_sum / histogram_count` of the rate is the
//! cycle's mean; `histogram_quantile(0.9, rate(..[1m]))` lies within the
//! schema's relative error (a factor of 2^(1/8)) of the cycle's true 0.9
//! quantile.
//!
//! Prometheus 2.42 decides whether a whole family is native from its
//! first metric only, and only by deltas, a zero count or a zero threshold
//! above 0 (later versions also by spans). The family's first child has no
//! observation at all: its zero threshold alone must make the family
//! native, or Prometheus would store `_count`/`_sum`/`_bucket` series for
//! the busy child instead of a histogram. The histogram with both kinds of
//! buckets must be stored as native too.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use promscribe_test_support::{
    example_path, http_get, prometheus_query, start_prometheus, url_encode, wait_until, Process,
};
use prost::Message;

#[path = "protobuf_pb/mod.rs"]
mod pb;

/// client_golang's default zero threshold, 2^-128.
const ZERO_THRESHOLD: f64 = 2.938735877055719e-39;
/// The example's pace: observations a second into each histogram (a cycle
/// of 42 values every 100 ms).
const PACE: f64 = 420.0;
/// The three histograms that observe, as PromQL selectors.
const OBSERVED: [&str; 3] = [
    "native_latency_seconds",
    "native_route_seconds{route=\"busy\"}",
    "native_mixed_seconds",
];
/// The families the example serves with native buckets.
const FAMILIES: [&str; 3] = [
    "native_latency_seconds",
    "native_route_seconds",
    "native_mixed_seconds",
];

/// The example's cycle, as its documentation gives it: 40 log-spaced
/// values from 1 ms to 10 s, then two zeros.
fn cycle() -> Vec<f64> {
    let mut v: Vec<f64> = (0..40)
        .map(|k| 0.001 * 10f64.powf(4.0 * f64::from(k) / 39.0))
        .collect();
    v.extend([0.0, 0.0]);
    v
}

/// The schema-3 bucket of `v > 0`: `ceil(log2(v) * 8)`, so that
/// `2^((i-1)/8) < v <= 2^(i/8)`.
fn bucket(v: f64) -> i32 {
    (v.log2() * 8.0).ceil() as i32
}

/// The body of `GET /metrics` from `addr`, asking for protobuf.
fn scrape_protobuf(addr: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connect to the example");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a timeout");
    write!(
        s,
        "GET /metrics HTTP/1.0\r\nHost: {addr}\r\nAccept: application/vnd.google.protobuf; \
         proto=io.prometheus.client.MetricFamily; encoding=delimited\r\n\r\n"
    )
    .expect("send the request");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("read the answer");
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header");
    let head = String::from_utf8_lossy(&answer[..at]).to_ascii_lowercase();
    assert!(
        head.starts_with("http/1.") && head.contains(" 200 "),
        "{head}"
    );
    assert!(head.contains("application/vnd.google.protobuf"), "{head}");
    let mut body = answer[at + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    body
}

/// A chunked body, joined.
fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = b.windows(2).position(|w| w == b"\r\n").expect("a size");
        let size = std::str::from_utf8(&b[..line]).expect("ASCII");
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .expect("a hexadecimal size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[line + 2..line + 2 + size]);
        b = &b[line + 2 + size + 2..];
    }
}

/// The `data.result` of an instant query at `time` (Unix seconds). A
/// query Prometheus refuses fails the test.
fn query_at(port: u16, q: &str, time: f64) -> Vec<serde_json::Value> {
    let url = format!(
        "http://127.0.0.1:{port}/api/v1/query?query={}&time={time:.3}",
        url_encode(q)
    );
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
    let r = query_at(port, q, time);
    assert!(r.len() <= 1, "`{q}` yields more than one sample: {r:?}");
    r.first()?["value"][1].as_str()?.parse().ok()
}

/// A field of a native sample as Prometheus's API writes it (a string).
fn field(sample: &serde_json::Value, name: &str) -> f64 {
    sample[1][name]
        .as_str()
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {sample}"))
}

#[test]
fn prometheus_reads_the_native_histogram_example_over_protobuf_and_queries_it() {
    let values = cycle();
    // The index formula, checked for every value against the bounds it
    // must fall between (none of them is on a bound).
    let base = 2f64.powf(1.0 / 8.0);
    for &v in values.iter().filter(|v| **v > 0.0) {
        let i = bucket(v);
        let (lower, upper) = (base.powi(i - 1), base.powi(i));
        assert!(
            lower * (1.0 + 1e-9) < v && v < upper * (1.0 - 1e-9),
            "{v} in bucket {i} ({lower}, {upper}]"
        );
    }
    // The true 0.9 quantile (nearest rank) and the mean of the cycle.
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let rank = (0.9 * sorted.len() as f64).ceil() as usize;
    let true_q90 = sorted[rank - 1];
    let mean = values.iter().sum::<f64>() / values.len() as f64;

    let dir = tempfile::tempdir().expect("temporary directory");
    let mut example = Process::spawn(
        "native_histogram",
        Command::new(example_path("native_histogram"))
            .current_dir(dir.path())
            .args(["--listen", "127.0.0.1:0"]),
    );
    let addr = example.wait_for_line(|l| {
        let rest = l.strip_prefix("serving metrics on http://")?;
        Some(rest.split('/').next()?.to_owned())
    });

    // What Prometheus will read: the family's first metric is the idle
    // child, with no span, no delta and no zero count; only its zero
    // threshold says "native". The histogram with both kinds carries both.
    let body = scrape_protobuf(&addr);
    let mut bytes = body.as_slice();
    let mut families = Vec::new();
    while !bytes.is_empty() {
        families
            .push(pb::MetricFamily::decode_length_delimited(&mut bytes).expect("a MetricFamily"));
    }
    let family = |name: &str| {
        families
            .iter()
            .find(|f| f.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no {name} in the protobuf exposition"))
    };
    let first = family("native_route_seconds")
        .metric
        .first()
        .cloned()
        .expect("a metric");
    assert_eq!(first.label[0].value.as_deref(), Some("idle"));
    let h = first.histogram.expect("a histogram");
    assert!(h.positive_delta.is_empty() && h.positive_span.is_empty());
    assert_eq!(h.sample_count, Some(0));
    assert_eq!(h.zero_count, Some(0));
    assert_eq!(h.zero_threshold, Some(ZERO_THRESHOLD));
    let mixed = family("native_mixed_seconds").metric[0]
        .histogram
        .clone()
        .expect("a histogram");
    assert_eq!(mixed.schema, Some(3));
    assert!(!mixed.bucket.is_empty(), "classic buckets: {mixed:?}");
    let latency = family("native_latency_seconds").metric[0]
        .histogram
        .clone()
        .expect("a histogram");
    assert_eq!(latency.schema, Some(3));
    assert!(latency.bucket.is_empty(), "no classic buckets: {latency:?}");

    let (mut prometheus, port) = start_prometheus(
        dir.path(),
        &format!("  - job_name: native\n    static_configs:\n      - targets: ['{addr}']\n"),
        &["--enable-feature=native-histograms"],
    );

    // At least three scrapes with observations: rate has two intervals.
    wait_until(
        Duration::from_secs(30),
        "Prometheus to rate the native histograms",
        || {
            assert!(prometheus.is_running(), "prometheus exited; see its log");
            assert!(example.is_running(), "the example exited");
            let scrapes = single(port, "count_over_time(up{job=\"native\"}[1m])")?;
            if scrapes < 4.0 {
                return None;
            }
            OBSERVED
                .iter()
                .all(|s| {
                    single(port, &format!("histogram_count(rate({s}[1m]))"))
                        .is_some_and(|r| r > 0.0)
                })
                .then_some(())
        },
    );
    let (_, _, targets) =
        http_get(&format!("http://127.0.0.1:{port}/api/v1/targets")).expect("targets API");
    let targets: serde_json::Value = serde_json::from_str(&targets).expect("JSON");
    let active = &targets["data"]["activeTargets"][0];
    assert_eq!(active["health"], "up", "{active}");
    assert_eq!(active["lastError"], "", "{active}");

    let at = unix_now();
    for selector in OBSERVED {
        // What Prometheus stored over the window, at one evaluation time.
        let raw = query_at(port, &format!("{selector}[1m]"), at);
        assert_eq!(raw.len(), 1, "{selector}: {raw:?}");
        let samples = raw[0]["histograms"]
            .as_array()
            .unwrap_or_else(|| panic!("{selector}: no native samples: {raw:?}"));
        assert!(samples.len() >= 3, "{selector}: {samples:?}");
        let t = |s: &serde_json::Value| s[0].as_f64().expect("a time");
        let (first, last) = (&samples[0], &samples[samples.len() - 1]);
        for w in samples.windows(2) {
            assert!(
                field(&w[1], "count") >= field(&w[0], "count"),
                "{selector}: the count went down: {samples:?}"
            );
        }
        let sampled = t(last) - t(first);
        let increase = field(last, "count") - field(first, "count");
        let sum_increase = field(last, "sum") - field(first, "sum");
        assert!(
            (increase / sampled / PACE - 1.0).abs() < 0.25,
            "{selector}: {increase} observations in {sampled} s, observed {PACE}/s"
        );
        // Twenty cycles or more: the parts of a cycle at the window's ends
        // move the mean and the quantile less than the checks allow.
        assert!(
            increase >= 20.0 * values.len() as f64,
            "{selector}: {increase}"
        );

        // `rate` over [1m] of a series younger than the window: the
        // increase between the first and last samples, extrapolated by at
        // most 1.1 sample interval at each end, over 60 s.
        let count_q = format!("histogram_count(rate({selector}[1m]))");
        let rate = single_at(port, &count_q, at).expect("histogram_count of the rate");
        let average = sampled / (samples.len() - 1) as f64;
        let (low, high) = (
            increase / 60.0,
            increase * (sampled + 2.2 * average) / sampled / 60.0,
        );
        assert!(
            rate >= low * (1.0 - 1e-9) && rate <= high * (1.0 + 1e-9),
            "{selector}: histogram_count(rate) {rate}/s, not within [{low}, {high}]"
        );
        // Sum and count of the rate are scaled alike: their ratio is the
        // mean of what was stored, and that the cycle's.
        let sum_rate = single_at(port, &format!("histogram_sum(rate({selector}[1m]))"), at)
            .expect("histogram_sum of the rate");
        let got_mean = sum_rate / rate;
        assert!(
            (got_mean / (sum_increase / increase) - 1.0).abs() < 1e-9,
            "{selector}: histogram_sum / histogram_count {got_mean}, stored {}",
            sum_increase / increase
        );
        assert!(
            (got_mean / mean - 1.0).abs() < 0.05,
            "{selector}: histogram_sum / histogram_count {got_mean}, mean of the cycle {mean}"
        );
        // The quantile lies within the bucket of the true one.
        let q90 = single_at(
            port,
            &format!("histogram_quantile(0.9, rate({selector}[1m]))"),
            at,
        )
        .expect("histogram_quantile of the rate");
        assert!(
            q90 >= true_q90 / base && q90 <= true_q90 * base,
            "{selector}: histogram_quantile(0.9) {q90}, true 0.9 quantile {true_q90}, \
             factor {base}"
        );
        eprintln!(
            "{selector}: rate {rate}/s (stored increase {increase} in {sampled:.3} s), \
             mean {got_mean} (true {mean}), q90 {q90} (true {true_q90})"
        );
    }

    // Every histogram is stored as native (the idle child and the one
    // with classic buckets too), and no classic series were made of them.
    let route = prometheus_query(port, "native_route_seconds");
    assert_eq!(route.len(), 2, "{route:?}");
    let idle = route
        .iter()
        .find(|s| s["metric"]["route"] == "idle")
        .expect("the idle child");
    assert_eq!(idle["histogram"][1]["count"], "0", "{idle}");
    for name in FAMILIES {
        let stored = prometheus_query(port, name);
        assert!(!stored.is_empty(), "{name} not stored");
        for s in &stored {
            assert!(s["histogram"].is_array(), "not a native histogram: {s}");
        }
        for suffix in ["_count", "_sum", "_bucket"] {
            let classic = prometheus_query(port, &format!("{{__name__=\"{name}{suffix}\"}}"));
            assert!(classic.is_empty(), "{name}{suffix} stored: {classic:?}");
        }
    }
    // A series of the example that is not a histogram, stored as usual.
    let cycles = single(port, "native_cycles_total").expect("native_cycles_total");
    assert!(cycles >= 20.0, "{cycles}");

    assert!(example.is_running(), "the example exited");
    prometheus.stop();
    example.stop();
}
