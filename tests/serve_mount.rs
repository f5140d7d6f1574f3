//! Mounting `/metrics` anywhere: `router_for` with a registry the caller
//! owns (`Arc`), `MetricsService` from plain hyper and under another path
//! of an axum app, and `encode` for other frameworks.

mod serve_http;

use std::sync::Arc;

use hyper_util::rt::TokioIo;
use promscribe::{Gauge, Registry};
use promscribe_export::{encode, EncodeError, MetricsService};
use serve_http::{gunzip, request};

fn owned_registry() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    let gauge = Gauge::new("mount_answer", "The answer").expect("gauge");
    gauge.set(42.0);
    registry.register(gauge).expect("registers");
    registry
}

#[test]
fn an_owned_registry_served_by_router_for_and_from_plain_hyper() {
    let registry = owned_registry();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (router_addr, hyper_addr, nested_addr) = rt.block_on(async {
        // router_for with an Arc: nothing leaked.
        let app: axum::Router = promscribe_export::router_for(registry.clone());
        let l1 = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let a1 = l1.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(l1, app).await });

        // Plain hyper, no axum on this side.
        let service = MetricsService::new(registry.clone());
        let l2 = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let a2 = l2.local_addr().expect("addr");
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = l2.accept().await else {
                    return;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });

        // Under another path of an app.
        let app: axum::Router = axum::Router::new()
            .route_service("/internal/stats", MetricsService::new(registry.clone()));
        let l3 = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let a3 = l3.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(l3, app).await });
        (a1, a2, a3)
    });
    for (addr, path) in [
        (router_addr, "/metrics"),
        (hyper_addr, "/anything"),
        (nested_addr, "/internal/stats"),
    ] {
        let answer = request(addr, "GET", path, &[]);
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(
            answer.header("content-type"),
            Some("text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
        );
        assert!(
            answer.text().contains("mount_answer 42.0\n"),
            "{}",
            answer.text()
        );
        let gz = request(addr, "GET", path, &[("Accept-Encoding", "gzip")]);
        assert!(gunzip(&gz.body).contains("mount_answer 42.0\n"), "{path}");
        assert_eq!(
            request(addr, "POST", path, &[("Content-Length", "0")]).status,
            405
        );
    }
    // name[] passes through MetricsService.
    let only = request(hyper_addr, "GET", "/x?name[]=nothing_here", &[]);
    assert_eq!(only.text(), "");
    drop(rt);
    // The caller still owns its registry.
    assert_eq!(Arc::strong_count(&registry), 1);
}

#[test]
fn encode_for_other_frameworks() {
    let registry = owned_registry();
    let plain = encode(&registry, None, None).expect("encodes");
    assert_eq!(plain.content_encoding, None);
    assert_eq!(
        String::from_utf8(plain.body.clone()).expect("UTF-8"),
        promscribe::encode_text(&registry)
    );
    // The format follows Accept, binary formats included.
    let om = encode(&registry, Some("application/openmetrics-text"), None).expect("encodes");
    assert_eq!(
        om.content_type,
        format!(
            "{}; escaping=underscores",
            promscribe::OPENMETRICS_CONTENT_TYPE
        )
    );
    let mut expected = String::new();
    promscribe::encode(
        &mut expected,
        &registry,
        promscribe::Format::OpenMetrics,
        &promscribe::EncodeOptions::default(),
    )
    .expect("encodes");
    assert_eq!(String::from_utf8(om.body).expect("UTF-8"), expected);
    let pb = encode(
        &registry,
        Some("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"),
        None,
    )
    .expect("encodes");
    assert_eq!(
        pb.content_type,
        format!(
            "{}; escaping=underscores",
            promscribe::PROTOBUF_CONTENT_TYPE
        )
    );
    let mut expected = Vec::new();
    promscribe::encode_bytes(
        &mut expected,
        &registry,
        promscribe::Format::Protobuf,
        &promscribe::EncodeOptions::default(),
    )
    .expect("encodes");
    assert!(!pb.body.is_empty());
    assert_eq!(pb.body, expected);
    let gz = encode(&registry, None, Some("gzip;q=0.8, br")).expect("encodes");
    assert_eq!(gz.content_encoding, Some("gzip"));
    assert_eq!(gunzip(&gz.body), promscribe::encode_text(&registry));
    let zstd = encode(&registry, None, Some("zstd")).expect("encodes");
    assert_eq!(zstd.content_encoding, Some("zstd"));
    match encode(&registry, None, Some("identity;q=0")) {
        Err(e @ EncodeError::NotAcceptable(_)) => {
            assert!(e.to_string().contains("identity;q=0"), "{e}")
        }
        other => panic!("expected NotAcceptable, got {other:?}"),
    }
}
