//! The names of the files, as Python's `values.py` makes them and its
//! `multiprocess.py` reads them.

use std::fmt;
use std::str::FromStr;

/// How the values of a gauge from several processes are merged: Python's
/// `multiprocess_mode`. The `live` modes count only processes still
/// alive (their files are removed by `mark_process_dead`).
///
/// ```
/// use promscribe::multiprocess::GaugeMode;
///
/// let mode: GaugeMode = "livesum".parse().unwrap();
/// assert_eq!(mode, GaugeMode::LiveSum);
/// assert!(mode.is_live());
/// assert_eq!(mode.as_str(), "livesum");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GaugeMode {
    /// Every process's value, with a `pid` label (Python's default).
    All,
    /// As `All`, of live processes only.
    LiveAll,
    /// The smallest value.
    Min,
    /// The smallest value of live processes.
    LiveMin,
    /// The largest value.
    Max,
    /// The largest value of live processes.
    LiveMax,
    /// The sum of the values.
    Sum,
    /// The sum of the values of live processes.
    LiveSum,
    /// The value written last (by its timestamp).
    MostRecent,
    /// The value written last by a live process.
    LiveMostRecent,
}

impl GaugeMode {
    /// The ten modes, in Python's order.
    ///
    /// ```
    /// use promscribe::multiprocess::GaugeMode;
    ///
    /// assert_eq!(GaugeMode::ALL.len(), 10);
    /// ```
    pub const ALL: [GaugeMode; 10] = [
        GaugeMode::All,
        GaugeMode::LiveAll,
        GaugeMode::Min,
        GaugeMode::LiveMin,
        GaugeMode::Max,
        GaugeMode::LiveMax,
        GaugeMode::Sum,
        GaugeMode::LiveSum,
        GaugeMode::MostRecent,
        GaugeMode::LiveMostRecent,
    ];

    /// The mode's name in file names and in Python (`"liveall"`, ...).
    ///
    /// ```
    /// use promscribe::multiprocess::GaugeMode;
    ///
    /// assert_eq!(GaugeMode::MostRecent.as_str(), "mostrecent");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            GaugeMode::All => "all",
            GaugeMode::LiveAll => "liveall",
            GaugeMode::Min => "min",
            GaugeMode::LiveMin => "livemin",
            GaugeMode::Max => "max",
            GaugeMode::LiveMax => "livemax",
            GaugeMode::Sum => "sum",
            GaugeMode::LiveSum => "livesum",
            GaugeMode::MostRecent => "mostrecent",
            GaugeMode::LiveMostRecent => "livemostrecent",
        }
    }

    /// Whether only live processes count (the `live*` modes).
    ///
    /// ```
    /// use promscribe::multiprocess::GaugeMode;
    ///
    /// assert!(!GaugeMode::Max.is_live());
    /// ```
    pub fn is_live(self) -> bool {
        self.as_str().starts_with("live")
    }
}

impl fmt::Display for GaugeMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is none of Python's ten gauge modes.
///
/// ```
/// use promscribe::multiprocess::GaugeMode;
///
/// let err = "average".parse::<GaugeMode>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown gauge mode \"average\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownGaugeMode(pub String);

impl fmt::Display for UnknownGaugeMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown gauge mode {:?}", self.0)
    }
}

impl std::error::Error for UnknownGaugeMode {}

impl FromStr for GaugeMode {
    type Err = UnknownGaugeMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GaugeMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownGaugeMode(s.to_owned()))
    }
}

/// The kind of metric a file holds: the first part of its name.
///
/// ```
/// use promscribe::multiprocess::{FileKind, GaugeMode};
///
/// assert_eq!(FileKind::Counter.file_name(7), "counter_7.db");
/// assert_eq!(FileKind::Gauge(GaugeMode::LiveSum).file_name(7), "gauge_livesum_7.db");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `counter_<pid>.db`.
    Counter,
    /// `gauge_<mode>_<pid>.db`.
    Gauge(GaugeMode),
    /// `histogram_<pid>.db` (gauge histograms too: Python writes them
    /// with the type `histogram`).
    Histogram,
    /// `summary_<pid>.db`.
    Summary,
}

