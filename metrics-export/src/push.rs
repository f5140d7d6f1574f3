//! Pushing to a Prometheus [Pushgateway](https://github.com/prometheus/pushgateway),
//! with the semantics of Python's `push_to_gateway`, `pushadd_to_gateway`
//! and `delete_from_gateway`.
//!
//! | call | HTTP | effect on the group (job + grouping key) |
//! |---|---|---|
//! | [`push`](Pushgateway::push) | `PUT` | replaces every metric of the group |
//! | [`pushadd`](Pushgateway::pushadd) | `POST` | replaces only the metrics with the same names |
//! | [`delete`](Pushgateway::delete) | `DELETE` | removes the group |
//!
//! Every call exists blocking (for batch jobs and a plain `main`) and
//! `async` (`push_async`, ...: for tokio applications); both use the same
//! HTTP client ([ureq](https://docs.rs/ureq)), the async ones on a blocking
//! thread so that the caller's executor never stalls.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use promscribe::{encode_text, is_valid_legacy_label_name, Registry, TEXT_CONTENT_TYPE};
use ureq::http::{HeaderName, HeaderValue};

/// The default timeout of a push, as in Python's client.
///
/// ```
/// assert_eq!(promscribe_export::DEFAULT_PUSH_TIMEOUT.as_secs(), 30);
/// ```
pub const DEFAULT_PUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// At most this much of a refusal's body is kept as its reason.
const MAX_REASON_BYTES: u64 = 64 * 1024;

