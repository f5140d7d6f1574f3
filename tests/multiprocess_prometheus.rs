//! The pre-fork `multiprocess` example as a real Prometheus scrapes it: the
//! example (three workers on one listener, files in a temporary directory,
//! compacting every second; stopped by pid) answers `/metrics` for the
//! whole application from whichever worker the kernel hands the scrape.
//!
//! Checked through PromQL: after a known number of `/work` requests, spread
//! by the kernel over the workers (at least two of them counted, by the
//! `all` gauge's `pid` series), the counter, the family's series and the
//! histogram's `_count` equal the requests sent and the `livesum`
//! in-progress gauge is 0. Then a worker is killed with SIGKILL: the parent
//! marks it dead and starts another; the total never goes down across the
//! later scrapes (while the dead worker's files are compacted away), the
//! restarted worker counts, and the totals still equal what was sent. On
//! SIGTERM the parent stops its workers and exits.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use promscribe_test_support::{
    example_path, http_get, prometheus_query, start_prometheus, wait_until, Process,
};

/// The worker processes of the parent `pid`.
fn children(pid: u32) -> BTreeSet<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|p| p.parse().expect("a pid"))
        .collect()
}

/// The `kind` of the `i`-th request, and the label it is counted under.
fn kind(i: usize) -> (&'static str, &'static str) {
    match i % 3 {
        0 => ("?kind=small", "small"),
        1 => ("?kind=large", "large"),
        _ => ("", "other"),
    }
}

/// Sends the requests `from..to` to `/work`, from 6 threads, each on a new
/// connection; every one must be answered.
fn send_work(addr: &str, from: usize, to: usize) {
    std::thread::scope(|s| {
        for t in 0..6 {
            s.spawn(move || {
                for i in (from + t..to).step_by(6) {
                    let url = format!("http://{addr}/work{}", kind(i).0);
                    let (status, _, body) = http_get(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
                    assert_eq!((status, body.as_str()), (200, "done\n"), "{url}");
                }
            });
        }
    });
}

/// The value of the single sample `q` yields, once it yields one.
fn single(port: u16, q: &str) -> Option<f64> {
    let r = prometheus_query(port, q);
    assert!(r.len() <= 1, "`{q}` yields more than one sample: {r:?}");
    r.first()?["value"][1].as_str()?.parse().ok()
}

/// The application's totals as Prometheus last scraped them, once they
/// equal `sent`: the counter, the family's series by kind, the
/// histogram's count, and the in-progress gauge at 0.
fn wait_for_totals(port: u16, prometheus: &mut Process, example: &mut Process, sent: usize) {
    let n = sent as f64;
    let by_kind = |k: &str| (0..sent).filter(|i| kind(*i).1 == k).count() as f64;
    wait_until(
        Duration::from_secs(60),
        &format!("Prometheus to read {sent} requests"),
        || {
            assert!(prometheus.is_running(), "prometheus exited; see its log");
            assert!(example.is_running(), "the example exited");
            let totals = [
                single(port, "app_requests_total")?,
                single(port, "app_work_seconds_count")?,
                single(port, "sum(app_items_total)")?,
                single(port, "sum(app_worker_requests)")?,
            ];
            (totals == [n; 4]).then_some(())
        },
    );
    for k in ["small", "large", "other"] {
        let q = format!("app_items_total{{kind=\"{k}\"}}");
        assert_eq!(single(port, &q), Some(by_kind(k)), "{q}");
    }
    assert_eq!(single(port, "app_work_in_progress"), Some(0.0));
    let le_inf = single(port, "app_work_seconds_bucket{le=\"+Inf\"}");
    assert_eq!(le_inf, Some(n));
}

/// The `pid` labels of `app_worker_requests` series above 0.
fn counting_pids(port: u16) -> BTreeSet<u32> {
    prometheus_query(port, "app_worker_requests > 0")
        .iter()
        .map(|s| {
            s["metric"]["pid"]
                .as_str()
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("a numeric pid label: {s}"))
        })
        .collect()
}

/// The names of `dir`'s files.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the example's directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {sig} {pid}");
}

