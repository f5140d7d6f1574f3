//! [`start_http_server`]: a metrics endpoint in the background.
//!
//! The server is hyper's HTTP/1 connection driver under our own accept
//! loop, so that it can bound what clients hold: a header-read timeout, an
//! idle timeout, a cap on connections (the oldest connection with no
//! request in progress gives way to a new one), and a shutdown that never
//! waits more than [`SHUTDOWN_GRACE`] for the connections left.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use promscribe::default_registry;

use crate::SharedRegistry;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch, Notify};
use tokio::time::Instant;

/// How long a stopping server lets requests in progress finish before it
/// closes every connection left.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// How long [`ServerHandle::stop`] waits for the server thread in all (the
/// grace period, then the thread's own end).
const STOP_WAIT: Duration = Duration::from_secs(2);

/// The pause after an accept error that is not about one connection (such
/// as too many open files), so that the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Options of [`start_http_server_with`]: the registry served and the
/// limits that keep slow or silent clients from holding the server. The
/// defaults suit a metrics endpoint scraped by a few Prometheus servers.
///
/// | option | default | |
/// |---|---|---|
/// | [`registry`](Self::registry) | the default registry | what `/metrics` serves |
/// | [`header_read_timeout`](Self::header_read_timeout) | 10 s | time to send a request's headers |
/// | [`idle_timeout`](Self::idle_timeout) | 30 s | time a connection may move no byte with no request in progress |
/// | [`max_connections`](Self::max_connections) | 128 | open connections at once |
/// | [`request_timeout`](Self::request_timeout) | 10 s | time a scrape waits for its collection (then `503`) |
/// | [`compression`](Self::compression) | on | gzip or zstd when the scraper asks for it |
/// | `tls` | none | HTTPS (feature `server-tls`) |
/// | `auth` | none | basic auth or bearer tokens (feature `auth`) |
///
/// ```
/// use std::time::Duration;
/// use promscribe_export::{start_http_server_with, ServerOptions};
///
/// let options = ServerOptions::new()
///     .header_read_timeout(Duration::from_secs(5))
///     .idle_timeout(Duration::from_secs(20))
///     .max_connections(64);
/// let server = start_http_server_with("127.0.0.1:0", options)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "pass the options to start_http_server_with"]
pub struct ServerOptions {
    registry: SharedRegistry,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
    request_timeout: Duration,
    compression: bool,
    #[cfg(feature = "server-tls")]
    tls: Option<crate::TlsConfig>,
    #[cfg(feature = "auth")]
    auth: Option<crate::Auth>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            registry: default_registry().into(),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 128,
            request_timeout: crate::DEFAULT_SCRAPE_TIMEOUT,
            compression: true,
            #[cfg(feature = "server-tls")]
            tls: None,
            #[cfg(feature = "auth")]
            auth: None,
        }
    }
}

impl ServerOptions {
    /// The default options (see the table above).
    ///
    /// ```
    /// let options = promscribe_export::ServerOptions::new();
    /// assert_eq!(options.get_max_connections(), 128);
    /// ```
    pub fn new() -> Self {
        ServerOptions::default()
    }

    /// Serves this registry instead of the default one (Python's
    /// `start_http_server(port, registry=...)`): a `&'static Registry` or
    /// an `Arc<Registry>` the caller keeps.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let registry = Arc::new(promscribe::Registry::new());
    /// let options = promscribe_export::ServerOptions::new().registry(registry.clone());
    /// # let _ = options;
    /// ```
    pub fn registry(mut self, registry: impl Into<SharedRegistry>) -> Self {
        self.registry = registry.into();
        self
    }

