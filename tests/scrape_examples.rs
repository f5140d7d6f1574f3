//! Every serving example scraped by a real Prometheus (started here on
//! 127.0.0.1, stopped by pid) in OpenMetrics and in the text formats 0.0.4
//! and 1.0.0, and
//! by a second one started with `--enable-feature=native-histograms` in
//! protobuf: each example is one job per format, each going through a
//! forwarding proxy (`proxy_url:`) that records the `Content-Type` it
//! passed on. Prometheus picks its parser by that header, so the record
//! tells which format it parsed. Each job: `up == 1`, a series of the
//! example's own, and no scrape error (`lastError` of `/api/v1/targets`).
//!
//! Prometheus 2.42 asks for OpenMetrics first and cannot be told otherwise
//! (`scrape_protocols` came in 2.49); the text jobs' proxy rewrites
//! `Accept` to `text/plain;version=0.0.4`, the text 1.0.0 jobs' to what
//! Prometheus 3 sends for the text format 1.0.0 with legacy names
//! (`text/plain;version=1.0.0;escaping=underscores`; Prometheus reads
//! any `text/plain` body with its text parser). `Accept-Encoding: gzip` passes
//! through, and the bodies stay compressed: Prometheus decodes them.
//!
//! The TLS + auth example: a proxy cannot see inside TLS, so its jobs
//! reach the proxy over plain HTTP with Prometheus's `basic_auth`, and the
//! proxy opens HTTPS to the example with the test CA and a client
//! certificate, passing the `Authorization` header on. Prometheus's own
//! TLS client against the example is `serve_tls_auth.rs`.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use promscribe_test_support::{
    example_path, http_get, make_pki, prometheus_query, start_prometheus, wait_until, Forwarded,
    Process, ProxyOptions, ScrapeProxy,
};

const TEXT_ACCEPT: &str = "text/plain;version=0.0.4";
const TEXT_TYPE: &str = "text/plain; version=0.0.4";
/// What Prometheus 3 sends for `scrape_protocols: [PrometheusText1.0.0]`
/// with legacy names (Prometheus 2.42 reads no quoted names).
const TEXT_1_0_0_ACCEPT: &str = "text/plain;version=1.0.0;escaping=underscores";
const TEXT_1_0_0_TYPE: &str = "text/plain; version=1.0.0; charset=utf-8; escaping=underscores";
const OPENMETRICS_TYPE: &str = "application/openmetrics-text; version=1.0.0";
const PROTOBUF_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// A serving example: its name, extra arguments, and one series of its own.
struct Example {
    name: &'static str,
    args: Vec<String>,
    series: &'static str,
    tls: bool,
}

/// Starts `example` on a free port; its process and `host:port`, read from
/// the line it prints (`serving metrics on http://ADDR/metrics`, or
/// `serving http://ADDR/ and ...`).
fn start(example: &Example, dir: &std::path::Path) -> (Process, String) {
    let mut p = Process::spawn(
        example.name,
        Command::new(example_path(example.name))
            .current_dir(dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(&example.args),
    );
    let addr = p.wait_for_line(|l| {
        let rest = l.split_once("://")?.1;
        Some(rest.split('/').next()?.to_owned())
    });
    (p, addr)
}

/// The proxy `ex` is scraped through: the TLS one for the TLS example.
fn proxy_of<'a>(
    run_plain: &'a ScrapeProxy,
    run_tls: &'a ScrapeProxy,
    ex: &Example,
) -> &'a ScrapeProxy {
    if ex.tls {
        run_tls
    } else {
        run_plain
    }
}

fn job_config(job: &str, proxy: &ScrapeProxy, addr: &str, tls: bool) -> String {
    let auth = if tls {
        "    basic_auth:\n      username: prometheus\n      password: scrape-secret\n"
    } else {
        ""
    };
    format!(
        "  - job_name: {job}\n    proxy_url: {}\n{auth}    static_configs:\n      - targets: ['{addr}']\n",
        proxy.url()
    )
}

/// The answers `proxy` forwarded from `addr`; none may be other than a 200
/// of `content_type`, gzip-compressed.
fn check_forwarded(proxy: &ScrapeProxy, addr: &str, content_type: &str, job: &str) -> usize {
    let mine: Vec<Forwarded> = proxy
        .forwarded()
        .into_iter()
        .filter(|f| f.url.contains(addr))
        .collect();
    assert!(!mine.is_empty(), "{job}: nothing went through the proxy");
    for f in &mine {
        assert_eq!(f.status, 200, "{job}: {f:?}");
        assert!(
            f.content_type.starts_with(content_type),
            "{job}: expected {content_type}: {f:?}"
        );
        assert_eq!(f.content_encoding, "gzip", "{job}: {f:?}");
        assert!(f.body_len > 0, "{job}: {f:?}");
    }
    mine.len()
}

