//! Each operation of Python's client README and docs, done in Rust, with
//! the exposition it produces. `_created` series are switched off here
//! (they carry the clock); `tests/created.rs` covers them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use promscribe::{count_exceptions, counter, gauge, histogram, summary, timed, track_inprogress};

/// The text exposition of the named families of the default registry.
fn exposition(families: &[&str]) -> String {
    promscribe_test_support::exposition_of(|name| families.contains(&name))
}

// c = Counter('my_failures_total', 'Description of counter')
counter!(MY_FAILURES, "my_failures_total", "Description of counter");

#[test]
fn counter_inc_and_inc_by() {
    MY_FAILURES.inc(); // c.inc()
    MY_FAILURES.inc_by(1.6).expect("positive"); // c.inc(1.6)
    assert_eq!(
        exposition(&["my_failures"]),
        "# HELP my_failures_total Description of counter\n\
         # TYPE my_failures_total counter\n\
         my_failures_total 2.6\n"
    );
}

counter!(
    EXC_DECORATED,
    "exc_decorated_total",
    "@c.count_exceptions()"
);
counter!(EXC_WITH, "exc_with_total", "with c.count_exceptions()");
counter!(
    EXC_VALUE_ERROR,
    "exc_value_error_total",
    "count_exceptions(ValueError)"
);

#[derive(Debug)]
struct ValueError;
impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("value error")
    }
}
impl std::error::Error for ValueError {}

// @c.count_exceptions()
#[count_exceptions(EXC_DECORATED)]
fn f_counted() -> Result<(), ValueError> {
    Err(ValueError)
}

#[test]
fn count_exceptions_decorator_context_and_type() {
    let _ = f_counted();
    // with c.count_exceptions(): pass
    EXC_WITH.count_exceptions(|| ());
    let _ = EXC_WITH.count_exceptions(|| Err::<(), _>(ValueError));
    // with c.count_exceptions(ValueError): ... (only ValueError counts)
    #[allow(clippy::borrowed_box)] // the predicate sees the error type, a Box
    let only_value_error = |e: &Box<dyn std::error::Error>| e.is::<ValueError>();
    let _ = EXC_VALUE_ERROR.count_exceptions_where(
        || Err::<(), Box<dyn std::error::Error>>(Box::new(ValueError)),
        only_value_error,
    );
    let _ = EXC_VALUE_ERROR.count_exceptions_where(
        || Err::<(), Box<dyn std::error::Error>>(Box::new(std::fmt::Error)),
        only_value_error,
    );
    assert_eq!(
        exposition(&["exc_decorated", "exc_with", "exc_value_error"]),
        "# HELP exc_decorated_total @c.count_exceptions()\n\
         # TYPE exc_decorated_total counter\n\
         exc_decorated_total 1.0\n\
         # HELP exc_value_error_total count_exceptions(ValueError)\n\
         # TYPE exc_value_error_total counter\n\
         exc_value_error_total 1.0\n\
         # HELP exc_with_total with c.count_exceptions()\n\
         # TYPE exc_with_total counter\n\
         exc_with_total 1.0\n"
    );
}

// g = Gauge('my_inprogress_requests', 'Description of gauge')
gauge!(
    MY_INPROGRESS,
    "my_inprogress_requests",
    "Description of gauge"
);
gauge!(GAUGE_TIME, "gauge_unixtime", "set_to_current_time");

#[test]
fn gauge_inc_dec_set_and_current_time() {
    MY_INPROGRESS.inc(); // g.inc()
    MY_INPROGRESS.dec_by(10.0); // g.dec(10)
    assert_eq!(MY_INPROGRESS.get(), -9.0);
    MY_INPROGRESS.set(4.2); // g.set(4.2)
    assert_eq!(
        exposition(&["my_inprogress_requests"]),
        "# HELP my_inprogress_requests Description of gauge\n\
         # TYPE my_inprogress_requests gauge\n\
         my_inprogress_requests 4.2\n"
    );
    GAUGE_TIME.set_to_current_time(); // g.set_to_current_time()
    let text = exposition(&["gauge_unixtime"]);
    let v: f64 = text
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("gauge_unixtime "))
        .and_then(|v| v.parse().ok())
        .expect("a value");
    assert!(v > 1.7e9, "{text}");
}

gauge!(TRACKED, "tracked_inprogress", "@g.track_inprogress()");

