//! Content negotiation on `/metrics`: the format follows `Accept` (q-values
//! and order honoured, text 1.0.0 for `text/plain;version=1.0.0`, OpenMetrics
//! 2.0.0 only for `application/openmetrics-text;version=2.0.0`, text 0.0.4
//! as the fallback, malformed headers never an error), the escaping scheme of names follows the chosen range's
//! `escaping=` (`underscores` by default), and the answer carries the exact
//! `Content-Type`, with `escaping=` as client_golang writes it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use promscribe::counter;

counter!(NEG_HITS, "neg_hits_total", "Hits");
counter!(
    NEG_DOTTED,
    "neg.dotted_total",
    "Hits",
    labels = ["http.method"]
);

const OM: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores";
const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores";
const TEXT_V1: &str = "text/plain; version=1.0.0; charset=utf-8; escaping=underscores";
const TEXT_V1_UTF8: &str = "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8";
const OM2: &str =
    "application/openmetrics-text; version=2.0.0; charset=utf-8; escaping=underscores";
const OM_UTF8: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8";

/// GET /metrics with these `Accept` headers: status, Content-Type, body.
fn get(addr: &str, accept: &[&str]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut req = String::from("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for a in accept {
        req.push_str(&format!("Accept: {a}\r\n"));
    }
    req.push_str("\r\n");
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
fn format_follows_accept() {
    NEG_HITS.inc();
    let server = promscribe_export::start_http_server("127.0.0.1:0").expect("binds");
    let addr = server.local_addr().to_string();
    let prometheus3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
        application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
        text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    let cases: &[(&[&str], &str)] = &[
        (&[], TEXT),
        (&[""], TEXT),
        (&["*/*"], TEXT),
        (&["application/openmetrics-text"], OM),
        (&["application/openmetrics-text; version=1.0.0"], OM),
        (&[prometheus3], OM_UTF8),
        // q-values win over order; order breaks ties.
        (
            &["text/plain;q=0.5, application/openmetrics-text;q=0.9"],
            OM,
        ),
        (
            &["text/plain;q=0.9, application/openmetrics-text;q=0.5"],
            TEXT,
        ),
        (&["application/openmetrics-text, text/plain"], OM),
        (&["text/plain, application/openmetrics-text"], TEXT),
        // Refused (q=0) or unknown: the fallback.
        (&["application/openmetrics-text;q=0"], TEXT),
        (&["application/openmetrics-text;version=3.0.0"], TEXT),
        (&["text/plain;version=2.0.0"], TEXT),
        // OpenMetrics 2.0.0 (native histograms as Python's client writes
        // them) only when asked for.
        (&["application/openmetrics-text;version=2.0.0"], OM2),
        (
            &["application/openmetrics-text;version=2.0.0;q=0.4,application/openmetrics-text;version=1.0.0;q=0.5"],
            OM,
        ),
        // Text 1.0.0, with q-values like any other range.
        (&["text/plain;version=1.0.0"], TEXT_V1),
        (&["text/plain; version=1.0.0; charset=utf-8"], TEXT_V1),
        (
            &["text/plain;version=0.0.4;q=0.5,text/plain;version=1.0.0;q=0.6"],
            TEXT_V1,
        ),
        (
            &["text/plain;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.6"],
            TEXT,
        ),
        (&["application/json"], TEXT),
        // Malformed: never an error.
        (&[";;;,,=q=,\"unterminated"], TEXT),
        (&["application/openmetrics-text;q=abc"], TEXT),
        // Two headers are one list.
        (
            &["text/plain;q=0.1", "application/openmetrics-text;q=0.2"],
            OM,
        ),
    ];
    for (accept, want) in cases {
        let (status, ct, body) = get(&addr, accept);
        assert_eq!(status, 200, "{accept:?}");
        assert_eq!(ct, *want, "Accept {accept:?}");
        if want.starts_with("application/openmetrics-text") {
            assert!(body.ends_with("# EOF\n"), "{accept:?}: {body}");
            assert!(body.contains("# TYPE neg_hits counter\n"), "{body}");
        } else {
            assert!(!body.contains("# EOF"), "{accept:?}: {body}");
            assert!(body.contains("# TYPE neg_hits_total counter\n"), "{body}");
        }
    }
    server.stop().expect("stops");
}

#[test]
fn escaping_follows_the_chosen_range() {
    NEG_DOTTED.labels(["GET"]).inc();
    let server = promscribe_export::start_http_server("127.0.0.1:0").expect("binds");
    let addr = server.local_addr().to_string();
    // (Accept, Content-Type, a line the body must hold)
    let cases: &[(&str, &str, &str)] = &[
        // No escaping asked for: underscores, the default (Prometheus 2).
        ("", TEXT, "neg_dotted_total{http_method=\"GET\"} 1.0\n"),
        (
            "application/openmetrics-text;version=1.0.0",
            OM,
            "neg_dotted_total{http_method=\"GET\"} 1.0\n",
        ),
        // Each scheme, in both text formats.
        (
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8",
            OM_UTF8,
            "{\"neg.dotted_total\",\"http.method\"=\"GET\"} 1.0\n",
        ),
        (
            "text/plain;version=0.0.4;escaping=allow-utf-8",
            "text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8",
            "# TYPE \"neg.dotted_total\" counter\n",
        ),
        // Prometheus 3's text range (text 1.0.0) is answered in the text
        // format 1.0.0: its own Content-Type, names quoted as asked.
        (
            "text/plain;version=1.0.0;escaping=allow-utf-8",
            TEXT_V1_UTF8,
            "{\"neg.dotted_total\",\"http.method\"=\"GET\"} 1.0\n",
        ),
        // Prometheus 3 with `scrape_protocols: [PrometheusText1.0.0,
        // PrometheusText0.0.4]`.
        (
            "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
            TEXT_V1_UTF8,
            "# TYPE \"neg.dotted_total\" counter\n",
        ),
        // Text 1.0.0 without `escaping=`: underscores, as for 0.0.4.
        (
            "text/plain;version=1.0.0",
            TEXT_V1,
            "neg_dotted_total{http_method=\"GET\"} 1.0\n",
        ),
        (
            "text/plain;version=1.0.0;escaping=dots",
            "text/plain; version=1.0.0; charset=utf-8; escaping=dots",
            "neg_dot_dotted_total{http_dot_method=\"GET\"} 1.0\n",
        ),
        (
            "text/plain;escaping=dots",
            "text/plain; version=0.0.4; charset=utf-8; escaping=dots",
            "neg_dot_dotted_total{http_dot_method=\"GET\"} 1.0\n",
        ),
        (
            "application/openmetrics-text;escaping=values",
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=values",
            "U__neg_2e_dotted_total{U__http_2e_method=\"GET\"} 1.0\n",
        ),
        (
            "text/plain;escaping=underscores",
            TEXT,
            "# HELP neg_dotted_total Hits\n",
        ),
        // Unknown or malformed: the default, never an error.
        (
            "text/plain;escaping=utf8",
            TEXT,
            "neg_dotted_total{http_method",
        ),
        (
            "text/plain;escaping=ALLOW-UTF-8",
            TEXT,
            "neg_dotted_total{http_method",
        ),
        ("text/plain;escaping=", TEXT, "neg_dotted_total{http_method"),
        // The scheme of the range chosen, not of another one.
        (
            "application/openmetrics-text;escaping=allow-utf-8;q=0.1,text/plain;q=0.9",
            TEXT,
            "neg_dotted_total{http_method",
        ),
        (
            "text/plain;q=0.1,application/openmetrics-text;escaping=dots;q=0.9",
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots",
            "neg_dot_dotted_total{http_dot_method",
        ),
    ];
    for (accept, want_ct, want_line) in cases {
        let (status, ct, body) = get(&addr, &[accept]);
        assert_eq!(status, 200, "{accept:?}");
        assert_eq!(ct, *want_ct, "Accept {accept:?}");
        assert!(
            body.contains(want_line),
            "Accept {accept:?}: no {want_line:?} in\n{body}"
        );
        // Legacy-valid names are the same in every scheme.
        assert!(body.contains("neg_hits"), "{accept:?}: {body}");
    }
    server.stop().expect("stops");
}
