//! The remote-write sender's policy against a scripted receiver written
//! here (a plain TCP server answering HTTP/1.1 as told): the protocol's
//! headers, 5xx retried with backoff, 429 retried after `Retry-After`,
//! other 4xx dropped and never retried, a receiver that hangs past the
//! timeout retried, a 400 batch split to drop only the refused series, and
//! the background sender's order, deduplication and bounded queue.
#![cfg(feature = "remote-write")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use promscribe::{Collector, GaugeMetricFamily, MetricFamily, Registry};
use promscribe_export::{RemoteWrite, RemoteWriteError};
use prost::Message;

#[derive(Clone, PartialEq, prost_derive::Message)]
struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    timeseries: Vec<TimeSeries>,
}

#[derive(Clone, PartialEq, prost_derive::Message)]
struct TimeSeries {
    #[prost(message, repeated, tag = "1")]
    labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    samples: Vec<Sample>,
}

#[derive(Clone, PartialEq, prost_derive::Message)]
struct Label {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    value: String,
}

#[derive(Clone, PartialEq, prost_derive::Message)]
struct Sample {
    #[prost(double, tag = "1")]
    value: f64,
    #[prost(int64, tag = "2")]
    timestamp: i64,
}

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
struct Seen {
    at: Instant,
    headers: HashMap<String, String>,
    body: Vec<u8>,
    /// `(series name, timestamp, value)` of every sample, in order.
    samples: Vec<(String, i64, f64)>,
}

/// What the receiver does with a request.
#[derive(Clone, Debug)]
enum Answer {
    Status(u16, Vec<(&'static str, String)>),
    /// Reads the request, answers nothing for this long, then closes.
    Hang(Duration),
}

type Script = dyn Fn(usize, &Seen) -> Answer + Send + Sync;

struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Receiver {
    fn start(script: impl Fn(usize, &Seen) -> Answer + Send + Sync + 'static) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://{}/api/v1/write",
            listener.local_addr().expect("address")
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, script) = (Arc::clone(&log), Arc::clone(&script));
                std::thread::spawn(move || serve(stream, &log, &*script));
            }
        });
        Receiver { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Seen>>, script: &Script) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.insert(n.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let raw = snap::raw::Decoder::new()
            .decompress_vec(&body)
            .expect("a Snappy block");
        let req = WriteRequest::decode(raw.as_slice()).expect("a WriteRequest");
        let samples = req
            .timeseries
            .iter()
            .flat_map(|ts| {
                let name = series_name(ts);
                ts.samples
                    .iter()
                    .map(move |s| (name.clone(), s.timestamp, s.value))
            })
            .collect();
        let seen = Seen {
            at: Instant::now(),
            headers,
            body,
            samples,
        };
        let n = {
            let mut log = log.lock().expect("lock");
            log.push(seen.clone());
            log.len() - 1
        };
        match script(n, &seen) {
            Answer::Status(code, extra) => {
                let reason = format!("scripted {code}");
                let mut head = format!("HTTP/1.1 {code} X\r\nContent-Length: {}\r\n", reason.len());
                for (n, v) in extra {
                    head.push_str(&format!("{n}: {v}\r\n"));
                }
                head.push_str("\r\n");
                if out.write_all(head.as_bytes()).is_err()
                    || out.write_all(reason.as_bytes()).is_err()
                {
                    return;
                }
            }
            Answer::Hang(d) => {
                std::thread::sleep(d);
                return;
            }
        }
    }
}

/// `name{a="b",...}`, labels in their order on the wire.
fn series_name(ts: &TimeSeries) -> String {
    let name = ts
        .labels
        .iter()
        .find(|l| l.name == "__name__")
        .map(|l| l.value.clone())
        .unwrap_or_default();
    let rest: Vec<String> = ts
        .labels
        .iter()
        .filter(|l| l.name != "__name__")
        .map(|l| format!("{}={:?}", l.name, l.value))
        .collect();
    if rest.is_empty() {
        name
    } else {
        format!("{name}{{{}}}", rest.join(","))
    }
}

fn ok() -> Answer {
    Answer::Status(200, Vec::new())
}

/// A registry of `n` gauges `g0` .. `g{n-1}` set to their index.
fn gauges(n: usize) -> Registry {
    let registry = Registry::new();
    for i in 0..n {
        let g = promscribe::Gauge::new(&format!("g{i}"), "A gauge").expect("valid");
        g.set(i as f64);
        registry.register(g).expect("registered");
    }
    registry
}

