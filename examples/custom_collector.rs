//! A custom collector (the "Custom Collectors" use of Python's README):
//! values that live elsewhere, here the job queues of a small worker
//! pool, read at scrape time and exposed with `GaugeMetricFamily` and
//! `CounterMetricFamily`, without keeping a metric up to date beside
//! them.
//!
//! ```text
//! cargo run --example custom_collector                        # 0.0.0.0:8000
//! cargo run --example custom_collector -- --listen 127.0.0.1:9100
//! curl http://127.0.0.1:9100/metrics
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use promscribe::{Collector, CounterMetricFamily, GaugeMetricFamily, MetricFamily};

const USAGE: &str = "usage: custom_collector [--listen ADDR]   (default 0.0.0.0:8000)";

/// One job queue of the application: what is waiting, what was done.
#[derive(Default)]
struct Queue {
    waiting: VecDeque<u64>,
    processed: u64,
}

/// The application's state, shared by its workers and the collector.
struct Queues {
    names: [&'static str; 2],
    queues: [Mutex<Queue>; 2],
}

/// Reads the queues when Prometheus scrapes: nothing is recorded in
/// between.
struct QueueCollector(Arc<Queues>);

impl Collector for QueueCollector {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        // The names and label names are fixed and valid: these cannot fail.
        let (Ok(mut length), Ok(mut processed)) = (
            GaugeMetricFamily::new(
                "custom_queue_length",
                "Jobs waiting in the queue",
                &["queue"],
            ),
            CounterMetricFamily::new(
                "custom_jobs_processed_total",
                "Jobs taken off the queue",
                &["queue"],
            ),
        ) else {
            return;
        };
        for (name, queue) in self.0.names.iter().zip(&self.0.queues) {
            // A worker that panicked holding the lock leaves the numbers as
            // they were: still worth exposing.
            let q = queue.lock().unwrap_or_else(|e| e.into_inner());
            let _ = length.add_metric(&[name], q.waiting.len() as f64);
            let _ = processed.add_metric(&[name], q.processed as f64);
        }
        out.push(length.into());
        out.push(processed.into());
        if let Ok(count) = GaugeMetricFamily::with_value(
            "custom_queues",
            "Queues served",
            self.0.names.len() as f64,
        ) {
            out.push(count.into());
        }
    }
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

fn main() {
    let addr = match listen_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("custom_collector: {e}");
            std::process::exit(2);
        }
    };
    let queues = Arc::new(Queues {
        names: ["email", "thumbnails"],
        queues: Default::default(),
    });
    if let Err(e) =
        promscribe::default_registry().register(Arc::new(QueueCollector(queues.clone())))
    {
        eprintln!("custom_collector: cannot register the collector: {e}");
        std::process::exit(1);
    }
    let server = match promscribe_export::start_http_server(&addr) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("custom_collector: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("serving metrics on http://{}/metrics", server.local_addr());

    // The application: jobs arrive at random (up to 50 waiting) and a
    // worker takes up to two at a time.
    let mut next_job = 0_u64;
    loop {
        for queue in &queues.queues {
            let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
            for _ in 0..fastrand::usize(0..3) {
                if q.waiting.len() < 50 {
                    q.waiting.push_back(next_job);
                    next_job += 1;
                }
            }
            for _ in 0..fastrand::usize(0..3) {
                if q.waiting.pop_front().is_some() {
                    q.processed += 1;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