impl FileKind {
    /// The file's name for the process `pid`, as Python's `values.py`
    /// writes it: `<type>_<pid>.db`, or `gauge_<mode>_<pid>.db`.
    ///
    /// ```
    /// use promscribe::multiprocess::FileKind;
    ///
    /// assert_eq!(FileKind::Histogram.file_name(42), "histogram_42.db");
    /// ```
    pub fn file_name(self, pid: u32) -> String {
        match self {
            FileKind::Counter => format!("counter_{pid}.db"),
            FileKind::Gauge(mode) => format!("gauge_{mode}_{pid}.db"),
            FileKind::Histogram => format!("histogram_{pid}.db"),
            FileKind::Summary => format!("summary_{pid}.db"),
        }
    }

    /// The metric type as Python names it (`"counter"`, `"gauge"`, ...).
    ///
    /// ```
    /// use promscribe::multiprocess::{FileKind, GaugeMode};
    ///
    /// assert_eq!(FileKind::Gauge(GaugeMode::Min).type_name(), "gauge");
    /// ```
    pub fn type_name(self) -> &'static str {
        match self {
            FileKind::Counter => "counter",
            FileKind::Gauge(_) => "gauge",
            FileKind::Histogram => "histogram",
            FileKind::Summary => "summary",
        }
    }

    /// The file's name for `owner`: `<type>_<pid>.db`, `<type>_<pid>-<n>.db`
    /// (a second file of a pid whose first is still there), or
    /// `<type>_aggregate-<generation>.db` (a compaction's aggregate).
    ///
    /// ```
    /// use promscribe::multiprocess::{FileKind, FileOwner, GaugeMode};
    ///
    /// let owner = FileOwner::Process { pid: 42, n: 1 };
    /// assert_eq!(FileKind::Counter.file_name_of(owner), "counter_42-1.db");
    /// let owner = FileOwner::Aggregate { generation: 3 };
    /// assert_eq!(
    ///     FileKind::Gauge(GaugeMode::Max).file_name_of(owner),
    ///     "gauge_max_aggregate-3.db"
    /// );
    /// ```
    pub fn file_name_of(self, owner: FileOwner) -> String {
        match self {
            FileKind::Gauge(mode) => format!("gauge_{mode}_{owner}.db"),
            _ => format!("{}_{owner}.db", self.type_name()),
        }
    }

    /// The kind and owner of a file name written by [`file_name`] or
    /// [`file_name_of`] (or by Python); `None` for any other name.
    /// Python's collector takes the parts between `_` the same way (the
    /// last part, without `.db`, is the `pid` label of `all` gauges).
    ///
    /// [`file_name`]: FileKind::file_name
    /// [`file_name_of`]: FileKind::file_name_of
    ///
    /// ```
    /// use promscribe::multiprocess::{FileKind, FileOwner, GaugeMode};
    ///
    /// assert_eq!(
    ///     FileKind::parse_file_name("gauge_liveall_12.db"),
    ///     Some((FileKind::Gauge(GaugeMode::LiveAll), FileOwner::Process { pid: 12, n: 0 }))
    /// );
    /// assert_eq!(
    ///     FileKind::parse_file_name("counter_12-2.db"),
    ///     Some((FileKind::Counter, FileOwner::Process { pid: 12, n: 2 }))
    /// );
    /// assert_eq!(
    ///     FileKind::parse_file_name("summary_aggregate-7.db"),
    ///     Some((FileKind::Summary, FileOwner::Aggregate { generation: 7 }))
    /// );
    /// assert_eq!(FileKind::parse_file_name("counter_x.db"), None);
    /// ```
    pub fn parse_file_name(name: &str) -> Option<(FileKind, FileOwner)> {
        let stem = name.strip_suffix(".db")?;
        let mut parts = stem.split('_');
        let kind = match parts.next()? {
            "counter" => FileKind::Counter,
            "histogram" => FileKind::Histogram,
            "summary" => FileKind::Summary,
            "gauge" => FileKind::Gauge(parts.next()?.parse().ok()?),
            _ => return None,
        };
        let owner = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        Some((kind, parse_owner(owner)?))
    }
}

