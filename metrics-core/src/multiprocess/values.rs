//! One sample's value in the files of the current process: Python's
//! `MmapedValue`.

use std::sync::Arc;

use super::mapped::ValueCell;
use super::{encode_key, FileKind, GaugeMode, MultiprocessError, ProcessFiles, SampleKey};

/// The value of one sample (a counter's `_total`, a histogram's bucket or
/// `_sum`, a gauge) in the file of its kind of the current process: what
/// Python's `MmapedValue` is to a metric.
///
/// The value lives in the file only. The first update (or read) creates
/// the file and the entry if needed and caches the value's address in the
/// mapping; later ones are an atomic operation there
/// ([`inc`](FileValue::inc) a compare-exchange loop, so that increments
/// from several threads sum exactly), after a check of the fork
/// generation: after a fork, the child's first update resolves the value
/// again in its own (new, empty) file, as in Python. A file left by an
/// exited process of the same pid is never written: this process writes
/// its own (see [`ProcessFiles`]).
///
/// ```
/// use std::sync::Arc;
/// use promscribe::multiprocess::{FileKind, FileValue, ProcessFiles, SampleKey};
///
/// let dir = tempfile::tempdir().unwrap();
/// let files = Arc::new(ProcessFiles::new(dir.path()));
/// let key = SampleKey::new("jobs", "jobs_total", &[("queue", "mail")], "Jobs done.");
/// let jobs = FileValue::new(Arc::clone(&files), FileKind::Counter, &key);
/// jobs.inc(1.0).unwrap();
/// jobs.inc(2.0).unwrap();
/// assert_eq!(jobs.get().unwrap(), 3.0);
///
/// // Another process's collector reads the same value from the file.
/// let path = dir.path().join(FileKind::Counter.file_name(std::process::id()));
/// let entries = promscribe::multiprocess::read_entries(&path).unwrap();
/// assert_eq!(entries[0].value, 3.0);
/// ```
#[derive(Debug, Clone)]
pub struct FileValue {
    cell: ValueCell,
}

impl FileValue {
    /// The value of the sample `key` in the file of `kind`. Nothing is
    /// written (and no file opened) before the first update or read.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promscribe::multiprocess::{FileKind, FileValue, GaugeMode, ProcessFiles, SampleKey};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let files = Arc::new(ProcessFiles::new(dir.path()));
    /// let key = SampleKey::new("temp", "temp", &[], "Temperature.");
    /// let temp = FileValue::new(files, FileKind::Gauge(GaugeMode::Max), &key);
    /// assert_eq!(temp.kind(), FileKind::Gauge(GaugeMode::Max));
    /// assert_eq!(temp.key(), r#"["temp", "temp", {}, "Temperature."]"#);
    /// ```
    pub fn new(files: Arc<ProcessFiles>, kind: FileKind, key: &SampleKey) -> Self {
        Self {
            cell: ValueCell::new(files, kind, encode_key(key)),
        }
    }

    /// The value of `key` in this process's global files
    /// ([`process_files`](super::process_files)); an error if multiprocess
    /// mode is off (neither `PROMETHEUS_MULTIPROC_DIR` nor
    /// [`init`](super::init)).
    ///
    /// ```
    /// use promscribe::multiprocess::{FileKind, FileValue, MultiprocessError, SampleKey};
    ///
    /// let key = SampleKey::new("jobs", "jobs_total", &[], "");
    /// if std::env::var_os("PROMETHEUS_MULTIPROC_DIR").is_none() {
    ///     let err = FileValue::global(FileKind::Counter, &key).unwrap_err();
    ///     assert!(matches!(err, MultiprocessError::NotConfigured));
    /// }
    /// ```
    pub fn global(kind: FileKind, key: &SampleKey) -> Result<Self, MultiprocessError> {
        let files = super::process_files().ok_or(MultiprocessError::NotConfigured)?;
        Ok(Self::new(Arc::clone(files), kind, key))
    }

