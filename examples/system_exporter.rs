//! A standalone exporter (the "First Contact with Prometheus Exporters"
//! article): the system's CPU and memory usage in one gauge, split by a
//! `resource_type` label, refreshed every few seconds and served on 9999.
//!
//! ```text
//! cargo run --example system_exporter                          # 0.0.0.0:9999
//! cargo run --example system_exporter -- --listen 127.0.0.1:0 --interval-ms 500
//! ```

use std::time::Duration;

use procfs::{Current, CurrentSI};
use promscribe::gauge;

gauge!(
    SYSTEM_USAGE,
    "system_usage",
    "Hold current system resource usage",
    labels = ["resource_type"]
);

/// Busy and total jiffies of all CPUs, from /proc/stat.
fn cpu_times() -> Option<(u64, u64)> {
    let stat = procfs::KernelStats::current().ok()?;
    let t = stat.total;
    let idle = t.idle + t.iowait.unwrap_or(0);
    let total = t.user
        + t.nice
        + t.system
        + idle
        + t.irq.unwrap_or(0)
        + t.softirq.unwrap_or(0)
        + t.steal.unwrap_or(0);
    Some((total - idle, total))
}

/// Used memory in percent, from /proc/meminfo.
fn memory_percent() -> Option<f64> {
    let m = procfs::Meminfo::current().ok()?;
    let available = m.mem_available.unwrap_or(m.mem_free) as f64;
    Some(100.0 * (1.0 - available / m.mem_total as f64))
}

fn main() {
    let mut listen = String::from("0.0.0.0:9999");
    let mut interval = Duration::from_secs(5);
    const USAGE: &str =
        "usage: system_exporter [--listen ADDR] [--interval-ms N]   (default 0.0.0.0:9999, 5000 ms)";
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-h" || a == "--help" {
            println!("{USAGE}");
            return;
        }
        match (a.as_str(), args.next()) {
            ("--listen", Some(v)) => listen = v,
            ("--interval-ms", Some(v)) => match v.parse() {
                Ok(ms) => interval = Duration::from_millis(ms),
                Err(_) => {
                    eprintln!("system_exporter: --interval-ms takes a whole number");
                    std::process::exit(2);
                }
            },
            _ => {
                eprintln!("system_exporter: bad arguments; {USAGE}");
                std::process::exit(2);
            }
        }
    }
    let server = match promscribe_export::start_http_server(&listen) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("system_exporter: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    println!("serving metrics on http://{}/metrics", server.local_addr());
    let cpu = SYSTEM_USAGE.labels(["cpu"]);
    let memory = SYSTEM_USAGE.labels(["memory"]);
    let mut last = cpu_times();
    loop {
        std::thread::sleep(interval);
        let now = cpu_times();
        if let (Some((b0, t0)), Some((b1, t1))) = (last, now) {
            if t1 > t0 {
                cpu.set(100.0 * (b1 - b0) as f64 / (t1 - t0) as f64);
            }
        }
        last = now;
        if let Some(m) = memory_percent() {
            memory.set(m);
        }
    }
}
