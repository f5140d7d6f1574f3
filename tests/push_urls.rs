//! The requests the Pushgateway client sends, seen by a recording HTTP
//! server: the push tests of Python's client (`tests/test_exposition.py`,
//! `TestPushGateway`) ported, with the URL rules of its
//! `_escape_grouping_key` (base64 for `/`, space and empty values,
//! `quote_plus` for the rest, labels sorted by name).

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use promscribe::{Gauge, Registry, TEXT_CONTENT_TYPE};
use promscribe_export::{
    delete_from_gateway, push_to_gateway, pushadd_to_gateway, GroupingKey, Pushgateway,
};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// The path as sent, still percent-encoded.
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A server on 127.0.0.1 answering 200 to everything and recording each
/// request; it runs until the test process ends.
struct Recorder {
    address: String,
    log: Log,
}

impl Recorder {
    fn start() -> Recorder {
        let log: Log = Arc::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let state = log.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(record).with_state(state);
                axum::serve(listener, app).await.expect("serve");
            });
        });
        Recorder { address, log }
    }

    /// The requests seen so far, emptying the log.
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.log.lock().expect("log lock"))
    }

    /// The one request sent since the last call.
    fn only(&self) -> Seen {
        let mut seen = self.take();
        assert_eq!(seen.len(), 1, "{seen:#?}");
        seen.remove(0)
    }
}

async fn record(State(log): State<Log>, req: Request) -> StatusCode {
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    log.lock().expect("log lock").push(seen);
    StatusCode::OK
}

/// Python's test registry: one gauge `g` with help `help`.
fn registry() -> Registry {
    let r = Registry::new();
    r.register(Gauge::new("g", "help").expect("gauge"))
        .expect("registered");
    r
}

const BODY: &[u8] = b"# HELP g help\n# TYPE g gauge\ng 0.0\n";

fn key(pairs: &[(&str, &str)]) -> GroupingKey {
    pairs.iter().copied().collect()
}

fn check(seen: &Seen, method: &str, path: &str, body: &[u8]) {
    assert_eq!(seen.method, method, "{seen:#?}");
    assert_eq!(seen.path, path, "{seen:#?}");
    assert_eq!(
        seen.header("content-type"),
        Some(TEXT_CONTENT_TYPE),
        "{seen:#?}"
    );
    assert_eq!(seen.body, body, "{seen:#?}");
}

#[test]
fn push_pushadd_delete_as_python_sends_them() {
    let rec = Recorder::start();
    let r = registry();
    let none = GroupingKey::new();

    // test_push, test_push_schemeless_url, test_push_with_trailing_slash
    push_to_gateway(&rec.address, "my_job", &none, &r).expect("push");
    check(&rec.only(), "PUT", "/metrics/job/my_job", BODY);
    let schemeless = rec.address.trim_start_matches("http://");
    push_to_gateway(schemeless, "my_job", &none, &r).expect("push");
    check(&rec.only(), "PUT", "/metrics/job/my_job", BODY);
    push_to_gateway(
        &format!("{}/", rec.address),
        "my_job_with_trailing_slash",
        &none,
        &r,
    )
    .expect("push");
    let seen = rec.only();
    assert!(!seen.path.contains("//"), "{seen:#?}");

    // test_push_with_groupingkey, ..._empty_label, ..._complex_groupingkey,
    // test_push_with_complex_job
    push_to_gateway(&rec.address, "my_job", &key(&[("a", "9")]), &r).expect("push");
    check(&rec.only(), "PUT", "/metrics/job/my_job/a/9", BODY);
    push_to_gateway(&rec.address, "my_job", &key(&[("a", "")]), &r).expect("push");
    check(&rec.only(), "PUT", "/metrics/job/my_job/a@base64/=", BODY);
    push_to_gateway(
        &rec.address,
        "my_job",
        &key(&[("a", "9"), ("b", "a/ z")]),
        &r,
    )
    .expect("push");
    check(
        &rec.only(),
        "PUT",
        "/metrics/job/my_job/a/9/b@base64/YS8geg==",
        BODY,
    );
    push_to_gateway(&rec.address, "my/job", &none, &r).expect("push");
    check(&rec.only(), "PUT", "/metrics/job@base64/bXkvam9i", BODY);

    // test_pushadd, test_pushadd_with_groupingkey
    pushadd_to_gateway(&rec.address, "my_job", &none, &r).expect("pushadd");
    check(&rec.only(), "POST", "/metrics/job/my_job", BODY);
    pushadd_to_gateway(&rec.address, "my_job", &key(&[("a", "9")]), &r).expect("pushadd");
    check(&rec.only(), "POST", "/metrics/job/my_job/a/9", BODY);

    // test_delete, test_delete_with_groupingkey: the same Content-Type.
    delete_from_gateway(&rec.address, "my_job", &none).expect("delete");
    check(&rec.only(), "DELETE", "/metrics/job/my_job", b"");
    delete_from_gateway(&rec.address, "my_job", &key(&[("a", "9")])).expect("delete");
    check(&rec.only(), "DELETE", "/metrics/job/my_job/a/9", b"");
}

