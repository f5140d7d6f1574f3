//! The collector of a multiprocess directory: every file of every process
//! merged into one application's families, as Python's
//! `prometheus_client/multiprocess.py` (0.26) merges them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use super::compaction::{self, DirLock};
use super::{parse_key, read_entries, FileKind, GaugeMode, MultiprocessError, SampleKey};
use crate::collector::Collector;
use crate::metric_type::MetricType;
use crate::model::MetricFamily;

/// Collects a multiprocess directory (Python's `PROMETHEUS_MULTIPROC_DIR`):
/// the files of every process, Rust or Python, merged as Python's
/// `MultiProcessCollector` merges them.
///
/// - counters and summaries: the values of every process summed;
/// - histograms: buckets summed per `le`, then made cumulative, `_count`
///   the `+Inf` bucket's total, `_sum` summed;
/// - gauges by their mode: `all` and `liveall` keep every process's value
///   with a `pid` label; `min`, `max`, `sum` (and their `live` forms)
///   merge the values; `mostrecent` and `livemostrecent` keep the value
///   with the latest timestamp.
///
/// A family is named, typed and described as the first file that holds it
/// says (its help comes from the key). The files are read, never mapped:
/// other processes keep writing theirs. A file that cannot be read, is
/// empty, truncated or foreign (a name or a key not in Python's form) is
/// left out with a `tracing` warning naming it; the other files are still
/// collected. Files are read in name order, so ties (a `mostrecent` gauge
/// written twice in the same instant) are settled the same way each time.
///
/// The `pid` label of `all` and `liveall` gauges is the file's identifier
/// as its name writes it: `123` for `gauge_all_123.db`, `123-1` for the
/// second file of pid 123 (`gauge_all_123-1.db`), as Python's collector
/// labels them.
///
/// The directory's compactions ([`compact`], or
/// [`with_compaction`](MultiProcessCollector::with_compaction)) are
/// followed: a collection holds the directory's lock shared (a compaction
/// holds it exclusive), reads the aggregates the manifest names, and
/// leaves out the files they absorbed and the aggregates of a compaction
/// that did not commit. Whatever step a compaction stopped at, the
/// families are the same as before it (counters never go backwards,
/// nothing is counted twice). A Python collector reading the same
/// directory knows no manifest: it agrees with this one between
/// compactions, and counts the absorbed files twice during one, or after
/// one that was stopped until the next completes (see [`compact`]).
///
/// [`compact`]: super::compact
///
/// ```
/// use promscribe::multiprocess::{encode_key, FileKind, MmapDict, MultiProcessCollector, SampleKey};
/// use promscribe::Registry;
/// use std::sync::Arc;
///
/// let dir = tempfile::tempdir().unwrap();
/// let key = encode_key(&SampleKey::new("jobs", "jobs_total", &[], "Jobs done."));
/// for (pid, done) in [(101, 2.0), (102, 3.0)] {
///     let path = dir.path().join(FileKind::Counter.file_name(pid));
///     MmapDict::open(&path).unwrap().write_value(&key, done, 0.0).unwrap();
/// }
///
/// let registry = Registry::new();
/// registry.register(Arc::new(MultiProcessCollector::new(dir.path()))).unwrap();
/// assert_eq!(registry.get_sample_value("jobs_total", &[]), Some(5.0));
/// ```
#[derive(Debug, Clone)]
pub struct MultiProcessCollector {
    dir: PathBuf,
    compaction: Option<Arc<Schedule>>,
}

/// When the collector compacts: at most every `every`, before a
/// collection.
#[derive(Debug)]
struct Schedule {
    every: Duration,
    /// When the last compaction started; locked while one runs.
    last: Mutex<Option<Instant>>,
}

