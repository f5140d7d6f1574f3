//! Within one scrape, a histogram's and a summary's `_sum`, `_count` and
//! buckets describe the same set of observations, even while other threads
//! observe: two writers, one scraper, 10,000 scrapes through the text
//! encoder, each parsed back. No scrape may be torn (a sum that does not
//! match the counts, a `_count` other than the `+Inf` bucket), have
//! non-cumulative buckets, or show a count or sum below the previous
//! scrape's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;

use promscribe::{
    default_registry, encode_text, parse_text, Buckets, Family, Histogram, MetricFamily, Opts,
    Point, Summary,
};

const SCRAPES: usize = 10_000;

promscribe::histogram!(
    STATIC_SECONDS,
    "stress_static_seconds",
    "Both writers observe 1.0",
    buckets = [0.5, 1.0, 2.0]
);

/// What one histogram or summary showed in one scrape.
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    count: f64,
    sum: f64,
    /// The non-cumulative count of each bucket, for the mixed histogram.
    low: f64,
    high: f64,
}

#[derive(Debug, Default)]
struct Problems {
    torn: Vec<String>,
    non_cumulative: Vec<String>,
    decreasing: Vec<String>,
}

impl Problems {
    fn total(&self) -> usize {
        self.torn.len() + self.non_cumulative.len() + self.decreasing.len()
    }
}

fn family<'a>(families: &'a [MetricFamily], name: &str) -> &'a MetricFamily {
    families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no family {name} in the scrape"))
}

/// Checks one histogram of a scrape; `expected_sum` tells the sum its
/// buckets imply.
fn histogram(
    families: &[MetricFamily],
    name: &str,
    problems: &mut Problems,
    expected_sum: impl Fn(&[f64]) -> f64,
) -> Seen {
    let f = family(families, name);
    assert_eq!(f.metrics.len(), 1, "{name}: one series");
    let Point::Histogram(h) = &f.metrics[0].point else {
        panic!("{name}: not a histogram: {:?}", f.metrics[0].point);
    };
    let count = h.count.unwrap_or(f64::NAN);
    let sum = h.sum.unwrap_or(f64::NAN);
    if h.counts.windows(2).any(|w| w[1] < w[0]) {
        problems
            .non_cumulative
            .push(format!("{name}: buckets {:?}", h.counts));
    }
    let inf = h.counts.last().copied().unwrap_or(f64::NAN);
    if inf != count {
        problems
            .torn
            .push(format!("{name}: _count {count}, +Inf bucket {inf}"));
    }
    let expected = expected_sum(&h.counts);
    if sum != expected {
        problems.torn.push(format!(
            "{name}: _sum {sum}, the buckets {:?} imply {expected}",
            h.counts
        ));
    }
    Seen {
        count,
        sum,
        low: h.counts.first().copied().unwrap_or(0.0),
        high: inf
            - h.counts
                .get(h.counts.len().wrapping_sub(2))
                .copied()
                .unwrap_or(0.0),
    }
}

fn summary(families: &[MetricFamily], name: &str, problems: &mut Problems) -> Seen {
    let f = family(families, name);
    let Point::Summary(s) = &f.metrics[0].point else {
        panic!("{name}: not a summary: {:?}", f.metrics[0].point);
    };
    let count = s.count.unwrap_or(f64::NAN);
    let sum = s.sum.unwrap_or(f64::NAN);
    if sum != count {
        problems.torn.push(format!(
            "{name}: _sum {sum}, _count {count} (every value 1.0)"
        ));
    }
    Seen {
        count,
        sum,
        ..Seen::default()
    }
}

fn not_below(name: &str, before: Seen, now: Seen, problems: &mut Problems) {
    if now.count < before.count
        || now.sum < before.sum
        || now.low < before.low
        || now.high < before.high
    {
        problems
            .decreasing
            .push(format!("{name}: {before:?} then {now:?}"));
    }
}

#[test]
fn sum_count_and_buckets_agree_in_every_scrape() {
    let bounds = || Buckets::new([0.5, 1.0, 2.0]).expect("valid");
    let runtime =
        Histogram::with_opts(Opts::new("stress_runtime_seconds", "R"), bounds()).expect("valid");
    let mixed =
        Histogram::with_opts(Opts::new("stress_mixed_seconds", "M"), bounds()).expect("valid");
    let children = Family::<Histogram, 1>::with_buckets(
        Opts::new("stress_family_seconds", "F").labels(["kind"]),
        bounds(),
    )
    .expect("valid");
    let summary_metric = Summary::new("stress_summary_seconds", "S").expect("valid");
    let registry = default_registry();
    registry.register(runtime.clone()).expect("no clash");
    registry.register(mixed.clone()).expect("no clash");
    registry.register(children.clone()).expect("no clash");
    registry.register(summary_metric.clone()).expect("no clash");
    let child = children.labels_owned(["shared"]);

    let stop = AtomicBool::new(false);
    let start = Barrier::new(3);
    let mut problems = Problems::default();
    let mut changes = 0usize;
    std::thread::scope(|s| {
        for writer in 0..2 {
            let (runtime, mixed, child, summary_metric) =
                (&runtime, &mixed, &child, &summary_metric);
            let (stop, start) = (&stop, &start);
            s.spawn(move || {
                start.wait();
                // Powers of two: every sum is exact.
                let spread = if writer == 0 { 0.25 } else { 4.0 };
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..64 {
                        STATIC_SECONDS.observe(1.0);
                        runtime.observe(1.0);
                        child.observe(1.0);
                        summary_metric.observe(1.0);
                        mixed.observe(spread);
                    }
                    // Leaves the scraper a CPU on a two-CPU machine.
                    std::thread::yield_now();
                }
            });
        }
        start.wait();
        let names = [
            "stress_static_seconds",
            "stress_runtime_seconds",
            "stress_family_seconds",
            "stress_summary_seconds",
            "stress_mixed_seconds",
        ];
        let mut last = [Seen::default(); 5];
        for _ in 0..SCRAPES {
            let text = encode_text(registry);
            let families = parse_text(&text).expect("the exposition parses");
            let ones = |c: &[f64]| c.last().copied().unwrap_or(0.0);
            let seen = [
                histogram(&families, names[0], &mut problems, ones),
                histogram(&families, names[1], &mut problems, ones),
                histogram(&families, names[2], &mut problems, ones),
                summary(&families, names[3], &mut problems),
                histogram(&families, names[4], &mut problems, |c| {
                    // 0.25 lands in le=0.5, 4.0 in +Inf only.
                    0.25 * c[0] + 4.0 * (c[3] - c[2])
                }),
            ];
            for (i, now) in seen.into_iter().enumerate() {
                not_below(names[i], last[i], now, &mut problems);
                if now.count != last[i].count {
                    changes += 1;
                }
                last[i] = now;
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    // The writers ran during the scrapes (else nothing was tested).
    assert!(changes > 0, "no scrape saw an observation");
    assert_eq!(
        problems.total(),
        0,
        "{} torn (first: {:?}), {} non-cumulative (first: {:?}), {} decreasing (first: {:?}) in {SCRAPES} scrapes",
        problems.torn.len(),
        problems.torn.first(),
        problems.non_cumulative.len(),
        problems.non_cumulative.first(),
        problems.decreasing.len(),
        problems.decreasing.first(),
    );
}
