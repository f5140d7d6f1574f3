//! Prometheus Remote Write 1.0: the registry's series sent to a
//! Prometheus-compatible receiver (Prometheus with
//! `--web.enable-remote-write-receiver`, Mimir, Thanos Receive, Cortex,
//! VictoriaMetrics), as Prometheus' own sender does: protobuf
//! `WriteRequest`s compressed with Snappy, batches of at most N samples,
//! 5xx, 429 and connection errors retried with backoff, other refusals
//! dropped and counted, a bounded queue.

// The wire format is reached through the sender only.
#![allow(dead_code)]

mod encode;
mod error;
mod metrics;
pub(crate) mod proto;
mod queue;
mod sender;

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use promscribe::{Collector, Registry};

pub use error::RemoteWriteError;

use self::encode as wire;
use metrics::{Stats, StatsCollector};
use proto::{MetricMetadata, TimeSeries, WriteRequest};
use queue::{group, LastTimestamps, Queue};
use sender::{Client, Deadline, Delivery, Pacer, Tally};
use wire::{series_of, SeriesOptions};

/// Samples per request by default, as Prometheus' `max_samples_per_send`.
///
/// ```
/// assert_eq!(promscribe_export::DEFAULT_REMOTE_WRITE_BATCH, 2_000);
/// ```
pub const DEFAULT_REMOTE_WRITE_BATCH: usize = 2_000;

/// Samples the queue holds by default before it drops the oldest.
///
/// ```
/// assert_eq!(promscribe_export::DEFAULT_REMOTE_WRITE_CAPACITY, 100_000);
/// ```
pub const DEFAULT_REMOTE_WRITE_CAPACITY: usize = 100_000;

/// The default timeout of one request, as Prometheus' `remote_timeout`.
///
/// ```
/// assert_eq!(promscribe_export::DEFAULT_REMOTE_WRITE_TIMEOUT.as_secs(), 30);
/// ```
pub const DEFAULT_REMOTE_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The headers the protocol fixes, which [`RemoteWriteBuilder::header`]
/// cannot override.
const RESERVED_HEADERS: [&str; 4] = [
    "content-encoding",
    "content-type",
    "x-prometheus-remote-write-version",
    "user-agent",
];

/// Metadata (types, help, units) is sent at most this often by a
/// background sender, as Prometheus' `metadata_config.send_interval`.
const METADATA_INTERVAL: Duration = Duration::from_secs(60);

/// At most this many distinct unsendable series are logged by a
/// background sender (all are counted).
const MAX_LOGGED_INVALID: usize = 1_000;

/// Options of a [`RemoteWrite`], checked by [`build`](Self::build).
///
/// ```
/// use std::time::Duration;
/// let rw = promscribe_export::RemoteWrite::builder("https://mimir.example.com/api/v1/push")
///     .batch_size(500)
///     .queue_capacity(50_000)
///     .timeout(Duration::from_secs(10))
///     .bearer_token("s3cr3t")
///     .header("X-Scope-OrgID", "team-a")
///     .build();
/// # #[cfg(feature = "tls")]
/// assert!(rw.is_ok());
/// ```
#[derive(Clone)]
#[must_use = "call .build() to get a RemoteWrite"]
pub struct RemoteWriteBuilder {
    url: String,
    timeout: Duration,
    batch_size: usize,
    queue_capacity: usize,
    min_backoff: Duration,
    max_backoff: Duration,
    flush_timeout: Duration,
    give_up_after: Duration,
    basic_auth: Option<(String, String)>,
    bearer_token: Option<String>,
    headers: Vec<(String, String)>,
    native_histograms: bool,
    #[cfg(feature = "tls")]
    root_certs_pem: Vec<Vec<u8>>,
    #[cfg(feature = "tls")]
    client_cert_files: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl fmt::Debug for RemoteWriteBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteWriteBuilder")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .field("batch_size", &self.batch_size)
            .field("queue_capacity", &self.queue_capacity)
            .field("native_histograms", &self.native_histograms)
            .finish_non_exhaustive()
    }
}

impl RemoteWriteBuilder {
    /// The most samples in one request; 2,000 by default (Prometheus'
    /// `max_samples_per_send`).
    ///
    /// ```
    /// let b = promscribe_export::RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write");
    /// assert!(b.clone().batch_size(100).build().is_ok());
    /// assert!(b.batch_size(0).build().is_err());
    /// ```
    pub fn batch_size(mut self, samples: usize) -> Self {
        self.batch_size = samples;
        self
    }

