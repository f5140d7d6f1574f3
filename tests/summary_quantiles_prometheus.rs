//! Summaries with quantiles, plain and labelled, in every format and as a
//! real Prometheus stores them. The `summary_quantiles` example (started
//! on a free port, stopped by pid) observes a fixed set of values once,
//! prints what `get_quantiles()` reports, and serves them; the same
//! observations replayed here into summaries declared with the same
//! options give the same quantiles (the sketch is deterministic), which
//! every check compares against:
//!
//! - the text format 0.0.4 (`quantile` labels) passes `promtool check
//!   metrics`;
//! - OpenMetrics is read by Python's strict parser, with the same
//!   samples;
//! - protobuf carries them as `quantile` messages of a `Summary`;
//! - a real Prometheus (on 127.0.0.1 with a temporary data directory,
//!   stopped by pid) stores the `{quantile="..."}` series with these
//!   values, scraping in OpenMetrics (what 2.42 asks for first), in text
//!   (through a proxy that rewrites `Accept`), and, a second one started
//!   with `--enable-feature=native-histograms`, in protobuf.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use promscribe::summary;
use promscribe_test_support::{
    example_path, http_get, prometheus_query, promtool_check, python_openmetrics, start_prometheus,
    wait_until, Process, ProxyOptions, ScrapeProxy,
};
use prost::Message;

#[path = "protobuf_pb/mod.rs"]
mod pb;

// The example's declarations, under other names.
summary!(
    RPC,
    "replay_rpc_duration_seconds",
    "RPC latency",
    quantiles = [(0.5, 0.05), (0.9, 0.01), (0.99, 0.001)],
    max_age = "10m",
    age_buckets = 5
);

summary!(
    BY_PATH,
    "replay_path_duration_seconds",
    "Latency by path",
    labels = ["path"],
    quantiles = [(0.5, 0.05), (0.9, 0.01)],
    max_age = "1m",
    age_buckets = 3
);

/// The example's observations, replayed.
fn observe_all() {
    for ms in 1..=1000 {
        RPC.observe(f64::from(ms) / 1000.0);
    }
    let (a, b) = (BY_PATH.labels(["/a"]), BY_PATH.labels(["/b"]));
    for ms in 1..=100 {
        a.observe(f64::from(ms) / 1000.0);
        b.observe(f64::from(ms + 499) / 1000.0);
    }
}

/// Every series with a quantile: (family, path or "", quantile, value).
type Expected = Vec<(&'static str, &'static str, f64, f64)>;

fn expected() -> Expected {
    observe_all();
    let mut out: Expected = RPC
        .get_quantiles()
        .into_iter()
        .map(|(q, v)| ("rpc_duration_seconds", "", q, v))
        .collect();
    for path in ["/a", "/b"] {
        out.extend(
            BY_PATH
                .labels([path])
                .get_quantiles()
                .into_iter()
                .map(|(q, v)| ("path_duration_seconds", path, q, v)),
        );
    }
    out
}

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
    assert!(head.contains(" 200 "), "{head}");
    assert!(head.contains("application/vnd.google.protobuf"), "{head}");
    assert!(!head.contains("transfer-encoding"), "{head}");
    answer[at + 4..].to_vec()
}

fn get_with_accept(addr: &str, accept: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect to the example");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a timeout");
    write!(
        s,
        "GET /metrics HTTP/1.0\r\nHost: {addr}\r\nAccept: {accept}\r\n\r\n"
    )
    .expect("send the request");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read the answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a header");
    assert!(head.contains(" 200 "), "{head}");
    body.to_owned()
}

