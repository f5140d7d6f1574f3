//! The metric types and what they are made of: counters, gauges,
//! histograms, summaries, info and enum metrics, labelled families of
//! them, label values, and the timers and atomics their hot paths use.
//! Their metadata (`Meta`, `Opts`) sits below, in `meta`, where the
//! collectors' read-in-place view can name it.

pub(crate) mod atomic;
pub(crate) mod counter;
pub(crate) mod enumeration;
pub(crate) mod family;
pub(crate) mod gauge;
pub(crate) mod histogram;
pub(crate) mod index;
pub(crate) mod info;
pub(crate) mod labels;
pub(crate) mod liveness;
pub(crate) mod meta_ref;
pub(crate) mod native;
pub(crate) mod quantiles;
pub(crate) mod summary;
pub(crate) mod sync;
pub(crate) mod timer;

/// The sizes of the metric types, pinned so that growing one is a
/// deliberate change: a counter, gauge or histogram is the payload of
/// every series of a labelled family (and a counter the most common).
#[cfg(all(test, target_pointer_width = "64"))]
mod sizes {
    use std::mem::size_of;

    #[test]
    fn metric_types_keep_their_size() {
        // Metadata reference (2 words), whole part, fractional part,
        // `_created`, and one pointer to what few counters use (the
        // exemplar slot, the stripes). It was 80 bytes with those inline.
        assert_eq!(size_of::<super::counter::Counter>(), 48);
        // Metadata reference, value, and one pointer to the value function
        // (48 bytes when that was a `OnceLock` of the boxed function).
        assert_eq!(size_of::<super::gauge::Gauge>(), 32);
        // Metadata, buckets, first shard's counts, observations (owner,
        // sequence, sum, stripes), `_created`, and one pointer to the
        // exemplar slots (160 bytes when that was a `OnceLock` of them).
        assert_eq!(size_of::<super::histogram::Histogram>(), 144);
        // Metadata, first shard's count, observations, `_created`, and one
        // pointer to the quantile state of a summary with quantiles (96
        // bytes before that pointer).
        #[cfg(not(feature = "multiprocess"))]
        assert_eq!(size_of::<super::summary::Summary>(), 104);
    }
}
