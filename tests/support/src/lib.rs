//! Support for the workspace's integration tests: locating built examples
//! and external binaries, and running child processes that are stopped by
//! their process id when the test ends. Not published.

mod alloc;
pub use alloc::{allocations_in, CountingAlloc};
mod proxy;
pub use proxy::{Forwarded, ProxyOptions, ScrapeProxy};

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The directory holding this build's artifacts (`target/<profile>`),
/// found from the running test executable (`target/<profile>/deps/...`).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("test executables live in target/<profile>/deps")
        .to_path_buf()
}

/// The path of a built example. `cargo test` builds the examples before
/// it runs the tests, so they are there.
pub fn example_path(name: &str) -> PathBuf {
    let path = profile_dir().join("examples").join(name);
    assert!(
        path.exists(),
        "example `{name}` not built at {}: run `cargo build --examples` first, or run the tests with `cargo test --workspace`, which builds the examples",
        path.display()
    );
    path
}

/// Finds an external program on `PATH` (or the given absolute path). A
/// missing program fails the test: the README's test command installs
/// every one of them.
pub fn require_program(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => p,
        None => panic!(
            "`{name}` is not installed; the test command (./scripts/test) installs it \
             with apt-get. Real-server tests never skip."
        ),
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("an ephemeral port on 127.0.0.1")
}

/// A port on 127.0.0.1 that refuses connections for as long as the
/// returned socket lives: bound, never listening. Unlike a port from
/// [`free_port`], released at once, no server another test starts
/// meanwhile can take it.
pub fn refused_port() -> (socket2::Socket, u16) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a TCP socket");
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    socket.bind(&any.into()).expect("bound on 127.0.0.1");
    let port = socket
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map(|a| a.port())
        .expect("a bound port");
    (socket, port)
}

/// A child process killed (by its pid) and reaped when dropped.
#[derive(Debug)]
pub struct Process {
    child: Child,
    name: String,
}

impl Process {
    /// Starts `cmd`, its stdout piped, stderr inherited.
    pub fn spawn(name: &str, cmd: &mut Command) -> Process {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Process {
            child,
            name: name.to_owned(),
        }
    }

    /// Starts `cmd` with stdout and stderr sent to a log file.
    pub fn spawn_logged(name: &str, cmd: &mut Command, log: &std::path::Path) -> Process {
        let out = std::fs::File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Process {
            child,
            name: name.to_owned(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads stdout lines until one satisfies `f`; returns its result.
    pub fn wait_for_line<T>(&mut self, mut f: impl FnMut(&str) -> Option<T>) -> T {
        let stdout = self.child.stdout.take().expect("stdout is piped");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).expect("read child stdout");
            assert!(
                n > 0,
                "{} exited before printing the expected line",
                self.name
            );
            if let Some(v) = f(line.trim_end()) {
                // Keep draining stdout so the child never blocks on a full pipe.
                std::thread::spawn(move || {
                    let mut sink = String::new();
                    while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                        sink.clear();
                    }
                });
                return v;
            }
        }
    }

    /// Stops the process by its pid and waits for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `f` every 200 ms until it returns `Some`, or panics with `what`
/// after `timeout`.
pub fn wait_until<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// GET `url`; the status, the Content-Type and the body, or the error text.
/// Statuses of 400 and up are answers too, not errors.
pub fn http_get(url: &str) -> Result<(u16, String, String), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(url).call().map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    Ok((status, ct, body))
}

/// Runs Python's strict OpenMetrics parser (`prometheus_client`, which
/// `scripts/setup` installs) on `body`: what `script` prints after reading
/// the families into `fams`, or the parser's error.
pub fn python_openmetrics(body: &str, script: &str) -> Result<String, String> {
    use std::io::Write;
    let script = format!(
        "import sys\n\
         from prometheus_client.openmetrics.parser import text_string_to_metric_families\n\
         fams = list(text_string_to_metric_families(sys.stdin.read()))\n\
         {script}\n"
    );
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed (scripts/test installs prometheus_client)");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(body.as_bytes())
        .expect("write to python3");
    let out = child.wait_with_output().expect("python3 finishes");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Runs `promtool check metrics` on `text`; its exit success and output.
pub fn promtool_check(text: &str) -> (bool, String) {
    use std::io::Write;
    let promtool = require_program("promtool");
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("promtool finishes");
    let mut report = String::from_utf8_lossy(&out.stdout).into_owned();
    report.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), report)
}

/// The text exposition of the default registry's families that `keep`
/// selects, with `_created` series switched off (they carry the clock), so
/// that a test can compare exact text.
pub fn exposition_of(keep: impl Fn(&str) -> bool) -> String {
    promscribe::disable_created_series();
    let families: Vec<_> = promscribe::default_registry()
        .gather()
        .into_iter()
        .filter(|f| keep(&f.name))
        .collect();
    let mut out = String::new();
    promscribe::encode_text_families(&mut out, &families);
    out
}

/// A real Prometheus server on a free port of 127.0.0.1, scraping every
/// second, with its configuration, data and log in `dir`; stopped by pid
/// when the returned [`Process`] is dropped. `scrape_configs` is the YAML
/// of the `scrape_configs:` list (its items, indented by two spaces);
/// `flags` are further command-line flags (e.g.
/// `--enable-feature=exemplar-storage`).
pub fn start_prometheus(dir: &Path, scrape_configs: &str, flags: &[&str]) -> (Process, u16) {
    let prometheus = require_program("prometheus");
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n{scrape_configs}"
        ),
    )
    .expect("write prometheus.yml");
    let port = free_port();
    let mut args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", dir.join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    args.extend(flags.iter().map(|f| (*f).to_owned()));
    let server = Process::spawn_logged(
        "prometheus",
        Command::new(prometheus).args(&args),
        &dir.join("prometheus.log"),
    );
    (server, port)
}

/// `text` encoded for a URL query (`application/x-www-form-urlencoded`).
///
/// ```
/// assert_eq!(promscribe_test_support::url_encode("rate(x[1m])"), "rate%28x%5B1m%5D%29");
/// ```
pub fn url_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The result of an instant query against the Prometheus on `port`;
/// empty while it cannot answer (for polling with [`wait_until`]).
pub fn prometheus_query(port: u16, query: &str) -> Vec<serde_json::Value> {
    let q = url_encode(query);
    let Ok((200, _, body)) = http_get(&format!("http://127.0.0.1:{port}/api/v1/query?query={q}"))
    else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&body).expect("Prometheus answers JSON");
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes, with `openssl`, a test PKI in `dir`: a CA (`ca.crt`, `ca.key`),
/// a server certificate for 127.0.0.1 (`server.crt`, `server.key`) and a
/// client certificate (`client.crt`, `client.key`), all signed by the CA,
/// valid for two days.
pub fn make_pki(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=promscribe test CA",
    ]);
    openssl(dir, &ca);
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .expect("ext");
    std::fs::write(
        dir.join("client.ext"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .expect("ext");
    for who in ["server", "client"] {
        let (key, csr, crt, ext) = (
            format!("{who}.key"),
            format!("{who}.csr"),
            format!("{who}.crt"),
            format!("{who}.ext"),
        );
        let subject = format!("/CN={who}");
        let mut req = vec!["req"];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr, "-subj", &subject]);
        openssl(dir, &req);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &ext,
            ],
        );
    }
}
