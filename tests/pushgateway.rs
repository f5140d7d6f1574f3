//! Pushing to a real Pushgateway (`prometheus-pushgateway`), started on
//! 127.0.0.1 with a temporary persistence file; groups are read back from
//! its `/api/v1/metrics` JSON.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use promscribe::{Collector, Counter, Gauge, MetricFamily, MetricType, Registry, Timestamp};
use promscribe_export::{
    delete_from_gateway, instance_ip_grouping_key, push_to_gateway, pushadd_to_gateway,
    GroupingKey, PushError, Pushgateway,
};
use promscribe_test_support::{
    example_path, free_port, http_get, refused_port, require_program, wait_until, Process,
};

struct Gateway {
    process: Process,
    addr: String,
    _dir: tempfile::TempDir,
}

fn start_gateway() -> Gateway {
    start_gateway_with(None)
}

/// Starts a Pushgateway, with this web configuration file content if any.
fn start_gateway_with(web_config: Option<&str>) -> Gateway {
    let bin = require_program("prometheus-pushgateway");
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--web.listen-address={addr}")).arg(format!(
        "--persistence.file={}",
        dir.path().join("p").display()
    ));
    if let Some(config) = web_config {
        let file = dir.path().join("web.yml");
        std::fs::write(&file, config).expect("web config");
        cmd.arg(format!("--web.config.file={}", file.display()));
    }
    let process = Process::spawn_logged("pushgateway", &mut cmd, &dir.path().join("log"));
    let ready = format!("http://{addr}/-/ready");
    wait_until(Duration::from_secs(30), "the Pushgateway to answer", || {
        // Any answer will do: with authentication it is a 401.
        http_get(&ready).ok().map(|_| ())
    });
    Gateway {
        process,
        addr,
        _dir: dir,
    }
}

type Labels = BTreeMap<String, String>;

/// A group as the Pushgateway shows it: its labels, and each metric's
/// samples as (labels, value), without the gateway's own push_*_seconds.
#[derive(Debug, Clone, PartialEq)]
struct Group {
    labels: BTreeMap<String, String>,
    metrics: BTreeMap<String, Vec<(Labels, f64)>>,
}

