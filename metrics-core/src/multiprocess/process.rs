//! The files of the current process: one [`MmapDict`] per [`FileKind`],
//! opened on first use in the configured directory, reopened for the new
//! pid after a fork (Python's `MultiProcessValue` and its `files`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use super::{FileKind, GaugeMode, MmapDict, MultiprocessError};

/// The environment variable naming the directory, as in Python.
pub const ENV_DIR: &str = "PROMETHEUS_MULTIPROC_DIR";

/// Python's deprecated lower-case spelling, read when [`ENV_DIR`] is unset.
const ENV_DIR_DEPRECATED: &str = "prometheus_multiproc_dir";

/// How many kinds of files a process writes: counter, histogram, summary
/// and the ten gauge modes.
const KINDS: usize = 13;

fn slot_of(kind: FileKind) -> usize {
    match kind {
        FileKind::Counter => 0,
        FileKind::Histogram => 1,
        FileKind::Summary => 2,
        FileKind::Gauge(mode) => {
            3 + GaugeMode::ALL
                .iter()
                .position(|m| *m == mode)
                .unwrap_or_default()
        }
    }
}

/// A file of this process, and the pid it was opened for.
#[derive(Debug)]
struct OpenFile {
    pid: u32,
    dict: MmapDict,
}

type PidSource = Box<dyn Fn() -> u32 + Send + Sync>;

/// The files one process writes in a multiprocess directory: for each
/// [`FileKind`], `<kind>_<pid>.db` opened (or created) on first use.
///
/// Thread-safe: each file has its own mutex, so that threads updating
/// counters do not wait for threads updating gauges. Every access asks the
/// pid source for the current pid (`std::process::id()` unless injected
/// with [`with_pid_source`](ProcessFiles::with_pid_source)); a file opened
/// for another pid (in the parent, before a `fork`) is closed and the
/// file of the new pid opened instead, so a forked child writes its own
/// files and never the parent's.
///
/// A file that already exists for the pid (a process restarted with the
/// same pid, as in containers where every worker is pid 1) is reused, its
/// values read back, as Python does.
///
/// As in Python, a `fork` while another thread holds one of the mutexes
/// leaves that mutex locked in the child: fork before starting threads
/// that record values (a pre-fork server does).
///
/// ```
/// use promscribe::multiprocess::{FileKind, ProcessFiles};
///
/// let dir = tempfile::tempdir().unwrap();
/// let files = ProcessFiles::new(dir.path());
/// files.with_file(FileKind::Counter, |dict| dict.write_value("k", 1.0, 0.0)).unwrap();
/// let name = FileKind::Counter.file_name(std::process::id());
/// assert!(dir.path().join(name).exists());
/// ```
pub struct ProcessFiles {
    dir: PathBuf,
    pid: PidSource,
    files: [Mutex<Option<OpenFile>>; KINDS],
}

