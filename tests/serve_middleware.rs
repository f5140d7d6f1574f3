//! The request-metrics layer: labelled by method, matched route template
//! and status class, plus requests in flight; 10,000 distinct unmatched
//! paths add one series, not 10,000.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use promscribe::Registry;
use promscribe_export::{RequestMetricsLayer, UNMATCHED_ROUTE};
use tower::ServiceExt;

fn series(registry: &Registry, name: &str) -> Vec<Vec<(String, String)>> {
    registry
        .gather()
        .into_iter()
        .flat_map(|f| f.samples())
        .filter(|s| s.name == name)
        .map(|s| s.labels)
        .collect()
}

fn app(registry: &Registry) -> axum::Router {
    axum::Router::new()
        .route("/users/{id}", get(|| async { "a user" }))
        .route(
            "/fail",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no") }),
        )
        .layer(RequestMetricsLayer::register(registry).expect("registers"))
}

async fn get_path(app: &axum::Router, path: &str) -> StatusCode {
    let request = Request::get(path).body(Body::empty()).expect("request");
    app.clone().oneshot(request).await.expect("answer").status()
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status_class() {
    let registry = Arc::new(Registry::new());
    let app = app(&registry);
    for id in 0..50 {
        assert_eq!(
            get_path(&app, &format!("/users/{id}")).await,
            StatusCode::OK
        );
    }
    assert_eq!(
        get_path(&app, "/fail").await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let post = Request::post("/users/7")
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        app.clone().oneshot(post).await.expect("answer").status(),
        StatusCode::METHOD_NOT_ALLOWED
    );

    let value = |labels: &[(&str, &str)]| registry.get_sample_value("http_requests_total", labels);
    assert_eq!(
        value(&[
            ("method", "GET"),
            ("route", "/users/{id}"),
            ("status", "2xx")
        ]),
        Some(50.0)
    );
    assert_eq!(
        value(&[("method", "GET"), ("route", "/fail"), ("status", "5xx")]),
        Some(1.0)
    );
    assert_eq!(
        value(&[
            ("method", "POST"),
            ("route", "/users/{id}"),
            ("status", "4xx")
        ]),
        Some(1.0)
    );
    assert_eq!(
        registry.get_sample_value(
            "http_request_duration_seconds_count",
            &[
                ("method", "GET"),
                ("route", "/users/{id}"),
                ("status", "2xx")
            ]
        ),
        Some(50.0)
    );
    // Nothing in flight once answered.
    assert_eq!(
        registry.get_sample_value(
            "http_requests_in_flight",
            &[("method", "GET"), ("route", "/users/{id}")]
        ),
        Some(0.0)
    );
    // No raw path anywhere.
    let text = promscribe::encode_text(&registry);
    assert!(!text.contains("/users/7"), "{text}");
}

#[tokio::test]
async fn ten_thousand_unmatched_paths_add_one_series() {
    let registry = Arc::new(Registry::new());
    let app = app(&registry);
    for i in 0..10_000 {
        let status = get_path(&app, &format!("/scan/{i}/wp-admin.php?x={i}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let requests = series(&registry, "http_requests_total");
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        registry.get_sample_value(
            "http_requests_total",
            &[
                ("method", "GET"),
                ("route", UNMATCHED_ROUTE),
                ("status", "4xx")
            ]
        ),
        Some(10_000.0)
    );
    assert_eq!(
        series(&registry, "http_request_duration_seconds_count").len(),
        1
    );
    assert_eq!(series(&registry, "http_requests_in_flight").len(), 1);

    // Odd methods share one value too.
    for i in 0..100 {
        let method = format!("X{i}");
        let request = Request::builder()
            .method(method.as_str())
            .uri("/users/1")
            .body(Body::empty())
            .expect("request");
        app.clone().oneshot(request).await.expect("answer");
    }
    let other: Vec<_> = series(&registry, "http_requests_total")
        .into_iter()
        .filter(|labels| labels.iter().any(|(k, v)| k == "method" && v == "OTHER"))
        .collect();
    assert_eq!(other.len(), 1, "{other:?}");
}
