//! Runs the instrumentation examples and checks what they print.

use std::process::Command;

use metrics_workspace::{example_path, promtool_check};

#[test]
fn router_example_initialises_every_path() {
    let out = Command::new(example_path("router"))
        .arg("--once")
        .output()
        .expect("router runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    for line in [
        "my_router_request_latency_seconds_count{path=\"/foo\"} 2.0",
        "my_router_request_latency_seconds_count{path=\"/bar\"} 1.0",
        "my_router_request_exceptions_total{path=\"/foo\"} 0.0",
        "my_router_request_exceptions_total{path=\"/bar\"} 1.0",
    ] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in:\n{text}");
    }
    let (ok, report) = promtool_check(&text);
    assert!(ok, "{report}");
}
