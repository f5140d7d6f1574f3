//! `parse_text` reads what Go programs expose: the `/metrics` of a real
//! Pushgateway, Prometheus and node_exporter (each started here on
//! 127.0.0.1), which `promtool check metrics` accepts, parse into families
//! that the encoder writes back and that parse again to the same families.
//!
//! Every client_golang default registry exposes a gauge
//! `go_memstats_alloc_bytes` and a counter `go_memstats_alloc_bytes_total`:
//! both are kept.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use promscribe::{encode_text_families, parse_text, MetricFamily, MetricType, Point};
use promscribe_test_support::{
    free_port, http_get, promtool_check, require_program, start_prometheus, wait_until, Process,
};

/// The body of `url` once it answers 200.
fn scrape_when_up(url: &str, what: &str) -> String {
    wait_until(Duration::from_secs(30), what, || match http_get(url) {
        Ok((200, _, body)) => Some(body),
        _ => None,
    })
}

/// Whether `promtool check metrics` parses `text` (its lint may still
/// complain, e.g. of a missing help); its report.
fn promtool_parses(text: &str) -> (bool, String) {
    let (_, report) = promtool_check(text);
    (!report.contains("error while linting"), report)
}

/// Checks that promtool accepts `body`, that it parses, that both
/// `go_memstats_alloc_bytes` families are kept, and that the parsed
/// families round-trip through the encoder.
fn check_go_exposition(program: &str, body: &str) {
    let (ok, report) = promtool_parses(body);
    assert!(ok, "promtool refuses {program}'s exposition:\n{report}");
    let families =
        parse_text(body).unwrap_or_else(|e| panic!("{program}'s /metrics does not parse: {e}"));
    let of = |name: &str, kind: MetricType| -> Vec<&MetricFamily> {
        families
            .iter()
            .filter(|f| f.name == name && f.kind == kind)
            .collect()
    };
    let gauge = of("go_memstats_alloc_bytes", MetricType::Gauge);
    let counter = of("go_memstats_alloc_bytes", MetricType::Counter);
    assert_eq!(gauge.len(), 1, "{program}: the gauge, in {families:#?}");
    assert_eq!(counter.len(), 1, "{program}: the counter, in {families:#?}");
    assert!(matches!(gauge[0].metrics[0].point, Point::Gauge(v) if v > 0.0));
    assert!(matches!(&counter[0].metrics[0].point, Point::Counter(c) if c.value > 0.0));
    assert_eq!(
        counter[0].samples()[0].name,
        "go_memstats_alloc_bytes_total"
    );
    // Every sample line of the body is a sample of the parsed families.
    let lines = body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .count();
    let samples: usize = families.iter().map(|f| f.samples_with(false).len()).sum();
    assert_eq!(samples, lines, "{program}: samples lost or added");

    let mut encoded = String::new();
    encode_text_families(&mut encoded, &families);
    let again = parse_text(&encoded)
        .unwrap_or_else(|e| panic!("{program}: the re-encoded text does not parse: {e}"));
    // NaN quantiles make `==` of the families false: their texts compare.
    let mut encoded_again = String::new();
    encode_text_families(&mut encoded_again, &again);
    assert_eq!(encoded_again, encoded, "{program}: round trip");
    assert_eq!(format!("{again:?}"), format!("{families:?}"));
    let (ok, report) = promtool_parses(&encoded);
    assert!(
        ok,
        "{program}: promtool refuses the re-encoded text:\n{report}"
    );
}

#[test]
fn pushgateway_metrics_parse() {
    let bin = require_program("prometheus-pushgateway");
    let dir = tempfile::tempdir().expect("temp dir");
    let addr = format!("127.0.0.1:{}", free_port());
    let _gateway = Process::spawn_logged(
        "pushgateway",
        Command::new(bin).arg(format!("--web.listen-address={addr}")),
        &dir.path().join("log"),
    );
    let body = scrape_when_up(&format!("http://{addr}/metrics"), "the Pushgateway");
    check_go_exposition("the Pushgateway", &body);
}

#[test]
fn prometheus_metrics_parse() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_server, port) = start_prometheus(dir.path(), "", &[]);
    let body = scrape_when_up(&format!("http://127.0.0.1:{port}/metrics"), "Prometheus");
    check_go_exposition("Prometheus", &body);
}

fn node_exporter(dir: &Path) -> (Process, String) {
    let bin = require_program("prometheus-node-exporter");
    let addr = format!("127.0.0.1:{}", free_port());
    let process = Process::spawn_logged(
        "node_exporter",
        Command::new(bin).arg(format!("--web.listen-address={addr}")),
        &dir.join("log"),
    );
    (process, format!("http://{addr}/metrics"))
}

#[test]
fn node_exporter_metrics_parse() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_ne, url) = node_exporter(dir.path());
    let body = scrape_when_up(&url, "node_exporter");
    check_go_exposition("node_exporter", &body);
}

#[test]
fn a_gauge_and_a_counter_named_alike_are_both_kept() {
    let text = "# HELP x_bytes Bytes now.\n# TYPE x_bytes gauge\nx_bytes 5\n\
                # HELP x_bytes_total Bytes ever.\n# TYPE x_bytes_total counter\nx_bytes_total 9\n";
    assert!(promtool_parses(text).0);
    let families = parse_text(text).expect("promtool accepts it");
    let kinds: Vec<_> = families.iter().map(|f| (f.name.as_str(), f.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("x_bytes", MetricType::Gauge),
            ("x_bytes", MetricType::Counter)
        ]
    );
    let mut encoded = String::new();
    encode_text_families(&mut encoded, &families);
    assert_eq!(
        encoded,
        text.replace(" 5\n", " 5.0\n").replace(" 9\n", " 9.0\n")
    );
    // The other order, too.
    let swapped = "# TYPE y_total counter\ny_total 1\n# TYPE y gauge\ny 2\n";
    assert!(promtool_parses(swapped).0);
    let families = parse_text(swapped).expect("promtool accepts it");
    assert_eq!(families.len(), 2);
    // The same name written twice is still refused.
    let err = parse_text("# TYPE z gauge\nz 1\n# TYPE y gauge\ny 1\n# TYPE z gauge\nz 2\n")
        .expect_err("two families `z`");
    assert_eq!(err.line(), 5, "{err}");
}