#[test]
fn quantiles_in_every_format_and_as_prometheus_stores_them() {
    let want = expected();
    assert_eq!(want.len(), 7);

    let dir = tempfile::tempdir().expect("temporary directory");
    let mut printed = Vec::new();
    let mut example = Process::spawn(
        "summary_quantiles",
        Command::new(example_path("summary_quantiles"))
            .current_dir(dir.path())
            .args(["--listen", "127.0.0.1:0"]),
    );
    let addr = example.wait_for_line(|l| {
        printed.push(l.to_owned());
        let rest = l.strip_prefix("serving metrics on http://")?;
        Some(rest.split('/').next()?.to_owned())
    });
    // What the example's `get_quantiles()` reports is the replay's.
    let rpc: Vec<(f64, f64)> = want.iter().take(3).map(|w| (w.2, w.3)).collect();
    assert!(
        printed.contains(&format!("rpc_duration_seconds {rpc:?}")),
        "{printed:?} against {rpc:?}"
    );

    // Text 0.0.4: the samples, clean by promtool's lint.
    let text = get_with_accept(&addr, "text/plain;version=0.0.4");
    for &(family, path, q, v) in &want {
        let labels = if path.is_empty() {
            format!("quantile=\"{q}\"")
        } else {
            format!("path=\"{path}\",quantile=\"{q}\"")
        };
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{family}{{{labels}}} ")))
            .unwrap_or_else(|| panic!("no {family}{{{labels}}} in:\n{text}"));
        assert_eq!(value.parse::<f64>().ok(), Some(v), "{family}{{{labels}}}");
    }
    let (ok, report) = promtool_check(&text);
    assert!(ok, "promtool rejected:\n{report}\n---\n{text}");

    // OpenMetrics through Python's strict parser: the same samples.
    let om = get_with_accept(&addr, "application/openmetrics-text;version=1.0.0");
    let read = python_openmetrics(
        &om,
        "for f in fams:\n    \
           if f.type != 'summary': continue\n    \
           for s in f.samples:\n        \
             if 'quantile' in s.labels:\n            \
               print(f.name, s.labels.get('path', ''), s.labels['quantile'], repr(s.value))",
    )
    .unwrap_or_else(|e| panic!("Python's parser refused:\n{e}\n---\n{om}"));
    let mut lines: Vec<&str> = read.lines().collect();
    lines.sort_unstable();
    let mut want_om: Vec<String> = want
        .iter()
        .map(|&(family, path, q, v)| format!("{family} {path} {q} {v:?}"))
        .collect();
    want_om.sort_unstable();
    assert_eq!(lines, want_om, "{om}");

    // Protobuf: `quantile` messages.
    let body = scrape_protobuf(&addr);
    let mut bytes = body.as_slice();
    let mut families = Vec::new();
    while !bytes.is_empty() {
        families
            .push(pb::MetricFamily::decode_length_delimited(&mut bytes).expect("a MetricFamily"));
    }
    let mut got_pb = Vec::new();
    for f in &families {
        let name = f.name.clone().unwrap_or_default();
        if !name.ends_with("_duration_seconds") {
            continue;
        }
        for m in &f.metric {
            let s = m.summary.clone().expect("a summary");
            let path = m
                .label
                .iter()
                .find(|l| l.name.as_deref() == Some("path"))
                .and_then(|l| l.value.clone())
                .unwrap_or_default();
            for q in &s.quantile {
                got_pb.push(format!(
                    "{name} {path} {} {:?}",
                    q.quantile.unwrap_or(f64::NAN),
                    q.value.unwrap_or(f64::NAN)
                ));
            }
        }
    }
    got_pb.sort_unstable();
    assert_eq!(got_pb, want_om);

    // A real Prometheus in OpenMetrics and in text, a second in protobuf.
    let text_proxy =
        ScrapeProxy::start(ProxyOptions::new().accept("text/plain;version=0.0.4")).expect("proxy");
    let pb_proxy = ScrapeProxy::start(ProxyOptions::new()).expect("proxy");
    let job = |name: &str, proxy: Option<&ScrapeProxy>| {
        let proxy = proxy
            .map(|p| format!("    proxy_url: {}\n", p.url()))
            .unwrap_or_default();
        format!("  - job_name: {name}\n{proxy}    static_configs:\n      - targets: ['{addr}']\n")
    };
    let classic_dir = dir.path().join("classic");
    let native_dir = dir.path().join("native");
    std::fs::create_dir_all(&classic_dir).expect("a directory");
    std::fs::create_dir_all(&native_dir).expect("a directory");
    let config = format!("{}{}", job("om", None), job("text", Some(&text_proxy)));
    let (mut classic, classic_port) = start_prometheus(&classic_dir, &config, &[]);
    let (mut native, native_port) = start_prometheus(
        &native_dir,
        &job("pb", Some(&pb_proxy)),
        &["--enable-feature=native-histograms"],
    );

    for (port, job) in [
        (classic_port, "om"),
        (classic_port, "text"),
        (native_port, "pb"),
    ] {
        let stored = wait_until(
            Duration::from_secs(60),
            &format!("{job}: the quantile series stored"),
            || {
                assert!(classic.is_running(), "prometheus exited; see its log");
                assert!(native.is_running(), "prometheus exited; see its log");
                assert!(example.is_running(), "the example exited");
                let r = prometheus_query(
                    port,
                    &format!("{{__name__=~\".*_duration_seconds\",job=\"{job}\",quantile!=\"\"}}"),
                );
                (r.len() == want.len()).then_some(r)
            },
        );
        let mut got: Vec<String> = stored
            .iter()
            .map(|s| {
                let m = &s["metric"];
                let value: f64 = s["value"][1]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .expect("a value");
                format!(
                    "{} {} {} {value:?}",
                    m["__name__"].as_str().unwrap_or(""),
                    m["path"].as_str().unwrap_or(""),
                    m["quantile"]
                        .as_str()
                        .and_then(|q| q.parse::<f64>().ok())
                        .unwrap_or(f64::NAN)
                )
            })
            .collect();
        got.sort_unstable();
        assert_eq!(got, want_om, "{job}");
        let count = prometheus_query(
            port,
            &format!("rpc_duration_seconds_count{{job=\"{job}\"}}"),
        );
        assert_eq!(count.len(), 1, "{job}: {count:?}");
        assert_eq!(count[0]["value"][1], "1000", "{job}");
        let (_, _, targets) =
            http_get(&format!("http://127.0.0.1:{port}/api/v1/targets")).expect("targets API");
        let targets: serde_json::Value = serde_json::from_str(&targets).expect("JSON");
        for t in targets["data"]["activeTargets"]
            .as_array()
            .expect("targets")
            .iter()
            .filter(|t| t["labels"]["job"] == job)
        {
            assert_eq!(t["health"], "up", "{t}");
            assert_eq!(t["lastError"], "", "{t}");
        }
    }
    // Each format was the one parsed: the proxies saw what they passed on.
    for f in text_proxy.forwarded() {
        assert!(
            f.content_type.starts_with("text/plain; version=0.0.4"),
            "{f:?}"
        );
    }
    for f in pb_proxy.forwarded() {
        assert!(
            f.content_type
                .starts_with("application/vnd.google.protobuf"),
            "{f:?}"
        );
    }
    assert!(!text_proxy.forwarded().is_empty() && !pb_proxy.forwarded().is_empty());
}
