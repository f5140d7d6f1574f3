//! The axum router serving `/metrics`.

use axum::extract::RawQuery;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use promscribe::{
    default_registry, encode_text, encode_text_families, Registry, TEXT_CONTENT_TYPE,
};

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
/// ```
/// use std::sync::OnceLock;
/// static REGISTRY: OnceLock<promscribe::Registry> = OnceLock::new();
/// let registry = REGISTRY.get_or_init(promscribe::Registry::new);
/// let app: axum::Router = promscribe_export::router_for(registry);
/// ```
pub fn router_for<S>(registry: &'static Registry) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new().route(
        "/metrics",
        get(move |RawQuery(query): RawQuery| async move {
            (
                [(CONTENT_TYPE, TEXT_CONTENT_TYPE)],
                exposition(registry, query.as_deref()),
            )
                .into_response()
        }),
    )
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
