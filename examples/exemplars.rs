//! Exemplars: a counter and a histogram that keep the trace id of the
//! request behind their latest increment or observation. Served in
//! OpenMetrics to scrapers that ask for it (Prometheus does), where each
//! `_total` and `_bucket` sample carries ` # {trace_id="..."} value time`.
//!
//! ```text
//! cargo run --example exemplars -- --listen 127.0.0.1:9100
//! curl -H 'Accept: application/openmetrics-text' http://127.0.0.1:9100/metrics
//! ```

use std::time::Duration;

use promscribe::{counter, histogram};

counter!(JOBS, "exemplar_jobs_total", "Jobs processed");
histogram!(
    JOB_SECONDS,
    "exemplar_job_seconds",
    "Time spent per job",
    buckets = [0.01, 0.05, 0.1, 0.5]
);

fn listen_addr() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let mut addr = String::from("0.0.0.0:8000");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => addr = args.next().ok_or("--listen needs an address")?,
            "-h" | "--help" => {
                println!("usage: exemplars [--listen ADDR]   (default 0.0.0.0:8000)");
                std::process::exit(0);
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: exemplars [--listen ADDR]"
                ))
            }
        }
    }
    Ok(addr)
}

fn main() {
    let addr = match listen_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("exemplars: {e}");
            std::process::exit(2);
        }
    };
    let server = match promscribe_export::start_http_server(&addr) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("exemplars: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("serving metrics on http://{}/metrics", server.local_addr());
    loop {
        let trace_id = format!("{:016x}", fastrand::u64(..));
        let seconds = fastrand::f64() / 10.0;
        std::thread::sleep(Duration::from_secs_f64(seconds));
        // Both refuse only invalid or over-long exemplar labels.
        if let Err(e) = JOBS.inc_by_with_exemplar(1.0, &[("trace_id", &trace_id)]) {
            eprintln!("exemplars: {e}");
        }
        if let Err(e) = JOB_SECONDS.observe_with_exemplar(seconds, &[("trace_id", &trace_id)]) {
            eprintln!("exemplars: {e}");
        }
    }
}