    /// The kind of file the value is in.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promscribe::multiprocess::{FileKind, FileValue, ProcessFiles, SampleKey};
    ///
    /// let files = Arc::new(ProcessFiles::new("/tmp/m"));
    /// let v = FileValue::new(files, FileKind::Summary, &SampleKey::new("s", "s_sum", &[], ""));
    /// assert_eq!(v.kind(), FileKind::Summary);
    /// ```
    pub fn kind(&self) -> FileKind {
        self.cell.kind()
    }

    /// The entry's key, as written in the file.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promscribe::multiprocess::{FileKind, FileValue, ProcessFiles, SampleKey};
    ///
    /// let files = Arc::new(ProcessFiles::new("/tmp/m"));
    /// let v = FileValue::new(files, FileKind::Counter, &SampleKey::new("c", "c_total", &[], ""));
    /// assert_eq!(v.key(), r#"["c", "c_total", {}, ""]"#);
    /// ```
    pub fn key(&self) -> &str {
        self.cell.key()
    }

    /// Adds `amount` to the value; the timestamp is left as it is (0: it
    /// is only set for the `mostrecent` modes, which refuse `inc`).
    /// Refused for a `mostrecent` or `livemostrecent` gauge, whose merge
    /// by timestamp cannot add up increments, as Python refuses it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promscribe::multiprocess::{FileKind, FileValue, GaugeMode, ProcessFiles, SampleKey};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let files = Arc::new(ProcessFiles::new(dir.path()));
    /// let key = SampleKey::new("g", "g", &[], "");
    /// let recent = FileValue::new(files, FileKind::Gauge(GaugeMode::MostRecent), &key);
    /// assert!(recent.inc(1.0).is_err());
    /// ```
    #[inline]
    pub fn inc(&self, amount: f64) -> Result<(), MultiprocessError> {
        if let FileKind::Gauge(mode @ (GaugeMode::MostRecent | GaugeMode::LiveMostRecent)) =
            self.cell.kind()
        {
            return Err(MultiprocessError::Unsupported {
                what: format!("inc on a gauge of mode {mode} (set it instead)"),
            });
        }
        self.cell.add(amount)
    }

    /// Sets the value and its timestamp (seconds since the epoch: what
    /// the `mostrecent` modes merge by; 0 for the others, as Python
    /// writes it).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promscribe::multiprocess::{FileKind, FileValue, GaugeMode, ProcessFiles, SampleKey};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let files = Arc::new(ProcessFiles::new(dir.path()));
    /// let key = SampleKey::new("g", "g", &[], "");
    /// let g = FileValue::new(files, FileKind::Gauge(GaugeMode::MostRecent), &key);
    /// g.set(5.0, 1_700_000_000.0).unwrap();
    /// assert_eq!(g.get().unwrap(), 5.0);
    /// ```
    #[inline]
    pub fn set(&self, value: f64, timestamp: f64) -> Result<(), MultiprocessError> {
        self.cell.set(value, timestamp)
    }

    /// The value: 0 if it was never written by this process (or since a
    /// fork). Like an update, the first read creates the file and the
    /// entry (value 0), as Python's `MmapedValue` does when it is made.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promscribe::multiprocess::{FileKind, FileValue, ProcessFiles, SampleKey};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let files = Arc::new(ProcessFiles::new(dir.path()));
    /// let v = FileValue::new(files, FileKind::Counter, &SampleKey::new("c", "c_total", &[], ""));
    /// assert_eq!(v.get().unwrap(), 0.0);
    /// ```
    #[inline]
    pub fn get(&self) -> Result<f64, MultiprocessError> {
        self.cell.get()
    }

    /// The files the value is in.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promscribe::multiprocess::{FileKind, FileValue, ProcessFiles, SampleKey};
    ///
    /// let files = Arc::new(ProcessFiles::new("/tmp/m"));
    /// let v = FileValue::new(Arc::clone(&files), FileKind::Counter, &SampleKey::new("c", "c_total", &[], ""));
    /// assert!(Arc::ptr_eq(v.files(), &files));
    /// ```
    pub fn files(&self) -> &Arc<ProcessFiles> {
        self.cell.files()
    }
}
