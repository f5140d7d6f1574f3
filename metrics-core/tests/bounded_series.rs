//! Bounded series: the cap and its overflow series, expiry and `retain`,
//! and handles that are never orphaned.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use promscribe::{
    encode, Counter, EncodeOptions, Family, Format, Gauge, Histogram, Opts, Registry,
    OVERFLOW_LABEL,
};

#[cfg(test)] // test helpers: unwraps allowed
fn counters(name: &str, opts: impl FnOnce(Opts) -> Opts) -> (Arc<Family<Counter, 1>>, Registry) {
    let f = Family::<Counter, 1>::new(opts(Opts::new(name, "help").labels(["k"]))).unwrap();
    let r = Registry::new();
    r.register(f.clone()).unwrap();
    (f, r)
}

#[cfg(test)] // test helpers: unwraps allowed
fn scrape(r: &Registry, format: Format) -> String {
    let mut out = String::new();
    encode(&mut out, r, format, &EncodeOptions::default()).unwrap();
    out
}

/// The value of the sample `name{labels}` in a text 0.0.4 exposition.
#[cfg(test)] // test helpers: unwraps allowed
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

/// The sum of every `name{...}` sample of a text 0.0.4 exposition.
#[cfg(test)] // test helpers: unwraps allowed
fn sum_of(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

#[cfg(test)] // test helpers: unwraps allowed
fn series_count(text: &str, name: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .count()
}

#[test]
fn past_the_cap_updates_go_to_one_overflow_series_and_the_sum_stays_exact() {
    let (f, r) = counters("capped_total", |o| o.max_series(10));
    let mut total = 0u64;
    for round in 0..3u64 {
        for v in 0..100u64 {
            f.labels([v]).inc_by_u64(round + 1);
            total += round + 1;
        }
    }
    assert_eq!(f.len(), 10);
    let text = scrape(&r, Format::Text);
    assert_eq!(sum_of(&text, "capped_total"), total as f64, "{text}");
    assert_eq!(series_count(&text, "capped_total"), 11, "{text}");
    let overflow = format!("capped_total{{{OVERFLOW_LABEL}=\"true\"}}");
    assert_eq!(sample(&text, &overflow), Some((90 * 6) as f64), "{text}");
    // The first ten keep their own series.
    assert_eq!(sample(&text, "capped_total{k=\"3\"}"), Some(6.0));
    // Every update of the overflow series is counted, by family.
    assert_eq!(
        sample(&text, "promscribe_series_overflow_total{family=\"capped\"}"),
        Some(270.0),
        "{text}"
    );
    // OpenMetrics and the typed snapshot (what protobuf reads) agree.
    let om = scrape(&r, Format::OpenMetrics);
    assert!(om.contains(&overflow), "{om}");
    let gathered = r.gather();
    let family = gathered.iter().find(|f| f.name == "capped").unwrap();
    assert_eq!(family.metrics.len(), 11);
    let sum: f64 = family
        .samples()
        .iter()
        .filter(|s| s.name == "capped_total")
        .map(|s| s.value)
        .sum();
    assert_eq!(sum, total as f64);
}

#[test]
fn an_overflow_handle_counts_every_update_and_existing_series_keep_working() {
    let (f, r) = counters("held_over_total", |o| o.max_series(1));
    let first = f.labels_owned(["a"]);
    let over = f.labels_owned(["b"]);
    for _ in 0..5 {
        over.inc();
        first.inc();
    }
    let text = scrape(&r, Format::Text);
    assert_eq!(sample(&text, "held_over_total{k=\"a\"}"), Some(5.0));
    assert_eq!(
        sample(
            &text,
            "promscribe_series_overflow_total{family=\"held_over\"}"
        ),
        Some(5.0),
        "{text}"
    );
}

#[test]
fn a_capped_family_shows_zero_overflow_before_any() {
    let (f, r) = counters("quiet_total", |o| o.max_series(5));
    f.labels(["a"]).inc();
    let text = scrape(&r, Format::Text);
    assert_eq!(
        sample(&text, "promscribe_series_overflow_total{family=\"quiet\"}"),
        Some(0.0),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| !l.starts_with('#') && l.contains(OVERFLOW_LABEL)),
        "{text}"
    );
    // No family with a cap: no overflow counter.
    let (_, plain) = counters("plain_total", |o| o);
    assert!(!scrape(&plain, Format::Text).contains("promscribe_series_overflow"));
}

