//! promscribe-export: everything that moves [promscribe] metrics out of the
//! process.
//!
//! Moving metrics out of the process: an axum [`router`] serving
//! `/metrics` and a one-call background server, [`start_http_server`];
//! pushes to a Prometheus Pushgateway ([`Pushgateway`],
//! [`push_to_gateway`]); a bridge to Graphite ([`GraphiteBridge`]); and
//! node_exporter textfiles ([`write_to_textfile`]).
//!
//! ```no_run
//! # #[cfg(feature = "axum")] {
//! use axum::{routing::get, Router};
//!
//! # async fn run() -> std::io::Result<()> {
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .merge(promscribe_export::router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app).await
//! # }
//! # }
//! ```
//!
//! # Features
//! | feature | default | what |
//! |---|---|---|
//! | `axum` | yes | [`router`], [`router_for`], [`start_http_server`], `MetricsService`, `ExpositionLayer`, `RequestMetricsLayer` (axum, hyper, tokio, tower) |
//! | `compression` | yes | gzip answers when the scraper asks (flate2) |
//! | `zstd` | yes | zstd answers too (structured-zstd, pure Rust) |
//! | `auth` | no | `Auth`: basic auth with bcrypt hashes and bearer tokens (bcrypt, sha2) |
//! | `server-tls` | no | `TlsConfig`: HTTPS for [`start_http_server`], client certificates (rustls, ring) |
//! | `push` | yes | [`Pushgateway`] and the `*_to_gateway` functions, blocking (HTTP client: ureq; no async runtime) |
//! | `push-async` | yes | `Pushgateway::push_async` and friends, for tokio applications (tokio's blocking pool; no server) |
//! | `graphite` | yes | [`GraphiteBridge`] (std only) |
//! | `textfile` | yes | [`write_to_textfile`], [`write_to_textfile_with`] (std only) |
//! | `tls` | no | `https://` gateways (rustls, ring, WebPKI roots), private root certificates, client certificates (mutual TLS) |
//! | `remote-write` | no | `RemoteWrite`: Prometheus Remote Write 1.0 to Prometheus, Mimir, Thanos, Cortex, VictoriaMetrics; one-shot or a background sender (prost derive, snap; `push`'s HTTP client) |
//! | `tokio-metrics` | no | `TokioCollector`: a tokio runtime's own metrics (`tokio_workers`, `tokio_alive_tasks`, `tokio_global_queue_depth`, per-worker busy time and parks; more with `--cfg tokio_unstable`), read at scrape time (tokio's `rt`, nothing else) |
//! | `gzip` | yes | gzip-compressed push bodies (`PushgatewayBuilder::gzip`) |
//! | `process` | yes | process metrics (CPU, memory, fds) in the default registry, Linux (`promscribe/process`) |
//! | `otel` | no | exemplars from the current trace: `inc_traced`, `observe_traced`, `#[timed(METRIC, exemplar)]` (`promscribe/otel`: tracing, tracing-opentelemetry, opentelemetry) |
//!
//! A batch job that only pushes builds neither axum nor hyper:
//! `promscribe-export = { version = "0.1", default-features = false, features = ["push"] }`.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "auth")]
mod auth;
#[cfg(feature = "axum")]
mod http;
#[cfg(feature = "axum")]
mod layers;
#[cfg(feature = "axum")]
mod middleware;
#[cfg(feature = "axum")]
mod server;
#[cfg(feature = "axum")]
mod service;
#[cfg(feature = "server-tls")]
mod tls;

#[cfg(feature = "graphite")]
mod graphite;
#[cfg(any(feature = "compression", feature = "gzip"))]
mod gzip;
#[cfg(feature = "push")]
mod push;
#[cfg(feature = "remote-write")]
mod remote_write;
#[cfg(feature = "textfile")]
mod textfile;
#[cfg(feature = "tokio-metrics")]
mod tokio_metrics;

#[cfg(feature = "auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "auth")))]
pub use auth::{Auth, AuthError, AuthService};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use http::{negotiate, negotiate_scrape, router, router_for, router_with, Negotiated};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use layers::{ExpositionLayer, ExpositionService, DEFAULT_GZIP_LEVEL, DEFAULT_SCRAPE_TIMEOUT};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use middleware::{
    RequestMetricsError, RequestMetricsLayer, RequestMetricsService, UNMATCHED_ROUTE,
};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use server::{start_http_server, start_http_server_with, ServerHandle, ServerOptions};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use service::{encode, EncodeError, Encoded, MetricsService, SharedRegistry};
#[cfg(feature = "server-tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "server-tls")))]
pub use tls::{TlsConfig, TlsError};

#[cfg(feature = "graphite")]
#[cfg_attr(docsrs, doc(cfg(feature = "graphite")))]
pub use graphite::{GraphiteBridge, GraphiteHandle, DEFAULT_GRAPHITE_TIMEOUT};
#[cfg(feature = "push")]
#[cfg_attr(docsrs, doc(cfg(feature = "push")))]
pub use push::{
    delete_from_gateway, instance_ip_grouping_key, push_to_gateway, pushadd_to_gateway,
    GroupingKey, PushError, Pushgateway, PushgatewayBuilder, DEFAULT_PUSH_TIMEOUT,
};
#[cfg(feature = "remote-write")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote-write")))]
pub use remote_write::{
    PushReport, RemoteWrite, RemoteWriteBuilder, RemoteWriteError, RemoteWriteHandle,
    DEFAULT_REMOTE_WRITE_BATCH, DEFAULT_REMOTE_WRITE_CAPACITY, DEFAULT_REMOTE_WRITE_TIMEOUT,
};
#[cfg(feature = "textfile")]
#[cfg_attr(docsrs, doc(cfg(feature = "textfile")))]
pub use textfile::{write_to_textfile, write_to_textfile_with};
#[cfg(feature = "tokio-metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-metrics")))]
pub use tokio_metrics::TokioCollector;
