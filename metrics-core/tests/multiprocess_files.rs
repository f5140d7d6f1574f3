//! The multiprocess files, against Python's `prometheus_client` 0.26:
//! files we write are read by Python's `MmapedDict` and
//! `MultiProcessCollector`, files Python writes are read by us, keys
//! included byte for byte. The tests that run Python fail when python3 or
//! prometheus_client is missing: they never skip.
#![cfg(feature = "multiprocess")]

mod multiprocess_common;

use std::path::Path;

use multiprocess_common::{python, utf8};
use promscribe::multiprocess::{
    encode_key, parse_key, read_entries, FileKind, MmapDict, MultiprocessError, SampleKey,
    INITIAL_SIZE,
};

/// Keys with what JSON escapes: non-ASCII, quotes, backslashes, control
/// characters, characters beyond the BMP, unsorted label names.
fn tricky_keys() -> Vec<SampleKey> {
    vec![
        SampleKey::new("plain", "plain_total", &[], ""),
        SampleKey::new(
            "q",
            "q_total",
            &[("path", "/a\"b\\c"), ("method", "GET")],
            "Quotes \"and\" back\\slashes.",
        ),
        SampleKey::new(
            "ctl",
            "ctl_total",
            &[("v", "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}")],
            "tab\there",
        ),
        SampleKey::new(
            "intl",
            "intl_total",
            &[
                ("ville", "Zürich"),
                ("emoji", "😀🎉"),
                ("ä", "€"),
                ("A", "𝄞"),
            ],
            "Grüße, 世界 🌍",
        ),
    ]
}

/// The same keys' parts, as a Python literal (ASCII, escaped): the script
/// builds each key with Python's own `mmap_key`.
const PY_TRICKY: &str = r#"
TRICKY = [
    ("plain", "plain_total", {}, ""),
    ("q", "q_total", {"path": "/a\"b\\c", "method": "GET"}, "Quotes \"and\" back\\slashes."),
    ("ctl", "ctl_total", {"v": "\n\r\t\b\f\x00\x1f\x7f"}, "tab\there"),
    ("intl", "intl_total", {"ville": "Z\u00fcrich", "emoji": "\U0001F600\U0001F389",
        "\u00e4": "\u20ac", "A": "\U0001D11E"}, "Gr\u00fc\u00dfe, \u4e16\u754c \U0001F30D"),
]
from prometheus_client.mmap_dict import MmapedDict, mmap_key
def key_of(t):
    return mmap_key(t[0], t[1], list(t[2].keys()), list(t[2].values()), t[3])
"#;

#[test]
fn files_we_write_are_read_by_python() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(FileKind::Counter.file_name(1));
    let mut dict = MmapDict::open(&path).expect("a new file");
    for (i, key) in tricky_keys().iter().enumerate() {
        dict.write_value(&encode_key(key), i as f64 + 0.5, 1e9 + i as f64)
            .expect("written");
    }
    // Written twice: updated in place, not added again.
    dict.write_value(&encode_key(&tricky_keys()[0]), 7.25, 0.0)
        .expect("written");
    drop(dict);

    let script = format!(
        r#"{PY_TRICKY}
import os, sys
path = os.path.join(sys.argv[1], "counter_1.db")
mapped = list(MmapedDict(path, read_mode=True).read_all_values())
read = [(k, v, t) for k, v, t, _ in MmapedDict.read_all_values_from_file(path)]
assert mapped == read, (mapped, read)
assert [k for k, _, _ in read] == [key_of(t) for t in TRICKY], read
for k, v, t in read:
    print(repr(v), repr(t))
"#
    );
    let out = python(&script, &[utf8(dir.path())], None);
    assert_eq!(
        out,
        "7.25 0.0\n1.5 1000000001.0\n2.5 1000000002.0\n3.5 1000000003.0\n"
    );
}

