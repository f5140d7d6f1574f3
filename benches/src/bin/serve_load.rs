//! Serves the exposition workload of the benchmarks (10,000 counter series
//! with two labels and 1,000 histogram series with 11 bounds, about 1.6 MB
//! of text) with `start_http_server`, for a load generator such as `wrk`.
//! `benches/serve_report.sh` runs it and reports requests per second.
//!
//! ```text
//! serve_load [--listen ADDR]   (default 127.0.0.1:9464)
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use promscribe_export::{start_http_server_with, ServerOptions};

const USAGE: &str = "usage: serve_load [--listen ADDR]

Serves the benchmarks' exposition workload (10,000 counter series and
1,000 histogram series) on http://ADDR/metrics until killed, for a load
generator. ADDR defaults to 127.0.0.1:9464. Prints the bound address.";

fn main() -> ExitCode {
    let mut listen = String::from("127.0.0.1:9464");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--listen" => match args.next() {
                Some(addr) => listen = addr,
                None => {
                    eprintln!("--listen needs an address\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("unknown argument: {other}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let addr: SocketAddr = match listen.parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("--listen {listen}: {e}");
            return ExitCode::from(2);
        }
    };
    let registry = Arc::new(metrics_bench::workload::promscribe_registry());
    let server = match start_http_server_with(addr, ServerOptions::new().registry(registry)) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("serving on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", server.local_addr());
    loop {
        std::thread::park();
    }
}
