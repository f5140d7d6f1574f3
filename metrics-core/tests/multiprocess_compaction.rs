//! Compaction of a multiprocess directory: the files of dead processes
//! merged into aggregates. A compaction stopped after each of its steps
//! (and a second one stopped again) leaves a directory that collects the
//! same families; a complete one leaves the aggregates, the live files and
//! the dead `all` gauges, which Python's collector reads as we do. Live
//! files (locked, or of a running pid) are never absorbed. Then the
//! collector's schedule, a directory that cannot be compacted, and 6,000
//! files (their times printed: run with `--release --nocapture`).
#![cfg(feature = "multiprocess")]

mod multiprocess_common;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use multiprocess_common::{collect, collect_logged, python_collect, value, Families, Logged};
use promscribe::multiprocess::{
    compact, compact_until, encode_key, CompactionStep, FileKind, FileOwner, GaugeMode, MmapDict,
    MultiProcessCollector, SampleKey,
};
use promscribe::Collector;

/// Pids from here up never run: Linux's pids stay below 2^22.
const DEAD: u32 = 5_000_000;

const STEPS: [CompactionStep; 8] = [
    CompactionStep::Recovered,
    CompactionStep::TempWritten,
    CompactionStep::AggregatesWritten,
    CompactionStep::LinksMade,
    CompactionStep::Committed,
    CompactionStep::HalfDeleted,
    CompactionStep::Deleted,
    CompactionStep::ManifestRewritten,
];

/// The kinds a process of the fixture writes, a file each.
const KINDS: [FileKind; 9] = [
    FileKind::Counter,
    FileKind::Histogram,
    FileKind::Summary,
    FileKind::Gauge(GaugeMode::Sum),
    FileKind::Gauge(GaugeMode::Min),
    FileKind::Gauge(GaugeMode::Max),
    FileKind::Gauge(GaugeMode::MostRecent),
    FileKind::Gauge(GaugeMode::All),
    FileKind::Gauge(GaugeMode::LiveSum),
];

fn dead(pid: u32) -> FileOwner {
    FileOwner::Process {
        pid: DEAD + pid,
        n: 0,
    }
}

fn write_file(dir: &Path, name: &str, entries: &[(SampleKey, f64, f64)]) {
    let mut dict = MmapDict::open(dir.join(name)).expect("a new file");
    for (key, value, timestamp) in entries {
        dict.write_value(&encode_key(key), *value, *timestamp)
            .expect("written");
    }
}

/// The entries a process of the fixture writes in its file of `kind`;
/// values from `seed` (integers and halves: their sums are exact in any
/// order).
fn entries(kind: FileKind, seed: f64) -> Vec<(SampleKey, f64, f64)> {
    let key = |metric: &str, sample: &str, labels: &[(&str, &str)], help: &str| {
        SampleKey::new(metric, sample, labels, help)
    };
    match kind {
        FileKind::Counter => vec![
            (
                key("jobs", "jobs_total", &[("queue", "mail")], "Jobs."),
                seed,
                0.0,
            ),
            (
                key("jobs", "jobs_total", &[("queue", "sms")], "Jobs."),
                2.0 * seed + 0.5,
                0.0,
            ),
        ],
        FileKind::Histogram => {
            let bucket = |le, value| {
                let labels = [("path", "/x"), ("le", le)];
                (
                    key("latency", "latency_bucket", &labels, "Latency."),
                    value,
                    0.0,
                )
            };
            vec![
                bucket("0.1", seed),
                bucket("1.0", 1.0),
                bucket("+Inf", 2.0),
                (
                    key("latency", "latency_sum", &[("path", "/x")], "Latency."),
                    1.5 * seed,
                    0.0,
                ),
            ]
        }
        FileKind::Summary => vec![
            (key("size", "size_count", &[], "Sizes."), 2.0, 0.0),
            (key("size", "size_sum", &[], "Sizes."), 100.0 * seed, 0.0),
        ],
        FileKind::Gauge(mode) => {
            let name = format!("g_{mode}");
            let timestamp = if matches!(mode, GaugeMode::MostRecent) {
                // Not in the order of the pids: the latest is not the last.
                1000.0 + (seed * 7.0) % 11.0
            } else {
                0.0
            };
            vec![
                (
                    key(&name, &name, &[("kind", "a")], "A gauge."),
                    seed,
                    timestamp,
                ),
                (
                    key(&name, &name, &[("kind", "b")], "A gauge."),
                    -seed,
                    timestamp,
                ),
            ]
        }
    }
}

