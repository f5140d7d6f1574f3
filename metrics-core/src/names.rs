//! Name rules of the Prometheus data model, checked for metrics built at
//! run time. The rules themselves live in `promscribe-rules`, which the
//! declaration macros call at compile time: one set of rules, one message.

use promscribe_rules::NameParts;

use crate::error::{rule_kind, MetricError};
use crate::metric_type::MetricType;

/// Whether `name` is a valid metric name: any non-empty string, as
/// Prometheus 3 takes UTF-8 names (`http.server.duration`). A name outside
/// the legacy character set is quoted or escaped when exposed, as the
/// scraper asks (see [`EscapingScheme`](crate::EscapingScheme)).
///
/// ```
/// assert!(promscribe::is_valid_metric_name("http_requests_total"));
/// assert!(promscribe::is_valid_metric_name("http.server.duration"));
/// assert!(!promscribe::is_valid_metric_name(""));
/// ```
pub fn is_valid_metric_name(name: &str) -> bool {
    promscribe_rules::is_valid_metric_name(name)
}

/// Whether `name` is a valid label name: any non-empty string not
/// starting with the reserved `__`.
///
/// ```
/// assert!(promscribe::is_valid_label_name("method"));
/// assert!(promscribe::is_valid_label_name("http.method"));
/// assert!(!promscribe::is_valid_label_name("__name__"));
/// ```
pub fn is_valid_label_name(name: &str) -> bool {
    promscribe_rules::is_valid_label_name(name)
}

/// Whether `name` is a valid metric name by the legacy (pre-UTF-8) rule,
/// `[a-zA-Z_:][a-zA-Z0-9_:]*`, for a program that wants to keep to it
/// (such a name is exposed as it is, whatever the scraper asks).
///
/// ```
/// assert!(promscribe::is_valid_legacy_metric_name("http_requests_total"));
/// assert!(!promscribe::is_valid_legacy_metric_name("http.server.duration"));
/// assert!(!promscribe::is_valid_legacy_metric_name("0day"));
/// ```
pub fn is_valid_legacy_metric_name(name: &str) -> bool {
    promscribe_rules::is_valid_legacy_metric_name(name)
}

/// Whether `name` is a valid label name by the legacy (pre-UTF-8) rule:
/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`.
///
/// ```
/// assert!(promscribe::is_valid_legacy_label_name("method"));
/// assert!(!promscribe::is_valid_legacy_label_name("a:b"));
/// ```
pub fn is_valid_legacy_label_name(name: &str) -> bool {
    promscribe_rules::is_valid_legacy_label_name(name)
}

/// Builds the family name the way Python's client does:
/// `namespace_subsystem_name`, a counter's `_total` (an info metric's
/// `_info`) stripped, `_unit` appended when missing. Each component is
/// checked on its own, so that an error blames the right one.
pub(crate) fn full_name(
    kind: MetricType,
    name: &str,
    namespace: &str,
    subsystem: &str,
    unit: &str,
) -> Result<String, MetricError> {
    let parts = NameParts {
        namespace,
        subsystem,
        name,
        unit,
    };
    Ok(promscribe_rules::full_name(rule_kind(kind), &parts)?)
}

/// Checks label names for a metric of the given type.
pub(crate) fn check_label_names<S: AsRef<str>>(
    metric: &str,
    kind: MetricType,
    labels: &[S],
) -> Result<(), MetricError> {
    Ok(promscribe_rules::check_label_names(
        metric,
        rule_kind(kind),
        labels,
    )?)
}

/// Checks the name of a state set (an enum), which is also a label name.
pub(crate) fn check_stateset_name(name: &str) -> Result<(), MetricError> {
    Ok(promscribe_rules::check_stateset_name(name)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        assert!(is_valid_metric_name("a:b_c9"));
        assert!(is_valid_metric_name(":colon"));
        assert!(!is_valid_metric_name(""));
        assert!(is_valid_metric_name("a-b"));
        assert!(is_valid_metric_name("é"));
        assert!(!is_valid_legacy_metric_name("a-b"));
        assert!(!is_valid_legacy_metric_name("é"));
        assert!(is_valid_legacy_metric_name("a:b_c9"));
    }

    #[test]
    fn label_names() {
        assert!(is_valid_label_name("_x"));
        assert!(is_valid_label_name("a:b"));
        assert!(!is_valid_label_name("__x"));
        assert!(is_valid_label_name("9"));
        assert!(!is_valid_label_name(""));
        assert!(!is_valid_legacy_label_name("a:b"));
        assert!(!is_valid_legacy_label_name("9"));
    }

    #[test]
    fn full_names_follow_python() {
        let c = |n, ns, ss, u| full_name(MetricType::Counter, n, ns, ss, u);
        assert_eq!(c("x_total", "", "", "").unwrap(), "x");
        assert_eq!(c("req_total", "app", "http", "").unwrap(), "app_http_req");
        assert_eq!(
            full_name(MetricType::Gauge, "latency", "", "", "seconds").unwrap(),
            "latency_seconds"
        );
        assert_eq!(
            full_name(MetricType::Gauge, "latency_seconds", "", "", "seconds").unwrap(),
            "latency_seconds"
        );
        assert!(matches!(
            full_name(MetricType::Info, "build", "", "", "seconds"),
            Err(MetricError::UnitNotAllowed { .. })
        ));
        assert_eq!(c("my.requests_total", "", "", "").unwrap(), "my.requests");
        assert!(matches!(
            c("", "", "", ""),
            Err(MetricError::EmptyName { .. })
        ));
    }

    #[test]
    fn reserved_labels() {
        assert!(check_label_names("h", MetricType::Histogram, &["le"]).is_err());
        assert!(check_label_names("s", MetricType::Summary, &["quantile"]).is_err());
        assert!(check_label_names("s", MetricType::Gauge, &["quantile"]).is_ok());
        assert!(check_label_names("g", MetricType::Gauge, &["a", "a"]).is_err());
    }
}