#[test]
fn prometheus_scrapes_the_prefork_example_across_a_killed_worker() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("metrics");
    let mut example = Process::spawn(
        "multiprocess",
        Command::new(example_path("multiprocess"))
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(["--workers", "3", "--compact-every", "1", "--dir"])
            .arg(&dir),
    );
    let expected_tail = format!(" (3 workers, files in {})", dir.display());
    let addr = example.wait_for_line(|l| {
        let rest = l.strip_prefix("listening on ")?;
        Some(rest.strip_suffix(&expected_tail)?.to_owned())
    });
    let parent = example.pid();
    let workers = wait_until(Duration::from_secs(10), "three workers", || {
        let c = children(parent);
        (c.len() == 3).then_some(c)
    });

    let mut sent = 240;
    send_work(&addr, 0, sent);

    let (mut prometheus, port) = start_prometheus(
        tmp.path(),
        &format!("  - job_name: mp\n    static_configs:\n      - targets: ['{addr}']\n"),
        &[],
    );
    wait_for_totals(port, &mut prometheus, &mut example, sent);
    let counted = counting_pids(port);
    assert!(
        counted.len() >= 2,
        "the kernel spread {sent} requests over fewer than two workers: {counted:?}"
    );
    assert!(
        counted.is_subset(&workers),
        "{counted:?} not workers {workers:?}"
    );

    // A worker killed: no goodbye, its files stay, the parent marks it
    // dead and starts another.
    let victim = *counted.iter().next().expect("a worker that counted");
    signal(victim, "-KILL");
    let restarted = wait_until(Duration::from_secs(10), "a restarted worker", || {
        let c = children(parent);
        let new: Vec<u32> = c.difference(&workers).copied().collect();
        (c.len() == 3 && !c.contains(&victim) && new.len() == 1).then(|| new[0])
    });
    // Its live gauge's file is removed (mark_process_dead); its counts
    // stay, then are compacted into the aggregates.
    wait_until(
        Duration::from_secs(30),
        "the dead worker's files compacted",
        || {
            let names = file_names(&dir);
            let of_victim: Vec<&String> = names
                .iter()
                .filter(|n| n.contains(&format!("_{victim}.")) && !n.starts_with("gauge_all_"))
                .collect();
            (of_victim.is_empty() && names.iter().any(|n| n.starts_with("counter_aggregate-")))
                .then_some(())
        },
    );

    // More requests until the restarted worker has answered some.
    wait_until(
        Duration::from_secs(60),
        "the restarted worker to count",
        || {
            send_work(&addr, sent, sent + 60);
            sent += 60;
            counting_pids(port).contains(&restarted).then_some(())
        },
    );
    wait_for_totals(port, &mut prometheus, &mut example, sent);

    // Never down: every stored sample of the total, in order, and no
    // reset as PromQL sees them.
    let stored = prometheus_query(port, "app_requests_total[5m]");
    assert_eq!(stored.len(), 1, "{stored:?}");
    let values: Vec<f64> = stored[0]["values"]
        .as_array()
        .expect("a range of samples")
        .iter()
        .map(|v| v[1].as_str().and_then(|x| x.parse().ok()).expect("a value"))
        .collect();
    assert!(values.len() >= 3, "{values:?}");
    assert!(
        values.windows(2).all(|w| w[0] <= w[1]),
        "the total went down: {values:?}"
    );
    assert_eq!(values.last(), Some(&(sent as f64)));
    assert_eq!(single(port, "resets(app_requests_total[5m])"), Some(0.0));
    assert_eq!(
        single(port, "resets(app_work_seconds_count[5m])"),
        Some(0.0)
    );
    // The killed worker's count still counts, under its own pid.
    assert!(
        single(port, &format!("app_worker_requests{{pid=\"{victim}\"}}")).is_some_and(|v| v > 0.0)
    );

    // SIGTERM: the workers are stopped, the parent exits.
    let now = children(parent);
    signal(parent, "-TERM");
    wait_until(Duration::from_secs(10), "the example to exit", || {
        (!example.is_running()).then_some(())
    });
    for pid in now {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "worker {pid} still running"
        );
    }
    prometheus.stop();
}
