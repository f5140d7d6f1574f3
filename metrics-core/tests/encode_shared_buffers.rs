//! A registry keeps its encoders' buffers from one scrape to the next:
//! concurrent scrapes and a scrape interrupted by a panicking collector
//! must still give every later scrape the full, exact exposition.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use promscribe::{
    encode, Buckets, Collector, Counter, EncodeOptions, Family, Format, Histogram, MetricFamily,
    MetricType, Opts, Registry,
};

fn registry() -> Registry {
    let r = Registry::new();
    let c = Family::<Counter, 2>::new(Opts::new("req_total", "R").labels(["method", "path"]))
        .expect("valid");
    let h = Family::<Histogram, 1>::with_buckets(
        Opts::new("latency_seconds", "L").labels(["path"]),
        Buckets::new([0.1, 0.5, 1.0]).expect("valid"),
    )
    .expect("valid");
    let other = Family::<Histogram, 1>::with_buckets(
        Opts::new("size_bytes", "S").labels(["path"]),
        Buckets::new([10.0, 1e6]).expect("valid"),
    )
    .expect("valid");
    r.register(c.clone()).expect("no clash");
    r.register(h.clone()).expect("no clash");
    r.register(other.clone()).expect("no clash");
    for i in 0..200 {
        c.labels(["get".to_string(), format!("/p/{i}")])
            .inc_by_u64(i);
        h.labels([format!("/p/{i}")])
            .observe(f64::from(i as u32) / 100.0);
        other
            .labels([format!("/p/{i}")])
            .observe(f64::from(i as u32));
    }
    r
}

fn text(r: &Registry, format: Format) -> String {
    let mut out = String::new();
    encode(&mut out, r, format, &EncodeOptions::default().created(true)).expect("a String");
    out
}

#[test]
fn concurrent_scrapes_each_get_the_full_exposition() {
    let r = Arc::new(registry());
    let expected: Vec<String> = [Format::Text, Format::OpenMetrics]
        .into_iter()
        .map(|f| text(&r, f))
        .collect();
    assert!(expected[0].contains("size_bytes_bucket{path=\"/p/7\",le=\"1e+06\"} 1.0\n"));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let r = Arc::clone(&r);
            let expected = expected.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let (format, want) = if (i + t) % 2 == 0 {
                        (Format::Text, &expected[0])
                    } else {
                        (Format::OpenMetrics, &expected[1])
                    };
                    assert_eq!(&text(&r, format), want, "thread {t}, scrape {i}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no scrape differs");
    }
}

struct PanicsWhenArmed(AtomicBool);

impl Collector for PanicsWhenArmed {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        if self.0.swap(false, Ordering::SeqCst) {
            panic!("collector failed");
        }
        let mut f = MetricFamily::new("queue_depth", "Q", MetricType::Gauge);
        f.push("", vec![], 3.0).expect("a gauge sample");
        out.push(f);
    }
}

#[test]
fn a_scrape_after_a_panicking_collector_is_whole() {
    let r = registry();
    let flaky = Arc::new(PanicsWhenArmed(AtomicBool::new(false)));
    r.register(flaky.clone()).expect("no clash");
    let expected = [text(&r, Format::Text), text(&r, Format::OpenMetrics)];
    for (i, format) in [Format::Text, Format::OpenMetrics].into_iter().enumerate() {
        flaky.0.store(true, Ordering::SeqCst);
        let r = &r;
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| text(r, format)));
        assert!(panicked.is_err());
        assert_eq!(text(r, format), expected[i], "{format:?}");
    }
}
