//! The background metrics server against clients that misbehave: a
//! half-sent request does not keep `stop()` (or the handle's drop) from
//! returning, silent or trickling connections are closed by the idle and
//! header-read timeouts, a flood of silent connections against a small
//! open-file limit does not lock a fresh scrape out, and a collector that
//! panics gives a 500, not a dropped connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::{Duration, Instant};

use promscribe::{Collector, Descriptor, Gauge, MetricFamily, MetricType, Registry};
use promscribe_export::{start_http_server, start_http_server_with, ServerHandle, ServerOptions};
use promscribe_test_support::{http_get, wait_until, Process};

/// Generous bound for what must happen "soon" (the server's own bounds are
/// a second or two); only ever reached when the behaviour is broken.
const BOUND: Duration = Duration::from_secs(10);

/// Sends one complete keep-alive request on `stream` and reads its whole
/// answer, so that the connection is known to be in the server's hands.
fn one_request(stream: &mut TcpStream) {
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n")
        .expect("send request");
    stream.set_read_timeout(Some(BOUND)).expect("read timeout");
    let mut got = Vec::new();
    let mut buf = [0_u8; 16 * 1024];
    // Bounded: at most 4 MiB or BOUND per read.
    while got.len() < 4 << 20 {
        let n = stream.read(&mut buf).expect("read answer");
        assert!(n > 0, "closed before the answer was complete");
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        let Some(head_end) = text.find("\r\n\r\n") else {
            continue;
        };
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        let length: usize = text[..head_end]
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .expect("a Content-Length");
        if got.len() >= head_end + 4 + length {
            return;
        }
    }
    panic!("answer too long");
}

/// Runs `f` on a thread; whether it returned within `bound`.
fn returns_within(bound: Duration, f: impl FnOnce() + Send + 'static) -> bool {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    rx.recv_timeout(bound).is_ok()
}

/// A fresh connection holding half a request. A scrape on a second
/// connection is answered after the server has taken the first one in
/// (one accept loop, connections served in the order they came).
fn half_sent_request(server: &ServerHandle) -> TcpStream {
    let mut client = TcpStream::connect(server.local_addr()).expect("connect");
    client
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: te")
        .expect("send half a request");
    let mut second = TcpStream::connect(server.local_addr()).expect("connect");
    one_request(&mut second);
    client
}

#[test]
fn stop_returns_while_a_client_holds_a_half_sent_request() {
    let server = start_http_server("127.0.0.1:0").expect("binds");
    let client = half_sent_request(&server);
    let t0 = Instant::now();
    assert!(
        returns_within(BOUND, move || {
            let _ = server.stop();
        }),
        "stop() still blocked after {BOUND:?} by a client holding half a request"
    );
    eprintln!("stop() returned after {:?}", t0.elapsed());
    drop(client);
}

#[test]
fn drop_returns_while_a_client_holds_a_half_sent_request() {
    let server = start_http_server("127.0.0.1:0").expect("binds");
    let client = half_sent_request(&server);
    assert!(
        returns_within(BOUND, move || drop(server)),
        "dropping the handle still blocked after {BOUND:?}"
    );
    drop(client);
}

/// Whether the server closes `stream` (end of file or reset) before
/// `bound`; `feed` is called every 100 ms meanwhile (at most `bound` / 100
/// ms times) and may write to it.
fn closed_by_server(
    stream: &TcpStream,
    bound: Duration,
    mut feed: impl FnMut(&mut TcpStream) -> bool,
) -> bool {
    let mut reader = stream.try_clone().expect("clone");
    let (tx, rx) = mpsc::channel();
    reader.set_read_timeout(Some(bound)).expect("read timeout");
    std::thread::spawn(move || {
        // The server may answer (a 408) before it closes: read to the end,
        // at most 64 reads.
        let mut buf = [0_u8; 1024];
        let mut closed = false;
        for _ in 0..64 {
            match reader.read(&mut buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(_) => continue,
                Err(e) => {
                    closed = e.kind() == std::io::ErrorKind::ConnectionReset;
                    break;
                }
            }
        }
        let _ = tx.send(closed);
    });
    let mut writer = stream.try_clone().expect("clone");
    let steps = bound.as_millis() / 100;
    for _ in 0..steps {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(closed) => return closed,
            Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if !feed(&mut writer) {
            // The write failed: the server closed the connection.
            return true;
        }
    }
    rx.recv_timeout(Duration::from_millis(100)).unwrap_or(false)
}

