//! A real fork of a process whose declared metrics record into the
//! multiprocess files (without the test harness, whose threads would make
//! forking it unsafe): a `counter!` and a `histogram!` updated in the
//! parent, then in a forked child, then in the parent again. The child's
//! updates land in the files of its pid, starting from zero, and never in
//! its parent's; the parent's stay in its own; our collector sums both
//! exactly, and Python 0.26's collector agrees (failing, never skipping,
//! when python3 or prometheus_client is missing). The child exits with
//! `_exit`.
#![cfg(feature = "multiprocess")]

#[cfg(not(unix))]
fn main() {}

#[cfg(unix)]
fn main() {
    unix::main();
}

#[cfg(unix)]
mod multiprocess_common;

#[cfg(unix)]
// fork, waitpid, kill, _exit: each call states its invariant.
#[allow(unsafe_code)]
mod unix {
    use std::io::Write;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::path::Path;
    use std::time::{Duration, Instant};

    use super::multiprocess_common::{collect, comparable, python_collect, value};
    use promscribe::multiprocess::{self, encode_key, read_entries, FileKind, SampleKey};
    use promscribe::{counter, histogram};

    counter!(JOBS, "fork_jobs_total", "Jobs.");
    histogram!(
        LATENCY,
        "fork_latency_seconds",
        "Latency.",
        buckets = [1.0, 2.0]
    );

    pub(super) fn main() {
        // `cargo test` passes a name filter (and flags, ignored here).
        let name = "a_forked_child_records_its_metrics_into_its_own_files";
        let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            println!("\ntest result: ok. 0 passed");
            return;
        }
        print!("test {name} ... ");
        std::io::stdout().flush().expect("stdout");
        a_forked_child_records_its_metrics_into_its_own_files();
        println!("ok\n\ntest result: ok. 1 passed");
    }

    /// Runs `f` in a forked child; returns the child's pid and exit code
    /// (0 if `f` returned, 101 if it panicked, 128 + the signal if one
    /// killed it). A child still running after 30 s (deadlocked) is killed
    /// and the test fails.
    fn in_child(f: impl FnOnce()) -> (i32, i32) {
        std::io::stdout().flush().expect("stdout");
        // SAFETY: this process has one thread (no test harness), so the
        // child's copy holds no lock another thread held; the library's
        // `pthread_atfork` handlers hold its resolve lock across the fork
        // all the same. The child runs `f` and `_exit`s.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
        if pid == 0 {
            let code = match catch_unwind(AssertUnwindSafe(f)) {
                Ok(()) => 0,
                Err(_) => 101,
            };
            // SAFETY: ends the child at once, without running the
            // destructors or exit handlers of the parent's state it copied
            // (its temporary directory belongs to the parent).
            unsafe { libc::_exit(code) }
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut status = 0;
            // SAFETY: `waitpid` writes the status into a local.
            let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if rc == pid {
                let code = if libc::WIFEXITED(status) {
                    libc::WEXITSTATUS(status)
                } else {
                    128 + libc::WTERMSIG(status)
                };
                return (pid, code);
            }
            assert_eq!(rc, 0, "waitpid: {}", std::io::Error::last_os_error());
            if Instant::now() > deadline {
                // SAFETY: signals and reaps our own child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                panic!("the child {pid} was still running after 30 s: deadlocked");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The entries of the `kind` file of process `pid` in `dir`, as
    /// (key, value), sorted.
    fn entries(dir: &Path, kind: FileKind, pid: u32) -> Vec<(String, f64)> {
        let path = dir.join(kind.file_name(pid));
        let mut entries: Vec<(String, f64)> = read_entries(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    fn jobs(total: f64) -> Vec<(String, f64)> {
        let key = SampleKey::new("fork_jobs", "fork_jobs_total", &[], "Jobs.");
        vec![(encode_key(&key), total)]
    }

    /// The histogram's entries: per-bucket counts (`le` 1.0, 2.0, +Inf),
    /// then the sum.
    fn latency(buckets: [f64; 3], sum: f64) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = ["1.0", "2.0", "+Inf"]
            .iter()
            .zip(buckets)
            .map(|(le, count)| {
                let labels = [("le", *le)];
                let key = SampleKey::new(
                    "fork_latency_seconds",
                    "fork_latency_seconds_bucket",
                    &labels,
                    "Latency.",
                );
                (encode_key(&key), count)
            })
            .collect();
        let key = SampleKey::new(
            "fork_latency_seconds",
            "fork_latency_seconds_sum",
            &[],
            "Latency.",
        );
        out.push((encode_key(&key), sum));
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn a_forked_child_records_its_metrics_into_its_own_files() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        multiprocess::init(d).expect("multiprocess mode on");
        let parent = std::process::id();

        // The parent, before the fork.
        JOBS.inc_by(2.0).expect("positive");
        LATENCY.observe(0.5);
        LATENCY.observe(1.5);
        assert_eq!(entries(d, FileKind::Counter, parent), jobs(2.0));

        // The child: its own files, from zero (the parent's values are the
        // parent's), and its reads are of its own files.
        let (child, code) = in_child(|| {
            JOBS.inc_by(10.0).expect("positive");
            JOBS.inc();
            LATENCY.observe(0.5);
            LATENCY.observe(5.0);
            assert_eq!(JOBS.get(), 11.0);
            assert_eq!(LATENCY.get_count(), 2);
            assert_eq!(LATENCY.get_sum(), 5.5);
        });
        assert_eq!(code, 0, "the child {child} failed");
        let child = u32::try_from(child).expect("a pid");
        assert_ne!(child, parent);
        assert_eq!(entries(d, FileKind::Counter, child), jobs(11.0));
        assert_eq!(
            entries(d, FileKind::Histogram, child),
            latency([1.0, 0.0, 1.0], 5.5)
        );
        // The parent's files hold what the parent recorded, nothing of
        // the child's.
        assert_eq!(entries(d, FileKind::Counter, parent), jobs(2.0));
        assert_eq!(
            entries(d, FileKind::Histogram, parent),
            latency([1.0, 1.0, 0.0], 2.0)
        );

        // The parent again: still its own files.
        JOBS.inc();
        LATENCY.observe(1.5);
        assert_eq!(JOBS.get(), 3.0);
        assert_eq!(LATENCY.get_count(), 3);
        assert_eq!(entries(d, FileKind::Counter, parent), jobs(3.0));
        assert_eq!(
            entries(d, FileKind::Histogram, parent),
            latency([1.0, 2.0, 0.0], 3.5)
        );
        assert_eq!(entries(d, FileKind::Counter, child), jobs(11.0));

        // Our collector sums both processes exactly...
        let families = collect(d);
        assert_eq!(value(&families, "fork_jobs_total", &[]), Some(14.0));
        for (le, count) in [("1.0", 2.0), ("2.0", 4.0), ("+Inf", 5.0)] {
            assert_eq!(
                value(&families, "fork_latency_seconds_bucket", &[("le", le)]),
                Some(count),
                "le {le}"
            );
        }
        assert_eq!(
            value(&families, "fork_latency_seconds_count", &[]),
            Some(5.0)
        );
        assert_eq!(value(&families, "fork_latency_seconds_sum", &[]), Some(9.0));
        // ... and Python's collector agrees on every family and sample.
        let ours = comparable(&families, false);
        assert_eq!(ours.len(), 2, "{ours:#?}");
        assert_eq!(python_collect(d), ours);
        assert_eq!(multiprocess::failed_updates(), 0);
    }
}
