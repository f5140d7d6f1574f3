//! The metric types' side of multiprocess mode: the [`FileValue`]s a
//! counter, gauge, histogram or summary records into once the mode is on,
//! with Python's keys (`values.py`), and how refusals and failed writes
//! are reported.
//!
//! A metric decides at its first update (or read) in multiprocess mode:
//! its [`MetricFiles`] are built from its metadata and kept behind its
//! rarely-used-parts pointer; from then on its value lives in the files
//! only. A family's series is decided when it is created (it knows its
//! label values only then).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::{FileKind, FileValue, GaugeMode, MultiprocessError, ProcessFiles, SampleKey};
use crate::error::MetricError;
use crate::meta::Meta;
use crate::metrics::family::OVERFLOW_LABEL;

/// The files of this process when multiprocess mode is on (asked when a
/// metric starts recording into them).
pub(crate) fn files_on() -> Option<&'static Arc<ProcessFiles>> {
    super::process_files()
}

/// What the updates know of the mode: not asked yet, off, or on (for
/// good: the mode is never turned off).
const UNKNOWN: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;
static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether multiprocess mode is on, as every update of a metric asks it
/// (inlined into the caller's crate): one load and one comparison while
/// the mode is off. The first update of the process asks
/// [`process_files`](super::process_files) ([`check`]), and so do reads
/// (`get`, scrapes), constructors, the creation of a family's series and
/// the refusals, and [`init`](super::init) itself: an `init` called
/// after some updates is seen by the next update of every metric, which
/// then carries what it recorded in memory into its file.
#[inline(always)]
pub(crate) fn on() -> bool {
    match MODE.load(Ordering::Relaxed) {
        OFF => false,
        ON => true,
        _ => check(),
    }
}

/// Whether multiprocess mode is on, asked now (`process_files`), and
/// recorded for [`on`]: what the calls off the hot path ask.
#[cold]
#[inline(never)]
pub(crate) fn check() -> bool {
    let on = super::process_files().is_some();
    let mode = if on { ON } else { OFF };
    // Written when it changes only: reads of metrics ask it at scrapes.
    if MODE.load(Ordering::Relaxed) != mode {
        MODE.store(mode, Ordering::Relaxed);
    }
    on
}

/// Updates and reads of metrics that failed to reach their file.
static FAILURES: AtomicU64 = AtomicU64::new(0);

/// How many updates (and reads) of this process's metrics failed to reach
/// their multiprocess file since start: a file that could not be created,
/// grown or mapped (a full disk, a directory removed). The first failure
/// of each metric is logged (`tracing`, level error) with the metric and
/// the file; the later ones are only counted here. A failed update is
/// lost; a failed read returns NaN.
///
/// ```
/// // Without multiprocess mode, nothing is written, so nothing fails.
/// if promscribe::multiprocess::process_files().is_none() {
///     assert_eq!(promscribe::multiprocess::failed_updates(), 0);
/// }
/// ```
pub fn failed_updates() -> u64 {
    FAILURES.load(Ordering::Relaxed)
}

/// Why multiprocess mode refuses something, as logged and returned.
pub(crate) mod reason {
    pub(crate) const INFO: &str =
        "an info metric cannot be recorded into the multiprocess files (as in Python's client)";
    pub(crate) const ENUM: &str =
        "an enum metric cannot be recorded into the multiprocess files (as in Python's client)";
    pub(crate) const EXEMPLAR: &str =
        "the multiprocess files keep no exemplars: the value was recorded without its exemplar";
    pub(crate) const SET_FUNCTION: &str = "a value function cannot be recorded into the \
         multiprocess files (the collecting process could not call it)";
    pub(crate) const REMOVE: &str = "a series cannot be removed from the multiprocess files: \
         the processes that wrote it keep it there";
    pub(crate) const EXPIRE: &str = "expire_after releases idle series from this process's \
         memory, but they stay in the multiprocess files and the collector's output";
    pub(crate) const NATIVE: &str = "native histogram buckets cannot be recorded into the \
         multiprocess files: this histogram records in this process's memory only";
    pub(crate) const MOST_RECENT_INC: &str =
        "inc and dec are refused on a gauge of mode mostrecent or livemostrecent: set it instead";
    pub(crate) const QUANTILES: &str = "summary quantiles cannot be recorded into the \
         multiprocess files: this summary records in this process's memory only";
    pub(crate) const LATE_SERIES: &str = "this series was created before multiprocess mode was \
         turned on: it records in this process's memory only";
}

