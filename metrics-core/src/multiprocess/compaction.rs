//! Compaction: the files of dead processes merged into one aggregate file
//! per kind, so that a directory holds one file per live worker and kind
//! plus the aggregates, however many workers came and went.
//!
//! The protocol, each step durable before the next:
//!
//! 1. Under the exclusive directory lock (a hidden lock file, which
//!    collections take shared), the dead files are found: a file is dead
//!    when its exclusive `flock` can be taken (no live writer holds it)
//!    and its pid is not a running process (Python's workers lock
//!    nothing).
//! 2. Per kind, the current aggregate and the dead files are merged into
//!    a new aggregate, written under a hidden temporary name, `fsync`ed,
//!    renamed to `<kind>_aggregate-<generation>.db`; the directory is
//!    `fsync`ed. The manifest does not name it yet: collections ignore it.
//! 3. Each file to absorb gets a hidden hard link,
//!    `.<name>.absorbed-<generation>`: it keeps the file's inode alive, so
//!    that a new file taking the name later is told apart from it.
//! 4. The manifest (a hidden file) is written under a temporary name,
//!    `fsync`ed, renamed, the directory `fsync`ed: the commit. From here
//!    collections read the new aggregates and ignore the absorbed files
//!    (a file is ignored only while it is the inode of its link).
//! 5. The absorbed files, the replaced aggregates and the dead `live*`
//!    gauge files are deleted; the manifest is rewritten without the
//!    absorbed names; the links are deleted.
//!
//! A compaction stopped anywhere (a crash, a kill) leaves a directory that
//! collects the same families; the next compaction finishes the work of a
//! committed one (step 5) and deletes the leftovers of an uncommitted one.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::Path;

use super::{parse_key, read_entries, Entry, FileKind, FileOwner, GaugeMode, MultiprocessError};

/// The lock file: compactions take it exclusive, collections shared.
pub(crate) const LOCK_FILE: &str = ".promscribe.lock";
/// The manifest: the current aggregates and the absorbed files.
pub(crate) const MANIFEST_FILE: &str = ".promscribe.manifest";
const MANIFEST_TMP: &str = ".promscribe.manifest.tmp";
const MANIFEST_HEADER: &str = "promscribe multiprocess manifest 1";

/// The kinds whose dead files are merged: the others are `all` gauges
/// (kept, their series are per pid) and `live*` gauges (deleted).
const AGGREGATED: [FileKind; 7] = [
    FileKind::Counter,
    FileKind::Histogram,
    FileKind::Summary,
    FileKind::Gauge(GaugeMode::Sum),
    FileKind::Gauge(GaugeMode::Min),
    FileKind::Gauge(GaugeMode::Max),
    FileKind::Gauge(GaugeMode::MostRecent),
];

/// What a compaction did.
///
/// ```
/// use promscribe::multiprocess::compact;
///
/// let dir = tempfile::tempdir().unwrap();
/// let report = compact(dir.path()).unwrap();
/// assert_eq!(report.absorbed, 0);
/// assert_eq!(report.generation, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompactionReport {
    /// The generation of the current aggregates (the manifest's), after
    /// the compaction: 0 while none was ever committed.
    pub generation: u64,
    /// Dead files merged into the aggregates (and deleted).
    pub absorbed: usize,
    /// Dead `live*` gauge files deleted (as [`mark_process_dead`] would).
    ///
    /// [`mark_process_dead`]: super::mark_process_dead
    pub removed_live_gauges: usize,
    /// Files of live processes, left as they are.
    pub live: usize,
    /// Dead `all` gauge files, left as they are: their series are labelled
    /// by pid, so merging them would change what is shown.
    pub kept_all_gauges: usize,
    /// Dead files left as they are because they cannot be read or hold a
    /// key not in Python's form (collectors skip them too, with a
    /// warning), or because their kind's aggregate cannot be read.
    pub unreadable: usize,
    /// Whether the work of an interrupted compaction was finished first.
    pub recovered: bool,
}

