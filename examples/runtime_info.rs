//! Build information and a tokio runtime's own metrics, served on
//! `/metrics` by an axum server running on that runtime:
//!
//! - `runtime_info_build_info{name,version,revision,rustc_version,target}`
//!   (value 1): this program's package name and version, read where
//!   `promscribe::build_info!()` is expanded, the rustc version and target
//!   it was built with, and the revision when the build gives one
//!   (`GIT_HASH=$(git rev-parse --short HEAD) cargo build ...`);
//! - `tokio_workers`, `tokio_alive_tasks`, `tokio_global_queue_depth` and
//!   per worker `tokio_worker_busy_seconds_total`,
//!   `tokio_worker_parks_total`, `tokio_worker_park_unparks_total`, read
//!   from the runtime at every scrape.
//!
//! The runtime has two workers; ten background tasks stay alive, each
//! waking every 100 ms to spin for a millisecond, so that the busy time
//! grows.
//!
//! ```text
//! cargo run --example runtime_info                        # 0.0.0.0:8000
//! cargo run --example runtime_info -- --listen 127.0.0.1:9100
//! curl http://127.0.0.1:9100/metrics
//! ```
//!
//! The version joined onto another series in PromQL:
//!
//! ```text
//! tokio_alive_tasks * on (instance, job) group_left(version) runtime_info_build_info
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use promscribe_export::TokioCollector;

const USAGE: &str = "usage: runtime_info [--listen ADDR]   (default 0.0.0.0:8000)";

/// The background tasks kept alive.
const TASKS: usize = 10;

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

async fn serve(addr: &str) -> Result<(), String> {
    let registry = promscribe::default_registry();
    // `runtime_info_build_info`: the namespace is this binary's name.
    let info = promscribe::build_info!().map_err(|e| e.to_string())?;
    registry
        .register(Arc::new(info))
        .map_err(|e| e.to_string())?;
    // The runtime this runs on.
    let tokio = TokioCollector::current().map_err(|e| e.to_string())?;
    registry
        .register(Arc::new(tokio))
        .map_err(|e| e.to_string())?;

    for _ in 0..TASKS {
        tokio::spawn(async {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                let until = Instant::now() + Duration::from_millis(1);
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
            }
        });
    }

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("serving metrics on http://{local}/metrics");
    axum::serve(listener, promscribe_export::router())
        .await
        .map_err(|e| e.to_string())
}

fn main() {
    let addr = match listen_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("runtime_info: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let result = match runtime {
        Ok(rt) => rt.block_on(serve(&addr)),
        Err(e) => Err(format!("cannot start the runtime: {e}")),
    };
    if let Err(e) = result {
        eprintln!("runtime_info: {e}");
        std::process::exit(1);
    }
}
