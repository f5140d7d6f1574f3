//! Bounded series (`max_series`, `expire_after`) as a real Prometheus sees
//! them. One Prometheus (started here on 127.0.0.1 with a temporary data
//! directory, stopped by pid) scrapes one registry served by
//! `start_http_server_with` every 500 ms, as two jobs, each through a
//! forwarding proxy (`proxy_url:`) that records the `Content-Type` it
//! passed on: `om` as Prometheus asks (OpenMetrics), `text` with `Accept`
//! rewritten to `text/plain;version=0.0.4` (Prometheus 2.42 cannot be told
//! to ask for it: `scrape_protocols` came in 2.49). Prometheus picks its
//! parser by that header, so every assertion below holds for both parsers.
//!
//! Two scenarios run at once against it:
//!
//! - **Staleness across expiry.** In a family with `expire_after = 1.5 s`,
//!   a series updated throughout stays; one left idle leaves the
//!   exposition no sooner than 1.5 s after its last update, and Prometheus
//!   marks it stale (an instant query returns nothing while its last value
//!   is still stored), with `up == 1` and no scrape error meanwhile. An
//!   update through the handle kept with `labels_owned` brings it back with
//!   every count it had: the value before expiry plus one, no counter reset,
//!   the same `_created`.
//! - **sum across overflow.** In a counter family with `max_series = 3`, the
//!   test spreads increments over 10 label values at a steady rate, so 7 of
//!   them go to the overflow series. At the last scrape `sum(..)` is the
//!   test's own total exactly; `sum(increase(..[7s]))` is within 10% of
//!   what the test sent in that window; there are exactly 3 + 1 series, one
//!   labelled `otel_metric_overflow="true"` only; and
//!   `promscribe_series_overflow_total{family=".."}` is the number of
//!   updates the test sent to overflowed values.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use promscribe::{Counter, Family, Opts, Registry, OVERFLOW_LABEL};
use promscribe_export::{start_http_server_with, ServerOptions};
use promscribe_test_support::{
    http_get, start_prometheus, url_encode, wait_until, ProxyOptions, ScrapeProxy,
};

/// Prometheus's scrape interval for both jobs.
const SCRAPE: Duration = Duration::from_millis(500);
/// The idle timeout of the staleness scenario's family.
const EXPIRE: Duration = Duration::from_millis(1500);
/// The series cap of the overflow scenario's family.
const CAP: usize = 3;
/// The distinct label values the overflow scenario drives.
const VALUES: u64 = 10;
/// The overflow scenario's pace: one update per tick.
const TICK: Duration = Duration::from_millis(20);
/// How long the overflow scenario sends.
const TRAFFIC: Duration = Duration::from_secs(11);
/// The `increase` window, and its end, from the start of the traffic.
const WINDOW_SECS: f64 = 7.0;
const WINDOW_END_SECS: f64 = 10.0;

const TEXT_ACCEPT: &str = "text/plain;version=0.0.4";

/// A scrape job: its name, the proxy it goes through, the `Content-Type`
/// every answer it got must have.
struct Job {
    name: &'static str,
    proxy: ScrapeProxy,
    content_type: &'static str,
}

/// Seconds since the Unix epoch: the clock Prometheus stamps samples with.
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs_f64()
}

/// The result of an instant query at `time` (Unix seconds; `None`: now),
/// or `None` while Prometheus cannot answer. A query Prometheus refuses
/// fails the test.
fn query(port: u16, q: &str, time: Option<f64>) -> Option<Vec<serde_json::Value>> {
    let mut url = format!(
        "http://127.0.0.1:{port}/api/v1/query?query={}",
        url_encode(q)
    );
    if let Some(t) = time {
        url.push_str(&format!("&time={t:.3}"));
    }
    let (status, _, body) = http_get(&url).ok()?;
    assert!(
        status != 400 && status != 422,
        "Prometheus refused `{q}`: {body}"
    );
    if status != 200 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&body).expect("Prometheus answers JSON");
    v["data"]["result"].as_array().cloned()
}

/// The value of one sample of a query result.
fn value_of(sample: &serde_json::Value) -> f64 {
    sample["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a sample with a value: {sample}"))
}

