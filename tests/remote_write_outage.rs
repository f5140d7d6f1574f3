//! The remote-write sender against a real Prometheus 2.42 started with
//! `--web.enable-remote-write-receiver` (on 127.0.0.1, a temporary data
//! directory, stopped by pid).
//!
//! Outage: a background sender sends every 200 ms a gauge whose value is
//! the number of times it was collected. Prometheus is killed for a few
//! seconds while the sender keeps gathering into its queue, then started
//! again on the same data directory and port. PromQL must then find every
//! collection, once: the count of samples over the window equals the
//! collections made, and they run from 1 to the last without a gap.
//!
//! A refused series: Prometheus 2.42 refuses a whole request (400) for
//! one sample out of bounds (here three hours old). The series at fault
//! is dropped and reported, never retried, and the good series of the
//! same batch are stored.

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use promscribe::{Collector, Descriptor, GaugeMetricFamily, MetricFamily, MetricType, Registry};
use promscribe_export::{RemoteWrite, RemoteWriteError};
use promscribe_test_support::{
    http_get, prometheus_query, require_program, start_prometheus, wait_until, Process,
};

const FLAGS: [&str; 2] = [
    "--web.enable-remote-write-receiver",
    "--enable-feature=exemplar-storage",
];

/// A gauge whose value is the number of times it was collected.
struct Ticks(AtomicU64);

impl Collector for Ticks {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        let f = GaugeMetricFamily::with_value("rw_ticks", "Collections so far", n as f64)
            .expect("valid");
        out.push(f.into());
    }

    // Declared, so that registering it does not collect it.
    fn describe(&self) -> Vec<Descriptor> {
        vec![Descriptor {
            name: "rw_ticks".into(),
            kind: MetricType::Gauge,
        }]
    }
}

/// Gauges `rw_good_a` and `rw_good_b` now, and `rw_old` three hours ago.
struct WithOld;

impl Collector for WithOld {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        for name in ["rw_good_a", "rw_good_b"] {
            out.push(
                GaugeMetricFamily::with_value(name, "A good gauge", 1.0)
                    .expect("valid")
                    .into(),
            );
        }
        let mut old = GaugeMetricFamily::new("rw_old", "Three hours old", &[]).expect("valid");
        let secs = promscribe::Timestamp::now().as_secs_f64() - 3.0 * 3600.0;
        let ts = promscribe::Timestamp::from_secs_f64(secs).expect("a timestamp");
        old.add_metric_with(&[], 2.0, Some(ts)).expect("valid");
        out.push(old.into());
    }
}

fn wait_ready(port: u16) {
    wait_until(Duration::from_secs(60), "Prometheus ready", || {
        matches!(
            http_get(&format!("http://127.0.0.1:{port}/-/ready")),
            Ok((200, _, _))
        )
        .then_some(())
    });
}

/// The sender's figures, read without collecting `rw_ticks` (which
/// would count as a collection the sender never saw).
fn figures(registry: &Registry) -> Vec<(String, f64)> {
    registry
        .gather_restricted(&[
            "prometheus_remote_storage_samples_total",
            "prometheus_remote_storage_samples_failed_total",
            "prometheus_remote_storage_samples_retried_total",
            "prometheus_remote_storage_samples_dropped_total",
            "prometheus_remote_storage_samples_pending",
        ])
        .iter()
        .flat_map(|f| f.samples())
        .map(|s| (s.name, s.value))
        .collect()
}

fn value(result: &[serde_json::Value]) -> Option<f64> {
    result.first()?["value"][1].as_str()?.parse().ok()
}

#[test]
fn nothing_that_fit_in_the_queue_is_lost_across_an_outage_and_a_refused_series_costs_only_itself() {
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut server, port) = start_prometheus(dir.path(), "  []\n", &FLAGS);
    wait_ready(port);
    let url = format!("http://127.0.0.1:{port}/api/v1/write");

    let registry = Arc::new(Registry::new());
    let ticks = Arc::new(Ticks(AtomicU64::new(0)));
    registry
        .register(Arc::clone(&ticks) as Arc<dyn Collector>)
        .expect("registered");
    let rw = RemoteWrite::builder(&url)
        .timeout(Duration::from_secs(2))
        .flush_timeout(Duration::from_secs(10))
        .build()
        .expect("valid");
    let sender = rw
        .start(Arc::clone(&registry), Duration::from_millis(200))
        .expect("started");
    wait_until(Duration::from_secs(30), "the first ticks stored", || {
        (value(&prometheus_query(port, "rw_ticks"))? >= 5.0).then_some(())
    });

    // The outage: killed, the sender keeps gathering.
    server.stop();
    let before = ticks.0.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(4));
    let during = ticks.0.load(Ordering::SeqCst);
    assert!(
        during >= before + 15,
        "gathered during the outage: {before} -> {during}"
    );
    let pending = figures(&registry)
        .into_iter()
        .find(|(name, _)| name == "prometheus_remote_storage_samples_pending")
        .expect("the sender's metrics are registered")
        .1;
    assert!(pending > 0.0, "{pending}");

    // Back on the same data directory and port.
    let args = [
        format!(
            "--config.file={}",
            dir.path().join("prometheus.yml").display()
        ),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    let _server = Process::spawn_logged(
        "prometheus",
        Command::new(require_program("prometheus"))
            .args(args)
            .args(FLAGS),
        &dir.path().join("prometheus-2.log"),
    );
    wait_ready(port);
    std::thread::sleep(Duration::from_secs(3));
    let figures = figures(&registry);
    sender.stop();
    let collected = ticks.0.load(Ordering::SeqCst) as f64;

    let q = |query: &str| {
        wait_until(Duration::from_secs(10), query, || {
            value(&prometheus_query(port, query))
        })
    };
    let count = q("count_over_time(rw_ticks[10m])");
    let first = q("min_over_time(rw_ticks[10m])");
    let last = q("max_over_time(rw_ticks[10m])");
    assert_eq!((first, last), (1.0, collected), "every collection stored");
    let stored: Vec<f64> = prometheus_query(port, "rw_ticks[10m]")
        .first()
        .and_then(|r| r["values"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v[1].as_str()?.parse().ok())
        .collect();
    let missing: Vec<f64> = (1..=collected as u64)
        .map(|v| v as f64)
        .filter(|v| !stored.contains(v))
        .collect();
    if count != collected {
        for log in ["prometheus.log", "prometheus-2.log"] {
            eprintln!(
                "{log}:\n{}",
                std::fs::read_to_string(dir.path().join(log)).unwrap_or_default()
            );
        }
    }
    assert_eq!(
        count, collected,
        "each once; missing {missing:?}; sender: {figures:?}"
    );

    // A batch with one series out of bounds: 400 from Prometheus 2.42.
    let old = Registry::new();
    old.register(Arc::new(WithOld)).expect("registered");
    let report = rw.push(&old).expect("the good series stored");
    assert_eq!(report.retries, 0, "a 400 is never retried");
    assert_eq!((report.samples_sent, report.samples_failed), (2, 1));
    match report.rejected.as_slice() {
        [RemoteWriteError::Rejected { series, status, .. }] => {
            assert_eq!((series.as_str(), *status), ("rw_old", 400));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(q("rw_good_a"), 1.0);
    assert_eq!(q("rw_good_b"), 1.0);
    assert!(prometheus_query(port, "count_over_time(rw_old[4h])").is_empty());
}
