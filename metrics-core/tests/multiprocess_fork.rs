//! Real forks of a recording process (without the test harness, whose
//! threads would make forking it unsafe): a child records into its own
//! files and never into its parent's, which it closes, and the parent's
//! later records still go to its own; a fork while another thread creates
//! entries leaves the child free to create its own; a full disk (a file
//! size limit) is an error naming the file, never a signal or a panic.
//! Each test runs in order in this process; children exit with `_exit`.

#[cfg(not(unix))]
fn main() {}

#[cfg(unix)]
fn main() {
    unix::main();
}

#[cfg(unix)]
// fork, waitpid, kill, setrlimit, signal, _exit: each call states its
// invariant.
#[allow(unsafe_code)]
mod unix {
    use std::fs::File;
    use std::io::Write;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use promscribe::multiprocess::{
        read_entries, FileKind, FileValue, GaugeMode, MultiprocessError, ProcessFiles, SampleKey,
        INITIAL_SIZE,
    };

    type Test = (&'static str, fn());

    pub(super) fn main() {
        let tests: [Test; 3] = [
            (
                "a_forked_child_records_into_its_own_files",
                a_forked_child_records_into_its_own_files,
            ),
            (
                "a_fork_while_another_thread_creates_entries_leaves_the_child_free",
                a_fork_while_another_thread_creates_entries_leaves_the_child_free,
            ),
            (
                "a_full_disk_is_an_error_naming_the_file",
                a_full_disk_is_an_error_naming_the_file,
            ),
        ];
        // `cargo test` passes a name filter (and flags, ignored here).
        let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        let mut ran = 0;
        for (name, test) in tests {
            if filter.as_deref().is_some_and(|f| !name.contains(f)) {
                continue;
            }
            print!("test {name} ... ");
            std::io::stdout().flush().expect("stdout");
            test();
            println!("ok");
            ran += 1;
        }
        println!("\ntest result: ok. {ran} passed");
    }

    /// Runs `f` in a forked child; returns the child's pid and exit code
    /// (0 if `f` returned, 101 if it panicked, 128 + the signal if one
    /// killed it). A child still running after 30 s (deadlocked) is killed
    /// and the test fails.
    fn in_child(f: impl FnOnce()) -> (i32, i32) {
        std::io::stdout().flush().expect("stdout");
        // SAFETY: the child runs `f` and `_exit`s; the threads of this
        // process (if any) record values only, and the resolve lock they
        // take is held across the fork by the library's `pthread_atfork`
        // handlers; malloc is fork-safe in glibc.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
        if pid == 0 {
            let code = match catch_unwind(AssertUnwindSafe(f)) {
                Ok(()) => 0,
                Err(_) => 101,
            };
            // SAFETY: ends the child at once, without running the
            // destructors or exit handlers of the parent's state it copied
            // (its temporary directories belong to the parent).
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

    fn value_in(path: &Path, key: &str) -> Option<f64> {
        read_entries(path)
            .expect("a readable file")
            .into_iter()
            .find(|e| e.key == key)
            .map(|e| e.value)
    }

    /// Whether another open file description could take the file's
    /// exclusive lock (released again at once).
    fn lockable(path: &Path) -> bool {
        let file = File::open(path).expect("the file opens");
        match file.try_lock() {
            Ok(()) => true,
            Err(std::fs::TryLockError::WouldBlock) => false,
            Err(std::fs::TryLockError::Error(e)) => panic!("locking {}: {e}", path.display()),
        }
    }

    /// Whether a descriptor of this process is open on the file at `path`
    /// (by inode: a writer's descriptor was opened under the temporary
    /// name).
    #[cfg(target_os = "linux")]
    fn open_here(path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let file = std::fs::metadata(path).expect("the file exists");
        std::fs::read_dir("/proc/self/fd")
            .expect("/proc/self/fd")
            .filter_map(|e| std::fs::metadata(e.ok()?.path()).ok())
            .any(|fd| fd.dev() == file.dev() && fd.ino() == file.ino())
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("a readable directory")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .into_string()
                    .expect("a UTF-8 name")
            })
            .collect();
        names.sort();
        names
    }

    fn a_forked_child_records_into_its_own_files() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let dir = dir.path();
        let files = Arc::new(ProcessFiles::new(dir));
        let jobs = FileValue::new(
            Arc::clone(&files),
            FileKind::Counter,
            &SampleKey::new("jobs", "jobs_total", &[], "Jobs."),
        );
        let busy = FileValue::new(
            Arc::clone(&files),
            FileKind::Gauge(GaugeMode::LiveSum),
            &SampleKey::new("busy", "busy", &[], "Busy."),
        );
        jobs.inc(3.0).expect("written");
        busy.set(2.0, 0.0).expect("written");
        let parent = std::process::id();
        let parent_counter = dir.join(FileKind::Counter.file_name(parent));
        let parent_gauge = dir.join(FileKind::Gauge(GaugeMode::LiveSum).file_name(parent));
        assert_eq!(
            files.file_path(FileKind::Counter),
            Some(parent_counter.clone())
        );

        let (child, code) = in_child(|| {
            let child = std::process::id();
            let child_counter = dir.join(FileKind::Counter.file_name(child));
            // Before its first update, the child holds its copies of the
            // parent's files; the first one closes them.
            #[cfg(target_os = "linux")]
            assert!(open_here(&parent_counter));
            assert_eq!(jobs.get().expect("read"), 0.0, "the child's own file");
            #[cfg(target_os = "linux")]
            {
                assert!(!open_here(&parent_counter), "closed in the child");
                assert!(!open_here(&parent_gauge), "every kind is closed");
            }
            jobs.inc(1.0).expect("written");
            busy.inc(5.0).expect("written");
            assert_eq!(
                files.file_path(FileKind::Counter),
                Some(child_counter.clone())
            );
            assert_eq!(value_in(&child_counter, jobs.key()), Some(1.0));
            let child_gauge = dir.join(FileKind::Gauge(GaugeMode::LiveSum).file_name(child));
            assert_eq!(value_in(&child_gauge, busy.key()), Some(5.0));
            assert_eq!(value_in(&parent_counter, jobs.key()), Some(3.0));
            assert_eq!(value_in(&parent_gauge, busy.key()), Some(2.0));
            // The parent still holds its lock (closing the child's copy of
            // the descriptor did not release it); the child holds its own.
            assert!(!lockable(&parent_counter));
            assert!(!lockable(&child_counter));

            // A grandchild: its own files again.
            let (grandchild, code) = in_child(|| {
                jobs.inc(7.0).expect("written");
                assert_eq!(jobs.get().expect("read"), 7.0);
            });
            assert_eq!(code, 0, "the grandchild failed");
            let theirs = dir.join(FileKind::Counter.file_name(grandchild as u32));
            assert_eq!(value_in(&theirs, jobs.key()), Some(7.0));
            assert_eq!(value_in(&child_counter, jobs.key()), Some(1.0));
            jobs.inc(1.0).expect("written");
            assert_eq!(value_in(&child_counter, jobs.key()), Some(2.0));
        });
        assert_eq!(code, 0, "the child failed");

        let child_counter = dir.join(FileKind::Counter.file_name(child as u32));
        assert_eq!(value_in(&child_counter, jobs.key()), Some(2.0));
        assert_eq!(value_in(&parent_counter, jobs.key()), Some(3.0));
        // The child exited: its files are unlocked; the parent's are not.
        assert!(lockable(&child_counter));
        assert!(!lockable(&parent_counter));
        // The parent goes on in its own files, through its cached
        // addresses.
        jobs.inc(2.0).expect("written");
        busy.inc(1.0).expect("written");
        assert_eq!(jobs.get().expect("read"), 5.0);
        assert_eq!(value_in(&parent_counter, jobs.key()), Some(5.0));
        assert_eq!(value_in(&parent_gauge, busy.key()), Some(3.0));
        assert_eq!(value_in(&child_counter, jobs.key()), Some(2.0));
        assert_eq!(files.file_path(FileKind::Counter), Some(parent_counter));
        // Three processes, two kinds each but the grandchild's one.
        assert_eq!(names(dir).len(), 5, "{:?}", names(dir));
    }

