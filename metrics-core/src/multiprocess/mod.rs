//! The files of Python's multiprocess mode (`prometheus_client` 0.26),
//! read and written byte for byte, so that Rust and Python processes of
//! one application can share one `PROMETHEUS_MULTIPROC_DIR`.
//!
//! - [`encode_key`] and [`parse_key`]: the key of a sample,
//!   `json.dumps([metric_name, sample_name, labels, help], sort_keys=True)`.
//! - [`MmapDict`]: a process's file of values, memory-mapped for writing
//!   (Python's `MmapedDict`); [`read_entries`] reads any file.
//! - [`FileKind`] and [`GaugeMode`]: the file names of Python's `values.py`
//!   (`counter_<pid>.db`, `gauge_<mode>_<pid>.db`, ...).
//! - [`MultiProcessCollector`]: every file of a directory merged into one
//!   application's families, as Python's collector merges them;
//!   [`mark_process_dead`] removes an exited worker's live gauges.
//! - [`compact`]: the files of dead processes merged into aggregate files
//!   (what Python never did), atomically; the collector reads the
//!   directory's manifest and stays exact at every step.
//! - [`ProcessFiles`] and [`FileValue`]: recording values into this
//!   process's files (Python's `MultiProcessValue`), turned on by
//!   `PROMETHEUS_MULTIPROC_DIR` ([`process_files`]) or [`init`].
//!
//! As Python lays them out, histogram buckets are stored per bucket (not
//! cumulative) under `<name>_bucket` with an `le` label, with `<name>_sum`
//! and no `_count`; a counter's samples are `<name>_total` under the
//! metric name without `_total`.
//!
//! ```
//! use promscribe::multiprocess::{encode_key, parse_key, read_entries, FileKind, MmapDict, SampleKey};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join(FileKind::Counter.file_name(100));
//! let key = SampleKey::new("jobs", "jobs_total", &[("queue", "mail")], "Jobs done.");
//! MmapDict::open(&path).unwrap().write_value(&encode_key(&key), 3.0, 0.0).unwrap();
//!
//! let entries = read_entries(&path).unwrap();
//! assert_eq!(parse_key(&entries[0].key).unwrap(), key);
//! assert_eq!(entries[0].value, 3.0);
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

mod collector;
mod compaction;
mod files;
mod key;
mod mapped;
pub(crate) mod metric_values;
mod mmap_dict;
mod process;
mod values;

pub use collector::{mark_process_dead, MultiProcessCollector};
pub use compaction::{compact, CompactionReport};
#[doc(hidden)]
pub use compaction::{compact_until, CompactionStep};
pub use files::{FileKind, FileOwner, GaugeMode, UnknownGaugeMode};
pub use key::{encode_key, parse_key, KeyError, SampleKey};
pub use metric_values::failed_updates;
pub use mmap_dict::{read_entries, Entry, MmapDict, INITIAL_SIZE};
pub use process::{init, process_files, ProcessFiles, ENV_DIR};
pub use values::FileValue;

/// A multiprocess file could not be read or written.
///
/// ```
/// use promscribe::multiprocess::{read_entries, MultiprocessError};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("counter_1.db");
/// std::fs::write(&path, [16, 0, 0, 0, 0, 0, 0, 0]).unwrap();
/// match read_entries(&path) {
///     Err(MultiprocessError::Corrupt { offset, .. }) => assert_eq!(offset, 0),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum MultiprocessError {
    /// The file could not be opened, sized, mapped or read.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file is not laid out as a multiprocess file: empty, truncated,
    /// or foreign.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The byte offset of the problem.
        offset: usize,
        /// What is wrong there.
        problem: String,
    },
    /// An entry would take the file past the 2 GiB its `i32` header can
    /// count.
    Full {
        /// The file.
        path: PathBuf,
        /// The bytes used.
        used: usize,
        /// The bytes of the entry.
        adding: usize,
    },
    /// An operation the multiprocess mode cannot carry (as `inc` on a
    /// `mostrecent` gauge).
    Unsupported {
        /// What was refused, and why.
        what: String,
    },
    /// Multiprocess mode is off: neither `PROMETHEUS_MULTIPROC_DIR` nor
    /// [`init`].
    NotConfigured,
    /// [`init`] was called with another directory than the one in use.
    AlreadyInitialized {
        /// The directory in use.
        dir: PathBuf,
    },
}

impl MultiprocessError {
    fn io(path: &Path, source: io::Error) -> Self {
        MultiprocessError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn corrupt(path: &Path, offset: usize, problem: String) -> Self {
        MultiprocessError::Corrupt {
            path: path.to_path_buf(),
            offset,
            problem,
        }
    }
}

impl fmt::Display for MultiprocessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MultiprocessError::Io { path, source } => {
                write!(f, "{}: {source}", path.display())
            }
            MultiprocessError::Corrupt {
                path,
                offset,
                problem,
            } => write!(f, "{} at byte {offset}: {problem}", path.display()),
            MultiprocessError::Full { path, used, adding } => write!(
                f,
                "{}: {used} bytes used, an entry of {adding} more would pass the 2 GiB limit",
                path.display()
            ),
            MultiprocessError::Unsupported { what } => {
                write!(f, "not supported in multiprocess mode: {what}")
            }
            MultiprocessError::NotConfigured => f.write_str(
                "multiprocess mode is off: set PROMETHEUS_MULTIPROC_DIR or call multiprocess::init",
            ),
            MultiprocessError::AlreadyInitialized { dir } => write!(
                f,
                "multiprocess mode already records into {}",
                dir.display()
            ),
        }
    }
}

impl std::error::Error for MultiprocessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MultiprocessError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
