//! The axum router serving `/metrics`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use axum::extract::RawQuery;
use axum::http::header::{ACCEPT, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use promscribe::{
    default_registry, encode_bytes, encode_families_bytes, EncodeOptions, EscapingScheme, Format,
    Registry,
};

use crate::SharedRegistry;

/// A router serving `GET /metrics` from the default registry, in the
/// format the scraper's `Accept` header asks for (see [`negotiate`]):
/// OpenMetrics 1.0.0, the text format 0.0.4 or 1.0.0 or (feature `protobuf`)
/// Prometheus protobuf. Merge it into any
/// application, whatever its state type:
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
                move |RawQuery(query): RawQuery, headers: HeaderMap| async move {
                    scrape(&registry, query.as_deref(), format_for(&headers))
                },
            ),
        )
        .route_layer(layer.for_endpoint())
}

/// At most this much of a panic's message goes into the answer.
const MAX_PANIC_MESSAGE_BYTES: usize = 200;

/// The answer to one scrape: the whole exposition, or a 500 if a collector
/// panicked while it was being made (the partial text is dropped) or a
/// value cannot be written in the format asked for.
fn scrape(registry: &Registry, query: Option<&str>, format: Negotiated) -> Response {
    match catch_unwind(AssertUnwindSafe(|| exposition(registry, query, format))) {
        Ok(Ok(body)) => (
            [(CONTENT_TYPE, format.content_type()), (VARY, "Accept")],
            body,
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, content_type = format.content_type(), "cannot encode a scrape");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("error encoding metrics: {e}\n"),
            )
                .into_response()
        }
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

/// The exposition in `format`, restricted to the `name[]` query parameters
/// when there are any.
fn exposition(
    registry: &Registry,
    query: Option<&str>,
    negotiated: Negotiated,
) -> Result<Vec<u8>, promscribe::MetricError> {
    let format = negotiated.format;
    let names: Vec<String> = query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k == "name[]")
                .map(|(_, v)| v.into_owned())
                .collect()
        })
        .unwrap_or_default();
    let options = negotiated.options();
    let mut out = Vec::with_capacity(4096);
    if names.is_empty() {
        encode_bytes(&mut out, registry, format, &options)?;
    } else {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let families = registry.gather_restricted(&names);
        encode_families_bytes(&mut out, &families, format, &options)?;
    }
    Ok(out)
}

/// The format and escaping scheme to answer a request with, from all its
/// `Accept` headers (several headers are one list, RFC 9110).
pub(crate) fn format_for(headers: &HeaderMap) -> Negotiated {
    let accept: Vec<&str> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    negotiate_scrape(&accept.join(","))
}

/// The format to answer a scrape with, from its `Accept` header (see
/// [`negotiate_scrape`], which also gives the escaping scheme).
///
/// ```
/// use promscribe::Format;
/// use promscribe_export::negotiate;
/// // What Prometheus 2.x and 3.x send by default.
/// let prom = "application/openmetrics-text;version=1.0.0;q=0.5,\
///             application/openmetrics-text;version=0.0.1;q=0.4,\
///             text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// assert_eq!(negotiate(prom), Format::OpenMetrics);
/// assert_eq!(negotiate("text/plain;q=0.9, application/openmetrics-text;q=0.8"), Format::Text);
/// assert_eq!(negotiate(""), Format::Text);
/// assert_eq!(negotiate("application/json, garbage;;;q=x"), Format::Text);
/// # #[cfg(feature = "protobuf")]
/// assert_eq!(
///     negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
///                encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3"),
///     Format::Protobuf
/// );
/// ```
pub fn negotiate(accept: &str) -> Format {
    negotiate_scrape(accept).format
}

/// What a scrape is answered with: a format and the escaping scheme of
/// its names (see [`negotiate_scrape`]).
///
/// ```
/// use promscribe::{EscapingScheme, Format};
/// let n = promscribe_export::negotiate_scrape("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8");
/// assert_eq!((n.format, n.escaping), (Format::OpenMetrics, EscapingScheme::AllowUtf8));
/// assert_eq!(n.content_type(),
///            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Negotiated {
    /// The exposition format.
    pub format: Format,
    /// How names outside the legacy character set are written.
    pub escaping: EscapingScheme,
}

/// The `Content-Type` of each format with each escaping scheme (in the
/// order of [`EscapingScheme::ALL`]), as client_golang writes it: the
/// format's own, then `; escaping=` and the scheme.
const TEXT_TYPES: [&str; 4] = [
    "text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8",
    "text/plain; version=0.0.4; charset=utf-8; escaping=underscores",
    "text/plain; version=0.0.4; charset=utf-8; escaping=dots",
    "text/plain; version=0.0.4; charset=utf-8; escaping=values",
];
const TEXT_1_0_0_TYPES: [&str; 4] = [
    "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8",
    "text/plain; version=1.0.0; charset=utf-8; escaping=underscores",
    "text/plain; version=1.0.0; charset=utf-8; escaping=dots",
    "text/plain; version=1.0.0; charset=utf-8; escaping=values",
];
const OPENMETRICS_TYPES: [&str; 4] = [
    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8",
    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores",
    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots",
    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=values",
];
const OPENMETRICS_2_0_0_TYPES: [&str; 4] = [
    "application/openmetrics-text; version=2.0.0; charset=utf-8; escaping=allow-utf-8",
    "application/openmetrics-text; version=2.0.0; charset=utf-8; escaping=underscores",
    "application/openmetrics-text; version=2.0.0; charset=utf-8; escaping=dots",
    "application/openmetrics-text; version=2.0.0; charset=utf-8; escaping=values",
];
#[cfg(feature = "protobuf")]
const PROTOBUF_TYPES: [&str; 4] = [
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=allow-utf-8",
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores",
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=dots",
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=values",
];

