//! Mounting `/metrics` anywhere: a registry the caller owns
//! ([`SharedRegistry`]), a [`MetricsService`] for plain hyper or any tower
//! framework, and [`encode`] for frameworks that are neither.

use std::convert::Infallible;
use std::future::Future;
use std::ops::Deref;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::uri::{PathAndQuery, Uri};
use axum::http::{Request, Response};
use promscribe::Registry;
use tower::ServiceExt;
use tower_service::Service;

use crate::layers::{compress, Coding};

/// A registry to serve: a `&'static` one (the default registry, a
/// `static`) or one the caller owns behind an [`Arc`], so that nobody
/// leaks a registry to serve it. Both convert with `.into()`.
///
/// ```
/// use std::sync::Arc;
/// use promscribe_export::SharedRegistry;
///
/// let owned = Arc::new(promscribe::Registry::new());
/// let shared: SharedRegistry = owned.clone().into();
/// let global: SharedRegistry = promscribe::default_registry().into();
/// assert!(shared.gather().is_empty());
/// # let _ = global;
/// ```
#[derive(Debug, Clone)]
pub enum SharedRegistry {
    /// A registry that lives as long as the program.
    Static(&'static Registry),
    /// A registry owned by the caller and shared with the server.
    Shared(Arc<Registry>),
}

impl Deref for SharedRegistry {
    type Target = Registry;

    fn deref(&self) -> &Registry {
        match self {
            SharedRegistry::Static(registry) => registry,
            SharedRegistry::Shared(registry) => registry,
        }
    }
}

impl From<&'static Registry> for SharedRegistry {
    fn from(registry: &'static Registry) -> Self {
        SharedRegistry::Static(registry)
    }
}

impl From<Arc<Registry>> for SharedRegistry {
    fn from(registry: Arc<Registry>) -> Self {
        SharedRegistry::Shared(registry)
    }
}

impl SharedRegistry {
    /// Whether this is the process's default registry.
    pub(crate) fn is_default(&self) -> bool {
        matches!(self, SharedRegistry::Static(r) if std::ptr::eq(*r, promscribe::default_registry()))
    }
}

/// The `/metrics` endpoint as a [`tower::Service`](tower_service::Service)
/// (and a [`hyper::service::Service`]), to mount under any path of any
/// tower-based framework or to serve from plain hyper. It answers every
/// path it is given (the `name[]` query is honoured), with everything
/// [`router_for`](crate::router_for) does: compression, `HEAD`, `405`, a
/// timeout and shared collections. It needs a tokio runtime.
///
/// From plain hyper:
///
/// ```no_run
/// use hyper_util::rt::TokioIo;
/// use promscribe_export::MetricsService;
///
/// # async fn run() -> std::io::Result<()> {
/// let service = MetricsService::new(promscribe::default_registry());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9100").await?;
/// loop {
///     let (stream, _) = listener.accept().await?;
///     let service = service.clone();
///     tokio::spawn(async move {
///         let _ = hyper::server::conn::http1::Builder::new()
///             .serve_connection(TokioIo::new(stream), service)
///             .await;
///     });
/// }
/// # }
/// ```
///
/// Mounted under another path of an axum app:
///
/// ```
/// use std::sync::Arc;
/// let registry = Arc::new(promscribe::Registry::new());
/// let app: axum::Router = axum::Router::new()
///     .route_service("/internal/metrics", promscribe_export::MetricsService::new(registry));
/// ```
#[derive(Clone)]
pub struct MetricsService {
    router: axum::Router,
}

impl std::fmt::Debug for MetricsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsService").finish_non_exhaustive()
    }
}

impl MetricsService {
    /// A service serving `registry` with the default
    /// [`ExpositionLayer`](crate::ExpositionLayer).
    ///
    /// ```
    /// let service = promscribe_export::MetricsService::new(promscribe::default_registry());
    /// # let _ = service;
    /// ```
    pub fn new(registry: impl Into<SharedRegistry>) -> Self {
        MetricsService::with_layer(registry, crate::ExpositionLayer::default())
    }

    /// A service serving `registry` with these exposition options.
    ///
    /// ```
    /// use promscribe_export::{ExpositionLayer, MetricsService};
    /// let service = MetricsService::with_layer(
    ///     promscribe::default_registry(),
    ///     ExpositionLayer::new().compression(false),
    /// );
    /// # let _ = service;
    /// ```
    pub fn with_layer(registry: impl Into<SharedRegistry>, layer: crate::ExpositionLayer) -> Self {
        MetricsService {
            router: crate::router_with(registry, layer),
        }
    }