/// The value of a query that yields at most one sample: `None` for no
/// sample (or no answer yet).
fn single(port: u16, q: &str, time: Option<f64>) -> Option<f64> {
    let r = query(port, q, time)?;
    assert!(r.len() <= 1, "`{q}` yields more than one sample: {r:?}");
    r.first().map(value_of)
}

/// Whether Prometheus answers `q` with no sample at all.
fn absent(port: u16, q: &str) -> bool {
    query(port, q, None).is_some_and(|r| r.is_empty())
}

/// Every active target is healthy, with no scrape error.
fn assert_targets_up(port: u16, when: &str) {
    let (_, _, targets) =
        http_get(&format!("http://127.0.0.1:{port}/api/v1/targets")).expect("targets API");
    let targets: serde_json::Value = serde_json::from_str(&targets).expect("JSON");
    let active = targets["data"]["activeTargets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(active.len(), 2, "{when}: {targets}");
    for t in &active {
        assert_eq!(t["health"], "up", "{when}: {t}");
        assert_eq!(t["lastError"], "", "{when}: {t}");
    }
}

/// Sets its flag when dropped, so that a helper thread of a scope stops
/// also when the code that owns the guard panics.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn prometheus_sees_expired_series_go_stale_and_overflow_sum_up() {
    // The registry, served as Prometheus will scrape it.
    let registry = Arc::new(Registry::new());
    let sessions: Arc<Family<Counter, 1>> = Family::new(
        Opts::new("bounded_sessions_total", "Sessions, idle users expire")
            .labels(["user"])
            .expire_after(EXPIRE),
    )
    .expect("valid family");
    let requests: Arc<Family<Counter, 1>> = Family::new(
        Opts::new("bounded_requests_total", "Requests, at most 3 paths")
            .labels(["path"])
            .max_series(CAP),
    )
    .expect("valid family");
    registry.register(sessions.clone()).expect("registered");
    registry.register(requests.clone()).expect("registered");
    let server = start_http_server_with(
        "127.0.0.1:0",
        ServerOptions::new().registry(registry.clone()),
    )
    .expect("metrics server");
    let target = server.local_addr().to_string();

    // One Prometheus, two jobs: OpenMetrics as it asks, and text.
    let proxy = |o: ProxyOptions| ScrapeProxy::start(o).expect("proxy");
    let jobs = [
        Job {
            name: "om",
            proxy: proxy(ProxyOptions::new()),
            content_type: "application/openmetrics-text; version=1.0.0",
        },
        Job {
            name: "text",
            proxy: proxy(ProxyOptions::new().accept(TEXT_ACCEPT)),
            content_type: "text/plain; version=0.0.4",
        },
    ];
    let interval = format!("{}ms", SCRAPE.as_millis());
    let config: String = jobs
        .iter()
        .map(|j| {
            format!(
                "  - job_name: {}\n    scrape_interval: {interval}\n    scrape_timeout: {interval}\n    proxy_url: {}\n    static_configs:\n      - targets: ['{target}']\n",
                j.name,
                j.proxy.url()
            )
        })
        .collect();
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut prometheus, port) = start_prometheus(dir.path(), &config, &[]);
    let started = Instant::now();
    wait_until(
        Duration::from_secs(60),
        "Prometheus to scrape both jobs",
        || {
            assert!(prometheus.is_running(), "prometheus exited; see its log");
            jobs.iter()
                .all(|j| single(port, &format!("up{{job=\"{}\"}}", j.name), None) == Some(1.0))
                .then_some(())
        },
    );
    let names: Vec<&str> = jobs.iter().map(|j| j.name).collect();

    std::thread::scope(|s| {
        let staleness = s.spawn(|| staleness_across_expiry(port, &names, &sessions));
        let overflow = s.spawn(|| sum_across_overflow(port, &names, &requests));
        for (what, handle) in [("staleness", staleness), ("overflow", overflow)] {
            if let Err(panic) = handle.join() {
                eprintln!("the {what} scenario failed");
                std::panic::resume_unwind(panic);
            }
        }
    });

    // `up == 1` at every scrape since the first, and no scrape error.
    let since = started.elapsed().as_secs() + 1;
    for job in &names {
        let min = single(
            port,
            &format!("min_over_time(up{{job=\"{job}\"}}[{since}s])"),
            None,
        );
        assert_eq!(min, Some(1.0), "{job}: a scrape failed");
    }
    assert_targets_up(port, "at the end");
    // Each job's parser was the one its Content-Type names.
    for job in &jobs {
        let forwarded = job.proxy.forwarded();
        assert!(forwarded.len() >= 10, "{}: {forwarded:?}", job.name);
        for f in &forwarded {
            assert_eq!(f.status, 200, "{}: {f:?}", job.name);
            assert!(
                f.content_type.starts_with(job.content_type),
                "{}: expected {}: {f:?}",
                job.name,
                job.content_type
            );
        }
    }
    prometheus.stop();
    let _ = server.stop();
}