    /// The longest a scrape waits for its collection; after that it gets
    /// `503 Service Unavailable` (see
    /// [`ExpositionLayer::timeout`](crate::ExpositionLayer::timeout)).
    /// 10 s by default.
    ///
    /// ```
    /// let options = promscribe_export::ServerOptions::new()
    ///     .request_timeout(std::time::Duration::from_secs(5));
    /// assert_eq!(options.get_request_timeout().as_secs(), 5);
    /// ```
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The request timeout set.
    ///
    /// ```
    /// assert_eq!(promscribe_export::ServerOptions::new().get_request_timeout().as_secs(), 10);
    /// ```
    pub fn get_request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// Compresses answers (gzip or zstd) for scrapers whose
    /// `Accept-Encoding` asks for it (`true`, the default), or never.
    ///
    /// ```
    /// let options = promscribe_export::ServerOptions::new().compression(false);
    /// # let _ = options;
    /// ```
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// Serves HTTPS with this certificate and key (and, if the
    /// [`TlsConfig`](crate::TlsConfig) has a client CA, requires client
    /// certificates).
    ///
    /// ```no_run
    /// use promscribe_export::{ServerOptions, TlsConfig};
    /// let options = ServerOptions::new().tls(TlsConfig::from_pem_files("cert.pem", "key.pem")?);
    /// # let _ = options;
    /// # Ok::<(), promscribe_export::TlsError>(())
    /// ```
    #[cfg(feature = "server-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "server-tls")))]
    pub fn tls(mut self, tls: crate::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Requires these credentials of every request (`401` otherwise).
    ///
    /// ```
    /// use promscribe_export::{Auth, ServerOptions};
    /// let options = ServerOptions::new().auth(Auth::new().bearer_token("token")?);
    /// # let _ = options;
    /// # Ok::<(), promscribe_export::AuthError>(())
    /// ```
    #[cfg(feature = "auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "auth")))]
    pub fn auth(mut self, auth: crate::Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The time a client has to send a request's headers, counted from the
    /// connection's opening or from the end of its previous answer, so it
    /// also bounds how long a kept-alive connection waits for its next
    /// request. The connection is closed when it runs out. 10 s by default.
    ///
    /// ```
    /// let options = promscribe_export::ServerOptions::new()
    ///     .header_read_timeout(std::time::Duration::from_secs(3));
    /// assert_eq!(options.get_header_read_timeout().as_secs(), 3);
    /// ```
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// The time a connection may go without moving a byte, in either
    /// direction, while no request of it is being handled (a client that
    /// stops reading its answer, or sends nothing). The connection is
    /// closed when it runs out. 30 s by default.
    ///
    /// ```
    /// let options = promscribe_export::ServerOptions::new()
    ///     .idle_timeout(std::time::Duration::from_secs(15));
    /// assert_eq!(options.get_idle_timeout().as_secs(), 15);
    /// ```
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The most connections open at once; 128 by default. When a new one
    /// comes at the cap, the oldest connection with no request in progress
    /// is closed to make room, so idle clients cannot lock scrapes out; if
    /// every connection has a request in progress, the new one is closed.
    /// Keep it well below the process's open-file limit (`ulimit -n`).
    ///
    /// ```
    /// let options = promscribe_export::ServerOptions::new().max_connections(16);
    /// assert_eq!(options.get_max_connections(), 16);
    /// ```
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// The header-read timeout set.
    ///
    /// ```
    /// let options = promscribe_export::ServerOptions::new();
    /// assert_eq!(options.get_header_read_timeout().as_secs(), 10);
    /// ```
    pub fn get_header_read_timeout(&self) -> Duration {
        self.header_read_timeout
    }

    /// The idle timeout set.
    ///
    /// ```
    /// let options = promscribe_export::ServerOptions::new();
    /// assert_eq!(options.get_idle_timeout().as_secs(), 30);
    /// ```
    pub fn get_idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// The connection cap set.
    ///
    /// ```
    /// let options = promscribe_export::ServerOptions::new().max_connections(8);
    /// assert_eq!(options.get_max_connections(), 8);
    /// ```
    pub fn get_max_connections(&self) -> usize {
        self.max_connections
    }

    fn check(&self) -> io::Result<()> {
        let invalid = |what: String| Err(io::Error::new(io::ErrorKind::InvalidInput, what));
        if self.header_read_timeout.is_zero() {
            return invalid("metrics server: header_read_timeout must be more than zero".into());
        }
        if self.idle_timeout.is_zero() {
            return invalid("metrics server: idle_timeout must be more than zero".into());
        }
        if self.request_timeout.is_zero() {
            return invalid("metrics server: request_timeout must be more than zero".into());
        }
        if self.max_connections == 0 {
            return invalid("metrics server: max_connections must be at least 1".into());
        }
        Ok(())
    }
}

/// A running background server. Dropping it (or calling
/// [`stop`](ServerHandle::stop)) shuts the server down and waits for its
/// thread; [`detach`](ServerHandle::detach) lets it run until the process
/// exits, like Python's daemon thread.
///
/// Stopping never hangs on a client: requests in progress get a second to
/// finish, then every connection left is closed, and the wait for the
/// server thread is bounded (2 s).
#[must_use = "the server stops when the handle is dropped: keep it in a variable, or call .detach()"]
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
    done: Option<mpsc::Receiver<()>>,
}

impl ServerHandle {
    /// The address the server listens on (useful after binding port 0).
    ///
    /// ```
    /// let server = promscribe_export::start_http_server("127.0.0.1:0").unwrap();
    /// assert_ne!(server.local_addr().port(), 0);
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for it (2 s at most); returns the error
    /// that ended it early, if any. If the server thread is still busy
    /// after that (a collector that never returns), it is left to finish
    /// in the background and a `TimedOut` error says so.
    ///
    /// ```
    /// let server = promscribe_export::start_http_server("127.0.0.1:0").unwrap();
    /// server.stop().unwrap();
    /// ```
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown_and_join()
    }

