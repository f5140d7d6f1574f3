//! The Graphite bridge against a real carbon-cache (`graphite-carbon`),
//! started on 127.0.0.1 with its configuration and whisper files in a
//! temporary directory; stored values are read back with `whisper-fetch`.

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use promscribe::{Counter, Gauge, Opts, Registry};
use promscribe_export::GraphiteBridge;
use promscribe_test_support::{
    example_path, free_port, refused_port, require_program, wait_until, Process,
};

struct Carbon {
    process: Option<Process>,
    dir: tempfile::TempDir,
    port: u16,
}

impl Carbon {
    fn start() -> Carbon {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let storage = root.join("storage");
        std::fs::create_dir_all(storage.join("whisper")).expect("whisper dir");
        std::fs::create_dir_all(root.join("log")).expect("log dir");
        let port = free_port();
        let conf = format!(
            "[cache]\n\
             STORAGE_DIR = {storage}\n\
             LOCAL_DATA_DIR = {storage}/whisper\n\
             WHITELISTS_DIR = {storage}/lists\n\
             LOG_DIR = {root}/log\n\
             PID_DIR = {storage}\n\
             ENABLE_LOGROTATION = False\n\
             USER =\n\
             MAX_CACHE_SIZE = inf\n\
             MAX_UPDATES_PER_SECOND = 10000\n\
             MAX_CREATES_PER_MINUTE = inf\n\
             CACHE_WRITE_STRATEGY = sorted\n\
             LINE_RECEIVER_INTERFACE = 127.0.0.1\n\
             LINE_RECEIVER_PORT = {port}\n\
             ENABLE_UDP_LISTENER = False\n\
             PICKLE_RECEIVER_INTERFACE = 127.0.0.1\n\
             PICKLE_RECEIVER_PORT = {pickle}\n\
             CACHE_QUERY_INTERFACE = 127.0.0.1\n\
             CACHE_QUERY_PORT = {query}\n\
             LOG_UPDATES = False\n\
             LOG_CREATES = False\n\
             ENABLE_TAGS = False\n",
            storage = storage.display(),
            root = root.display(),
            pickle = free_port(),
            query = free_port(),
        );
        std::fs::write(root.join("carbon.conf"), conf).expect("carbon.conf");
        std::fs::write(
            root.join("storage-schemas.conf"),
            "[everything]\npattern = .*\nretentions = 1s:1h\n",
        )
        .expect("storage-schemas.conf");
        let mut carbon = Carbon {
            process: None,
            dir,
            port,
        };
        carbon.run();
        carbon
    }

    /// Starts carbon-cache in the foreground and waits for its line port.
    fn run(&mut self) {
        let bin = require_program("carbon-cache");
        // A pid file left by a killed carbon would stop it from starting.
        let _ = std::fs::remove_file(self.dir.path().join("storage/carbon-cache-a.pid"));
        let conf = self.dir.path().join("carbon.conf");
        let mut cmd = Command::new(bin);
        cmd.arg(format!("--config={}", conf.display()))
            .args(["--nodaemon", "start"]);
        let n = std::fs::read_dir(self.dir.path()).map_or(0, |d| d.count());
        let log = self.dir.path().join(format!("carbon-{n}.out"));
        self.process = Some(Process::spawn_logged("carbon-cache", &mut cmd, &log));
        let port = self.port;
        wait_until(Duration::from_secs(60), "carbon-cache to listen", || {
            TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ())
        });
    }

    fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.stop();
        }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn whisper(&self) -> PathBuf {
        self.dir.path().join("storage/whisper")
    }

    /// The whisper file of a plain (dotted) path.
    fn file_of(&self, path: &str) -> PathBuf {
        let mut f = self.whisper();
        for part in path.split('.') {
            f.push(part);
        }
        f.set_extension("wsp");
        f
    }

    /// The whisper file of a tagged series: carbon names it by the SHA-256
    /// of the series name.
    fn tagged_file_of(&self, series: &str) -> PathBuf {
        let out = Command::new("sh")
            .args(["-c", "printf %s \"$0\" | sha256sum", series])
            .output()
            .expect("sha256sum");
        let hash = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .expect("a hash")
            .to_owned();
        self.whisper()
            .join("_tagged")
            .join(&hash[0..3])
            .join(&hash[3..6])
            .join(format!("{hash}.wsp"))
    }
}

