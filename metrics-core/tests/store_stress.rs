//! The child store under load, for a fixed time (`STRESS_SECS`, default
//! 2): lookups (`labels`, `labels_owned`, enum lookups through the dense
//! array) race `remove`, `remove_by_labels`, `clear` and scrapes (`encode`
//! through a `Registry`, both text formats). Every value read must be
//! plausible, every scraped label set one that was created, and no
//! increment of a child nobody removes may be lost: a child freed under a
//! reader would show as garbage (or, under valgrind or with
//! `MALLOC_PERTURB_`, as an invalid read or a poisoned value).
//! `scripts/test` also runs it under valgrind memcheck and with
//! `MALLOC_PERTURB_=165`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use promscribe::{
    encode, Counter, EncodeOptions, Family, Format, Gauge, LabelValue, Opts, Registry,
};

/// Children of `strings` that nobody removes.
const STABLE: usize = 4;
/// Children of `strings` that the remover removes and readers recreate.
const CHURN: usize = 32;
/// Values of its second label.
const VS: usize = 4;
/// No value read can be larger: far more than any thread increments in
/// the test's time.
const MAX_PLAUSIBLE: f64 = 1e10;

#[derive(Clone, Copy, LabelValue)]
enum Method {
    Get,
    Post,
    Put,
}

#[derive(Clone, Copy, LabelValue)]
enum Outcome {
    Ok,
    Error,
}

const METHODS: [Method; 3] = [Method::Get, Method::Post, Method::Put];
const OUTCOMES: [Outcome; 2] = [Outcome::Ok, Outcome::Error];

fn key(i: usize) -> String {
    if i < STABLE {
        format!("s{i}")
    } else {
        format!("c{}", i - STABLE)
    }
}

fn stress_time() -> Duration {
    let secs = std::env::var("STRESS_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(secs)
}

/// A counter's value as read: a whole number of increments, in range.
fn assert_plausible(v: f64, what: &str) {
    assert!(
        v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= MAX_PLAUSIBLE,
        "{what}: implausible value {v}"
    );
}

/// Every label set the test ever creates, as the text formats write it.
fn created_label_sets() -> HashSet<String> {
    let mut sets = HashSet::new();
    for i in 0..STABLE + CHURN {
        for v in 0..VS {
            sets.insert(format!("k=\"{}\",v=\"v{v}\"", key(i)));
        }
    }
    for m in METHODS {
        for o in OUTCOMES {
            let (m, o) = (m.label_text(), o.label_text());
            sets.insert(format!(
                "method=\"{}\",outcome=\"{}\"",
                m.as_str(),
                o.as_str()
            ));
        }
    }
    sets
}

/// Checks every sample line of `text`: a label set that was created (or
/// none), a plausible value. Returns how many lines it checked.
fn check_scrape(text: &str, sets: &HashSet<String>, created: bool) -> usize {
    let mut lines = 0;
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (
                name,
                rest.strip_suffix('}').unwrap_or_else(|| panic!("{line}")),
            ),
            None => (series, ""),
        };
        assert!(
            labels.is_empty() || sets.contains(labels),
            "a label set never created: {line}"
        );
        if name.ends_with("_created") {
            assert!(created, "{line}");
            assert!(value.is_finite() && value > 1e9, "{line}");
        } else {
            assert_plausible(value, line);
        }
        lines += 1;
    }
    lines
}

