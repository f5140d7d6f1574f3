//! Summary quantiles against the exact quantiles of the window: on
//! 1,000,000 values each of uniform, log-normal and bimodal input, and on
//! sorted and reverse-sorted input, every exposed quantile's rank is
//! within its objective's error of the target rank; old observations
//! leave the window on time (a clock the test moves); a scrape read while
//! other threads observe shows a count, a sum and quantiles of one state.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use promscribe::{encode_text, parse_text, Opts, Point, Registry, Summary, SummaryQuantiles};

const N: usize = 1_000_000;

/// xorshift64*: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in (0, 1).
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn objectives() -> SummaryQuantiles {
    SummaryQuantiles::new(&SummaryQuantiles::DEFAULT_OBJECTIVES).expect("valid objectives")
}

fn summary(clock: &Arc<AtomicU64>) -> Arc<Summary> {
    Summary::__with_quantiles_manual_clock(
        Opts::new("latency_seconds", "Latency"),
        objectives(),
        clock.clone(),
    )
    .expect("a summary")
}

/// The largest rank error of `s`'s quantiles against the sorted `window`,
/// as a fraction of the objective's allowance (<= 1 passes).
fn worst_ratio(s: &Summary, window: &mut [f64]) -> f64 {
    window.sort_unstable_by(f64::total_cmp);
    let n = window.len() as f64;
    let mut worst: f64 = 0.0;
    let quantiles = s.get_quantiles();
    assert_eq!(quantiles.len(), 3);
    for ((q, v), (q2, eps)) in quantiles
        .into_iter()
        .zip(SummaryQuantiles::DEFAULT_OBJECTIVES)
    {
        assert_eq!(q, q2);
        let target = (q * n).ceil().clamp(1.0, n);
        // The ranks `v` holds (1-based, ties included).
        let first = window.partition_point(|x| *x < v) as f64 + 1.0;
        let last = window.partition_point(|x| *x <= v) as f64;
        assert!(last >= first, "{v} is not an observed value");
        let err = if last < target {
            target - last
        } else if first > target {
            first - target
        } else {
            0.0
        };
        worst = worst.max(err / (eps * n));
    }
    worst
}

fn check(name: &str, values: Vec<f64>) {
    check_within(name, values, 16 * 1024);
}

fn check_within(name: &str, values: Vec<f64>, max_bytes: usize) {
    let clock = Arc::new(AtomicU64::new(0));
    let s = summary(&clock);
    for v in &values {
        s.observe(*v);
    }
    assert_eq!(s.get_count(), N as u64);
    let mut window = values;
    let ratio = worst_ratio(&s, &mut window);
    println!(
        "{name}: worst rank error {ratio:.3} of epsilon, {} bytes",
        s.__quantile_bytes()
    );
    assert!(ratio <= 1.0, "{name}: rank error {ratio} x epsilon");
    assert!(
        s.__quantile_bytes() <= max_bytes,
        "{name}: {} bytes",
        s.__quantile_bytes()
    );
}

#[test]
fn uniform() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    check("uniform", (0..N).map(|_| r.unit()).collect());
}

#[test]
fn log_normal() {
    let mut r = Rng(0xD1B5_4A32_D192_ED03);
    check(
        "log-normal",
        (0..N).map(|_| (0.5 * r.normal()).exp()).collect(),
    );
}

#[test]
fn bimodal() {
    let mut r = Rng(0x8CB9_2BA7_2F3D_8DD7);
    check(
        "bimodal",
        (0..N)
            .map(|_| {
                if r.unit() < 0.7 {
                    0.01 + 0.001 * r.normal()
                } else {
                    1.0 + 0.1 * r.normal()
                }
            })
            .collect(),
    );
}

#[test]
fn sorted() {
    check("sorted", (0..N).map(|i| i as f64).collect());
}

#[test]
fn reverse_sorted() {
    check("reverse-sorted", (0..N).rev().map(|i| i as f64).collect());
}

/// Few distinct values: a batch's copies of one value land in one gap of
/// a stream, inserted with that gap's rank uncertainty, so fewer of them
/// merge: about 21 KB here, the one input measured above 16 KB.
#[test]
fn ties() {
    let mut r = Rng(42);
    check_within(
        "ties",
        (0..N).map(|_| (r.next() % 10) as f64).collect(),
        24 * 1024,
    );
}

/// An observation leaves the window by `max_age` after it was recorded,
/// and stays for at least `max_age * (1 - 1/age_buckets)`.
#[test]
fn old_observations_leave_the_window() {
    let clock = Arc::new(AtomicU64::new(0));
    let s = Summary::__with_quantiles_manual_clock(
        Opts::new("w_seconds", "W"),
        objectives()
            .max_age(Duration::from_secs(600))
            .and_then(|q| q.age_buckets(5))
            .expect("valid"),
        clock.clone(),
    )
    .expect("a summary");
    let secs = |t: u64| clock.store(t * 1_000_000_000, Ordering::Relaxed);
    // 1,000 low values at t=0 (scraped then, so merged then).
    for i in 0..1000 {
        s.observe(i as f64);
    }
    let median = s.get_quantiles()[0].1;
    assert!((449.0..=551.0).contains(&median), "median {median}");
    // 8 minutes later (480 s = max_age * 4/5 - 0): still there.
    secs(479);
    for i in 0..1000 {
        s.observe(10_000.0 + i as f64);
    }
    let median = s.get_quantiles()[0].1;
    assert!(
        median < 10_100.0,
        "the old half left early: median {median}"
    );
    // 10 minutes after the first batch: it is gone, the second stays.
    secs(600);
    let q = s.get_quantiles();
    assert!(
        q.iter().all(|(_, v)| *v >= 10_000.0),
        "old values still in {q:?}"
    );
    let mut window: Vec<f64> = (0..1000).map(|i| 10_000.0 + i as f64).collect();
    assert!(worst_ratio(&s, &mut window) <= 1.0);
    // 10 minutes after the second: nothing.
    secs(479 + 600);
    assert!(s.get_quantiles().iter().all(|(_, v)| v.is_nan()));
    // `_count` and `_sum` are totals, as Go's.
    assert_eq!(s.get_count(), 2000);
}

/// Two writers observe 1.0 while a scraper encodes and parses: every
/// scrape's sum equals its count, quantiles are 1.0 once any observation
/// shows, and the count never goes down.
#[test]
fn a_concurrent_scrape_is_consistent() {
    let clock = Arc::new(AtomicU64::new(0));
    let s = summary(&clock);
    let registry = Registry::new();
    registry.register(s.clone()).expect("registered");
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    s.observe(1.0);
                }
            });
        }
        let mut last = 0.0;
        for _ in 0..2000 {
            let text = encode_text(&registry);
            let families = parse_text(&text).expect("parses");
            let Some(Point::Summary(p)) = families
                .iter()
                .find(|f| f.name == "latency_seconds")
                .and_then(|f| f.metrics.first())
                .map(|m| m.point.clone())
            else {
                panic!("no summary in {text}");
            };
            let (count, sum) = (p.count.unwrap_or(-1.0), p.sum.unwrap_or(-1.0));
            assert_eq!(count, sum, "torn: {text}");
            assert!(count >= last, "count went down: {last} then {count}");
            last = count;
            assert_eq!(p.quantiles.len(), 3);
            for (_, v) in &p.quantiles {
                assert!(if count > 0.0 { *v == 1.0 } else { v.is_nan() }, "{text}");
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
}
