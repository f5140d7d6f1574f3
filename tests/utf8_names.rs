//! Prometheus 3 UTF-8 names: declared with the macros and built at run
//! time, exposed quoted (`allow-utf-8`) or escaped (`underscores`, `dots`,
//! `values`) in both text formats, read by Python's strict OpenMetrics
//! parser in every scheme and by promtool (Prometheus 2's rules) in the
//! escaping ones.

use std::sync::Arc;

use promscribe::{
    counter, encode, Buckets, Collector, Counter, EncodeOptions, Enum, EscapingScheme, Family,
    Format, Gauge, GaugeHistogramMetricFamily, Histogram, Info, MetricFamily, Opts, Registry,
    States, Summary,
};

counter!(
    DOTTED_REQUESTS,
    "app.requests_total",
    "Requests",
    labels = ["http.method"]
);

/// A registry with a family of every type under a UTF-8 name, UTF-8 label
/// names among legacy ones, and exemplars.
fn registry() -> Registry {
    let r = Registry::new();
    let c = Family::<Counter, 2>::new(
        Opts::new("http.requests_total", "Requests \"all\"").labels(["http.method", "code"]),
    )
    .expect("valid");
    r.register(c.clone()).expect("no clash");
    c.labels(["GET", "200"])
        .inc_by_with_exemplar(2.0, &[("trace_id", "abc")])
        .expect("valid");
    let g = Gauge::with_opts(Opts::new("room.temperature", "T").unit("°C")).expect("valid");
    r.register(g.clone()).expect("no clash");
    g.set(21.5);
    let h = Family::<Histogram, 1>::with_buckets(
        Opts::new("http.server.duration", "Latency")
            .unit("seconds")
            .labels(["http.route"]),
        Buckets::new([0.1, 1.0]).expect("valid"),
    )
    .expect("valid");
    r.register(h.clone()).expect("no clash");
    h.labels(["/a \"b\""])
        .observe_with_exemplar(0.5, &[("trace_id", "x")])
        .expect("valid");
    let s = Summary::new("rpc.latency", "RPC").expect("valid");
    r.register(s.clone()).expect("no clash");
    s.observe(0.25);
    let i = Info::new("build.version_info", "Build").expect("valid");
    r.register(i.clone()).expect("no clash");
    i.set([("git.sha", "abc"), ("version", "1")])
        .expect("valid");
    let e = Enum::new(
        Opts::new("task.state", "State"),
        States::new(["on", "off"]).expect("valid"),
    )
    .expect("valid");
    r.register(e.clone()).expect("no clash");
    let mut gh =
        GaugeHistogramMetricFamily::new("queue.age", "Age", &["queue.name"]).expect("valid");
    gh.add_metric(&["q"], &[(60.0, 3.0), (f64::INFINITY, 5.0)], 420.0)
        .expect("valid");
    r.register(Arc::new(Fixed(vec![gh.into()])))
        .expect("no clash");
    let legacy = Counter::new("legacy_total", "Legacy").expect("valid");
    r.register(legacy.clone()).expect("no clash");
    legacy.inc();
    r
}

struct Fixed(Vec<MetricFamily>);

impl Collector for Fixed {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        out.extend(self.0.iter().cloned());
    }
}

fn exposition(r: &Registry, format: Format, scheme: EscapingScheme) -> String {
    let mut out = String::new();
    let options = EncodeOptions::default().created(false).escaping(scheme);
    encode(&mut out, r, format, &options).expect("a String never fails");
    out
}

#[test]
fn allow_utf8_quotes_names_in_openmetrics() {
    let body = exposition(&registry(), Format::OpenMetrics, EscapingScheme::AllowUtf8);
    for line in [
        "# HELP \"http.requests\" Requests \\\"all\\\"\n",
        "# TYPE \"http.requests\" counter\n",
        "{\"http.requests_total\",\"http.method\"=\"GET\",code=\"200\"} 2.0 # {trace_id=\"abc\"} 2.0",
        "# TYPE \"room.temperature_°C\" gauge\n# UNIT \"room.temperature_°C\" °C\n",
        "{\"room.temperature_°C\"} 21.5\n",
        "{\"http.server.duration_seconds_bucket\",\"http.route\"=\"/a \\\"b\\\"\",le=\"1.0\"} 1.0 # {trace_id=\"x\"} 0.5",
        "{\"http.server.duration_seconds_count\",\"http.route\"=\"/a \\\"b\\\"\"} 1.0\n",
        "{\"rpc.latency_sum\"} 0.25\n",
        "{\"build.version_info\",\"git.sha\"=\"abc\",version=\"1\"} 1.0\n",
        "{\"task.state\",\"task.state\"=\"on\"} 1.0\n",
        "{\"queue.age_gsum\",\"queue.name\"=\"q\"} 420.0\n",
        "# TYPE legacy counter\nlegacy_total 1.0\n",
    ] {
        assert!(body.contains(line), "no {line:?} in\n{body}");
    }
}

#[test]
fn allow_utf8_quotes_names_in_the_text_format() {
    let body = exposition(&registry(), Format::Text, EscapingScheme::AllowUtf8);
    for line in [
        "# HELP \"http.requests_total\" Requests \"all\"\n# TYPE \"http.requests_total\" counter\n",
        "{\"http.requests_total\",\"http.method\"=\"GET\",code=\"200\"} 2.0\n",
        "# TYPE \"queue.age_gsum\" gauge\n{\"queue.age_gsum\",\"queue.name\"=\"q\"} 420.0\n",
        "{\"task.state\",\"task.state\"=\"on\"} 1.0\n",
        "# TYPE legacy_total counter\nlegacy_total 1.0\n",
    ] {
        assert!(body.contains(line), "no {line:?} in\n{body}");
    }
    // Read back by the text parser, names intact.
    let families = promscribe::parse_text(&body).expect("parses");
    let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    for want in [
        "http.requests",
        "room.temperature_°C",
        "task.state",
        "queue.age",
    ] {
        assert!(names.contains(&want), "{want} not in {names:?}");
    }
}