impl fmt::Debug for ProcessFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessFiles")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl ProcessFiles {
    /// The files of this process (`std::process::id()`) in `dir`. Nothing
    /// is opened before the first access.
    ///
    /// ```
    /// use promscribe::multiprocess::ProcessFiles;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let files = ProcessFiles::new(dir.path());
    /// assert_eq!(files.dir(), dir.path());
    /// assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    /// ```
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self::with_pid_source(dir, std::process::id)
    }

    /// The files in `dir` of the process `pid()` names, asked at every
    /// access: for tests that simulate a fork, or for an identifier other
    /// than the pid (Python's `process_identifier`). It must return
    /// distinct values in processes running at the same time.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    /// use promscribe::multiprocess::{FileKind, ProcessFiles};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let pid = Arc::new(AtomicU32::new(7));
    /// let source = Arc::clone(&pid);
    /// let files = ProcessFiles::with_pid_source(dir.path(), move || source.load(Ordering::Relaxed));
    /// files.with_file(FileKind::Summary, |_| Ok(())).unwrap();
    /// pid.store(8, Ordering::Relaxed);
    /// files.with_file(FileKind::Summary, |_| Ok(())).unwrap();
    /// assert!(dir.path().join("summary_7.db").exists());
    /// assert!(dir.path().join("summary_8.db").exists());
    /// ```
    pub fn with_pid_source(
        dir: impl Into<PathBuf>,
        pid: impl Fn() -> u32 + Send + Sync + 'static,
    ) -> Self {
        Self {
            dir: dir.into(),
            pid: Box::new(pid),
            files: std::array::from_fn(|_| Mutex::new(None)),
        }
    }

    /// The directory of the files.
    ///
    /// ```
    /// use promscribe::multiprocess::ProcessFiles;
    ///
    /// assert_eq!(ProcessFiles::new("/tmp/m").dir(), std::path::Path::new("/tmp/m"));
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current pid, as the pid source gives it.
    ///
    /// ```
    /// use promscribe::multiprocess::ProcessFiles;
    ///
    /// assert_eq!(ProcessFiles::new("/tmp/m").pid(), std::process::id());
    /// ```
    pub fn pid(&self) -> u32 {
        (self.pid)()
    }

    /// Runs `f` on the file of `kind` for the current pid, holding that
    /// file's mutex: opened (created if missing) on first use, reopened
    /// when the pid changed since it was opened.
    ///
    /// ```
    /// use promscribe::multiprocess::{FileKind, GaugeMode, ProcessFiles};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let files = ProcessFiles::new(dir.path());
    /// let kind = FileKind::Gauge(GaugeMode::Max);
    /// files.with_file(kind, |dict| dict.write_value("g", 4.0, 0.0)).unwrap();
    /// let value = files.with_file(kind, |dict| Ok(dict.value("g"))).unwrap();
    /// assert_eq!(value, Some((4.0, 0.0)));
    /// ```
    pub fn with_file<T>(
        &self,
        kind: FileKind,
        f: impl FnOnce(&mut MmapDict) -> Result<T, MultiprocessError>,
    ) -> Result<T, MultiprocessError> {
        let pid = self.pid();
        let mut slot = self.lock(kind);
        let dict = match &mut *slot {
            Some(open) if open.pid == pid => &mut open.dict,
            slot => {
                // First use, or a fork since: drop the parent's file (its
                // mapping is the child's copy; the parent's stays) and
                // open this pid's.
                *slot = None;
                let dict = MmapDict::open(self.dir.join(kind.file_name(pid)))?;
                &mut slot.insert(OpenFile { pid, dict }).dict
            }
        };
        f(dict)
    }

    /// Closes every file (they are reopened on next use), as Python's
    /// `close_all_files`.
    ///
    /// ```
    /// use promscribe::multiprocess::{FileKind, ProcessFiles};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let files = ProcessFiles::new(dir.path());
    /// files.with_file(FileKind::Counter, |d| d.write_value("k", 2.0, 0.0)).unwrap();
    /// files.close_all();
    /// let value = files.with_file(FileKind::Counter, |d| Ok(d.value("k"))).unwrap();
    /// assert_eq!(value, Some((2.0, 0.0)));
    /// ```
    pub fn close_all(&self) {
        for slot in &self.files {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }

    fn lock(&self, kind: FileKind) -> MutexGuard<'_, Option<OpenFile>> {
        // A panic while the lock was held (in `f`) left the file as
        // consistent as any write does: each write is complete or absent.
        self.files[slot_of(kind)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

static GLOBAL: OnceLock<Arc<ProcessFiles>> = OnceLock::new();

/// Turns multiprocess mode on for this process, with its files in `dir`
/// (which must exist): the explicit form of setting
/// `PROMETHEUS_MULTIPROC_DIR` before start-up. Call it before the first
/// update of a metric; a second call with another directory is refused
/// (values already written would be split between two directories).
///
/// ```no_run
/// promscribe::multiprocess::init("/run/myapp/metrics").unwrap();
/// assert!(promscribe::multiprocess::process_files().is_some());
/// ```
pub fn init(dir: impl AsRef<Path>) -> Result<&'static Arc<ProcessFiles>, MultiprocessError> {
    let dir = dir.as_ref();
    let meta = std::fs::metadata(dir).map_err(|e| MultiprocessError::io(dir, e))?;
    if !meta.is_dir() {
        return Err(MultiprocessError::io(
            dir,
            std::io::Error::other("not a directory"),
        ));
    }
    let files = GLOBAL.get_or_init(|| Arc::new(ProcessFiles::new(dir)));
    if files.dir() != dir {
        return Err(MultiprocessError::AlreadyInitialized {
            dir: files.dir().to_path_buf(),
        });
    }
    Ok(files)
}

/// The files of this process if multiprocess mode is on: after [`init`],
/// or when `PROMETHEUS_MULTIPROC_DIR` (or Python's deprecated
/// `prometheus_multiproc_dir`) is set and not empty; `None` otherwise.
/// The environment is read once, at the first call.
///
/// ```
/// // In a process without the variable and without `init`:
/// if std::env::var_os("PROMETHEUS_MULTIPROC_DIR").is_none() {
///     assert!(promscribe::multiprocess::process_files().is_none());
/// }
/// ```
pub fn process_files() -> Option<&'static Arc<ProcessFiles>> {
    static FROM_ENV: OnceLock<Option<&'static Arc<ProcessFiles>>> = OnceLock::new();
    if let Some(files) = GLOBAL.get() {
        return Some(files);
    }
    *FROM_ENV.get_or_init(|| {
        let dir = [ENV_DIR, ENV_DIR_DEPRECATED]
            .into_iter()
            .filter_map(std::env::var_os)
            .find(|dir| !dir.is_empty())?;
        Some(GLOBAL.get_or_init(|| Arc::new(ProcessFiles::new(dir))))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_slot() {
        let mut kinds = vec![FileKind::Counter, FileKind::Histogram, FileKind::Summary];
        kinds.extend(GaugeMode::ALL.map(FileKind::Gauge));
        let mut slots: Vec<usize> = kinds.into_iter().map(slot_of).collect();
        slots.sort_unstable();
        assert_eq!(slots, (0..KINDS).collect::<Vec<_>>());
    }
}