    /// The most samples a background sender keeps waiting; when full, the
    /// oldest are dropped (and counted in
    /// `prometheus_remote_storage_samples_dropped_total`). 100,000 by
    /// default.
    ///
    /// ```
    /// let b = promscribe_export::RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write");
    /// assert!(b.queue_capacity(10_000).build().is_ok());
    /// ```
    pub fn queue_capacity(mut self, samples: usize) -> Self {
        self.queue_capacity = samples;
        self
    }

    /// The time one request (connect, send, answer) may take; 30 s by
    /// default (Prometheus' `remote_timeout`). A receiver that does not
    /// answer costs the sender's thread this much, then the request is
    /// retried.
    ///
    /// ```
    /// let b = promscribe_export::RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write")
    ///     .timeout(std::time::Duration::from_secs(5));
    /// assert!(b.build().is_ok());
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The waits between retries: `min` after the first failure, doubled
    /// after each further one, at most `max`; 30 ms and 5 s by default
    /// (Prometheus' `min_backoff` and `max_backoff`). A 429 with
    /// `Retry-After` waits what it says (at most 5 minutes) instead.
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = promscribe_export::RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write")
    ///     .backoff(Duration::from_millis(100), Duration::from_secs(30));
    /// assert!(b.build().is_ok());
    /// ```
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max.max(min);
        self
    }

    /// How long a stopped background sender keeps sending what is queued
    /// (retries included) before it drops the rest; 5 s by default.
    ///
    /// ```
    /// let b = promscribe_export::RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write")
    ///     .flush_timeout(std::time::Duration::from_secs(1));
    /// assert!(b.build().is_ok());
    /// ```
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// How long a one-shot [`push`](RemoteWrite::push) keeps retrying
    /// (5xx, 429, connection errors) before it fails; 30 s by default.
    ///
    /// ```
    /// let b = promscribe_export::RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write")
    ///     .give_up_after(std::time::Duration::from_secs(60));
    /// assert!(b.build().is_ok());
    /// ```
    pub fn give_up_after(mut self, time: Duration) -> Self {
        self.give_up_after = time;
        self
    }

    /// Sends HTTP basic authentication.
    ///
    /// ```
    /// let b = promscribe_export::RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write")
    ///     .basic_auth("tenant-1", "secret");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.basic_auth = Some((user.into(), password.into()));
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    ///
    /// ```
    /// let b = promscribe_export::RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write")
    ///     .bearer_token("abc");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(token.into());
        self
    }

    /// Adds a header to every request (e.g. `X-Scope-OrgID` for Mimir or
    /// Cortex). The headers the protocol fixes (`Content-Encoding`,
    /// `Content-Type`, `X-Prometheus-Remote-Write-Version`, `User-Agent`)
    /// are refused by [`build`](Self::build) with an error naming them.
    ///
    /// ```
    /// use promscribe_export::{RemoteWrite, RemoteWriteError};
    /// let url = "http://127.0.0.1:9090/api/v1/write";
    /// assert!(RemoteWrite::builder(url).header("X-Scope-OrgID", "a").build().is_ok());
    /// let err = RemoteWrite::builder(url).header("user-agent", "me").build().unwrap_err();
    /// assert!(err.to_string().contains("user-agent"), "{err}");
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends the native buckets of histograms (a [`Histogram`] made
    /// [`with_native`](promscribe::Histogram::with_native), or a
    /// collector's [`NativeBuckets`](promscribe::NativeBuckets)) as native
    /// histograms: one series named as the histogram, holding count, sum,
    /// schema, zero bucket and buckets, counted as one sample in batches
    /// and in the queue. A histogram without classic buckets then sends no
    /// `_bucket`, `_count` or `_sum` series; one with both keeps its
    /// classic series beside the native one. Off by default: the receiver
    /// must accept native histograms (Prometheus started with
    /// `--enable-feature=native-histograms`, Mimir, ...); one that does
    /// not refuses every request carrying one. Off, a native-only
    /// histogram is sent as a text scrape stores it (`_count`, `_sum` and
    /// the `+Inf` bucket).
    ///
    /// [`Histogram`]: promscribe::Histogram
    ///
    /// ```
    /// let b = promscribe_export::RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write")
    ///     .native_histograms(true);
    /// assert!(b.build().is_ok());
    /// ```
    pub fn native_histograms(mut self, on: bool) -> Self {
        self.native_histograms = on;
        self
    }

    /// Trusts this PEM root certificate (e.g. a private CA) for an
    /// `https` receiver, instead of the bundled WebPKI roots. May be
    /// called again to add more; needs the `tls` feature.
    ///
    /// ```no_run
    /// let pem = std::fs::read("/etc/ssl/private-ca.pem")?;
    /// let rw = promscribe_export::RemoteWrite::builder("https://receiver.internal/api/v1/write")
    ///     .add_root_certificate_pem(pem)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certs_pem.push(pem.into());
        self
    }

    /// Presents this client certificate (mutual TLS): `cert` a PEM file
    /// with the certificate then any intermediates, `key` a PEM file with
    /// its private key. Read by [`build`](Self::build), whose error names
    /// a file that cannot be read. Needs the `tls` feature.
    ///
    /// ```
    /// let err = promscribe_export::RemoteWrite::builder("https://receiver.internal/api/v1/write")
    ///     .client_certificate_files("/etc/pki/rw/client.crt", "/etc/pki/rw/client.key")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("/etc/pki/rw/client.crt"), "{err}");
    /// ```
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn client_certificate_files(
        mut self,
        cert: impl Into<std::path::PathBuf>,
        key: impl Into<std::path::PathBuf>,
    ) -> Self {
        self.client_cert_files = Some((cert.into(), key.into()));
        self
    }

    /// Checks the options and makes the [`RemoteWrite`].
    ///
    /// ```
    /// use promscribe_export::RemoteWrite;
    /// assert!(RemoteWrite::builder("ftp://host/write").build().is_err());
    /// assert!(RemoteWrite::builder("127.0.0.1:9090").build().is_err());
    /// ```
    pub fn build(self) -> Result<RemoteWrite, RemoteWriteError> {
        let url = check_url(&self.url)?;
        if url.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(RemoteWriteError::Tls(format!(
                "`{url}` is https, but promscribe-export was built without its `tls` feature"
            )));
        }
        if self.batch_size == 0 {
            return Err(RemoteWriteError::InvalidOption(
                "the batch size must be at least 1 sample".into(),
            ));
        }
        if self.queue_capacity == 0 {
            return Err(RemoteWriteError::InvalidOption(
                "the queue capacity must be at least 1 sample".into(),
            ));
        }
        if self.timeout.is_zero() {
            return Err(RemoteWriteError::InvalidOption(
                "the timeout must be longer than zero".into(),
            ));
        }
        if let Some((name, _)) = self
            .headers
            .iter()
            .find(|(name, _)| RESERVED_HEADERS.contains(&name.trim().to_ascii_lowercase().as_str()))
        {
            return Err(RemoteWriteError::ReservedHeader { name: name.clone() });
        }
        let authorization = match (&self.basic_auth, &self.bearer_token) {
            (Some(_), Some(_)) => {
                return Err(RemoteWriteError::InvalidOption(
                    "basic auth and a bearer token cannot both be set".into(),
                ))
            }
            (Some((user, password)), None) => Some(format!(
                "Basic {}",
                STANDARD.encode(format!("{user}:{password}"))
            )),
            (None, Some(token)) => Some(format!("Bearer {token}")),
            (None, None) => None,
        };
        let headers = crate::push::sink_headers(&self.headers, authorization)
            .map_err(|(name, reason)| RemoteWriteError::InvalidHeader { name, reason })?;
        let agent = crate::push::sink_agent(
            self.timeout,
            concat!("promscribe/", env!("CARGO_PKG_VERSION")),
            #[cfg(feature = "tls")]
            &self.root_certs_pem,
            #[cfg(feature = "tls")]
            self.client_cert_files.as_ref(),
        )
        .map_err(|e| match e {
            crate::PushError::Tls(reason) => RemoteWriteError::Tls(reason),
            other => RemoteWriteError::Tls(other.to_string()),
        })?;
        Ok(RemoteWrite {
            inner: Arc::new(Inner {
                client: Client {
                    url,
                    agent,
                    headers,
                    timeout: self.timeout,
                },
                batch_size: self.batch_size,
                queue_capacity: self.queue_capacity,
                min_backoff: self.min_backoff,
                max_backoff: self.max_backoff,
                flush_timeout: self.flush_timeout,
                give_up_after: self.give_up_after,
                series_options: SeriesOptions {
                    native_histograms: self.native_histograms,
                    ..SeriesOptions::default()
                },
                stats: Arc::new(Stats::default()),
            }),
        })
    }
}

