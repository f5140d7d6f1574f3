//! What a labelled series costs to create: one allocation (the child,
//! label values of up to 30 bytes included), two with longer values,
//! besides the growth of the family's list and table (a few allocations
//! per doubling). Counted with a counting global allocator.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{allocated, Counting};

use promscribe::{Counter, Family, Opts};

#[global_allocator]
static GLOBAL: Counting = Counting;

const SERIES: usize = 10_000;

/// Allocations made creating one series of `f` per pair of `values`
/// (formatted beforehand), each incremented once.
fn allocations_per_series(values: &[(String, String)]) -> f64 {
    let f = Family::<Counter, 2>::new(Opts::new("requests_total", "R").labels(["method", "path"]))
        .expect("valid");
    // The first child sets up what every family and thread sets up once.
    f.labels(["warm", "up"]).inc();
    let before = allocated();
    for (method, path) in values {
        f.labels([method, path]).inc();
    }
    let made = allocated() - before;
    assert_eq!(f.len(), values.len() + 1);
    made as f64 / values.len() as f64
}

/// Both cases in one test: the test is the only one of this binary, so no
/// other thread allocates meanwhile.
#[test]
fn a_labelled_series_is_one_allocation_two_with_long_values() {
    // "delete" + "/api/v1/item/9999" and their separators: 25 bytes.
    let short: Vec<_> = (0..SERIES)
        .map(|i| {
            (
                ["get", "delete"][i % 2].to_owned(),
                format!("/api/v1/item/{i}"),
            )
        })
        .collect();
    let per_series = allocations_per_series(&short);
    assert!(
        per_series < 1.01,
        "{per_series} allocations per series with short values"
    );
    // 51 bytes: the values get a box of their own.
    let long: Vec<_> = (0..SERIES)
        .map(|i| {
            (
                "get".to_owned(),
                format!("/api/v1/organizations/some-tenant/items/{i:05}"),
            )
        })
        .collect();
    let per_series = allocations_per_series(&long);
    assert!(
        per_series < 2.01,
        "{per_series} allocations per series with long values"
    );
}