/// The files of one process, every kind.
fn process(dir: &Path, owner: FileOwner, seed: f64) {
    for kind in KINDS {
        write_file(dir, &kind.file_name_of(owner), &entries(kind, seed));
    }
}

/// The files of two live processes: one of a pid that is not running
/// whose files are locked (a writer of ours in another container), and
/// one of this running process, unlocked (a Python worker). The locks are
/// held while the files are kept.
fn live_processes(dir: &Path) -> Vec<File> {
    let locked = dead(900);
    process(dir, locked, 50.0);
    process(
        dir,
        FileOwner::Process {
            pid: std::process::id(),
            n: 0,
        },
        60.0,
    );
    KINDS
        .iter()
        .map(|kind| {
            let file = File::open(dir.join(kind.file_name_of(locked))).expect("opened");
            file.lock().expect("locked");
            file
        })
        .collect()
}

/// The first dead processes, compacted before the compaction under test
/// (so that it merges into an aggregate), and the next ones: one taking
/// the name of a process already absorbed, one a `-1` name.
const FIRST: [(u32, u32, f64); 4] = [(0, 0, 1.0), (1, 0, 2.0), (2, 0, 3.0), (3, 0, 4.5)];
const NEXT: [(u32, u32, f64); 4] = [(0, 0, 6.0), (1, 1, 7.0), (10, 0, 8.0), (11, 0, 9.5)];

fn processes(dir: &Path, which: &[(u32, u32, f64)]) {
    for (pid, n, seed) in which {
        let owner = FileOwner::Process {
            pid: DEAD + pid,
            n: *n,
        };
        process(dir, owner, *seed);
    }
}

/// The families, without the `live*` gauges (the dead processes' ones are
/// deleted by a compaction, as `mark_process_dead` would).
fn comparable(dir: &Path) -> Families {
    without_live_gauges(ours(&collect(dir)))
}

fn without_live_gauges(mut families: Families) -> Families {
    families.retain(|name, _| !name.starts_with("g_live"));
    families
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("listed")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .into_string()
                .expect("UTF-8")
        })
        .collect()
}

/// What a complete compaction leaves: the files of the live processes,
/// the `all` gauges of the dead ones, one aggregate per kind (of one
/// generation), the lock and the manifest.
fn assert_compacted(dir: &Path, dead_all_gauges: &[FileOwner]) {
    let names = names(dir);
    let mut expected = BTreeSet::new();
    for owner in [
        dead(900),
        FileOwner::Process {
            pid: std::process::id(),
            n: 0,
        },
    ] {
        expected.extend(KINDS.map(|kind| kind.file_name_of(owner)));
    }
    for owner in dead_all_gauges {
        expected.insert(FileKind::Gauge(GaugeMode::All).file_name_of(*owner));
    }
    expected.insert(".promscribe.lock".to_owned());
    expected.insert(".promscribe.manifest".to_owned());
    let aggregates: Vec<&String> = names.iter().filter(|n| n.contains("_aggregate-")).collect();
    assert_eq!(aggregates.len(), 7, "{names:#?}");
    let generation = aggregates[0].rsplit_once('-').expect("a generation").1;
    assert!(aggregates
        .iter()
        .all(|n| n.ends_with(&format!("-{generation}"))));
    let others: BTreeSet<String> = names
        .iter()
        .filter(|n| !n.contains("_aggregate-"))
        .cloned()
        .collect();
    assert_eq!(others, expected);
}

fn all_gauges_of(which: &[&[(u32, u32, f64)]]) -> Vec<FileOwner> {
    which
        .iter()
        .flat_map(|w| w.iter())
        .map(|(pid, n, _)| FileOwner::Process {
            pid: DEAD + pid,
            n: *n,
        })
        .collect()
}

/// Our families in the comparable form.
fn ours(families: &[promscribe::MetricFamily]) -> Families {
    multiprocess_common::comparable(families, false)
}

