//! A real Prometheus started with `--enable-feature=native-histograms`
//! (started here on 127.0.0.1 with a temporary data directory, stopped by
//! pid) asks for the protobuf exposition first and scrapes the demo with
//! `up == 1` and no scrape error.
//!
//! In protobuf a creation time is a field (`created_timestamp`), not a
//! series: the demo's `_created` samples, present in its text and
//! OpenMetrics bodies and stored by Prometheus from those, are absent
//! here while the values they belong to are stored. That shows the
//! protobuf body was the one parsed.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use promscribe_test_support::{
    example_path, http_get, prometheus_query, start_prometheus, wait_until, Process,
};

fn start_demo_scraper(addr: &str, dir: &Path) -> (Process, u16) {
    start_prometheus(
        dir,
        &format!("  - job_name: demo\n    static_configs:\n      - targets: ['{addr}']\n"),
        &["--enable-feature=native-histograms"],
    )
}

#[test]
fn prometheus_with_native_histograms_scrapes_the_demo_in_protobuf() {
    let mut demo = Process::spawn(
        "demo",
        Command::new(example_path("demo")).args(["--listen", "127.0.0.1:0"]),
    );
    let addr = demo.wait_for_line(|l| {
        l.strip_prefix("serving metrics on http://")
            .and_then(|rest| rest.strip_suffix("/metrics"))
            .map(str::to_owned)
    });
    // The demo's text body carries `_created` series; the protobuf one
    // carries the same times as fields.
    let (_, _, text) = http_get(&format!("http://{addr}/metrics")).expect("the demo answers");
    assert!(
        text.contains("\nrequest_processing_seconds_created "),
        "{text}"
    );

    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut server, port) = start_demo_scraper(&addr, dir.path());
    wait_until(
        Duration::from_secs(60),
        "Prometheus to scrape the demo",
        || {
            assert!(server.is_running(), "prometheus exited; see its log");
            let r = prometheus_query(port, "up{job=\"demo\"}");
            (r.first()?["value"][1].as_str()? == "1").then_some(())
        },
    );
    let (_, _, targets) =
        http_get(&format!("http://127.0.0.1:{port}/api/v1/targets")).expect("targets API");
    let targets: serde_json::Value = serde_json::from_str(&targets).expect("JSON");
    let active = &targets["data"]["activeTargets"][0];
    assert_eq!(active["health"], "up", "{active}");
    assert_eq!(active["lastError"], "", "{active}");

    // The summary and a counter are stored, with values.
    let count = wait_until(Duration::from_secs(30), "the demo's summary", || {
        let r = prometheus_query(port, "request_processing_seconds_count{job=\"demo\"}");
        let v: f64 = r.first()?["value"][1].as_str()?.parse().ok()?;
        (v >= 1.0).then_some(v)
    });
    assert!(count >= 1.0);
    let cpu = wait_until(Duration::from_secs(30), "a counter of the demo", || {
        let r = prometheus_query(port, "process_cpu_seconds_total{job=\"demo\"}");
        r.first()?["value"][1].as_str()?.parse::<f64>().ok()
    });
    assert!(cpu >= 0.0, "{cpu}");
    let sum = prometheus_query(port, "request_processing_seconds_sum{job=\"demo\"}");
    assert_eq!(sum.len(), 1, "{sum:?}");

    // Several scrapes later, still no `_created` series: the creation
    // times came as protobuf fields.
    wait_until(Duration::from_secs(30), "three more scrapes", || {
        let r = prometheus_query(port, "count_over_time(up{job=\"demo\"}[1m])");
        let n: f64 = r.first()?["value"][1].as_str()?.parse().ok()?;
        (n >= 4.0).then_some(())
    });
    let created = prometheus_query(port, "{job=\"demo\",__name__=~\".+_created\"}");
    assert!(
        created.is_empty(),
        "`_created` stored as series: {created:?}"
    );
    let (_, _, targets) =
        http_get(&format!("http://127.0.0.1:{port}/api/v1/targets")).expect("targets API");
    let targets: serde_json::Value = serde_json::from_str(&targets).expect("JSON");
    let active = &targets["data"]["activeTargets"][0];
    assert_eq!(active["health"], "up", "{active}");
    assert_eq!(active["lastError"], "", "{active}");

    server.stop();
    demo.stop();
}
