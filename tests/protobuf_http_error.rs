//! A value the protobuf format cannot carry (here a custom collector's
//! summary count of 2.5: protobuf summaries count in whole numbers) makes
//! a protobuf scrape a `500` whose message names the family; the text
//! formats, which can write it, still answer. Its own test binary: the
//! collector goes into the default registry.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use promscribe::{Collector, LabelSet, MetricFamily, MetricType, Point, SummaryPoint};

struct FractionalSummary;

impl Collector for FractionalSummary {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let mut f = MetricFamily::new("weighted_seconds", "Weighted", MetricType::Summary);
        f.add(
            LabelSet::EMPTY,
            Point::Summary(SummaryPoint {
                count: Some(2.5),
                sum: Some(1.0),
                quantiles: vec![],
                created: None,
            }),
        )
        .expect("a summary point");
        out.push(f);
    }
}

fn get(addr: &str, accept: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let req = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: {accept}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).expect("writes");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("reads");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status");
    let ct = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    (status, ct, body.to_owned())
}

#[test]
fn a_value_protobuf_cannot_carry_is_a_500_naming_the_family() {
    promscribe::default_registry()
        .register(std::sync::Arc::new(FractionalSummary))
        .expect("registers");
    let server = promscribe_export::start_http_server("127.0.0.1:0").expect("binds");
    let addr = server.local_addr().to_string();
    let (status, ct, body) = get(
        &addr,
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
    );
    assert_eq!(status, 500, "{body}");
    assert_eq!(ct, "text/plain; charset=utf-8");
    assert!(body.contains("`weighted_seconds`"), "{body}");
    assert!(body.contains("2.5"), "{body}");

    let (status, _, body) = get(&addr, "application/openmetrics-text");
    assert_eq!(status, 200);
    assert!(body.contains("weighted_seconds_count 2.5\n"), "{body}");
    server.stop().expect("stops");
}