#[test]
fn lookups_race_removals_clears_and_scrapes() {
    let registry = Registry::new();
    let strings = Family::<Counter, 2>::new(Opts::new("strings_total", "S").labels(["k", "v"]))
        .expect("valid");
    let enums = Family::<Gauge, 2>::new(Opts::new("enums", "E").labels(["method", "outcome"]))
        .expect("valid");
    registry.register(strings.clone()).expect("no clash");
    registry.register(enums.clone()).expect("no clash");
    let sets = created_label_sets();
    let deadline = Instant::now() + stress_time();
    let stop = AtomicBool::new(false);
    let stable_incs = AtomicU64::new(0);
    let scraped = AtomicU64::new(0);

    std::thread::scope(|s| {
        for t in 0..2 {
            let (strings, enums, stop, stable_incs) = (&strings, &enums, &stop, &stable_incs);
            s.spawn(move || {
                let mut r = t as u64;
                let mut mine = 0;
                while !stop.load(Ordering::Relaxed) {
                    r = r
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let (i, v) = ((r >> 33) % STABLE as u64, (r >> 40) % VS as u64);
                    let stable = strings.labels([format!("s{i}"), format!("v{v}")]);
                    stable.inc();
                    mine += 1;
                    assert_plausible(stable.get(), "stable child");
                    drop(stable);

                    let (c, v) = ((r >> 20) % CHURN as u64, (r >> 50) % VS as u64);
                    let churn = strings.labels((format!("c{c}"), format!("v{v}")));
                    churn.inc();
                    if r & 1 == 0 {
                        // Let the remover run while this child is held
                        // (under valgrind, threads take turns).
                        std::thread::yield_now();
                    }
                    assert_plausible(churn.get(), "churned child");
                    assert!(churn.get() >= 1.0);
                    drop(churn);

                    let owned =
                        strings.labels_owned([format!("c{}", (c + 1) % CHURN as u64), "v0".into()]);
                    owned.inc();
                    assert_plausible(owned.get(), "owned child");

                    let m = METHODS[(r >> 12) as usize % METHODS.len()];
                    let o = OUTCOMES[(r >> 16) as usize % OUTCOMES.len()];
                    let e = enums.labels((m, o));
                    e.inc();
                    assert_plausible(e.get(), "enum child");
                    assert!(e.get() >= 1.0);
                    drop(e);
                    assert_plausible(owned.get(), "owned child, later");
                }
                stable_incs.fetch_add(mine, Ordering::Relaxed);
            });
        }
        {
            let (strings, enums, stop) = (&strings, &enums, &stop);
            s.spawn(move || {
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    strings.remove([format!("c{}", i % CHURN), format!("v{}", i % VS)]);
                    if i.is_multiple_of(7) {
                        let k = format!("c{}", (i / 7) % CHURN);
                        strings
                            .remove_by_labels(&[("k", k.as_str())])
                            .expect("known label");
                    }
                    enums.remove((METHODS[i % METHODS.len()], OUTCOMES[i % OUTCOMES.len()]));
                    if i.is_multiple_of(13) {
                        enums.clear();
                    }
                    i += 1;
                    std::thread::yield_now();
                }
            });
        }
        {
            let (registry, sets, stop, scraped) = (&registry, &sets, &stop, &scraped);
            s.spawn(move || {
                let mut out = String::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let created = n.is_multiple_of(2);
                    let format = if n.is_multiple_of(3) {
                        Format::OpenMetrics
                    } else {
                        Format::Text
                    };
                    let options = EncodeOptions::default().created(created);
                    out.clear();
                    encode(&mut out, registry, format, &options).expect("a String never fails");
                    scraped.fetch_add(check_scrape(&out, sets, created) as u64, Ordering::Relaxed);
                    n += 1;
                }
            });
        }
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
    });

    // No increment of a child nobody removed was lost.
    let mut total = 0.0;
    for i in 0..STABLE {
        for v in 0..VS {
            total += strings.labels([format!("s{i}"), format!("v{v}")]).get();
        }
    }
    let incs = stable_incs.load(Ordering::Relaxed);
    let lines = scraped.load(Ordering::Relaxed);
    eprintln!("{incs} rounds of lookups, {lines} scraped sample lines checked");
    assert_eq!(total, incs as f64);
    assert!(lines > 0, "no scrape finished");
    assert!(strings.len() >= STABLE * VS);
}