/// The steps of a compaction, for tests that stop it after each one and
/// check what a collection sees.
///
/// ```
/// use promscribe::multiprocess::CompactionStep;
///
/// assert!(CompactionStep::LinksMade < CompactionStep::Committed);
/// ```
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CompactionStep {
    /// The leftovers of an earlier compaction finished or deleted.
    Recovered,
    /// The new aggregates written under their temporary names.
    TempWritten,
    /// The new aggregates renamed into place, not yet in the manifest.
    AggregatesWritten,
    /// The hidden links to the files to absorb made.
    LinksMade,
    /// The manifest naming the new aggregates and the absorbed files.
    Committed,
    /// Half of the absorbed files deleted.
    HalfDeleted,
    /// The absorbed files, replaced aggregates and dead live gauges
    /// deleted.
    Deleted,
    /// The manifest rewritten without the absorbed files.
    ManifestRewritten,
}

/// Merges the files of the dead processes of `dir` into aggregate files,
/// and deletes them: the directory then holds the files of the live
/// processes, the aggregates (`counter_aggregate-<generation>.db`,
/// `gauge_sum_aggregate-<generation>.db`, ...), and the dead processes'
/// `all` gauges.
///
/// A file is dead when no process holds its `flock` (a live writer of
/// this crate holds it from the file's creation) and its pid is not a
/// running process (`/proc/<pid>` is missing: Python's workers lock
/// nothing). Counters, histograms and summaries are summed per key,
/// gauges merged by their mode (`sum` summed, `min`/`max`, `mostrecent`
/// the latest by timestamp, its timestamp kept). Dead `live*` gauge files
/// are deleted, as [`mark_process_dead`] deletes them. Dead `all` gauge
/// files are left as they are: their series carry
/// the `pid` label, and cannot be merged without changing what Python's
/// collector shows. A dead file that cannot be read is left, and counted
/// in [`CompactionReport::unreadable`].
///
/// Waits for the collections in progress (and another compaction), then
/// holds the directory's lock: [`MultiProcessCollector`] collections wait
/// for it. Every step is atomic and durable (temporary file, `fsync`,
/// rename, `fsync` of the directory); a compaction stopped at any point
/// leaves a directory that [`MultiProcessCollector`] collects exactly as
/// before (counters never go backwards, nothing is counted twice), and
/// the next compaction finishes the work.
///
/// What a Python collector reading the same directory sees: it reads no
/// manifest, so it counts the files being absorbed twice (in the files and
/// in the new aggregates) from the moment the aggregates are renamed into
/// place until the absorbed files are deleted, milliseconds later; after
/// a compaction stopped in between, until the next one completes. Between
/// compactions it reads the aggregates as the files of one more process
/// and agrees with ours.
///
/// Limits: the pid check sees only the processes of this pid namespace: a
/// Python worker in another container sharing the directory, alive but
/// not visible here, is taken for dead (workers of this crate are safe:
/// their lock is seen across containers). Families are equal before and
/// after up to the order of float additions, and for the help text and
/// type of a metric whose processes disagree on them (the first file
/// read decides, and the aggregates change the order of the files), or
/// a gauge whose processes disagree on its mode. Keep the hidden files
/// (`.promscribe.*`) with the `*.db` files: deleting the manifest makes
/// the aggregates invisible.
///
/// A dead process's file whose pid now belongs to another running process
/// waits for that one to exit. Linux only in effect: elsewhere (or without
/// `/proc`) no pid is known dead, and nothing is absorbed.
///
/// [`mark_process_dead`]: super::mark_process_dead
/// [`MultiProcessCollector`]: super::MultiProcessCollector
///
/// ```
/// use promscribe::multiprocess::{compact, encode_key, FileKind, MmapDict, MultiProcessCollector, SampleKey};
/// use promscribe::Registry;
/// use std::sync::Arc;
///
/// let dir = tempfile::tempdir().unwrap();
/// let key = encode_key(&SampleKey::new("jobs", "jobs_total", &[], "Jobs done."));
/// // Two processes that exited (pids above Linux's limit never run).
/// for pid in [5_000_001, 5_000_002] {
///     let path = dir.path().join(FileKind::Counter.file_name(pid));
///     MmapDict::open(&path).unwrap().write_value(&key, 2.0, 0.0).unwrap();
/// }
/// let report = compact(dir.path()).unwrap();
/// assert_eq!(report.absorbed, 2);
/// assert!(dir.path().join("counter_aggregate-1.db").exists());
/// assert!(!dir.path().join("counter_5000001.db").exists());
///
/// let registry = Registry::new();
/// registry.register(Arc::new(MultiProcessCollector::new(dir.path()))).unwrap();
/// assert_eq!(registry.get_sample_value("jobs_total", &[]), Some(4.0));
/// ```
pub fn compact(dir: impl AsRef<Path>) -> Result<CompactionReport, MultiprocessError> {
    run(dir.as_ref(), None)
}

