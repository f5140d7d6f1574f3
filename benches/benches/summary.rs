//! Summary quantiles: the cost of an observation (one thread, two
//! threads) against `Histogram::observe`, a summary without quantiles,
//! the same sketch with a mutex taken per observation, and the least a
//! mutex per observation costs (a push into a vector under it); and the
//! bytes of a summary's quantile state (printed).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use promscribe::{Histogram, Opts, Summary, SummaryQuantiles};

fn quantiles() -> Arc<Summary> {
    let q = SummaryQuantiles::new(&SummaryQuantiles::DEFAULT_OBJECTIVES).expect("valid");
    Summary::with_quantiles(Opts::new("q_seconds", "Q"), q).expect("a summary")
}

/// Runs `f(i)` `iters` times on each of `threads` threads; the time of
/// the slowest, divided by `iters`, is criterion's per-iteration time.
fn threaded(threads: usize, iters: u64, f: &(dyn Fn(u64) + Sync)) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for i in 0..iters {
                    f(i);
                }
            });
        }
    });
    start.elapsed()
}

fn observe(c: &mut Criterion) {
    let h = Histogram::new("h_seconds", "H").expect("a histogram");
    let plain = Summary::new("s_seconds", "S").expect("a summary");
    let q = quantiles();
    let locked = quantiles();
    let m: Mutex<Vec<f64>> = Mutex::new(Vec::new());
    // Spread over 0 to 1 s in a scrambled order, as latencies come.
    let value = |i: u64| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 44) as f64 * 1e-6;
    let mutexed = |v: f64| {
        let mut g = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        g.push(v);
        if g.len() >= 500 {
            g.clear();
        }
    };
    for threads in [1usize, 2] {
        let mut g = c.benchmark_group(format!("summary_observe_{threads}_thread"));
        g.bench_function("histogram", |b| {
            b.iter_custom(|n| threaded(threads, n, &|i| h.observe(value(i))))
        });
        g.bench_function("summary_plain", |b| {
            b.iter_custom(|n| threaded(threads, n, &|i| plain.observe(value(i))))
        });
        g.bench_function("summary_quantiles", |b| {
            b.iter_custom(|n| threaded(threads, n, &|i| q.observe(value(i))))
        });
        // The same sketch with its lock taken on every observation.
        g.bench_function("summary_quantiles_mutex", |b| {
            b.iter_custom(|n| threaded(threads, n, &|i| locked.__observe_locked(value(i))))
        });
        g.bench_function("mutex_per_observe", |b| {
            b.iter_custom(|n| threaded(threads, n, &|i| mutexed(value(i))))
        });
        g.finish();
    }
    let s = quantiles();
    for i in 0..1_000_000u64 {
        s.observe(value(i));
    }
    s.get_count();
    println!(
        "summary quantile state, 3 default objectives, 1 thread: {} bytes",
        s.__quantile_bytes()
    );
}

criterion_group!(benches, observe);
criterion_main!(benches);
