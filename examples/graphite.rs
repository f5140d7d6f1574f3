//! "Exporting to Graphite with the Prometheus Python client", in Rust: a
//! Summary timed with `#[timed]`, `/metrics` served over HTTP, and every
//! sample pushed to Graphite (carbon's plaintext port) every 10 seconds.
//!
//! ```text
//! GRAPHITE_ADDR=graphite.your.org:2003 cargo run --example graphite
//! cargo run --example graphite -- --graphite 127.0.0.1:2003 --listen 127.0.0.1:8000
//! cargo run --example graphite -- --once      # push once to $GRAPHITE_ADDR and exit
//! ```
//!
//! Then visit <http://localhost:8000/metrics>, and look in your Graphite
//! console.

use std::time::Duration;

use promscribe_export::GraphiteBridge;

promscribe::summary!(
    REQUEST_TIME,
    "request_processing_seconds",
    "Time spent processing request"
);

/// A dummy function that takes some time.
#[promscribe::timed(REQUEST_TIME)]
fn process_request(t: f64) {
    std::thread::sleep(Duration::from_secs_f64(t));
}

const USAGE: &str =
    "usage: graphite [--once] [--graphite HOST:PORT] [--listen ADDR]   (GRAPHITE_ADDR=HOST:PORT)";

struct Args {
    once: bool,
    graphite: String,
    listen: String,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        once: false,
        graphite: std::env::var("GRAPHITE_ADDR")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "localhost:2003".into()),
        listen: "0.0.0.0:8000".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--once" => a.once = true,
            "--graphite" => a.graphite = args.next().ok_or("--graphite needs HOST:PORT")?,
            "--listen" => a.listen = args.next().ok_or("--listen needs an address")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    if !a.graphite.contains(':') {
        return Err(format!(
            "the Graphite address `{}` needs a port, e.g. {}:2003",
            a.graphite, a.graphite
        ));
    }
    Ok(a)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("graphite: {e}");
            std::process::exit(2);
        }
    };
    // The bridge reports failed pushes through `tracing`: print them.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let bridge = GraphiteBridge::new(args.graphite.clone());

    if args.once {
        // A few requests, so that there is something to see; then one push.
        for _ in 0..3 {
            process_request(0.01);
        }
        match bridge.push() {
            Ok(()) => {
                println!("pushed every sample to {}", args.graphite);
                return;
            }
            Err(e) => {
                eprintln!("graphite: cannot push to {}: {e}", args.graphite);
                std::process::exit(1);
            }
        }
    }

    // Start up the server to expose the Prometheus metrics.
    let server = match promscribe_export::start_http_server(&args.listen) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("graphite: cannot listen on {}: {e}", args.listen);
            std::process::exit(1);
        }
    };
    println!("serving metrics on http://{}/metrics", server.local_addr());

    // Push to Graphite every 10 seconds from a background thread; failures
    // are logged and retried. Pushing stops when `_pusher` is dropped.
    let _pusher = match bridge.start(Duration::from_secs(10)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("graphite: cannot start the pusher: {e}");
            std::process::exit(1);
        }
    };
    println!("pushing to Graphite at {} every 10 s", args.graphite);

    // Generate some requests.
    loop {
        process_request(fastrand::f64());
    }
}