/// [`compact`], stopped right after `stop` as a crash there would stop it
/// (the directory lock released, nothing cleaned up).
///
/// ```
/// use promscribe::multiprocess::{compact, compact_until, CompactionStep};
///
/// let dir = tempfile::tempdir().unwrap();
/// compact_until(dir.path(), CompactionStep::Committed).unwrap();
/// compact(dir.path()).unwrap();
/// ```
#[doc(hidden)]
pub fn compact_until(
    dir: impl AsRef<Path>,
    stop: CompactionStep,
) -> Result<CompactionReport, MultiprocessError> {
    run(dir.as_ref(), Some(stop))
}

/// Whether a compaction stopped at `stop` stops after `step`.
fn stops(stop: Option<CompactionStep>, step: CompactionStep) -> bool {
    stop == Some(step)
}

fn run(dir: &Path, stop: Option<CompactionStep>) -> Result<CompactionReport, MultiprocessError> {
    let _lock = DirLock::exclusive(dir)?;
    let mut report = CompactionReport::default();
    let mut manifest = Manifest::read(dir)?.unwrap_or_default();

    // A committed compaction that did not finish: finish it.
    if !manifest.absorbed.is_empty() {
        report.recovered = true;
        if finish(dir, &mut manifest, &[], stop)? {
            report.generation = manifest.generation;
            return Ok(report);
        }
    }
    let names = list(dir)?;
    // An uncommitted compaction's aggregates and temporary files, and the
    // links of absorbed files already deleted.
    let mut cleaned = false;
    for name in &names {
        if is_leftover(name, &manifest) {
            remove(&dir.join(name))?;
            cleaned = true;
        }
    }
    if cleaned {
        report.recovered = true;
        sync_dir(dir)?;
    }
    report.generation = manifest.generation;
    if stops(stop, CompactionStep::Recovered) {
        return Ok(report);
    }

    // The dead files, by kind.
    let pids = Pids::new();
    let mut to_absorb: Vec<Vec<String>> = vec![Vec::new(); AGGREGATED.len()];
    let mut dead_live = Vec::new();
    for name in names.iter().filter(|n| !n.starts_with('.')) {
        let Some((kind, FileOwner::Process { pid, .. })) = FileKind::parse_file_name(name) else {
            continue;
        };
        if pids.running(pid) || is_locked(&dir.join(name))? {
            report.live += 1;
            continue;
        }
        match kind {
            FileKind::Gauge(mode) if mode.is_live() => dead_live.push(name.clone()),
            FileKind::Gauge(GaugeMode::All) => report.kept_all_gauges += 1,
            _ => {
                if let Some(slot) = AGGREGATED.iter().position(|k| *k == kind) {
                    to_absorb[slot].push(name.clone());
                }
            }
        }
    }

    // The current aggregate of each kind, merged with the dead files.
    let generation = manifest.generation + 1;
    let mut aggregates = Vec::new();
    let mut replaced = Vec::new();
    let mut absorbed = Vec::new();
    let mut temps = Vec::new();
    // Aggregates of kinds never aggregated (not written by a compaction)
    // stay named, untouched.
    aggregates.extend(
        manifest
            .aggregates
            .iter()
            .filter(|n| FileKind::parse_file_name(n).is_some_and(|(k, _)| !AGGREGATED.contains(&k)))
            .cloned(),
    );
    for (slot, kind) in AGGREGATED.into_iter().enumerate() {
        let current: Vec<String> = manifest
            .aggregates
            .iter()
            .filter(|n| FileKind::parse_file_name(n).map(|(k, _)| k) == Some(kind))
            .cloned()
            .collect();
        let mut names = std::mem::take(&mut to_absorb[slot]);
        names.sort();
        if names.is_empty() {
            aggregates.extend(current);
            continue;
        }
        let mut merged = Merged::new(kind);
        let mut readable = true;
        for current in &current {
            match read_entries(dir.join(current)) {
                Ok(entries) => {
                    // Written by a compaction: its keys were checked.
                    for entry in entries {
                        merged.add(entry);
                    }
                }
                Err(MultiprocessError::Io { source, .. })
                    if source.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(
                        "multiprocess aggregate not compacted further (its dead files stay): {e}"
                    );
                    readable = false;
                }
            }
        }
        if !readable {
            aggregates.extend(current);
            report.unreadable += names.len();
            continue;
        }
        let mut any = false;
        for name in names {
            if merged.add_file(&dir.join(&name)) {
                absorbed.push(name);
                any = true;
            } else {
                report.unreadable += 1;
            }
        }
        if !any {
            aggregates.extend(current);
            continue;
        }
        let name = kind.file_name_of(FileOwner::Aggregate { generation });
        let tmp = format!(".{name}.tmp");
        write_file(&dir.join(&tmp), &merged.encode(&dir.join(&name))?)?;
        temps.push((tmp, name.clone()));
        replaced.extend(current);
        aggregates.push(name);
    }
    report.absorbed = absorbed.len();
    report.removed_live_gauges = dead_live.len();
    if absorbed.is_empty() {
        for name in &dead_live {
            remove(&dir.join(name))?;
        }
        if !dead_live.is_empty() {
            sync_dir(dir)?;
        }
        return Ok(report);
    }
    if stops(stop, CompactionStep::TempWritten) {
        return Ok(report);
    }
    for (tmp, name) in &temps {
        std::fs::rename(dir.join(tmp), dir.join(name))
            .map_err(|e| MultiprocessError::io(&dir.join(name), e))?;
    }
    sync_dir(dir)?;
    if stops(stop, CompactionStep::AggregatesWritten) {
        return Ok(report);
    }
    for name in &absorbed {
        let link = dir.join(link_name(name, generation));
        remove(&link)?;
        std::fs::hard_link(dir.join(name), &link).map_err(|e| MultiprocessError::io(&link, e))?;
    }
    sync_dir(dir)?;
    if stops(stop, CompactionStep::LinksMade) {
        return Ok(report);
    }
    let mut manifest = Manifest {
        generation,
        aggregates,
        absorbed,
    };
    manifest.write(dir)?;
    report.generation = generation;
    if stops(stop, CompactionStep::Committed) {
        return Ok(report);
    }
    replaced.extend(dead_live);
    finish(dir, &mut manifest, &replaced, stop)?;
    Ok(report)
}