impl Schedule {
    /// Compacts `dir` if the last compaction started `every` ago or more
    /// (or never) and no other collection of this collector is compacting.
    /// A failure is logged: the collection goes on without it.
    fn run(&self, dir: &Path) {
        let mut last = match self.last.try_lock() {
            Ok(last) => last,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        if last.is_some_and(|at| at.elapsed() < self.every) {
            return;
        }
        *last = Some(Instant::now());
        match compaction::compact(dir) {
            Ok(report) => tracing::debug!("multiprocess directory compacted: {report:?}"),
            Err(e) => tracing::warn!(
                "multiprocess directory {} collected without compaction: {e}",
                dir.display()
            ),
        }
    }
}

impl MultiProcessCollector {
    /// A collector of the files in `dir`. The directory is read at each
    /// collection; one that cannot be listed then yields no families and a
    /// warning (Python refuses it when the collector is made, but a
    /// directory may come and go with the processes that write it).
    ///
    /// ```
    /// use promscribe::multiprocess::MultiProcessCollector;
    /// use promscribe::Collector;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let collector = MultiProcessCollector::new(dir.path());
    /// assert_eq!(collector.dir(), dir.path());
    /// let mut families = Vec::new();
    /// collector.collect(&mut families);
    /// assert!(families.is_empty());
    /// ```
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            compaction: None,
        }
    }

    /// This collector, compacting the directory ([`compact`]) before a
    /// collection when the last compaction it ran started `every` ago or
    /// more (the first collection compacts). The process serving the
    /// metrics is the one to compact: it reads every file anyway. A
    /// compaction that fails (a directory without write permission) is
    /// logged as a warning, and the collection goes on without it.
    /// Clones share the schedule; a collection that finds another one of
    /// this collector compacting does not wait for it.
    ///
    /// [`compact`]: super::compact
    ///
    /// ```
    /// use promscribe::multiprocess::{encode_key, FileKind, MmapDict, MultiProcessCollector, SampleKey};
    /// use promscribe::Collector;
    /// use std::time::Duration;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let key = encode_key(&SampleKey::new("jobs", "jobs_total", &[], "Jobs done."));
    /// // A process that exited (a pid above Linux's limit never runs).
    /// let path = dir.path().join(FileKind::Counter.file_name(5_000_001));
    /// MmapDict::open(&path).unwrap().write_value(&key, 2.0, 0.0).unwrap();
    ///
    /// let collector = MultiProcessCollector::new(dir.path()).with_compaction(Duration::from_secs(60));
    /// let mut families = Vec::new();
    /// collector.collect(&mut families);
    /// assert_eq!(families[0].samples()[0].value, 2.0);
    /// assert!(!path.exists());
    /// assert!(dir.path().join("counter_aggregate-1.db").exists());
    /// ```
    pub fn with_compaction(mut self, every: Duration) -> Self {
        self.compaction = Some(Arc::new(Schedule {
            every,
            last: Mutex::new(None),
        }));
        self
    }

    /// The directory collected.
    ///
    /// ```
    /// use promscribe::multiprocess::MultiProcessCollector;
    ///
    /// assert_eq!(MultiProcessCollector::new("/tmp/m").dir(), std::path::Path::new("/tmp/m"));
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Collector for MultiProcessCollector {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        if let Some(schedule) = &self.compaction {
            schedule.run(&self.dir);
        }
        // Held until the files are read: no compaction deletes them
        // meanwhile.
        let _lock = DirLock::shared(&self.dir);
        let files = match db_files(&self.dir) {
            Ok(files) => files,
            Err(e) => {
                tracing::warn!(
                    "multiprocess directory {} not collected: {e}",
                    self.dir.display()
                );
                return;
            }
        };
        let mut files = compaction::visible(&self.dir, files);
        files.sort();
        let mut merge = Merge::default();
        for name in &files {
            merge.read_file(&self.dir, name);
        }
        merge.families(out);
    }
}

/// The names of the directory's `*.db` files, as Python's
/// `glob('*.db')` finds them (hidden files left out).
fn db_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.ends_with(".db") && !name.starts_with('.') {
            names.push(name);
        }
    }
    Ok(names)
}