fn labels_of(v: &serde_json::Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn groups(gw: &Gateway) -> Vec<Group> {
    let (status, _, body) =
        http_get(&format!("http://{}/api/v1/metrics", gw.addr)).expect("GET /api/v1/metrics");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let data = json["data"].as_array().expect("data is an array");
    data.iter()
        .map(|g| {
            let obj = g.as_object().expect("group object");
            let mut metrics = BTreeMap::new();
            for (name, family) in obj {
                if matches!(
                    name.as_str(),
                    "labels" | "last_push_successful" | "push_time_seconds"
                ) || name == "push_failure_time_seconds"
                {
                    continue;
                }
                let samples = family["metrics"]
                    .as_array()
                    .expect("metrics array")
                    .iter()
                    .map(|m| {
                        let value = m["value"]
                            .as_str()
                            .expect("a counter or gauge value")
                            .parse::<f64>()
                            .expect("a float");
                        (labels_of(&m["labels"]), value)
                    })
                    .collect();
                metrics.insert(name.clone(), samples);
            }
            Group {
                labels: labels_of(&g["labels"]),
                metrics,
            }
        })
        .collect()
}

fn group(gw: &Gateway, labels: &[(&str, &str)]) -> Option<Group> {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    groups(gw).into_iter().find(|g| g.labels == want)
}

/// Name -> value of the group's unlabelled (but for the grouping labels) samples.
fn values(g: &Group) -> BTreeMap<String, f64> {
    g.metrics
        .iter()
        .map(|(name, samples)| (name.clone(), samples[0].1))
        .collect()
}

fn registry_with(gauges: &[(&str, f64)]) -> Registry {
    let r = Registry::new();
    for (name, v) in gauges {
        let g = Gauge::new(name, "test gauge").expect("valid gauge");
        g.set(*v);
        r.register(g).expect("registered");
    }
    r
}

fn map(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[test]
fn push_pushadd_delete_change_groups_as_python_does() {
    let gw = start_gateway();
    let key = GroupingKey::new().with("instance", "i1");
    let other = GroupingKey::new().with("instance", "i2");
    let g1 = [("job", "j1"), ("instance", "i1")];

    push_to_gateway(
        &gw.addr,
        "j1",
        &key,
        &registry_with(&[("a", 1.0), ("b", 2.0)]),
    )
    .expect("push");
    push_to_gateway(&gw.addr, "j1", &other, &registry_with(&[("a", 100.0)])).expect("push");
    let got = group(&gw, &g1).expect("group j1/i1");
    assert_eq!(values(&got), map(&[("a", 1.0), ("b", 2.0)]));
    // The grouping labels are on every sample.
    assert_eq!(got.metrics["a"][0].0, got.labels);

    // PUT replaces the whole group: b is gone.
    push_to_gateway(
        &gw.addr,
        "j1",
        &key,
        &registry_with(&[("a", 10.0), ("c", 3.0)]),
    )
    .expect("push");
    let got = group(&gw, &g1).expect("group j1/i1");
    assert_eq!(values(&got), map(&[("a", 10.0), ("c", 3.0)]));

    // POST replaces only the metrics of the same name.
    pushadd_to_gateway(&gw.addr, "j1", &key, &registry_with(&[("b", 5.0)])).expect("pushadd");
    let got = group(&gw, &g1).expect("group j1/i1");
    assert_eq!(values(&got), map(&[("a", 10.0), ("b", 5.0), ("c", 3.0)]));
    pushadd_to_gateway(&gw.addr, "j1", &key, &registry_with(&[("a", 11.0)])).expect("pushadd");
    let got = group(&gw, &g1).expect("group j1/i1");
    assert_eq!(values(&got), map(&[("a", 11.0), ("b", 5.0), ("c", 3.0)]));

    // DELETE removes the group, and only it.
    delete_from_gateway(&gw.addr, "j1", &key).expect("delete");
    assert_eq!(group(&gw, &g1), None);
    let kept = group(&gw, &[("job", "j1"), ("instance", "i2")]).expect("other group kept");
    assert_eq!(values(&kept), map(&[("a", 100.0)]));
}

#[test]
fn labelled_counters_keep_their_labels() {
    let gw = start_gateway();
    let r = Registry::new();
    let c = Counter::new("jobs_done", "Jobs").expect("counter");
    c.inc_by(3.0).expect("a positive increment");
    r.register(c).expect("registered");
    let fam = promscribe::Family::<Gauge, 1>::new(
        promscribe::Opts::new("queue_depth", "Depth").labels(["queue"]),
    )
    .expect("family");
    fam.labels(["mail"]).set(7.0);
    fam.labels(["a \"quoted\"\\ value\nwith newline"]).set(8.0);
    r.register(fam).expect("registered");
    push_to_gateway(&gw.addr, "labels", &GroupingKey::new(), &r).expect("push");
    let got = group(&gw, &[("job", "labels")]).expect("group");
    assert_eq!(got.metrics["jobs_done_total"][0].1, 3.0);
    let mut depth: Vec<(String, f64)> = got.metrics["queue_depth"]
        .iter()
        .map(|(l, v)| (l["queue"].clone(), *v))
        .collect();
    depth.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        depth,
        [
            ("a \"quoted\"\\ value\nwith newline".to_owned(), 8.0),
            ("mail".to_owned(), 7.0)
        ]
    );
}

#[test]
fn grouping_values_with_slash_empty_and_special_characters() {
    let gw = start_gateway();
    let gateway = Pushgateway::new(&format!("http://{}/", gw.addr)).expect("gateway");
    let key = GroupingKey::new()
        .with("path", "/var/lib/db")
        .with("zone", "")
        .with("note", "a b+c?d#e%f ünï")
        .with("dots", "..");
    let r = registry_with(&[("backup_ok", 1.0)]);
    gateway.push("nightly/backup", &key, &r).expect("push");
    let want = [
        ("job", "nightly/backup"),
        ("path", "/var/lib/db"),
        ("zone", ""),
        ("note", "a b+c?d#e%f ünï"),
        ("dots", ".."),
    ];
    let got = group(&gw, &want).unwrap_or_else(|| panic!("group missing: {:#?}", groups(&gw)));
    assert_eq!(values(&got), map(&[("backup_ok", 1.0)]));
    gateway.delete("nightly/backup", &key).expect("delete");
    assert_eq!(group(&gw, &want), None);
}

/// Python's URL rules (base64 for a space, `/` or an empty value,
/// `quote_plus` for the rest) give the gateway the labels as they were:
/// each value alone in a group of its own, then all in one group.
#[test]
fn grouping_values_python_escapes_are_stored_as_given() {
    let gw = start_gateway();
    let gateway = Pushgateway::new(&gw.addr).expect("gateway");
    let r = registry_with(&[("stored", 1.0)]);
    let escaped = [
        "value with spaces",
        "a/b",
        "a+b",
        "a&b",
        "é",
        "",
        "a+b&c é/d",
    ];
    for value in escaped {
        let key = GroupingKey::new().with("v", value);
        gateway.push("esc", &key, &r).expect("push");
        let got = group(&gw, &[("job", "esc"), ("v", value)])
            .unwrap_or_else(|| panic!("no group for {value:?}: {:#?}", groups(&gw)));
        assert_eq!(values(&got), map(&[("stored", 1.0)]));
        gateway.delete("esc", &key).expect("delete");
        assert_eq!(group(&gw, &[("job", "esc"), ("v", value)]), None);
    }
    let key: GroupingKey = [
        ("space", "value with spaces"),
        ("slash", "/x/y"),
        ("plus", "1+1"),
        ("amp", "a&b"),
        ("accent", "é"),
        ("empty", ""),
    ]
    .into();
    gateway.push("job with space", &key, &r).expect("push");
    let want = [
        ("job", "job with space"),
        ("space", "value with spaces"),
        ("slash", "/x/y"),
        ("plus", "1+1"),
        ("amp", "a&b"),
        ("accent", "é"),
        ("empty", ""),
    ];
    let got = group(&gw, &want).unwrap_or_else(|| panic!("group missing: {:#?}", groups(&gw)));
    assert_eq!(values(&got), map(&[("stored", 1.0)]));
    gateway.delete("job with space", &key).expect("delete");
    assert_eq!(group(&gw, &want), None);
}

#[test]
fn instance_ip_grouping_key_is_usable() {
    let gw = start_gateway();
    let key = instance_ip_grouping_key();
    let ip = key.get("instance").expect("instance").to_owned();
    eprintln!("instance_ip_grouping_key() = {ip}");
    push_to_gateway(&gw.addr, "ipjob", &key, &registry_with(&[("x", 1.0)])).expect("push");
    assert!(group(&gw, &[("job", "ipjob"), ("instance", &ip)]).is_some());
}

/// Produces whatever families it is given, unchecked.
struct Raw(Vec<MetricFamily>);

impl Collector for Raw {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        out.extend(self.0.iter().cloned());
    }
}

