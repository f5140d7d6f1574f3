//! The scrape proxy of the test-support crate (what `scrape_examples.rs`
//! puts between Prometheus and the examples), against a real
//! `start_http_server`: it forwards, rewrites `Accept` when told to,
//! records what it forwarded, passes gzip through, and answers 502 for a
//! target that is not there and 400 to a request that is not a proxy's.

use promscribe_test_support::{refused_port, ProxyOptions, ScrapeProxy};

promscribe::counter!(PROXIED, "scrape_proxy_test_total", "A series to see");

const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,\
application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// GET `url` through `proxy` as Prometheus does (the absolute form,
/// `GET http://host:port/metrics HTTP/1.1`, with its `Accept`): status,
/// Content-Type, Content-Encoding, body.
fn get_via(proxy: &ScrapeProxy, url: &str, gzip: bool) -> (u16, String, String, Vec<u8>) {
    use http_body_util::{BodyExt, Empty};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let proxy_addr = proxy.url().trim_start_matches("http://").to_owned();
        let stream = tokio::net::TcpStream::connect(proxy_addr)
            .await
            .expect("connect to the proxy");
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .expect("handshake");
        tokio::spawn(conn);
        let mut req = hyper::Request::get(url).header("Accept", PROMETHEUS_ACCEPT);
        if gzip {
            req = req.header("Accept-Encoding", "gzip");
        }
        let resp = sender
            .send_request(
                req.body(Empty::<hyper::body::Bytes>::new())
                    .expect("request"),
            )
            .await
            .expect("the proxy answers");
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (status, ct, ce) = (
            resp.status().as_u16(),
            header("content-type"),
            header("content-encoding"),
        );
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        (status, ct, ce, body)
    })
}

#[test]
fn forwards_rewrites_accept_and_records_what_it_forwarded() {
    PROXIED.inc();
    let target = promscribe_export::start_http_server("127.0.0.1:0").expect("server");
    let url = format!("http://{}/metrics", target.local_addr());

    // As is: Prometheus's Accept gets OpenMetrics.
    let plain = ScrapeProxy::start(ProxyOptions::new()).expect("proxy");
    let (status, ct, ce, body) = get_via(&plain, &url, false);
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    assert_eq!(ce, "");
    let body = String::from_utf8(body).expect("UTF-8");
    assert!(body.contains("scrape_proxy_test_total 1"), "{body}");
    assert!(body.ends_with("# EOF\n"), "{body}");
    let rec = plain.forwarded();
    assert_eq!(rec.len(), 1, "{rec:?}");
    assert_eq!(rec[0].url, url);
    assert_eq!(rec[0].accept, PROMETHEUS_ACCEPT);
    assert_eq!(rec[0].content_type, ct);
    assert_eq!(rec[0].body_len, body.len());

    // Rewritten: the same request gets text; gzip passes through intact.
    let text =
        ScrapeProxy::start(ProxyOptions::new().accept("text/plain;version=0.0.4")).expect("proxy");
    let (status, ct, ce, body) = get_via(&text, &url, true);
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    assert_eq!(ce, "gzip");
    let mut decoded = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut decoded)
        .expect("a gzip body");
    assert!(decoded.contains("scrape_proxy_test_total 1"), "{decoded}");
    assert!(!decoded.contains("# EOF"), "{decoded}");
    let rec = text.forwarded();
    assert_eq!(rec.len(), 1, "{rec:?}");
    assert_eq!(rec[0].accept, "text/plain;version=0.0.4");
    assert_eq!(
        (
            rec[0].content_type.as_str(),
            rec[0].content_encoding.as_str()
        ),
        (ct.as_str(), "gzip")
    );
    assert_eq!(rec[0].body_len, body.len());
}

#[test]
fn a_missing_target_is_a_recorded_502_and_a_direct_request_a_400() {
    let proxy = ScrapeProxy::start(ProxyOptions::new()).expect("proxy");
    let (_held, port) = refused_port();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let (status, _, _, body) = get_via(&proxy, &url, false);
    assert_eq!(status, 502, "{}", String::from_utf8_lossy(&body));
    let rec = proxy.forwarded();
    assert_eq!(rec.len(), 1);
    assert_eq!((rec[0].status, rec[0].url.as_str()), (502, url.as_str()));

    let (status, _, _) = promscribe_test_support::http_get(&format!("{}/metrics", proxy.url()))
        .expect("the proxy answers");
    assert_eq!(status, 400);
    assert_eq!(proxy.forwarded().len(), 1, "nothing forwarded for it");
}