/// A remote-write URL: `http` or `https`, a host, no credentials.
fn check_url(url: &str) -> Result<String, RemoteWriteError> {
    let invalid = |reason: &str| RemoteWriteError::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = url.trim();
    let parsed: ureq::http::Uri = trimmed
        .parse()
        .map_err(|e: ureq::http::uri::InvalidUri| invalid(&format!("not a valid URL: {e}")))?;
    match parsed.scheme_str() {
        Some("http" | "https") => {}
        Some(_) => return Err(invalid("only the http and https schemes are supported")),
        None => {
            return Err(invalid(
                "no scheme; give the whole URL, e.g. http://host:9090/api/v1/write",
            ))
        }
    }
    let authority = parsed.authority().ok_or_else(|| invalid("no host"))?;
    if authority.as_str().contains('@') {
        return Err(invalid(
            "credentials in the URL are not supported; use basic_auth",
        ));
    }
    if parsed.host().unwrap_or("").is_empty() {
        return Err(invalid("no host"));
    }
    Ok(trimmed.to_owned())
}

struct Inner {
    client: Client,
    batch_size: usize,
    queue_capacity: usize,
    min_backoff: Duration,
    max_backoff: Duration,
    flush_timeout: Duration,
    give_up_after: Duration,
    series_options: SeriesOptions,
    stats: Arc<Stats>,
}