/// A compaction stopped after `first` (then another stopped after
/// `then`), then a complete one: the families never change.
fn interrupted(first: CompactionStep, then: Option<CompactionStep>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    let _held = live_processes(d);
    processes(d, &FIRST);
    let report = compact(d).expect("compacted");
    assert_eq!(report.absorbed, FIRST.len() * 7);
    assert_eq!(report.generation, 1);
    processes(d, &NEXT);

    let before = comparable(d);
    assert_eq!(before.len(), 8, "{before:#?}");
    compact_until(d, first).expect("stopped");
    assert_eq!(comparable(d), before, "stopped after {first:?}");
    if let Some(then) = then {
        compact_until(d, then).expect("stopped");
        assert_eq!(
            comparable(d),
            before,
            "stopped after {first:?}, then {then:?}"
        );
    }
    compact(d).expect("compacted");
    assert_eq!(comparable(d), before, "compacted after {first:?}, {then:?}");
    assert_compacted(d, &all_gauges_of(&[&FIRST, &NEXT]));
    // The live gauges of the live processes only.
    let families = collect(d);
    assert_eq!(value(&families, "g_livesum", &[("kind", "a")]), Some(110.0));
    dir
}

#[test]
fn a_compaction_stopped_after_any_step_changes_no_family() {
    for first in STEPS {
        let dir = interrupted(first, None);
        // Python reads the aggregates as one more process's files.
        assert_eq!(
            python_collect(dir.path()),
            ours(&collect(dir.path())),
            "{first:?}"
        );
    }
}

#[test]
fn a_compaction_stopped_twice_changes_no_family() {
    for first in STEPS {
        for then in STEPS {
            interrupted(first, Some(then));
        }
    }
}

#[test]
fn the_first_compaction_stopped_changes_no_family() {
    for first in STEPS {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        let _held = live_processes(d);
        processes(d, &FIRST);
        let before = comparable(d);
        compact_until(d, first).expect("stopped");
        assert_eq!(comparable(d), before, "stopped after {first:?}");
        compact(d).expect("compacted");
        assert_eq!(comparable(d), before, "compacted after {first:?}");
        assert_compacted(d, &all_gauges_of(&[&FIRST]));
    }
}

/// Collections while another thread compacts (as another process would)
/// wait for it or read before it: each sees the same families.
#[test]
fn collections_during_a_compaction_see_the_same_families() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    let _held = live_processes(d);
    for round in 0..4u32 {
        for pid in 0..50 {
            process(d, dead(1000 * round + pid), f64::from(pid));
        }
        let before = comparable(d);
        let compaction = std::thread::spawn({
            let d = d.to_path_buf();
            move || compact(d).expect("compacted")
        });
        let mut collections = 0;
        while !compaction.is_finished() {
            assert_eq!(comparable(d), before, "round {round}");
            collections += 1;
        }
        assert_eq!(compaction.join().expect("no panic").absorbed, 50 * 7);
        assert_eq!(comparable(d), before, "round {round}");
        println!("round {round}: {collections} collections during the compaction");
    }
}

/// A new process's file taking the name of an absorbed file already
/// deleted (the compaction stopped before the manifest forgot it) counts,
/// and is absorbed in its turn.
#[test]
fn a_new_file_under_an_absorbed_name_counts() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    let _held = live_processes(d);
    processes(d, &FIRST);
    let before = collect(d);
    let mail = [("queue", "mail")];
    let jobs = value(&before, "jobs_total", &mail).expect("jobs");

    compact_until(d, CompactionStep::HalfDeleted).expect("stopped");
    let gone = FIRST
        .iter()
        .map(|(pid, _, _)| FileKind::Counter.file_name_of(dead(*pid)))
        .find(|name| !d.join(name).exists())
        .expect("a counter file deleted");
    write_file(d, &gone, &entries(FileKind::Counter, 1000.0));
    assert_eq!(value(&collect(d), "jobs_total", &mail), Some(jobs + 1000.0));
    let report = compact(d).expect("compacted");
    assert!(report.recovered);
    assert!(!d.join(&gone).exists(), "absorbed in its turn");
    assert_eq!(value(&collect(d), "jobs_total", &mail), Some(jobs + 1000.0));
}