/// Characters left as they are in a path segment: the unreserved ones of
/// RFC 3986 (`A-Z a-z 0-9 - . _ ~`); everything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a push, push-add or delete failed. A refusal by the gateway
/// carries its status and reason:
///
/// ```no_run
/// use promscribe_export::{push_to_gateway, GroupingKey, PushError};
/// let registry = promscribe::Registry::new();
/// match push_to_gateway("localhost:9091", "batchA", &GroupingKey::new(), &registry) {
///     Ok(()) => {}
///     Err(PushError::Status { status, reason, .. }) => eprintln!("refused ({status}): {reason}"),
///     Err(e) => eprintln!("push failed: {e}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The gateway address could not be understood.
    #[error("invalid Pushgateway address `{address}`: {reason}")]
    InvalidGateway {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The job name or a grouping key label is unusable.
    #[error("invalid grouping key: {0}")]
    InvalidGroupingKey(String),
    /// An extra header's name or value is not valid HTTP.
    #[error("invalid HTTP header `{name}`: {reason}")]
    InvalidHeader {
        /// The header name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A TLS option is unusable (e.g. a certificate that is not PEM), or
    /// an `https` gateway was given without the `tls` feature.
    #[error("TLS: {0}")]
    Tls(String),
    /// No complete answer came within the timeout.
    #[error("{method} {url}: no answer within {timeout:?}")]
    Timeout {
        /// The HTTP method.
        method: &'static str,
        /// The URL of the group.
        url: String,
        /// The configured timeout.
        timeout: Duration,
    },
    /// The request could not be sent or its answer not read (connection
    /// refused, unknown host, TLS handshake failure, ...).
    #[error("{method} {url}: {source}")]
    Transport {
        /// The HTTP method.
        method: &'static str,
        /// The URL of the group.
        url: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The gateway answered with a status other than 2xx.
    #[error("{method} {url}: the Pushgateway answered {status}: {reason}")]
    Status {
        /// The HTTP method.
        method: &'static str,
        /// The URL of the group.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The gateway's explanation (its answer's body, trimmed), e.g.
        /// `pushed metrics must not have timestamps`.
        reason: String,
    },
    /// The blocking thread running an async call was lost.
    #[error("the thread running the push was lost: {0}")]
    Thread(String),
}

impl PushError {
    /// The HTTP status of a refusal, if the gateway answered one.
    ///
    /// ```
    /// let err = promscribe_export::PushError::InvalidGroupingKey("empty job".into());
    /// assert_eq!(err.status(), None);
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            PushError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The gateway's reason text of a refusal, if it answered one.
    ///
    /// ```
    /// let err = promscribe_export::PushError::InvalidGroupingKey("empty job".into());
    /// assert_eq!(err.reason(), None);
    /// ```
    pub fn reason(&self) -> Option<&str> {
        match self {
            PushError::Status { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// The labels, besides `job`, that identify a group of pushed metrics.
/// Insertion order is kept by [`iter`](GroupingKey::iter); a label inserted
/// twice keeps its first place and its last value. The URL of a group lists
/// the labels sorted by name, as Python's client does.
///
/// ```
/// use promscribe_export::GroupingKey;
/// let key = GroupingKey::new().with("instance", "db-1").with("path", "/var/lib");
/// assert_eq!(key.get("path"), Some("/var/lib"));
/// let same: GroupingKey = [("instance", "db-1"), ("path", "/var/lib")].into();
/// assert_eq!(key, same);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupingKey {
    pairs: Vec<(String, String)>,
}

impl GroupingKey {
    /// An empty grouping key: the group is the job alone.
    ///
    /// ```
    /// assert!(promscribe_export::GroupingKey::new().is_empty());
    /// ```
    pub fn new() -> Self {
        GroupingKey::default()
    }

    /// This key with `label` set to `value`.
    ///
    /// ```
    /// let key = promscribe_export::GroupingKey::new().with("instance", "a");
    /// assert_eq!(key.len(), 1);
    /// ```
    #[must_use]
    pub fn with(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(label, value);
        self
    }

    /// Sets `label` to `value`, replacing an earlier value.
    ///
    /// ```
    /// let mut key = promscribe_export::GroupingKey::new();
    /// key.insert("instance", "a");
    /// key.insert("instance", "b");
    /// assert_eq!(key.get("instance"), Some("b"));
    /// ```
    pub fn insert(&mut self, label: impl Into<String>, value: impl Into<String>) {
        let (label, value) = (label.into(), value.into());
        match self.pairs.iter_mut().find(|(l, _)| *l == label) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((label, value)),
        }
    }

    /// The value of `label`, if set.
    ///
    /// ```
    /// let key = promscribe_export::GroupingKey::new().with("instance", "a");
    /// assert_eq!(key.get("zone"), None);
    /// ```
    pub fn get(&self, label: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
    }

    /// The labels and values, in insertion order.
    ///
    /// ```
    /// let key = promscribe_export::GroupingKey::new().with("a", "1").with("b", "2");
    /// let labels: Vec<_> = key.iter().map(|(l, _)| l).collect();
    /// assert_eq!(labels, ["a", "b"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(l, v)| (l.as_str(), v.as_str()))
    }

    /// The number of labels.
    ///
    /// ```
    /// assert_eq!(promscribe_export::GroupingKey::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether no label is set.
    ///
    /// ```
    /// assert!(!promscribe_export::GroupingKey::new().with("a", "").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for GroupingKey {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut key = GroupingKey::new();
        for (k, v) in iter {
            key.insert(k, v);
        }
        key
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for GroupingKey {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

/// A grouping key with `instance` set to this host's IP address, as
/// Python's `instance_ip_grouping_key`.
///
/// The address is the local address of the route to the network: the
/// source address the kernel picks for a (non-routable, documentation
/// range) IPv4 destination, found by `connect`ing a UDP socket, which
/// sends nothing. Without a network route (an isolated container), it is
/// the first non-loopback address the host name resolves to, and failing
/// that `127.0.0.1` (what Python's client returns on Linux, where it asks
/// the route to `localhost`).
///
/// ```
/// let key = promscribe_export::instance_ip_grouping_key();
/// let ip: std::net::IpAddr = key.get("instance").unwrap().parse().unwrap();
/// # let _ = ip;
/// ```
pub fn instance_ip_grouping_key() -> GroupingKey {
    GroupingKey::new().with("instance", host_ip().to_string())
}

fn host_ip() -> IpAddr {
    // TEST-NET-1 (RFC 5737): never routed, only used to select the route.
    let routed = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|s| s.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified());
    if let Some(ip) = routed {
        return ip;
    }
    let by_name = host_name().and_then(|name| {
        (name.as_str(), 0)
            .to_socket_addrs()
            .ok()?
            .map(|a| a.ip())
            .find(|ip| !ip.is_loopback() && !ip.is_unspecified())
    });
    by_name.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

fn host_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Normalises a gateway address: `host:port`, or a URL with an `http` or
/// `https` scheme and an optional path prefix; a trailing `/` is dropped.
/// The address is checked here (parsed as an `http::Uri`): the scheme,
/// the host, and a port in 1..=65535. Returns the base URL,
/// e.g. `http://localhost:9091`.
pub(crate) fn parse_gateway(address: &str) -> Result<String, PushError> {
    let invalid = |reason: &str| PushError::InvalidGateway {
        address: address.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = address.trim();
    if trimmed.is_empty() {
        return Err(invalid(
            "empty; expected `host:port` or `http(s)://host:port`",
        ));
    }
    // As Python's client: without an `http(s)://` prefix the address is a
    // `host:port` (a URL parser would read `localhost:9091` as the scheme
    // `localhost`).
    let (scheme, rest) = match trimmed.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_owned(), trimmed),
    };
    if scheme != "http" && scheme != "https" {
        return Err(invalid("only the http and https schemes are supported"));
    }
    // The URL rules forgive extra slashes (`http:///host`): refuse them.
    if rest.trim_end_matches('/').is_empty() || rest.starts_with('/') {
        return Err(invalid("no host"));
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("contains whitespace"));
    }
    if rest.contains('#') {
        return Err(invalid("a query or fragment is not allowed"));
    }
    let parsed: ureq::http::Uri = format!("{scheme}://{rest}")
        .parse()
        .map_err(|e: ureq::http::uri::InvalidUri| invalid(&format!("not a valid URL: {e}")))?;
    let authority = parsed.authority().ok_or_else(|| invalid("no host"))?;
    if authority.as_str().contains('@') {
        return Err(invalid(
            "credentials in the address are not supported; use PushgatewayBuilder::basic_auth",
        ));
    }
    let host = parsed.host().unwrap_or("");
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    // A host of digits and dots is an IPv4 address, bracketed one IPv6.
    if let Some(v6) = host.strip_prefix('[') {
        if v6
            .strip_suffix(']')
            .and_then(|a| a.parse::<std::net::Ipv6Addr>().ok())
            .is_none()
        {
            return Err(invalid(&format!("`{host}` is not a valid IPv6 address")));
        }
    } else if host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && host.parse::<Ipv4Addr>().is_err()
    {
        return Err(invalid(&format!("`{host}` is not a valid IPv4 address")));
    }
    // `Authority::port` hides a port that is not a u16: read it here.
    if let Some((_, port)) = authority.as_str().rsplit_once(':') {
        if !port.contains(']') {
            match port.parse::<u16>() {
                Ok(0) => {
                    return Err(invalid(
                        "port 0 cannot be connected to (ports are 1 to 65535)",
                    ))
                }
                Ok(_) => {}
                Err(_) => {
                    return Err(invalid(&format!(
                        "not a valid URL: invalid port number `{port}` (ports are 1 to 65535)"
                    )))
                }
            }
        }
    }
    if parsed.query().is_some() {
        return Err(invalid("a query or fragment is not allowed"));
    }
    let path = parsed.path().trim_end_matches('/');
    Ok(format!("{scheme}://{authority}{path}"))
}

/// Appends `/<label>/<value>` to `url` as Python's client does: a value
/// that is empty, holds a `/` or a space is sent as
/// `/<label>@base64/<URL-safe base64>` (the empty one as `=`); any other is
/// percent-encoded as Python's `quote_plus` does (all but `A-Z a-z 0-9 - .
/// _ ~`). The dot segments `.` and `..` go in base64 too, as URL
/// normalisation would remove them from the path.
fn push_segment(url: &mut String, label: &str, value: &str) {
    url.push('/');
    url.push_str(label);
    if value.is_empty() {
        // The Pushgateway's spelling of an empty value.
        url.push_str("@base64/=");
    } else if value.contains(['/', ' ']) || value == "." || value == ".." {
        url.push_str("@base64/");
        url.push_str(&URL_SAFE.encode(value));
    } else {
        url.push('/');
        url.extend(utf8_percent_encode(value, SEGMENT));
    }
}

/// The URL of a group: `<base>/metrics/job/<job>/<label>/<value>...`, the
/// labels sorted by name.
pub(crate) fn group_url(base: &str, job: &str, key: &GroupingKey) -> Result<String, PushError> {
    if job.is_empty() {
        return Err(PushError::InvalidGroupingKey(
            "the job name must not be empty".into(),
        ));
    }
    let mut url = String::with_capacity(base.len() + 64);
    url.push_str(base);
    url.push_str("/metrics");
    push_segment(&mut url, "job", job);
    let mut pairs: Vec<(&str, &str)> = key.iter().collect();
    pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (label, value) in pairs {
        if label == "job" {
            return Err(PushError::InvalidGroupingKey(
                "`job` is given as the job name, not in the grouping key".into(),
            ));
        }
        if !is_valid_legacy_label_name(label) {
            return Err(PushError::InvalidGroupingKey(format!(
                "`{label}` is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)"
            )));
        }
        push_segment(&mut url, label, value);
    }
    Ok(url)
}

/// Options of a [`Pushgateway`]: timeout, authentication, headers, TLS,
/// compression. Made by [`Pushgateway::builder`].
///
/// ```
/// use std::time::Duration;
/// let gateway = promscribe_export::Pushgateway::builder("https://push.example.com/")
///     .timeout(Duration::from_secs(5))
///     .basic_auth("foobar", "secret123")
///     .header("X-Scope-OrgID", "team-a")
///     .build();
/// # #[cfg(feature = "tls")]
/// assert!(gateway.is_ok());
/// ```
#[derive(Clone)]
#[must_use = "call .build() to get a Pushgateway"]
pub struct PushgatewayBuilder {
    address: String,
    timeout: Duration,
    basic_auth: Option<(String, String)>,
    headers: Vec<(String, String)>,
    gzip: bool,
    #[cfg(feature = "tls")]
    root_certs_pem: Vec<Vec<u8>>,
    #[cfg(feature = "tls")]
    client_cert_files: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl fmt::Debug for PushgatewayBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushgatewayBuilder")
            .field("address", &self.address)
            .field("timeout", &self.timeout)
            .field("basic_auth", &self.basic_auth.as_ref().map(|(u, _)| u))
            .field("headers", &self.headers.len())
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

impl PushgatewayBuilder {
    /// The time a whole request (connect, send, answer) may take; 30 s by
    /// default, as in Python's client.
    ///
    /// ```
    /// let b = promscribe_export::Pushgateway::builder("localhost:9091")
    ///     .timeout(std::time::Duration::from_secs(2));
    /// assert!(b.build().is_ok());
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends HTTP basic authentication (Python's `basic_auth_handler`).
    ///
    /// ```
    /// let b = promscribe_export::Pushgateway::builder("localhost:9091")
    ///     .basic_auth("foobar", "secret123");
    /// assert!(b.build().is_ok());
    /// ```
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.basic_auth = Some((user.into(), password.into()));
        self
    }

    /// Adds a header to every request (checked by [`build`](Self::build)).
    ///
    /// ```
    /// let b = promscribe_export::Pushgateway::builder("localhost:9091")
    ///     .header("Authorization", "Bearer abc");
    /// assert!(b.build().is_ok());
    /// let bad = promscribe_export::Pushgateway::builder("localhost:9091").header("bad header", "x");
    /// assert!(bad.build().is_err());
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Compresses pushed bodies with gzip (`Content-Encoding: gzip`), which
    /// the Pushgateway accepts. Off by default; needs the `gzip` feature.
    ///
    /// ```
    /// let b = promscribe_export::Pushgateway::builder("localhost:9091").gzip(true);
    /// assert!(b.build().is_ok());
    /// ```
    #[cfg(feature = "gzip")]
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Trusts this PEM root certificate (e.g. a private CA) for `https`
    /// gateways, instead of the bundled WebPKI roots. May be called again
    /// to add more; needs the `tls` feature.
    ///
    /// ```no_run
    /// let pem = std::fs::read("/etc/ssl/private-ca.pem")?;
    /// let gateway = promscribe_export::Pushgateway::builder("https://push.internal:9091")
    ///     .add_root_certificate_pem(pem)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "tls")]
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certs_pem.push(pem.into());
        self
    }

    /// Presents this client certificate to an `https` gateway that asks
    /// for one (mutual TLS, as Python's `tls_auth_handler` and Go's
    /// pusher do): `cert` is a PEM file with the certificate, then any
    /// intermediates; `key` a PEM file with its private key (PKCS#8,
    /// PKCS#1 or SEC1). The files are read by [`build`](Self::build),
    /// whose error names a file that cannot be read or holds no
    /// certificate or key. Needs the `tls` feature.
    ///
    /// ```
    /// let gateway = promscribe_export::Pushgateway::builder("https://push.internal:9091")
    ///     .client_certificate_files("/etc/pki/push/client.crt", "/etc/pki/push/client.key")
    ///     .build();
    /// let err = gateway.expect_err("no such files here").to_string();
    /// assert!(err.contains("/etc/pki/push/client.crt"), "{err}");
    /// ```
    #[cfg(feature = "tls")]
    pub fn client_certificate_files(
        mut self,
        cert: impl Into<std::path::PathBuf>,
        key: impl Into<std::path::PathBuf>,
    ) -> Self {
        self.client_cert_files = Some((cert.into(), key.into()));
        self
    }

    /// Checks the options and makes the [`Pushgateway`].
    ///
    /// ```
    /// assert!(promscribe_export::Pushgateway::builder("ftp://host").build().is_err());
    /// ```
    pub fn build(self) -> Result<Pushgateway, PushError> {
        let base = parse_gateway(&self.address)?;
        if base.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(PushError::Tls(format!(
                "`{}` is https, but promscribe-export was built without its `tls` feature",
                self.address
            )));
        }
        let authorization = self.basic_auth.as_ref().map(|(user, password)| {
            format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
        });
        let headers = sink_headers(&self.headers, authorization)
            .map_err(|(name, reason)| PushError::InvalidHeader { name, reason })?;
        let agent = sink_agent(
            self.timeout,
            concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")),
            #[cfg(feature = "tls")]
            &self.root_certs_pem,
            #[cfg(feature = "tls")]
            self.client_cert_files.as_ref(),
        )?;
        Ok(Pushgateway {
            base,
            agent,
            headers,
            gzip: self.gzip,
            timeout: self.timeout,
        })
    }
}

/// A sink's extra headers (Pushgateway, remote write) as HTTP names and
/// values, then `authorization` as the `Authorization` header, marked
/// sensitive (kept out of debug output). An invalid one is
/// `(name, reason)`.
pub(crate) fn sink_headers(
    headers: &[(String, String)],
    authorization: Option<String>,
) -> Result<Vec<(HeaderName, HeaderValue)>, (String, String)> {
    let mut out = Vec::with_capacity(headers.len() + 1);
    for (name, value) in headers {
        let invalid = |e: &dyn fmt::Display| (name.clone(), e.to_string());
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| invalid(&e))?;
        let v = HeaderValue::from_str(value).map_err(|e| invalid(&e))?;
        out.push((n, v));
    }
    if let Some(auth) = authorization {
        let mut v = HeaderValue::from_str(&auth)
            .map_err(|e| ("Authorization".to_owned(), e.to_string()))?;
        v.set_sensitive(true);
        out.push((ureq::http::header::AUTHORIZATION, v));
    }
    Ok(out)
}

/// A sink's HTTP agent (Pushgateway, remote write): `timeout` for a whole
/// exchange, every status answered as a response (not an error), no
/// redirects, `User-Agent: user_agent`; with the `tls` feature,
/// `root_certs_pem` trusted besides the system's roots and the client
/// certificate of `client_cert_files` presented. An error is a TLS one
/// naming what is at fault.
pub(crate) fn sink_agent(
    timeout: Duration,
    user_agent: &'static str,
    #[cfg(feature = "tls")] root_certs_pem: &[Vec<u8>],
    #[cfg(feature = "tls")] client_cert_files: Option<&(std::path::PathBuf, std::path::PathBuf)>,
) -> Result<ureq::Agent, PushError> {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(user_agent);
    #[cfg(feature = "tls")]
    let config = {
        let mut certs = Vec::new();
        for pem in root_certs_pem {
            let cert = ureq::tls::Certificate::from_pem(pem)
                .map_err(|e| PushError::Tls(format!("bad root certificate: {e}")))?;
            certs.push(cert);
        }
        let client_cert = match client_cert_files {
            Some((cert, key)) => Some(client_cert(cert, key)?),
            None => None,
        };
        if certs.is_empty() && client_cert.is_none() {
            config
        } else {
            let mut tls = ureq::tls::TlsConfig::builder().client_cert(client_cert);
            if !certs.is_empty() {
                tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
            }
            config.tls_config(tls.build())
        }
    };
    Ok(config.build().into())
}

/// The client certificate chain of the PEM file `cert` with the private key
/// of the PEM file `key`; an error names the file at fault.
#[cfg(feature = "tls")]
pub(crate) fn client_cert(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<ureq::tls::ClientCert, PushError> {
    let read = |path: &std::path::Path, what: &str| {
        std::fs::read(path).map_err(|e| {
            PushError::Tls(format!(
                "cannot read the client {what} `{}`: {e}",
                path.display()
            ))
        })
    };
    let pem = read(cert, "certificate")?;
    let mut chain = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => chain.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(PushError::Tls(format!(
                    "the client certificate `{}` is not valid PEM: {e}",
                    cert.display()
                )))
            }
        }
    }
    if chain.is_empty() {
        return Err(PushError::Tls(format!(
            "the client certificate `{}` holds no PEM certificate",
            cert.display()
        )));
    }
    let pem = read(key, "key")?;
    let key = ureq::tls::PrivateKey::from_pem(&pem).map_err(|e| {
        PushError::Tls(format!(
            "the client key `{}` holds no PEM private key: {e}",
            key.display()
        ))
    })?;
    Ok(ureq::tls::ClientCert::new_with_certs(&chain, key))
}