fn raw_registry(family: MetricFamily) -> Registry {
    let r = Registry::new();
    r.register(Arc::new(Raw(vec![family]))).expect("registered");
    r
}

#[test]
fn refusals_carry_status_and_reason() {
    let gw = start_gateway();
    let mut stamped = MetricFamily::new("stamped", "Has a timestamp", MetricType::Gauge);
    stamped
        .push_sample(
            "",
            vec![],
            1.0,
            Some(Timestamp::from_millis(1_700_000_000_000)),
        )
        .expect("fits the family");
    let err = push_to_gateway(&gw.addr, "bad", &GroupingKey::new(), &raw_registry(stamped))
        .expect_err("timestamps are refused");
    eprintln!("timestamp refusal: {err}");
    assert_eq!(err.status(), Some(400));
    assert!(
        err.reason()
            .is_some_and(|r| r.contains("pushed metrics must not have timestamps")),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("400") && text.contains("must not have timestamps"),
        "{text}"
    );

    // A UTF-8 name is pushed escaped (the text format, `underscores`); a
    // series given twice is refused by the gateway.
    let mut twice = MetricFamily::new("my.twice", "The same series twice", MetricType::Gauge);
    twice.push("", vec![], 1.0).expect("fits the family");
    twice.push("", vec![], 2.0).expect("fits the family");
    let err = pushadd_to_gateway(&gw.addr, "bad", &GroupingKey::new(), &raw_registry(twice))
        .expect_err("a series twice is refused");
    eprintln!("duplicate series refusal: {err}");
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("my_twice"), "{err}");

    // A label name the gateway cannot take is refused before sending.
    let err = push_to_gateway(
        &gw.addr,
        "bad",
        &GroupingKey::new().with("bad-label", "x"),
        &Registry::new(),
    )
    .expect_err("invalid label name");
    assert!(matches!(err, PushError::InvalidGroupingKey(_)), "{err}");
}

