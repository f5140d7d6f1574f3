//! The `/metrics` endpoint: `name[]` restricts the exposition to the named
//! samples, as Python's client does.

use promscribe::{counter, gauge};

counter!(
    EP_REQUESTS,
    "ep_requests_total",
    "Requests",
    labels = ["code"]
);
gauge!(EP_QUEUE, "ep_queue_length", "Queue length");

#[test]
fn name_filter_serves_only_the_named_samples() {
    EP_REQUESTS.labels(["200"]).inc();
    EP_QUEUE.set(3.0);
    let server = promscribe_export::start_http_server("127.0.0.1:0").expect("binds");
    let base = format!("http://{}/metrics", server.local_addr());

    let (status, _, body) =
        promscribe_test_support::http_get(&format!("{base}?name[]=ep_queue_length"))
            .expect("answers");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "# HELP ep_queue_length Queue length\n# TYPE ep_queue_length gauge\nep_queue_length 3.0\n"
    );

    // Percent-encoded brackets, two names, one of them a counter sample.
    let (_, _, body) = promscribe_test_support::http_get(&format!(
        "{base}?name%5B%5D=ep_requests_total&name[]=ep_queue_length&other=x"
    ))
    .expect("answers");
    assert!(
        body.contains("ep_requests_total{code=\"200\"} 1.0\n"),
        "{body}"
    );
    assert!(body.contains("ep_queue_length 3.0\n"), "{body}");
    assert!(!body.contains("process_"), "{body}");
    assert!(
        !body.contains("ep_requests_created"),
        "only the named samples: {body}"
    );

    // No filter: everything.
    let (_, _, all) = promscribe_test_support::http_get(&base).expect("answers");
    assert!(all.contains("process_open_fds"));
    let (ok, report) = promscribe_test_support::promtool_check(&all);
    assert!(ok, "{report}");
}