/// The end of a committed compaction: the absorbed files deleted (while
/// they are the inodes of their links), then `also` (replaced aggregates,
/// dead live gauges), the manifest rewritten without the absorbed files,
/// the links deleted. Whether `stop` stopped it.
fn finish(
    dir: &Path,
    manifest: &mut Manifest,
    also: &[String],
    stop: Option<CompactionStep>,
) -> Result<bool, MultiprocessError> {
    let half = manifest.absorbed.len() / 2;
    for (i, name) in manifest.absorbed.iter().enumerate() {
        if i == half && stops(stop, CompactionStep::HalfDeleted) {
            sync_dir(dir)?;
            return Ok(true);
        }
        let path = dir.join(name);
        if same_file(&path, &dir.join(link_name(name, manifest.generation))) {
            remove(&path)?;
        }
    }
    for name in also {
        remove(&dir.join(name))?;
    }
    sync_dir(dir)?;
    if stops(stop, CompactionStep::Deleted) {
        return Ok(true);
    }
    let absorbed = std::mem::take(&mut manifest.absorbed);
    manifest.write(dir)?;
    if stops(stop, CompactionStep::ManifestRewritten) {
        return Ok(true);
    }
    for name in &absorbed {
        remove(&dir.join(link_name(name, manifest.generation)))?;
    }
    Ok(false)
}

/// Whether `name` is left over by an earlier compaction: an aggregate the
/// manifest does not name, a temporary file of a compaction, a link of a
/// file the manifest does not (or no longer) absorb.
fn is_leftover(name: &str, manifest: &Manifest) -> bool {
    if name == MANIFEST_TMP {
        return true;
    }
    if let Some(hidden) = name.strip_prefix('.') {
        if let Some(aggregate) = hidden.strip_suffix(".tmp") {
            return matches!(
                FileKind::parse_file_name(aggregate),
                Some((_, FileOwner::Aggregate { .. }))
            );
        }
        if let Some((absorbed, generation)) = hidden.rsplit_once(".absorbed-") {
            let ours = FileKind::parse_file_name(absorbed).is_some()
                && !generation.is_empty()
                && generation.bytes().all(|b| b.is_ascii_digit());
            let current = generation.parse() == Ok(manifest.generation)
                && manifest.absorbed.iter().any(|n| n == absorbed);
            return ours && !current;
        }
        return false;
    }
    matches!(
        FileKind::parse_file_name(name),
        Some((_, FileOwner::Aggregate { .. }))
    ) && !manifest.aggregates.iter().any(|n| n == name)
}

