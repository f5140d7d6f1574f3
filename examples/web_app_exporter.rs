//! A web application exporting its own metrics (the "First Contact with
//! Prometheus Exporters" article, Flask in the original): `/` answers after
//! a random delay, a gauge holds the last response time (set by
//! `#[timed]`), a counter the uptime in seconds, and `/metrics` is merged
//! into the same axum app. Every request is also counted by
//! `RequestMetricsLayer` (`http_requests_total`,
//! `http_request_duration_seconds`, `http_requests_in_flight`, by method,
//! route template and status class; unknown paths share one series).
//!
//! ```text
//! cargo run --example web_app_exporter                    # 0.0.0.0:5000
//! cargo run --example web_app_exporter -- --listen 127.0.0.1:0
//! ```

use std::time::Duration;

use axum::routing::get;
use promscribe::{counter, gauge, timed};

counter!(
    UPTIME,
    "app_uptime_seconds_total",
    "Service uptime in seconds"
);
gauge!(
    LAST_RESPONSE_TIME,
    "app_last_request_response_time_seconds",
    "Response time of the last request"
);

#[timed(LAST_RESPONSE_TIME)]
async fn hello() -> &'static str {
    tokio::time::sleep(Duration::from_millis(fastrand::u64(10..200))).await;
    "Hello World!"
}

#[tokio::main]
async fn main() {
    let mut listen = String::from("0.0.0.0:5000");
    const USAGE: &str = "usage: web_app_exporter [--listen ADDR]   (default 0.0.0.0:5000)";
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-h" || a == "--help" {
            println!("{USAGE}");
            return;
        }
        match (a.as_str(), args.next()) {
            ("--listen", Some(v)) => listen = v,
            _ => {
                eprintln!("web_app_exporter: bad arguments; {USAGE}");
                std::process::exit(2);
            }
        }
    }
    // Uptime: one more second, every second.
    tokio::spawn(async {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        loop {
            tick.tick().await;
            UPTIME.inc();
        }
    });
    let request_metrics =
        match promscribe_export::RequestMetricsLayer::register(promscribe::default_registry()) {
            Ok(layer) => layer,
            Err(e) => {
                eprintln!("web_app_exporter: {e}");
                std::process::exit(1);
            }
        };
    let app = axum::Router::new()
        .route("/", get(hello))
        .merge(promscribe_export::router())
        .layer(request_metrics);
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("web_app_exporter: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("serving http://{addr}/ and http://{addr}/metrics"),
        Err(e) => eprintln!("web_app_exporter: {e}"),
    }
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("web_app_exporter: {e}");
        std::process::exit(1);
    }
}
