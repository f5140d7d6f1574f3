//! The axum router serving `/metrics`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use axum::extract::RawQuery;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use promscribe::{
    default_registry, encode_text, encode_text_families, Registry, TEXT_CONTENT_TYPE,
};

use crate::SharedRegistry;

/// A router serving `GET /metrics` from the default registry, in the text
/// format 0.0.4. Merge it into any application, whatever its state type:
///
/// ```
/// use axum::{routing::get, Router};
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .merge(promscribe_export::router());
/// ```
///
/// The first call checks the declared metrics for clashing names and logs
/// each clash through `tracing` (only the first family of a name is served).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    log_clashes_once(default_registry());
    router_for(default_registry())
}

/// A router serving `GET /metrics` from another registry.
///
/// `GET /metrics?name[]=a&name[]=b` serves only the samples with those
/// names (as Python's client does), e.g. to scrape a few series often.
///
/// A collector (or a gauge's function) that panics during a scrape makes
/// that scrape a `500 Internal Server Error` with a short message, logged
/// through `tracing`; nothing of the other collectors' output is sent, and
/// the next scrape is served as usual. (With `panic = "abort"` a panic
/// ends the process instead.)
///
/// The registry is a `&'static Registry` or an `Arc<Registry>` the caller
/// owns (see [`SharedRegistry`]); the endpoint has the default
/// [`ExpositionLayer`](crate::ExpositionLayer) (compression, `HEAD`, `405`,
/// a timeout, shared collections).
///
/// ```
/// use std::sync::Arc;
/// let registry = Arc::new(promscribe::Registry::new());
/// let app: axum::Router = promscribe_export::router_for(registry.clone());
/// ```
pub fn router_for<S>(registry: impl Into<SharedRegistry>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router_with(registry, crate::ExpositionLayer::default())
}

/// [`router_for`] with other exposition options (timeout, compression).
///
/// ```
/// use promscribe_export::ExpositionLayer;
/// let app: axum::Router = promscribe_export::router_with(
///     promscribe::default_registry(),
///     ExpositionLayer::new().timeout(std::time::Duration::from_secs(5)),
/// );
/// ```
pub fn router_with<S>(
    registry: impl Into<SharedRegistry>,
    layer: crate::ExpositionLayer,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let registry = registry.into();
    Router::new()
        .route(
            "/metrics",
            get(
                move |RawQuery(query): RawQuery| async move { scrape(&registry, query.as_deref()) },
            ),
        )
        .route_layer(layer.for_endpoint())
}

/// At most this much of a panic's message goes into the answer.
const MAX_PANIC_MESSAGE_BYTES: usize = 200;

/// The answer to one scrape: the whole exposition, or a 500 if a collector
/// panicked while it was being made (the partial text is dropped).
fn scrape(registry: &Registry, query: Option<&str>) -> Response {
    match catch_unwind(AssertUnwindSafe(|| exposition(registry, query))) {
        Ok(text) => ([(CONTENT_TYPE, TEXT_CONTENT_TYPE)], text).into_response(),
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            tracing::error!(panic = %message, "a collector panicked during a scrape");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("error collecting metrics: a collector panicked: {message}\n"),
            )
                .into_response()
        }
    }
}

/// The text of a panic, on one line, cut (with `...`) after
/// [`MAX_PANIC_MESSAGE_BYTES`].
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.len() <= MAX_PANIC_MESSAGE_BYTES {
        return one_line;
    }
    let mut end = MAX_PANIC_MESSAGE_BYTES;
    while !one_line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &one_line[..end])
}

/// The text exposition, restricted to the `name[]` query parameters when
/// there are any.
fn exposition(registry: &Registry, query: Option<&str>) -> String {
    let names: Vec<String> = query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k == "name[]")
                .map(|(_, v)| v.into_owned())
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        return encode_text(registry);
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut out = String::new();
    encode_text_families(&mut out, &registry.gather_restricted(&names));
    out
}

fn log_clashes_once(registry: &'static Registry) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Err(e) = registry.check() {
            for clash in &e.clashes {
                tracing::error!(%clash, "clashing metric names: only the first is exposed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_short_and_on_one_line() {
        let short: Box<dyn std::any::Any + Send> = Box::new("boom\nagain");
        assert_eq!(panic_message(short.as_ref()), "boom again");
        let long: Box<dyn std::any::Any + Send> = Box::new("é".repeat(300));
        let cut = panic_message(long.as_ref());
        assert!(
            cut.ends_with("...") && cut.len() <= MAX_PANIC_MESSAGE_BYTES + 3,
            "{cut}"
        );
        let other: Box<dyn std::any::Any + Send> = Box::new(42_u8);
        assert_eq!(panic_message(other.as_ref()), "(no message)");
    }
}