/// Scenario 1: an idle series goes stale in Prometheus once it expires,
/// and comes back whole when its held handle is updated.
fn staleness_across_expiry(port: u16, jobs: &[&str], sessions: &Family<Counter, 1>) {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let _stop = StopOnDrop(&stop);
        // The busy user, updated throughout (lookups that find their
        // series: they never sweep).
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                sessions.labels(["busy"]).inc();
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let series = |job: &str, user: &str| {
            format!("bounded_sessions_total{{job=\"{job}\",user=\"{user}\"}}")
        };

        // Both updated until Prometheus has the idle one in both jobs.
        let idle = sessions.labels_owned(["idle"]);
        let start = Instant::now();
        loop {
            idle.inc();
            std::thread::sleep(Duration::from_millis(100));
            if start.elapsed() >= Duration::from_secs(1)
                && jobs
                    .iter()
                    .all(|j| single(port, &series(j, "idle"), None).is_some())
            {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "Prometheus never stored the idle series"
            );
        }
        let before = idle.get();
        let last_update = Instant::now();

        // Left idle: it leaves the exposition once expired, and Prometheus
        // marks it stale: no sample at an instant query.
        let gone_after = wait_until(
            Duration::from_secs(15),
            "the idle series to go stale in Prometheus",
            || {
                jobs.iter()
                    .all(|j| absent(port, &series(j, "idle")))
                    .then(|| last_update.elapsed())
            },
        );
        assert!(
            gone_after >= EXPIRE,
            "the idle series left after {gone_after:?}, before its timeout {EXPIRE:?}"
        );
        eprintln!("idle series stale in Prometheus {gone_after:?} after its last update");
        for job in jobs {
            // Stale, not lost: its last value is stored.
            let last = single(
                port,
                &format!("max_over_time({}[1m])", series(job, "idle")),
                None,
            );
            assert_eq!(last, Some(before), "{job}: the idle series' last value");
            let busy = single(port, &series(job, "busy"), None);
            assert!(
                busy.is_some_and(|v| v > 0.0),
                "{job}: the busy series is missing while the idle one is stale: {busy:?}"
            );
            let up = single(port, &format!("up{{job=\"{job}\"}}"), None);
            assert_eq!(up, Some(1.0), "{job}: up while the idle series is stale");
        }
        assert_targets_up(port, "while the idle series is stale");
        assert_eq!(idle.get(), before, "nothing updated the idle series");

        // Still stale a few scrapes later: a handle held is not an update.
        std::thread::sleep(SCRAPE * 2 + Duration::from_millis(200));
        for job in jobs {
            assert!(
                absent(port, &series(job, "idle")),
                "{job}: the idle series came back with no update"
            );
        }

        // One update through the held handle: the same series comes back
        // with every count it had.
        idle.inc();
        let expected = before + 1.0;
        wait_until(
            Duration::from_secs(15),
            "the idle series to come back with its full value",
            || {
                jobs.iter()
                    .all(|j| single(port, &series(j, "idle"), None) == Some(expected))
                    .then_some(())
            },
        );
        for job in jobs {
            let resets = single(port, &format!("resets({}[1m])", series(job, "idle")), None);
            assert_eq!(resets, Some(0.0), "{job}: the counter was reset");
            let created = format!("bounded_sessions_created{{job=\"{job}\",user=\"idle\"}}");
            let first = single(port, &format!("min_over_time({created}[1m])"), None);
            let last = single(port, &format!("max_over_time({created}[1m])"), None);
            let now = single(port, &created, None);
            assert!(
                first.is_some() && first == last && last == now,
                "{job}: `_created` changed across expiry: {first:?} {last:?} {now:?}"
            );
        }
    });
}

