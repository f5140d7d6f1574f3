//! Cost of turning the peer workload into one remote-write request:
//! `cargo bench -p metrics-bench --bench remote_write`.
//!
//! The workload of the `encode` benchmark (10,000 counter series with two
//! labels, 1,000 histogram series with one label and 11 bounds), gathered
//! from the registry, becomes the series a text scrape stores
//! (`series_of`: 10,000 `_total` series; 12 `_bucket`, `_sum` and
//! `_count` series per histogram, 24,000 in all, no `_created`, as the
//! peers write none), then the request body (`encode_request`: protobuf,
//! then Snappy's block format). Measured apart and together, gathering
//! included in the last. The request's size before and after Snappy is
//! printed once (`remote_write request ...`).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use metrics_bench::workload::{promscribe_registry, BOUNDS, HISTOGRAM_SERIES, METHODS, PATHS};
use prost::Message;

// The encoder is crate-private; its two files are compiled in here as
// they are (they only use each other, as `super::proto`, and public items).
#[allow(dead_code, unreachable_pub)]
#[path = "../../metrics-export/src/remote_write/encode.rs"]
mod encode;
#[allow(dead_code, unreachable_pub)]
#[path = "../../metrics-export/src/remote_write/proto.rs"]
mod proto;

use encode::{encode_request, series_of, SeriesOptions};
use proto::WriteRequest;

const NOW_MS: i64 = 1_700_000_000_000;

fn remote_write(c: &mut Criterion) {
    let mut g = c.benchmark_group("remote_write_10k_counters_1k_histograms");
    let registry = promscribe_registry();
    let opts = SeriesOptions {
        created: false,
        exemplars: true,
        native_histograms: false,
    };
    let families = registry.gather();
    let (timeseries, metadata, errors) = series_of(&families, NOW_MS, &opts);
    assert!(errors.is_empty(), "{errors:?}");
    let want = PATHS * METHODS.len() + HISTOGRAM_SERIES * (BOUNDS.len() + 1 + 2);
    assert_eq!(timeseries.len(), want, "series");
    let request = WriteRequest {
        timeseries,
        metadata,
    };
    let raw = request.encode_to_vec().len();
    let body = encode_request(&request);
    println!(
        "remote_write request: {} series, {raw} bytes of protobuf, {} bytes after Snappy",
        request.timeseries.len(),
        body.len()
    );

    g.bench_function("series_of", |b| {
        b.iter(|| black_box(series_of(black_box(&families), NOW_MS, &opts)))
    });
    g.bench_function("encode_request", |b| {
        b.iter(|| black_box(encode_request(black_box(&request))))
    });
    g.bench_function("gather_series_of_encode_request", |b| {
        b.iter(|| {
            let families = black_box(&registry).gather();
            let (timeseries, metadata, _) = series_of(&families, NOW_MS, &opts);
            black_box(encode_request(&WriteRequest {
                timeseries,
                metadata,
            }))
        })
    });
    g.finish();
}

criterion_group!(benches, remote_write);
criterion_main!(benches);
