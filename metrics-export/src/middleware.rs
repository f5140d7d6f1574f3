//! [`RequestMetricsLayer`]: request metrics for axum applications, labelled
//! by route template, never by raw path.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::{Method, Request, Response};
use promscribe::{
    Buckets, Counter, Family, Gauge, Histogram, MetricError, Opts, OwnedChild, Registry,
};
use tower_layer::Layer;
use tower_service::Service;

/// The `route` label of requests that matched no route: every unmatched
/// path shares this one value, so a scanner cannot blow up cardinality.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Why [`RequestMetricsLayer::register`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestMetricsError {
    /// A metric could not be made (a bad prefix).
    #[error("request metrics: {0}")]
    Metric(#[from] MetricError),
    /// The registry already has metrics of these names.
    #[error("request metrics: {0}")]
    Registry(#[from] promscribe::RegistryError),
}

#[derive(Debug)]
struct Metrics {
    requests: Arc<Family<Counter, 3>>,
    duration: Arc<Family<Histogram, 3>>,
    in_flight: Arc<Family<Gauge, 2>>,
}

/// A tower layer for axum routers recording, for every request:
///
/// - `http_requests_total{method, route, status}` (counter),
/// - `http_request_duration_seconds{method, route, status}` (histogram,
///   default buckets, until the response headers are ready),
/// - `http_requests_in_flight{method, route}` (gauge),
///
/// where `route` is the matched route template (axum's [`MatchedPath`],
/// e.g. `/users/{id}`) or [`UNMATCHED_ROUTE`] for every path that matched
/// none, `status` the status class (`2xx`, `4xx`, ...) and `method` one of
/// the standard methods or `OTHER`. No label ever holds a raw path.
///
/// Apply it with `Router::layer` after the routes (so that axum has
/// matched the route when it runs):
///
/// ```
/// use axum::{routing::get, Router};
/// use promscribe_export::RequestMetricsLayer;
///
/// let metrics = RequestMetricsLayer::register(promscribe::default_registry())?;
/// let app: Router = Router::new()
///     .route("/users/{id}", get(|| async { "a user" }))
///     .layer(metrics)
///     .merge(promscribe_export::router());
/// # Ok::<(), promscribe_export::RequestMetricsError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RequestMetricsLayer {
    metrics: Arc<Metrics>,
}

impl RequestMetricsLayer {
    /// Makes the three metrics and registers them in `registry`.
    ///
    /// ```
    /// let registry = promscribe::Registry::new();
    /// let layer = promscribe_export::RequestMetricsLayer::register(&registry)?;
    /// # let _ = layer;
    /// # Ok::<(), promscribe_export::RequestMetricsError>(())
    /// ```
    pub fn register(registry: &Registry) -> Result<Self, RequestMetricsError> {
        RequestMetricsLayer::register_with_prefix(registry, "")
    }

    /// The same metrics with names prefixed by `namespace_` (e.g. `myapp`
    /// gives `myapp_http_requests_total`); an empty namespace adds none.
    ///
    /// ```
    /// let registry = promscribe::Registry::new();
    /// let layer = promscribe_export::RequestMetricsLayer::register_with_prefix(&registry, "myapp")?;
    /// // The same names twice clash.
    /// assert!(promscribe_export::RequestMetricsLayer::register_with_prefix(&registry, "myapp").is_err());
    /// # let _ = layer;
    /// # Ok::<(), promscribe_export::RequestMetricsError>(())
    /// ```
    pub fn register_with_prefix(
        registry: &Registry,
        namespace: &str,
    ) -> Result<Self, RequestMetricsError> {
        let opts = |name: &str, help: &str, labels: &[&str]| {
            let opts = Opts::new(name, help).labels(labels.iter().copied());
            if namespace.is_empty() {
                opts
            } else {
                opts.namespace(namespace)
            }
        };
        let requests = Family::<Counter, 3>::new(opts(
            "http_requests_total",
            "HTTP requests answered, by method, route template and status class",
            &["method", "route", "status"],
        ))?;
        let duration = Family::<Histogram, 3>::with_buckets(opts(
            "http_request_duration_seconds",
            "Time to answer HTTP requests (to the response headers), by method, route template and status class",
            &["method", "route", "status"],
        ), Buckets::default())?;
        let in_flight = Family::<Gauge, 2>::new(opts(
            "http_requests_in_flight",
            "HTTP requests being handled, by method and route template",
            &["method", "route"],
        ))?;
        registry.register(requests.clone())?;
        if let Err(e) = registry.register(duration.clone()) {
            registry.unregister(&(requests as Arc<dyn promscribe::Collector>));
            return Err(e.into());
        }
        if let Err(e) = registry.register(in_flight.clone()) {
            registry.unregister(&(requests as Arc<dyn promscribe::Collector>));
            registry.unregister(&(duration as Arc<dyn promscribe::Collector>));
            return Err(e.into());
        }
        Ok(RequestMetricsLayer {
            metrics: Arc::new(Metrics {
                requests,
                duration,
                in_flight,
            }),
        })
    }
}

impl<S> Layer<S> for RequestMetricsLayer {
    type Service = RequestMetricsService<S>;

    fn layer(&self, inner: S) -> RequestMetricsService<S> {
        RequestMetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service made by [`RequestMetricsLayer`].
///
/// ```
/// use tower_layer::Layer;
/// let registry = promscribe::Registry::new();
/// let layer = promscribe_export::RequestMetricsLayer::register(&registry)?;
/// let service = layer.layer(promscribe_export::MetricsService::new(promscribe::default_registry()));
/// # let _ = service;
/// # Ok::<(), promscribe_export::RequestMetricsError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RequestMetricsService<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

/// The `method` label: standard methods as they are, anything else `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// Takes one request off the in-flight gauge when dropped (answered,
/// failed or cancelled).
struct InFlight(OwnedChild<Gauge>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl<S, B, ResBody> Service<Request<B>> for RequestMetricsService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let method = method_label(request.method());
        let route: Arc<str> = match request.extensions().get::<MatchedPath>() {
            Some(path) => Arc::from(path.as_str()),
            None => Arc::from(UNMATCHED_ROUTE),
        };
        let gauge = self.metrics.in_flight.labels_owned([method, &*route]);
        gauge.inc();
        let in_flight = InFlight(gauge);
        let metrics = self.metrics.clone();
        let start = Instant::now();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let result = answer.await;
            let status = match &result {
                Ok(response) => status_class(response.status().as_u16()),
                Err(_) => "5xx",
            };
            let labels = [method, &*route, status];
            metrics.requests.labels(labels).inc();
            metrics
                .duration
                .labels(labels)
                .observe(start.elapsed().as_secs_f64());
            drop(in_flight);
            result
        })
    }
}
