//! The cost of a series cap (`Opts::max_series`) on the hot path:
//! `cargo bench -p metrics-bench --bench bounded`.
//!
//! Every group holds one `Family<Counter, 1>` with 10,000 series (label
//! `path`, values such as `/api/v1/item/1234`) and times
//! `family.labels([v]).inc()`, `v` taken in turn from a pre-built array of
//! strings (so that each lookup hashes and compares a different value, and
//! reaches a different series):
//!
//! - `family_at_cap/hit`: a family with `max_series = 10_000`, `v` among its
//!   10,000 series;
//! - `family_at_cap/past_cap`: the same family, `v` among 100,000 values it
//!   has never seen: each lookup misses and gets the overflow series;
//! - `family_at_cap/hit_expiring` and `family_at_cap/past_cap_expiring`:
//!   the same with `expire_after` set as well (an hour: nothing expires
//!   during a run), where a lookup that misses checks whether a sweep is due;
//! - `family_at_cap/hit_uncapped`: a family without a cap or an idle
//!   timeout holding the same 10,000 series, for reference.
//!
//! The ratio `past_cap / hit` is the cost of a value past the cap against a
//! value that has its series. `floor_elapsed_ms/floor` times what a family
//! with an idle timeout reads to decide whether a sweep is due: the
//! milliseconds elapsed since a start (`Instant::elapsed`, as `u32`).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Bencher, Criterion};
use promscribe::{Counter, Family, Opts};

/// The family's cap, and the number of series it holds.
const CAP: usize = 10_000;
/// The number of distinct values the family has never seen.
const UNSEEN: usize = 100_000;

/// The label value `i`: the first `CAP` are the family's series.
fn value(i: usize) -> String {
    format!("/api/v1/item/{i}")
}

/// A family with label `path`, the given limits, and the first `CAP`
/// values as series (each incremented once).
fn family(
    name: &str,
    max_series: Option<usize>,
    expire_after: Option<Duration>,
) -> Arc<Family<Counter, 1>> {
    let mut opts = Opts::new(name, "Requests.").labels(["path"]);
    if let Some(max) = max_series {
        opts = opts.max_series(max);
    }
    if let Some(after) = expire_after {
        opts = opts.expire_after(after);
    }
    let family = Family::<Counter, 1>::new(opts).expect("valid family");
    for i in 0..CAP {
        family.labels([value(i).as_str()]).inc();
    }
    assert_eq!(family.len(), CAP);
    family
}

/// Times `labels([v]).inc()` with `v` taken in turn from `values`.
fn cycle(b: &mut Bencher<'_>, family: &Family<Counter, 1>, values: &[String]) {
    let mut i = 0;
    b.iter(|| {
        let v = values[i].as_str();
        i += 1;
        if i == values.len() {
            i = 0;
        }
        family.labels([black_box(v)]).inc();
    });
}

fn family_at_cap(c: &mut Criterion) {
    let seen: Vec<String> = (0..CAP).map(value).collect();
    let unseen: Vec<String> = (CAP..CAP + UNSEEN).map(value).collect();
    let capped = family("bench_capped_total", Some(CAP), None);
    let expire = Duration::from_secs(3600);
    let expiring = family("bench_capped_expiring_total", Some(CAP), Some(expire));
    let uncapped = family("bench_uncapped_total", None, None);

    let mut g = c.benchmark_group("family_at_cap");
    g.bench_function("hit", |b| cycle(b, &capped, &seen));
    g.bench_function("past_cap", |b| cycle(b, &capped, &unseen));
    g.bench_function("hit_expiring", |b| cycle(b, &expiring, &seen));
    g.bench_function("past_cap_expiring", |b| cycle(b, &expiring, &unseen));
    g.bench_function("hit_uncapped", |b| cycle(b, &uncapped, &seen));
    g.finish();

    // Every value past the cap went to the overflow series: none was added.
    assert_eq!(capped.len(), CAP);
    assert_eq!(expiring.len(), CAP);
}

fn floor_elapsed_ms(c: &mut Criterion) {
    let start = Instant::now();
    c.benchmark_group("floor_elapsed_ms")
        .bench_function("floor", |b| {
            b.iter(|| black_box(&start).elapsed().as_millis() as u32)
        });
}

criterion_group!(benches, family_at_cap, floor_elapsed_ms);
criterion_main!(benches);
