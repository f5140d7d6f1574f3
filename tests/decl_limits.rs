//! `max_series` and `expire_after` on declared families: the cap sends
//! new combinations to the overflow series, the idle timeout hides a
//! series from the exposition and a held handle brings it back, whether
//! the option is a literal or a const expression.

#![deny(warnings)]

use std::time::{Duration, Instant};

use promscribe::{counter, default_registry, encode_text, gauge, histogram};

counter!(
    CAPPED,
    "decl_limit_capped_total",
    "A family of two series at most",
    labels = ["user"],
    max_series = 2
);

const CAP: usize = 1;
gauge!(
    CAPPED_BY_CONST,
    "decl_limit_capped_by_const",
    "A family capped by a const",
    labels = ["user"],
    max_series = CAP
);

/// A wrapper that forwards the options as expression fragments.
macro_rules! capped_histogram {
    ($name:ident, $metric:literal, $cap:expr, $expire:expr) => {
        histogram!(
            $name,
            $metric,
            "A forwarded declaration",
            labels = ["user"],
            max_series = $cap,
            expire_after = $expire,
            buckets = [1.0]
        );
    };
}
capped_histogram!(FORWARDED, "decl_limit_forwarded_seconds", 1, "1h");

counter!(
    EXPIRING,
    "decl_limit_expiring_total",
    "Series idle for 50 ms leave the exposition",
    labels = ["worker"],
    expire_after = "50ms"
);

counter!(
    EXPIRING_BY_CONST,
    "decl_limit_expiring_by_const_total",
    "The same, the timeout a const Duration",
    labels = ["worker"],
    expire_after = std::time::Duration::from_millis(50)
);

/// The samples of `sample` (its name, then `{` or a space) in the text
/// exposition of the default registry, as (line, value).
fn samples(text: &str, sample: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| {
            l.strip_prefix(sample)
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
        })
        .map(|l| {
            let value = l.rsplit(' ').next().and_then(|v| v.parse().ok());
            (l.to_owned(), value.unwrap_or(f64::NAN))
        })
        .collect()
}

#[test]
fn max_series_sends_the_third_combination_to_the_overflow_series() {
    let increments = ["a", "b", "c", "a", "d", "c", "b"];
    for user in increments {
        CAPPED.labels([user]).inc();
    }
    assert_eq!(CAPPED.len(), 2);
    let text = encode_text(default_registry());
    let lines = samples(&text, "decl_limit_capped_total");
    assert!(
        lines
            .iter()
            .any(|(l, _)| l == "decl_limit_capped_total{otel_metric_overflow=\"true\"} 3.0"),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 3, "{lines:?}");
    let sum: f64 = lines.iter().map(|(_, v)| v).sum();
    assert_eq!(sum, increments.len() as f64, "{lines:?}");
    assert!(text.contains("promscribe_series_overflow_total{family=\"decl_limit_capped\"} 3"));
}

#[test]
fn max_series_as_a_const_and_as_a_forwarded_fragment() {
    CAPPED_BY_CONST.labels(["a"]).set(1.0);
    CAPPED_BY_CONST.labels(["b"]).set(2.0);
    assert_eq!(CAPPED_BY_CONST.len(), 1);
    FORWARDED.labels(["a"]).observe(0.5);
    FORWARDED.labels(["b"]).observe(0.5);
    assert_eq!(FORWARDED.len(), 1);
    let text = encode_text(default_registry());
    assert!(text.contains("decl_limit_capped_by_const{otel_metric_overflow=\"true\"} 2.0"));
    assert!(text.contains("decl_limit_forwarded_seconds_count{otel_metric_overflow=\"true\"} 1"));
    assert!(
        text.contains("promscribe_series_overflow_total{family=\"decl_limit_capped_by_const\"} 1")
    );
    assert!(text
        .contains("promscribe_series_overflow_total{family=\"decl_limit_forwarded_seconds\"} 1"));
}

/// Scrapes until `gone` has left the exposition (each scrape may sweep:
/// a sweep marks a touched series idle, a later one expires it once idle
/// for the timeout), then returns the last text.
fn scrape_until_gone(gone: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = encode_text(default_registry());
        if !text.contains(gone) {
            return text;
        }
        assert!(Instant::now() < deadline, "{gone} never expired:\n{text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn idle_series_leave_and_a_held_handle_brings_its_series_back(
    family: &promscribe::Family<promscribe::Counter, 1>,
    name: &str,
) {
    let kept = family.labels_owned(["kept"]);
    kept.inc();
    family.labels(["idle"]).inc();
    let text = encode_text(default_registry());
    let (kept_line, idle_line) = (
        format!("{name}_total{{worker=\"kept\"}}"),
        format!("{name}_total{{worker=\"idle\"}}"),
    );
    assert!(text.contains(&format!("{kept_line} 1.0")), "{text}");
    assert!(text.contains(&format!("{idle_line} 1.0")), "{text}");

    let text = scrape_until_gone(&idle_line);
    // Updated at the same time, so expired by the same sweep.
    assert!(!text.contains(&kept_line), "{text}");

    kept.inc();
    let text = encode_text(default_registry());
    assert!(text.contains(&format!("{kept_line} 2.0")), "{text}");
    assert!(!text.contains(&idle_line), "{text}");
}

#[test]
fn expire_after_as_a_duration_string() {
    idle_series_leave_and_a_held_handle_brings_its_series_back(&EXPIRING, "decl_limit_expiring");
}

#[test]
fn expire_after_as_a_const_duration() {
    idle_series_leave_and_a_held_handle_brings_its_series_back(
        &EXPIRING_BY_CONST,
        "decl_limit_expiring_by_const",
    );
}