/// Removes the files of the `live` gauges of the process `pid`
/// (`gauge_livesum_<pid>.db`, and `gauge_livesum_<pid>-<n>.db` of the same
/// pid, ...), as Python's `mark_process_dead`: call it when a worker
/// exits, so that its live gauges stop counting. Its other files stay (a
/// dead worker's counts still count). A file whose lock a process holds
/// (a live writer of the same pid in another container sharing the
/// directory) is left. Files already gone, or a directory that is gone,
/// are no error.
///
/// ```
/// use promscribe::multiprocess::{mark_process_dead, FileKind, FileOwner, GaugeMode, MmapDict};
///
/// let dir = tempfile::tempdir().unwrap();
/// let live = FileKind::Gauge(GaugeMode::LiveSum);
/// let second = live.file_name_of(FileOwner::Process { pid: 7, n: 1 });
/// for name in [live.file_name(7), second, FileKind::Gauge(GaugeMode::Sum).file_name(7)] {
///     MmapDict::open(dir.path().join(name)).unwrap();
/// }
/// mark_process_dead(dir.path(), 7).unwrap();
/// assert!(!dir.path().join("gauge_livesum_7.db").exists());
/// assert!(!dir.path().join("gauge_livesum_7-1.db").exists());
/// assert!(dir.path().join("gauge_sum_7.db").exists());
/// ```
pub fn mark_process_dead(dir: impl AsRef<Path>, pid: u32) -> Result<(), MultiprocessError> {
    let dir = dir.as_ref();
    let io = |e| MultiprocessError::io(dir, e);
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    for entry in entries {
        let Ok(name) = entry.map_err(io)?.file_name().into_string() else {
            continue;
        };
        let Some((FileKind::Gauge(mode), owner)) = FileKind::parse_file_name(&name) else {
            continue;
        };
        if !mode.is_live() || owner.pid() != Some(pid) || name.starts_with('.') {
            continue;
        }
        let path = dir.join(&name);
        if compaction::is_locked(&path)? {
            tracing::debug!(
                "{} not removed: a live process holds its lock",
                path.display()
            );
            continue;
        }
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(MultiprocessError::io(&path, e))
            }
            _ => {}
        }
    }
    Ok(())
}

/// One sample's key, interned: its metric, sample name and labels (sorted
/// by name, as the key holds them).
struct Series {
    metric: usize,
    sample_name: String,
    labels: Vec<(String, String)>,
}

/// A value as read from one file.
struct Raw {
    series: usize,
    /// The file's pid (as its name writes it), for a gauge file.
    pid: Option<usize>,
    value: f64,
    timestamp: f64,
}

/// A metric as Python's `_read_metrics` builds it: name, help and type of
/// the first file holding it, the gauge mode of the last, its values.
struct MetricAcc {
    name: String,
    help: String,
    kind: FileKind,
    mode: Option<GaugeMode>,
    raw: Vec<Raw>,
}

type Labels = Vec<(String, String)>;

#[derive(Default)]
struct Merge {
    /// Key text to series.
    keys: HashMap<String, usize>,
    /// (metric, sample name, labels) to series: keys that differ in help
    /// only are one series, as in Python.
    series_index: HashMap<(usize, String, Labels), usize>,
    series: Vec<Series>,
    metric_index: HashMap<String, usize>,
    metrics: Vec<MetricAcc>,
    pids: Vec<String>,
}

impl Merge {
    fn read_file(&mut self, dir: &Path, name: &str) {
        let path = dir.join(name);
        let Some((kind, _)) = FileKind::parse_file_name(name) else {
            tracing::warn!(
                "multiprocess file {} skipped: not a name of the form <type>_<pid>.db, \
                 <type>_<pid>-<n>.db or <type>_aggregate-<generation>.db",
                path.display()
            );
            return;
        };
        let entries = match read_entries(&path) {
            Ok(entries) => entries,
            Err(MultiprocessError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                // Removed since the listing (`mark_process_dead`, or a
                // process cleaning up): nothing to collect.
                return;
            }
            Err(e) => {
                tracing::warn!("multiprocess file skipped: {e}");
                return;
            }
        };
        // Every key is parsed before anything is merged: a file with one
        // foreign key is left out whole, not half merged.
        let mut parsed: Vec<Option<SampleKey>> = Vec::with_capacity(entries.len());
        for entry in &entries {
            if self.keys.contains_key(&entry.key) {
                parsed.push(None);
                continue;
            }
            match parse_key(&entry.key) {
                Ok(key) => parsed.push(Some(key)),
                Err(e) => {
                    tracing::warn!("multiprocess file {} skipped: {e}", path.display());
                    return;
                }
            }
        }
        let pid = match kind {
            FileKind::Gauge(_) => {
                let text = name
                    .strip_suffix(".db")
                    .and_then(|stem| stem.rsplit('_').next())
                    .unwrap_or_default();
                self.pids.push(text.to_owned());
                Some(self.pids.len() - 1)
            }
            _ => None,
        };
        for (entry, key) in entries.into_iter().zip(parsed) {
            let series = match key {
                None => self.keys.get(&entry.key).copied(),
                Some(key) => {
                    let series = self.intern(key, kind);
                    self.keys.insert(entry.key, series);
                    Some(series)
                }
            };
            let Some(series) = series else { continue };
            let metric = &mut self.metrics[self.series[series].metric];
            if let FileKind::Gauge(mode) = kind {
                metric.mode = Some(mode);
            }
            metric.raw.push(Raw {
                series,
                pid,
                value: entry.value,
                timestamp: entry.timestamp,
            });
        }
    }

