//! A real Prometheus (started here on 127.0.0.1 with a temporary data
//! directory, stopped by pid) scrapes in OpenMetrics: the demo with
//! `up == 1` and no scrape error, and the `exemplars` example with
//! `--enable-feature=exemplar-storage`, whose counter and histogram
//! exemplars come back from `/api/v1/query_exemplars`.
//!
//! Prometheus asks for OpenMetrics first by default (`Accept:
//! application/openmetrics-text;version=1.0.0,...`); `scrape_protocols`
//! (Prometheus 2.49 and later) is not used so that older servers run the
//! test too. Exemplars exist only in OpenMetrics, so stored exemplars
//! show that the OpenMetrics body was the one parsed.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use promscribe_test_support::{example_path, http_get, start_prometheus, wait_until, Process};

fn encode_query(q: &str) -> String {
    q.replace('{', "%7B")
        .replace('}', "%7D")
        .replace('"', "%22")
        .replace('=', "%3D")
}

fn api(prom: u16, path: &str, q: &str) -> Vec<serde_json::Value> {
    let url = format!(
        "http://127.0.0.1:{prom}/api/v1/{path}?query={}",
        encode_query(q)
    );
    let Ok((200, _, body)) = http_get(&url) else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&body).expect("Prometheus answers JSON");
    v["data"]
        .as_array()
        .cloned()
        .or_else(|| v["data"]["result"].as_array().cloned())
        .unwrap_or_default()
}

/// Starts `example`, then a Prometheus scraping it every second; both
/// stopped at the end of the returned guard's life.
fn scrape(example: &str, features: &[&str], dir: &Path) -> (Process, Process, u16) {
    let mut target = Process::spawn(
        example,
        Command::new(example_path(example)).args(["--listen", "127.0.0.1:0"]),
    );
    let addr = target.wait_for_line(|l| {
        l.strip_prefix("serving metrics on http://")
            .and_then(|rest| rest.strip_suffix("/metrics"))
            .map(str::to_owned)
    });
    // The body Prometheus will get: OpenMetrics for its default Accept.
    let flags: Vec<String> = features
        .iter()
        .map(|f| format!("--enable-feature={f}"))
        .collect();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let (server, port) = start_prometheus(
        dir,
        &format!("  - job_name: {example}\n    static_configs:\n      - targets: ['{addr}']\n"),
        &flags,
    );
    (target, server, port)
}

fn assert_up_without_error(server: &mut Process, port: u16, job: &str) {
    wait_until(
        Duration::from_secs(60),
        "Prometheus to scrape the target",
        || {
            assert!(server.is_running(), "prometheus exited; see its log");
            let r = api(port, "query", &format!("up{{job=\"{job}\"}}"));
            (r.first()?["value"][1].as_str()? == "1").then_some(())
        },
    );
    let (_, _, targets) =
        http_get(&format!("http://127.0.0.1:{port}/api/v1/targets")).expect("targets API");
    let targets: serde_json::Value = serde_json::from_str(&targets).expect("JSON");
    let active = &targets["data"]["activeTargets"][0];
    assert_eq!(active["health"], "up", "{active}");
    assert_eq!(active["lastError"], "", "{active}");
}

#[test]
fn prometheus_scrapes_openmetrics_and_stores_exemplars() {
    // The Accept header Prometheus sends gets OpenMetrics.
    assert_eq!(
        promscribe_export::negotiate(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
             version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ),
        promscribe::Format::OpenMetrics
    );

    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut demo, mut server, port) = scrape("demo", &[], dir.path());
    assert_up_without_error(&mut server, port, "demo");
    let r = wait_until(Duration::from_secs(30), "the demo's summary", || {
        let r = api(port, "query", "request_processing_seconds_count");
        (!r.is_empty()).then_some(r)
    });
    assert_eq!(r[0]["metric"]["job"], "demo");
    server.stop();
    demo.stop();

    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut ex, mut server, port) = scrape("exemplars", &["exemplar-storage"], dir.path());
    assert_up_without_error(&mut server, port, "exemplars");
    for (series, what) in [
        ("exemplar_jobs_total", "counter"),
        ("exemplar_job_seconds_bucket", "histogram"),
    ] {
        let got = wait_until(Duration::from_secs(30), what, || {
            let r = api(port, "query_exemplars", series);
            let first = r.first()?["exemplars"].as_array()?.first()?.clone();
            Some(first)
        });
        let trace = got["labels"]["trace_id"].as_str().unwrap_or_default();
        assert_eq!(trace.len(), 16, "{what} exemplar: {got}");
        assert!(
            got["timestamp"].as_f64().is_some_and(|t| t > 1.6e9),
            "{got}"
        );
    }
    server.stop();
    ex.stop();
}