    /// Lets the server run until the process exits.
    ///
    /// ```
    /// promscribe_export::start_http_server("127.0.0.1:0").unwrap().detach();
    /// ```
    pub fn detach(mut self) {
        // Dropping the thread handle detaches the thread; forgetting the
        // sender keeps the shutdown signal from firing.
        self.thread.take();
        self.done.take();
        if let Some(tx) = self.shutdown.take() {
            std::mem::forget(tx);
        }
    }

    fn shutdown_and_join(&mut self) -> io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let finished = match self.done.take() {
            // Sent (or the sender dropped) when the thread ends.
            Some(done) => !matches!(
                done.recv_timeout(STOP_WAIT),
                Err(mpsc::RecvTimeoutError::Timeout)
            ),
            None => true,
        };
        if !finished {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the metrics server on {} did not stop within {STOP_WAIT:?}; \
                     its thread is left to end in the background",
                    self.addr
                ),
            ));
        }
        thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("metrics server thread panicked")))
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.shutdown_and_join();
    }
}

/// Serves `GET /metrics` (the default registry) on `addr` from a background
/// thread with its own runtime (two worker threads, so scrapes are served
/// in parallel; collections run on its blocking pool), like Python's
/// `start_http_server`, with the default [`ServerOptions`]. The address is
/// bound before this returns, so a port in use is reported here.
///
/// It always uses its own thread, even inside a tokio runtime: a caller
/// that blocks its runtime (a busy loop, `std::thread::sleep`) then cannot
/// starve the endpoint. To serve from your own runtime, merge
/// [`router`](crate::router) into your app instead.
///
/// ```
/// let server = promscribe_export::start_http_server("127.0.0.1:0")?;
/// println!("metrics on http://{}/metrics", server.local_addr());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn start_http_server(addr: impl ToSocketAddrs) -> io::Result<ServerHandle> {
    start_http_server_with(addr, ServerOptions::default())
}

/// [`start_http_server`] with other [`ServerOptions`]: another registry,
/// other timeouts or connection cap. Options that cannot work (a zero
/// timeout or cap) are an `InvalidInput` error.
///
/// ```
/// use promscribe_export::{start_http_server_with, ServerOptions};
/// let server = start_http_server_with("127.0.0.1:0", ServerOptions::new().max_connections(32))?;
/// assert!(start_http_server_with("127.0.0.1:0", ServerOptions::new().max_connections(0)).is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn start_http_server_with(
    addr: impl ToSocketAddrs,
    options: ServerOptions,
) -> io::Result<ServerHandle> {
    options.check()?;
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);
    let thread = std::thread::Builder::new()
        .name("metrics-http".into())
        .spawn(move || -> io::Result<()> {
            let result = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("metrics-http-worker")
                .enable_all()
                .build()
                .and_then(|rt| {
                    let result = rt.block_on(serve(listener, options, rx));
                    // Dropping the runtime drops the connections left.
                    drop(rt);
                    result
                });
            let _ = done_tx.send(());
            result
        })?;
    Ok(ServerHandle {
        addr: local,
        shutdown: Some(tx),
        thread: Some(thread),
        done: Some(done_rx),
    })
}

/// The accept loop, until `stop` fires; then a bounded drain.
async fn serve(
    listener: std::net::TcpListener,
    options: ServerOptions,
    mut stop: oneshot::Receiver<()>,
) -> io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    if options.registry.is_default() {
        // Logs clashing metric names once.
        drop(crate::router::<()>());
    }
    let layer = crate::ExpositionLayer::new()
        .timeout(options.request_timeout)
        .compression(options.compression);
    #[allow(unused_mut)]
    let mut router: axum::Router = crate::router_with(options.registry.clone(), layer);
    #[cfg(feature = "auth")]
    if let Some(auth) = &options.auth {
        router = router.layer(auth.clone());
    }
    let app = TowerToHyperService::new(router);
    #[cfg(feature = "server-tls")]
    let tls = options
        .tls
        .as_ref()
        .map(|tls| tokio_rustls::TlsAcceptor::from(tls.server_config()));
    let table = Arc::new(Table::default());
    let (closing_tx, closing_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut next_id = 0_u64;
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => accepted,
            // Reap finished connections as we go.
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                stream
            }
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                // Out of file descriptors or memory: wait, then retry;
                // connections ending meanwhile free what is needed.
                tracing::warn!(error = %e, "metrics server: cannot accept a connection");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        next_id += 1;
        let Some(conn) = table.admit(next_id, options.max_connections) else {
            // Every connection has a request in progress: refuse this one.
            drop(stream);
            continue;
        };
        let io = Tracked {
            inner: stream,
            conn: conn.clone(),
        };
        let (table, app, options, closing) = (
            table.clone(),
            app.clone(),
            options.clone(),
            closing_rx.clone(),
        );
        #[cfg(feature = "server-tls")]
        if let Some(acceptor) = tls.clone() {
            tasks.spawn(async move {
                // The handshake counts against the header-read timeout.
                let handshake =
                    tokio::time::timeout(options.header_read_timeout, acceptor.accept(io)).await;
                match handshake {
                    Ok(Ok(tls_stream)) => {
                        serve_connection(tls_stream, conn, table, app, options, closing).await
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "metrics server: TLS handshake failed");
                        table.remove(conn.id);
                    }
                    Err(_) => table.remove(conn.id),
                }
            });
            continue;
        }
        tasks.spawn(serve_connection(io, conn, table, app, options, closing));
    }
    drop(listener);
    // Let requests in progress finish, close idle connections, then give
    // up on the rest (dropped with the runtime).
    let _ = closing_tx.send(true);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    Ok(())
}

