//! The three-step demo of Python's client, in Rust: a Summary timed by
//! `#[timed]`, a function that sleeps a random fraction of a second, and a
//! background HTTP server exposing `/metrics`.
//!
//! ```text
//! cargo run --example demo                         # serves on 0.0.0.0:8000
//! cargo run --example demo -- --listen 127.0.0.1:9100
//! ```
//!
//! Then visit <http://localhost:8000/metrics>.

use std::time::Duration;

use promscribe::{summary, timed};

// Create a metric to track time spent and requests made.
summary!(
    REQUEST_TIME,
    "request_processing_seconds",
    "Time spent processing request"
);

// Decorate function with metric.
#[timed(REQUEST_TIME)]
fn process_request(t: f64) {
    // A dummy function that takes some time.
    std::thread::sleep(Duration::from_secs_f64(t));
}

fn listen_addr() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let mut addr = String::from("0.0.0.0:8000");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                addr = args
                    .next()
                    .ok_or("--listen needs an address, e.g. 0.0.0.0:8000")?
            }
            "-h" | "--help" => {
                println!("usage: demo [--listen ADDR]   (default 0.0.0.0:8000)");
                std::process::exit(0);
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: demo [--listen ADDR]"
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
            eprintln!("demo: {e}");
            std::process::exit(2);
        }
    };
    // Start up the server to expose the metrics.
    let server = match promscribe_export::start_http_server(&addr) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("serving metrics on http://{}/metrics", server.local_addr());
    // Generate some requests.
    loop {
        process_request(fastrand::f64());
    }
}