/// A Pushgateway to push to, with its options (see [`PushgatewayBuilder`]).
/// Cheap to clone; keeps idle connections for reuse. Like Python's
/// client, it goes through the proxy named by `HTTP_PROXY`, `HTTPS_PROXY`
/// or `ALL_PROXY`, except for the hosts listed in `NO_PROXY`. Every
/// request names the client as `User-Agent: promscribe-export/<version>`.
///
/// ```no_run
/// use promscribe::{Gauge, Registry};
/// use promscribe_export::{GroupingKey, Pushgateway};
///
/// let registry = Registry::new();
/// let g = Gauge::new("job_last_success_unixtime", "Last time a batch job successfully finished")?;
/// registry.register(g.clone())?;
/// g.set_to_current_time();
///
/// let gateway = Pushgateway::new("localhost:9091")?;
/// gateway.push("batchA", &GroupingKey::new(), &registry)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Pushgateway {
    base: String,
    agent: ureq::Agent,
    headers: Vec<(HeaderName, HeaderValue)>,
    gzip: bool,
    timeout: Duration,
}

impl fmt::Debug for Pushgateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pushgateway")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Put,
    Post,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A request ready to send: everything computed on the caller's thread.
struct Prepared {
    method: Method,
    url: String,
    body: Option<Vec<u8>>,
}