#[test]
fn gzip_and_extra_headers_are_accepted() {
    let gw = start_gateway();
    let gateway = Pushgateway::builder(gw.addr.as_str())
        .gzip(true)
        .header("X-Test", "1")
        .basic_auth("user", "ignored-by-an-open-gateway")
        .timeout(Duration::from_secs(5))
        .build()
        .expect("gateway");
    let names: Vec<String> = (0..200).map(|i| format!("compressed_{i}")).collect();
    let pairs: Vec<(&str, f64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as f64))
        .collect();
    gateway
        .push("gz", &GroupingKey::new(), &registry_with(&pairs))
        .expect("gzip push");
    let got = group(&gw, &[("job", "gz")]).expect("group");
    assert_eq!(got.metrics.len(), 200);
    assert_eq!(got.metrics["compressed_199"][0].1, 199.0);
}

#[test]
fn basic_auth_is_sent() {
    // bcrypt (cost 4) of "secret123".
    let gw = start_gateway_with(Some(
        "basic_auth_users:\n  foobar: $2b$04$qiL6c4AAHr0DvUXFdCyatOjjVemafeaIsT9AyJXDsybAmWws80bpS\n",
    ));
    let r = registry_with(&[("authed", 1.0)]);
    let err =
        push_to_gateway(&gw.addr, "auth", &GroupingKey::new(), &r).expect_err("no credentials");
    assert_eq!(err.status(), Some(401), "{err}");
    let wrong = Pushgateway::builder(gw.addr.as_str())
        .basic_auth("foobar", "wrong")
        .build()
        .expect("gateway");
    let err = wrong
        .push("auth", &GroupingKey::new(), &r)
        .expect_err("wrong password");
    assert_eq!(err.status(), Some(401), "{err}");
    let right = Pushgateway::builder(gw.addr.as_str())
        .basic_auth("foobar", "secret123")
        .build()
        .expect("gateway");
    right
        .push("auth", &GroupingKey::new(), &r)
        .expect("authenticated push");
    right
        .delete("auth", &GroupingKey::new())
        .expect("authenticated delete");
}