/// Errors of `accept` that concern one connection only.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// One connection's state, shared by its task, its I/O and the table.
struct Conn {
    id: u64,
    /// Requests of this connection being handled now.
    busy: AtomicUsize,
    /// When a byte last moved, in milliseconds since `born`.
    last_io_ms: AtomicU64,
    born: Instant,
    /// Fired to close the connection at once (to make room for a new one).
    evict: Notify,
}

impl Conn {
    fn touch(&self) {
        let ms = u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_io_ms.store(ms, Ordering::Relaxed);
    }

    fn last_io(&self) -> Instant {
        self.born + Duration::from_millis(self.last_io_ms.load(Ordering::Relaxed))
    }

    fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed) > 0
    }
}

/// The open connections, oldest first.
#[derive(Default)]
struct Table {
    conns: Mutex<VecDeque<Arc<Conn>>>,
}

impl Table {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes room for a new connection (evicting the oldest one with no
    /// request in progress if at `max`) and records it; `None` if every
    /// connection is busy.
    fn admit(&self, id: u64, max: usize) -> Option<Arc<Conn>> {
        let mut conns = self.lock();
        while conns.len() >= max {
            let idle = conns.iter().position(|c| !c.is_busy())?;
            if let Some(victim) = conns.remove(idle) {
                victim.evict.notify_one();
            }
        }
        let conn = Arc::new(Conn {
            id,
            busy: AtomicUsize::new(0),
            last_io_ms: AtomicU64::new(0),
            born: Instant::now(),
            evict: Notify::new(),
        });
        conns.push_back(conn.clone());
        Some(conn)
    }

    fn remove(&self, id: u64) {
        let mut conns = self.lock();
        if let Some(at) = conns.iter().position(|c| c.id == id) {
            conns.remove(at);
        }
    }
}

/// Counts a request as in progress for as long as it lives.
struct BusyGuard(Arc<Conn>);

impl BusyGuard {
    fn new(conn: &Arc<Conn>) -> Self {
        conn.busy.fetch_add(1, Ordering::Relaxed);
        BusyGuard(conn.clone())
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

type App = TowerToHyperService<axum::Router>;

/// Serves one connection until it ends, is evicted, times out, or the
/// server stops.
async fn serve_connection<I>(
    stream: I,
    conn: Arc<Conn>,
    table: Arc<Table>,
    app: App,
    options: ServerOptions,
    mut closing: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let for_requests = conn.clone();
    let service = hyper::service::service_fn(move |req| {
        let guard = BusyGuard::new(&for_requests);
        let answer = hyper::service::Service::call(&app, req);
        async move {
            let answer = answer.await;
            drop(guard);
            answer
        }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .keep_alive(true);
    let connection = http.serve_connection(io, service);
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        // While a request is handled the idle clock does not run.
        let idle_deadline = if conn.is_busy() {
            Instant::now() + options.idle_timeout
        } else {
            conn.last_io() + options.idle_timeout
        };
        tokio::select! {
            _ = connection.as_mut() => break,
            _ = conn.evict.notified() => break,
            changed = closing.changed(), if !draining => {
                draining = true;
                if changed.is_ok() {
                    connection.as_mut().graceful_shutdown();
                }
            }
            _ = tokio::time::sleep_until(idle_deadline) => {
                if !conn.is_busy() && conn.last_io() + options.idle_timeout <= Instant::now() {
                    break;
                }
            }
        }
    }
    table.remove(conn.id);
}

/// A TCP stream that notes when a byte last moved on it.
struct Tracked {
    inner: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.conn.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