#[test]
fn histograms_overflow_with_exact_counts() {
    let f = Family::<Histogram, 1>::with_buckets(
        Opts::new("lat_seconds", "h").labels(["k"]).max_series(2),
        promscribe::Buckets::new([0.1, 1.0]).unwrap(),
    )
    .unwrap();
    let r = Registry::new();
    r.register(f.clone()).unwrap();
    for v in 0..50u32 {
        f.labels([v]).observe(0.1);
    }
    let text = scrape(&r, Format::Text);
    assert_eq!(sum_of(&text, "lat_seconds_count"), 50.0, "{text}");
    assert_eq!(
        sample(
            &text,
            &format!("lat_seconds_count{{{OVERFLOW_LABEL}=\"true\"}}")
        ),
        Some(48.0)
    );
    assert_eq!(
        sample(
            &text,
            &format!("lat_seconds_bucket{{le=\"0.1\",{OVERFLOW_LABEL}=\"true\"}}")
        )
        .or_else(|| sample(
            &text,
            &format!("lat_seconds_bucket{{{OVERFLOW_LABEL}=\"true\",le=\"0.1\"}}")
        )),
        Some(48.0),
        "{text}"
    );
}

/// Creators race the cap from several threads while a watcher reads the
/// family's size: it never exceeds the cap, and no increment is lost.
#[test]
fn concurrent_creators_never_exceed_the_cap() {
    const CAP: usize = 64;
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 5_000;
    let (f, r) = counters("race_total", |o| o.max_series(CAP));
    let stop = AtomicBool::new(false);
    let most = AtomicUsize::new(0);
    thread::scope(|s| {
        let watcher = s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                most.fetch_max(f.len(), Ordering::Relaxed);
            }
        });
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let f = &f;
                s.spawn(move || {
                    for i in 0..PER_THREAD {
                        // Distinct values per thread, some shared.
                        let v = if i % 3 == 0 {
                            i % 100
                        } else {
                            t * 1_000_000 + i
                        };
                        if i % 2 == 0 {
                            f.labels([v]).inc();
                        } else {
                            f.labels_owned([v]).inc();
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        watcher.join().unwrap();
    });
    assert_eq!(f.len(), CAP);
    assert!(most.load(Ordering::Relaxed) <= CAP);
    let text = scrape(&r, Format::Text);
    assert_eq!(
        sum_of(&text, "race_total"),
        (THREADS * PER_THREAD) as f64,
        "{text}"
    );
    assert_eq!(series_count(&text, "race_total"), CAP + 1);
}

/// Sleeps until `f` is true, for at most 5 s.
#[cfg(test)] // test helpers: unwraps allowed
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if f() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn an_update_through_a_held_handle_brings_an_expired_series_back() {
    let (f, r) = counters("held_total", |o| o.expire_after(Duration::from_millis(40)));
    let owned = f.labels_owned(["owned"]);
    owned.inc();
    let borrowed = f.labels(["borrowed"]);
    borrowed.inc_by_u64(2);
    f.labels(["busy"]).inc();
    for format in [Format::Text, Format::OpenMetrics] {
        assert!(scrape(&r, format).contains("k=\"owned\""));
    }
    // Idle past the timeout: gone from every format (the scrapes sweep).
    assert!(eventually(|| {
        f.labels(["busy"]).inc();
        !scrape(&r, Format::Text).contains("k=\"owned\"")
    }));
    assert!(eventually(
        || !scrape(&r, Format::Text).contains("k=\"borrowed\"")
    ));
    for format in [Format::Text, Format::OpenMetrics] {
        let text = scrape(&r, format);
        assert!(!text.contains("k=\"owned\""), "{format:?}: {text}");
        assert!(!text.contains("k=\"borrowed\""), "{format:?}: {text}");
    }
    assert!(r
        .gather()
        .iter()
        .flat_map(|f| f.samples())
        .all(|s| !s.labels.iter().any(|(_, v)| v == "owned")));
    // Held for many sweeps: never released, never orphaned.
    thread::sleep(Duration::from_millis(200));
    for _ in 0..5 {
        scrape(&r, Format::Text);
    }
    owned.inc();
    borrowed.inc();
    let text = scrape(&r, Format::Text);
    assert_eq!(
        sample(&text, "held_total{k=\"owned\"}"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "held_total{k=\"borrowed\"}"),
        Some(3.0),
        "{text}"
    );
    // One series per value: the lookup finds the held one.
    assert_eq!(f.labels(["owned"]).get(), 2.0);
    // The busy series, idle since and held by nothing, was released.
    assert_eq!(series_count(&text, "held_total"), 2, "{text}");
}

#[test]
fn a_lookup_after_expiry_gives_a_live_series() {
    let (f, r) = counters("gone_total", |o| o.expire_after(Duration::from_millis(20)));
    f.labels(["a"]).inc_by_u64(5);
    // Unheld: hidden, then released by later sweeps.
    assert!(eventually(|| {
        scrape(&r, Format::Text);
        f.is_empty()
    }));
    f.labels(["a"]).inc();
    let text = scrape(&r, Format::Text);
    assert_eq!(sample(&text, "gone_total{k=\"a\"}"), Some(1.0), "{text}");
    // Hidden but not yet released: the lookup brings the same series back.
    let (g, rg) = counters("back_total", |o| o.expire_after(Duration::from_millis(20)));
    let held = g.labels_owned(["a"]);
    held.inc_by_u64(5);
    assert!(eventually(|| !scrape(&rg, Format::Text).contains("k=\"a\"")));
    assert_eq!(g.labels(["a"]).get(), 5.0);
    assert_eq!(
        sample(&scrape(&rg, Format::Text), "back_total{k=\"a\"}"),
        Some(5.0)
    );
}

/// A program that is never scraped: creating lookups run the sweeps, so
/// a stream of new values does not grow the family without bound.
#[test]
fn expiry_runs_without_scrapes() {
    let (f, _r) = counters("stream_total", |o| {
        o.expire_after(Duration::from_millis(20))
    });
    let start = Instant::now();
    let mut most = 0;
    let mut v = 0u64;
    while start.elapsed() < Duration::from_millis(1_500) {
        for _ in 0..100 {
            f.labels([v]).inc();
            v += 1;
        }
        most = most.max(f.len());
        thread::sleep(Duration::from_millis(1));
    }
    assert!(v > 10_000, "only {v} values");
    assert!(most < (v / 4) as usize, "{most} series kept of {v} created");
    // Once the stream stops, a few more creating lookups release the rest.
    for i in 0..4 {
        thread::sleep(Duration::from_millis(30));
        f.labels([format!("last{i}")]).inc();
    }
    assert!(f.len() < 10, "{} series kept", f.len());
}

#[test]
fn retain_hides_now_and_a_held_handle_brings_its_series_back() {
    let f = Family::<Gauge, 1>::new(Opts::new("depth", "d").labels(["q"])).unwrap();
    let r = Registry::new();
    r.register(f.clone()).unwrap();
    let kept = f.labels_owned(["held"]);
    kept.set(1.0);
    for q in ["a", "b", "c"] {
        f.labels([q]).set(0.0);
    }
    f.labels(["d"]).set(4.0);
    assert_eq!(f.retain(|_, g| g.get() > 0.5), 3);
    let text = scrape(&r, Format::Text);
    for q in ["a", "b", "c"] {
        assert!(!text.contains(&format!("q=\"{q}\"")), "{text}");
    }
    assert_eq!(sample(&text, "depth{q=\"d\"}"), Some(4.0));
    assert_eq!(f.retain(|[q], _| *q != "held"), 1);
    assert!(!scrape(&r, Format::Text).contains("held"));
    // Released by later sweeps, except the held one.
    assert!(eventually(|| {
        scrape(&r, Format::Text);
        f.len() == 2
    }));
    kept.set(2.0);
    assert_eq!(
        sample(&scrape(&r, Format::Text), "depth{q=\"held\"}"),
        Some(2.0)
    );
}

/// Many threads update handles they hold while expiry (1 ms) and scrapes
/// hide, revive and release series all the time: every update of a held
/// handle is in the final exposition. Owned and borrowed handles are tried
/// apart: a borrowed one pins its thread, which holds every release back.
#[cfg(test)] // test helpers: unwraps allowed
fn churn(borrowed: bool) {
    const THREADS: usize = 4;
    const UPDATES: u64 = 20_000;
    let name = if borrowed {
        "churn_b_total"
    } else {
        "churn_o_total"
    };
    let (f, r) = counters(name, |o| o.expire_after(Duration::from_millis(1)));
    let stop = AtomicBool::new(false);
    let released = AtomicBool::new(false);
    thread::scope(|s| {
        let scraper = s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                scrape(&r, Format::Text);
            }
        });
        let churn = s.spawn(|| {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                f.labels([format!("tmp{}", i % 500)]).inc();
                if f.len() < 500 {
                    released.store(true, Ordering::Relaxed);
                }
                i += 1;
            }
        });
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let f = &f;
                s.spawn(move || {
                    let value = format!("held{t}");
                    let count = |h: &Counter| {
                        for i in 0..UPDATES {
                            h.inc();
                            if i % 500 == 0 {
                                thread::sleep(Duration::from_millis(3));
                            }
                        }
                        // Still held: a lookup finds this very series,
                        // with every update.
                        assert_eq!(f.labels([&value]).get(), UPDATES as f64, "{value}");
                    };
                    if borrowed {
                        count(&f.labels([&value]));
                    } else {
                        count(&f.labels_owned([&value]));
                    }
                })
            })
            .collect();
        // Joined before any assertion fails, so that the loops stop.
        let results: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
        stop.store(true, Ordering::Relaxed);
        scraper.join().unwrap();
        churn.join().unwrap();
        for r in results {
            r.unwrap();
        }
    });
    if !borrowed {
        // Series were released meanwhile (so the held ones were at risk).
        assert!(released.load(Ordering::Relaxed));
    }
}

