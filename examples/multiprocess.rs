//! A pre-fork server in multiprocess mode: one parent, N worker processes
//! serving one listening socket, every worker answering `/metrics` for the
//! whole application. It is the pattern Python's `prometheus_client`
//! documents for Gunicorn: each process records into its own files in one
//! directory, and a `MultiProcessCollector` over the directory merges
//! them at each scrape.
//!
//! The parent binds the listener, turns multiprocess mode on
//! (`multiprocess::init`), then forks the workers before it starts any
//! thread or runtime (a forked child gets only the thread that forked:
//! forking a process that runs threads would leave their locks held in
//! the child). It never records a metric and never runs a runtime: it
//! waits for signals (`sigwait`, with SIGCHLD, SIGTERM and SIGINT
//! blocked), calls `mark_process_dead` for each worker that exits and
//! forks a new one, and on SIGTERM or SIGINT stops the workers (SIGTERM)
//! and exits. A worker gets SIGTERM when the parent dies, however it dies
//! (Linux's parent death signal: this example runs on Linux).
//!
//! Each worker starts its own tokio runtime and serves:
//!
//! - `/work`: counts the request in `app_requests_total` (a declared
//!   counter), times it into `app_work_seconds` (a histogram, through
//!   `#[timed]`), holds `app_work_in_progress` up while it runs (a
//!   `livesum` gauge, through `#[track_inprogress]`: the sum over the live
//!   workers), counts `app_items_total{kind}` (`?kind=small|large`, any
//!   other value counted as `other`), and adds one to
//!   `app_worker_requests` (an `all` gauge: one series per worker, with a
//!   `pid` label);
//! - `/pid`: the worker's process id (which worker answered);
//! - `/metrics`: a registry holding only a `MultiProcessCollector` over
//!   the directory, compacting the files of exited workers at most every
//!   `--compact-every` seconds.
//!
//! Limits, as in Python's multiprocess mode: the process collector and
//! the other per-process collectors are not served (the registry holds
//! only the directory's collector); a gauge needs a mode saying how the
//! workers' values merge; summaries have no quantiles; `mostrecent`
//! gauges cannot be incremented; a directory named with `--dir` should be
//! emptied between runs of the application (the counts of an earlier run
//! would otherwise still count). Unlike Python, exited workers' files are
//! compacted into aggregate files, so the directory does not grow with
//! every restart, and a worker restarted with a reused pid writes a file
//! of its own.
//!
//! ```text
//! cargo run --example multiprocess --features promscribe-examples/multiprocess
//! cargo run --example multiprocess --features promscribe-examples/multiprocess -- \
//!     --listen 127.0.0.1:8000 --workers 4 --dir /run/myapp/metrics
//! curl 'http://127.0.0.1:8000/work?kind=small'
//! curl http://127.0.0.1:8000/metrics
//! ```

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::RawQuery;
use axum::routing::get;
use nix::sys::signal::{kill, pthread_sigmask, SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{ForkResult, Pid};
use promscribe::multiprocess::{self, MultiProcessCollector};
use promscribe::{counter, gauge, histogram, timed, track_inprogress, Registry};

const USAGE: &str = "usage: multiprocess [--listen ADDR] [--workers N] [--dir PATH] \
                     [--compact-every SECS]\n  \
                     --listen ADDR         address to serve (default 0.0.0.0:8000)\n  \
                     --workers N           worker processes (default 2)\n  \
                     --dir PATH            the directory of the files (default: a new \
                     temporary directory, removed at exit)\n  \
                     --compact-every SECS  compact exited workers' files at most this \
                     often (default 60)";

counter!(REQUESTS, "app_requests_total", "Requests to /work.");
histogram!(
    WORK_SECONDS,
    "app_work_seconds",
    "Time /work took.",
    buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1]
);
gauge!(
    IN_PROGRESS,
    "app_work_in_progress",
    "Requests to /work in progress, over the live workers.",
    multiprocess_mode = "livesum"
);
counter!(
    ITEMS,
    "app_items_total",
    "Work items done, by kind.",
    labels = ["kind"]
);
gauge!(
    WORKER_REQUESTS,
    "app_worker_requests",
    "Requests to /work this worker answered (one series per worker process).",
    multiprocess_mode = "all"
);

/// The instrumented handler: a short wait, as if some work were done.
#[timed(WORK_SECONDS)]
#[track_inprogress(IN_PROGRESS)]
async fn work(RawQuery(query): RawQuery) -> &'static str {
    REQUESTS.inc();
    WORKER_REQUESTS.inc();
    let kind = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| match pair {
            "kind=small" => Some("small"),
            "kind=large" => Some("large"),
            _ => None,
        })
        .unwrap_or("other");
    ITEMS.labels([kind]).inc();
    tokio::time::sleep(Duration::from_millis(fastrand::u64(1..5))).await;
    "done\n"
}