    fn intern(&mut self, key: SampleKey, kind: FileKind) -> usize {
        let metric = match self.metric_index.get(&key.metric_name) {
            Some(m) => *m,
            None => {
                self.metrics.push(MetricAcc {
                    name: key.metric_name.clone(),
                    help: key.help,
                    kind,
                    mode: None,
                    raw: Vec::new(),
                });
                self.metric_index
                    .insert(key.metric_name, self.metrics.len() - 1);
                self.metrics.len() - 1
            }
        };
        let index_key = (metric, key.sample_name, key.labels);
        if let Some(s) = self.series_index.get(&index_key) {
            return *s;
        }
        let (_, sample_name, labels) = index_key.clone();
        self.series.push(Series {
            metric,
            sample_name,
            labels,
        });
        self.series_index.insert(index_key, self.series.len() - 1);
        self.series.len() - 1
    }

    fn families(self, out: &mut Vec<MetricFamily>) {
        let mut metrics = self.metrics;
        metrics.sort_by(|a, b| a.name.cmp(&b.name));
        for metric in metrics {
            let family = accumulate(&metric, &self.series, &self.pids);
            out.push(family);
        }
    }
}

/// Where a value goes: a sample (name and labels), or a histogram bucket
/// (labels without `le`, and the bound).
#[derive(PartialEq, Eq, Hash)]
enum Slot {
    Sample(String, Labels),
    Bucket(Labels, u64),
}

/// The merged value of a slot.
struct Value {
    value: Option<f64>,
    /// The latest timestamp (`mostrecent` gauges).
    timestamp: f64,
}