impl Drop for Carbon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The newest stored value of a whisper file, if it exists and has one.
fn last_value(file: &Path) -> Option<f64> {
    if !file.exists() {
        return None;
    }
    let fetch = require_program("whisper-fetch");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let out = Command::new(fetch)
        .arg(format!("--from={}", now - 600))
        .arg(format!("--until={}", now + 5))
        .arg(file)
        .output()
        .expect("whisper-fetch");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find_map(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
}

/// Waits until the whisper file's newest value satisfies `ok`.
fn wait_for_value(file: &Path, what: &str, ok: impl Fn(f64) -> bool) -> f64 {
    wait_until(Duration::from_secs(30), what, || {
        last_value(file).filter(|v| ok(*v))
    })
}

fn leak(r: Registry) -> &'static Registry {
    Box::leak(Box::new(r))
}

#[test]
fn every_sample_is_stored_with_its_value() {
    let carbon = Carbon::start();
    let r = Registry::new();
    let g = Gauge::new("graphite_temperature", "T").expect("gauge");
    g.set(-12.625);
    r.register(g).expect("registered");
    let c = Counter::new("graphite_jobs", "Jobs").expect("counter");
    c.inc_by(41.0).expect("inc");
    c.inc();
    r.register(c).expect("registered");
    let fam = promscribe::Family::<Gauge, 2>::new(
        Opts::new("graphite_queue", "Queue").labels(["queue", "path"]),
    )
    .expect("family");
    fam.labels(["mail", "/var/spool"]).set(7.0);
    fam.labels(["web.front", "a b"]).set(1e6);
    r.register(fam).expect("registered");
    let sum = promscribe::Summary::new("graphite_latency_seconds", "L").expect("summary");
    sum.observe(0.25);
    sum.observe(0.5);
    r.register(sum).expect("registered");

    GraphiteBridge::new(carbon.addr())
        .with_registry(leak(r))
        .push_with_prefix("test.app")
        .expect("push");

    let expected: BTreeMap<&str, f64> = [
        ("test.app.graphite_temperature", -12.625),
        ("test.app.graphite_jobs_total", 42.0),
        ("test.app.graphite_queue.path._var_spool.queue.mail", 7.0),
        ("test.app.graphite_queue.path.a_b.queue.web_front", 1e6),
        ("test.app.graphite_latency_seconds_count", 2.0),
        ("test.app.graphite_latency_seconds_sum", 0.75),
    ]
    .into_iter()
    .collect();
    for (path, want) in &expected {
        let got = wait_for_value(&carbon.file_of(path), path, |_| true);
        assert_eq!(got, *want, "{path}");
    }
    // `_created` samples are sent too, as in Python's bridge.
    let created = wait_for_value(
        &carbon.file_of("test.app.graphite_jobs_created"),
        "jobs_created",
        |_| true,
    );
    assert!(created > 1.6e9, "{created}");
}

#[test]
fn tags_are_stored_as_tagged_series() {
    let carbon = Carbon::start();
    let r = Registry::new();
    let fam = promscribe::Family::<Gauge, 2>::new(
        Opts::new("graphite_tagged", "Tagged").labels(["zone", "host"]),
    )
    .expect("family");
    fam.labels(["eu/west", "db1"]).set(3.5);
    r.register(fam).expect("registered");
    GraphiteBridge::new(("127.0.0.1", carbon.port))
        .with_registry(leak(r))
        .tags(true)
        .push()
        .expect("push");
    let file = carbon.tagged_file_of("graphite_tagged;host=db1;zone=eu_west");
    let got = wait_for_value(&file, "the tagged series", |_| true);
    assert_eq!(got, 3.5);
}