impl Negotiated {
    /// The exact `Content-Type` of the answer: the format's, with the
    /// escaping scheme (`...; escaping=underscores`), as client_golang
    /// answers.
    ///
    /// ```
    /// let n = promscribe_export::negotiate_scrape("");
    /// assert_eq!(n.content_type(), "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    /// ```
    pub fn content_type(&self) -> &'static str {
        let i = EscapingScheme::ALL
            .iter()
            .position(|s| *s == self.escaping)
            .unwrap_or(1);
        let types = match self.format {
            Format::OpenMetrics => &OPENMETRICS_TYPES,
            Format::OpenMetrics2_0_0 => &OPENMETRICS_2_0_0_TYPES,
            Format::Text1_0_0 => &TEXT_1_0_0_TYPES,
            #[cfg(feature = "protobuf")]
            Format::Protobuf => &PROTOBUF_TYPES,
            _ => &TEXT_TYPES,
        };
        types.get(i).copied().unwrap_or(TEXT_TYPES[1])
    }

    /// The encoder options of the answer: the defaults, with this escaping
    /// scheme.
    ///
    /// ```
    /// use promscribe::EscapingScheme;
    /// let n = promscribe_export::negotiate_scrape("text/plain;escaping=dots");
    /// assert_eq!(n.options().escaping_scheme(), EscapingScheme::Dots);
    /// ```
    pub fn options(&self) -> EncodeOptions {
        EncodeOptions::default().escaping(self.escaping)
    }
}