/// Python's collector reads no manifest: while a compaction is stopped
/// after its commit, it counts the absorbed files twice (and the replaced
/// aggregate), as the documentation says; once it completes, it agrees.
#[test]
fn python_counts_absorbed_files_twice_until_a_compaction_completes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    let _held = live_processes(d);
    processes(d, &FIRST);
    compact(d).expect("compacted");
    processes(d, &NEXT);
    compact_until(d, CompactionStep::Committed).expect("stopped");

    let key = ("jobs_total".to_owned(), "queue=mail".to_owned());
    let ours_now = ours(&collect(d))["jobs"].2[&key];
    let theirs = python_collect(d)["jobs"].2[&key];
    let first: f64 = FIRST.iter().map(|p| p.2).sum();
    let next: f64 = NEXT.iter().map(|p| p.2).sum();
    assert_eq!(ours_now, 50.0 + 60.0 + first + next);
    assert_eq!(theirs, ours_now + first + next);

    compact(d).expect("compacted");
    assert_eq!(python_collect(d), ours(&collect(d)));
}

/// A file whose lock is held, or whose pid runs, is never absorbed; once
/// its lock is released (its writer exited), it is.
#[test]
fn live_files_are_never_absorbed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    let held = live_processes(d);
    processes(d, &FIRST);
    let report = compact(d).expect("compacted");
    assert_eq!(report.live, 2 * KINDS.len());
    assert_eq!(report.absorbed, FIRST.len() * 7);
    assert_eq!(report.removed_live_gauges, FIRST.len());
    assert_eq!(report.kept_all_gauges, FIRST.len());
    let report = compact(d).expect("compacted");
    assert_eq!((report.absorbed, report.live), (0, 2 * KINDS.len()));
    assert_compacted(d, &all_gauges_of(&[&FIRST]));

    let before = comparable(d);
    drop(held);
    let report = compact(d).expect("compacted");
    assert_eq!(report.absorbed, 7);
    assert_eq!(report.live, KINDS.len());
    assert!(!d.join(FileKind::Counter.file_name_of(dead(900))).exists());
    assert_eq!(comparable(d), before);
}

/// Dead files that cannot be read are left, as the collector leaves them
/// out; the others are absorbed.
#[test]
fn unreadable_dead_files_are_left() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    processes(d, &FIRST);
    let corrupt = FileKind::Counter.file_name_of(dead(20));
    std::fs::write(d.join(&corrupt), [0xffu8; 100]).expect("written");
    let foreign = FileKind::Summary.file_name_of(dead(21));
    let mut dict = MmapDict::open(d.join(&foreign)).expect("a new file");
    dict.write_value("not json", 1.0, 0.0).expect("written");
    drop(dict);

    let (before, logged) = collect_logged(d);
    assert_eq!(logged.len(), 2, "{logged:?}");
    let report = compact(d).expect("compacted");
    assert_eq!(report.unreadable, 2);
    assert_eq!(report.absorbed, FIRST.len() * 7);
    assert!(d.join(&corrupt).exists() && d.join(&foreign).exists());
    let (after, logged) = collect_logged(d);
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert_eq!(
        without_live_gauges(ours(&after)),
        without_live_gauges(ours(&before))
    );
}

/// `with_compaction` compacts before the first collection, then not
/// again before its interval has passed.
#[test]
fn the_collector_compacts_at_most_once_an_interval() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    processes(d, &FIRST[..1]);
    let collector = MultiProcessCollector::new(d).with_compaction(Duration::from_secs(3600));
    let collect_with = |collector: &MultiProcessCollector| {
        let mut families = Vec::new();
        collector.collect(&mut families);
        value(&families, "jobs_total", &[("queue", "mail")])
    };
    assert_eq!(collect_with(&collector), Some(1.0));
    assert!(!d.join(FileKind::Counter.file_name_of(dead(0))).exists());

    processes(d, &FIRST[1..2]);
    assert_eq!(collect_with(&collector.clone()), Some(3.0));
    assert!(d.join(FileKind::Counter.file_name_of(dead(1))).exists());

    let every_time = MultiProcessCollector::new(d).with_compaction(Duration::ZERO);
    assert_eq!(collect_with(&every_time), Some(3.0));
    assert!(!d.join(FileKind::Counter.file_name_of(dead(1))).exists());
}