#[test]
fn async_and_blocking_calls_inside_a_tokio_runtime() {
    let gw = start_gateway();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let gateway = Pushgateway::new(&gw.addr).expect("gateway");
    rt.block_on(async {
        let key = GroupingKey::new().with("mode", "async");
        gateway
            .push_async("rt", &key, &registry_with(&[("a", 1.0)]))
            .await
            .expect("async push");
        gateway
            .pushadd_async("rt", &key, &registry_with(&[("b", 2.0)]))
            .await
            .expect("async pushadd");
        // The blocking call works (and does not panic) on a runtime thread.
        let blocking = GroupingKey::new().with("mode", "blocking");
        gateway
            .push("rt", &blocking, &registry_with(&[("c", 3.0)]))
            .expect("blocking push inside a runtime");
    });
    let got = group(&gw, &[("job", "rt"), ("mode", "async")]).expect("async group");
    assert_eq!(values(&got), map(&[("a", 1.0), ("b", 2.0)]));
    assert!(group(&gw, &[("job", "rt"), ("mode", "blocking")]).is_some());
    rt.block_on(async {
        gateway
            .delete_async("rt", &GroupingKey::new().with("mode", "async"))
            .await
            .expect("async delete");
    });
    assert!(group(&gw, &[("job", "rt"), ("mode", "async")]).is_none());

    // Outside any tokio runtime (here a bare executor), the async calls
    // still work: the request runs on a thread of its own.
    let r = registry_with(&[("d", 4.0)]);
    let key = GroupingKey::new();
    block_on(gateway.push_async("plain", &key, &r)).expect("push without tokio");
    assert!(group(&gw, &[("job", "plain")]).is_some());
}

/// A minimal executor, to poll a future outside any tokio runtime.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[test]
fn gateway_down_fails_fast_and_frozen_gateway_times_out() {
    // Nothing listens: the error comes at once.
    let (_held, port) = refused_port();
    let timeout = Duration::from_secs(3);
    let gateway = Pushgateway::builder(format!("127.0.0.1:{port}"))
        .timeout(timeout)
        .build()
        .expect("gateway");
    let t0 = Instant::now();
    let err = gateway
        .push("down", &GroupingKey::new(), &registry_with(&[("a", 1.0)]))
        .expect_err("nothing listens");
    let down = t0.elapsed();
    eprintln!("Pushgateway not running: error after {down:?}: {err}");
    assert!(matches!(err, PushError::Transport { .. }), "{err}");
    assert!(down < timeout, "took {down:?}");

    // A stopped (SIGSTOP) gateway accepts connections but never answers.
    let mut gw = start_gateway();
    let pid = gw.process.pid().to_string();
    let status = Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let short = Duration::from_secs(1);
    let gateway = Pushgateway::builder(gw.addr.as_str())
        .timeout(short)
        .build()
        .expect("gateway");
    let t0 = Instant::now();
    let err = gateway
        .push("frozen", &GroupingKey::new(), &registry_with(&[("a", 1.0)]))
        .expect_err("a frozen gateway never answers");
    let frozen = t0.elapsed();
    let _ = Command::new("kill").args(["-CONT", &pid]).status();
    eprintln!("Pushgateway frozen: error after {frozen:?} (timeout {short:?}): {err}");
    assert!(matches!(err, PushError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("no answer within"), "{err}");
    assert!(frozen >= short.mul_f64(0.9), "gave up early: {frozen:?}");
    assert!(frozen < short * 5, "timeout not honoured: {frozen:?}");
    gw.process.stop();
}

#[test]
fn push_batch_job_example() {
    let gw = start_gateway();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let out = Command::new(example_path("push_batch_job"))
        .env("PUSHGATEWAY_URL", format!("http://{}", gw.addr))
        .output()
        .expect("run push_batch_job");
    assert!(out.status.success(), "{out:?}");
    let got = group(&gw, &[("job", "batchA")]).expect("batchA group");
    let t = got.metrics["job_last_success_unixtime"][0].1;
    assert!(t >= before.floor() && t < before + 60.0, "{t} vs {before}");

    // Gateway gone: a clear error, non-zero exit.
    let (_held, port) = refused_port();
    let out = Command::new(example_path("push_batch_job"))
        .env("PUSHGATEWAY_URL", format!("127.0.0.1:{port}"))
        .output()
        .expect("run push_batch_job");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("push_batch_job:"), "{stderr}");
}

