//! The demo, end to end: its `/metrics` passes `promtool check metrics`,
//! and a real Prometheus server (started here on 127.0.0.1 with a
//! temporary data directory, stopped by pid) scrapes it with `up == 1`
//! and stores the demo's series.

use std::process::Command;
use std::time::Duration;

use promscribe_test_support::{
    example_path, http_get, prometheus_query, promtool_check, require_program, start_prometheus,
    wait_until, Process,
};

#[test]
fn demo_is_scraped_by_a_real_prometheus() {
    require_program("promtool");

    // 1. The demo, on an ephemeral port.
    let mut demo = Process::spawn(
        "demo",
        Command::new(example_path("demo")).args(["--listen", "127.0.0.1:0"]),
    );
    let addr = demo.wait_for_line(|l| {
        l.strip_prefix("serving metrics on http://")
            .and_then(|rest| rest.strip_suffix("/metrics"))
            .map(str::to_owned)
    });
    let metrics_url = format!("http://{addr}/metrics");

    // 2. Its exposition after a few requests.
    let body = wait_until(Duration::from_secs(20), "a few demo requests", || {
        let (status, content_type, body) = http_get(&metrics_url).ok()?;
        assert_eq!(status, 200);
        assert_eq!(
            content_type,
            "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"
        );
        let count_line = body
            .lines()
            .find(|l| l.starts_with("request_processing_seconds_count "))?;
        let count: f64 = count_line.rsplit(' ').next()?.parse().ok()?;
        (count >= 2.0).then_some(body)
    });
    for series in [
        "request_processing_seconds_sum ",
        "request_processing_seconds_created ",
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_virtual_memory_bytes ",
        "process_open_fds ",
        "process_max_fds ",
        "process_start_time_seconds ",
    ] {
        assert!(
            body.contains(&format!("\n{series}")),
            "missing {series} in:\n{body}"
        );
    }
    let (ok, report) = promtool_check(&body);
    assert!(ok, "promtool check metrics failed:\n{report}\n---\n{body}");
    assert!(
        report.trim().is_empty(),
        "promtool reported problems:\n{report}"
    );

    // 3. A real Prometheus scraping it every second.
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut server, prom_port) = start_prometheus(
        dir.path(),
        &format!("  - job_name: demo\n    static_configs:\n      - targets: ['{addr}']\n"),
        &[],
    );

    let up = wait_until(
        Duration::from_secs(60),
        "Prometheus to scrape the demo",
        || {
            assert!(server.is_running(), "prometheus exited; see its log");
            let r = prometheus_query(prom_port, r#"up{job="demo"}"#);
            let v = r.first()?["value"][1].as_str()?.to_owned();
            (v == "1").then_some(v)
        },
    );
    assert_eq!(up, "1");

    // No scrape error on the target.
    let (_, _, targets) =
        http_get(&format!("http://127.0.0.1:{prom_port}/api/v1/targets")).expect("targets API");
    let targets: serde_json::Value = serde_json::from_str(&targets).expect("JSON");
    let active = &targets["data"]["activeTargets"][0];
    assert_eq!(active["health"], "up", "{active}");
    assert_eq!(active["lastError"], "", "{active}");

    for series in [
        "request_processing_seconds_count",
        "request_processing_seconds_sum",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ] {
        let r = wait_until(Duration::from_secs(30), series, || {
            let r = prometheus_query(prom_port, series);
            (!r.is_empty()).then_some(r)
        });
        assert_eq!(r[0]["metric"]["job"], "demo", "{series}: {r:?}");
    }
    let count: f64 = prometheus_query(prom_port, "request_processing_seconds_count")[0]["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a sample value");
    assert!(count >= 1.0);

    server.stop();
    demo.stop();
}
