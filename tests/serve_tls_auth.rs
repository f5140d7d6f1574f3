//! The TLS + auth example against a real Prometheus: a CA made here with
//! `openssl` signs the server's and the scraper's certificates; Prometheus,
//! configured with `basic_auth` and `tls_config`, scrapes it with
//! `up == 1`; the same request without credentials (or with a wrong
//! password, or without a client certificate) is refused.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use promscribe_test_support::{
    example_path, make_pki, prometheus_query, require_program, start_prometheus, wait_until,
    Process,
};

/// curl's status code for `https://addr/metrics` with these extra arguments
/// (000 when the handshake fails), and the body.
fn curl(dir: &Path, url: &str, extra: &[&str]) -> (String, String) {
    let body = dir.join("curl.out");
    let out = Command::new("curl")
        .current_dir(dir)
        .args(["-s", "-o"])
        .arg(&body)
        .args([
            "-w",
            "%{http_code}",
            "--cacert",
            "ca.crt",
            "--max-time",
            "10",
        ])
        .args(extra)
        .arg(url)
        .output()
        .expect("runs curl");
    let code = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = std::fs::read_to_string(&body).unwrap_or_default();
    let _ = std::fs::remove_file(&body);
    (code, text)
}

#[test]
fn prometheus_scrapes_the_tls_auth_example_and_strangers_are_refused() {
    require_program("openssl");
    require_program("curl");
    let dir = tempfile::tempdir().expect("temporary directory");
    let d = dir.path();
    make_pki(d);
    let hash = bcrypt::hash("scrape-secret", 6).expect("hash");
    std::fs::write(d.join("token.txt"), "token-for-tests\n").expect("token");

    let mut example = Process::spawn(
        "tls_auth",
        Command::new(example_path("tls_auth"))
            .current_dir(d)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--cert",
                "server.crt",
                "--key",
                "server.key",
            ])
            .args(["--client-ca", "ca.crt", "--basic-user"])
            .arg(format!("prometheus:{hash}"))
            .args(["--bearer-token-file", "token.txt"]),
    );
    let addr = example.wait_for_line(|l| {
        l.strip_prefix("serving metrics on https://")
            .and_then(|rest| rest.strip_suffix("/metrics"))
            .map(str::to_owned)
    });
    let url = format!("https://{addr}/metrics");
    let client = ["--cert", "client.crt", "--key", "client.key"];

    // Refused: no credentials, a wrong password, an unknown user, a wrong
    // token; never the metrics.
    for extra in [
        vec![],
        vec!["-u", "prometheus:wrong"],
        vec!["-u", "someone:scrape-secret"],
        vec!["-H", "Authorization: Bearer not-the-token"],
    ] {
        let mut args = client.to_vec();
        args.extend(extra.iter().copied());
        let (code, body) = curl(d, &url, &args);
        assert_eq!(code, "401", "{extra:?}: {body}");
        assert!(!body.contains("tls_auth_ticks_total"), "{body}");
    }
    // Without a client certificate the handshake fails.
    let (code, _) = curl(d, &url, &["-u", "prometheus:scrape-secret"]);
    assert_eq!(code, "000", "a client without a certificate was let in");
    // With everything: the metrics; the bearer token works too.
    let mut args = client.to_vec();
    args.extend(["-u", "prometheus:scrape-secret"]);
    let (code, body) = curl(d, &url, &args);
    assert_eq!(code, "200");
    assert!(body.contains("tls_auth_ticks_total"), "{body}");
    let mut args = client.to_vec();
    args.extend(["-H", "Authorization: Bearer token-for-tests"]);
    assert_eq!(curl(d, &url, &args).0, "200");

    // A real Prometheus with basic_auth and tls_config.
    let (mut server, prom_port) = start_prometheus(
        d,
        &format!(
            "  - job_name: tls_auth\n    scheme: https\n\
             \x20   basic_auth:\n      username: prometheus\n      password: scrape-secret\n\
             \x20   tls_config:\n      ca_file: {d}/ca.crt\n      cert_file: {d}/client.crt\n      key_file: {d}/client.key\n\
             \x20   static_configs:\n      - targets: ['{addr}']\n",
            d = d.display()
        ),
        &[],
    );
    let up = wait_until(
        Duration::from_secs(60),
        "Prometheus to scrape tls_auth",
        || {
            assert!(server.is_running(), "prometheus exited; see its log");
            let r = prometheus_query(prom_port, r#"up{job="tls_auth"}"#);
            let v = r.first()?["value"][1].as_str()?.to_owned();
            (v == "1").then_some(v)
        },
    );
    assert_eq!(up, "1");
    let ticks = wait_until(Duration::from_secs(30), "the example's counter", || {
        let r = prometheus_query(prom_port, "tls_auth_ticks_total");
        (!r.is_empty()).then_some(r)
    });
    assert_eq!(ticks[0]["metric"]["job"], "tls_auth");
    server.stop();
    example.stop();
}