fn cli() -> Command {
    let mut cmd = Command::new(example_path("pushgateway_cli"));
    for var in [
        "PUSH_OP",
        "PUSH_JOB",
        "PUSH_GROUPING",
        "PUSH_METRICS",
        "PUSH_HELP",
        "PUSHGATEWAY_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn pushgateway_cli_example() {
    let gw = start_gateway();
    let want = [("job", "cron"), ("host", "db1"), ("dir", "/srv/x")];
    // From the environment.
    let out = cli()
        .env("PUSHGATEWAY_URL", &gw.addr)
        .env("PUSH_OP", "push")
        .env("PUSH_JOB", "cron")
        .env("PUSH_GROUPING", "host=db1,dir=/srv/x")
        .env("PUSH_METRICS", "backup_bytes=1024,backup_ok=1")
        .env("PUSH_HELP", "Set by the nightly backup")
        .output()
        .expect("run cli");
    assert!(out.status.success(), "{out:?}");
    let got = group(&gw, &want).expect("group");
    assert_eq!(
        values(&got),
        map(&[("backup_bytes", 1024.0), ("backup_ok", 1.0)])
    );

    // From flags, which override the environment.
    let out = cli()
        .env("PUSH_OP", "delete")
        .args(["--gateway", &gw.addr, "--op", "pushadd", "--job=cron"])
        .args([
            "--grouping",
            "host=db1,dir=/srv/x",
            "--metrics",
            "backup_ok=0",
        ])
        .output()
        .expect("run cli");
    assert!(out.status.success(), "{out:?}");
    let got = group(&gw, &want).expect("group");
    assert_eq!(
        values(&got),
        map(&[("backup_bytes", 1024.0), ("backup_ok", 0.0)])
    );

    let out = cli()
        .env("PUSHGATEWAY_URL", &gw.addr)
        .args([
            "--op",
            "delete",
            "--job",
            "cron",
            "--grouping",
            "host=db1,dir=/srv/x",
        ])
        .output()
        .expect("run cli");
    assert!(out.status.success(), "{out:?}");
    assert!(group(&gw, &want).is_none());

    // Bad input: a clear message and exit 2.
    for args in [
        vec!["--op", "replace", "--job", "j", "--metrics", "a=1"],
        vec!["--op", "push", "--metrics", "a=1"],
        vec!["--op", "push", "--job", "j", "--metrics", "a=one"],
        vec!["--op", "push", "--job", "j", "--metrics", "=1"],
        vec!["--op", "push", "--job", "j", "--metrics", "a"],
        vec![
            "--op",
            "push",
            "--job",
            "j",
            "--metrics",
            "a=1",
            "--grouping",
            "x",
        ],
        vec!["--op", "push", "--job", "j"],
        vec!["--op", "delete", "--job", "j", "--metrics", "a=1"],
        vec!["--bogus"],
    ] {
        let out = cli()
            .env("PUSHGATEWAY_URL", &gw.addr)
            .args(&args)
            .output()
            .expect("run cli");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("pushgateway_cli: "),
            "{args:?}: {stderr}"
        );
    }

    // A grouping label the gateway cannot take is bad input too.
    let out = cli()
        .args(["--gateway", &gw.addr, "--op", "push", "--job", "j"])
        .args(["--grouping", "__reserved=x", "--metrics", "a=1"])
        .output()
        .expect("run cli");
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    // No gateway there: exit 1, saying why.
    let (_held, port) = refused_port();
    let out = cli()
        .args(["--gateway", &format!("127.0.0.1:{port}")])
        .args(["--op", "push", "--job", "j", "--metrics", "a=1"])
        .output()
        .expect("run cli");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("push failed"),
        "{out:?}"
    );
}