impl Pushgateway {
    /// A gateway with the default options. `address` is `host:port` or a
    /// URL (`http://`, `https://`), optionally with a path prefix; a
    /// trailing `/` is fine.
    ///
    /// ```
    /// use promscribe_export::Pushgateway;
    /// assert_eq!(Pushgateway::new("localhost:9091")?.url(), "http://localhost:9091");
    /// assert_eq!(Pushgateway::new("http://gw:9091/prefix/")?.url(), "http://gw:9091/prefix");
    /// assert!(Pushgateway::new("").is_err());
    /// # Ok::<(), promscribe_export::PushError>(())
    /// ```
    pub fn new(address: &str) -> Result<Pushgateway, PushError> {
        Pushgateway::builder(address).build()
    }

    /// A builder, to set options before [`build`](PushgatewayBuilder::build).
    ///
    /// ```
    /// let gateway = promscribe_export::Pushgateway::builder("localhost:9091")
    ///     .timeout(std::time::Duration::from_secs(10))
    ///     .build()?;
    /// # Ok::<(), promscribe_export::PushError>(())
    /// ```
    pub fn builder(address: impl Into<String>) -> PushgatewayBuilder {
        PushgatewayBuilder {
            address: address.into(),
            timeout: DEFAULT_PUSH_TIMEOUT,
            basic_auth: None,
            headers: Vec::new(),
            gzip: false,
            #[cfg(feature = "tls")]
            root_certs_pem: Vec::new(),
            #[cfg(feature = "tls")]
            client_cert_files: None,
        }
    }