/// Who writes a file: a process, or a compaction (which merges the files
/// of dead processes into aggregates). Displayed as in file names: `123`,
/// `123-1`, `aggregate-4`.
///
/// ```
/// use promscribe::multiprocess::FileOwner;
///
/// let owner = FileOwner::Process { pid: 123, n: 1 };
/// assert_eq!(owner.to_string(), "123-1");
/// assert_eq!(owner.pid(), Some(123));
/// assert_eq!(FileOwner::Aggregate { generation: 4 }.to_string(), "aggregate-4");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileOwner {
    /// The process `pid`: its file `<pid>` when `n` is 0, else
    /// `<pid>-<n>`, the name taken when `<pid>` (a dead process of the
    /// same pid, or a process of another container) is already there.
    Process {
        /// The process id.
        pid: u32,
        /// The file's number among the files of that pid (0: the first).
        n: u32,
    },
    /// The aggregate of a compaction's generation.
    Aggregate {
        /// The compaction's generation (1 for the first).
        generation: u64,
    },
}

impl FileOwner {
    /// The process id, for a process's file.
    ///
    /// ```
    /// use promscribe::multiprocess::FileOwner;
    ///
    /// assert_eq!(FileOwner::Process { pid: 9, n: 0 }.pid(), Some(9));
    /// ```
    pub fn pid(self) -> Option<u32> {
        match self {
            FileOwner::Process { pid, .. } => Some(pid),
            FileOwner::Aggregate { .. } => None,
        }
    }
}

impl fmt::Display for FileOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileOwner::Process { pid, n: 0 } => write!(f, "{pid}"),
            FileOwner::Process { pid, n } => write!(f, "{pid}-{n}"),
            FileOwner::Aggregate { generation } => write!(f, "aggregate-{generation}"),
        }
    }
}

/// Digits only (no sign, no space), as a number.
fn digits<T: FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `<pid>`, `<pid>-<n>` (`n` at least 1) or `aggregate-<generation>`.
fn parse_owner(s: &str) -> Option<FileOwner> {
    if let Some(generation) = s.strip_prefix("aggregate-") {
        return digits(generation).map(|generation| FileOwner::Aggregate { generation });
    }
    let (pid, n) = match s.split_once('-') {
        Some((pid, n)) => (pid, digits(n).filter(|n| *n > 0)?),
        None => (s, 0),
    };
    Some(FileOwner::Process {
        pid: digits(pid)?,
        n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back() {
        let mut kinds = vec![FileKind::Counter, FileKind::Histogram, FileKind::Summary];
        kinds.extend(GaugeMode::ALL.map(FileKind::Gauge));
        for kind in kinds {
            let name = kind.file_name(4_294_967_295);
            let owner = FileOwner::Process {
                pid: u32::MAX,
                n: 0,
            };
            assert_eq!(FileKind::parse_file_name(&name), Some((kind, owner)));
            for owner in [
                FileOwner::Process { pid: 7, n: 1 },
                FileOwner::Process {
                    pid: 0,
                    n: u32::MAX,
                },
                FileOwner::Aggregate {
                    generation: u64::MAX,
                },
            ] {
                let name = kind.file_name_of(owner);
                assert_eq!(
                    FileKind::parse_file_name(&name),
                    Some((kind, owner)),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn other_names_are_none() {
        for name in [
            "counter_1",
            "counter_1.db.tmp",
            "counter__1.db",
            "counter_1_2.db",
            "counter_+1.db",
            "gauge_1.db",
            "gauge_average_1.db",
            "info_1.db",
            "counter_99999999999.db",
            "counter_1-.db",
            "counter_-1.db",
            "counter_1-0.db",
            "counter_1-2-3.db",
            "counter_1-+2.db",
            "counter_aggregate.db",
            "counter_aggregate-.db",
            "counter_aggregate-x.db",
            "counter_aggregate-1-2.db",
            "gauge_sum_aggregate.db",
        ] {
            assert_eq!(FileKind::parse_file_name(name), None, "{name}");
        }
    }
}