/// A remote-write receiver and how to send to it: one-shot
/// [`push`](Self::push) (blocking, for batch jobs),
/// [`push_async`](Self::push_async), or a background sender,
/// [`start`](Self::start). Cheap to clone; keeps idle connections for
/// reuse; goes through the proxy named by `HTTP_PROXY`, `HTTPS_PROXY` or
/// `ALL_PROXY` (but `NO_PROXY`). Every request carries
/// `Content-Encoding: snappy`, `Content-Type: application/x-protobuf`,
/// `X-Prometheus-Remote-Write-Version: 0.1.0` and
/// `User-Agent: promscribe/<version>`.
///
/// ```no_run
/// use std::time::Duration;
/// use promscribe_export::RemoteWrite;
///
/// let rw = RemoteWrite::new("http://127.0.0.1:9090/api/v1/write")?;
/// // Every 15 s from a background thread, until `sender` is dropped.
/// let sender = rw.start(promscribe::default_registry(), Duration::from_secs(15))?;
/// # drop(sender);
/// # Ok::<(), promscribe_export::RemoteWriteError>(())
/// ```
#[derive(Clone)]
pub struct RemoteWrite {
    inner: Arc<Inner>,
}

impl fmt::Debug for RemoteWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteWrite")
            .field("url", &self.inner.client.url)
            .field("batch_size", &self.inner.batch_size)
            .field("queue_capacity", &self.inner.queue_capacity)
            .finish_non_exhaustive()
    }
}

/// What a one-shot [`push`](RemoteWrite::push) did.
///
/// ```no_run
/// let rw = promscribe_export::RemoteWrite::new("http://127.0.0.1:9090/api/v1/write")?;
/// let report = rw.push(promscribe::default_registry())?;
/// println!("{} samples in {} requests", report.samples_sent, report.requests);
/// for refused in &report.rejected {
///     eprintln!("{refused}");
/// }
/// # Ok::<(), promscribe_export::RemoteWriteError>(())
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct PushReport {
    /// Samples the receiver accepted.
    pub samples_sent: u64,
    /// Samples not stored: the series in [`rejected`](Self::rejected).
    pub samples_failed: u64,
    /// Requests made, retries and splits included.
    pub requests: u64,
    /// Requests made again after a 5xx, a 429 or a connection error.
    pub retries: u64,
    /// The series left out: refused by the receiver alone
    /// ([`RemoteWriteError::Rejected`]; the other series of their batch
    /// were stored), or unsendable ([`RemoteWriteError::Series`]).
    pub rejected: Vec<RemoteWriteError>,
}

/// A gathering turned into series, ready to send.
struct Prepared {
    series: Vec<TimeSeries>,
    metadata: Vec<MetricMetadata>,
    errors: Vec<RemoteWriteError>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl RemoteWrite {
    /// A receiver with the default options: `url` is the whole URL of its
    /// write endpoint (Prometheus: `http://host:9090/api/v1/write`).
    ///
    /// ```
    /// use promscribe_export::RemoteWrite;
    /// let rw = RemoteWrite::new("http://127.0.0.1:9090/api/v1/write")?;
    /// assert_eq!(rw.url(), "http://127.0.0.1:9090/api/v1/write");
    /// # Ok::<(), promscribe_export::RemoteWriteError>(())
    /// ```
    pub fn new(url: &str) -> Result<RemoteWrite, RemoteWriteError> {
        RemoteWrite::builder(url).build()
    }

    /// A builder, to set options before
    /// [`build`](RemoteWriteBuilder::build).
    ///
    /// ```
    /// let rw = promscribe_export::RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write")
    ///     .batch_size(1_000)
    ///     .build()?;
    /// # Ok::<(), promscribe_export::RemoteWriteError>(())
    /// ```
    pub fn builder(url: impl Into<String>) -> RemoteWriteBuilder {
        RemoteWriteBuilder {
            url: url.into(),
            timeout: DEFAULT_REMOTE_WRITE_TIMEOUT,
            batch_size: DEFAULT_REMOTE_WRITE_BATCH,
            queue_capacity: DEFAULT_REMOTE_WRITE_CAPACITY,
            min_backoff: Duration::from_millis(30),
            max_backoff: Duration::from_secs(5),
            flush_timeout: Duration::from_secs(5),
            give_up_after: Duration::from_secs(30),
            basic_auth: None,
            bearer_token: None,
            headers: Vec::new(),
            native_histograms: false,
            #[cfg(feature = "tls")]
            root_certs_pem: Vec::new(),
            #[cfg(feature = "tls")]
            client_cert_files: None,
        }
    }

    /// The receiver's URL.
    ///
    /// ```
    /// let rw = promscribe_export::RemoteWrite::new("http://127.0.0.1:9090/api/v1/write")?;
    /// assert!(rw.url().ends_with("/api/v1/write"));
    /// # Ok::<(), promscribe_export::RemoteWriteError>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.inner.client.url
    }

