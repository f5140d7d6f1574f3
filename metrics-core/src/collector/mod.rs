//! The [`Collector`] trait: anything a registry can collect at scrape time.

pub(crate) mod families;
pub(crate) mod process;

use crate::model::{Descriptor, MetricFamily};

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
}

impl<C: Collector + ?Sized> Collector for std::sync::Arc<C> {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        (**self).collect(out);
    }

    fn describe(&self) -> Vec<Descriptor> {
        (**self).describe()
    }
}