/// The hidden link that keeps an absorbed file's inode until the manifest
/// no longer names it.
fn link_name(name: &str, generation: u64) -> String {
    format!(".{name}.absorbed-{generation}")
}

/// Every name in `dir` (UTF-8 ones: no file of the format has another).
fn list(dir: &Path) -> Result<Vec<String>, MultiprocessError> {
    let io = |e| MultiprocessError::io(dir, e);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        if let Ok(name) = entry.map_err(io)?.file_name().into_string() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Removes a file; one already gone is no error.
fn remove(path: &Path) -> Result<(), MultiprocessError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(MultiprocessError::io(path, e)),
        _ => Ok(()),
    }
}

/// Writes `bytes` to a new file at `path`, durably.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), MultiprocessError> {
    let io = |e| MultiprocessError::io(path, e);
    let mut file = File::create(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Makes the directory's entries (renames, links, removals) durable.
fn sync_dir(dir: &Path) -> Result<(), MultiprocessError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| MultiprocessError::io(dir, e))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Whether two paths are one file (the same inode).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// Whether another open file holds the `flock` of the file at `path`. A
/// file that is gone is not locked; one that cannot be opened or locked
/// (for another reason) is taken for locked, and logged.
pub(crate) fn is_locked(path: &Path) -> Result<bool, MultiprocessError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            tracing::warn!("multiprocess file {} taken for live: {e}", path.display());
            return Ok(true);
        }
    };
    match file.try_lock() {
        Ok(()) => Ok(false),
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(e)) => {
            tracing::warn!("multiprocess file {} taken for live: {e}", path.display());
            Ok(true)
        }
    }
}

/// The running processes of this pid namespace, as `/proc` shows them.
struct Pids {
    /// Whether `/proc` is there to tell: without it, every pid is taken
    /// for running.
    proc: bool,
}

impl Pids {
    fn new() -> Self {
        Self {
            proc: cfg!(target_os = "linux") && Path::new("/proc/self").exists(),
        }
    }

    fn running(&self, pid: u32) -> bool {
        !self.proc || Path::new("/proc").join(pid.to_string()).exists()
    }
}

/// The directory's lock file, locked: exclusive for a compaction, shared
/// for a collection. Unlocked when dropped (closed).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    fn exclusive(dir: &Path) -> Result<Self, MultiprocessError> {
        let path = dir.join(LOCK_FILE);
        let io = |e| MultiprocessError::io(&path, e);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(Self { _file: file })
    }

    /// The shared lock of a collection. A directory where the lock file
    /// cannot be made (read-only) cannot have been compacted either:
    /// `None`, and the collection goes on without it.
    pub(crate) fn shared(dir: &Path) -> Option<Self> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .or_else(|_| File::open(&path));
        let file = match file {
            Ok(file) => file,
            Err(e) => {
                tracing::debug!("{} not locked for the collection: {e}", path.display());
                return None;
            }
        };
        match file.lock_shared() {
            Ok(()) => Some(Self { _file: file }),
            Err(e) => {
                tracing::warn!("{} not locked for the collection: {e}", path.display());
                None
            }
        }
    }
}

/// The manifest: the generation of the current aggregates, their names,
/// and the files absorbed into them (not yet deleted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    generation: u64,
    aggregates: Vec<String>,
    absorbed: Vec<String>,
}

impl Manifest {
    /// The manifest of `dir`; `None` if there is none.
    pub(crate) fn read(dir: &Path) -> Result<Option<Self>, MultiprocessError> {
        let path = dir.join(MANIFEST_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(MultiprocessError::io(&path, e)),
        };
        Self::parse(&text)
            .map(Some)
            .map_err(|(offset, problem)| MultiprocessError::corrupt(&path, offset, problem))
    }

    fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut manifest = Manifest::default();
        let mut offset = 0;
        let mut seen_generation = false;
        for (i, line) in text.split_terminator('\n').enumerate() {
            let at = offset;
            offset += line.len() + 1;
            if i == 0 {
                if line != MANIFEST_HEADER {
                    return Err((at, format!("not a manifest: {line:?}")));
                }
                continue;
            }
            let (field, value) = line
                .split_once(' ')
                .ok_or_else(|| (at, format!("unknown line {line:?}")))?;
            let kind = FileKind::parse_file_name(value).map(|(_, owner)| owner);
            match (field, kind) {
                ("generation", _) if !seen_generation => {
                    manifest.generation = value
                        .parse()
                        .map_err(|_| (at, format!("bad generation {value:?}")))?;
                    seen_generation = true;
                }
                ("aggregate", Some(FileOwner::Aggregate { .. })) => {
                    manifest.aggregates.push(value.to_owned())
                }
                ("absorbed", Some(FileOwner::Process { .. })) => {
                    manifest.absorbed.push(value.to_owned())
                }
                _ => return Err((at, format!("unknown line {line:?}"))),
            }
        }
        if !text.ends_with('\n') || !seen_generation {
            return Err((text.len(), "truncated".to_owned()));
        }
        Ok(manifest)
    }

    fn encode(&self) -> String {
        let mut text = format!("{MANIFEST_HEADER}\ngeneration {}\n", self.generation);
        for name in &self.aggregates {
            text.push_str("aggregate ");
            text.push_str(name);
            text.push('\n');
        }
        for name in &self.absorbed {
            text.push_str("absorbed ");
            text.push_str(name);
            text.push('\n');
        }
        text
    }

    /// Replaces the manifest of `dir`, atomically and durably.
    fn write(&self, dir: &Path) -> Result<(), MultiprocessError> {
        let tmp = dir.join(MANIFEST_TMP);
        write_file(&tmp, self.encode().as_bytes())?;
        let path = dir.join(MANIFEST_FILE);
        std::fs::rename(&tmp, &path).map_err(|e| MultiprocessError::io(&path, e))?;
        sync_dir(dir)
    }
}

/// The `*.db` names a collection reads: `names` without the aggregates
/// the manifest does not name (an interrupted compaction's) and without
/// the files it absorbed. A manifest that cannot be read is logged, and
/// every file read, as Python reads them.
pub(crate) fn visible(dir: &Path, mut names: Vec<String>) -> Vec<String> {
    let manifest = match Manifest::read(dir) {
        Ok(manifest) => manifest.unwrap_or_default(),
        Err(e) => {
            tracing::warn!("multiprocess manifest ignored, every file collected: {e}");
            return names;
        }
    };
    let aggregates: HashSet<&str> = manifest.aggregates.iter().map(String::as_str).collect();
    let absorbed: HashSet<&str> = manifest.absorbed.iter().map(String::as_str).collect();
    names.retain(|name| match FileKind::parse_file_name(name) {
        Some((_, FileOwner::Aggregate { .. })) => aggregates.contains(name.as_str()),
        Some(_) if absorbed.contains(name.as_str()) => !same_file(
            &dir.join(name),
            &dir.join(link_name(name, manifest.generation)),
        ),
        _ => true,
    });
    names
}

/// The entries of one kind merged, in the order first seen.
struct Merged {
    kind: FileKind,
    index: HashMap<String, usize>,
    entries: Vec<Slot>,
}

/// A merged entry: for `mostrecent`, the value is set (as the collector
/// sets it) only by a timestamp later than the latest so far, from 0.
struct Slot {
    key: String,
    value: Option<f64>,
    timestamp: f64,
}

impl Merged {
    fn new(kind: FileKind) -> Self {
        Self {
            kind,
            index: HashMap::new(),
            entries: Vec::new(),
        }
    }

    /// Merges a dead file's entries; `false` (nothing merged, a warning
    /// logged) if it cannot be read or one of its keys is not in Python's
    /// form, as the collector leaves such a file out.
    fn add_file(&mut self, path: &Path) -> bool {
        let entries = match read_entries(path) {
            Ok(entries) => entries,
            Err(e) => {
                tracing::warn!("multiprocess file not compacted: {e}");
                return false;
            }
        };
        for entry in &entries {
            if !self.index.contains_key(&entry.key) {
                if let Err(e) = parse_key(&entry.key) {
                    tracing::warn!("multiprocess file {} not compacted: {e}", path.display());
                    return false;
                }
            }
        }
        for entry in entries {
            self.add(entry);
        }
        true
    }