/// A directory where compaction fails (here its lock file cannot be
/// written: as in a directory without write permission) is collected,
/// the failure logged.
#[test]
fn a_directory_that_cannot_be_compacted_is_collected() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    processes(d, &FIRST);
    std::fs::create_dir(d.join(".promscribe.lock")).expect("a directory");
    assert!(compact(d).is_err());

    let before = ours(&collect(d));
    let collector = MultiProcessCollector::new(d).with_compaction(Duration::ZERO);
    let (families, logged) = Logged::during(|| {
        let mut families = Vec::new();
        collector.collect(&mut families);
        families
    });
    assert_eq!(ours(&families), before);
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(
        logged[0].contains("collected without compaction")
            && logged[0].contains(".promscribe.lock"),
        "{logged:?}"
    );
    assert!(d.join(FileKind::Counter.file_name_of(dead(0))).exists());
}

/// 6,000 files of 100 entries each (1,500 dead processes, each with a
/// counter, a histogram, a summary and a `sum` gauge file), beside the
/// files of two live processes: collected, compacted, collected again.
/// The times are printed, not asserted (run with `--release --nocapture`).
#[test]
fn six_thousand_dead_files_are_compacted() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    let bounds = [
        "0.005", "0.01", "0.05", "0.1", "0.5", "1.0", "5.0", "10.0", "+Inf",
    ];
    let paths: Vec<String> = (0..100).map(|i| format!("/p{i}")).collect();
    let mut keys: [Vec<String>; 4] = Default::default();
    for (i, path) in paths.iter().enumerate() {
        let l = [("path", path.as_str())];
        let key = |metric, sample: &str, labels: &[(&str, &str)]| {
            encode_key(&SampleKey::new(metric, sample, labels, "Help."))
        };
        keys[0].push(key("requests", "requests_total", &l));
        keys[3].push(key("inflight", "inflight", &l));
        if i < 50 {
            keys[2].push(key("size_bytes", "size_bytes_count", &l));
            keys[2].push(key("size_bytes", "size_bytes_sum", &l));
        }
        if i < 10 {
            for le in bounds {
                keys[1].push(key("latency", "latency_bucket", &[l[0], ("le", le)]));
            }
            keys[1].push(key("latency", "latency_sum", &l));
        }
    }
    let kinds = [
        FileKind::Counter,
        FileKind::Histogram,
        FileKind::Summary,
        FileKind::Gauge(GaugeMode::Sum),
    ];
    let write = |owner: FileOwner| {
        for (kind, keys) in kinds.iter().zip(&keys) {
            assert_eq!(keys.len(), 100);
            let mut dict = MmapDict::open(d.join(kind.file_name_of(owner))).expect("a file");
            for key in keys {
                dict.write_value(key, 1.0, 0.0).expect("written");
            }
        }
    };
    let start = Instant::now();
    for pid in 0..1500 {
        write(dead(pid));
    }
    let locked = dead(9000);
    let running = FileOwner::Process {
        pid: std::process::id(),
        n: 0,
    };
    write(locked);
    write(running);
    let _held: Vec<File> = kinds
        .iter()
        .map(|kind| {
            let file = File::open(d.join(kind.file_name_of(locked))).expect("opened");
            file.lock().expect("locked");
            file
        })
        .collect();
    println!("6,008 files written in {:?}", start.elapsed());

    let start = Instant::now();
    let before = collect(d);
    println!(
        "6,008 files of 100 entries collected in {:?}",
        start.elapsed()
    );
    assert_eq!(
        value(&before, "requests_total", &[("path", "/p99")]),
        Some(1502.0)
    );

    let start = Instant::now();
    let report = compact(d).expect("compacted");
    println!("6,000 dead files compacted in {:?}", start.elapsed());
    assert_eq!(report.absorbed, 6000);
    assert_eq!(report.live, 8);

    let start = Instant::now();
    let after = collect(d);
    println!(
        "the compacted directory (4 aggregates, 8 live files) collected in {:?}",
        start.elapsed()
    );
    assert_eq!(ours(&after), ours(&before));
    let names = names(d);
    let mut expected: BTreeSet<String> = [".promscribe.lock", ".promscribe.manifest"]
        .map(str::to_owned)
        .into();
    for kind in kinds {
        expected.insert(kind.file_name_of(FileOwner::Aggregate { generation: 1 }));
        expected.insert(kind.file_name_of(locked));
        expected.insert(kind.file_name_of(running));
    }
    assert_eq!(names, expected);
}
