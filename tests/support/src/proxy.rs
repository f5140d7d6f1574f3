//! A forwarding HTTP proxy for scrapes: a real Prometheus reaches its
//! targets through it (`proxy_url:` in a scrape config), and it can
//! rewrite the `Accept` header (so that a Prometheus that asks for
//! OpenMetrics first gets the text format) and open HTTPS to the target
//! (client certificate and CA of the test; the scraper's own
//! `Authorization` header passes through). It records what it forwarded:
//! the `Accept` it sent, the answer's status, `Content-Type` and
//! `Content-Encoding`, so that a test can tell which format the scraper
//! parsed.
//!
//! Requests and answers are read and written by hyper; the upstream call
//! is ureq's (blocking, on tokio's blocking pool). Bodies pass through
//! untouched (a gzip body stays gzip: the scraper decodes it).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};

/// What the proxy does to each request.
#[derive(Clone, Default)]
pub struct ProxyOptions {
    accept: Option<String>,
    tls: Option<ureq::tls::TlsConfig>,
}

impl std::fmt::Debug for ProxyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyOptions")
            .field("accept", &self.accept)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl ProxyOptions {
    /// Forward requests as they come.
    pub fn new() -> ProxyOptions {
        ProxyOptions::default()
    }

    /// Replace the request's `Accept` header by `accept`.
    pub fn accept(mut self, accept: &str) -> ProxyOptions {
        self.accept = Some(accept.to_owned());
        self
    }

    /// Forward `http://` requests to the same authority and path over
    /// HTTPS, trusting the certificates of the PEM file `ca` and presenting
    /// the client certificate `cert` (PEM) with its key `key` (PEM).
    pub fn upstream_tls(mut self, ca: &Path, cert: &Path, key: &Path) -> Result<Self, String> {
        use ureq::tls::{parse_pem, Certificate, ClientCert, PemItem, RootCerts, TlsConfig};
        let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
        let certs = |p: &Path| -> Result<Vec<Certificate<'static>>, String> {
            let pem = read(p)?;
            let mut out = Vec::new();
            for item in parse_pem(&pem) {
                if let PemItem::Certificate(c) =
                    item.map_err(|e| format!("{}: {e}", p.display()))?
                {
                    out.push(c);
                }
            }
            if out.is_empty() {
                return Err(format!("{}: no certificate", p.display()));
            }
            Ok(out)
        };
        let roots = certs(ca)?;
        let chain = certs(cert)?;
        let key_pem = read(key)?;
        let key = parse_pem(&key_pem)
            .find_map(|item| match item {
                Ok(PemItem::PrivateKey(k)) => Some(k),
                _ => None,
            })
            .ok_or_else(|| format!("{}: no private key", key.display()))?;
        self.tls = Some(
            TlsConfig::builder()
                .root_certs(RootCerts::new_with_certs(&roots))
                .client_cert(Some(ClientCert::new_with_certs(&chain, key)))
                .build(),
        );
        Ok(self)
    }
}

/// One forwarded request, as the proxy saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forwarded {
    /// The URL the proxy requested (`https://` when it opened TLS).
    pub url: String,
    /// The `Accept` header it sent (empty when none).
    pub accept: String,
    /// The status it got, or 502 when the target could not be reached.
    pub status: u16,
    /// The answer's `Content-Type` (empty when none).
    pub content_type: String,
    /// The answer's `Content-Encoding` (empty when none).
    pub content_encoding: String,
    /// The length of the body as forwarded (compressed if it was).
    pub body_len: usize,
}

/// A running proxy on 127.0.0.1; stopped when dropped.
pub struct ScrapeProxy {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Forwarded>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ScrapeProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrapeProxy")
            .field("addr", &self.addr)
            .finish()
    }
}

struct Shared {
    options: ProxyOptions,
    agent: ureq::Agent,
    log: Arc<Mutex<Vec<Forwarded>>>,
}