/// Scenario 2: increments over 10 label values into a family capped at 3
/// series add up in Prometheus, overflow series included.
fn sum_across_overflow(port: u16, jobs: &[&str], requests: &Family<Counter, 1>) {
    let paths: Vec<String> = (0..VALUES).map(|i| format!("/p{i}")).collect();
    // Each update: when it was made (Unix seconds), its amount, and
    // whether its value was past the cap.
    let mut sent: Vec<(f64, u64, bool)> = Vec::new();
    let start = Instant::now();
    let start_unix = unix_now();
    let mut k: u64 = 0;
    while start.elapsed() < TRAFFIC {
        let i = k % VALUES;
        let amount = 1 + k % 3;
        requests
            .labels([paths[i as usize].as_str()])
            .inc_by_u64(amount);
        // The first CAP values looked up are the ones with a series.
        sent.push((unix_now(), amount, i >= CAP as u64));
        if k + 1 == VALUES {
            assert_eq!(requests.len(), CAP, "the series kept past the cap");
        }
        k += 1;
        // Paced on the start, so that a late wake-up does not lower the
        // rate.
        if let Some(d) = (start + TICK * (k as u32)).checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
    }
    let end_unix = unix_now();
    let total: u64 = sent.iter().map(|s| s.1).sum();
    let overflowed: u64 = sent.iter().filter(|s| s.2).map(|s| s.1).sum();
    let overflow_updates = sent.iter().filter(|s| s.2).count() as f64;

    for job in jobs {
        let selector = format!("bounded_requests_total{{job=\"{job}\"}}");
        // A scrape of every series after the last update.
        wait_until(
            Duration::from_secs(15),
            "a scrape after the last update",
            || {
                let t = single(port, &format!("min(timestamp({selector}))"), None)?;
                (t > end_unix).then_some(())
            },
        );

        let sum = single(port, &format!("sum({selector})"), None);
        assert_eq!(sum, Some(total as f64), "{job}: sum at the last scrape");

        let series = query(port, &selector, None).expect("Prometheus answers");
        assert_eq!(series.len(), CAP + 1, "{job}: {series:?}");
        let count = single(port, &format!("count({selector})"), None);
        assert_eq!(count, Some((CAP + 1) as f64), "{job}");
        let (over, kept): (Vec<_>, Vec<_>) = series
            .iter()
            .partition(|s| s["metric"][OVERFLOW_LABEL] == "true");
        assert_eq!(over.len(), 1, "{job}: {series:?}");
        assert!(
            over[0]["metric"].get("path").is_none(),
            "{job}: the overflow series has its own labels only: {}",
            over[0]
        );
        assert_eq!(value_of(over[0]), overflowed as f64, "{job}: {}", over[0]);
        let mut kept_paths: Vec<&str> = kept
            .iter()
            .filter_map(|s| s["metric"]["path"].as_str())
            .collect();
        kept_paths.sort_unstable();
        assert_eq!(kept_paths, ["/p0", "/p1", "/p2"], "{job}: {series:?}");

        let tally = single(
            port,
            &format!(
                "promscribe_series_overflow_total{{job=\"{job}\",family=\"bounded_requests\"}}"
            ),
            None,
        );
        assert_eq!(
            tally,
            Some(overflow_updates),
            "{job}: the updates sent to overflowed values"
        );

        // The rate over a window inside the traffic, every series known
        // to Prometheus since well before it.
        let at = start_unix + WINDOW_END_SECS;
        let in_window: u64 = sent
            .iter()
            .filter(|s| s.0 > at - WINDOW_SECS && s.0 <= at)
            .map(|s| s.1)
            .sum();
        let increase = single(
            port,
            &format!("sum(increase({selector}[{WINDOW_SECS}s]))"),
            Some(at),
        )
        .expect("an increase over the window");
        let error = (increase - in_window as f64).abs() / in_window as f64;
        eprintln!(
            "{job}: sum(increase([{WINDOW_SECS}s])) = {increase:.1}, sent {in_window} ({:.2}% off)",
            error * 100.0
        );
        assert!(
            error <= 0.10,
            "{job}: sum(increase(..[{WINDOW_SECS}s])) = {increase}, the test sent {in_window} in that window"
        );
    }
}