#[test]
fn owned_handles_lose_no_update_under_constant_expiry() {
    churn(false);
}

#[test]
fn borrowed_handles_lose_no_update_under_constant_expiry() {
    churn(true);
}

#[test]
fn limits_out_of_range_are_refused_with_the_metric_named() {
    let opts = || Opts::new("bad_total", "b").labels(["k"]);
    let err = Family::<Counter, 1>::new(opts().max_series(0)).unwrap_err();
    assert!(err.to_string().contains("`bad_total`"), "{err}");
    assert!(err.to_string().contains("max_series"), "{err}");
    for d in [Duration::ZERO, Duration::from_secs(25 * 86_400)] {
        let err = Family::<Counter, 1>::new(opts().expire_after(d)).unwrap_err();
        assert!(err.to_string().contains("expire_after"), "{err}");
    }
    // Limits belong to labelled families.
    let err = Counter::with_opts(Opts::new("flat_total", "f").max_series(3)).unwrap_err();
    assert!(err.to_string().contains("labelled"), "{err}");
}

/// The first overflow of a family logs one warning; later ones none.
#[test]
fn the_first_overflow_logs_once() {
    use tracing::subscriber::with_default;
    use tracing::{span, Event, Metadata, Subscriber};

    #[derive(Default)]
    struct Count(AtomicUsize);
    impl Subscriber for Count {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
            span::Id::from_u64(1)
        }
        fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
        fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
        fn event(&self, e: &Event<'_>) {
            if e.metadata().level() == &tracing::Level::WARN {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        fn enter(&self, _: &span::Id) {}
        fn exit(&self, _: &span::Id) {}
    }
    let count = Arc::new(Count::default());
    let (f, _r) = counters("logged_total", |o| o.max_series(1));
    with_default(count.clone(), || {
        for v in 0..100 {
            f.labels([v]).inc();
        }
    });
    assert_eq!(count.0.load(Ordering::Relaxed), 1);
}

/// A family kept full by idle series, never scraped: its lookups past the
/// cap still run the sweeps now and then, so the idle series are released
/// and a new combination gets a series of its own again.
#[test]
fn a_full_family_releases_idle_series_without_scrapes() {
    let (f, _r) = counters("full_total", |o| {
        o.max_series(100).expire_after(Duration::from_millis(20))
    });
    for v in 0..100u32 {
        f.labels([v]).inc();
    }
    f.labels(["over"]).inc();
    assert_eq!(f.len(), 100);
    assert!(eventually(|| {
        for _ in 0..64 {
            f.labels(["over"]).inc();
        }
        // The overflow series has counted; a new series starts at 0.
        f.labels(["probe"]).get() == 0.0
    }));
}
