//! One counter family at scale, one library per process: creates N series
//! with two labels (`method` from four values, `path` distinct per series,
//! such as `/item/123456`), increments each once, scrapes once to the text
//! format, and prints one line of results. `benches/scale_report.sh` runs
//! it for `promscribe` and `prometheus-client` and prints the table of
//! BENCHMARKS.md.
//!
//! ```text
//! scale ours|prometheus-client N
//! ```
//!
//! The line is `key=value` pairs separated by spaces:
//!
//! - `baseline_rss_kib`: `VmRSS` before the family is created;
//! - `create_ms`: creating the N series, each incremented once (the label
//!   values are formatted inside the timed loop for both libraries);
//! - `rss_after_create_kib`: `VmRSS` once the series exist;
//! - `scrape_ms`, `scrape_bytes`, `samples`: one scrape to the text format
//!   into a fresh buffer (ours without `_created` samples, as the peer),
//!   its length and its number of sample lines of the family;
//! - `peak_rss_kib`: `VmHWM` after that scrape, the scrape's text dropped;
//! - ours only: `scrape_created_ms`, `scrape_created_bytes` and
//!   `peak_rss_created_kib`: a second scrape with `_created` samples, and
//!   `VmHWM` after it.
//!
//! It exits with a failure if a scrape does not hold every series.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: scale ours|prometheus-client N

Creates N series of one counter family with two labels, increments each
once, scrapes once to the text format, and prints one line of results:
times, scrape size and resident memory (VmHWM from /proc/self/status).";

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

/// The family's name as the libraries expose it (with `_total`).
const SAMPLE_PREFIX: &str = "requests_total{";

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}

/// Writes the `path` label value of series `i` into `buf`.
fn path_into(buf: &mut String, i: usize) {
    use std::fmt::Write;
    buf.clear();
    let _ = write!(buf, "/item/{i}");
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// The number of sample lines of the family in `text`.
fn samples(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with(SAMPLE_PREFIX))
        .count()
}

/// Fails loudly unless `text` holds `n` samples of the family.
fn check(library: &str, what: &str, text: &str, n: usize) -> Result<usize, String> {
    let found = samples(text);
    if found == n {
        Ok(found)
    } else {
        Err(format!(
            "{library}: the {what} holds {found} samples of the family, not {n}"
        ))
    }
}

fn ours(n: usize) -> Result<Vec<(&'static str, String)>, String> {
    use promscribe::{Counter, EncodeOptions, Family, Format, Opts, Registry};

    let mut out = Vec::new();
    out.push(("baseline_rss_kib", status_kib("VmRSS").to_string()));
    let registry = Registry::new();
    let start = Instant::now();
    let family = Family::<Counter, 2>::new(
        Opts::new("requests_total", "Requests.").labels(["method", "path"]),
    )
    .map_err(|e| e.to_string())?;
    registry
        .register(std::sync::Arc::clone(&family) as _)
        .map_err(|e| e.to_string())?;
    let mut path = String::new();
    for i in 0..n {
        path_into(&mut path, i);
        family
            .labels([METHODS[i % METHODS.len()], path.as_str()])
            .inc();
    }
    out.push(("create_ms", ms(start.elapsed())));
    out.push(("rss_after_create_kib", status_kib("VmRSS").to_string()));

    // `encode_text` would size its buffer after the previous scrape; the
    // first scrape has none, as the peer's below.
    let options = EncodeOptions::default().created(false);
    let start = Instant::now();
    let mut text = String::new();
    promscribe::encode(&mut text, &registry, Format::Text, &options).map_err(|e| e.to_string())?;
    let text = black_box(text);
    out.push(("scrape_ms", ms(start.elapsed())));
    out.push(("scrape_bytes", text.len().to_string()));
    out.push(("samples", check("ours", "scrape", &text, n)?.to_string()));
    drop(text);
    out.push(("peak_rss_kib", status_kib("VmHWM").to_string()));

    let options = EncodeOptions::default().created(true);
    let start = Instant::now();
    let mut text = String::new();
    promscribe::encode(&mut text, &registry, Format::Text, &options).map_err(|e| e.to_string())?;
    let text = black_box(text);
    out.push(("scrape_created_ms", ms(start.elapsed())));
    out.push(("scrape_created_bytes", text.len().to_string()));
    check("ours", "scrape with `_created`", &text, n)?;
    let created = text
        .lines()
        .filter(|l| l.starts_with("requests_created{"))
        .count();
    if created != n {
        return Err(format!(
            "ours: the scrape with `_created` holds {created} `_created` samples, not {n}"
        ));
    }
    drop(text);
    out.push(("peak_rss_created_kib", status_kib("VmHWM").to_string()));
    drop(black_box(family));
    Ok(out)
}

mod pc {
    use prometheus_client::encoding::EncodeLabelSet;

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    pub(crate) struct Request {
        pub(crate) method: &'static str,
        pub(crate) path: String,
    }
}

fn prometheus_client(n: usize) -> Result<Vec<(&'static str, String)>, String> {
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::registry::Registry;

    let mut out = Vec::new();
    out.push(("baseline_rss_kib", status_kib("VmRSS").to_string()));
    let start = Instant::now();
    let mut registry = Registry::default();
    let family = Family::<pc::Request, Counter>::default();
    // The crate appends `_total` to counters.
    registry.register("requests", "Requests.", family.clone());
    let mut path = String::new();
    for i in 0..n {
        path_into(&mut path, i);
        // The key is owned: the family keeps it.
        let key = pc::Request {
            method: METHODS[i % METHODS.len()],
            path: path.clone(),
        };
        family.get_or_create(&key).inc();
    }
    out.push(("create_ms", ms(start.elapsed())));
    out.push(("rss_after_create_kib", status_kib("VmRSS").to_string()));

    let start = Instant::now();
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).map_err(|e| e.to_string())?;
    let text = black_box(text);
    out.push(("scrape_ms", ms(start.elapsed())));
    out.push(("scrape_bytes", text.len().to_string()));
    out.push((
        "samples",
        check("prometheus-client", "scrape", &text, n)?.to_string(),
    ));
    drop(text);
    out.push(("peak_rss_kib", status_kib("VmHWM").to_string()));
    drop(black_box(family));
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let [library, n] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Ok(n) = n.replace(['_', ','], "").parse::<usize>() else {
        eprintln!("N must be a number, not {n}\n\n{USAGE}");
        return ExitCode::from(2);
    };
    let result = match library.as_str() {
        "ours" | "promscribe" => ours(n),
        "prometheus-client" => prometheus_client(n),
        other => {
            eprintln!("unknown library: {other}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(fields) => {
            let mut line = format!("library={library} series={n}");
            for (key, value) in fields {
                line.push_str(&format!(" {key}={value}"));
            }
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}
