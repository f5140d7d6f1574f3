//! Native histograms: Prometheus' sparse, exponential buckets, with no
//! bucket layout to choose. Three kinds are served:
//!
//! - `native_latency_seconds`: native buckets only (schema 3: each power
//!   of two split into 8 buckets);
//! - `native_route_seconds{route}`: a family of native histograms whose
//!   first child, `route="idle"`, is created first and never observes,
//!   while the second, `route="busy"`, does;
//! - `native_mixed_seconds`: native buckets and the default classic
//!   buckets beside them, for scrapers that cannot read native ones.
//!
//! A background loop observes one fixed cycle of 42 values into each of
//! the busy ones, a whole cycle every 100 ms (420 observations a second
//! each), and counts the cycles in `native_cycles_total`. The cycle is 40
//! log-spaced values from 1 ms to 10 s (`0.001 * 10^(4k/39)` for `k` in
//! 0..40, ascending) and then two zeros (the zero bucket): its true 0.9
//! quantile is the 38th of its 42 values in order, `0.001 * 10^(140/39)`,
//! about 3.88 s.
//!
//! Prometheus reads native buckets over protobuf only: start it with
//! `--enable-feature=native-histograms` (2.x) and query, e.g.,
//! `histogram_quantile(0.9, rate(native_latency_seconds[1m]))`. The text
//! formats carry the classic buckets, or for a histogram without any a
//! `+Inf` bucket with `_count` and `_sum`.
//!
//! ```text
//! cargo run --example native_histogram                        # 0.0.0.0:8000
//! cargo run --example native_histogram -- --listen 127.0.0.1:9100
//! curl http://127.0.0.1:9100/metrics
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use promscribe::{Buckets, Collector, Counter, Family, Histogram, NativeOpts, Opts};

const USAGE: &str = "usage: native_histogram [--listen ADDR]   (default 0.0.0.0:8000)";

/// How often the whole cycle is observed once more.
const CYCLE: Duration = Duration::from_millis(100);

/// The values observed every cycle: 40 log-spaced values from 1 ms to
/// 10 s, ascending, then two zeros.
fn cycle() -> Vec<f64> {
    let mut v: Vec<f64> = (0..40)
        .map(|k| 0.001 * 10f64.powf(4.0 * f64::from(k) / 39.0))
        .collect();
    v.extend([0.0, 0.0]);
    v
}

fn listen_addr() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let mut addr = String::from("0.0.0.0:8000");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                addr = args
                    .next()
                    .ok_or(format!("--listen needs an address; {USAGE}"))?
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    Ok(addr)
}

/// The metrics, registered into the default registry.
struct Metrics {
    latency: Arc<Histogram>,
    by_route: Arc<Family<Histogram, 1>>,
    mixed: Arc<Histogram>,
    cycles: Arc<Counter>,
}

fn metrics() -> Result<Metrics, String> {
    // Schema 3, the default zero threshold (2^-128), no bucket limit.
    let native = NativeOpts::new();
    let e = |e: promscribe::MetricError| e.to_string();
    let m = Metrics {
        latency: Histogram::with_native(
            Opts::new("native_latency_seconds", "Latency, native buckets only"),
            None,
            native,
        )
        .map_err(e)?,
        by_route: Family::<Histogram, 1>::with_native(
            Opts::new("native_route_seconds", "Latency by route, native buckets").labels(["route"]),
            None,
            native,
        )
        .map_err(e)?,
        mixed: Histogram::with_native(
            Opts::new(
                "native_mixed_seconds",
                "Latency, native and classic buckets",
            ),
            Some(Buckets::DEFAULT),
            native,
        )
        .map_err(e)?,
        cycles: Counter::new("native_cycles", "Cycles of values observed").map_err(e)?,
    };
    let registry = promscribe::default_registry();
    let collectors: [Arc<dyn Collector>; 4] = [
        m.latency.clone(),
        m.by_route.clone(),
        m.mixed.clone(),
        m.cycles.clone(),
    ];
    for c in collectors {
        registry.register(c).map_err(|e| e.to_string())?;
    }
    Ok(m)
}

fn main() {
    let addr = match listen_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("native_histogram: {e}");
            std::process::exit(2);
        }
    };
    let m = match metrics() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("native_histogram: cannot register the metrics: {e}");
            std::process::exit(1);
        }
    };
    // Created first, in this order: Prometheus 2.x tells a native family
    // from its first metric, here one without any observation.
    let _idle = m.by_route.labels_owned(["idle"]);
    let busy = m.by_route.labels_owned(["busy"]);

    let server = match promscribe_export::start_http_server(&addr) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("native_histogram: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("serving metrics on http://{}/metrics", server.local_addr());

    // A whole cycle at once, then a wait to the next tick: a steady pace
    // that does not drift with the time the observations take.
    let values = cycle();
    let start = Instant::now();
    let mut ticks = 0u32;
    loop {
        for &v in &values {
            m.latency.observe(v);
            busy.observe(v);
            m.mixed.observe(v);
        }
        m.cycles.inc();
        ticks = ticks.saturating_add(1);
        if let Some(wait) = (CYCLE * ticks).checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
}
