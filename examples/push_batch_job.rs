//! The batch job of Python's README: a registry of its own, a
//! `job_last_success_unixtime` gauge set to the current time, pushed to a
//! Pushgateway as job `batchA`.
//!
//! ```text
//! PUSHGATEWAY_URL=localhost:9091 cargo run --example push_batch_job
//! ```
//!
//! `PUSHGATEWAY_URL` is `host:port` or a URL (default `localhost:9091`).

use promscribe::{Gauge, Registry};
use promscribe_export::{push_to_gateway, GroupingKey};

fn run() -> Result<String, Box<dyn std::error::Error>> {
    let gateway = std::env::var("PUSHGATEWAY_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "localhost:9091".to_owned());

    // A separate registry: the default one also holds process metrics.
    let registry = Registry::new();
    let g = Gauge::new(
        "job_last_success_unixtime",
        "Last time a batch job successfully finished",
    )?;
    registry.register(g.clone())?;
    g.set_to_current_time();
    push_to_gateway(&gateway, "batchA", &GroupingKey::new(), &registry)?;
    Ok(gateway)
}

const USAGE: &str = "usage: push_batch_job   (pushes to $PUSHGATEWAY_URL, default localhost:9091)";

fn main() {
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return;
        }
        Some(other) => {
            eprintln!("push_batch_job: unknown argument `{other}`; {USAGE}");
            std::process::exit(2);
        }
    }
    match run() {
        Ok(gateway) => println!("pushed job_last_success_unixtime of job batchA to {gateway}"),
        Err(e) => {
            eprintln!("push_batch_job: {e}");
            std::process::exit(1);
        }
    }
}
