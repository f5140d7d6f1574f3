//! The [`Collector`] trait: anything a registry can collect at scrape time.

pub(crate) mod build_info;
pub(crate) mod families;
pub(crate) mod process;

use std::fmt;

use crate::meta::Meta;
use crate::model::{Descriptor, LabelSet, Metric, MetricFamily, MetricType, Point};
use crate::timestamp::Timestamp;

/// Produces metric families at scrape time. Every metric type implements
/// it; implement it yourself to export values you read from elsewhere
/// (Python's custom collectors).
///
/// ```
/// use promscribe::{Collector, MetricFamily, MetricType, Registry};
/// use std::sync::Arc;
///
/// struct QueueCollector;
/// impl Collector for QueueCollector {
///     fn collect(&self, out: &mut Vec<MetricFamily>) {
///         let mut f = MetricFamily::new("queue_depth", "Items waiting", MetricType::Gauge);
///         f.push("", vec![("queue".into(), "mail".into())], 7.0).unwrap();
///         out.push(f);
///     }
/// }
///
/// let registry = Registry::new();
/// registry.register(Arc::new(QueueCollector)).unwrap();
/// assert_eq!(registry.get_sample_value("queue_depth", &[("queue", "mail")]), Some(7.0));
/// ```
pub trait Collector: Send + Sync {
    /// Appends this collector's families to `out`.
    fn collect(&self, out: &mut Vec<MetricFamily>);

    /// The families this collector will produce, so that registration can
    /// refuse clashing names. The default declares nothing, and such a
    /// collector is not checked for clashes.
    fn describe(&self) -> Vec<Descriptor> {
        Vec::new()
    }

    /// The scrape path's shortcut for the built-in metric types: one
    /// family of known metadata whose metrics an encoder reads in place,
    /// without a snapshot. `None` (the default) means "use
    /// [`collect`](Collector::collect)".
    #[doc(hidden)]
    fn as_stream(&self) -> Option<&dyn StreamFamily> {
        None
    }

    /// A labelled family with a series cap: its name, and how many updates
    /// went to its overflow series (what the registry's
    /// `promscribe_series_overflow_total` shows). `None` (the default):
    /// no cap.
    #[doc(hidden)]
    fn series_overflow(&self) -> Option<(&str, u64)> {
        None
    }
}

/// A collector that is exactly one family, read in place by the encoders
/// (see [`Collector::as_stream`]). Implemented by the built-in metric
/// types only.
#[doc(hidden)]
pub trait StreamFamily: Send + Sync {
    /// The family's metadata.
    fn stream_meta(&self) -> &Meta;

    /// Number of metrics (now: a family may grow meanwhile).
    fn metric_count(&self) -> usize;

    /// Calls `f` with each metric's labels and point, in order. The labels
    /// and the point lent to `f` are only valid during the call (they may
    /// be reused).
    fn for_each_metric(&self, f: &mut dyn FnMut(&LabelSet, &Point) -> fmt::Result) -> fmt::Result;
}

impl<C: Collector + ?Sized> Collector for std::sync::Arc<C> {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        (**self).collect(out);
    }

    fn describe(&self) -> Vec<Descriptor> {
        (**self).describe()
    }

    fn as_stream(&self) -> Option<&dyn StreamFamily> {
        (**self).as_stream()
    }
}

/// A family as the encoders read it: its metadata, and its metrics either
/// from a snapshot ([`MetricFamily`]) or read in place from a built-in
/// metric type ([`StreamFamily`]).
pub(crate) struct FamilyRef<'a> {
    pub(crate) name: &'a str,
    pub(crate) help: &'a str,
    pub(crate) unit: &'a str,
    pub(crate) kind: MetricType,
    metrics: Metrics<'a>,
}

enum Metrics<'a> {
    Snapshot(&'a [Metric]),
    Stream(&'a dyn StreamFamily),
}

impl<'a> From<&'a MetricFamily> for FamilyRef<'a> {
    fn from(f: &'a MetricFamily) -> Self {
        FamilyRef {
            name: &f.name,
            help: &f.help,
            unit: &f.unit,
            kind: f.kind,
            metrics: Metrics::Snapshot(&f.metrics),
        }
    }
}

impl<'a> FamilyRef<'a> {
    pub(crate) fn stream(s: &'a dyn StreamFamily) -> Self {
        let meta = s.stream_meta();
        FamilyRef {
            name: &meta.name,
            help: &meta.help,
            unit: &meta.unit,
            kind: meta.kind,
            metrics: Metrics::Stream(s),
        }
    }

    /// Number of metrics.
    pub(crate) fn len(&self) -> usize {
        match self.metrics {
            Metrics::Snapshot(metrics) => metrics.len(),
            Metrics::Stream(s) => s.metric_count(),
        }
    }

    /// Calls `f` with each metric: labels, point, timestamp.
    pub(crate) fn for_each<F>(&self, mut f: F) -> fmt::Result
    where
        F: FnMut(&LabelSet, &Point, Option<Timestamp>) -> fmt::Result,
    {
        match self.metrics {
            Metrics::Snapshot(metrics) => {
                for m in metrics {
                    f(&m.labels, &m.point, m.timestamp)?;
                }
                Ok(())
            }
            Metrics::Stream(s) => s.for_each_metric(&mut |labels, point| f(labels, point, None)),
        }
    }
}