    /// Sends every series of `registry` once, now, in batches, and waits
    /// for the answers: for batch jobs. Recoverable failures (5xx, 429,
    /// connection errors) are retried with backoff for at most
    /// [`give_up_after`](RemoteWriteBuilder::give_up_after). A series the
    /// receiver refuses (400, e.g. out of order) is found by splitting its
    /// batch and left out, the others stored: it is listed in the report.
    /// Fails, naming the URL and status, on any other refusal (401, 404,
    /// ...) or when the retries are given up.
    ///
    /// ```no_run
    /// use promscribe::{Gauge, Registry};
    /// let registry = Registry::new();
    /// let g = Gauge::new("job_last_success_unixtime", "Last time the job succeeded")?;
    /// registry.register(g.clone())?;
    /// g.set_to_current_time();
    /// let rw = promscribe_export::RemoteWrite::new("http://127.0.0.1:9090/api/v1/write")?;
    /// let report = rw.push(&registry)?;
    /// assert!(report.rejected.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push(&self, registry: &Registry) -> Result<PushReport, RemoteWriteError> {
        let prepared = self.prepare(registry);
        self.deliver_prepared(prepared)
    }

    /// [`push`](Self::push) for async code: the registry is gathered
    /// here, the requests run on a blocking thread (tokio's blocking pool
    /// inside a tokio runtime, a new thread otherwise), so the executor
    /// never stalls. Dropping the future abandons the answer, not the
    /// requests.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), promscribe_export::RemoteWriteError> {
    /// let rw = promscribe_export::RemoteWrite::new("http://127.0.0.1:9090/api/v1/write")?;
    /// let report = rw.push_async(promscribe::default_registry()).await?;
    /// # let _ = report;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "push-async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "push-async")))]
    pub async fn push_async(&self, registry: &Registry) -> Result<PushReport, RemoteWriteError> {
        let prepared = self.prepare(registry);
        let this = self.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            return handle
                .spawn_blocking(move || this.deliver_prepared(prepared))
                .await
                .map_err(|e| RemoteWriteError::Thread(e.to_string()))?;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("promscribe-remote-write".into())
            .spawn(move || {
                let _ = tx.send(this.deliver_prepared(prepared));
            })
            .map_err(|e| RemoteWriteError::Thread(e.to_string()))?;
        rx.await.map_err(|_| {
            RemoteWriteError::Thread("the push thread ended without an answer".into())
        })?
    }

    fn prepare(&self, registry: &Registry) -> Prepared {
        let families = registry.gather();
        let (series, metadata, errors) = series_of(&families, now_ms(), &self.inner.series_options);
        Prepared {
            series,
            metadata,
            errors: errors.into_iter().map(RemoteWriteError::from).collect(),
        }
    }

    fn deliver_prepared(&self, prepared: Prepared) -> Result<PushReport, RemoteWriteError> {
        let inner = &*self.inner;
        let Prepared {
            series,
            mut metadata,
            errors,
        } = prepared;
        Stats::add(&inner.stats.invalid_series, errors.len() as u64);
        let mut queue = Queue::new(usize::MAX);
        for item in LastTimestamps::default().admit(series) {
            queue.push(item);
        }
        let pacer = Deadline(Instant::now() + inner.give_up_after);
        let mut delivery = self.delivery(&pacer);
        while !queue.is_empty() || !metadata.is_empty() {
            let batch = group(queue.take(inner.batch_size));
            delivery.deliver(WriteRequest {
                timeseries: batch,
                metadata: std::mem::take(&mut metadata),
            });
            if delivery.tally.fatal.is_some() {
                let left = queue.clear() as u64;
                Stats::add(&inner.stats.failed, left);
                break;
            }
        }
        let Tally {
            requests,
            retries,
            sent,
            failed,
            mut rejected,
            fatal,
        } = delivery.tally;
        if let Some(error) = fatal {
            return Err(error);
        }
        rejected.extend(errors);
        Ok(PushReport {
            samples_sent: sent,
            samples_failed: failed,
            requests,
            retries,
            rejected,
        })
    }

    fn delivery<'a>(&'a self, pacer: &'a dyn Pacer) -> Delivery<'a> {
        Delivery {
            client: &self.inner.client,
            stats: &self.inner.stats,
            pacer,
            min_backoff: self.inner.min_backoff,
            max_backoff: self.inner.max_backoff,
            tally: Tally::default(),
        }
    }

    /// Sends `registry` every `interval` from a background thread: the
    /// registry is gathered on that thread at a fixed rate (the first
    /// time now; a slot missed is skipped), its new values queued (a
    /// series whose timestamp did not advance is not sent again; the
    /// oldest are dropped when the queue is full), and a second thread
    /// sends the queue in order, in batches, retrying recoverable failures
    /// with backoff for as long as it runs. The instrumented code never
    /// waits for any of it: a receiver that is down, slow or silent only
    /// delays the sending thread.
    ///
    /// The sender's figures are registered in `registry` as
    /// `prometheus_remote_storage_samples_total`, `…_samples_failed_total`,
    /// `…_samples_retried_total`, `…_samples_dropped_total`,
    /// `…_samples_pending` and
    /// `…_queue_highest_sent_timestamp_seconds` (label `url`), and
    /// `promscribe_remote_storage_invalid_series_total` for series that
    /// cannot be sent; a second sender on the same registry keeps its
    /// figures to itself (logged).
    ///
    /// Sending stops when the handle is [stopped](RemoteWriteHandle::stop)
    /// or dropped: the registry is gathered one last time and what is
    /// queued is sent, for at most
    /// [`flush_timeout`](RemoteWriteBuilder::flush_timeout).
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let registry = Arc::new(promscribe::Registry::new());
    /// let rw = promscribe_export::RemoteWrite::new("http://127.0.0.1:9090/api/v1/write")?;
    /// let sender = rw.start(Arc::clone(&registry), Duration::from_secs(15))?;
    /// // ... the program runs ...
    /// sender.stop();
    /// # Ok::<(), promscribe_export::RemoteWriteError>(())
    /// ```
    pub fn start<R>(
        &self,
        registry: R,
        interval: Duration,
    ) -> Result<RemoteWriteHandle, RemoteWriteError>
    where
        R: Borrow<Registry> + Clone + Send + 'static,
    {
        if interval.is_zero() {
            return Err(RemoteWriteError::InvalidOption(
                "the interval must be longer than zero".into(),
            ));
        }
        let collector: Arc<dyn Collector> = Arc::new(StatsCollector {
            url: self.inner.client.url.clone(),
            stats: Arc::clone(&self.inner.stats),
        });
        let registered = match registry.borrow().register(Arc::clone(&collector)) {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, url = %self.url(), "remote write: the sender's own metrics are not registered");
                false
            }
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: Queue::new(self.inner.queue_capacity),
                metadata: Vec::new(),
                stop_deadline: None,
                gathering: true,
            }),
            cond: Condvar::new(),
        });
        let gatherer = {
            let this = self.clone();
            let shared = Arc::clone(&shared);
            let registry = registry.clone();
            std::thread::Builder::new()
                .name("promscribe-rw-gather".into())
                .spawn(move || this.gather_loop(registry.borrow(), interval, &shared))
                .map_err(|e| RemoteWriteError::Thread(e.to_string()))?
        };
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let sender = {
            let this = self.clone();
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("promscribe-rw-send".into())
                .spawn(move || {
                    this.send_loop(&shared);
                    drop(done_tx);
                })
        };
        let sender = match sender {
            Ok(t) => t,
            Err(e) => {
                shared.stop(Instant::now());
                let _ = gatherer.join();
                return Err(RemoteWriteError::Thread(e.to_string()));
            }
        };
        let unregister: Box<dyn FnOnce() + Send> = Box::new(move || {
            if registered {
                registry.borrow().unregister(&collector);
            }
        });
        Ok(RemoteWriteHandle {
            shared,
            gatherer: Some(gatherer),
            sender: Some(sender),
            done: done_rx,
            flush_timeout: self.inner.flush_timeout,
            request_timeout: self.inner.client.timeout,
            unregister: Some(unregister),
        })
    }

    fn gather_loop(&self, registry: &Registry, interval: Duration, shared: &Shared) {
        let mut last = LastTimestamps::default();
        let mut logged: HashSet<String> = HashSet::new();
        let mut metadata_at: Option<Instant> = None;
        let mut next = Instant::now();
        loop {
            let stopped = shared.wait_stop_until(next);
            let now = Instant::now();
            next = next_slot(next, now, interval);
            let Prepared {
                series,
                metadata,
                errors,
            } = self.prepare(registry);
            Stats::add(&self.inner.stats.invalid_series, errors.len() as u64);
            for error in errors {
                let text = error.to_string();
                if logged.len() < MAX_LOGGED_INVALID && logged.insert(text) {
                    tracing::warn!(%error, "remote write: a series cannot be sent");
                }
            }
            let items = last.admit(series);
            let send_metadata =
                metadata_at.is_none_or(|t| now.duration_since(t) >= METADATA_INTERVAL);
            {
                let mut state = shared.lock();
                let mut dropped = 0;
                for item in items {
                    dropped += state.queue.push(item);
                }
                if send_metadata && !metadata.is_empty() {
                    state.metadata = metadata;
                    metadata_at = Some(now);
                }
                if stopped {
                    state.gathering = false;
                }
                Stats::add(&self.inner.stats.dropped, dropped);
                self.inner
                    .stats
                    .pending
                    .store(state.queue.len() as u64, Ordering::Relaxed);
                if dropped > 0 {
                    tracing::warn!(
                        dropped,
                        "remote write: queue full, the oldest samples dropped"
                    );
                }
            }
            shared.cond.notify_all();
            if stopped {
                return;
            }
        }
    }

    fn send_loop(&self, shared: &Shared) {
        let inner = &*self.inner;
        loop {
            let (batch, metadata) = {
                let mut state = shared.lock();
                loop {
                    let past_deadline = state.stop_deadline.is_some_and(|d| Instant::now() >= d);
                    if past_deadline {
                        let left = state.queue.clear() as u64;
                        Stats::add(&inner.stats.failed, left);
                        inner.stats.pending.store(0, Ordering::Relaxed);
                        if left > 0 {
                            tracing::warn!(
                                samples = left,
                                "remote write: stopped with samples still queued, dropped"
                            );
                        }
                        return;
                    }
                    if !state.queue.is_empty() {
                        break;
                    }
                    if !state.gathering {
                        return;
                    }
                    state = match state.stop_deadline {
                        Some(d) => {
                            let wait = d.saturating_duration_since(Instant::now());
                            shared
                                .cond
                                .wait_timeout(state, wait)
                                .unwrap_or_else(PoisonError::into_inner)
                                .0
                        }
                        None => shared
                            .cond
                            .wait(state)
                            .unwrap_or_else(PoisonError::into_inner),
                    };
                }
                let batch = state.queue.take(inner.batch_size);
                inner
                    .stats
                    .pending
                    .store(state.queue.len() as u64, Ordering::Relaxed);
                (batch, std::mem::take(&mut state.metadata))
            };
            let mut delivery = self.delivery(shared);
            delivery.deliver(WriteRequest {
                timeseries: group(batch),
                metadata,
            });
        }
    }
}

