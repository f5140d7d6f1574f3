//! Moving metrics out of the process: an axum [`router`] serving
//! `/metrics` and a one-call background server, [`start_http_server`];
//! pushes to a Prometheus Pushgateway ([`Pushgateway`],
//! [`push_to_gateway`]); a bridge to Graphite ([`GraphiteBridge`]); and
//! node_exporter textfiles ([`write_to_textfile`]).
//!
//! ```no_run
//! use axum::{routing::get, Router};
//!
//! # async fn run() -> std::io::Result<()> {
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .merge(promscribe_export::router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! # Features
//! | feature | default | what |
//! |---|---|---|
//! | `push` | yes | [`Pushgateway`] and the `*_to_gateway` functions (HTTP client: ureq) |
//! | `graphite` | yes | [`GraphiteBridge`] (std only) |
//! | `textfile` | yes | [`write_to_textfile`] (tempfile) |
//! | `tls` | no | `https://` gateways (rustls, ring, WebPKI roots) |
//! | `gzip` | yes | gzip-compressed push bodies ([`PushgatewayBuilder::gzip`]) |

mod http;
mod server;

#[cfg(feature = "graphite")]
mod graphite;
#[cfg(feature = "push")]
mod push;
#[cfg(feature = "textfile")]
mod textfile;

pub use http::{router, router_for};
pub use server::{start_http_server, start_http_server_with, ServerHandle, ServerOptions};

#[cfg(feature = "graphite")]
pub use graphite::{GraphiteBridge, GraphiteHandle, DEFAULT_GRAPHITE_TIMEOUT};
#[cfg(feature = "push")]
pub use push::{
    delete_from_gateway, instance_ip_grouping_key, push_to_gateway, pushadd_to_gateway,
    GroupingKey, PushError, Pushgateway, PushgatewayBuilder, DEFAULT_PUSH_TIMEOUT,
};
#[cfg(feature = "textfile")]
pub use textfile::write_to_textfile;
