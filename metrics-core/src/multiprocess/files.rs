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

    /// The kind and process of a file name written by [`file_name`]
    /// (or by Python); `None` for any other name. Python's collector
    /// takes the parts between `_` the same way.
    ///
    /// [`file_name`]: FileKind::file_name
    ///
    /// ```
    /// use promscribe::multiprocess::{FileKind, GaugeMode};
    ///
    /// assert_eq!(
    ///     FileKind::parse_file_name("gauge_liveall_12.db"),
    ///     Some((FileKind::Gauge(GaugeMode::LiveAll), 12))
    /// );
    /// assert_eq!(FileKind::parse_file_name("counter_x.db"), None);
    /// ```
    pub fn parse_file_name(name: &str) -> Option<(FileKind, u32)> {
        let stem = name.strip_suffix(".db")?;
        let mut parts = stem.split('_');
        let kind = match parts.next()? {
            "counter" => FileKind::Counter,
            "histogram" => FileKind::Histogram,
            "summary" => FileKind::Summary,
            "gauge" => FileKind::Gauge(parts.next()?.parse().ok()?),
            _ => return None,
        };
        let pid = parts.next()?;
        if parts.next().is_some() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((kind, pid.parse().ok()?))
    }
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
            assert_eq!(FileKind::parse_file_name(&name), Some((kind, u32::MAX)));
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
        ] {
            assert_eq!(FileKind::parse_file_name(name), None, "{name}");
        }
    }
}