#[test]
fn escaping_schemes_write_legacy_names() {
    let r = registry();
    // (scheme, lines the OpenMetrics body must hold)
    let cases: &[(EscapingScheme, &[&str])] = &[
        (
            EscapingScheme::Underscores,
            &[
                "# TYPE http_requests counter\n",
                "http_requests_total{http_method=\"GET\",code=\"200\"} 2.0",
                "room_temperature__C 21.5\n",
                "task_state{task_state=\"on\"} 1.0\n",
            ],
        ),
        (
            EscapingScheme::Dots,
            &[
                "# TYPE http_dot_requests counter\n",
                "http_dot_requests_total{http_dot_method=\"GET\",code=\"200\"} 2.0",
                "task_dot_state{task_dot_state=\"on\"} 1.0\n",
                "build_dot_version_info{git_dot_sha=\"abc\",version=\"1\"} 1.0\n",
            ],
        ),
        (
            EscapingScheme::Values,
            &[
                "# TYPE U__http_2e_requests counter\n",
                "U__http_2e_requests_total{U__http_2e_method=\"GET\",code=\"200\"} 2.0",
                "U__room_2e_temperature___b0_C 21.5\n",
            ],
        ),
    ];
    for (scheme, lines) in cases {
        let body = exposition(&r, Format::OpenMetrics, *scheme);
        assert!(
            !body.contains("{\"") && !body.contains("# TYPE \""),
            "{scheme}: quoted\n{body}"
        );
        for line in *lines {
            assert!(body.contains(line), "{scheme}: no {line:?} in\n{body}");
        }
        assert!(body.contains("legacy_total 1.0\n"), "{body}");
    }
}

/// Python's strict OpenMetrics parser (prometheus_client, UTF-8 names
/// since 0.21) reads the body of every scheme; with `allow-utf-8` it gives
/// back the UTF-8 names. Fails (does not skip) when `python3` or
/// `prometheus_client` is missing.
#[test]
fn python_strict_parser_reads_every_scheme() {
    let r = registry();
    let script = "labels = sorted({k for f in fams for s in f.samples for k in s.labels})\n\
        print('|'.join(sorted(f.name for f in fams)))\n\
        print('|'.join(labels))";
    for scheme in EscapingScheme::ALL {
        let body = exposition(&r, Format::OpenMetrics, scheme);
        let stdout =
            promscribe_test_support::python_openmetrics(&body, script).unwrap_or_else(|e| {
                panic!("{scheme}: Python's OpenMetrics parser refused the body:\n{e}\n---\n{body}")
            });
        let mut lines = stdout.lines();
        let (names, labels) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
        if scheme == EscapingScheme::AllowUtf8 {
            assert_eq!(
                names,
                "build.version|http.requests|http.server.duration_seconds|legacy|queue.age|\
                 room.temperature_°C|rpc.latency|task.state",
                "{body}"
            );
            assert_eq!(
                labels, "code|git.sha|http.method|http.route|le|queue.name|task.state|version",
                "{body}"
            );
        } else {
            for name in names.split('|').chain(labels.split('|')) {
                assert!(
                    promscribe::is_valid_legacy_metric_name(name),
                    "{scheme}: `{name}` is not a legacy name\n{body}"
                );
            }
        }
    }
}

/// promtool (Prometheus 2's rules) accepts the text body of every escaping
/// scheme: a scraper that does not ask gets legacy names.
#[test]
fn promtool_accepts_the_escaped_text_format() {
    let r = registry();
    for scheme in [
        EscapingScheme::Underscores,
        EscapingScheme::Dots,
        EscapingScheme::Values,
    ] {
        let body = exposition(&r, Format::Text, scheme);
        let (ok, report) = promscribe_test_support::promtool_check(&body);
        assert!(ok, "{scheme}: promtool refused:\n{report}\n---\n{body}");
    }
    // The default is underscores.
    let mut out = String::new();
    encode(
        &mut out,
        &r,
        Format::Text,
        &EncodeOptions::default().created(false),
    )
    .expect("encodes");
    assert_eq!(
        out,
        exposition(&r, Format::Text, EscapingScheme::Underscores)
    );
}

#[test]
fn macros_declare_utf8_names() {
    DOTTED_REQUESTS.labels(["GET"]).inc();
    assert_eq!(DOTTED_REQUESTS.name(), "app.requests");
    let body = exposition(
        promscribe::default_registry(),
        Format::OpenMetrics,
        EscapingScheme::AllowUtf8,
    );
    assert!(
        body.contains("{\"app.requests_total\",\"http.method\"=\"GET\"} 1.0\n"),
        "{body}"
    );
    let text = promscribe::encode_text(promscribe::default_registry());
    assert!(
        text.contains("app_requests_total{http_method=\"GET\"} 1.0\n"),
        "{text}"
    );
}

#[test]
fn reserved_and_empty_names_are_still_refused() {
    assert!(Counter::new("", "h").is_err());
    assert!(Family::<Gauge, 1>::new(Opts::new("g", "h").labels(["__x.y"])).is_err());
    assert!(Family::<Gauge, 1>::new(Opts::new("g", "h").labels([""])).is_err());
    assert!(Family::<Histogram, 1>::with_buckets(
        Opts::new("h.x", "h").labels(["le"]),
        Buckets::DEFAULT
    )
    .is_err());
    assert!(Enum::new(
        Opts::new("__state", "h"),
        States::new(["a", "b"]).expect("valid")
    )
    .is_err());
}
