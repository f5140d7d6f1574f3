//! The files of the current process: one per [`FileKind`], created on
//! first use in the configured directory, created anew for the child after
//! a fork (Python's `MultiProcessValue` and its `files`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::mapped::FileTable;
use super::{FileKind, MultiprocessError};

/// The environment variable naming the directory, as in Python.
pub const ENV_DIR: &str = "PROMETHEUS_MULTIPROC_DIR";

/// Python's deprecated lower-case spelling, read when [`ENV_DIR`] is unset.
const ENV_DIR_DEPRECATED: &str = "prometheus_multiproc_dir";

type PidSource = Box<dyn Fn() -> u32 + Send + Sync>;

/// The files one process writes in a multiprocess directory: for each
/// [`FileKind`], `<kind>_<pid>.db`, created on first use by a
/// [`FileValue`](super::FileValue).
///
/// A file is only ever written by the process that created it, and is
/// never opened again once closed:
///
/// - it is created under a hidden temporary name, locked (`flock`,
///   exclusive), sized and given its header, then published under its
///   name with a hard link, which fails if the name exists: a file of an
///   exited process of the same pid (containers where every worker is pid
///   1), or of a process of another container. The next free name of
///   `<kind>_<pid>-1.db`, `<kind>_<pid>-2.db`, ... is taken instead, and
///   the older file counts, untouched, until a compaction absorbs it.
///   (Python reuses a restarted pid's file instead.)
/// - it stays locked while it is open, which tells a compaction that its
///   writer is alive;
/// - after a `fork`, the child's first update closes the parent's files
///   (its copies: the parent keeps them, and their locks) and creates the
///   child's own; the parent's later updates still go to its own. Until
///   then, the child's copies of the descriptors keep the parent's files
///   locked, even past the parent's exit. A fork is detected without
///   asking for the pid: a `pthread_atfork` handler, registered at the
///   first update, counts forks.
///
/// Thread-safe: an update is an atomic operation on the mapped value;
/// only file creation, entry creation and growth take a lock (one for the
/// process, held across `fork` so that the child never inherits it
/// locked).
///
/// ```
/// use std::sync::Arc;
/// use promscribe::multiprocess::{FileKind, FileValue, ProcessFiles, SampleKey};
///
/// let dir = tempfile::tempdir().unwrap();
/// let files = Arc::new(ProcessFiles::new(dir.path()));
/// let key = SampleKey::new("jobs", "jobs_total", &[], "Jobs.");
/// FileValue::new(Arc::clone(&files), FileKind::Counter, &key).inc(1.0).unwrap();
/// let name = FileKind::Counter.file_name(std::process::id());
/// assert_eq!(files.file_path(FileKind::Counter), Some(dir.path().join(name)));
/// ```
pub struct ProcessFiles {
    dir: PathBuf,
    pid: PidSource,
    table: FileTable,
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
    /// is created before the first update.
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

    /// The files in `dir` of the process `pid()` names, asked each time a
    /// file is created (at the first update of its kind, and again in a
    /// forked child): for tests that write the files of several
    /// processes, or for an identifier other than the pid (Python's
    /// `process_identifier`). It must return distinct values in processes
    /// running at the same time, and it is called under the lock of file
    /// creation: it must not record values itself.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promscribe::multiprocess::{FileKind, FileValue, ProcessFiles, SampleKey};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let files = Arc::new(ProcessFiles::with_pid_source(dir.path(), || 7));
    /// let key = SampleKey::new("s", "s_count", &[], "");
    /// FileValue::new(files, FileKind::Summary, &key).inc(1.0).unwrap();
    /// assert!(dir.path().join("summary_7.db").exists());
    /// ```
    pub fn with_pid_source(
        dir: impl Into<PathBuf>,
        pid: impl Fn() -> u32 + Send + Sync + 'static,
    ) -> Self {
        Self {
            dir: dir.into(),
            pid: Box::new(pid),
            table: FileTable::new(),
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

    /// The path of this process's file of `kind`, once an update created
    /// it (since the last fork, in a forked child): `<kind>_<pid>.db`, or
    /// `<kind>_<pid>-<n>.db` when that name was taken.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promscribe::multiprocess::{FileKind, FileValue, MmapDict, ProcessFiles, SampleKey};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// // The file of an exited process of the same pid.
    /// MmapDict::open(dir.path().join("counter_7.db")).unwrap();
    ///
    /// let files = Arc::new(ProcessFiles::with_pid_source(dir.path(), || 7));
    /// assert_eq!(files.file_path(FileKind::Counter), None);
    /// let key = SampleKey::new("c", "c_total", &[], "");
    /// FileValue::new(Arc::clone(&files), FileKind::Counter, &key).inc(1.0).unwrap();
    /// assert_eq!(files.file_path(FileKind::Counter), Some(dir.path().join("counter_7-1.db")));
    /// ```
    pub fn file_path(&self, kind: FileKind) -> Option<PathBuf> {
        self.table.path(kind)
    }

    pub(super) fn table(&self) -> &FileTable {
        &self.table
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
    // The metrics' updates read a cached mode: make it say "on" now, so
    // the next update of every metric records into the files, however
    // many updates came before.
    super::metric_values::check();
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
