//! The [`Collector`] trait: anything a registry can collect at scrape time.

pub(crate) mod families;
pub(crate) mod process;

use std::fmt;

use crate::fmt::float::RenderedFloat;
use crate::meta::Meta;
use crate::model::{Descriptor, LabelSet, MetricFamily, Point};

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

    /// Calls `f` with each metric's labels and point, in order, and the
    /// point's `created` rendered in advance when the metric keeps it. The
    /// point lent to `f` is only valid during the call (it may be reused).
    fn for_each_metric(
        &self,
        f: &mut dyn FnMut(&LabelSet, &Point, Option<&RenderedFloat>) -> fmt::Result,
    ) -> fmt::Result;
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
