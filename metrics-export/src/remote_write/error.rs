//! [`RemoteWriteError`]: why a remote write, or one of its series, failed.

use std::time::Duration;

/// Why a remote write failed, or why one series of it was not stored.
/// Every error that comes from the receiver names its URL.
///
/// ```
/// use promscribe_export::{RemoteWrite, RemoteWriteError};
/// let err = RemoteWrite::builder("http://127.0.0.1:9090/api/v1/write")
///     .header("Content-Type", "text/plain")
///     .build()
///     .unwrap_err();
/// assert!(matches!(err, RemoteWriteError::ReservedHeader { .. }));
/// assert_eq!(err.status(), None);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteWriteError {
    /// The receiver's URL could not be understood.
    #[error("invalid remote-write URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An extra header's name or value is not valid HTTP.
    #[error("invalid HTTP header `{name}`: {reason}")]
    InvalidHeader {
        /// The header name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An extra header would override one the protocol fixes
    /// (`Content-Encoding`, `Content-Type`,
    /// `X-Prometheus-Remote-Write-Version`, `User-Agent`).
    #[error("the header `{name}` is set by the remote-write protocol and cannot be overridden")]
    ReservedHeader {
        /// The header name as given.
        name: String,
    },
    /// An option is out of its range (a batch size or queue capacity of
    /// 0, a zero interval).
    #[error("invalid remote-write option: {0}")]
    InvalidOption(String),
    /// A TLS option is unusable (a certificate that is not PEM, a file
    /// that cannot be read), or an `https` URL was given without the `tls`
    /// feature.
    #[error("TLS: {0}")]
    Tls(String),
    /// No complete answer came within the timeout.
    #[error("POST {url}: no answer within {timeout:?}")]
    Timeout {
        /// The receiver's URL.
        url: String,
        /// The configured timeout.
        timeout: Duration,
    },
    /// The request could not be sent or its answer not read (connection
    /// refused, unknown host, TLS handshake failure, ...).
    #[error("POST {url}: {source}")]
    Transport {
        /// The receiver's URL.
        url: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The receiver answered with a status other than 2xx.
    #[error("POST {url}: the receiver answered {status}: {reason}")]
    Status {
        /// The receiver's URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The receiver's explanation (its answer's body, trimmed).
        reason: String,
    },
    /// The receiver refused this one series (a 400 for a request holding
    /// it alone, e.g. an out-of-order sample); the other series of its
    /// batch were sent again without it.
    #[error("POST {url}: the receiver refused the series {series} ({status}): {reason}")]
    Rejected {
        /// The receiver's URL.
        url: String,
        /// The series, as `name{label="value",...}`.
        series: String,
        /// The HTTP status code.
        status: u16,
        /// The receiver's explanation.
        reason: String,
    },
    /// A series of the registry cannot be sent in the remote-write format
    /// (e.g. an empty label value): it was left out, the others were sent.
    #[error("the series {series} cannot be sent: {reason}")]
    Series {
        /// The series, by name (and labels when known).
        series: String,
        /// Why.
        reason: String,
    },
    /// The background thread could not be started, or the blocking
    /// thread running an async push was lost.
    #[error("the remote-write thread: {0}")]
    Thread(String),
}

impl RemoteWriteError {
    /// The HTTP status the receiver answered, if it answered one.
    ///
    /// ```
    /// let err = promscribe_export::RemoteWriteError::Status {
    ///     url: "http://127.0.0.1:9090/api/v1/write".into(),
    ///     status: 503,
    ///     reason: "busy".into(),
    /// };
    /// assert_eq!(err.status(), Some(503));
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            RemoteWriteError::Status { status, .. } | RemoteWriteError::Rejected { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

impl From<super::encode::EncodeError> for RemoteWriteError {
    /// A series the encoder could not turn into the wire format: named,
    /// with the encoder's reason.
    fn from(e: super::encode::EncodeError) -> Self {
        use super::encode::EncodeError as E;
        let series = match &e {
            E::EmptyLabelName { series }
            | E::EmptyLabelValue { series, .. }
            | E::DuplicateLabelName { series, .. }
            | E::TimestampOutOfRange { series }
            | E::InvalidNative { series, .. } => series.clone(),
        };
        RemoteWriteError::Series {
            series,
            reason: e.to_string(),
        }
    }
}