/// The format and escaping scheme to answer a scrape with, from its
/// `Accept` header: the acceptable media range with the highest `q` (the
/// first of equal ones) that names a format served here.
/// `application/openmetrics-text` (version `1.0.0`, `0.0.1` or none) gives
/// OpenMetrics 1.0.0, and version `2.0.0` gives
/// [`Format::OpenMetrics2_0_0`], native histograms as Python's client
/// writes them (only when asked for: Prometheus 2 and 3 ask for 1.0.0);
/// `text/plain;version=1.0.0` (what Prometheus 3 lists
/// after OpenMetrics) gives the text format 1.0.0
/// ([`Format::Text1_0_0`]); `text/plain` (version `0.0.4` or none),
/// `text/*` and `*/*` give the text format 0.0.4, which is also the answer
/// when nothing matches. With the feature `protobuf`,
/// `application/vnd.google.protobuf` with
/// `proto=io.prometheus.client.MetricFamily` and `encoding=delimited` (what
/// Prometheus asks for first when native histograms are enabled) gives
/// [`Format::Protobuf`]; other encodings of it (`text`, `compact-text`) are
/// not served. An empty, unknown or malformed header (or element) is never
/// an error: what cannot be read is skipped.
///
/// The escaping scheme is the `escaping=` parameter of the chosen range
/// (`allow-utf-8`, `underscores`, `dots` or `values`, what Prometheus 3
/// sends); without one, or with another value, it is
/// [`EscapingScheme::Underscores`], for text 1.0.0 as for 0.0.4 (the
/// default the Prometheus escaping schemes name), so that a scraper that
/// does not ask (Prometheus 2) reads legacy names only. Prometheus 3 sends
/// `escaping=` with its 1.0.0 ranges (`allow-utf-8` unless configured
/// otherwise); names are then quoted, and the answer's `Content-Type` is
/// `text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8`.
///
/// ```
/// use promscribe::{EscapingScheme, Format};
/// use promscribe_export::negotiate_scrape;
/// // What Prometheus 3 sends by default.
/// let prom3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
///              application/openmetrics-text;version=0.0.1;q=0.5,\
///              text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
///              text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// let n = negotiate_scrape(prom3);
/// assert_eq!((n.format, n.escaping), (Format::OpenMetrics, EscapingScheme::AllowUtf8));
/// let n = negotiate_scrape("text/plain;version=0.0.4");
/// assert_eq!((n.format, n.escaping), (Format::Text, EscapingScheme::Underscores));
/// // Prometheus 3 with `scrape_protocols: [PrometheusText1.0.0, PrometheusText0.0.4]`.
/// let n = negotiate_scrape("text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,\
///                           text/plain;version=0.0.4;q=0.2,*/*;q=0.1");
/// assert_eq!((n.format, n.escaping), (Format::Text1_0_0, EscapingScheme::AllowUtf8));
/// assert_eq!(n.content_type(), "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
/// let n = negotiate_scrape("text/plain;version=1.0.0");
/// assert_eq!((n.format, n.escaping), (Format::Text1_0_0, EscapingScheme::Underscores));
/// let n = negotiate_scrape("text/plain;escaping=utf8");
/// assert_eq!(n.escaping, EscapingScheme::Underscores);
/// // Native histograms in OpenMetrics text, as Python's client writes them.
/// let n = negotiate_scrape("application/openmetrics-text;version=2.0.0,*/*;q=0.1");
/// assert_eq!((n.format, n.escaping), (Format::OpenMetrics2_0_0, EscapingScheme::Underscores));
/// assert_eq!(n.content_type(),
///            "application/openmetrics-text; version=2.0.0; charset=utf-8; escaping=underscores");
/// ```
pub fn negotiate_scrape(accept: &str) -> Negotiated {
    let mut best: Option<(f32, Negotiated)> = None;
    for element in split_outside_quotes(accept) {
        let Ok(media) = element.trim().parse::<mime::Mime>() else {
            continue;
        };
        let q = match media.get_param("q") {
            None => 1.0,
            Some(q) => match q.as_str().parse::<f32>() {
                Ok(q) if (0.0..=1.0).contains(&q) => q,
                _ => continue,
            },
        };
        if q <= 0.0 {
            continue;
        }
        let version = media.get_param("version").map(|v| v.as_str().to_owned());
        let version = version.as_deref();
        let format = match (media.type_().as_str(), media.subtype().as_str()) {
            ("application", "openmetrics-text")
                if matches!(version, None | Some("1.0.0") | Some("0.0.1")) =>
            {
                Format::OpenMetrics
            }
            ("application", "openmetrics-text") if version == Some("2.0.0") => {
                Format::OpenMetrics2_0_0
            }
            ("text", "plain") if matches!(version, None | Some("0.0.4")) => Format::Text,
            ("text", "plain") if version == Some("1.0.0") => Format::Text1_0_0,
            #[cfg(feature = "protobuf")]
            ("application", "vnd.google.protobuf")
                if media
                    .get_param("proto")
                    .is_some_and(|p| p == "io.prometheus.client.MetricFamily")
                    && media
                        .get_param("encoding")
                        .is_some_and(|e| e == "delimited") =>
            {
                Format::Protobuf
            }
            ("text", "*") | ("*", "*") => Format::Text,
            _ => continue,
        };
        let escaping = media
            .get_param("escaping")
            .and_then(|e| EscapingScheme::from_param(e.as_str()))
            .unwrap_or_default();
        if best.is_none_or(|(best_q, _)| q > best_q) {
            best = Some((q, Negotiated { format, escaping }));
        }
    }
    best.map_or(
        Negotiated {
            format: Format::Text,
            escaping: EscapingScheme::default(),
        },
        |(_, n)| n,
    )
}

/// The comma-separated elements of a header, commas inside quoted strings
/// kept.
fn split_outside_quotes(header: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    let mut parts = Vec::new();
    for (i, c) in header.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&header[start..]);
    parts.into_iter()
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
    fn content_types_are_the_formats_with_their_scheme() {
        let mut formats = vec![
            Format::Text,
            Format::Text1_0_0,
            Format::OpenMetrics,
            Format::OpenMetrics2_0_0,
        ];
        #[cfg(feature = "protobuf")]
        formats.push(Format::Protobuf);
        for format in formats {
            for escaping in EscapingScheme::ALL {
                let ct = Negotiated { format, escaping }.content_type();
                assert_eq!(
                    ct,
                    format!("{}; escaping={}", format.content_type(), escaping.as_str())
                );
            }
        }
    }

    #[test]
    fn escaping_comes_from_the_chosen_range_only() {
        let n = |a: &str| {
            let n = negotiate_scrape(a);
            (n.format, n.escaping)
        };
        assert_eq!(n(""), (Format::Text, EscapingScheme::Underscores));
        assert_eq!(
            n("*/*;escaping=values"),
            (Format::Text, EscapingScheme::Values)
        );
        assert_eq!(
            n("application/openmetrics-text;escaping=\"dots\""),
            (Format::OpenMetrics, EscapingScheme::Dots)
        );
        assert_eq!(
            n("text/plain;escaping=allow-utf-8;q=0.2,application/openmetrics-text;q=0.3"),
            (Format::OpenMetrics, EscapingScheme::Underscores)
        );
        assert_eq!(
            n("application/json;escaping=dots"),
            (Format::Text, EscapingScheme::Underscores)
        );
        assert_eq!(
            n("text/plain;version=2.0.0;escaping=dots"),
            (Format::Text, EscapingScheme::Underscores)
        );
        assert_eq!(
            n("application/openmetrics-text;version=2.0.0;escaping=allow-utf-8"),
            (Format::OpenMetrics2_0_0, EscapingScheme::AllowUtf8)
        );
        assert_eq!(
            n("application/openmetrics-text;version=3.0.0"),
            (Format::Text, EscapingScheme::Underscores)
        );
    }

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
