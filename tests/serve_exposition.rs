//! `/metrics` as an HTTP citizen, against `start_http_server` and a router
//! served by axum: compression (gzip and zstd bodies decoded), `HEAD`
//! without collecting, `405` with `Allow`, a request timeout, one
//! collection shared by concurrent scrapes, a registry the caller owns.

mod serve_http;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use promscribe::{Collector, GaugeMetricFamily, MetricFamily, Registry};
use promscribe_export::{start_http_server_with, ServerOptions};
use serve_http::{gunzip, request, unzstd};

/// A collector that counts its collections, exposes the count, and can be
/// held at the gate (blocked) or made slow.
#[derive(Default)]
struct Probe {
    calls: AtomicUsize,
    gate: Mutex<bool>,
    opened: Condvar,
    delay: Mutex<Duration>,
}

impl Probe {
    fn close(&self) {
        *self.gate.lock().expect("gate") = false;
    }
    fn open(&self) {
        *self.gate.lock().expect("gate") = true;
        self.opened.notify_all();
    }
}

impl Collector for Probe {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let mut open = self.gate.lock().expect("gate");
        while !*open {
            open = self.opened.wait(open).expect("gate");
        }
        drop(open);
        let delay = *self.delay.lock().expect("delay");
        std::thread::sleep(delay);
        let mut f =
            GaugeMetricFamily::new("probe_collections", "Collections so far", &[]).expect("family");
        f.add_metric(&[], n as f64).expect("sample");
        out.push(f.into());
        // Enough text for compression to matter.
        let mut big =
            GaugeMetricFamily::new("probe_series", "Many series", &["i"]).expect("family");
        for i in 0..2000 {
            big.add_metric(&[&i.to_string()], i as f64).expect("sample");
        }
        out.push(big.into());
    }
}

fn probe_registry() -> (Arc<Registry>, Arc<Probe>) {
    let registry = Arc::new(Registry::new());
    let probe = Arc::new(Probe::default());
    probe.open();
    registry.register(probe.clone()).expect("registers");
    // Registration collected once, to learn the names.
    probe.calls.store(0, Ordering::SeqCst);
    (registry, probe)
}

#[test]
fn gzip_and_zstd_only_when_asked_with_q_values_honoured() {
    let (registry, _probe) = probe_registry();
    let server = start_http_server_with(
        "127.0.0.1:0",
        ServerOptions::new().registry(registry.clone()),
    )
    .expect("binds");
    let addr = server.local_addr();

    // No Accept-Encoding: never compressed.
    let plain = request(addr, "GET", "/metrics", &[]);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    let text = plain.text();
    assert!(text.contains("probe_series{i=\"1999\"} 1999.0\n"), "{text}");
    let strip = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with("probe_collections "))
            .collect::<Vec<_>>()
            .join("\n")
    };

    let gzip = request(addr, "GET", "/metrics", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gzip.status, 200);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    // The answer depends on both headers.
    assert_eq!(gzip.header_all("vary"), ["Accept", "Accept-Encoding"]);
    assert!(
        gzip.body.len() < text.len() / 2,
        "{} bytes",
        gzip.body.len()
    );
    assert_eq!(strip(&gunzip(&gzip.body)), strip(&text));

    let zstd = request(addr, "GET", "/metrics", &[("Accept-Encoding", "zstd")]);
    assert_eq!(zstd.header("content-encoding"), Some("zstd"));
    assert_eq!(strip(&unzstd(&zstd.body)), strip(&text));

    // q-values: the highest wins.
    let pick = |ae: &str| {
        let a = request(addr, "GET", "/metrics", &[("Accept-Encoding", ae)]);
        (a.status, a.header("content-encoding").map(str::to_owned))
    };
    assert_eq!(pick("gzip;q=1.0, zstd;q=0.5"), (200, Some("gzip".into())));
    assert_eq!(pick("gzip;q=0.2, zstd;q=0.9"), (200, Some("zstd".into())));
    assert_eq!(pick("gzip;q=0, zstd;q=0"), (200, None));
    assert_eq!(pick("gzip;q=0.5, identity"), (200, None));
    assert_eq!(pick("br, deflate"), (200, None));
    // identity refused: a coding it accepts, or 406.
    assert_eq!(pick("identity;q=0, gzip;q=0.3"), (200, Some("gzip".into())));
    assert_eq!(pick("identity;q=0"), (406, None));
    assert_eq!(pick("*;q=0"), (406, None));

    // The same for a router mounted in an app.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let app_addr = rt.block_on(async {
        let app: axum::Router = promscribe_export::router_for(registry.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });
    let gzip = request(app_addr, "GET", "/metrics", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(strip(&gunzip(&gzip.body)), strip(&text));
    let none = request(app_addr, "GET", "/metrics", &[]);
    assert_eq!(none.header("content-encoding"), None);
}