#[test]
fn requests_carry_the_protocol_headers_and_a_snappy_protobuf_body() {
    let receiver = Receiver::start(|_, _| ok());
    let rw = RemoteWrite::builder(&receiver.url)
        .bearer_token("t0ken")
        .header("X-Scope-OrgID", "team-a")
        .build()
        .expect("valid");
    let report = rw.push(&gauges(3)).expect("accepted");
    assert_eq!(report.samples_sent, 3);
    assert_eq!(report.requests, 1);
    let seen = receiver.seen();
    let h = &seen[0].headers;
    assert_eq!(h["content-encoding"], "snappy");
    assert_eq!(h["content-type"], "application/x-protobuf");
    assert_eq!(h["x-prometheus-remote-write-version"], "0.1.0");
    assert!(h["user-agent"].starts_with("promscribe/"), "{h:?}");
    assert_eq!(h["authorization"], "Bearer t0ken");
    assert_eq!(h["x-scope-orgid"], "team-a");
    let mut names: Vec<&str> = seen[0].samples.iter().map(|s| s.0.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["g0", "g1", "g2"]);
}

#[test]
fn basic_auth_is_sent() {
    let receiver = Receiver::start(|_, _| ok());
    let rw = RemoteWrite::builder(&receiver.url)
        .basic_auth("user", "pass")
        .build()
        .expect("valid");
    rw.push(&gauges(1)).expect("accepted");
    // base64("user:pass")
    assert_eq!(
        receiver.seen()[0].headers["authorization"],
        "Basic dXNlcjpwYXNz"
    );
}

#[test]
fn a_5xx_is_retried_with_doubling_backoff_from_30_ms() {
    let receiver = Receiver::start(|n, _| {
        if n < 3 {
            Answer::Status(503, Vec::new())
        } else {
            ok()
        }
    });
    let rw = RemoteWrite::new(&receiver.url).expect("valid");
    let report = rw.push(&gauges(2)).expect("accepted in the end");
    assert_eq!((report.requests, report.retries), (4, 3));
    let seen = receiver.seen();
    assert_eq!(seen.len(), 4);
    // The same request each time.
    assert!(seen.iter().all(|s| s.body == seen[0].body));
    let gaps: Vec<Duration> = seen.windows(2).map(|w| w[1].at - w[0].at).collect();
    for (gap, min) in gaps.iter().zip([30u64, 60, 120]) {
        assert!(*gap >= Duration::from_millis(min), "{gaps:?}");
        assert!(*gap < Duration::from_millis(min * 4 + 200), "{gaps:?}");
    }
}

#[test]
fn a_429_waits_what_retry_after_says() {
    let receiver = Receiver::start(|n, _| {
        if n == 0 {
            Answer::Status(429, vec![("Retry-After", "1".into())])
        } else {
            ok()
        }
    });
    let rw = RemoteWrite::new(&receiver.url).expect("valid");
    rw.push(&gauges(1)).expect("accepted in the end");
    let seen = receiver.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_secs(1), "{gap:?}");
    assert!(gap < Duration::from_secs(3), "{gap:?}");
}