// @g.track_inprogress()
#[track_inprogress(TRACKED)]
fn f_tracked() -> f64 {
    TRACKED.get()
}

#[test]
fn track_inprogress_decorator_and_context() {
    assert_eq!(f_tracked(), 1.0);
    {
        // with g.track_inprogress(): ...
        let _in_progress = TRACKED.track_inprogress();
        assert_eq!(
            exposition(&["tracked_inprogress"]),
            "# HELP tracked_inprogress @g.track_inprogress()\n\
             # TYPE tracked_inprogress gauge\n\
             tracked_inprogress 1.0\n"
        );
    }
    assert_eq!(TRACKED.get(), 0.0);
}

// d = Gauge('data_objects', 'Number of objects'); d.set_function(lambda: len(my_dict))
gauge!(DATA_OBJECTS, "data_objects", "Number of objects");

#[test]
fn gauge_from_a_callback() {
    let my_dict: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let seen = Arc::clone(&my_dict);
    DATA_OBJECTS.set_function(move || seen.lock().map(|d| d.len() as f64).unwrap_or(f64::NAN));
    my_dict.lock().expect("not poisoned").insert("a".into(), 1);
    my_dict.lock().expect("not poisoned").insert("b".into(), 2);
    assert_eq!(
        exposition(&["data_objects"]),
        "# HELP data_objects Number of objects\n\
         # TYPE data_objects gauge\n\
         data_objects 2.0\n"
    );
}

// s = Summary('request_size_bytes', 'Description of summary')
summary!(REQUEST_SIZE, "request_size_bytes", "Description of summary");
summary!(SUMMARY_TIMED, "summary_timed_seconds", "@s.time()");

#[timed(SUMMARY_TIMED)]
fn f_summary_timed() {}

#[test]
fn summary_observe_and_time() {
    REQUEST_SIZE.observe(512.0); // s.observe(512)
    assert_eq!(
        exposition(&["request_size_bytes"]),
        "# HELP request_size_bytes Description of summary\n\
         # TYPE request_size_bytes summary\n\
         request_size_bytes_count 1.0\n\
         request_size_bytes_sum 512.0\n"
    );
    f_summary_timed(); // @s.time()
    {
        let _t = SUMMARY_TIMED.start_timer(); // with s.time(): pass
    }
    assert!(exposition(&["summary_timed_seconds"]).contains("summary_timed_seconds_count 2.0\n"));
}

// h = Histogram('request_latency_seconds', 'Description of histogram')
histogram!(
    REQUEST_LATENCY,
    "request_latency_seconds",
    "Description of histogram"
);
histogram!(
    CUSTOM_BUCKETS,
    "custom_buckets_seconds",
    "buckets=...",
    buckets = [0.1, 0.5, 1.0]
);

#[test]
fn histogram_default_buckets() {
    REQUEST_LATENCY.observe(4.7); // h.observe(4.7)
    let _t = REQUEST_LATENCY.start_timer(); // with h.time(): pass
    drop(_t);
    let text = exposition(&["request_latency_seconds"]);
    let want_prefix = "# HELP request_latency_seconds Description of histogram\n\
         # TYPE request_latency_seconds histogram\n";
    assert!(text.starts_with(want_prefix), "{text}");
    let les: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("request_latency_seconds_bucket{le=\""))
        .filter_map(|l| l.split('"').next())
        .collect();
    assert_eq!(
        les,
        [
            "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5",
            "5.0", "7.5", "10.0", "+Inf"
        ]
    );
    assert!(
        text.contains("request_latency_seconds_bucket{le=\"5.0\"} 2.0\n"),
        "{text}"
    );
    assert!(text.contains("request_latency_seconds_bucket{le=\"+Inf\"} 2.0\n"));
    assert!(text.contains("request_latency_seconds_count 2.0\n"));
}

#[test]
fn histogram_custom_buckets() {
    CUSTOM_BUCKETS.observe(0.3);
    assert_eq!(
        exposition(&["custom_buckets_seconds"]),
        "# HELP custom_buckets_seconds buckets=...\n\
         # TYPE custom_buckets_seconds histogram\n\
         custom_buckets_seconds_bucket{le=\"0.1\"} 0.0\n\
         custom_buckets_seconds_bucket{le=\"0.5\"} 1.0\n\
         custom_buckets_seconds_bucket{le=\"1.0\"} 1.0\n\
         custom_buckets_seconds_bucket{le=\"+Inf\"} 1.0\n\
         custom_buckets_seconds_count 1.0\n\
         custom_buckets_seconds_sum 0.3\n"
    );
}

