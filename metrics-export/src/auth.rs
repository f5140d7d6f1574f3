//! [`Auth`]: HTTP basic auth with bcrypt-hashed passwords (as the
//! Prometheus exporter toolkit's web config) and bearer tokens, as a tower
//! layer.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{Request, Response, StatusCode};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tower_layer::Layer;
use tower_service::Service;

/// At most this many verified `user:password` pairs are remembered (as
/// SHA-256 digests), so that bcrypt, slow by design, runs once per pair.
const VERIFIED_CACHE_MAX: usize = 1024;

/// A bad [`Auth`] setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The user name is empty or contains `:` (which basic auth cannot carry).
    #[error("basic auth: user name {0:?} is empty or contains ':'")]
    BadUser(String),
    /// The password hash of a user is not a bcrypt hash.
    #[error("basic auth: the password hash of user {user:?} is not a bcrypt hash ({reason})")]
    BadHash {
        /// The user.
        user: String,
        /// What is wrong with the hash.
        reason: String,
    },
    /// A bearer token is empty or has characters a header cannot carry.
    #[error("bearer token: a token must be non-empty visible ASCII without spaces")]
    BadToken,
}

impl Clone for Credentials {
    fn clone(&self) -> Self {
        Credentials {
            users: self.users.clone(),
            tokens: self.tokens.clone(),
            verified: Mutex::default(),
        }
    }
}

#[derive(Default)]
struct Credentials {
    /// User name -> bcrypt hash.
    users: HashMap<String, String>,
    /// SHA-256 digests of the accepted bearer tokens.
    tokens: Vec<[u8; 32]>,
    /// Digests of `user`, hash and password already verified.
    verified: Mutex<HashSet<[u8; 32]>>,
}

/// Authentication for `/metrics`: HTTP basic auth with bcrypt-hashed
/// passwords (hashes as made by `htpasswd -nBC 10 user` or Python's
/// `bcrypt.hashpw`, the format of the exporter toolkit's `basic_auth_users`),
/// and bearer tokens. A request without valid credentials gets `401
/// Unauthorized` with a `WWW-Authenticate` challenge, and never reaches the
/// service behind. An `Auth` with neither users nor tokens refuses every
/// request.
///
/// Use it as a tower layer on a router, or pass it to
/// [`ServerOptions::auth`](crate::ServerOptions::auth).
///
/// ```
/// use promscribe_export::Auth;
///
/// let hash = bcrypt::hash("secret", 4)?; // or a hash from a config file
/// let auth = Auth::new()
///     .basic_user("prometheus", &hash)?
///     .bearer_token("a-long-random-token")?;
/// let app: axum::Router = promscribe_export::router().layer(auth);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Auth {
    credentials: Arc<Credentials>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut users: Vec<&String> = self.credentials.users.keys().collect();
        users.sort();
        f.debug_struct("Auth")
            .field("users", &users)
            .field("tokens", &self.credentials.tokens.len())
            .finish()
    }
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

impl Auth {
    /// No credentials yet (refuses everything until some are added).
    ///
    /// ```
    /// let auth = promscribe_export::Auth::new();
    /// # let _ = auth;
    /// ```
    pub fn new() -> Self {
        Auth::default()
    }

    fn credentials_mut(&mut self) -> &mut Credentials {
        Arc::make_mut(&mut self.credentials)
    }

    /// Accepts `user` with the password whose bcrypt hash is
    /// `bcrypt_hash` (`$2a$`, `$2b$`, `$2x$` or `$2y$`). A hash that is not
    /// bcrypt is an error naming the user.
    ///
    /// ```
    /// let hash = bcrypt::hash("secret", 4).unwrap();
    /// let auth = promscribe_export::Auth::new().basic_user("prometheus", &hash)?;
    /// assert!(promscribe_export::Auth::new().basic_user("prometheus", "secret").is_err());
    /// # Ok::<(), promscribe_export::AuthError>(())
    /// ```
    pub fn basic_user(mut self, user: &str, bcrypt_hash: &str) -> Result<Self, AuthError> {
        if user.is_empty() || user.contains(':') {
            return Err(AuthError::BadUser(user.to_owned()));
        }
        let hash = bcrypt_hash.trim();
        if let Err(e) = hash.parse::<bcrypt::HashParts>() {
            return Err(AuthError::BadHash {
                user: user.to_owned(),
                reason: e.to_string(),
            });
        }
        self.credentials_mut()
            .users
            .insert(user.to_owned(), hash.to_owned());
        Ok(self)
    }

    /// Accepts `Authorization: Bearer <token>`. Only a digest of the token
    /// is kept.
    ///
    /// ```
    /// let auth = promscribe_export::Auth::new().bearer_token("s3cr3t-token")?;
    /// assert!(promscribe_export::Auth::new().bearer_token("two words").is_err());
    /// # let _ = auth;
    /// # Ok::<(), promscribe_export::AuthError>(())
    /// ```
    pub fn bearer_token(mut self, token: &str) -> Result<Self, AuthError> {
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuthError::BadToken);
        }
        let digest = sha256(&[token.as_bytes()]);
        self.credentials_mut().tokens.push(digest);
        Ok(self)
    }

    fn challenge(&self) -> Response<Body> {
        let mut response = Response::new(Body::from("401 Unauthorized\n"));
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if !self.credentials.users.is_empty() || self.credentials.tokens.is_empty() {
            headers.append(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"metrics\", charset=\"UTF-8\""),
            );
        }
        if !self.credentials.tokens.is_empty() {
            headers.append(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
        }
        response
    }

    /// Whether `authorization` (the header's value) holds valid
    /// credentials. Bcrypt runs on tokio's blocking pool.
    async fn check(&self, authorization: Option<&HeaderValue>) -> bool {
        let Some(value) = authorization.and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let Some((scheme, rest)) = value.trim().split_once(' ') else {
            return false;
        };
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            let digest = sha256(&[rest.as_bytes()]);
            let mut found = subtle::Choice::from(0);
            for token in &self.credentials.tokens {
                found |= token.ct_eq(&digest);
            }
            return bool::from(found);
        }
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest) else {
            return false;
        };
        let Ok(decoded) = String::from_utf8(decoded) else {
            return false;
        };
        let Some((user, password)) = decoded.split_once(':') else {
            return false;
        };
        let Some(hash) = self.credentials.users.get(user) else {
            return false;
        };
        let key = sha256(&[user.as_bytes(), hash.as_bytes(), password.as_bytes()]);
        let verified = || {
            self.credentials
                .verified
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if verified().contains(&key) {
            return true;
        }
        let (password, hash) = (password.to_owned(), hash.clone());
        let ok = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
            .await
            .map(|r| r.unwrap_or(false))
            .unwrap_or(false);
        if ok {
            let mut cache = verified();
            if cache.len() >= VERIFIED_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key);
        }
        ok
    }
}

impl<S> Layer<S> for Auth {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService {
            inner,
            auth: self.clone(),
        }
    }
}

/// The service made by the [`Auth`] layer.
///
/// ```
/// use tower_layer::Layer;
/// let auth = promscribe_export::Auth::new().bearer_token("token")?;
/// let service = auth.layer(promscribe_export::MetricsService::new(promscribe::default_registry()));
/// # let _ = service;
/// # Ok::<(), promscribe_export::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    auth: Auth,
}

impl<S> Service<Request<Body>> for AuthService<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The ready clone serves this request; a fresh clone stays for the
        // next poll_ready.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        Box::pin(async move {
            if auth.check(request.headers().get(AUTHORIZATION)).await {
                inner.call(request).await
            } else {
                Ok(auth.challenge())
            }
        })
    }
}
