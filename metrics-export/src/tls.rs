//! [`TlsConfig`]: HTTPS for [`start_http_server`](crate::start_http_server)
//! with rustls.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls;

/// A TLS setting that cannot work: a file that cannot be read or holds no
/// usable PEM, or a certificate that does not match its key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read or parsed.
    #[error("TLS: cannot read the {what} from {path}: {reason}")]
    Pem {
        /// What the file should hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// rustls refused the certificate, key or CA.
    #[error("TLS: {0}")]
    Rustls(String),
}

/// HTTPS settings: the server's certificate chain and private key (PEM
/// files), and optionally a CA whose client certificates are required (as
/// Python's `start_http_server(certfile=, keyfile=, client_cafile=)` and
/// the exporter toolkit's `client_ca_file` with
/// `RequireAndVerifyClientCert`).
///
/// ```no_run
/// use promscribe_export::{start_http_server_with, ServerOptions, TlsConfig};
///
/// let tls = TlsConfig::from_pem_files("server.crt", "server.key")?
///     .client_ca("clients-ca.crt")?;
/// let server = start_http_server_with("0.0.0.0:9100", ServerOptions::new().tls(tls))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TlsConfig {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_roots: Option<Arc<rustls::RootCertStore>>,
    config: Arc<rustls::ServerConfig>,
}

impl Clone for TlsConfig {
    fn clone(&self) -> Self {
        TlsConfig {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            client_roots: self.client_roots.clone(),
            config: self.config.clone(),
        }
    }
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("certificates", &self.chain.len())
            .field("client_certificates_required", &self.client_roots.is_some())
            .finish_non_exhaustive()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certs(path: &Path, what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_error = |reason: String| TlsError::Pem {
        what,
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_error("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

fn build(
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
    client_roots: Option<&Arc<rustls::RootCertStore>>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    let builder = match client_roots {
        None => builder.with_no_client_auth(),
        Some(roots) => {
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                roots.clone(),
                provider(),
            )
            .build()
            .map_err(|e| TlsError::Rustls(format!("client CA: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain.to_vec(), key.clone_key())
        .map_err(|e| TlsError::Rustls(format!("server certificate and key: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

impl TlsConfig {
    /// The certificate chain (PEM, the server's certificate first) and its
    /// private key (PEM: PKCS#8, PKCS#1 or SEC1). Errors name the file.
    ///
    /// ```
    /// let err = promscribe_export::TlsConfig::from_pem_files("missing.crt", "missing.key")
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("missing.crt"));
    /// ```
    pub fn from_pem_files(
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<TlsConfig, TlsError> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let chain = read_certs(cert, "certificate chain")?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Pem {
            what: "private key",
            path: key.to_owned(),
            reason: e.to_string(),
        })?;
        let config = build(&chain, &key, None)?;
        Ok(TlsConfig {
            chain,
            key,
            client_roots: None,
            config,
        })
    }

    /// Requires a client certificate signed by a CA of this PEM file; a
    /// client without one fails the handshake.
    ///
    /// ```no_run
    /// let tls = promscribe_export::TlsConfig::from_pem_files("server.crt", "server.key")?
    ///     .client_ca("ca.crt")?;
    /// # let _ = tls;
    /// # Ok::<(), promscribe_export::TlsError>(())
    /// ```
    pub fn client_ca(mut self, ca: impl AsRef<Path>) -> Result<TlsConfig, TlsError> {
        let ca = ca.as_ref();
        let mut roots = rustls::RootCertStore::empty();
        for cert in read_certs(ca, "client CA")? {
            roots.add(cert).map_err(|e| TlsError::Pem {
                what: "client CA",
                path: ca.to_owned(),
                reason: e.to_string(),
            })?;
        }
        let roots = Arc::new(roots);
        self.config = build(&self.chain, &self.key, Some(&roots))?;
        self.client_roots = Some(roots);
        Ok(self)
    }

    /// The rustls configuration, for serving a router over TLS yourself
    /// (with `tokio_rustls::TlsAcceptor::from(config)`).
    ///
    /// ```no_run
    /// let tls = promscribe_export::TlsConfig::from_pem_files("server.crt", "server.key")?;
    /// let config = tls.server_config();
    /// # let _ = config;
    /// # Ok::<(), promscribe_export::TlsError>(())
    /// ```
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        self.config.clone()
    }
}