/// The error a refusal returns.
pub(crate) fn refused(metric: &str, reason: &str) -> MetricError {
    MetricError::Multiprocess {
        metric: metric.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Logs a refusal once per metric and reason, for what has no
/// [`MetricFiles`] to keep the flag (info and enum metrics, families,
/// series refused when created): these are rare calls, never an update
/// of a recording metric.
pub(crate) fn refuse_once(metric: &str, reason: &'static str) {
    static LOGGED: Mutex<Option<HashSet<(String, &'static str)>>> = Mutex::new(None);
    let first = LOGGED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashSet::new)
        .insert((metric.to_owned(), reason));
    if first {
        log_refusal(metric, reason);
    }
}

fn log_refusal(metric: &str, reason: &str) {
    if metric.is_empty() {
        tracing::warn!(
            "a series of a labelled family in multiprocess mode: {reason} (logged once)"
        );
    } else {
        tracing::warn!(
            metric,
            "metric `{metric}` in multiprocess mode: {reason} (logged once)"
        );
    }
}

/// Which series of its metric a [`MetricFiles`] records.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Series<'a> {
    /// The metric itself (no labels).
    Own,
    /// A series of a family, with these label values (in the order of
    /// the family's label names).
    Child(&'a [&'a str]),
    /// A family's overflow series (`otel_metric_overflow="true"`).
    Overflow,
}

/// Flags of what was logged once.
const LOGGED_FAILURE: u8 = 1;
const LOGGED_MOST_RECENT: u8 = 2;
const LOGGED_EXEMPLAR: u8 = 4;

/// The file values of one metric (a counter's `_total`; a gauge's value;
/// a summary's `_count` and `_sum`; a histogram's buckets, then `_sum`),
/// behind one pointer.
#[derive(Debug)]
pub(crate) struct MetricFiles(Box<Inner>);

#[derive(Debug)]
struct Inner {
    /// The metric's name, for the logs.
    metric: Box<str>,
    values: Box<[FileValue]>,
    /// A gauge of mode `mostrecent` or `livemostrecent`: `set` writes the
    /// time, `inc` is refused.
    most_recent: bool,
    /// What was logged already (`LOGGED_*`).
    logged: AtomicU8,
}

impl MetricFiles {
    /// A counter's `<name>_total`.
    pub(crate) fn counter(meta: &Meta, series: Series<'_>, value: f64) -> Option<Self> {
        let total = format!("{}_total", meta.name());
        Self::start(meta, FileKind::Counter, series, &[(&total, None)], &[value])
    }

    /// A gauge's value, in the file of its mode.
    pub(crate) fn gauge(meta: &Meta, series: Series<'_>, value: f64) -> Option<Self> {
        // Checked by the declaration macro or set from a `GaugeMode`.
        let mode = meta.gauge_mode.parse().unwrap_or(GaugeMode::All);
        let kind = FileKind::Gauge(mode);
        Self::start(meta, kind, series, &[(meta.name(), None)], &[value])
    }

    /// A summary's `_count` and `_sum`.
    pub(crate) fn summary(meta: &Meta, series: Series<'_>, count: f64, sum: f64) -> Option<Self> {
        let c = format!("{}_count", meta.name());
        let s = format!("{}_sum", meta.name());
        Self::start(
            meta,
            FileKind::Summary,
            series,
            &[(&c, None), (&s, None)],
            &[count, sum],
        )
    }

    /// A histogram's buckets (per bucket, not cumulative; `le` as
    /// Python's `floatToGoString` writes the bound), then `_sum`.
    pub(crate) fn histogram(
        meta: &Meta,
        series: Series<'_>,
        bounds: &[f64],
        counts: &[f64],
        sum: f64,
    ) -> Option<Self> {
        let bucket = format!("{}_bucket", meta.name());
        let s = format!("{}_sum", meta.name());
        let les: Vec<String> = bounds
            .iter()
            .map(|b| {
                let mut le = String::new();
                let _ = crate::render::float::fmt_float(&mut le, *b);
                le
            })
            .collect();
        let mut samples: Vec<(&str, Option<&str>)> = les
            .iter()
            .map(|le| (bucket.as_str(), Some(le.as_str())))
            .collect();
        samples.push((&s, None));
        let mut initial: Vec<f64> = bounds
            .iter()
            .enumerate()
            .map(|(i, _)| counts.get(i).copied().unwrap_or(0.0))
            .collect();
        initial.push(sum);
        Self::start(meta, FileKind::Histogram, series, &samples, &initial)
    }