    fn a_fork_while_another_thread_creates_entries_leaves_the_child_free() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let files = Arc::new(ProcessFiles::new(dir.path()));
        let stop = AtomicBool::new(false);
        let key = |name: &str| SampleKey::new("k", "k_total", &[("name", name)], "Keys.");
        std::thread::scope(|s| {
            // Resolutions all the time, entry creation (and growth) for
            // the first 50,000 (a few MiB): the resolve lock is held most
            // of the time this thread runs.
            let adder = s.spawn(|| {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let name = (i % 50_000).to_string();
                    FileValue::new(Arc::clone(&files), FileKind::Counter, &key(&name))
                        .inc(1.0)
                        .expect("written");
                    i += 1;
                }
                i
            });
            for round in 0..40 {
                let (child, code) = in_child(|| {
                    let value =
                        FileValue::new(Arc::clone(&files), FileKind::Counter, &key("child"));
                    value.inc(1.0).expect("written");
                    assert_eq!(value.get().expect("read"), 1.0);
                });
                assert_eq!(code, 0, "round {round}: the child failed");
                let theirs = dir.path().join(FileKind::Counter.file_name(child as u32));
                let entries = read_entries(&theirs).expect("the child's file");
                assert_eq!(entries.len(), 1, "round {round}: only the child's entry");
            }
            stop.store(true, Ordering::Relaxed);
            assert!(adder.join().expect("the adder") > 0);
        });
    }

    /// Sets the soft limit of the size of files this process writes.
    fn limit_file_size(bytes: u64) {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `getrlimit` and `setrlimit` read and write the local
        // struct only.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit), 0);
            limit.rlim_cur = bytes.min(limit.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
        }
    }

    fn assert_too_large(err: MultiprocessError, expected: impl Fn(&Path) -> bool) -> PathBuf {
        match err {
            MultiprocessError::Io { path, source } => {
                assert!(expected(&path), "{}", path.display());
                assert_eq!(source.raw_os_error(), Some(libc::EFBIG), "{source}");
                path
            }
            other => panic!("{other:?}"),
        }
    }

    fn a_full_disk_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let dir = dir.path();
        // In a child: the limit is the process's.
        let (_, code) = in_child(|| {
            // SAFETY: ignoring SIGXFSZ makes a write past the limit fail
            // with EFBIG instead of killing the process; no handler runs.
            unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
            let files = Arc::new(ProcessFiles::new(dir));
            let key = |i: usize| SampleKey::new("k", "k_total", &[("i", &i.to_string())], "");
            let first = FileValue::new(Arc::clone(&files), FileKind::Counter, &key(0));

            // Not even the first 64 KiB: the file cannot be created, and
            // its temporary name is removed.
            limit_file_size(1000);
            let err = first.inc(1.0).expect_err("refused");
            assert_too_large(err, |p| {
                p.parent() == Some(dir)
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(".counter_"))
            });
            assert_eq!(names(dir), Vec::<String>::new());

            // Room for 64 KiB, not for 128: created, then growth fails.
            limit_file_size(INITIAL_SIZE as u64 * 3 / 2);
            first.inc(1.0).expect("written");
            let path = files.file_path(FileKind::Counter).expect("created");
            let mut added = 1;
            let err = loop {
                match FileValue::new(Arc::clone(&files), FileKind::Counter, &key(added)).inc(1.0) {
                    Ok(()) => added += 1,
                    Err(e) => break e,
                }
            };
            assert_too_large(err, |p| p == path);
            assert!(added > 1000, "{added} entries before the limit");
            // The values there still update; the file is whole.
            first.inc(1.0).expect("written");
            assert_eq!(first.get().expect("read"), 2.0);
            let entries = read_entries(&path).expect("readable");
            assert_eq!(entries.len(), added);
            assert_eq!(entries[0].value, 2.0);
        });
        assert_eq!(code, 0, "the child failed");
    }
}
