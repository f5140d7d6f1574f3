//! [`ExpositionLayer`]: what makes `/metrics` a good HTTP citizen —
//! compression, `HEAD`, `405`, a request timeout, and one collection shared
//! by the scrapes that arrive while it runs.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::{
    HeaderValue, ACCEPT, ACCEPT_ENCODING, ALLOW, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE,
    VARY,
};
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use tokio::sync::watch;
use tower::ServiceExt;
use tower_layer::Layer;
use tower_service::Service;

/// The default of [`ExpositionLayer::timeout`]: Prometheus's own default
/// scrape timeout.
pub const DEFAULT_SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);

/// The default of [`ExpositionLayer::gzip_level`]: 3, fast for a slightly
/// larger answer than zlib's default level 6.
///
/// ```
/// assert_eq!(promscribe_export::DEFAULT_GZIP_LEVEL, 3);
/// ```
pub const DEFAULT_GZIP_LEVEL: u32 = 3;

/// A tower layer for a `/metrics` endpoint, applied by
/// [`router_for`](crate::router_for) and by
/// [`start_http_server`](crate::start_http_server):
///
/// - **compression**: gzip (feature `compression`, default; level 3 unless
///   [`gzip_level`](Self::gzip_level) says otherwise) or zstd (feature
///   `zstd`, default; a pure-Rust encoder) when the request's
///   `Accept-Encoding` allows it (q-values honoured, the highest wins, zstd
///   on a tie); never
///   for a client that sent no `Accept-Encoding`; `406 Not Acceptable`
///   when the client refuses `identity` (`identity;q=0` or `*;q=0`) and
///   accepts neither gzip nor zstd (feature `compression`; without it the
///   answer is always uncompressed);
/// - **`HEAD`** answers with the headers and no body, without collecting;
///   other methods than `GET` and `HEAD` get `405` with `Allow: GET, HEAD`;
/// - **a timeout**: a scrape whose collection takes longer than
///   [`timeout`](Self::timeout) gets `503 Service Unavailable`;
/// - **one collection for many scrapes**: scrapes of the same URL, `Accept`
///   and encoding that arrive while a collection runs wait for it and get
///   its answer, instead of each walking the registry. Collecting,
///   encoding and compressing run on tokio's blocking pool, so a large
///   exposition never stalls the runtime's workers.
///
/// ```
/// use std::time::Duration;
/// use promscribe_export::ExpositionLayer;
///
/// let layer = ExpositionLayer::new().timeout(Duration::from_secs(5));
/// let app: axum::Router = promscribe_export::router_with(promscribe::default_registry(), layer);
/// ```
#[derive(Debug, Clone)]
#[must_use = "apply the layer to a service or pass it to router_with"]
pub struct ExpositionLayer {
    timeout: Duration,
    compression: bool,
    gzip_level: u32,
    /// Shared by every service this layer (and its clones) makes: axum
    /// may apply a layer anew for each connection.
    flights: Arc<Flights>,
}

impl Default for ExpositionLayer {
    fn default() -> Self {
        ExpositionLayer {
            timeout: DEFAULT_SCRAPE_TIMEOUT,
            compression: true,
            gzip_level: DEFAULT_GZIP_LEVEL,
            flights: Arc::default(),
        }
    }
}

impl ExpositionLayer {
    /// Compression on, a 10 s timeout.
    ///
    /// ```
    /// let layer = promscribe_export::ExpositionLayer::new();
    /// assert_eq!(layer.get_timeout().as_secs(), 10);
    /// ```
    pub fn new() -> Self {
        ExpositionLayer::default()
    }