    /// The gateway's base URL.
    ///
    /// ```
    /// let gw = promscribe_export::Pushgateway::new("127.0.0.1:9091")?;
    /// assert_eq!(gw.url(), "http://127.0.0.1:9091");
    /// # Ok::<(), promscribe_export::PushError>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The URL of a group, as the calls use it and as Python's client
    /// builds it: labels sorted by name; values holding a `/` or a space,
    /// empty ones and dot segments in URL-safe base64 (`label@base64/...`),
    /// others percent-encoded as Python's `quote_plus`.
    ///
    /// ```
    /// use promscribe_export::{GroupingKey, Pushgateway};
    /// let gw = Pushgateway::new("localhost:9091")?;
    /// let key = GroupingKey::new()
    ///     .with("path", "/var/tmp")
    ///     .with("zone", "")
    ///     .with("host", "a b")
    ///     .with("op", "a+b&c");
    /// assert_eq!(
    ///     gw.group_url("batch/A", &key)?,
    ///     "http://localhost:9091/metrics/job@base64/YmF0Y2gvQQ==\
    ///      /host@base64/YSBi/op/a%2Bb%26c/path@base64/L3Zhci90bXA=/zone@base64/="
    /// );
    /// # Ok::<(), promscribe_export::PushError>(())
    /// ```
    pub fn group_url(&self, job: &str, grouping_key: &GroupingKey) -> Result<String, PushError> {
        group_url(&self.base, job, grouping_key)
    }

    /// `PUT`: replaces every metric of the group (job + grouping key) with
    /// the registry's. Blocking: for batch jobs and a plain `main`. Inside
    /// an async runtime it works too, but blocks that thread for the
    /// request: prefer [`push_async`](Self::push_async) there.
    ///
    /// ```no_run
    /// let registry = promscribe::Registry::new();
    /// let gw = promscribe_export::Pushgateway::new("localhost:9091")?;
    /// gw.push("batchA", &promscribe_export::instance_ip_grouping_key(), &registry)?;
    /// # Ok::<(), promscribe_export::PushError>(())
    /// ```
    pub fn push(
        &self,
        job: &str,
        grouping_key: &GroupingKey,
        registry: &Registry,
    ) -> Result<(), PushError> {
        let req = self.prepare(Method::Put, job, grouping_key, Some(registry))?;
        self.send(req)
    }

    /// `POST`: replaces only the group's metrics that have the same names
    /// as the registry's. Blocking, as [`push`](Self::push).
    ///
    /// ```no_run
    /// let registry = promscribe::Registry::new();
    /// let gw = promscribe_export::Pushgateway::new("localhost:9091")?;
    /// gw.pushadd("batchA", &promscribe_export::GroupingKey::new(), &registry)?;
    /// # Ok::<(), promscribe_export::PushError>(())
    /// ```
    pub fn pushadd(
        &self,
        job: &str,
        grouping_key: &GroupingKey,
        registry: &Registry,
    ) -> Result<(), PushError> {
        let req = self.prepare(Method::Post, job, grouping_key, Some(registry))?;
        self.send(req)
    }

    /// `DELETE`: removes the group. Blocking, as [`push`](Self::push).
    ///
    /// ```no_run
    /// let gw = promscribe_export::Pushgateway::new("localhost:9091")?;
    /// gw.delete("batchA", &promscribe_export::GroupingKey::new())?;
    /// # Ok::<(), promscribe_export::PushError>(())
    /// ```
    pub fn delete(&self, job: &str, grouping_key: &GroupingKey) -> Result<(), PushError> {
        let req = self.prepare(Method::Delete, job, grouping_key, None)?;
        self.send(req)
    }