    fn route<B>(request: Request<B>) -> Request<Body>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let (mut parts, body) = request.into_parts();
        let path_and_query = match parts.uri.query() {
            Some(query) => format!("/metrics?{query}"),
            None => "/metrics".to_owned(),
        };
        if let Ok(pq) = PathAndQuery::try_from(path_and_query) {
            let mut uri = parts.uri.clone().into_parts();
            uri.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(uri) {
                parts.uri = uri;
            }
        }
        Request::from_parts(parts, Body::new(body))
    }
}

type ServiceFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl<B> Service<Request<B>> for MetricsService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ServiceFuture {
        let router = self.router.clone();
        Box::pin(router.oneshot(MetricsService::route(request)))
    }
}

impl<B> hyper::service::Service<Request<B>> for MetricsService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn call(&self, request: Request<B>) -> ServiceFuture {
        let router = self.router.clone();
        Box::pin(router.oneshot(MetricsService::route(request)))
    }
}

/// An exposition made by [`encode`]: the bytes to send and the headers to
/// send them with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Encoded {
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The `Content-Encoding` header, if the body is compressed.
    pub content_encoding: Option<&'static str>,
    /// The body.
    pub body: Vec<u8>,
}

/// Why [`encode`] made no exposition.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The client's `Accept-Encoding` refuses every coding this crate can
    /// send (answer `406 Not Acceptable`).
    #[error("no acceptable content coding in Accept-Encoding {0:?}: identity, gzip and zstd are available")]
    NotAcceptable(String),
    /// A collector panicked during the collection (answer `500`).
    #[error("error collecting metrics: a collector panicked: {0}")]
    CollectorPanicked(String),
    /// A value the negotiated format cannot carry (answer `500`), e.g. a
    /// fractional summary count in protobuf.
    #[error("error encoding metrics: {0}")]
    Encode(#[from] promscribe::MetricError),
    /// Compressing the body failed (answer `500`).
    #[error("error compressing metrics: {0}")]
    Compress(#[from] std::io::Error),
}

/// The exposition of `registry` in the format the client's `Accept` header
/// value asks for ([`negotiate`](crate::negotiate); `None`: text 0.0.4),
/// compressed as its `Accept-Encoding` header value allows (`None`: the
/// client sent none, so it is not compressed), for frameworks that are
/// neither tower-based nor hyper. It runs the collection on the calling
/// thread.
///
/// ```
/// let registry = promscribe::default_registry();
/// let encoded = promscribe_export::encode(registry, None, Some("gzip"))?;
/// assert_eq!(encoded.content_type, "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
/// # #[cfg(feature = "compression")]
/// assert_eq!(encoded.content_encoding, Some("gzip"));
/// let om = promscribe_export::encode(registry, Some("application/openmetrics-text"), None)?;
/// assert!(om.content_type.starts_with("application/openmetrics-text; version=1.0.0"));
/// assert!(om.body.ends_with(b"# EOF\n"));
/// # Ok::<(), promscribe_export::EncodeError>(())
/// ```
pub fn encode(
    registry: &Registry,
    accept: Option<&str>,
    accept_encoding: Option<&str>,
) -> Result<Encoded, EncodeError> {
    let negotiated = crate::negotiate_scrape(accept.unwrap_or(""));
    let coding = crate::layers::negotiate_coding(accept_encoding, true)
        .ok_or_else(|| EncodeError::NotAcceptable(accept_encoding.unwrap_or("").to_owned()))?;
    let encoded = catch_unwind(AssertUnwindSafe(|| {
        let mut out = Vec::with_capacity(4096);
        promscribe::encode_bytes(&mut out, registry, negotiated.format, &negotiated.options())
            .map(|()| out)
    }))
    .map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned());
        EncodeError::CollectorPanicked(message)
    })?;
    let bytes = encoded?;
    let body = if coding == Coding::Identity {
        bytes
    } else {
        compress(coding, &bytes, crate::DEFAULT_GZIP_LEVEL)?
    };
    Ok(Encoded {
        content_type: negotiated.content_type(),
        content_encoding: coding.name(),
        body,
    })
}