#[test]
fn prometheus_scrapes_every_serving_example_in_openmetrics_and_in_text() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let d = dir.path();
    make_pki(d);
    let hash = bcrypt::hash("scrape-secret", 4).expect("hash");

    // The Graphite example pushes too: to a socket that takes and drops it.
    let carbon = TcpListener::bind("127.0.0.1:0").expect("bind");
    let carbon_addr = carbon.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for stream in carbon.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let _ = std::io::copy(&mut stream, &mut std::io::sink());
            });
        }
    });

    let examples = [
        Example {
            name: "custom_collector",
            args: vec![],
            series: "custom_jobs_processed_total",
            tls: false,
        },
        Example {
            name: "demo",
            args: vec![],
            series: "request_processing_seconds_count",
            tls: false,
        },
        Example {
            name: "exemplars",
            args: vec![],
            series: "exemplar_jobs_total",
            tls: false,
        },
        Example {
            name: "graphite",
            args: vec!["--graphite".into(), carbon_addr],
            series: "request_processing_seconds_count",
            tls: false,
        },
        Example {
            name: "native_histogram",
            args: vec![],
            series: "native_cycles_total",
            tls: false,
        },
        Example {
            name: "router",
            args: vec![],
            series: "my_router_request_latency_seconds_count",
            tls: false,
        },
        Example {
            name: "runtime_info",
            args: vec![],
            series: "tokio_workers",
            tls: false,
        },
        Example {
            name: "summary_quantiles",
            args: vec![],
            series: "rpc_duration_seconds_count",
            tls: false,
        },
        Example {
            name: "system_exporter",
            args: vec!["--interval-ms".into(), "200".into()],
            series: "system_usage",
            tls: false,
        },
        Example {
            name: "web_app_exporter",
            args: vec![],
            series: "app_uptime_seconds_total",
            tls: false,
        },
        Example {
            name: "tls_auth",
            args: [
                "--cert",
                "server.crt",
                "--key",
                "server.key",
                "--client-ca",
                "ca.crt",
                "--basic-user",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .chain([format!("prometheus:{hash}")])
            .collect(),
            series: "tls_auth_ticks_total",
            tls: true,
        },
    ];

    // Every example that takes `--listen` is here, but the pre-fork
    // `multiprocess` example (behind a feature of its own, serving nothing
    // before its workers are asked to work), which a real Prometheus
    // scrapes in tests/multiprocess_prometheus.rs.
    let scraped_elsewhere = ["multiprocess"];
    let examples_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(&examples_dir).expect("examples/") {
        let path = entry.expect("entry").path();
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if path.extension().is_some_and(|e| e == "rs")
            && source.contains("\"--listen\"")
            && !scraped_elsewhere.contains(&name)
        {
            assert!(
                examples.iter().any(|e| e.name == name),
                "the serving example `{name}` is not scraped here"
            );
        }
    }

    let upstream_tls = || {
        ProxyOptions::new()
            .upstream_tls(
                &d.join("ca.crt"),
                &d.join("client.crt"),
                &d.join("client.key"),
            )
            .expect("the test PKI")
    };
    // One run per format: its job suffix, the Content-Type Prometheus must
    // have got, and a proxy for the plain examples and one for tls_auth.
    struct Run {
        suffix: &'static str,
        content_type: &'static str,
        accept_prefix: &'static str,
        native_histograms: bool,
        plain: ScrapeProxy,
        tls: ScrapeProxy,
    }
    let proxy = |o: ProxyOptions| ScrapeProxy::start(o).expect("proxy");
    let runs = [
        Run {
            suffix: "om",
            content_type: OPENMETRICS_TYPE,
            accept_prefix: "application/openmetrics-text;version=1.0.0,",
            native_histograms: false,
            plain: proxy(ProxyOptions::new()),
            tls: proxy(upstream_tls()),
        },
        Run {
            suffix: "text",
            content_type: TEXT_TYPE,
            accept_prefix: TEXT_ACCEPT,
            native_histograms: false,
            plain: proxy(ProxyOptions::new().accept(TEXT_ACCEPT)),
            tls: proxy(upstream_tls().accept(TEXT_ACCEPT)),
        },
        Run {
            suffix: "text1",
            content_type: TEXT_1_0_0_TYPE,
            accept_prefix: TEXT_1_0_0_ACCEPT,
            native_histograms: false,
            plain: proxy(ProxyOptions::new().accept(TEXT_1_0_0_ACCEPT)),
            tls: proxy(upstream_tls().accept(TEXT_1_0_0_ACCEPT)),
        },
        // `--enable-feature=native-histograms` makes Prometheus ask for
        // protobuf first: a second Prometheus.
        Run {
            suffix: "protobuf",
            content_type: PROTOBUF_TYPE,
            accept_prefix: "application/vnd.google.protobuf;",
            native_histograms: true,
            plain: proxy(ProxyOptions::new()),
            tls: proxy(upstream_tls()),
        },
    ];

    let mut running = Vec::new();
    for ex in &examples {
        running.push(start(ex, d));
    }
    let mut servers = Vec::new();
    for native in [false, true] {
        let mut config = String::new();
        for run in runs.iter().filter(|r| r.native_histograms == native) {
            for (ex, (_, addr)) in examples.iter().zip(&running) {
                let job = format!("{}_{}", ex.name, run.suffix);
                config.push_str(&job_config(
                    &job,
                    proxy_of(&run.plain, &run.tls, ex),
                    addr,
                    ex.tls,
                ));
            }
        }
        let dir = d.join(if native { "native" } else { "classic" });
        std::fs::create_dir_all(&dir).expect("a directory for Prometheus");
        let flags: &[&str] = if native {
            &["--enable-feature=native-histograms"]
        } else {
            &[]
        };
        let (server, port) = start_prometheus(&dir, &config, flags);
        servers.push((server, port, native));
    }

    for (server, port, native) in &mut servers {
        let port = *port;
        let mine: Vec<&Run> = runs
            .iter()
            .filter(|r| r.native_histograms == *native)
            .collect();
        // Every job up, with its own series, ...
        for run in &mine {
            for ex in &examples {
                let job = format!("{}_{}", ex.name, run.suffix);
                wait_until(
                    Duration::from_secs(60),
                    &format!("{job}: up == 1 and {}", ex.series),
                    || {
                        assert!(server.is_running(), "prometheus exited; see its log");
                        let up = prometheus_query(port, &format!("up{{job=\"{job}\"}}"));
                        (up.first()?["value"][1].as_str()? == "1").then_some(())?;
                        let own =
                            prometheus_query(port, &format!("{}{{job=\"{job}\"}}", ex.series));
                        (!own.is_empty()).then_some(())
                    },
                );
            }
        }
        // ... and no target with an error.
        let targets = wait_until(
            Duration::from_secs(30),
            "every target healthy, without a scrape error",
            || {
                let (_, _, body) =
                    http_get(&format!("http://127.0.0.1:{port}/api/v1/targets")).ok()?;
                let v: serde_json::Value = serde_json::from_str(&body).ok()?;
                let active = v["data"]["activeTargets"].as_array()?.clone();
                (active.len() == mine.len() * examples.len()
                    && active
                        .iter()
                        .all(|t| t["health"] == "up" && t["lastError"] == ""))
                .then_some(active)
            },
        );
        assert_eq!(targets.len(), mine.len() * 11, "eleven examples per format");
    }

    // What Prometheus parsed: OpenMetrics for the `_om` jobs, text for the
    // `_text` jobs, text 1.0.0 for the `_text1` jobs, protobuf for the `_protobuf` jobs; every body gzip;
    // the TLS example over HTTPS.
    for (ex, (process, addr)) in examples.iter().zip(&mut running) {
        assert!(process.is_running(), "{} exited", ex.name);
        for run in &runs {
            let proxy = proxy_of(&run.plain, &run.tls, ex);
            let job = format!("{}_{}", ex.name, run.suffix);
            check_forwarded(proxy, addr, run.content_type, &job);
            for f in proxy.forwarded() {
                assert!(f.accept.starts_with(run.accept_prefix), "{job}: {f:?}");
                let scheme = if ex.tls { "https://" } else { "http://" };
                assert!(f.url.starts_with(scheme), "{job}: {f:?}");
            }
        }
    }
    for (server, _, _) in &mut servers {
        server.stop();
    }
}