struct Args {
    listen: String,
    workers: usize,
    dir: Option<PathBuf>,
    compact_every: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        listen: "0.0.0.0:8000".to_owned(),
        workers: 2,
        dir: None,
        compact_every: Duration::from_secs(60),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--listen" => a.listen = value,
            "--workers" => {
                a.workers = value
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("--workers: not a positive number: {value}"))?
            }
            "--dir" => a.dir = Some(PathBuf::from(value)),
            "--compact-every" => {
                let secs: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .ok_or(format!("--compact-every: not a number of seconds: {value}"))?;
                a.compact_every = Duration::from_secs_f64(secs);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(a)
}

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("multiprocess: {message}");
    std::process::exit(1);
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("multiprocess: {e}\n{USAGE}");
        std::process::exit(2);
    });
    let listener = TcpListener::bind(&args.listen)
        .unwrap_or_else(|e| fail(format!("cannot listen on {}: {e}", args.listen)));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| fail(format!("the listener's address: {e}")));
    let (dir, temporary) = match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| fail(format!("cannot create {}: {e}", dir.display())));
            (dir.clone(), false)
        }
        None => {
            let dir = tempfile::Builder::new()
                .prefix("promscribe-multiprocess-")
                .tempdir()
                .unwrap_or_else(|e| fail(format!("cannot create a temporary directory: {e}")));
            (dir.keep(), true)
        }
    };
    if let Err(e) = multiprocess::init(&dir) {
        fail(format!("multiprocess mode: {e}"));
    }

    // Blocked in the parent, waited for with `sigwait`; unblocked in each
    // worker, where SIGTERM and SIGINT end the process as usual.
    let mut signals = SigSet::empty();
    for s in [Signal::SIGCHLD, Signal::SIGTERM, Signal::SIGINT] {
        signals.add(s);
    }
    if let Err(e) = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&signals), None) {
        fail(format!("cannot block signals: {e}"));
    }

    let parent = Pid::this();
    // The one `unsafe` of this program: `fork`.
    #[allow(unsafe_code)]
    let spawn = |slot: usize| -> Pid {
        // SAFETY: this process runs one thread, this one (no runtime, no
        // thread was ever started: the parent only waits for signals and
        // forks), so the child's copy of the memory holds no lock another
        // thread held; the child unblocks its signals and builds its own
        // runtime before anything else.
        match unsafe { nix::unistd::fork() } {
            Ok(ForkResult::Child) => {
                let code = worker(parent, &signals, listener.try_clone(), &dir, &args);
                std::process::exit(code)
            }
            Ok(ForkResult::Parent { child }) => {
                eprintln!("multiprocess: worker {slot} started, pid {child}");
                child
            }
            Err(e) => fail(format!("cannot fork a worker: {e}")),
        }
    };

    let mut workers: Vec<(Pid, Instant)> = (0..args.workers)
        .map(|slot| (spawn(slot), Instant::now()))
        .collect();
    println!(
        "listening on {addr} ({} workers, files in {})",
        args.workers,
        dir.display()
    );

    loop {
        match signals.wait() {
            Ok(Signal::SIGCHLD) => {
                while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                    let pid = match status {
                        WaitStatus::Exited(pid, _) | WaitStatus::Signaled(pid, _, _) => pid,
                        _ => break,
                    };
                    let Some(slot) = workers.iter().position(|(p, _)| *p == pid) else {
                        continue;
                    };
                    eprintln!("multiprocess: worker {slot} (pid {pid}) exited: {status:?}");
                    if let Err(e) = multiprocess::mark_process_dead(&dir, pid_u32(pid)) {
                        eprintln!("multiprocess: {e}");
                    }
                    // A worker that fails at once is not restarted in a
                    // tight loop.
                    if workers[slot].1.elapsed() < Duration::from_secs(1) {
                        std::thread::sleep(Duration::from_secs(1));
                    }
                    workers[slot] = (spawn(slot), Instant::now());
                }
            }
            Ok(_) => break,
            Err(e) => fail(format!("sigwait: {e}")),
        }
    }

    eprintln!("multiprocess: stopping the workers");
    for (pid, _) in &workers {
        let _ = kill(*pid, Signal::SIGTERM);
    }
    for (pid, _) in &workers {
        let _ = waitpid(*pid, None);
        if let Err(e) = multiprocess::mark_process_dead(&dir, pid_u32(*pid)) {
            eprintln!("multiprocess: {e}");
        }
    }
    if temporary {
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            eprintln!("multiprocess: cannot remove {}: {e}", dir.display());
        }
    }
}

fn pid_u32(pid: Pid) -> u32 {
    u32::try_from(pid.as_raw()).unwrap_or(0)
}

/// A worker: serves the shared listener until it is stopped. Returns the
/// exit code.
fn worker(
    parent: Pid,
    signals: &SigSet,
    listener: std::io::Result<TcpListener>,
    dir: &Path,
    args: &Args,
) -> i32 {
    // Stopped with its parent, even when the parent is killed; a parent
    // gone before this line was reached is seen by the new parent id.
    if let Err(e) = nix::sys::prctl::set_pdeathsig(Signal::SIGTERM) {
        eprintln!("multiprocess worker: {e}");
    }
    if nix::unistd::getppid() != parent {
        return 0;
    }
    if let Err(e) = pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(signals), None) {
        eprintln!("multiprocess worker: cannot unblock signals: {e}");
        return 1;
    }
    let listener = match listener.and_then(|l| l.set_nonblocking(true).map(|()| l)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("multiprocess worker: the listener: {e}");
            return 1;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("multiprocess worker: cannot start a runtime: {e}");
            return 1;
        }
    };
    let registry = Registry::new();
    let collector =
        MultiProcessCollector::new(dir.to_path_buf()).with_compaction(args.compact_every);
    if let Err(e) = registry.register(Arc::new(collector)) {
        eprintln!("multiprocess worker: {e}");
        return 1;
    }
    let app = axum::Router::new()
        .route("/work", get(work))
        .route(
            "/pid",
            get(|| async { format!("{}\n", std::process::id()) }),
        )
        .merge(promscribe_export::router_for(Arc::new(registry)));
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("multiprocess worker: the listener: {e}");
                return 1;
            }
        };
        match axum::serve(listener, app).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("multiprocess worker: {e}");
                1
            }
        }
    })
}