    /// The values of `samples` (sample name, `le`), keyed as Python's
    /// `mmap_key` keys them, each written once with its `initial` value
    /// (what the metric held in memory before, usually 0): Python writes
    /// every sample of a metric when it creates it, so the collector
    /// knows every bucket of a histogram. `None` when multiprocess mode
    /// is off.
    fn start(
        meta: &Meta,
        kind: FileKind,
        series: Series<'_>,
        samples: &[(&str, Option<&str>)],
        initial: &[f64],
    ) -> Option<Self> {
        let files = files_on()?;
        let mut labels: Vec<(&str, &str)> = match series {
            Series::Own => Vec::new(),
            Series::Child(values) => (0..meta.labels.len())
                .map(|i| meta.labels.get(i))
                .zip(values.iter().copied())
                .collect(),
            Series::Overflow => vec![(OVERFLOW_LABEL, "true")],
        };
        let values = samples
            .iter()
            .map(|(sample, le)| {
                if let Some(le) = le {
                    labels.push(("le", le));
                }
                let key = SampleKey::new(meta.name(), sample, &labels, &meta.help);
                if le.is_some() {
                    labels.pop();
                }
                FileValue::new(Arc::clone(files), kind, &key)
            })
            .collect();
        let most_recent = matches!(
            kind,
            FileKind::Gauge(GaugeMode::MostRecent | GaugeMode::LiveMostRecent)
        );
        let this = MetricFiles(Box::new(Inner {
            metric: meta.name().into(),
            values,
            most_recent,
            logged: AtomicU8::new(0),
        }));
        for (i, v) in initial.iter().enumerate() {
            if most_recent {
                // Timestamp 0 would lose to any other process's value:
                // only a value set before is carried.
                if *v != 0.0 {
                    this.set(i, *v);
                }
            } else {
                // Adds to what the file may hold (a series created again
                // after it expired): creates the entry, or keeps it.
                this.inc(i, *v);
            }
        }
        Some(this)
    }

    /// The metric's name.
    pub(crate) fn metric(&self) -> &str {
        &self.0.metric
    }

    /// Adds `amount` to value `i`; a failure is logged (the first of the
    /// metric) and counted. A `mostrecent` gauge refuses it: logged once.
    #[inline]
    pub(crate) fn inc(&self, i: usize, amount: f64) {
        if let Err(e) = self.inc_value(i, amount) {
            self.report(e);
        }
    }

    /// As [`inc`](Self::inc), returning the refusal or failure (counted,
    /// not logged) instead of logging it.
    pub(crate) fn try_inc(&self, i: usize, amount: f64) -> Result<(), MetricError> {
        self.inc_value(i, amount).map_err(|e| {
            if !matches!(e, MultiprocessError::Unsupported { .. }) {
                FAILURES.fetch_add(1, Ordering::Relaxed);
            }
            let reason = match e {
                MultiprocessError::Unsupported { what } => what,
                other => other.to_string(),
            };
            refused(self.metric(), &reason)
        })
    }

    fn inc_value(&self, i: usize, amount: f64) -> Result<(), MultiprocessError> {
        if self.0.most_recent {
            return Err(MultiprocessError::Unsupported {
                what: reason::MOST_RECENT_INC.to_owned(),
            });
        }
        match self.0.values.get(i) {
            Some(v) => v.inc(amount),
            None => Ok(()),
        }
    }

    /// Sets value `i`, with the current time as its timestamp for a
    /// `mostrecent` gauge (what its merge compares), 0 otherwise.
    pub(crate) fn set(&self, i: usize, value: f64) {
        let Some(v) = self.0.values.get(i) else {
            return;
        };
        let timestamp = if self.0.most_recent {
            crate::time::unix_now()
        } else {
            0.0
        };
        if let Err(e) = v.set(value, timestamp) {
            self.report(e);
        }
    }

    /// Value `i` as this process's file holds it; NaN if it cannot be
    /// read (logged and counted as a failure).
    pub(crate) fn get(&self, i: usize) -> f64 {
        match self.0.values.get(i).map(FileValue::get) {
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                self.report(e);
                f64::NAN
            }
            None => 0.0,
        }
    }

    /// A histogram's values: the per-bucket counts of its `buckets`
    /// buckets into `counts` (replacing what it held), and the sum.
    pub(crate) fn read_histogram(&self, buckets: usize, counts: &mut Vec<f64>) -> f64 {
        counts.clear();
        counts.extend((0..buckets).map(|i| self.get(i)));
        self.get(buckets)
    }

    /// Logs a refused exemplar, once for the metric.
    pub(crate) fn refuse_exemplar(&self) {
        if self.first(LOGGED_EXEMPLAR) {
            log_refusal(self.metric(), reason::EXEMPLAR);
        }
    }

    /// Whether `flag` is logged now for the first time.
    fn first(&self, flag: u8) -> bool {
        self.0.logged.load(Ordering::Relaxed) & flag == 0
            && self.0.logged.fetch_or(flag, Ordering::Relaxed) & flag == 0
    }

    /// A refused or failed update: a refusal is logged once per metric; a
    /// failure is counted, and the metric's first one logged.
    #[cold]
    #[inline(never)]
    fn report(&self, e: MultiprocessError) {
        if let MultiprocessError::Unsupported { what } = &e {
            if self.first(LOGGED_MOST_RECENT) {
                log_refusal(self.metric(), what);
            }
            return;
        }
        FAILURES.fetch_add(1, Ordering::Relaxed);
        if self.first(LOGGED_FAILURE) {
            let metric = self.metric();
            tracing::error!(
                metric,
                "metric `{metric}` could not record into its multiprocess file: {e} \
                 (its later failures are counted by multiprocess::failed_updates, not logged)"
            );
        }
    }
}
