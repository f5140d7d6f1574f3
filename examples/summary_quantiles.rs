//! Summaries with streaming quantiles (Go's client's objectives; Python's
//! client has none), declared with `summary!(.., quantiles = [...])` and
//! served on `/metrics`:
//!
//! - `rpc_duration_seconds{quantile="0.5"|"0.9"|"0.99"}`, `_count`, `_sum`:
//!   Go's default objectives over a window of 10 minutes in 5 age buckets;
//! - `path_duration_seconds{path,quantile="0.5"|"0.9"}`: one window per
//!   path, of 1 minute in 3 age buckets.
//!
//! At start it observes a fixed set of values (1 to 1000 ms into the
//! first, 1 to 100 ms into `path="/a"`, 500 to 600 ms into `path="/b"`)
//! and prints the quantiles `get_quantiles()` reports; with `--keep-observing`
//! it then observes those values again every second.
//!
//! ```text
//! cargo run --example summary_quantiles                        # 0.0.0.0:8000
//! cargo run --example summary_quantiles -- --listen 127.0.0.1:9100
//! curl http://127.0.0.1:9100/metrics
//! ```

use std::time::Duration;

use promscribe::summary;

const USAGE: &str =
    "usage: summary_quantiles [--listen ADDR] [--keep-observing]   (default 0.0.0.0:8000)";

summary!(
    RPC,
    "rpc_duration_seconds",
    "RPC latency",
    quantiles = [(0.5, 0.05), (0.9, 0.01), (0.99, 0.001)],
    max_age = "10m",
    age_buckets = 5
);

summary!(
    BY_PATH,
    "path_duration_seconds",
    "Latency by path",
    labels = ["path"],
    quantiles = [(0.5, 0.05), (0.9, 0.01)],
    max_age = "1m",
    age_buckets = 3
);

/// The values observed: into `RPC`, `path="/a"` and `path="/b"`.
fn observe_all() {
    for ms in 1..=1000 {
        RPC.observe(f64::from(ms) / 1000.0);
    }
    let (a, b) = (BY_PATH.labels(["/a"]), BY_PATH.labels(["/b"]));
    for ms in 1..=100 {
        a.observe(f64::from(ms) / 1000.0);
        b.observe(f64::from(ms + 499) / 1000.0);
    }
}

struct Args {
    addr: String,
    keep_observing: bool,
}

fn args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut out = Args {
        addr: String::from("0.0.0.0:8000"),
        keep_observing: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                out.addr = args
                    .next()
                    .ok_or(format!("--listen needs an address; {USAGE}"))?
            }
            "--keep-observing" => out.keep_observing = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    Ok(out)
}

fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("summary_quantiles: {e}");
            std::process::exit(2);
        }
    };
    observe_all();
    println!("rpc_duration_seconds {:?}", RPC.get_quantiles());
    for path in ["/a", "/b"] {
        println!(
            "path_duration_seconds{{path=\"{path}\"}} {:?}",
            BY_PATH.labels([path]).get_quantiles()
        );
    }
    let server = match promscribe_export::start_http_server(&args.addr) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("summary_quantiles: cannot listen on {}: {e}", args.addr);
            std::process::exit(1);
        }
    };
    println!("serving metrics on http://{}/metrics", server.local_addr());
    loop {
        std::thread::sleep(Duration::from_secs(1));
        if args.keep_observing {
            observe_all();
        }
    }
}
