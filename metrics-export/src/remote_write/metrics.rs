//! The sender's own figures, kept in atomics and exposed in the registry
//! it sends, named as Prometheus' own remote-write sender names them
//! (`prometheus_remote_storage_*`), with the receiver's `url` as label.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use promscribe::{
    Collector, CounterMetricFamily, Descriptor, GaugeMetricFamily, MetricFamily, MetricType,
};

/// The counters of one sender (relaxed atomics: each is read alone).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Samples the receiver accepted.
    pub(crate) sent: AtomicU64,
    /// Samples that will never be stored: refused (4xx other than 429),
    /// left in the queue at shutdown, or given up on by a one-shot push.
    pub(crate) failed: AtomicU64,
    /// Samples sent again after a 5xx, a 429 or a connection error.
    pub(crate) retried: AtomicU64,
    /// Samples dropped because the queue was full (the oldest first).
    pub(crate) dropped: AtomicU64,
    /// Samples waiting in the queue.
    pub(crate) pending: AtomicU64,
    /// Series the encoder could not send (e.g. an empty label value).
    pub(crate) invalid_series: AtomicU64,
    /// The highest sample timestamp the receiver accepted, in ms.
    pub(crate) highest_sent_ms: AtomicU64,
}

impl Stats {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub(crate) fn sent_up_to(&self, timestamp_ms: i64) {
        let ts = u64::try_from(timestamp_ms).unwrap_or(0);
        self.highest_sent_ms.fetch_max(ts, Ordering::Relaxed);
    }
}

/// The families of [`Stats`], registered in the sent registry while a
/// background sender runs.
pub(crate) struct StatsCollector {
    pub(crate) url: String,
    pub(crate) stats: Arc<Stats>,
}

const COUNTERS: [(&str, &str); 5] = [
    (
        "prometheus_remote_storage_samples_total",
        "Samples the remote-write receiver accepted.",
    ),
    (
        "prometheus_remote_storage_samples_failed_total",
        "Samples that will not be stored: refused by the receiver (4xx), or still queued at shutdown.",
    ),
    (
        "prometheus_remote_storage_samples_retried_total",
        "Samples sent again after a 5xx, a 429 or a connection error.",
    ),
    (
        "prometheus_remote_storage_samples_dropped_total",
        "Samples dropped, the oldest first, because the queue was full.",
    ),
    (
        "promscribe_remote_storage_invalid_series_total",
        "Series of the registry that cannot be sent in the remote-write format (e.g. an empty label value).",
    ),
];

const PENDING: (&str, &str) = (
    "prometheus_remote_storage_samples_pending",
    "Samples waiting in the remote-write queue.",
);

const HIGHEST_SENT: (&str, &str) = (
    "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
    "Timestamp of the newest sample the remote-write receiver accepted, in Unix seconds (0 before the first).",
);

impl Collector for StatsCollector {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let s = &self.stats;
        let values = [
            Stats::get(&s.sent),
            Stats::get(&s.failed),
            Stats::get(&s.retried),
            Stats::get(&s.dropped),
            Stats::get(&s.invalid_series),
        ];
        let url = self.url.as_str();
        for ((name, help), value) in COUNTERS.iter().zip(values) {
            if let Ok(mut f) = CounterMetricFamily::new(name, help, &["url"]) {
                if f.add_metric(&[url], value as f64).is_ok() {
                    out.push(f.into());
                }
            }
        }
        let gauges = [
            (PENDING, Stats::get(&s.pending) as f64),
            (HIGHEST_SENT, Stats::get(&s.highest_sent_ms) as f64 / 1000.0),
        ];
        for ((name, help), value) in gauges {
            if let Ok(mut f) = GaugeMetricFamily::new(name, help, &["url"]) {
                if f.add_metric(&[url], value).is_ok() {
                    out.push(f.into());
                }
            }
        }
    }

    fn describe(&self) -> Vec<Descriptor> {
        let counters = COUNTERS.iter().map(|(name, _)| Descriptor {
            name: name.trim_end_matches("_total").to_owned(),
            kind: MetricType::Counter,
        });
        let gauges = [PENDING.0, HIGHEST_SENT.0]
            .into_iter()
            .map(|name| Descriptor {
                name: name.to_owned(),
                kind: MetricType::Gauge,
            });
        counters.chain(gauges).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_are_metrics_of_the_registry() {
        let stats = Arc::new(Stats::default());
        Stats::add(&stats.sent, 7);
        Stats::add(&stats.dropped, 2);
        stats.pending.store(5, Ordering::Relaxed);
        stats.sent_up_to(1_700_000_000_500);
        let registry = promscribe::Registry::new();
        registry
            .register(Arc::new(StatsCollector {
                url: "http://r/api/v1/write".into(),
                stats,
            }))
            .expect("no clash");
        let url = [("url", "http://r/api/v1/write")];
        let get = |name: &str| registry.get_sample_value(name, &url);
        assert_eq!(get("prometheus_remote_storage_samples_total"), Some(7.0));
        assert_eq!(
            get("prometheus_remote_storage_samples_dropped_total"),
            Some(2.0)
        );
        assert_eq!(
            get("prometheus_remote_storage_samples_failed_total"),
            Some(0.0)
        );
        assert_eq!(get("prometheus_remote_storage_samples_pending"), Some(5.0));
        assert_eq!(
            get("prometheus_remote_storage_queue_highest_sent_timestamp_seconds"),
            Some(1_700_000_000.5)
        );
    }
}