    #[cfg(feature = "push-async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "push-async")))]
    /// [`push`](Self::push) for async code: the registry is encoded here,
    /// the request runs on a blocking thread (tokio's blocking pool inside
    /// a tokio runtime, a new thread otherwise), so the executor never
    /// stalls. Dropping the future abandons the answer, not the request.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), promscribe_export::PushError> {
    /// let registry = promscribe::Registry::new();
    /// let gw = promscribe_export::Pushgateway::new("localhost:9091")?;
    /// gw.push_async("batchA", &promscribe_export::GroupingKey::new(), &registry).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn push_async(
        &self,
        job: &str,
        grouping_key: &GroupingKey,
        registry: &Registry,
    ) -> Result<(), PushError> {
        let req = self.prepare(Method::Put, job, grouping_key, Some(registry))?;
        self.send_off_thread(req).await
    }

    #[cfg(feature = "push-async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "push-async")))]
    /// [`pushadd`](Self::pushadd) for async code (see
    /// [`push_async`](Self::push_async)).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), promscribe_export::PushError> {
    /// let registry = promscribe::Registry::new();
    /// let gw = promscribe_export::Pushgateway::new("localhost:9091")?;
    /// gw.pushadd_async("batchA", &promscribe_export::GroupingKey::new(), &registry).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn pushadd_async(
        &self,
        job: &str,
        grouping_key: &GroupingKey,
        registry: &Registry,
    ) -> Result<(), PushError> {
        let req = self.prepare(Method::Post, job, grouping_key, Some(registry))?;
        self.send_off_thread(req).await
    }

    #[cfg(feature = "push-async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "push-async")))]
    /// [`delete`](Self::delete) for async code (see
    /// [`push_async`](Self::push_async)).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), promscribe_export::PushError> {
    /// let gw = promscribe_export::Pushgateway::new("localhost:9091")?;
    /// gw.delete_async("batchA", &promscribe_export::GroupingKey::new()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_async(
        &self,
        job: &str,
        grouping_key: &GroupingKey,
    ) -> Result<(), PushError> {
        let req = self.prepare(Method::Delete, job, grouping_key, None)?;
        self.send_off_thread(req).await
    }

    fn prepare(
        &self,
        method: Method,
        job: &str,
        grouping_key: &GroupingKey,
        registry: Option<&Registry>,
    ) -> Result<Prepared, PushError> {
        let url = group_url(&self.base, job, grouping_key)?;
        let body = registry.map(|r| self.body(encode_text(r)));
        Ok(Prepared { method, url, body })
    }

    #[cfg(feature = "gzip")]
    fn body(&self, text: String) -> Vec<u8> {
        if !self.gzip {
            return text.into_bytes();
        }
        // As `/metrics` answers: level 3, a large body in segments
        // compressed side by side. Compressing into memory cannot fail;
        // if it did, the body goes uncompressed.
        match crate::gzip::compress(text.as_bytes(), crate::gzip::DEFAULT_LEVEL) {
            Ok(compressed) => compressed,
            Err(_) => text.into_bytes(),
        }
    }

    #[cfg(not(feature = "gzip"))]
    fn body(&self, text: String) -> Vec<u8> {
        text.into_bytes()
    }

    #[cfg(feature = "push-async")]
    async fn send_off_thread(&self, req: Prepared) -> Result<(), PushError> {
        let this = self.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            return handle
                .spawn_blocking(move || this.send(req))
                .await
                .map_err(|e| PushError::Thread(e.to_string()))?;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("metrics-push".into())
            .spawn(move || {
                let _ = tx.send(this.send(req));
            })
            .map_err(|e| PushError::Thread(e.to_string()))?;
        rx.await
            .map_err(|_| PushError::Thread("the push thread ended without an answer".into()))?
    }

    fn send(&self, req: Prepared) -> Result<(), PushError> {
        let Prepared { method, url, body } = req;
        let result = match (method, body) {
            (Method::Delete, _) => {
                // The same Content-Type as PUT and POST, as Python's client.
                let mut r = self
                    .agent
                    .delete(&url)
                    .header("Content-Type", TEXT_CONTENT_TYPE);
                for (n, v) in &self.headers {
                    r = r.header(n, v);
                }
                r.call()
            }
            (m, body) => {
                let mut r = if m == Method::Put {
                    self.agent.put(&url)
                } else {
                    self.agent.post(&url)
                };
                r = r.header("Content-Type", TEXT_CONTENT_TYPE);
                if self.gzip {
                    r = r.header("Content-Encoding", "gzip");
                }
                for (n, v) in &self.headers {
                    r = r.header(n, v);
                }
                r.send(body.unwrap_or_default())
            }
        };
        let method = method.as_str();
        let mut resp = match result {
            Ok(resp) => resp,
            Err(ureq::Error::Timeout(_)) => {
                return Err(PushError::Timeout {
                    method,
                    url,
                    timeout: self.timeout,
                })
            }
            Err(e) => {
                return Err(PushError::Transport {
                    method,
                    url,
                    source: Box::new(e),
                })
            }
        };
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let reason = match body_reason(&mut resp) {
            Some(reason) => reason,
            None => {
                let reason = status_reason(status);
                match resp.headers().get("location").and_then(|l| l.to_str().ok()) {
                    Some(to) => format!("{reason} (redirected to {to}; give that address instead)"),
                    None => reason,
                }
            }
        };
        Err(PushError::Status {
            method,
            url,
            status: status.as_u16(),
            reason,
        })
    }
}

/// The body of a refusal, trimmed, at most [`MAX_REASON_BYTES`] of it
/// (invalid UTF-8 replaced); `None` when empty. Shared by every HTTP sink.
pub(crate) fn body_reason(resp: &mut ureq::http::Response<ureq::Body>) -> Option<String> {
    let text = resp
        .body_mut()
        .with_config()
        .limit(MAX_REASON_BYTES)
        .lossy_utf8(true)
        .read_to_string()
        .unwrap_or_default();
    let reason = text.trim();
    (!reason.is_empty()).then(|| reason.to_owned())
}

/// A status's reason phrase, for a refusal whose body says nothing.
pub(crate) fn status_reason(status: ureq::http::StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("no reason given")
        .to_owned()
}

/// Python's `push_to_gateway`: `PUT`s the registry to the group of `job`
/// and `grouping_key` on `gateway` (`host:port` or URL), replacing all its
/// metrics, with the default options (timeout 30 s). Blocking; for
/// options or async use a [`Pushgateway`].
///
/// ```no_run
/// use promscribe::{Gauge, Registry};
/// let registry = Registry::new();
/// let g = Gauge::new("job_last_success_unixtime", "Last time a batch job successfully finished")?;
/// registry.register(g.clone())?;
/// g.set_to_current_time();
/// promscribe_export::push_to_gateway("localhost:9091", "batchA", &Default::default(), &registry)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn push_to_gateway(
    gateway: &str,
    job: &str,
    grouping_key: &GroupingKey,
    registry: &Registry,
) -> Result<(), PushError> {
    Pushgateway::new(gateway)?.push(job, grouping_key, registry)
}

/// Python's `pushadd_to_gateway`: `POST`s the registry, replacing only the
/// group's metrics with the same names. See [`push_to_gateway`].
///
/// ```no_run
/// let registry = promscribe::Registry::new();
/// let key = promscribe_export::GroupingKey::new().with("instance", "db-1");
/// promscribe_export::pushadd_to_gateway("localhost:9091", "batchA", &key, &registry)?;
/// # Ok::<(), promscribe_export::PushError>(())
/// ```
pub fn pushadd_to_gateway(
    gateway: &str,
    job: &str,
    grouping_key: &GroupingKey,
    registry: &Registry,
) -> Result<(), PushError> {
    Pushgateway::new(gateway)?.pushadd(job, grouping_key, registry)
}

