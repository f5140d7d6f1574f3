//! Name rules of the Prometheus data model, checked for metrics built at
//! run time (the declaration macros check the same rules at compile time).

use crate::error::MetricError;
use crate::model::MetricType;

/// Whether `name` is a valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
///
/// ```
/// assert!(promscribe::is_valid_metric_name("http_requests_total"));
/// assert!(!promscribe::is_valid_metric_name("0day"));
/// ```
pub fn is_valid_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// Whether `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not
/// starting with the reserved `__`.
///
/// ```
/// assert!(promscribe::is_valid_label_name("method"));
/// assert!(!promscribe::is_valid_label_name("__name__"));
/// ```
pub fn is_valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') && !name.starts_with("__")
}

/// Builds the family name the way Python's client does:
/// `namespace_subsystem_name`, a counter's `_total` stripped, `_unit`
/// appended when missing. Then checks it.
pub(crate) fn full_name(
    kind: MetricType,
    name: &str,
    namespace: &str,
    subsystem: &str,
    unit: &str,
) -> Result<String, MetricError> {
    let mut full = String::new();
    for part in [namespace, subsystem] {
        if !part.is_empty() {
            full.push_str(part);
            full.push('_');
        }
    }
    full.push_str(name);
    if kind == MetricType::Counter && full.ends_with("_total") {
        full.truncate(full.len() - "_total".len());
    }
    if !unit.is_empty() {
        if matches!(kind, MetricType::Info | MetricType::StateSet) {
            return Err(MetricError::UnitNotAllowed { name: full, kind });
        }
        if !full.ends_with(&format!("_{unit}")) {
            full.push('_');
            full.push_str(unit);
        }
    }
    if !is_valid_metric_name(&full) {
        return Err(MetricError::InvalidMetricName(full));
    }
    Ok(full)
}

/// Checks label names for a metric of the given type.
pub(crate) fn check_label_names<S: AsRef<str>>(
    metric: &str,
    kind: MetricType,
    labels: &[S],
) -> Result<(), MetricError> {
    for (i, label) in labels.iter().enumerate() {
        let label = label.as_ref();
        if !is_valid_label_name(label) {
            return Err(MetricError::InvalidLabelName {
                metric: metric.to_owned(),
                label: label.to_owned(),
            });
        }
        let reserved = match kind {
            MetricType::Histogram | MetricType::GaugeHistogram => label == "le",
            MetricType::Summary => label == "quantile",
            MetricType::StateSet => label == metric,
            _ => false,
        };
        if reserved {
            return Err(MetricError::ReservedLabelName {
                metric: metric.to_owned(),
                label: label.to_owned(),
                kind,
            });
        }
        if labels[..i].iter().any(|l| l.as_ref() == label) {
            return Err(MetricError::DuplicateLabelName {
                metric: metric.to_owned(),
                label: label.to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        assert!(is_valid_metric_name("a:b_c9"));
        assert!(is_valid_metric_name(":colon"));
        assert!(!is_valid_metric_name(""));
        assert!(!is_valid_metric_name("a-b"));
        assert!(!is_valid_metric_name("é"));
    }

    #[test]
    fn label_names() {
        assert!(is_valid_label_name("_x"));
        assert!(!is_valid_label_name("a:b"));
        assert!(!is_valid_label_name("__x"));
        assert!(!is_valid_label_name("9"));
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
        assert!(matches!(
            c("bad-name", "", "", ""),
            Err(MetricError::InvalidMetricName(n)) if n == "bad-name"
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