#[test]
fn files_python_writes_are_read_by_us() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The tricky keys, then enough entries to grow the file past 64 KiB.
    let script = format!(
        r#"{PY_TRICKY}
import os, sys
d = MmapedDict(os.path.join(sys.argv[1], "gauge_livesum_2.db"))
for i, t in enumerate(TRICKY):
    d.write_value(key_of(t), i + 0.25, 1700000000.5 + i)
for i in range(1000):
    d.write_value(mmap_key("grow", "grow", ["i"], [str(i)], "x" * 40), float(i), 0.0)
d.close()
"#
    );
    python(&script, &[utf8(dir.path())], None);
    let path = dir.path().join("gauge_livesum_2.db");
    let size = std::fs::metadata(&path).expect("the file").len();
    assert_eq!(size, 2 * INITIAL_SIZE as u64, "Python doubled it once");

    let entries = read_entries(&path).expect("Python's file reads");
    assert_eq!(entries.len(), 4 + 1000);
    let want = tricky_keys();
    for (i, entry) in entries.iter().take(4).enumerate() {
        let key = parse_key(&entry.key).expect("Python's key parses");
        assert_eq!(key, want[i]);
        assert_eq!(encode_key(&key), entry.key, "the same bytes");
        assert_eq!(entry.value, i as f64 + 0.25);
        assert_eq!(entry.timestamp, 1_700_000_000.5 + i as f64);
    }
    for (i, entry) in entries[4..].iter().enumerate() {
        let key = parse_key(&entry.key).expect("Python's key parses");
        assert_eq!(key.labels, [("i".to_owned(), i.to_string())]);
        assert_eq!(entry.value, i as f64);
    }

    // Opened for writing, Python's file takes updates and new entries in
    // its own layout.
    let mut dict = MmapDict::open(&path).expect("Python's file opens");
    assert_eq!(dict.entries().expect("entries"), entries);
    let first = encode_key(&want[0]);
    assert_eq!(dict.value(&first), Some((0.25, 1_700_000_000.5)));
    dict.write_value(&first, 9.0, 0.0).expect("written");
    dict.write_value("new", 1.0, 0.0).expect("written");
    drop(dict);
    let script = r#"
import os, sys
from prometheus_client.mmap_dict import MmapedDict
vals = list(MmapedDict(os.path.join(sys.argv[1], "gauge_livesum_2.db"), read_mode=True).read_all_values())
print(len(vals), vals[0][1], vals[-1])
"#;
    assert_eq!(
        python(script, &[utf8(dir.path())], None),
        "1005 9.0 ('new', 1.0, 0.0)\n"
    );
}

#[test]
fn files_grow_past_64_kib() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(FileKind::Histogram.file_name(3));
    let mut dict = MmapDict::open(&path).expect("a new file");
    assert_eq!(dict.capacity(), INITIAL_SIZE);
    let help = "h".repeat(100);
    for i in 0..2000u32 {
        let key = SampleKey::new("big", "big_sum", &[("i", &i.to_string())], &help);
        dict.write_value(&encode_key(&key), f64::from(i), 0.0)
            .expect("written");
    }
    // About 330 KB: doubled three times.
    assert!(dict.used() > 4 * INITIAL_SIZE);
    assert_eq!(dict.capacity(), 8 * INITIAL_SIZE);
    let used = dict.used();
    drop(dict);
    assert_eq!(
        std::fs::metadata(&path).expect("the file").len(),
        8 * INITIAL_SIZE as u64
    );
    // Reopened: every entry found again, none added.
    let dict = MmapDict::open(&path).expect("reopens");
    assert_eq!(dict.used(), used);
    let key = encode_key(&SampleKey::new("big", "big_sum", &[("i", "1999")], &help));
    assert_eq!(dict.value(&key), Some((1999.0, 0.0)));

    let script = r#"
import os, sys
from prometheus_client.mmap_dict import MmapedDict
vals = list(MmapedDict.read_all_values_from_file(os.path.join(sys.argv[1], "histogram_3.db")))
print(len(vals), sum(v for _, v, _, _ in vals))
"#;
    assert_eq!(
        python(script, &[utf8(dir.path())], None),
        "2000 1999000.0\n"
    );
}

#[test]
fn python_collects_our_counter_and_histogram() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Two processes of one application, laid out as Python lays them out:
    // a counter's samples `<name>_total`; histogram buckets per bucket
    // (not cumulative), `_sum`, no `_count`.
    for (pid, count, buckets, sum) in [
        (10u32, 2.0, [1.0, 0.0, 1.0], 5.5),
        (11, 3.0, [0.0, 2.0, 0.0], 1.5),
    ] {
        let mut counters =
            MmapDict::open(dir.path().join(FileKind::Counter.file_name(pid))).expect("a file");
        let key = SampleKey::new("jobs", "jobs_total", &[("queue", "é\"")], "Jobs.");
        counters
            .write_value(&encode_key(&key), count, 0.0)
            .expect("written");
        let mut histograms =
            MmapDict::open(dir.path().join(FileKind::Histogram.file_name(pid))).expect("a file");
        for (le, value) in ["0.5", "1.0", "+Inf"].iter().zip(buckets) {
            let key = SampleKey::new("lat", "lat_bucket", &[("le", le)], "Latency.");
            histograms
                .write_value(&encode_key(&key), value, 0.0)
                .expect("written");
        }
        let key = SampleKey::new("lat", "lat_sum", &[], "Latency.");
        histograms
            .write_value(&encode_key(&key), sum, 0.0)
            .expect("written");
    }
    let script = r#"
import sys
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
registry = CollectorRegistry()
MultiProcessCollector(registry, path=sys.argv[1])
for metric in sorted(registry.collect(), key=lambda m: m.name):
    print(metric.name, metric.type, metric.documentation)
    for s in sorted(metric.samples, key=lambda s: (s.name, sorted(s.labels.items()))):
        print(" ", s.name, sorted(s.labels.items()), s.value)