/// Python's `delete_from_gateway`: removes the group of `job` and
/// `grouping_key`. See [`push_to_gateway`].
///
/// ```no_run
/// promscribe_export::delete_from_gateway("localhost:9091", "batchA", &Default::default())?;
/// # Ok::<(), promscribe_export::PushError>(())
/// ```
pub fn delete_from_gateway(
    gateway: &str,
    job: &str,
    grouping_key: &GroupingKey,
) -> Result<(), PushError> {
    Pushgateway::new(gateway)?.delete(job, grouping_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(job: &str, key: &GroupingKey) -> String {
        group_url("http://gw:9091", job, key).expect("valid group")
    }

    #[test]
    fn plain_job_and_labels() {
        let key = GroupingKey::new()
            .with("instance", "db-1")
            .with("zone", "eu");
        assert_eq!(
            url("batchA", &key),
            "http://gw:9091/metrics/job/batchA/instance/db-1/zone/eu"
        );
        assert_eq!(
            url("batchA", &GroupingKey::new()),
            "http://gw:9091/metrics/job/batchA"
        );
    }

    #[test]
    fn base64_for_slash_and_empty() {
        let key = GroupingKey::new().with("path", "/a/b").with("e", "");
        assert_eq!(
            url("j", &key),
            "http://gw:9091/metrics/job/j/e@base64/=/path@base64/L2EvYg=="
        );
        // URL-safe alphabet: '?>' encodes to '+' and '/' in the standard one.
        let key = GroupingKey::new().with("v", "/?>");
        assert_eq!(url("j", &key), "http://gw:9091/metrics/job/j/v@base64/Lz8-");
        assert_eq!(
            url("a/b", &GroupingKey::new()),
            "http://gw:9091/metrics/job@base64/YS9i"
        );
        // Dot segments would be removed by URL normalisation.
        assert_eq!(
            url("..", &GroupingKey::new()),
            "http://gw:9091/metrics/job@base64/Li4="
        );
        assert_eq!(
            url("j", &GroupingKey::new().with("x", ".")),
            "http://gw:9091/metrics/job/j/x@base64/Lg=="
        );
    }

    #[test]
    fn percent_encoding_of_other_values() {
        let key = GroupingKey::new().with("q", "a?c#d%e+f").with("u", "ünï");
        assert_eq!(
            url("job&name", &key),
            "http://gw:9091/metrics/job/job%26name/q/a%3Fc%23d%25e%2Bf/u/%C3%BCn%C3%AF"
        );
        let key = GroupingKey::new().with("ok", "A-z_0.9~");
        assert_eq!(url("j", &key), "http://gw:9091/metrics/job/j/ok/A-z_0.9~");
    }

    #[test]
    fn bad_keys_are_refused() {
        for key in [
            GroupingKey::new().with("0bad", "x"),
            GroupingKey::new().with("__reserved", "x"),
            GroupingKey::new().with("job", "x"),
            GroupingKey::new().with("", "x"),
        ] {
            let err = group_url("http://gw", "j", &key).expect_err("refused");
            assert!(matches!(err, PushError::InvalidGroupingKey(_)), "{err}");
        }
        assert!(group_url("http://gw", "", &GroupingKey::new()).is_err());
    }

    #[test]
    fn grouping_key_insert_replaces() {
        let key: GroupingKey = [("a", "1"), ("b", "2"), ("a", "3")].into();
        assert_eq!(key.iter().collect::<Vec<_>>(), [("a", "3"), ("b", "2")]);
    }

    #[test]
    fn gateway_addresses() {
        let ok = [
            ("localhost:9091", "http://localhost:9091"),
            ("localhost:9091/", "http://localhost:9091"),
            ("http://localhost:9091", "http://localhost:9091"),
            ("HTTP://localhost:9091//", "http://localhost:9091"),
            ("https://gw.example.com", "https://gw.example.com"),
            ("http://gw:9091/proxy/push/", "http://gw:9091/proxy/push"),
            ("127.0.0.1:9091", "http://127.0.0.1:9091"),
            ("[::1]:9091", "http://[::1]:9091"),
            (" gw:1 ", "http://gw:1"),
        ];
        for (given, want) in ok {
            assert_eq!(parse_gateway(given).expect(given), want);
        }
        for bad in [
            "",
            "   ",
            "ftp://gw:21",
            "http://",
            "http:///path",
            "gw:9091?x=1",
            "gw:9091/#frag",
            "http://user:pw@gw:9091",
            "gw 9091",
            "127.0.0.1:99999",
            "http://127.0.0.1:65536",
            "gw:0",
            "gw:port",
            "http://gw:-1",
            "999.1.1.1:9091",
            "[::1:9091",
        ] {
            let err = parse_gateway(bad).expect_err(bad);
            assert!(
                matches!(err, PushError::InvalidGateway { .. }),
                "{bad}: {err}"
            );
            // The message names the input as given.
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }

    #[test]
    fn https_needs_the_tls_feature() {
        let r = Pushgateway::new("https://gw:9091");
        assert_eq!(r.is_ok(), cfg!(feature = "tls"));
    }

    #[test]
    fn instance_ip_is_an_ip() {
        let key = instance_ip_grouping_key();
        let ip: IpAddr = key
            .get("instance")
            .expect("instance set")
            .parse()
            .expect("an IP address");
        assert!(!ip.is_unspecified());
    }

    #[test]
    fn error_messages_name_status_and_reason() {
        let e = PushError::Status {
            method: "PUT",
            url: "http://gw/metrics/job/j".into(),
            status: 400,
            reason: "pushed metrics must not have timestamps".into(),
        };
        assert_eq!(
            e.to_string(),
            "PUT http://gw/metrics/job/j: the Pushgateway answered 400: pushed metrics must not have timestamps"
        );
        assert_eq!(e.status(), Some(400));
    }

    #[test]
    fn debug_hides_the_password() {
        let b = Pushgateway::builder("gw:1").basic_auth("me", "s3cret");
        assert!(!format!("{b:?}").contains("s3cret"));
    }
}

/// `https` against a real Pushgateway serving TLS with a certificate of a
/// private CA made by `openssl`, with and without client certificates.
/// Runs with `--features tls`; fails (never skips) when
/// `prometheus-pushgateway` or `openssl` is missing.
#[cfg(all(test, feature = "tls"))]
mod tls_tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::Instant;

    struct Killed(Child);

    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn run(dir: &Path, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl is installed");
        assert!(out.status.success(), "openssl {args:?}: {out:?}");
    }

    const EC: [&str; 5] = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];

    /// A certificate `NAME.pem` with its key `NAME.key`, signed by the CA.
    fn leaf(dir: &Path, name: &str, cn: &str, ext: &str) {
        let (key, csr, pem, extfile) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("{name}.ext"),
        );
        let mut req = vec!["req"];
        req.extend(EC);
        let subj = format!("/CN={cn}");
        req.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
        run(dir, &req);
        std::fs::write(dir.join(&extfile), ext).expect("ext file");
        run(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                &extfile,
            ],
        );
    }

    /// A fresh directory holding a CA (`ca.pem`), a server certificate for
    /// 127.0.0.1 (`leaf.pem`) and a client certificate (`client.pem`).
    fn pki(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "promscribe-export-tls-{}-{test}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let mut ca = vec!["req", "-x509"];
        ca.extend(EC);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=test-ca",
        ]);
        run(&dir, &ca);
        leaf(
            &dir,
            "leaf",
            "localhost",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
        );
        leaf(
            &dir,
            "client",
            "pusher",
            "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
        );
        dir
    }

    /// A Pushgateway on 127.0.0.1 with this web configuration; its URL.
    fn start_gateway(dir: &Path, web_config: &str) -> (Killed, String) {
        std::fs::write(dir.join("web.yml"), web_config).expect("web config");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let gw = Killed(
            Command::new("prometheus-pushgateway")
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg(format!(
                    "--web.config.file={}",
                    dir.join("web.yml").display()
                ))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("prometheus-pushgateway is installed"),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the Pushgateway never listened");
            std::thread::sleep(Duration::from_millis(100));
        }
        (gw, format!("https://127.0.0.1:{port}"))
    }

    #[test]
    fn https_with_a_private_root_certificate() {
        let dir = pki("root");
        let (_gw, url) = start_gateway(
            &dir,
            &format!(
                "tls_server_config:\n  cert_file: {0}/leaf.pem\n  key_file: {0}/leaf.key\n",
                dir.display()
            ),
        );
        let pem = std::fs::read(dir.join("ca.pem")).expect("ca.pem");
        let registry = Registry::new();
        let trusted = Pushgateway::builder(url.as_str())
            .add_root_certificate_pem(pem)
            .timeout(Duration::from_secs(5))
            .build()
            .expect("gateway");
        trusted
            .push("tls", &GroupingKey::new(), &registry)
            .expect("push over https");
        trusted
            .delete("tls", &GroupingKey::new())
            .expect("delete over https");

        // The bundled WebPKI roots do not know the private CA.
        let untrusted = Pushgateway::new(&url).expect("gateway");
        let err = untrusted
            .push("tls", &GroupingKey::new(), &registry)
            .expect_err("unknown issuer");
        assert!(matches!(err, PushError::Transport { .. }), "{err}");

        assert!(Pushgateway::builder(url.as_str())
            .add_root_certificate_pem("not a certificate")
            .build()
            .is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn https_with_a_client_certificate() {
        let dir = pki("client");
        let (_gw, url) = start_gateway(
            &dir,
            &format!(
                "tls_server_config:\n  cert_file: {0}/leaf.pem\n  key_file: {0}/leaf.key\n  \
                 client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {0}/ca.pem\n",
                dir.display()
            ),
        );
        let pem = std::fs::read(dir.join("ca.pem")).expect("ca.pem");
        let builder = Pushgateway::builder(url.as_str())
            .add_root_certificate_pem(pem)
            .timeout(Duration::from_secs(5));
        let registry = Registry::new();
        let g = promscribe::Gauge::new("mtls_pushed", "Pushed with a client certificate")
            .expect("gauge");
        g.set(42.0);
        registry.register(g).expect("registered");

        // Without a client certificate, the gateway ends the handshake.
        let anonymous = builder.clone().build().expect("gateway");
        let err = anonymous
            .push("mtls", &GroupingKey::new(), &registry)
            .expect_err("no client certificate");
        assert!(matches!(err, PushError::Transport { .. }), "{err}");

        let client = builder
            .clone()
            .client_certificate_files(dir.join("client.pem"), dir.join("client.key"))
            .build()
            .expect("gateway");
        client
            .push("mtls", &GroupingKey::new(), &registry)
            .expect("push with a client certificate");
        // What the gateway holds now, read back over the same connection.
        let answer = client
            .agent
            .get(format!("{url}/metrics"))
            .call()
            .expect("GET /metrics");
        let body = answer.into_body().read_to_string().expect("body");
        assert!(
            body.lines().any(|l| l.starts_with("mtls_pushed{")
                && l.contains("job=\"mtls\"")
                && l.ends_with(" 42")),
            "{body}"
        );
        client
            .delete("mtls", &GroupingKey::new())
            .expect("delete with a client certificate");

        // Unusable files: an error naming the file, at build time.
        let missing = dir.join("no-such.pem");
        let err = builder
            .clone()
            .client_certificate_files(&missing, dir.join("client.key"))
            .build()
            .expect_err("missing certificate");
        assert!(
            matches!(&err, PushError::Tls(m) if m.contains(&missing.display().to_string())),
            "{err}"
        );
        let err = builder
            .clone()
            .client_certificate_files(dir.join("client.pem"), dir.join("no-such.key"))
            .build()
            .expect_err("missing key");
        assert!(err.to_string().contains("no-such.key"), "{err}");
        // A key where the certificate should be, and the other way round.
        let err = builder
            .clone()
            .client_certificate_files(dir.join("client.key"), dir.join("client.key"))
            .build()
            .expect_err("no certificate in the file");
        assert!(
            err.to_string().contains("client.key")
                && err.to_string().contains("no PEM certificate"),
            "{err}"
        );
        let err = builder
            .client_certificate_files(dir.join("client.pem"), dir.join("client.pem"))
            .build()
            .expect_err("no key in the file");
        assert!(
            err.to_string().contains("client.pem")
                && err.to_string().contains("no PEM private key"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