#[test]
fn idle_timeout_closes_a_silent_connection() {
    let options = ServerOptions::new()
        .header_read_timeout(Duration::from_secs(600))
        .idle_timeout(Duration::from_millis(300));
    let server = start_http_server_with("127.0.0.1:0", options).expect("binds");
    let client = TcpStream::connect(server.local_addr()).expect("connect");
    assert!(
        closed_by_server(&client, BOUND, |_| true),
        "a connection that sends nothing was not closed"
    );
}

#[test]
fn header_read_timeout_closes_a_trickling_client() {
    // One byte every 100 ms keeps the connection from being idle, but the
    // headers never end.
    let options = ServerOptions::new()
        .header_read_timeout(Duration::from_millis(500))
        .idle_timeout(Duration::from_secs(600));
    let server = start_http_server_with("127.0.0.1:0", options).expect("binds");
    let mut client = TcpStream::connect(server.local_addr()).expect("connect");
    client
        .write_all(b"GET /metrics HTTP/1.1\r\nX-Slow: ")
        .expect("send");
    assert!(
        closed_by_server(&client, BOUND, |w| w.write_all(b"a").is_ok()),
        "a client trickling its headers was not closed"
    );
}

#[test]
fn at_the_cap_the_oldest_idle_connection_makes_room() {
    let options = ServerOptions::new().max_connections(4);
    let server = start_http_server_with("127.0.0.1:0", options).expect("binds");
    let silent: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(server.local_addr()).expect("connect"))
        .collect();
    // Known to be accepted: the server answers on a connection of its own
    // only after admitting those before it (one accept loop, in order).
    let url = format!("http://{}/metrics", server.local_addr());
    let (status, _, body) = http_get(&url).expect("a fresh scrape is answered");
    assert_eq!(status, 200, "{body}");
    // The oldest silent one was closed to make room.
    assert!(
        closed_by_server(&silent[0], BOUND, |_| true),
        "the oldest idle connection was not closed"
    );
    for _ in 0..3 {
        let (status, _, _) = http_get(&url).expect("answered again");
        assert_eq!(status, 200);
    }
}

/// Run in a child process by the test below: the default server, with
/// the open-file limit the parent set.
#[test]
#[ignore = "a child process of fresh_scrape_answered_despite_1100_silent_connections_under_ulimit_1024"]
fn child_metrics_server() {
    if std::env::var_os("SERVER_SAFETY_CHILD").is_none() {
        return;
    }
    let limits = std::fs::read_to_string("/proc/self/limits").expect("/proc/self/limits");
    let open_files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .unwrap_or("unknown");
    println!("open-file limit {open_files}");
    let server = start_http_server("127.0.0.1:0").expect("binds");
    println!("listening on {}", server.local_addr());
    // The parent stops this process by its pid; this bounds it otherwise.
    std::thread::sleep(Duration::from_secs(300));
}