"#;
    let out = python(script, &[utf8(dir.path())], None);
    assert_eq!(
        out,
        "jobs counter Jobs.
  jobs_total [('queue', 'é\"')] 5.0
lat histogram Latency.
  lat_bucket [('le', '+Inf')] 4.0
  lat_bucket [('le', '0.5')] 1.0
  lat_bucket [('le', '1.0')] 3.0
  lat_count [] 4.0
  lat_sum [] 7.0
"
    );
}

fn corrupt_offset(err: MultiprocessError, path: &Path) -> (usize, String) {
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()),
        "the error names the file: {text}"
    );
    match err {
        MultiprocessError::Corrupt {
            offset, problem, ..
        } => (offset, problem),
        other => panic!("not a corrupt file error: {other:?}"),
    }
}

#[test]
fn a_truncated_file_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(FileKind::Counter.file_name(4));
    let mut dict = MmapDict::open(&path).expect("a new file");
    dict.write_value("a", 1.0, 0.0).expect("written");
    dict.write_value("b", 2.0, 0.0).expect("written");
    let used = dict.used();
    drop(dict);
    // Cut inside the second entry.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("the file");
    file.set_len(used as u64 - 8).expect("truncated");
    drop(file);
    let (offset, problem) = corrupt_offset(read_entries(&path).expect_err("truncated"), &path);
    assert_eq!(offset, 0);
    assert!(problem.contains("beyond the file"), "{problem}");
    let (offset, _) = corrupt_offset(MmapDict::open(&path).expect_err("truncated"), &path);
    assert_eq!(offset, 0);

    // A file whose header claims more than its entries hold: the entry
    // running past the used length is named.
    let mut bytes = std::fs::read(&path).expect("the file");
    bytes.truncate(8 + 24);
    bytes[..4].copy_from_slice(&(8i32 + 24 + 8).to_ne_bytes());
    bytes.extend_from_slice(&[1, 0, 0, 0, b'b', b' ', b' ', b' ']);
    std::fs::write(&path, &bytes).expect("written");
    let (offset, problem) = corrupt_offset(read_entries(&path).expect_err("short"), &path);
    assert_eq!(offset, 32);
    assert!(problem.contains("past the used length"), "{problem}");
}

#[test]
fn an_empty_or_foreign_file_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(FileKind::Summary.file_name(5));
    std::fs::write(&path, b"").expect("written");
    let (offset, problem) = corrupt_offset(read_entries(&path).expect_err("empty"), &path);
    assert_eq!((offset, problem.as_str()), (0, "empty file"));

    std::fs::write(&path, b"\x08\x00\x00").expect("written");
    let (_, problem) = corrupt_offset(read_entries(&path).expect_err("short"), &path);
    assert!(
        problem.contains("shorter than the 8-byte header"),
        "{problem}"
    );
    let (_, problem) = corrupt_offset(MmapDict::open(&path).expect_err("short"), &path);
    assert!(
        problem.contains("shorter than the 8-byte header"),
        "{problem}"
    );

    std::fs::write(&path, "# HELP not a multiprocess file\n").expect("written");
    let (offset, _) = corrupt_offset(read_entries(&path).expect_err("foreign"), &path);
    assert_eq!(offset, 0);

    // A valid header, then an entry whose padding is not spaces.
    let mut bytes = vec![0u8; 64];
    bytes[..4].copy_from_slice(&32i32.to_ne_bytes());
    bytes[8..12].copy_from_slice(&1i32.to_ne_bytes());
    bytes[12] = b'k';
    std::fs::write(&path, &bytes).expect("written");
    let (offset, problem) = corrupt_offset(read_entries(&path).expect_err("foreign"), &path);
    assert_eq!(offset, 13);
    assert!(problem.contains("not a space"), "{problem}");

    // A negative key length.
    bytes[8..12].copy_from_slice(&(-5i32).to_ne_bytes());
    std::fs::write(&path, &bytes).expect("written");
    let (offset, problem) = corrupt_offset(read_entries(&path).expect_err("foreign"), &path);
    assert_eq!(offset, 8);
    assert!(problem.contains("negative key length"), "{problem}");

    // A key that is not UTF-8.
    bytes[8..12].copy_from_slice(&1i32.to_ne_bytes());
    bytes[12..16].copy_from_slice(&[0xff, b' ', b' ', b' ']);
    std::fs::write(&path, &bytes).expect("written");
    let (offset, problem) = corrupt_offset(read_entries(&path).expect_err("foreign"), &path);
    assert_eq!(offset, 12);
    assert!(problem.contains("UTF-8"), "{problem}");

    // A missing file is an I/O error naming it.
    let missing = dir.path().join("counter_6.db");
    let err = read_entries(&missing).expect_err("missing");
    assert!(matches!(err, MultiprocessError::Io { .. }));
    assert!(err.to_string().contains("counter_6.db"), "{err}");
}
