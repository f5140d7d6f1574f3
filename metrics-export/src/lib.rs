//! Moving metrics out of the process: an axum [`router`] serving
//! `/metrics`, and a one-call background server, [`start_http_server`].
//!
//! ```no_run
//! use axum::{routing::get, Router};
//!
//! # async fn run() -> std::io::Result<()> {
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .merge(metrics_export::router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

mod http;
mod server;

pub use http::{router, router_for};
pub use server::{start_http_server, ServerHandle};