#[test]
fn fresh_scrape_answered_despite_1100_silent_connections_under_ulimit_1024() {
    let exe = std::env::current_exe().expect("test executable");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"ulimit -n 1024 && exec "$0" "$@""#)
        .arg(exe)
        .args([
            "child_metrics_server",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env("SERVER_SAFETY_CHILD", "1");
    let mut child = Process::spawn("metrics server child", &mut cmd);
    let mut limit = None;
    let addr: SocketAddr = child.wait_for_line(|l| {
        if let Some(n) = l.strip_prefix("open-file limit ") {
            limit = Some(n.to_owned());
        }
        l.strip_prefix("listening on ").and_then(|a| a.parse().ok())
    });
    assert_eq!(
        limit.as_deref(),
        Some("1024"),
        "the child's open-file limit"
    );

    // 1,100 connections that never send a byte, more than the server's
    // process can hold file descriptors for. Bounded: one second per
    // connect, a minute in all.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut silent = Vec::with_capacity(1100);
    for _ in 0..1100 {
        if Instant::now() > deadline {
            break;
        }
        if let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            silent.push(s);
        }
    }
    eprintln!("{} silent connections open", silent.len());
    assert!(
        silent.len() > 1024,
        "only {} connections opened: the scenario needs more than the child's 1024 file descriptors",
        silent.len()
    );

    let url = format!("http://{addr}/metrics");
    let t0 = Instant::now();
    let body = wait_until(
        Duration::from_secs(30),
        "a fresh scrape to be answered",
        || match http_get(&url) {
            Ok((200, _, body)) => Some(body),
            _ => None,
        },
    );
    eprintln!("fresh scrape answered after {:?}", t0.elapsed());
    assert!(body.contains("process_open_fds"), "{body}");
    assert!(child.is_running(), "the server process died");
    drop(silent);
}

/// Panics in `collect` while `PANIC` is set; describes itself so that
/// registering it does not collect.
struct Exploding;

static PANIC: AtomicBool = AtomicBool::new(true);

impl Collector for Exploding {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        if PANIC.load(Ordering::Relaxed) {
            panic!("collector exploded on purpose");
        }
        let mut f = MetricFamily::new("exploding_ok", "Fine now", MetricType::Gauge);
        f.push("", vec![], 1.0).expect("fits the family");
        out.push(f);
    }

    fn describe(&self) -> Vec<Descriptor> {
        vec![Descriptor {
            name: "exploding_ok".into(),
            kind: MetricType::Gauge,
        }]
    }
}

/// A registry of its own: a plain gauge (sorted before the others), a
/// collector that panics while `PANIC` is set, a gauge whose function
/// panics while `gauge_panics` is set.
fn panicking_registry(gauge_panics: &'static AtomicBool) -> &'static Registry {
    let registry: &'static Registry = Box::leak(Box::new(Registry::new()));
    let fine = Gauge::new("aaa_fine", "Fine").expect("gauge");
    fine.set(7.0);
    registry.register(fine).expect("registered");
    registry.register(Arc::new(Exploding)).expect("registered");
    let by_function = Gauge::new("zzz_function", "Set by a function").expect("gauge");
    by_function.set_function(move || {
        if gauge_panics.load(Ordering::Relaxed) {
            panic!("gauge function exploded on purpose");
        }
        3.0
    });
    registry.register(by_function).expect("registered");
    registry
}

/// The collector panics, then the gauge function, then neither.
fn check_panics_give_500(url: &str, gauge_panics: &AtomicBool) {
    PANIC.store(true, Ordering::Relaxed);
    let (status, _, body) = http_get(url).expect("an answer, not a dropped connection");
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("collector exploded on purpose"), "{body}");
    assert!(!body.contains("aaa_fine"), "no half-written output: {body}");
    assert!(body.len() < 400, "a short message: {body}");

    PANIC.store(false, Ordering::Relaxed);
    gauge_panics.store(true, Ordering::Relaxed);
    let (status, _, body) = http_get(url).expect("an answer, not a dropped connection");
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains("gauge function exploded on purpose"),
        "{body}"
    );
    assert!(!body.contains("aaa_fine"), "no half-written output: {body}");

    gauge_panics.store(false, Ordering::Relaxed);
    let (status, _, body) = http_get(url).expect("answered");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("aaa_fine 7.0"), "{body}");
    assert!(body.contains("exploding_ok 1.0"), "{body}");
    assert!(body.contains("zzz_function 3.0"), "{body}");
}

/// Both panic tests share `PANIC`; they take turns.
fn panic_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<std::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn a_panicking_collector_gives_500_from_router_for() {
    let _turn = panic_lock();
    static GAUGE_PANICS: AtomicBool = AtomicBool::new(false);
    let registry = panicking_registry(&GAUGE_PANICS);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let app: axum::Router = promscribe_export::router_for(registry);
            axum::serve(listener, app).await.expect("serve");
        });
    });
    check_panics_give_500(&format!("http://{addr}/metrics"), &GAUGE_PANICS);
}

#[test]
fn a_panicking_collector_gives_500_from_start_http_server() {
    let _turn = panic_lock();
    static GAUGE_PANICS: AtomicBool = AtomicBool::new(false);
    let registry = panicking_registry(&GAUGE_PANICS);
    let server = start_http_server_with("127.0.0.1:0", ServerOptions::new().registry(registry))
        .expect("binds");
    check_panics_give_500(
        &format!("http://{}/metrics", server.local_addr()),
        &GAUGE_PANICS,
    );
}