    /// The longest a scrape waits for its collection before it gets `503`.
    /// The collection itself cannot be interrupted: it finishes in the
    /// background, and scrapes arriving meanwhile wait for it rather than
    /// start another one. A zero timeout is taken as the default.
    ///
    /// ```
    /// let layer = promscribe_export::ExpositionLayer::new()
    ///     .timeout(std::time::Duration::from_secs(3));
    /// assert_eq!(layer.get_timeout().as_secs(), 3);
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = if timeout.is_zero() {
            DEFAULT_SCRAPE_TIMEOUT
        } else {
            timeout
        };
        self
    }

    /// Switches compression off (`false`) or on (`true`, the default).
    ///
    /// ```
    /// let layer = promscribe_export::ExpositionLayer::new().compression(false);
    /// # let _ = layer;
    /// ```
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// The gzip level of compressed answers, 1 (fastest) to 9 (smallest);
    /// 0 stores without compressing, above 9 is taken as 9. The default,
    /// [`DEFAULT_GZIP_LEVEL`], is 3: on the 1.7 MB text exposition of the
    /// benchmarks it compresses about three times faster than zlib's
    /// default level 6 (3.7 ms against 11.7 ms on one core, with flate2's
    /// zlib-rs backend) for an answer 13% larger (86 KB against 77 KB). A large answer (from 512 KiB) is
    /// compressed in segments on up to four threads at once (one per
    /// core), as one ordinary gzip stream.
    ///
    /// ```
    /// let layer = promscribe_export::ExpositionLayer::new().gzip_level(6);
    /// assert_eq!(layer.get_gzip_level(), 6);
    /// ```
    pub fn gzip_level(mut self, level: u32) -> Self {
        self.gzip_level = level.min(9);
        self
    }

    /// The gzip level set.
    ///
    /// ```
    /// use promscribe_export::{ExpositionLayer, DEFAULT_GZIP_LEVEL};
    /// assert_eq!(ExpositionLayer::new().get_gzip_level(), DEFAULT_GZIP_LEVEL);
    /// ```
    pub fn get_gzip_level(&self) -> u32 {
        self.gzip_level
    }

    /// The same options with a table of running collections of its own.
    /// The services made by one layer and its clones share their
    /// collections (by URL, `Accept` and coding), so one layer value must
    /// serve one endpoint: [`router_with`](crate::router_with) calls this.
    ///
    /// ```
    /// let layer = promscribe_export::ExpositionLayer::new();
    /// let for_another_registry = layer.for_endpoint();
    /// # let _ = for_another_registry;
    /// ```
    pub fn for_endpoint(&self) -> Self {
        ExpositionLayer {
            timeout: self.timeout,
            compression: self.compression,
            gzip_level: self.gzip_level,
            flights: Arc::default(),
        }
    }

    /// The timeout set.
    ///
    /// ```
    /// assert_eq!(promscribe_export::ExpositionLayer::new().get_timeout().as_secs(), 10);
    /// ```
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }
}

impl<S> Layer<S> for ExpositionLayer {
    type Service = ExpositionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ExpositionService {
            inner,
            timeout: self.timeout,
            compression: self.compression,
            gzip_level: self.gzip_level,
            flights: self.flights.clone(),
        }
    }
}

/// The service made by [`ExpositionLayer`].
///
/// ```
/// use tower_layer::Layer;
/// let service = promscribe_export::ExpositionLayer::new()
///     .layer(promscribe_export::MetricsService::new(promscribe::default_registry()));
/// # let _ = service;
/// ```
#[derive(Debug, Clone)]
pub struct ExpositionService<S> {
    inner: S,
    timeout: Duration,
    compression: bool,
    gzip_level: u32,
    flights: Arc<Flights>,
}

/// The content coding of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Coding {
    Identity,
    #[cfg(feature = "compression")]
    Gzip,
    #[cfg(feature = "zstd")]
    Zstd,
}

impl Coding {
    /// The `Content-Encoding` value; `None` for identity.
    pub(crate) fn name(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            #[cfg(feature = "compression")]
            Coding::Gzip => Some("gzip"),
            #[cfg(feature = "zstd")]
            Coding::Zstd => Some("zstd"),
        }
    }

    fn header(self) -> Option<HeaderValue> {
        self.name().map(HeaderValue::from_static)
    }
}

/// The coding for an `Accept-Encoding` value (`None`: no header); `None`
/// if the client accepts nothing this crate can send.
pub(crate) fn negotiate_coding(accept_encoding: Option<&str>, compression: bool) -> Option<Coding> {
    let mut headers = HeaderMap::new();
    if let Some(value) = accept_encoding {
        match HeaderValue::from_str(value) {
            Ok(value) => {
                headers.insert(ACCEPT_ENCODING, value);
            }
            // Not a valid header value: as if the client asked for nothing.
            Err(_) => return Some(Coding::Identity),
        }
    }
    AcceptEncoding::parse(&headers).choose(compression)
}

