//! Runs the instrumentation examples and checks what they print.

use std::process::Command;

use promscribe_test_support::{example_path, promtool_check};

#[test]
fn router_example_initialises_every_path() {
    let out = Command::new(example_path("router"))
        .arg("--once")
        .output()
        .expect("router runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    for line in [
        "my_router_request_latency_seconds_count{path=\"/foo\"} 2.0",
        "my_router_request_latency_seconds_count{path=\"/bar\"} 1.0",
        "my_router_request_exceptions_total{path=\"/foo\"} 0.0",
        "my_router_request_exceptions_total{path=\"/bar\"} 1.0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
    let (ok, report) = promtool_check(&text);
    assert!(ok, "{report}");
}

#[test]
fn system_exporter_exposes_cpu_and_memory() {
    use promscribe_test_support::{http_get, wait_until, Process};
    let mut exporter = Process::spawn(
        "system_exporter",
        Command::new(example_path("system_exporter")).args([
            "--listen",
            "127.0.0.1:0",
            "--interval-ms",
            "200",
        ]),
    );
    let url = exporter.wait_for_line(|l| l.strip_prefix("serving metrics on ").map(str::to_owned));
    let body = wait_until(
        std::time::Duration::from_secs(20),
        "cpu and memory samples",
        || {
            let (_, _, body) = http_get(&url).ok()?;
            let value = |rt: &str| -> Option<f64> {
                body.lines()
                    .find_map(|l| {
                        l.strip_prefix(&format!("system_usage{{resource_type=\"{rt}\"}} "))
                    })?
                    .parse()
                    .ok()
            };
            let (cpu, memory) = (value("cpu")?, value("memory")?);
            assert!((0.0..=100.0).contains(&cpu), "cpu {cpu}");
            (memory > 0.0 && memory <= 100.0).then_some(body)
        },
    );
    let (ok, report) = promtool_check(&body);
    assert!(ok, "{report}");
}

#[test]
fn web_app_exporter_times_requests_and_counts_uptime() {
    use promscribe_test_support::{http_get, wait_until, Process};
    let mut app = Process::spawn(
        "web_app_exporter",
        Command::new(example_path("web_app_exporter")).args(["--listen", "127.0.0.1:0"]),
    );
    let addr = app.wait_for_line(|l| {
        l.strip_prefix("serving http://")
            .and_then(|r| r.split('/').next())
            .map(str::to_owned)
    });
    let (status, _, hello) = http_get(&format!("http://{addr}/")).expect("hello");
    assert_eq!((status, hello.as_str()), (200, "Hello World!"));
    let body = wait_until(std::time::Duration::from_secs(20), "uptime >= 1", || {
        let (_, _, body) = http_get(&format!("http://{addr}/metrics")).ok()?;
        let up: f64 = body
            .lines()
            .find_map(|l| l.strip_prefix("app_uptime_seconds_total "))?
            .parse()
            .ok()?;
        (up >= 1.0).then_some(body)
    });
    let last: f64 = body
        .lines()
        .find_map(|l| l.strip_prefix("app_last_request_response_time_seconds "))
        .and_then(|v| v.parse().ok())
        .expect("last response time");
    assert!((0.01..5.0).contains(&last), "{last}");
    let (ok, report) = promtool_check(&body);
    assert!(ok, "{report}");
}

#[test]
fn custom_collector_reads_its_queues_at_scrape_time() {
    use promscribe_test_support::{http_get, wait_until, Process};
    let mut exporter = Process::spawn(
        "custom_collector",
        Command::new(example_path("custom_collector")).args(["--listen", "127.0.0.1:0"]),
    );
    let url = exporter.wait_for_line(|l| l.strip_prefix("serving metrics on ").map(str::to_owned));
    let processed = |body: &str, queue: &str| -> Option<f64> {
        body.lines()
            .find_map(|l| {
                l.strip_prefix(&format!(
                    "custom_jobs_processed_total{{queue=\"{queue}\"}} "
                ))
            })?
            .parse()
            .ok()
    };
    let (_, _, first) = http_get(&url).expect("scrape");
    let before = processed(&first, "email").expect("email's processed jobs");
    // Later scrapes see the queues as they are then: the counter grows.
    let body = wait_until(std::time::Duration::from_secs(20), "more jobs done", || {
        let (_, _, body) = http_get(&url).ok()?;
        (processed(&body, "email")? > before).then_some(body)
    });
    for line in [
        "# TYPE custom_queue_length gauge\n",
        "# TYPE custom_jobs_processed_total counter\n",
        "custom_queues 2.0\n",
        "custom_queue_length{queue=\"thumbnails\"} ",
    ] {
        assert!(body.contains(line), "no {line:?} in\n{body}");
    }
    assert!(processed(&body, "thumbnails").is_some(), "{body}");
    let (ok, report) = promtool_check(&body);
    assert!(ok, "{report}");
}

/// Every example answers `--help` with its usage on stdout and exit code
/// 0, without doing its work (no server, no push, no file), and refuses an
/// unknown argument with exit code 2 and its usage on stderr. The list is
/// read from the examples package's manifest, so a new example is checked
/// too.
#[test]
fn every_example_answers_help_and_refuses_unknown_arguments() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/Cargo.toml"))
            .expect("examples/Cargo.toml");
    let names: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "promscribe-examples")
        .collect();
    assert!(names.len() >= 8, "examples found: {names:?}");
    for name in names {
        let out = Command::new(example_path(name))
            .arg("--help")
            .env_remove("PUSHGATEWAY_URL")
            .output()
            .expect("example runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.starts_with("usage: "),
            "{name} --help: {:?}\nstdout: {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new(example_path(name))
            .arg("--no-such-option")
            .output()
            .expect("example runs");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name} with an unknown argument"
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("usage"),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