#[test]
fn values_with_spaces_go_in_base64() {
    let rec = Recorder::start();
    let r = registry();
    push_to_gateway(
        &rec.address,
        "job_name",
        &key(&[("label", "value with spaces")]),
        &r,
    )
    .expect("push");
    check(
        &rec.only(),
        "PUT",
        "/metrics/job/job_name/label@base64/dmFsdWUgd2l0aCBzcGFjZXM=",
        BODY,
    );
    // The job name follows the same rule.
    push_to_gateway(&rec.address, "nightly backup", &GroupingKey::new(), &r).expect("push");
    check(
        &rec.only(),
        "PUT",
        "/metrics/job@base64/bmlnaHRseSBiYWNrdXA=",
        BODY,
    );
}

#[test]
fn other_values_are_quoted_as_quote_plus_does() {
    let rec = Recorder::start();
    let r = registry();
    let cases = [
        ("a+b&c", "a%2Bb%26c"),
        ("é", "%C3%A9"),
        ("x?y#z%", "x%3Fy%23z%25"),
        ("A-z_0.9~", "A-z_0.9~"),
        ("a=b;c,d", "a%3Db%3Bc%2Cd"),
    ];
    for (value, sent) in cases {
        push_to_gateway(&rec.address, "j", &key(&[("v", value)]), &r).expect("push");
        check(
            &rec.only(),
            "PUT",
            &format!("/metrics/job/j/v/{sent}"),
            BODY,
        );
    }
}

#[test]
fn grouping_keys_are_sent_sorted_by_name() {
    let rec = Recorder::start();
    let r = registry();
    let unsorted = key(&[("zone", "eu"), ("instance", "db-1"), ("b", "2"), ("a", "1")]);
    push_to_gateway(&rec.address, "j", &unsorted, &r).expect("push");
    check(
        &rec.only(),
        "PUT",
        "/metrics/job/j/a/1/b/2/instance/db-1/zone/eu",
        BODY,
    );
    delete_from_gateway(&rec.address, "j", &unsorted).expect("delete");
    check(
        &rec.only(),
        "DELETE",
        "/metrics/job/j/a/1/b/2/instance/db-1/zone/eu",
        b"",
    );
}

#[test]
fn extra_headers_and_basic_auth_are_sent_with_every_method() {
    // test_push_with_handler, test_push_with_basic_auth_handler
    let rec = Recorder::start();
    let gw = Pushgateway::builder(rec.address.as_str())
        .header("X-Test-Header", "foobar")
        .basic_auth("foo", "bar")
        .build()
        .expect("gateway");
    let r = registry();
    gw.push("my_job", &GroupingKey::new(), &r).expect("push");
    gw.pushadd("my_job", &GroupingKey::new(), &r)
        .expect("pushadd");
    gw.delete("my_job", &GroupingKey::new()).expect("delete");
    let seen = rec.take();
    assert_eq!(seen.len(), 3, "{seen:#?}");
    for s in &seen {
        assert_eq!(s.header("x-test-header"), Some("foobar"), "{s:#?}");
        // base64("foo:bar")
        assert_eq!(
            s.header("authorization"),
            Some("Basic Zm9vOmJhcg=="),
            "{s:#?}"
        );
        assert_eq!(s.header("content-type"), Some(TEXT_CONTENT_TYPE), "{s:#?}");
    }
}