/// The q-value of each coding named in `Accept-Encoding` (RFC 9110
/// §12.5.3); items with a malformed q-value are ignored.
#[derive(Debug, Default)]
struct AcceptEncoding {
    gzip: Option<u16>,
    zstd: Option<u16>,
    identity: Option<u16>,
    any: Option<u16>,
    present: bool,
}

/// A q-value in thousandths: `0`, `0.5`, `1`, `1.000`; `None` if malformed.
fn parse_qvalue(text: &str) -> Option<u16> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl AcceptEncoding {
    fn parse(headers: &HeaderMap) -> AcceptEncoding {
        let mut accept = AcceptEncoding::default();
        for value in headers.get_all(ACCEPT_ENCODING) {
            accept.present = true;
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';');
                let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
                if coding.is_empty() {
                    continue;
                }
                let mut q = Some(1000);
                for param in parts {
                    if let Some((name, value)) = param.split_once('=') {
                        if name.trim().eq_ignore_ascii_case("q") {
                            q = parse_qvalue(value);
                        }
                    }
                }
                let Some(q) = q else { continue };
                let slot = match coding.as_str() {
                    "gzip" | "x-gzip" => &mut accept.gzip,
                    "zstd" => &mut accept.zstd,
                    "identity" => &mut accept.identity,
                    "*" => &mut accept.any,
                    _ => continue,
                };
                *slot = Some(slot.map_or(q, |old| old.max(q)));
            }
        }
        accept
    }

    /// The coding to answer with; `None` if nothing acceptable can be sent.
    fn choose(&self, compression: bool) -> Option<Coding> {
        // Identity is acceptable unless refused, but competes with the
        // codings only when named (or through `*`).
        let named_identity = self.identity.or(self.any);
        let identity = named_identity.unwrap_or(1000);
        if !self.present || !compression {
            // No Accept-Encoding: never compress. Compression off: the
            // identity answer is all there is.
            return Some(Coding::Identity);
        }
        #[cfg(feature = "compression")]
        {
            let gzip = self.gzip.or(self.any).unwrap_or(0);
            // Without the `zstd` feature, zstd is never chosen.
            #[cfg(feature = "zstd")]
            let zstd = self.zstd.or(self.any).unwrap_or(0);
            #[cfg(not(feature = "zstd"))]
            let zstd = 0;
            let best = gzip.max(zstd);
            if best > 0 && best >= named_identity.unwrap_or(0) {
                #[cfg(feature = "zstd")]
                if zstd >= gzip {
                    return Some(Coding::Zstd);
                }
                return Some(Coding::Gzip);
            }
        }
        (identity > 0).then_some(Coding::Identity)
    }
}

/// What a collection produced: one answer, shared by every scrape that
/// waited for it.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

type FlightKey = (String, Option<HeaderValue>, Coding);
type FlightResult = Option<Arc<Answer>>;

/// The collections in progress, by URL, `Accept` and coding.
#[derive(Debug, Default)]
struct Flights {
    running: Mutex<HashMap<FlightKey, watch::Receiver<FlightResult>>>,
}

impl Flights {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<FlightKey, watch::Receiver<FlightResult>>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Removes a flight from the table when it ends, however it ends (so a
/// panicking collection does not leave later scrapes waiting forever).
struct Landing {
    flights: Arc<Flights>,
    key: Option<FlightKey>,
}

impl Drop for Landing {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.flights.lock().remove(&key);
        }
    }
}