#[test]
fn head_answers_headers_without_collecting() {
    let (registry, probe) = probe_registry();
    let server = start_http_server_with("127.0.0.1:0", ServerOptions::new().registry(registry))
        .expect("binds");
    let head = request(server.local_addr(), "HEAD", "/metrics", &[]);
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
    );
    assert!(head.body.is_empty());
    // HEAD negotiates the format as GET does.
    let om = request(
        server.local_addr(),
        "HEAD",
        "/metrics",
        &[("Accept", "application/openmetrics-text; version=1.0.0")],
    );
    assert_eq!(
        om.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores")
    );
    assert!(om.body.is_empty());
    assert_eq!(probe.calls.load(Ordering::SeqCst), 0, "HEAD collected");
    let get = request(server.local_addr(), "GET", "/metrics", &[]);
    assert_eq!(get.status, 200);
    assert_eq!(probe.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn other_methods_get_405_with_allow() {
    let (registry, probe) = probe_registry();
    let server = start_http_server_with("127.0.0.1:0", ServerOptions::new().registry(registry))
        .expect("binds");
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let answer = request(
            server.local_addr(),
            method,
            "/metrics",
            &[("Content-Length", "0")],
        );
        assert_eq!(answer.status, 405, "{method}");
        let allow = answer.header("allow").expect("an Allow header");
        assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
    }
    assert_eq!(probe.calls.load(Ordering::SeqCst), 0);
}

#[test]
fn a_slow_collection_gets_503_after_the_request_timeout() {
    let (registry, probe) = probe_registry();
    *probe.delay.lock().expect("delay") = Duration::from_secs(3);
    let server = start_http_server_with(
        "127.0.0.1:0",
        ServerOptions::new()
            .registry(registry)
            .request_timeout(Duration::from_millis(200)),
    )
    .expect("binds");
    let answer = request(server.local_addr(), "GET", "/metrics", &[]);
    assert_eq!(answer.status, 503, "{}", answer.text());
    assert!(
        answer.text().contains("took longer than"),
        "{}",
        answer.text()
    );
    assert!(start_http_server_with(
        "127.0.0.1:0",
        ServerOptions::new().request_timeout(Duration::ZERO)
    )
    .is_err());
}