    /// Merges one entry as the collector merges values of its kind.
    fn add(&mut self, entry: Entry) {
        let at = match self.index.get(&entry.key) {
            Some(at) => *at,
            None => {
                self.entries.push(Slot {
                    key: entry.key.clone(),
                    value: None,
                    timestamp: 0.0,
                });
                self.index.insert(entry.key, self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        let slot = &mut self.entries[at];
        let x = entry.value;
        match self.kind {
            FileKind::Gauge(GaugeMode::Min) => match slot.value {
                Some(current) if x < current => slot.value = Some(x),
                Some(_) => {}
                None => slot.value = Some(x),
            },
            FileKind::Gauge(GaugeMode::Max) => match slot.value {
                Some(current) if x > current => slot.value = Some(x),
                Some(_) => {}
                None => slot.value = Some(x),
            },
            FileKind::Gauge(GaugeMode::MostRecent) => {
                if slot.timestamp < entry.timestamp {
                    slot.value = Some(x);
                    slot.timestamp = entry.timestamp;
                }
            }
            _ => slot.value = Some(slot.value.unwrap_or(0.0) + x),
        }
    }

    /// The bytes of a file of the merged entries, as Python's
    /// `mmap_dict.py` lays them out (no room to grow: it is never
    /// written again).
    fn encode(&self, path: &Path) -> Result<Vec<u8>, MultiprocessError> {
        let mut out = vec![0u8; 8];
        for slot in &self.entries {
            let key = slot.key.as_bytes();
            let len = i32::try_from(key.len()).map_err(|_| MultiprocessError::Full {
                path: path.to_path_buf(),
                used: out.len(),
                adding: key.len(),
            })?;
            out.extend_from_slice(&len.to_ne_bytes());
            out.extend_from_slice(key);
            out.resize(out.len() + 8 - (key.len() + 4) % 8, b' ');
            // A `mostrecent` key never set keeps its entry, timestamp 0:
            // the collector shows no value for it, as before.
            out.extend_from_slice(&slot.value.unwrap_or(0.0).to_ne_bytes());
            out.extend_from_slice(&slot.timestamp.to_ne_bytes());
        }
        let used = i32::try_from(out.len()).map_err(|_| MultiprocessError::Full {
            path: path.to_path_buf(),
            used: out.len(),
            adding: 0,
        })?;
        out[..4].copy_from_slice(&used.to_ne_bytes());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_read_back() {
        let manifest = Manifest {
            generation: 3,
            aggregates: vec![
                "counter_aggregate-3.db".into(),
                "gauge_max_aggregate-2.db".into(),
            ],
            absorbed: vec!["counter_7.db".into(), "summary_8-1.db".into()],
        };
        assert_eq!(Manifest::parse(&manifest.encode()), Ok(manifest));
        assert_eq!(
            Manifest::parse(&Manifest::default().encode()),
            Ok(Manifest::default())
        );
    }

    #[test]
    fn bad_manifests_are_refused() {
        for text in [
            "",
            "other\ngeneration 1\n",
            "promscribe multiprocess manifest 1\n",
            "promscribe multiprocess manifest 1\ngeneration 1",
            "promscribe multiprocess manifest 1\ngeneration x\n",
            "promscribe multiprocess manifest 1\ngeneration 1\ngeneration 2\n",
            "promscribe multiprocess manifest 1\ngeneration 1\naggregate counter_7.db\n",
            "promscribe multiprocess manifest 1\ngeneration 1\nabsorbed counter_aggregate-1.db\n",
            "promscribe multiprocess manifest 1\ngeneration 1\nabsorbed ../x.db\n",
            "promscribe multiprocess manifest 1\ngeneration 1\nother 1\n",
        ] {
            assert!(Manifest::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn leftovers_are_told_from_current_files() {
        let manifest = Manifest {
            generation: 2,
            aggregates: vec!["counter_aggregate-2.db".into()],
            absorbed: vec!["counter_7.db".into()],
        };
        for (name, leftover) in [
            ("counter_aggregate-2.db", false),
            ("counter_aggregate-1.db", true),
            ("counter_aggregate-3.db", true),
            (".counter_aggregate-3.db.tmp", true),
            (".promscribe.manifest.tmp", true),
            (".counter_7.db.absorbed-2", false),
            (".counter_7.db.absorbed-1", true),
            (".counter_8.db.absorbed-2", true),
            // A writer's temporary file, a file of a process, ours.
            (".counter_7.db.x1y2", false),
            ("counter_7.db", false),
            (".promscribe.manifest", false),
            (".promscribe.lock", false),
        ] {
            assert_eq!(is_leftover(name, &manifest), leftover, "{name}");
        }
    }
}