fn plain(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `body` in `coding`; `gzip_level` for gzip (see
/// [`ExpositionLayer::gzip_level`]).
pub(crate) fn compress(coding: Coding, body: &[u8], gzip_level: u32) -> std::io::Result<Vec<u8>> {
    #[cfg(not(feature = "compression"))]
    let _ = gzip_level;
    match coding {
        Coding::Identity => Ok(body.to_vec()),
        #[cfg(feature = "compression")]
        Coding::Gzip => crate::gzip::compress(body, gzip_level),
        #[cfg(feature = "zstd")]
        Coding::Zstd => zstd_compress(body),
    }
}

/// `body` as one zstd frame, by the pure-Rust encoder at its fastest
/// level (about zstd's level 1, which on the text exposition is both
/// smaller and faster than the C library's default level 3).
#[cfg(feature = "zstd")]
fn zstd_compress(body: &[u8]) -> std::io::Result<Vec<u8>> {
    use structured_zstd::encoding::{compress_slice_to_vec, CompressionLevel};
    // The encoder returns no error; a panic in it must not take the
    // scrape's thread down with it.
    std::panic::catch_unwind(|| compress_slice_to_vec(body, CompressionLevel::Fastest))
        .map_err(|_| std::io::Error::other("the zstd encoder panicked"))
}

/// Runs the inner service for one request, collects its body and
/// compresses it: the work of one collection.
async fn collect<S>(inner: S, request: Request<Body>, coding: Coding, gzip_level: u32) -> Answer
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
{
    let Ok(response) = inner.oneshot(request).await;
    let (parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            tracing::error!(error = %e, "metrics: reading the exposition failed");
            return Answer {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                headers: HeaderMap::new(),
                body: Bytes::from(format!("error collecting metrics: {e}\n")),
            };
        }
    };
    let mut headers = parts.headers;
    headers.remove(CONTENT_LENGTH);
    if parts.status != StatusCode::OK || coding == Coding::Identity {
        return Answer {
            status: parts.status,
            headers,
            body,
        };
    }
    match compress(coding, &body, gzip_level) {
        Ok(compressed) => {
            if let Some(value) = coding.header() {
                headers.insert(CONTENT_ENCODING, value);
            }
            Answer {
                status: parts.status,
                headers,
                body: Bytes::from(compressed),
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics: compressing the exposition failed");
            Answer {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                headers: HeaderMap::new(),
                body: Bytes::from(format!("error compressing metrics: {e}\n")),
            }
        }
    }
}

impl<S> Service<Request<Body>> for ExpositionService<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The inner service is cloned per collection and made ready then.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let method = request.method().clone();
        if method != Method::GET && method != Method::HEAD {
            let mut response = plain(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method {method} is not allowed on the metrics endpoint; use GET\n"),
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Box::pin(async move { Ok(response) });
        }
        let Some(coding) = AcceptEncoding::parse(request.headers()).choose(self.compression) else {
            let response = plain(
                StatusCode::NOT_ACCEPTABLE,
                "no acceptable content coding: this endpoint sends identity, gzip or zstd\n".into(),
            );
            return Box::pin(async move { Ok(response) });
        };
        let vary = self.compression;
        if method == Method::HEAD {
            // The headers a GET would get, without collecting anything.
            let mut response = Response::new(Body::empty());
            let headers = response.headers_mut();
            let format = crate::http::format_for(request.headers());
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            );
            headers.insert(VARY, HeaderValue::from_static("Accept"));
            if let Some(value) = coding.header() {
                headers.insert(CONTENT_ENCODING, value);
            }
            if vary {
                headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
            }
            return Box::pin(async move { Ok(response) });
        }

        let key: FlightKey = (
            request.uri().to_string(),
            request.headers().get(ACCEPT).cloned(),
            coding,
        );
        let receiver = {
            let mut running = self.flights.lock();
            match running.get(&key) {
                Some(receiver) => receiver.clone(),
                None => {
                    let (sender, receiver) = watch::channel(None);
                    running.insert(key.clone(), receiver.clone());
                    drop(running);
                    let landing = Landing {
                        flights: self.flights.clone(),
                        key: Some(key),
                    };
                    let inner = self.inner.clone();
                    let gzip_level = self.gzip_level;
                    let runtime = tokio::runtime::Handle::current();
                    // On the blocking pool: collecting and compressing a
                    // large exposition is CPU work that must not hold a
                    // runtime worker. It runs to the end even if every
                    // scrape waiting for it has gone.
                    tokio::task::spawn_blocking(move || {
                        let answer = runtime.block_on(collect(inner, request, coding, gzip_level));
                        // Later scrapes start a new collection...
                        drop(landing);
                        // ...while those waiting get this one.
                        let _ = sender.send(Some(Arc::new(answer)));
                    });
                    receiver
                }
            }
        };
        let timeout = self.timeout;
        Box::pin(async move {
            let mut receiver = receiver;
            let waited = tokio::time::timeout(timeout, receiver.wait_for(Option::is_some)).await;
            let answer = match waited {
                Ok(Ok(answer)) => answer.clone(),
                Ok(Err(_)) => {
                    return Ok(plain(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "error collecting metrics: the collection ended without an answer\n".into(),
                    ))
                }
                Err(_) => {
                    tracing::warn!(?timeout, "metrics: a scrape timed out");
                    return Ok(plain(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("collecting metrics took longer than {timeout:?}\n"),
                    ));
                }
            };
            let Some(answer) = answer else {
                return Ok(plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error collecting metrics\n".into(),
                ));
            };
            let mut response = Response::new(Body::from(answer.body.clone()));
            *response.status_mut() = answer.status;
            *response.headers_mut() = answer.headers.clone();
            if vary {
                response
                    .headers_mut()
                    .append(VARY, HeaderValue::from_static("Accept-Encoding"));
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose(value: Option<&str>) -> Option<Coding> {
        let mut headers = HeaderMap::new();
        if let Some(v) = value {
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_str(v).expect("header"));
        }
        AcceptEncoding::parse(&headers).choose(true)
    }

    #[test]
    fn one_default_gzip_level() {
        #[cfg(feature = "gzip")]
        assert_eq!(DEFAULT_GZIP_LEVEL, crate::gzip::DEFAULT_LEVEL);
        assert_eq!(ExpositionLayer::new().gzip_level(12).get_gzip_level(), 9);
    }

    #[test]
    fn qvalues() {
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.001"), Some(1));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("1.5"), None);
        assert_eq!(parse_qvalue("0.0001"), None);
        assert_eq!(parse_qvalue("x"), None);
    }

    #[test]
    fn accept_encoding_negotiation() {
        assert_eq!(choose(None), Some(Coding::Identity));
        assert_eq!(choose(Some("")), Some(Coding::Identity));
        assert_eq!(choose(Some("br, deflate")), Some(Coding::Identity));
        #[cfg(all(feature = "compression", not(feature = "zstd")))]
        {
            assert_eq!(choose(Some("gzip, zstd")), Some(Coding::Gzip));
            assert_eq!(choose(Some("zstd")), Some(Coding::Identity));
            assert_eq!(choose(Some("*")), Some(Coding::Gzip));
        }
        #[cfg(feature = "zstd")]
        {
            assert_eq!(choose(Some("gzip")), Some(Coding::Gzip));
            assert_eq!(choose(Some("x-gzip")), Some(Coding::Gzip));
            assert_eq!(choose(Some("ZSTD")), Some(Coding::Zstd));
            assert_eq!(choose(Some("gzip, zstd")), Some(Coding::Zstd));
            assert_eq!(choose(Some("gzip;q=1, zstd;q=0.5")), Some(Coding::Gzip));
            assert_eq!(choose(Some("gzip;q=0, zstd;q=0")), Some(Coding::Identity));
            assert_eq!(choose(Some("gzip;q=0.5, identity")), Some(Coding::Identity));
            assert_eq!(choose(Some("*")), Some(Coding::Zstd));
            assert_eq!(choose(Some("*;q=0, gzip")), Some(Coding::Gzip));
            assert_eq!(choose(Some("identity;q=0, gzip;q=0.1")), Some(Coding::Gzip));
            assert_eq!(choose(Some("gzip;q=bad")), Some(Coding::Identity));
            assert_eq!(choose(Some("gzip;q=0.2")), Some(Coding::Gzip));
        }
        assert_eq!(choose(Some("identity;q=0")), None);
        assert_eq!(choose(Some("*;q=0")), None);
        assert_eq!(choose(Some("identity;q=0, br")), None);
    }
}