#[test]
fn another_4xx_is_dropped_never_retried_and_names_url_and_status() {
    let receiver = Receiver::start(|_, _| Answer::Status(401, Vec::new()));
    let rw = RemoteWrite::new(&receiver.url).expect("valid");
    let err = rw.push(&gauges(2)).expect_err("refused");
    assert_eq!(err.status(), Some(401));
    let text = err.to_string();
    assert!(
        text.contains(&receiver.url) && text.contains("401"),
        "{text}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(receiver.seen().len(), 1);
}

#[test]
fn a_receiver_hanging_past_the_timeout_is_retried() {
    let receiver = Receiver::start(|n, _| {
        if n == 0 {
            Answer::Hang(Duration::from_secs(3))
        } else {
            ok()
        }
    });
    let rw = RemoteWrite::builder(&receiver.url)
        .timeout(Duration::from_millis(300))
        .build()
        .expect("valid");
    let started = Instant::now();
    let report = rw.push(&gauges(1)).expect("accepted on the retry");
    assert_eq!(report.retries, 1);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn retries_are_given_up_after_the_deadline() {
    let receiver = Receiver::start(|_, _| Answer::Status(500, Vec::new()));
    let rw = RemoteWrite::builder(&receiver.url)
        .give_up_after(Duration::from_millis(500))
        .build()
        .expect("valid");
    let started = Instant::now();
    let err = rw.push(&gauges(1)).expect_err("never accepted");
    assert_eq!(err.status(), Some(500));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_400_batch_is_split_to_drop_only_the_refused_series() {
    // As Prometheus 2.42: one bad sample rolls back the whole request.
    let receiver = Receiver::start(|_, seen| {
        if seen.samples.iter().any(|s| s.0 == "g5") {
            Answer::Status(400, Vec::new())
        } else {
            ok()
        }
    });
    let rw = RemoteWrite::new(&receiver.url).expect("valid");
    let report = rw.push(&gauges(8)).expect("the good series stored");
    assert_eq!(report.samples_sent, 7);
    assert_eq!(report.samples_failed, 1);
    assert_eq!(report.rejected.len(), 1);
    match &report.rejected[0] {
        RemoteWriteError::Rejected {
            series,
            status,
            url,
            ..
        } => {
            assert_eq!((series.as_str(), *status), ("g5", 400));
            assert_eq!(url, &receiver.url);
        }
        other => panic!("{other}"),
    }
    // Every good series accepted exactly once.
    let mut accepted: Vec<String> = receiver
        .seen()
        .iter()
        .filter(|s| !s.samples.iter().any(|x| x.0 == "g5"))
        .flat_map(|s| s.samples.iter().map(|x| x.0.clone()))
        .collect();
    accepted.sort_unstable();
    assert_eq!(accepted, ["g0", "g1", "g2", "g3", "g4", "g6", "g7"]);
}

#[test]
fn batches_hold_at_most_the_batch_size() {
    let receiver = Receiver::start(|_, _| ok());
    let rw = RemoteWrite::builder(&receiver.url)
        .batch_size(3)
        .build()
        .expect("valid");
    let report = rw.push(&gauges(8)).expect("accepted");
    assert_eq!((report.samples_sent, report.requests), (8, 3));
    let sizes: Vec<usize> = receiver.seen().iter().map(|s| s.samples.len()).collect();
    assert_eq!(sizes, [3, 3, 2]);
}

/// A gauge whose value is the number of times it was collected.
struct Ticks(AtomicU64);

impl Collector for Ticks {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        let f =
            GaugeMetricFamily::with_value("ticks", "Collections so far", n as f64).expect("valid");
        out.push(f.into());
    }

    // Declared, so that registering it does not collect it.
    fn describe(&self) -> Vec<promscribe::Descriptor> {
        vec![promscribe::Descriptor {
            name: "ticks".into(),
            kind: promscribe::MetricType::Gauge,
        }]
    }
}

#[test]
fn the_background_sender_delivers_in_order_without_duplicates_across_failures() {
    // Down for the first ten requests, then up.
    let receiver = Receiver::start(|n, _| {
        if n < 10 {
            Answer::Status(500, Vec::new())
        } else {
            ok()
        }
    });
    let registry = Arc::new(Registry::new());
    registry
        .register(Arc::new(Ticks(AtomicU64::new(0))))
        .expect("registered");
    let rw = RemoteWrite::builder(&receiver.url)
        .batch_size(4)
        .backoff(Duration::from_millis(10), Duration::from_millis(40))
        .build()
        .expect("valid");
    let sender = rw
        .start(Arc::clone(&registry), Duration::from_millis(20))
        .expect("started");
    std::thread::sleep(Duration::from_millis(800));
    sender.stop();
    let accepted: Vec<(String, i64, f64)> = receiver
        .seen()
        .iter()
        .skip(10)
        .flat_map(|s| s.samples.clone())
        .collect();
    let ticks: Vec<(i64, f64)> = accepted
        .iter()
        .filter(|s| s.0 == "ticks")
        .map(|s| (s.1, s.2))
        .collect();
    assert!(ticks.len() > 10, "{ticks:?}");
    // Every collection, once, in order, timestamps strictly increasing.
    for (i, w) in ticks.windows(2).enumerate() {
        assert!(w[1].0 > w[0].0, "timestamps at {i}: {ticks:?}");
        assert_eq!(w[1].1, w[0].1 + 1.0, "values at {i}: {ticks:?}");
    }
    assert_eq!(ticks[0].1, 1.0);
    let get = |name: &str| registry.get_sample_value(name, &[("url", receiver.url.as_str())]);
    // Unregistered at stop.
    assert_eq!(get("prometheus_remote_storage_samples_total"), None);
    let retried = accepted
        .iter()
        .filter(|s| {
            s.0.starts_with("prometheus_remote_storage_samples_retried_total{")
        })
        .map(|s| s.2)
        .fold(0.0, f64::max);
    assert!(retried >= 10.0, "{retried}");
}

#[test]
fn a_full_queue_drops_the_oldest_and_counts_them() {
    // Nothing listens: every request fails to connect.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("address").port()
    };
    let registry = Arc::new(gauges(3));
    let rw = RemoteWrite::builder(format!("http://127.0.0.1:{port}/api/v1/write"))
        .queue_capacity(10)
        .batch_size(2)
        .flush_timeout(Duration::from_millis(100))
        .build()
        .expect("valid");
    let started = Instant::now();
    let sender = rw
        .start(Arc::clone(&registry), Duration::from_millis(20))
        .expect("started");
    // Starting never waits for the receiver.
    assert!(started.elapsed() < Duration::from_millis(100));
    std::thread::sleep(Duration::from_millis(500));
    let url = format!("http://127.0.0.1:{port}/api/v1/write");
    let get = |name: &str| registry.get_sample_value(name, &[("url", url.as_str())]);
    let pending = get("prometheus_remote_storage_samples_pending").expect("registered");
    assert!(pending <= 10.0, "{pending}");
    let dropped = get("prometheus_remote_storage_samples_dropped_total").expect("registered");
    assert!(dropped > 0.0, "{dropped}");
    assert_eq!(get("prometheus_remote_storage_samples_total"), Some(0.0));
    let stopping = Instant::now();
    sender.stop();
    // The flush gives up at its deadline.
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "{:?}",
        stopping.elapsed()
    );
}