#[test]
fn concurrent_scrapes_share_one_collection() {
    let (registry, probe) = probe_registry();
    probe.close();
    let arrived = Arc::new(AtomicUsize::new(0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let addr = rt.block_on(async {
        let counter = arrived.clone();
        let app: axum::Router = promscribe_export::router_for(registry.clone()).layer(
            axum::middleware::from_fn(move |req, next: axum::middleware::Next| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move { next.run(req).await }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });
    let scrapes: Vec<_> = (0..5)
        .map(|_| std::thread::spawn(move || request(addr, "GET", "/metrics", &[]).text()))
        .collect();
    promscribe_test_support::wait_until(Duration::from_secs(20), "5 scrapes to arrive", || {
        (arrived.load(Ordering::SeqCst) == 5 && probe.calls.load(Ordering::SeqCst) >= 1)
            .then_some(())
    });
    // Let the last arrival reach the shared collection, then open the gate.
    std::thread::sleep(Duration::from_millis(300));
    probe.open();
    let bodies: Vec<String> = scrapes
        .into_iter()
        .map(|t| t.join().expect("scrape thread"))
        .collect();
    assert_eq!(
        probe.calls.load(Ordering::SeqCst),
        1,
        "one collection for all"
    );
    for body in &bodies {
        assert!(body.contains("probe_collections 1.0\n"), "{body}");
    }
    // A scrape after it collects anew.
    let later = request(addr, "GET", "/metrics", &[]).text();
    assert!(later.contains("probe_collections 2.0\n"), "{later}");
}

/// A registry whose text exposition is about 1.5 MB: large enough for the
/// gzip answer to be compressed in several segments.
fn large_registry() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    let family = promscribe::Family::<promscribe::Counter, 2>::new(
        promscribe::Opts::new("http_requests", "Requests handled.").labels(["method", "path"]),
    )
    .expect("family");
    registry
        .register(Arc::clone(&family) as _)
        .expect("registered");
    for i in 0..20_000u64 {
        let path = format!("/api/v1/item/{i}");
        family
            .labels(["GET", path.as_str()])
            .inc_by_u64(i * 7919 % 1000);
    }
    registry
}

#[test]
fn large_compressed_answers_decode_to_the_identity_body_byte_for_byte() {
    let registry = large_registry();
    let server = start_http_server_with("127.0.0.1:0", ServerOptions::new().registry(registry))
        .expect("binds");
    let addr = server.local_addr();
    let plain = request(addr, "GET", "/metrics", &[]);
    assert_eq!(plain.status, 200);
    assert!(plain.body.len() > 1_000_000, "{} bytes", plain.body.len());
    let text = plain.text();

    let gzip = request(addr, "GET", "/metrics", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert!(
        gzip.body.len() < text.len() / 10,
        "{} bytes",
        gzip.body.len()
    );
    // `gunzip` reads one gzip member: the whole body must be in it.
    assert_eq!(gunzip(&gzip.body), text);

    let zstd = request(addr, "GET", "/metrics", &[("Accept-Encoding", "zstd")]);
    assert_eq!(zstd.header("content-encoding"), Some("zstd"));
    assert!(
        zstd.body.len() < text.len() / 10,
        "{} bytes",
        zstd.body.len()
    );
    assert_eq!(unzstd(&zstd.body), text);
}

#[test]
fn the_gzip_level_is_the_layers() {
    let registry = large_registry();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let serve = |layer: promscribe_export::ExpositionLayer| {
        let registry = registry.clone();
        rt.block_on(async move {
            let app: axum::Router = promscribe_export::router_with(registry, layer);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("binds");
            let addr = listener.local_addr().expect("addr");
            tokio::spawn(async move { axum::serve(listener, app).await });
            addr
        })
    };
    let gzip_size = |addr| {
        let answer = request(addr, "GET", "/metrics", &[("Accept-Encoding", "gzip")]);
        assert_eq!(answer.header("content-encoding"), Some("gzip"));
        let plain = request(addr, "GET", "/metrics", &[]);
        assert_eq!(gunzip(&answer.body), plain.text());
        (answer.body.len(), plain.body.len())
    };
    let layer = promscribe_export::ExpositionLayer::new;
    let (stored, text) = gzip_size(serve(layer().gzip_level(0)));
    let (fast, _) = gzip_size(serve(layer().gzip_level(1)));
    let (default, _) = gzip_size(serve(layer()));
    let (best, _) = gzip_size(serve(layer().gzip_level(9)));
    // Level 0 stores the text in deflate's stored blocks.
    assert!(stored > text, "level 0: {stored} bytes for {text}");
    assert!(
        best < default && default < fast,
        "9: {best}, 3: {default}, 1: {fast}"
    );
}
