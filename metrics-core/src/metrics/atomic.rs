//! An `f64` stored in an `AtomicU64`, and wall-clock helpers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// An atomic `f64` (bits in an `AtomicU64`).
#[derive(Debug)]
pub(crate) struct AtomicF64(AtomicU64);

impl AtomicF64 {
    pub(crate) const fn zero() -> Self {
        AtomicF64(AtomicU64::new(0))
    }

    pub(crate) const fn new(v: f64) -> Self {
        AtomicF64(AtomicU64::new(v.to_bits()))
    }

    #[inline]
    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    #[inline]
    pub(crate) fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn add(&self, v: f64) {
        let mut cur = self.0.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(cur) + v).to_bits();
            match self
                .0
                .compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// When the process started, as seconds since the Unix epoch: the kernel's
/// record where it can be read, else the first time this is asked.
pub(crate) fn process_start_time() -> f64 {
    static START: OnceLock<f64> = OnceLock::new();
    *START.get_or_init(|| crate::collector::process::start_time_of_self().unwrap_or_else(unix_now))
}

/// A creation timestamp: set at construction for runtime metrics; for
/// statics (which exist from the start) it reads as the process start.
#[derive(Debug)]
pub(crate) struct Created(AtomicF64);

impl Created {
    /// For statics: reads as the process start time until reset.
    pub(crate) const fn unset() -> Self {
        Created(AtomicF64::zero())
    }

    pub(crate) fn now() -> Self {
        Created(AtomicF64::new(unix_now()))
    }

    pub(crate) fn get(&self) -> f64 {
        match self.0.get() {
            0.0 => process_start_time(),
            t => t,
        }
    }

    pub(crate) fn reset(&self) {
        self.0.set(unix_now());
    }
}