#[test]
fn push_to_a_stopped_carbon_is_an_error() {
    // Held, not listening: a free port, released, could be taken by the
    // Carbon another test of this file starts meanwhile.
    let (_held, port) = refused_port();
    let t0 = Instant::now();
    let err = GraphiteBridge::new(("127.0.0.1", port))
        .with_registry(leak(Registry::new()))
        .push()
        .expect_err("nothing listens");
    eprintln!("carbon not running: error after {:?}: {err}", t0.elapsed());
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

promscribe::counter!(
    RESTART_CALLS,
    "graphite_restart_calls",
    "Instrumented calls"
);
promscribe::gauge!(RESTART_PHASE, "graphite_restart_phase", "Test phase");
promscribe::summary!(
    RESTART_WORK,
    "graphite_restart_work_seconds",
    "Time in the timed function"
);

#[promscribe::timed(RESTART_WORK)]
fn timed_work(n: u64) -> u64 {
    (0..n).fold(0u64, |a, b| a.wrapping_add(b * b))
}

#[test]
fn pushes_resume_after_carbon_restarts_and_instrumented_code_never_stalls() {
    // Show the bridge's warnings (with --nocapture).
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let mut carbon = Carbon::start();
    RESTART_PHASE.set(1.0);
    let handle = GraphiteBridge::new(carbon.addr())
        .timeout(Duration::from_secs(1))
        .backoff(Duration::from_millis(100), Duration::from_millis(800))
        .start_with_prefix(Duration::from_millis(200), "restart")
        .expect("started");

    // The instrumented program: a counter and a #[timed] function in a
    // loop, with the latency of each iteration measured.
    let running = Arc::new(AtomicBool::new(true));
    let worker = {
        let running = Arc::clone(&running);
        std::thread::spawn(move || {
            let mut worst = Duration::ZERO;
            let mut calls = 0u64;
            let deadline = Instant::now() + Duration::from_secs(120);
            while running.load(Ordering::Relaxed) && Instant::now() < deadline {
                let t0 = Instant::now();
                RESTART_CALLS.inc();
                std::hint::black_box(timed_work(std::hint::black_box(100)));
                worst = worst.max(t0.elapsed());
                calls += 1;
                if calls.is_multiple_of(100) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            (worst, calls)
        })
    };

    let phase = carbon.file_of("restart.graphite_restart_phase");
    wait_for_value(&phase, "phase 1 stored", |v| v == 1.0);
    let calls_file = carbon.file_of("restart.graphite_restart_calls_total");
    wait_for_value(&calls_file, "calls stored", |v| v > 0.0);

    // Carbon goes away: pushes fail (logged, backing off) for a while.
    carbon.stop();
    RESTART_PHASE.set(2.0);
    std::thread::sleep(Duration::from_secs(2));

    // Carbon comes back: the pusher reconnects, new samples arrive.
    let t_restart = Instant::now();
    carbon.run();
    wait_for_value(&phase, "phase 2 stored by the restarted carbon", |v| {
        v == 2.0
    });
    eprintln!(
        "pushes resumed {:?} after carbon restarted",
        t_restart.elapsed()
    );
    let calls_after = wait_for_value(&calls_file, "calls stored after restart", |v| v > 0.0);

    running.store(false, Ordering::Relaxed);
    let (worst, calls) = worker.join().expect("worker");
    let t_stop = Instant::now();
    handle.stop();
    eprintln!(
        "instrumented calls during the carbon restart: {calls}, worst latency {worst:?}; \
         stop() took {:?}",
        t_stop.elapsed()
    );
    assert!(calls_after > 0.0);
    assert!(calls > 1000, "the loop hardly ran: {calls} calls");
    assert!(
        worst < Duration::from_secs(1),
        "an instrumented call stalled: {worst:?}"
    );
}

#[test]
fn graphite_example_pushes_once() {
    let carbon = Carbon::start();
    let out = Command::new(example_path("graphite"))
        .arg("--once")
        .env("GRAPHITE_ADDR", carbon.addr())
        .output()
        .expect("run the graphite example");
    assert!(out.status.success(), "{out:?}");
    let count = wait_for_value(
        &carbon.file_of("request_processing_seconds_count"),
        "request_processing_seconds_count",
        |_| true,
    );
    assert_eq!(count, 3.0);

    // No carbon there: a clear error, exit 1.
    let (_held, port) = refused_port();
    let out = Command::new(example_path("graphite"))
        .arg("--once")
        .env("GRAPHITE_ADDR", format!("127.0.0.1:{port}"))
        .output()
        .expect("run the graphite example");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot push"));
    // Bad arguments: exit 2.
    let out = Command::new(example_path("graphite"))
        .args(["--once", "--graphite", "no-port"])
        .output()
        .expect("run the graphite example");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
