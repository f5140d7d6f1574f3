//! The `runtime_info` example (started on a free port, stopped by pid)
//! scraped by a real Prometheus (on 127.0.0.1 with a temporary data
//! directory, stopped by pid): its build info and its tokio runtime's
//! metrics stored, `up` 1, no scrape error, and the PromQL join of the
//! build info's `version` onto a runtime series answered. Its exposition,
//! read directly, passes `promtool check metrics`.

use std::process::Command;
use std::time::Duration;

use promscribe_test_support::{
    example_path, http_get, prometheus_query, promtool_check, start_prometheus, wait_until, Process,
};

/// The value of the single sample `q` yields, once it yields one.
fn single(port: u16, q: &str) -> Option<f64> {
    let r = prometheus_query(port, q);
    assert!(r.len() <= 1, "`{q}` yields more than one sample: {r:?}");
    r.first()?["value"][1].as_str()?.parse().ok()
}

#[test]
fn prometheus_scrapes_build_info_and_tokio_runtime_metrics() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut example = Process::spawn(
        "runtime_info",
        Command::new(example_path("runtime_info"))
            .current_dir(dir.path())
            .args(["--listen", "127.0.0.1:0"]),
    );
    let addr = example.wait_for_line(|l| {
        let rest = l.strip_prefix("serving metrics on http://")?;
        Some(rest.split('/').next()?.to_owned())
    });

    // The exposition as the example serves it: both metrics, and clean by
    // promtool's lint.
    let (status, _, body) = http_get(&format!("http://{addr}/metrics")).expect("scrape");
    assert_eq!(status, 200, "{body}");
    let build_line = format!(
        "runtime_info_build_info{{name=\"promscribe-examples\",version=\"0.0.0\",\
         rustc_version=\"{}\",target=\"{}\"}} 1.0",
        promscribe::RUSTC_VERSION,
        promscribe::TARGET
    );
    assert!(
        body.lines().any(|l| l == build_line),
        "no `{build_line}` in:\n{body}"
    );
    assert!(body.lines().any(|l| l == "tokio_workers 2.0"), "{body}");
    for worker in ["0", "1"] {
        assert!(
            body.contains(&format!(
                "tokio_worker_busy_seconds_total{{worker=\"{worker}\"}} "
            )),
            "{body}"
        );
    }
    let (ok, report) = promtool_check(&body);
    assert!(ok, "promtool rejected:\n{report}\n---\n{body}");

    let (mut prometheus, port) = start_prometheus(
        dir.path(),
        &format!("  - job_name: runtime\n    static_configs:\n      - targets: ['{addr}']\n"),
        &[],
    );
    // Two scrapes at least: the busy time's rate has an interval.
    wait_until(
        Duration::from_secs(30),
        "Prometheus to store the example's metrics",
        || {
            assert!(prometheus.is_running(), "prometheus exited; see its log");
            assert!(example.is_running(), "the example exited");
            let scrapes = single(port, "count_over_time(up{job=\"runtime\"}[1m])")?;
            (scrapes >= 3.0
                && single(
                    port,
                    "sum(rate(tokio_worker_busy_seconds_total{job=\"runtime\"}[1m]))",
                )? > 0.0)
                .then_some(())
        },
    );

    assert_eq!(single(port, "up{job=\"runtime\"}"), Some(1.0));
    let (_, _, targets) =
        http_get(&format!("http://127.0.0.1:{port}/api/v1/targets")).expect("targets API");
    let targets: serde_json::Value = serde_json::from_str(&targets).expect("JSON");
    let active = &targets["data"]["activeTargets"][0];
    assert_eq!(active["health"], "up", "{active}");
    assert_eq!(active["lastError"], "", "{active}");

    // The build info as stored: one series, the example's package.
    let info = prometheus_query(port, "runtime_info_build_info");
    assert_eq!(info.len(), 1, "{info:?}");
    let labels = &info[0]["metric"];
    assert_eq!(labels["name"], "promscribe-examples", "{labels}");
    assert_eq!(labels["version"], "0.0.0", "{labels}");
    assert_eq!(
        labels["rustc_version"],
        promscribe::RUSTC_VERSION,
        "{labels}"
    );
    assert_eq!(labels["target"], promscribe::TARGET, "{labels}");
    assert_eq!(info[0]["value"][1], "1", "{info:?}");

    // The runtime's metrics: two workers, the example's ten tasks alive
    // (and the server's own), a series per worker.
    assert_eq!(single(port, "tokio_workers"), Some(2.0));
    let alive = single(port, "tokio_alive_tasks").expect("tokio_alive_tasks");
    assert!(alive >= 10.0, "{alive}");
    assert_eq!(single(port, "count(tokio_worker_parks_total)"), Some(2.0));
    assert_eq!(
        single(port, "count(tokio_worker_park_unparks_total)"),
        Some(2.0)
    );
    assert!(single(port, "tokio_global_queue_depth").is_some());

    // The join the documentation gives: the version onto a runtime series.
    let joined = prometheus_query(
        port,
        "tokio_alive_tasks * on (instance, job) group_left(version) runtime_info_build_info",
    );
    assert_eq!(joined.len(), 1, "{joined:?}");
    assert_eq!(joined[0]["metric"]["version"], "0.0.0", "{joined:?}");
    let value: f64 = joined[0]["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a value");
    assert!(value >= 10.0, "{joined:?}");
}