// c = Counter('my_requests_total', 'HTTP Failures', ['method', 'endpoint'])
counter!(
    MY_REQUESTS,
    "my_requests_total",
    "HTTP Failures",
    labels = ["method", "endpoint"]
);

#[test]
fn labels_positional_and_by_name() {
    MY_REQUESTS.labels(["get", "/"]).inc(); // c.labels('get', '/').inc()
    MY_REQUESTS.labels(["post", "/submit"]).inc(); // c.labels('post', '/submit').inc()
                                                   // c.labels(method='get', endpoint='/').inc()
    MY_REQUESTS
        .labels_named(&[("method", "get"), ("endpoint", "/")])
        .expect("every label named")
        .inc();
    assert_eq!(
        exposition(&["my_requests"]),
        "# HELP my_requests_total HTTP Failures\n\
         # TYPE my_requests_total counter\n\
         my_requests_total{method=\"get\",endpoint=\"/\"} 2.0\n\
         my_requests_total{method=\"post\",endpoint=\"/submit\"} 1.0\n"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn process_collector_with_namespace_and_pid() {
    // ProcessCollector(namespace='mydaemon', pid=lambda: open('/var/run/daemon.pid').read())
    let dir = tempfile::tempdir().expect("temp dir");
    let pid_file = dir.path().join("daemon.pid");
    std::fs::write(&pid_file, format!("{}\n", std::process::id())).expect("pid file");
    let registry = promscribe::Registry::new();
    let collector = promscribe::ProcessCollector::with_pid_fn(move || {
        std::fs::read_to_string(&pid_file).ok()?.trim().parse().ok()
    })
    .namespace("mydaemon");
    registry.register(Arc::new(collector)).expect("registers");
    let text = promscribe::encode_text(&registry);
    for name in [
        "mydaemon_process_cpu_seconds_total",
        "mydaemon_process_virtual_memory_bytes",
        "mydaemon_process_resident_memory_bytes",
        "mydaemon_process_start_time_seconds",
        "mydaemon_process_open_fds",
        "mydaemon_process_max_fds",
    ] {
        assert!(
            text.contains(&format!("\n{name} ")),
            "{name} missing:\n{text}"
        );
    }
    let (ok, report) = promscribe_test_support::promtool_check(&text);
    assert!(ok, "{report}");
}

counter!(SERVED, "served_total", "Served by start_http_server");

#[test]
fn start_http_server_serves_the_default_registry() {
    // start_http_server(8000)
    SERVED.inc();
    let server = promscribe_export::start_http_server("127.0.0.1:0").expect("binds");
    let url = format!("http://{}/metrics", server.local_addr());
    let (status, content_type, body) = promscribe_test_support::http_get(&url).expect("answers");
    assert_eq!(status, 200);
    assert_eq!(
        content_type,
        format!("{}; escaping=underscores", promscribe::TEXT_CONTENT_TYPE)
    );
    assert!(body.contains("\nserved_total 1.0\n"), "{body}");
    server.stop().expect("clean stop");
    assert!(promscribe_test_support::http_get(&url).is_err(), "stopped");
}

#[test]
fn router_merges_into_an_existing_app() {
    // MetricsHandler / make_wsgi_app: /metrics inside another server.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let addr = rt.block_on(async {
        let app: axum::Router = axum::Router::new()
            .route("/", axum::routing::get(|| async { "home" }))
            .merge(promscribe_export::router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });
    let (s, _, home) = promscribe_test_support::http_get(&format!("http://{addr}/")).expect("home");
    assert_eq!((s, home.as_str()), (200, "home"));
    let (s, ct, body) =
        promscribe_test_support::http_get(&format!("http://{addr}/metrics")).expect("metrics");
    assert_eq!(s, 200);
    assert_eq!(
        ct,
        format!("{}; escaping=underscores", promscribe::TEXT_CONTENT_TYPE)
    );
    assert!(body.contains("# TYPE my_failures_total counter"), "{body}");
    let (s, _, _) = promscribe_test_support::http_get(&format!("http://{addr}/nope")).expect("404");
    assert_eq!(s, 404);
}

#[test]
fn port_in_use_is_an_error_not_a_panic() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = taken.local_addr().expect("address");
    let err = promscribe_export::start_http_server(addr).expect_err("port in use");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
}
