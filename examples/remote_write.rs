//! A small instrumented workload sent to a Prometheus-compatible receiver
//! with Remote Write 1.0, every `--interval` seconds, from a background
//! thread: requests by route and status, their latency (a histogram), and
//! the jobs in progress.
//!
//! ```text
//! cargo run -p promscribe-examples --features remote-write --example remote_write
//! cargo run -p promscribe-examples --features remote-write --example remote_write -- \
//!     --url http://127.0.0.1:9090/api/v1/write --interval 15
//! cargo run ... --example remote_write -- --once   # push once and exit, as a batch job
//! ```
//!
//! When remote write is better than a scrape: the process cannot be
//! reached by a scraper (a short-lived job, behind NAT, on the edge), or
//! the data goes straight to long-term storage (Mimir, Thanos Receive,
//! Cortex, VictoriaMetrics) without a Prometheus in between. When a scrape
//! is better: a Prometheus can reach the process. Then `up`, staleness
//! and the scrape interval are Prometheus' to manage, and nothing is
//! queued in the process.
//!
//! What a receiver needs: a write endpoint speaking Remote Write 1.0
//! (Prometheus: started with `--web.enable-remote-write-receiver`, URL
//! `http://host:9090/api/v1/write`; Mimir and Cortex `/api/v1/push`,
//! often with an `X-Scope-OrgID` header), and, for exemplars,
//! `--enable-feature=exemplar-storage`. Samples are timestamped by the
//! sender: a receiver refuses one older than what it holds for the series
//! (out of order, 400), which the sender drops and counts.

use std::time::Duration;

use promscribe_export::RemoteWrite;

promscribe::counter!(
    REQUESTS,
    "example_requests_total",
    "Requests handled",
    labels = ["route", "status"]
);
promscribe::histogram!(
    LATENCY,
    "example_request_duration_seconds",
    "Time spent handling a request"
);
promscribe::gauge!(IN_PROGRESS, "example_jobs_in_progress", "Jobs running now");

const USAGE: &str = "usage: remote_write [--url URL] [--interval SECS] [--once]   (default URL: http://127.0.0.1:9090/api/v1/write, interval 5 s)";

struct Args {
    url: String,
    interval: Duration,
    once: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        url: "http://127.0.0.1:9090/api/v1/write".into(),
        interval: Duration::from_secs(5),
        once: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => a.url = args.next().ok_or("--url needs a URL")?,
            "--interval" => {
                let secs: f64 = args
                    .next()
                    .ok_or("--interval needs seconds")?
                    .parse()
                    .map_err(|e| format!("--interval: {e}"))?;
                if !(secs > 0.0 && secs.is_finite()) {
                    return Err("--interval must be a positive number of seconds".into());
                }
                a.interval = Duration::from_secs_f64(secs);
            }
            "--once" => a.once = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    Ok(a)
}

/// One simulated request.
fn handle(route: &str) {
    let _running = IN_PROGRESS.track_inprogress();
    let took = fastrand::f64() * 0.05;
    std::thread::sleep(Duration::from_secs_f64(took));
    LATENCY.observe(took);
    let status = if fastrand::u8(..) < 8 { "500" } else { "200" };
    REQUESTS.labels([route, status]).inc();
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("remote_write: {e}");
            std::process::exit(2);
        }
    };
    // Refusals and dropped samples are reported through `tracing`.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let rw = match RemoteWrite::new(&args.url) {
        Ok(rw) => rw,
        Err(e) => {
            eprintln!("remote_write: {e}");
            std::process::exit(2);
        }
    };
    if args.once {
        for route in ["/", "/api", "/api"] {
            handle(route);
        }
        match rw.push(promscribe::default_registry()) {
            Ok(report) => println!(
                "sent {} samples in {} requests ({} refused)",
                report.samples_sent,
                report.requests,
                report.rejected.len()
            ),
            Err(e) => {
                eprintln!("remote_write: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let _sender = match rw.start(promscribe::default_registry(), args.interval) {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("remote_write: {e}");
            std::process::exit(1);
        }
    };
    println!("sending to {} every {:?}", args.url, args.interval);
    loop {
        handle(if fastrand::bool() { "/" } else { "/api" });
    }
}
