//! [`start_http_server`]: a metrics endpoint in the background.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// A running background server. Dropping it (or calling
/// [`stop`](ServerHandle::stop)) shuts the server down and waits for its
/// thread; [`detach`](ServerHandle::detach) lets it run until the process
/// exits, like Python's daemon thread.
#[must_use = "the server stops when the handle is dropped: keep it in a variable, or call .detach()"]
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
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

    /// Stops the server and waits for it; returns the error that ended it
    /// early, if any.
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
        if let Some(tx) = self.shutdown.take() {
            std::mem::forget(tx);
        }
    }

    fn shutdown_and_join(&mut self) -> io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("metrics server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.shutdown_and_join();
    }
}

/// Serves `GET /metrics` (the default registry) on `addr` from a background
/// thread with its own single-threaded runtime, like Python's
/// `start_http_server`. The address is bound before this returns, so a
/// port in use is reported here.
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
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("metrics-http".into())
        .spawn(move || -> io::Result<()> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let app: axum::Router = crate::router();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = rx.await;
                    })
                    .await
            })
        })?;
    Ok(ServerHandle {
        addr: local,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}