#[test]
fn a_bad_gateway_address_is_refused_up_front_naming_it() {
    for bad in [
        "127.0.0.1:99999",
        "http://127.0.0.1:65536/",
        "localhost:0",
        "gw:port",
        "http://999.0.0.1:9091",
    ] {
        let err = Pushgateway::new(bad).expect_err(bad);
        let text = err.to_string();
        assert!(text.contains(&format!("`{bad}`")), "{bad}: {text}");
        assert!(
            !text.contains("refused"),
            "checked before connecting: {text}"
        );
        let err = push_to_gateway(bad, "j", &GroupingKey::new(), &registry()).expect_err(bad);
        assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
    }
}

#[test]
fn the_user_agent_names_this_crate_and_its_version() {
    let rec = Recorder::start();
    let gw = Pushgateway::new(rec.address.as_str()).expect("gateway");
    let r = registry();
    gw.push("my_job", &GroupingKey::new(), &r).expect("push");
    gw.pushadd("my_job", &GroupingKey::new(), &r)
        .expect("pushadd");
    gw.delete("my_job", &GroupingKey::new()).expect("delete");
    let seen = rec.take();
    assert_eq!(seen.len(), 3, "{seen:#?}");
    let want = format!("promscribe-export/{}", workspace_version());
    for s in &seen {
        assert_eq!(s.header("user-agent"), Some(want.as_str()), "{s:#?}");
    }
}

/// The version of the workspace's published crates, from its manifest.
fn workspace_version() -> String {
    let manifest = include_str!("../Cargo.toml");
    let section = manifest
        .split_once("[workspace.package]")
        .map(|(_, rest)| rest)
        .expect("a [workspace.package] section");
    section
        .lines()
        .find_map(|l| l.trim().strip_prefix("version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .expect("a workspace version")
}

/// A registry whose text exposition is about 1.5 MB: large enough to be
/// compressed in several segments.
fn large_registry() -> Registry {
    let r = Registry::new();
    let family = promscribe::Family::<promscribe::Counter, 2>::new(
        promscribe::Opts::new("http_requests", "Requests handled.").labels(["method", "path"]),
    )
    .expect("family");
    r.register(Arc::clone(&family) as _).expect("registered");
    for i in 0..20_000u64 {
        let path = format!("/api/v1/item/{i}");
        family
            .labels(["GET", path.as_str()])
            .inc_by_u64(i * 7919 % 1000);
    }
    r
}

#[test]
fn a_large_gzip_push_decodes_to_the_text_exposition_byte_for_byte() {
    use std::io::Read;
    let rec = Recorder::start();
    let r = large_registry();
    let text = promscribe::encode_text(&r);
    assert!(text.len() > 1_000_000, "{} bytes", text.len());
    let gateway = Pushgateway::builder(rec.address.as_str())
        .gzip(true)
        .build()
        .expect("gateway");
    gateway.push("big", &GroupingKey::new(), &r).expect("push");
    let seen = rec.only();
    assert_eq!(
        seen.header("content-encoding"),
        Some("gzip"),
        "{:?}",
        seen.headers
    );
    assert!(
        seen.body.len() < text.len() / 10,
        "{} bytes",
        seen.body.len()
    );
    // One gzip member, nothing after it.
    let mut decoder = flate2::read::GzDecoder::new(&seen.body[..]);
    let mut decoded = Vec::new();
    decoder.read_to_end(&mut decoded).expect("valid gzip");
    assert!(
        decoder.into_inner().is_empty(),
        "bytes after the gzip member"
    );
    assert_eq!(decoded, text.as_bytes());
}