impl ScrapeProxy {
    /// Starts a proxy on a free port of 127.0.0.1, on its own thread.
    pub fn start(options: ProxyOptions) -> std::io::Result<ScrapeProxy> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(10)));
        if let Some(tls) = &options.tls {
            config = config.tls_config(tls.clone());
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            options,
            agent: config.build().into(),
            log: log.clone(),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("scrape-proxy".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    loop {
                        let stream = tokio::select! {
                            _ = &mut stopped => return,
                            accepted = listener.accept() => match accepted {
                                Ok((stream, _)) => stream,
                                Err(_) => continue,
                            },
                        };
                        let shared = shared.clone();
                        tokio::spawn(async move {
                            let service = hyper::service::service_fn(move |req| {
                                let shared = shared.clone();
                                async move {
                                    Ok::<_, std::convert::Infallible>(forward(shared, req).await)
                                }
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                .await;
                        });
                    }
                });
            })?;
        Ok(ScrapeProxy {
            addr,
            log,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, for `proxy_url:`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything forwarded so far, oldest first.
    pub fn forwarded(&self) -> Vec<Forwarded> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops the proxy and waits for its thread.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ScrapeProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) and those the HTTP libraries set
/// themselves: never copied across.
fn is_hop_by_hop(name: &hyper::header::HeaderName) -> bool {
    use hyper::header::*;
    [
        CONNECTION,
        HOST,
        CONTENT_LENGTH,
        PROXY_AUTHORIZATION,
        PROXY_AUTHENTICATE,
        TE,
        TRAILER,
        TRANSFER_ENCODING,
        UPGRADE,
    ]
    .contains(name)
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

fn text_answer(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(text)));
    *resp.status_mut() = status;
    resp
}

async fn forward(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    // A proxy gets the absolute form: `GET http://host:port/path HTTP/1.1`.
    let uri = req.uri();
    let (Some("http"), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return text_answer(
            StatusCode::BAD_REQUEST,
            format!("not a proxy request: {uri}"),
        );
    };
    let scheme = if shared.options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{scheme}://{authority}{path}");
    let mut headers = hyper::HeaderMap::new();
    for (name, value) in req.headers() {
        if !is_hop_by_hop(name) {
            headers.append(name, value.clone());
        }
    }
    if let Some(accept) = &shared.options.accept {
        match hyper::header::HeaderValue::from_str(accept) {
            Ok(v) => {
                headers.insert(hyper::header::ACCEPT, v);
            }
            Err(e) => {
                return text_answer(StatusCode::BAD_GATEWAY, format!("Accept {accept:?}: {e}"))
            }
        }
    }
    let accept = headers
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let method = req.method().clone();
    let task_shared = shared.clone();
    let task_url = url.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let mut builder = ureq::http::Request::builder().method(method).uri(&task_url);
        if let Some(h) = builder.headers_mut() {
            *h = headers;
        }
        let request = builder.body(()).map_err(|e| e.to_string())?;
        let mut resp = task_shared.agent.run(request).map_err(|e| e.to_string())?;
        let body = resp
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((resp.status(), resp.headers().clone(), body))
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    let header = |h: &hyper::HeaderMap, name| {
        h.get(name)
            .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (record, resp) = match answer {
        Ok((status, upstream_headers, body)) => {
            let record = Forwarded {
                url,
                accept,
                status: status.as_u16(),
                content_type: header(&upstream_headers, hyper::header::CONTENT_TYPE),
                content_encoding: header(&upstream_headers, hyper::header::CONTENT_ENCODING),
                body_len: body.len(),
            };
            let mut resp = Response::new(Full::new(Bytes::from(body)));
            *resp.status_mut() = status;
            let out = resp.headers_mut();
            for (name, value) in &upstream_headers {
                if !is_hop_by_hop(name) {
                    out.append(name, value.clone());
                }
            }
            (record, resp)
        }
        Err(e) => (
            Forwarded {
                url: url.clone(),
                accept,
                status: 502,
                content_type: String::new(),
                content_encoding: String::new(),
                body_len: 0,
            },
            text_answer(StatusCode::BAD_GATEWAY, format!("{url}: {e}")),
        ),
    };
    shared
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(record);
    resp
}
