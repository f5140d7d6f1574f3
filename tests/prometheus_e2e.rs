//! The demo, end to end: its `/metrics` passes `promtool check metrics`,
//! and a real Prometheus server (started here on 127.0.0.1 with a
//! temporary data directory, stopped by pid) scrapes it with `up == 1`
//! and stores the demo's series.

use std::process::Command;
use std::time::Duration;

use promscribe_test_support::{
    example_path, free_port, http_get, promtool_check, require_program, wait_until, Process,
};

fn query(prom: u16, q: &str) -> Vec<serde_json::Value> {
    let url = format!(
        "http://127.0.0.1:{prom}/api/v1/query?query={}",
        q.replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
            .replace('=', "%3D")
    );
    let Ok((200, _, body)) = http_get(&url) else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&body).expect("Prometheus answers JSON");
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

#[test]
fn demo_is_scraped_by_a_real_prometheus() {
    let prometheus = require_program("prometheus");
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
        assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
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
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: demo\n    static_configs:\n      - targets: ['{addr}']\n"
        ),
    )
    .expect("write prometheus.yml");
    let prom_port = free_port();
    let mut server = Process::spawn_logged(
        "prometheus",
        Command::new(prometheus).args([
            &format!("--config.file={}", config.display()),
            &format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            &format!("--web.listen-address=127.0.0.1:{prom_port}"),
        ]),
        &dir.path().join("prometheus.log"),
    );

    let up = wait_until(
        Duration::from_secs(60),
        "Prometheus to scrape the demo",
        || {
            assert!(server.is_running(), "prometheus exited; see its log");
            let r = query(prom_port, r#"up{job="demo"}"#);
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
            let r = query(prom_port, series);
            (!r.is_empty()).then_some(r)
        });
        assert_eq!(r[0]["metric"]["job"], "demo", "{series}: {r:?}");
    }
    let count: f64 = query(prom_port, "request_processing_seconds_count")[0]["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a sample value");
    assert!(count >= 1.0);

    server.stop();
    demo.stop();
}
