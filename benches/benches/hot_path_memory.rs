//! Heap bytes per labelled series, ours and the peers': each library
//! builds a counter family of 100,000 series with two labels (`method`,
//! one of four; `path`, `/api/v1/item/{i}`), each incremented once; a
//! counting global allocator gives the bytes still allocated afterwards,
//! divided by the number of series (the map's spare capacity included),
//! and the allocations still live, likewise. Prints one
//! `heap_per_series <library>: <bytes>` and one
//! `allocations_per_series <library>: <count>` line per library:
//! `cargo bench -p metrics-bench --bench hot_path_memory`.

// The counting allocator is the one place that needs `unsafe`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static LIVE_BLOCKS: AtomicIsize = AtomicIsize::new(0);

fn size(layout: Layout) -> isize {
    isize::try_from(layout.size()).unwrap_or(isize::MAX)
}

// SAFETY: forwards to the system allocator; only counts the live bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(size(layout), Ordering::Relaxed);
        LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(size(layout), Ordering::Relaxed);
        LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = isize::try_from(new_size).unwrap_or(isize::MAX);
        LIVE.fetch_add(new - size(layout), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(size(layout), Ordering::Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SERIES: usize = 100_000;
const METHODS: [&str; 4] = ["get", "post", "put", "delete"];

fn series() -> impl Iterator<Item = (&'static str, String)> {
    (0..SERIES).map(|i| (METHODS[i % METHODS.len()], format!("/api/v1/item/{i}")))
}

/// Builds the family with `build` (which keeps it alive in what it
/// returns), reports the live bytes and allocations it holds per series,
/// then drops it.
fn measure<T>(library: &str, build: impl FnOnce() -> T) {
    let before = LIVE.load(Ordering::Relaxed);
    let blocks_before = LIVE_BLOCKS.load(Ordering::Relaxed);
    let kept = black_box(build());
    let after = LIVE.load(Ordering::Relaxed);
    let blocks_after = LIVE_BLOCKS.load(Ordering::Relaxed);
    let per_series = (after - before) as f64 / SERIES as f64;
    let blocks = (blocks_after - blocks_before) as f64 / SERIES as f64;
    println!("heap_per_series {library}: {per_series:.1}");
    println!("allocations_per_series {library}: {blocks:.2}");
    drop(kept);
}

mod pc {
    use prometheus_client::encoding::EncodeLabelSet;

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    pub(crate) struct Request {
        pub(crate) method: &'static str,
        pub(crate) path: String,
    }
}

mod fm {
    use fastmetrics::encoder::{EncodeLabelSet, LabelSetEncoder};
    use fastmetrics::raw::LabelSetSchema;

    #[derive(Clone, Debug, Hash, PartialEq, Eq)]
    pub(crate) struct Request {
        pub(crate) method: &'static str,
        pub(crate) path: String,
    }

    impl LabelSetSchema for Request {
        fn names() -> Option<&'static [&'static str]> {
            Some(&["method", "path"])
        }
    }

    impl EncodeLabelSet for Request {
        fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> fastmetrics::error::Result<()> {
            encoder.encode(&("method", self.method))?;
            encoder.encode(&("path", self.path.as_str()))
        }
    }
}

mod ms {
    use measured::LabelGroup;
    use paracord::ParaCord;

    #[derive(LabelGroup)]
    #[label(set = RequestSet)]
    pub(crate) struct Request<'a> {
        #[label(dynamic_with = ParaCord, default)]
        pub(crate) method: &'a str,
        #[label(dynamic_with = ParaCord, default)]
        pub(crate) path: &'a str,
    }
}

fn main() {
    // Whatever the first use of each library sets up once (thread-locals,
    // the global recorder) is outside the measurements.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).expect("no other recorder");
    for (method, path) in series().take(1) {
        metrics::counter!("warm_up_total", "method" => method, "path" => path).increment(1);
    }

    measure("promscribe", || {
        let f = promscribe::Family::<promscribe::Counter, 2>::new(
            promscribe::Opts::new("requests_total", "r").labels(["method", "path"]),
        )
        .expect("valid");
        for (method, path) in series() {
            f.labels([method, path.as_str()]).inc();
        }
        f
    });
    measure("prometheus", || {
        let f = prometheus::IntCounterVec::new(
            prometheus::Opts::new("requests_total", "r"),
            &["method", "path"],
        )
        .expect("valid");
        for (method, path) in series() {
            f.with_label_values(&[method, path.as_str()]).inc();
        }
        f
    });
    measure("prometheus-client", || {
        let f = prometheus_client::metrics::family::Family::<
            pc::Request,
            prometheus_client::metrics::counter::Counter,
        >::default();
        for (method, path) in series() {
            f.get_or_create(&pc::Request { method, path }).inc();
        }
        f
    });
    measure("metrics", || {
        for (method, path) in series() {
            metrics::counter!("requests_total", "method" => method, "path" => path).increment(1);
        }
    });
    measure("measured", || {
        let f = measured::CounterVec::with_label_set(ms::RequestSet::default());
        for (method, path) in series() {
            f.inc(ms::Request {
                method,
                path: path.as_str(),
            });
        }
        f
    });
    measure("fastmetrics", || {
        let f = fastmetrics::metrics::family::Family::<
            fm::Request,
            fastmetrics::metrics::counter::Counter,
        >::default();
        for (method, path) in series() {
            f.with_or_new(&fm::Request { method, path }, |c| c.inc());
        }
        f
    });
    // The recorder holds the `metrics` series: it must be alive above.
    drop(handle);
    native_histograms();
}

/// Heap bytes of one native histogram (bucket factor 1.1) with 160
/// populated buckets, observed from one thread across two scrapes (so
/// that both halves of its stripe hold buckets, as in steady use): ours
/// and `prometheus-client`'s. Prints `heap_per_native_histogram_160
/// <library>: <bytes>`.
fn native_histograms() {
    // 2^(k/8): one value per bucket of schema 3.
    let values: Vec<f64> = (0..160)
        .map(|k| 2f64.powf(f64::from(k) / 8.0 - 10.0))
        .collect();
    let measure = |library: &str, build: &dyn Fn() -> Box<dyn std::any::Any>| {
        let before = LIVE.load(Ordering::Relaxed);
        let kept = black_box(build());
        let after = LIVE.load(Ordering::Relaxed);
        println!(
            "heap_per_native_histogram_160 {library}: {}",
            after - before
        );
        drop(kept);
    };
    measure("promscribe", &|| {
        let h = promscribe::Histogram::with_native(
            promscribe::Opts::new("native_seconds", "n"),
            None,
            promscribe::NativeOpts::new().bucket_factor(1.1),
        )
        .expect("valid");
        for _ in 0..2 {
            for v in &values {
                h.observe(*v);
            }
            let mut scraped = Vec::new();
            promscribe::Collector::collect(&*h, &mut scraped);
            black_box(scraped);
        }
        Box::new(h)
    });
    measure("prometheus-client", &|| {
        let h = prometheus_client::metrics::histogram::Histogram::new_native(
            prometheus_client::metrics::histogram::NativeHistogramConfig::new(1.1),
        );
        for _ in 0..2 {
            for v in &values {
                h.observe(*v);
            }
        }
        Box::new(h)
    });
}
