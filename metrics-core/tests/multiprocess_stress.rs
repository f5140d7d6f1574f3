//! Recording into a multiprocess file under load: threads `inc` a shared
//! value and one of their own (through addresses cached before the file
//! grew, and through values resolved again after) while another thread
//! keeps adding keys, so that the file grows five times (64 KiB to
//! 2 MiB), and a reader reads the file as a collector does. The sums must
//! come out exact and every read of the file must parse: an address into
//! a mapping unmapped by a growth, or an entry published before it is
//! written, would show (under valgrind, as an invalid access).
//! `scripts/test` also runs it under valgrind memcheck.
#![cfg(feature = "multiprocess")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use promscribe::multiprocess::{
    read_entries, FileKind, FileValue, ProcessFiles, SampleKey, INITIAL_SIZE,
};

const INCREMENTERS: usize = 3;
/// The file's size when the grower stops: five doublings.
const TARGET: u64 = 32 * INITIAL_SIZE as u64;
/// Each incrementer goes on at least this long, growth or not.
const MIN_INCS: u64 = 20_000;
/// How often an incrementer swaps its value for a fresh one of the same
/// key (resolved through the newest mapping).
const SWAP_EVERY: u64 = 1_000;
const HELP: &str = "Keys added while other threads increment: long help, so that the file grows fast enough under valgrind.";

fn key(name: &str) -> SampleKey {
    SampleKey::new("stress", "stress_total", &[("key", name)], HELP)
}

#[test]
fn increments_stay_exact_while_the_file_grows() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = Arc::new(ProcessFiles::new(dir.path()));
    let value = |name: &str| FileValue::new(Arc::clone(&files), FileKind::Counter, &key(name));
    let shared = value("shared");
    shared.inc(0.0).expect("the file is created");
    let path = files.file_path(FileKind::Counter).expect("created");
    let grown = AtomicBool::new(false);

    let (added, incs, reads) = std::thread::scope(|s| {
        let grower = s.spawn(|| {
            let mut added = 0usize;
            loop {
                value(&format!("grown-{added:07}"))
                    .inc(1.0)
                    .expect("written");
                added += 1;
                if added.is_multiple_of(64)
                    && std::fs::metadata(&path).expect("the file").len() >= TARGET
                {
                    grown.store(true, Ordering::Release);
                    return added;
                }
            }
        });
        let incrementers: Vec<_> = (0..INCREMENTERS)
            .map(|t| {
                let shared = shared.clone();
                let grown = &grown;
                let value = &value;
                s.spawn(move || {
                    let name = format!("own-{t}");
                    let mut own = value(&name);
                    let mut n = 0u64;
                    while n < MIN_INCS || !grown.load(Ordering::Acquire) {
                        shared.inc(1.0).expect("written");
                        own.inc(0.25).expect("written");
                        n += 1;
                        if n.is_multiple_of(SWAP_EVERY) {
                            own = value(&name);
                        }
                    }
                    n
                })
            })
            .collect();
        let reader = s.spawn(|| {
            let mut reads = 0u64;
            let mut last_shared = 0.0;
            let mut last_len = 0;
            while !grown.load(Ordering::Acquire) {
                let entries = read_entries(&path).expect("every read of the file parses");
                assert!(entries.len() >= last_len, "entries never disappear");
                last_len = entries.len();
                let now = entries
                    .iter()
                    .find(|e| e.key == shared.key())
                    .expect("the shared entry")
                    .value;
                assert!(now >= last_shared, "{now} after {last_shared}");
                last_shared = now;
                reads += 1;
                // Room for the writers (valgrind runs one thread at a
                // time).
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            reads
        });
        let added = grower.join().expect("the grower");
        let incs: Vec<u64> = incrementers
            .into_iter()
            .map(|h| h.join().expect("an incrementer"))
            .collect();
        (added, incs, reader.join().expect("the reader"))
    });

    let total: u64 = incs.iter().sum();
    assert_eq!(shared.get().expect("read"), total as f64);
    let entries = read_entries(&path).expect("readable");
    assert_eq!(entries.len(), 1 + added + INCREMENTERS);
    assert!(std::fs::metadata(&path).expect("the file").len() >= TARGET);
    for entry in &entries {
        let name = promscribe::multiprocess::parse_key(&entry.key)
            .expect("a key")
            .labels[0]
            .1
            .clone();
        let expected = match name.strip_prefix("own-") {
            Some(t) => incs[t.parse::<usize>().expect("a thread")] as f64 * 0.25,
            None if name == "shared" => total as f64,
            None => 1.0,
        };
        assert_eq!(entry.value, expected, "{name}");
    }
    println!(
        "{added} keys added, {total} shared increments, {reads} reads of the file, {} bytes",
        std::fs::metadata(&path).expect("the file").len()
    );
}