/// Fixed rate: the first slot after `now` on the grid `slot + k * interval`,
/// skipping the slots a slow gathering has missed.
fn next_slot(slot: Instant, now: Instant, interval: Duration) -> Instant {
    if slot > now {
        return slot;
    }
    let behind = now.duration_since(slot).as_nanos();
    let step = interval.as_nanos().max(1);
    let missed = u32::try_from(behind / step + 1).unwrap_or(u32::MAX);
    slot + interval.saturating_mul(missed)
}

/// What the gathering and the sending threads share.
struct Shared {
    state: Mutex<State>,
    cond: Condvar,
}

struct State {
    queue: Queue,
    /// The families' metadata, sent with the next batch.
    metadata: Vec<MetricMetadata>,
    /// Set by a stop: until when the queue is still sent.
    stop_deadline: Option<Instant>,
    /// Whether the gathering thread may still queue more.
    gathering: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stop(&self, deadline: Instant) {
        let mut state = self.lock();
        if state.stop_deadline.is_none() {
            state.stop_deadline = Some(deadline);
        }
        drop(state);
        self.cond.notify_all();
    }

    /// Waits until `deadline` or a stop; whether stopped.
    fn wait_stop_until(&self, deadline: Instant) -> bool {
        let mut state = self.lock();
        loop {
            if state.stop_deadline.is_some() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self
                .cond
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// The background sender's retries wait on the shared state, so that a
/// stop cuts a long wait down to the flush deadline.
impl Pacer for Shared {
    fn wait(&self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        let mut state = self.lock();
        loop {
            let now = Instant::now();
            if let Some(d) = state.stop_deadline {
                if now >= d || until >= d {
                    if now < d && until >= d {
                        // Wait for the deadline itself, then give up.
                        state = self
                            .cond
                            .wait_timeout(state, d - now)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0;
                        continue;
                    }
                    return false;
                }
            }
            if now >= until {
                return true;
            }
            state = self
                .cond
                .wait_timeout(state, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// The background sender started by [`RemoteWrite::start`]. Dropping it,
/// or calling [`stop`](Self::stop), stops it after a last gathering and a
/// flush of the queue.
///
/// ```no_run
/// use std::time::Duration;
/// let rw = promscribe_export::RemoteWrite::new("http://127.0.0.1:9090/api/v1/write")?;
/// {
///     let _sender = rw.start(promscribe::default_registry(), Duration::from_secs(15))?;
///     // ... sends every 15 s while `_sender` lives ...
/// } // dropped: the queue is flushed, then sending stops
/// # Ok::<(), promscribe_export::RemoteWriteError>(())
/// ```
#[must_use = "sending stops when the handle is dropped: keep it in a variable, or call .detach()"]
pub struct RemoteWriteHandle {
    shared: Arc<Shared>,
    gatherer: Option<JoinHandle<()>>,
    sender: Option<JoinHandle<()>>,
    done: mpsc::Receiver<()>,
    flush_timeout: Duration,
    request_timeout: Duration,
    unregister: Option<Box<dyn FnOnce() + Send>>,
}

impl fmt::Debug for RemoteWriteHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteWriteHandle")
            .field("running", &self.sender.is_some())
            .finish_non_exhaustive()
    }
}

impl RemoteWriteHandle {
    /// Stops: gathers the registry one last time, sends what is queued
    /// for at most the flush timeout (then drops the rest, counted as
    /// failed), and unregisters the sender's metrics. Returns by then,
    /// plus at most one request's timeout for a request in flight (which
    /// otherwise finishes alone).
    ///
    /// ```no_run
    /// let rw = promscribe_export::RemoteWrite::new("http://127.0.0.1:9090/api/v1/write")?;
    /// let sender = rw.start(promscribe::default_registry(), std::time::Duration::from_secs(15))?;
    /// sender.stop();
    /// # Ok::<(), promscribe_export::RemoteWriteError>(())
    /// ```
    pub fn stop(mut self) {
        self.stop_and_join();
    }

    /// Lets the sender run until the process exits (nothing is flushed
    /// at exit).
    ///
    /// ```no_run
    /// promscribe_export::RemoteWrite::new("http://127.0.0.1:9090/api/v1/write")?
    ///     .start(promscribe::default_registry(), std::time::Duration::from_secs(15))?
    ///     .detach();
    /// # Ok::<(), promscribe_export::RemoteWriteError>(())
    /// ```
    pub fn detach(mut self) {
        self.gatherer.take();
        self.sender.take();
        self.unregister.take();
    }

    fn stop_and_join(&mut self) {
        let Some(sender) = self.sender.take() else {
            return;
        };
        let started = Instant::now();
        self.shared.stop(started + self.flush_timeout);
        if let Some(gatherer) = self.gatherer.take() {
            let _ = gatherer.join();
        }
        let wait = (started + self.flush_timeout + self.request_timeout)
            .saturating_duration_since(Instant::now());
        if let Err(mpsc::RecvTimeoutError::Disconnected) = self.done.recv_timeout(wait) {
            let _ = sender.join();
        }
        if let Some(unregister) = self.unregister.take() {
            unregister();
        }
    }
}

impl Drop for RemoteWriteHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_headers_are_refused_by_name() {
        for name in [
            "Content-Encoding",
            "content-type",
            "X-Prometheus-Remote-Write-Version",
            "User-Agent",
        ] {
            let err = RemoteWrite::builder("http://127.0.0.1:1/api/v1/write")
                .header(name, "x")
                .build()
                .expect_err("reserved");
            assert!(
                matches!(&err, RemoteWriteError::ReservedHeader { name: n } if n == name),
                "{err}"
            );
        }
    }

    #[test]
    fn urls_are_checked() {
        for bad in [
            "",
            "127.0.0.1:9090",
            "ftp://h/w",
            "http://u:p@h/w",
            "http:///w",
        ] {
            assert!(RemoteWrite::new(bad).is_err(), "{bad}");
        }
        assert!(RemoteWrite::new("http://[::1]:9090/api/v1/write?tenant=a").is_ok());
    }

    #[test]
    fn a_zero_interval_is_refused() {
        let rw = RemoteWrite::new("http://127.0.0.1:1/api/v1/write").expect("valid");
        let err = rw
            .start(Arc::new(Registry::new()), Duration::ZERO)
            .expect_err("zero");
        assert!(matches!(err, RemoteWriteError::InvalidOption(_)));
    }

    #[test]
    fn next_slot_skips_missed_slots() {
        let t0 = Instant::now();
        let i = Duration::from_millis(100);
        assert_eq!(next_slot(t0 + i, t0, i), t0 + i);
        assert_eq!(
            next_slot(t0, t0 + Duration::from_millis(250), i),
            t0 + 3 * i
        );
    }
}
