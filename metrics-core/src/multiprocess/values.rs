//! One sample's value in the files of the current process: Python's
//! `MmapedValue`.

use std::sync::Arc;

use super::{encode_key, FileKind, GaugeMode, MultiprocessError, ProcessFiles, SampleKey};

/// The value of one sample (a counter's `_total`, a histogram's bucket or
/// `_sum`, a gauge) in the file of its kind of the current process: what
/// Python's `MmapedValue` is to a metric.
///
/// The value lives in the file only: [`inc`](FileValue::inc) reads, adds
/// and writes under the file's mutex, so that increments from several
/// threads sum exactly, and after a fork the child starts from the value
/// of its own (new, empty) file, as in Python. A file already written by
/// a process of the same pid is reused and its value read back.
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
    files: Arc<ProcessFiles>,
    kind: FileKind,
    key: String,
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
            files,
            kind,
            key: encode_key(key),
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
        self.kind
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
        &self.key
    }

    /// Adds `amount` to the value (timestamp 0, as Python writes it).
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
    pub fn inc(&self, amount: f64) -> Result<(), MultiprocessError> {
        if let FileKind::Gauge(mode @ (GaugeMode::MostRecent | GaugeMode::LiveMostRecent)) =
            self.kind
        {
            return Err(MultiprocessError::Unsupported {
                what: format!("inc on a gauge of mode {mode} (set it instead)"),
            });
        }
        self.files.with_file(self.kind, |dict| {
            let (value, _) = dict.value(&self.key).unwrap_or((0.0, 0.0));
            dict.write_value(&self.key, value + amount, 0.0)
        })
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
    pub fn set(&self, value: f64, timestamp: f64) -> Result<(), MultiprocessError> {
        self.files.with_file(self.kind, |dict| {
            dict.write_value(&self.key, value, timestamp)
        })
    }

    /// The value: 0 if it was never written by this process (or since a
    /// fork).
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
    pub fn get(&self) -> Result<f64, MultiprocessError> {
        self.files.with_file(self.kind, |dict| {
            Ok(dict.value(&self.key).map_or(0.0, |(value, _)| value))
        })
    }
}
