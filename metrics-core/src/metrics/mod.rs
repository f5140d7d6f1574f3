//! The metric types and what they are made of: counters, gauges,
//! histograms, summaries, info and enum metrics, labelled families of
//! them, label values, the metadata they carry, and the timers and atomics
//! their hot paths use.

pub(crate) mod atomic;
pub(crate) mod counter;
pub(crate) mod enumeration;
pub(crate) mod epoch;
pub(crate) mod family;
pub(crate) mod gauge;
pub(crate) mod histogram;
pub(crate) mod info;
pub(crate) mod labels;
pub(crate) mod meta;
pub(crate) mod summary;
pub(crate) mod timer;