/// Python's `_accumulate_metrics` for one metric, then its samples added
/// to a typed family.
fn accumulate(metric: &MetricAcc, series: &[Series], pids: &[String]) -> MetricFamily {
    let is_gauge = matches!(metric.kind, FileKind::Gauge(_));
    let mode = metric.mode.unwrap_or(GaugeMode::All);
    let strip_pid = is_gauge && !matches!(mode, GaugeMode::All | GaugeMode::LiveAll);
    let is_histogram = metric.kind == FileKind::Histogram;

    // (series, pid) to slot, so that each distinct one is placed once.
    let mut placed: HashMap<(usize, Option<usize>), usize> = HashMap::new();
    let mut slot_index: HashMap<Slot, usize> = HashMap::new();
    let mut slots: Vec<(Slot, Value)> = Vec::new();
    for raw in &metric.raw {
        let at = *placed.entry((raw.series, raw.pid)).or_insert_with(|| {
            let s = &series[raw.series];
            let slot = place(s, raw.pid, pids, strip_pid, is_gauge, is_histogram);
            *slot_index.entry(slot).or_insert_with_key(|slot| {
                slots.push((
                    match slot {
                        Slot::Sample(n, l) => Slot::Sample(n.clone(), l.clone()),
                        Slot::Bucket(l, b) => Slot::Bucket(l.clone(), *b),
                    },
                    Value {
                        value: None,
                        timestamp: 0.0,
                    },
                ));
                slots.len() - 1
            })
        });
        let v = &mut slots[at].1;
        let x = raw.value;
        if !is_gauge {
            v.value = Some(v.value.unwrap_or(0.0) + x);
            continue;
        }
        match mode {
            // The first value, replaced only by a smaller (larger) one: a
            // NaN first stays, a NaN later is ignored, as in Python.
            GaugeMode::Min | GaugeMode::LiveMin => match v.value {
                Some(current) if x < current => v.value = Some(x),
                Some(_) => {}
                None => v.value = Some(x),
            },
            GaugeMode::Max | GaugeMode::LiveMax => match v.value {
                Some(current) if x > current => v.value = Some(x),
                Some(_) => {}
                None => v.value = Some(x),
            },
            GaugeMode::Sum | GaugeMode::LiveSum => v.value = Some(v.value.unwrap_or(0.0) + x),
            GaugeMode::MostRecent | GaugeMode::LiveMostRecent => {
                if v.timestamp < raw.timestamp {
                    v.value = Some(x);
                    v.timestamp = raw.timestamp;
                }
            }
            GaugeMode::All | GaugeMode::LiveAll => v.value = Some(x),
        }
    }

    // Grouped by labels (without `le`), each group's buckets in order.
    #[derive(Default)]
    struct Group {
        buckets: Vec<(f64, f64)>,
        samples: BTreeMap<String, f64>,
    }
    let mut groups: BTreeMap<Labels, Group> = BTreeMap::new();
    for (slot, value) in slots {
        let Some(value) = value.value else { continue };
        match slot {
            Slot::Sample(name, labels) => {
                groups
                    .entry(labels)
                    .or_default()
                    .samples
                    .insert(name, value);
            }
            Slot::Bucket(labels, bits) => {
                groups
                    .entry(labels)
                    .or_default()
                    .buckets
                    .push((f64::from_bits(bits), value));
            }
        }
    }

    let kind = match metric.kind {
        FileKind::Counter => MetricType::Counter,
        FileKind::Gauge(_) => MetricType::Gauge,
        FileKind::Histogram => MetricType::Histogram,
        FileKind::Summary => MetricType::Summary,
    };
    let mut family = MetricFamily::new(metric.name.clone(), metric.help.clone(), kind);
    let push = |family: &mut MetricFamily, name: &str, labels: Labels, value: f64| {
        let Some(suffix) = name.strip_prefix(metric.name.as_str()) else {
            tracing::warn!(
                "multiprocess sample {name} left out: not a sample of {}",
                metric.name
            );
            return;
        };
        if let Err(e) = family.push(suffix, labels, value) {
            tracing::warn!("multiprocess sample {name} left out: {e}");
        }
    };
    for (labels, mut group) in groups {
        if !group.buckets.is_empty() {
            group.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            let bucket_name = format!("{}_bucket", metric.name);
            let mut acc = 0.0;
            for (le, value) in group.buckets {
                acc += value;
                let mut with_le = labels.clone();
                let mut le_text = String::new();
                // The bound as Python's `floatToGoString` writes it.
                let _ = crate::render::float::fmt_float(&mut le_text, le);
                with_le.push(("le".to_owned(), le_text));
                push(&mut family, &bucket_name, with_le, acc);
            }
            group.samples.insert(format!("{}_count", metric.name), acc);
        }
        for (name, value) in group.samples {
            push(&mut family, &name, labels.clone(), value);
        }
    }
    family
}

/// The slot of a series' value read from a file of `pid`.
fn place(
    s: &Series,
    pid: Option<usize>,
    pids: &[String],
    strip_pid: bool,
    is_gauge: bool,
    is_histogram: bool,
) -> Slot {
    let mut labels = s.labels.clone();
    if strip_pid {
        labels.retain(|(k, _)| k != "pid");
    } else if is_gauge {
        if let Some(pid) = pid {
            // Python appends `('pid', pid)` and makes a dict: a label of
            // the user's named `pid` keeps its place, with the file's pid.
            let pid = pids.get(pid).cloned().unwrap_or_default();
            match labels.iter_mut().find(|(k, _)| k == "pid") {
                Some(label) => label.1 = pid,
                None => labels.push(("pid".to_owned(), pid)),
            }
        }
    }
    if is_histogram {
        if let Some(i) = labels.iter().position(|(k, _)| k == "le") {
            if let Some(le) = crate::render::float::parse_float(&labels[i].1) {
                labels.remove(i);
                // 0.0 and -0.0 are one bucket, as in Python's dict.
                let le = if le == 0.0 { 0.0 } else { le };
                return Slot::Bucket(labels, le.to_bits());
            }
        }
    }
    Slot::Sample(s.sample_name.clone(), labels)
}
