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
pub(crate) mod summary;
pub(crate) mod sync;
pub(crate) mod timer;
