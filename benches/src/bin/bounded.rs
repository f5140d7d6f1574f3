//! The memory of a bounded family, one case per process: records N
//! distinct label values (`/item/0`, `/item/1`, ...) into one
//! `Family<Counter, 1>`, each incremented once, with or without a series
//! cap (`max_series`) and an idle timeout (`expire_after`), at full speed
//! or at a steady rate over some seconds, without any scrape while it
//! records; then prints one line of results. `benches/bounded_report.sh`
//! runs the cases of BENCHMARKS.md and prints their table.
//!
//! ```text
//! bounded N [max_series=M] [expire_ms=E] [seconds=S]
//! ```
//!
//! The line is `key=value` pairs separated by spaces:
//!
//! - `baseline_rss_kib`: `VmRSS` before the family is created;
//! - `record_ms`: recording the N values (with `seconds`, at least that
//!   long: the values are paced in batches of 1,000);
//! - `rss_after_kib`: `VmRSS` once they are recorded;
//! - `peak_rss_kib`: `VmHWM` then, before any scrape;
//! - `len`: `Family::len()` then (series kept in memory), and `peak_len`,
//!   the largest `len()` seen after each batch of 1,000 values;
//! - `overflow`: `promscribe_series_overflow_total` of the family (0
//!   without a cap), and `samples`, the family's sample lines, both read
//!   from one scrape to the text format made after the figures above.
//!
//! It exits with a failure if the scrape does not hold what the case
//! implies: with a cap and no timeout, `min(N, M)` series plus the
//! overflow series once N > M, and N - M overflowed updates; without a cap
//! or a timeout, N series.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use promscribe::{Counter, EncodeOptions, Family, Format, Opts, Registry};

const USAGE: &str = "usage: bounded N [max_series=M] [expire_ms=E] [seconds=S]

Records N distinct label values into one counter family (with the cap M
and the idle timeout E ms if given; over about S seconds at a steady rate
if given), each incremented once, without scraping; then prints one line
of results: resident memory (VmRSS, VmHWM from /proc/self/status), the
family's len(), and from one scrape its samples and overflow count.";

/// The family's name as exposed (a counter keeps its `_total`).
const NAME: &str = "requests_total";
/// Values per batch: `len()` is read and the pace kept after each.
const BATCH: usize = 1_000;

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// A case: the values to record, the family's limits and the pace.
#[derive(Debug)]
struct Case {
    values: usize,
    max_series: Option<usize>,
    expire_ms: Option<u64>,
    seconds: Option<f64>,
}

fn number(text: &str) -> Result<u64, String> {
    text.replace(['_', ','], "")
        .parse()
        .map_err(|_| format!("not a number: {text}"))
}

fn parse(args: &[String]) -> Result<Case, String> {
    let (n, rest) = args.split_first().ok_or("N is missing")?;
    let mut case = Case {
        values: number(n)? as usize,
        max_series: None,
        expire_ms: None,
        seconds: None,
    };
    for arg in rest {
        let (key, value) = arg
            .split_once('=')
            .ok_or_else(|| format!("not key=value: {arg}"))?;
        match key {
            "max_series" => case.max_series = Some(number(value)? as usize),
            "expire_ms" => case.expire_ms = Some(number(value)?),
            "seconds" => {
                let s = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e6)
                    .ok_or_else(|| format!("not a number of seconds: {value}"))?;
                case.seconds = Some(s);
            }
            other => return Err(format!("unknown parameter: {other}")),
        }
    }
    Ok(case)
}

/// The value of `promscribe_series_overflow_total` for the family `name`
/// in `text`, 0 if absent.
fn overflow_count(text: &str, name: &str) -> Result<u64, String> {
    let prefix = format!("promscribe_series_overflow_total{{family=\"{name}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| {
            v.split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .map(|v| v as u64)
                .ok_or_else(|| format!("unreadable overflow count: {v}"))
        })
        .unwrap_or(Ok(0))
}

fn run(case: &Case) -> Result<Vec<(&'static str, String)>, String> {
    let mut out = Vec::new();
    out.push(("baseline_rss_kib", status_kib("VmRSS")?.to_string()));
    let mut opts = Opts::new(NAME, "Requests.").labels(["path"]);
    if let Some(max) = case.max_series {
        opts = opts.max_series(max);
    }
    if let Some(e) = case.expire_ms {
        opts = opts.expire_after(Duration::from_millis(e));
    }
    let family = Family::<Counter, 1>::new(opts).map_err(|e| e.to_string())?;
    let registry = Registry::new();
    registry
        .register(Arc::clone(&family) as _)
        .map_err(|e| e.to_string())?;

    // Seconds per value, when paced.
    let pace = case.seconds.map(|s| s / case.values.max(1) as f64);
    let mut path = String::new();
    let mut peak_len = 0;
    let start = Instant::now();
    for i in 0..case.values {
        use std::fmt::Write;
        path.clear();
        let _ = write!(path, "/item/{i}");
        family.labels([path.as_str()]).inc();
        if (i + 1) % BATCH == 0 || i + 1 == case.values {
            peak_len = peak_len.max(family.len());
            if let Some(pace) = pace {
                let due = Duration::from_secs_f64(pace * (i + 1) as f64);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
        }
    }
    out.push(("record_ms", ms(start.elapsed())));
    out.push(("rss_after_kib", status_kib("VmRSS")?.to_string()));
    out.push(("peak_rss_kib", status_kib("VmHWM")?.to_string()));
    let len = family.len();
    out.push(("len", len.to_string()));
    out.push(("peak_len", peak_len.max(len).to_string()));

    let mut text = String::new();
    promscribe::encode(
        &mut text,
        &registry,
        Format::Text,
        &EncodeOptions::default().created(false),
    )
    .map_err(|e| e.to_string())?;
    let samples = text
        .lines()
        .filter(|l| l.starts_with(&format!("{NAME}{{")))
        .count();
    let overflow = overflow_count(&text, family.name())?;
    out.push(("overflow", overflow.to_string()));
    out.push(("samples", samples.to_string()));

    if case.expire_ms.is_none() {
        let cap = case.max_series.unwrap_or(usize::MAX);
        let over = case.values.saturating_sub(cap);
        let series = case.values.min(cap) + usize::from(over > 0);
        if samples != series || overflow != over as u64 || len != case.values.min(cap) {
            return Err(format!(
                "{case:?}: {samples} samples, {overflow} overflowed and len {len}; \
                 expected {series} samples, {over} overflowed and len {}",
                case.values.min(cap)
            ));
        }
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let case = match parse(&args) {
        Ok(case) => case,
        Err(e) => {
            eprintln!("{e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&case) {
        Ok(fields) => {
            let mut line = format!(
                "values={} max_series={} expire_ms={} seconds={}",
                case.values,
                case.max_series.map_or("-".into(), |m| m.to_string()),
                case.expire_ms.map_or("-".into(), |e| e.to_string()),
                case.seconds.map_or("-".into(), |s| s.to_string()),
            );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn parses_a_case_and_refuses_the_rest() {
        let case =
            parse(&args(&["1_000_000", "max_series=10,000", "seconds=2.5"])).expect("a valid case");
        assert_eq!(case.values, 1_000_000);
        assert_eq!(case.max_series, Some(10_000));
        assert_eq!(case.expire_ms, None);
        assert_eq!(case.seconds, Some(2.5));
        for bad in [
            &[][..],
            &["x"][..],
            &["10", "cap=3"][..],
            &["10", "seconds=-1"][..],
            &["10", "seconds=NaN"][..],
            &["10", "expire_ms"][..],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn reads_the_overflow_count_of_the_family() {
        let text = "# TYPE promscribe_series_overflow_total counter\n\
            promscribe_series_overflow_total{family=\"other\"} 5\n\
            promscribe_series_overflow_total{family=\"requests\"} 990000\n";
        assert_eq!(overflow_count(text, "requests"), Ok(990_000));
        assert_eq!(overflow_count(text, "absent"), Ok(0));
        let broken = "promscribe_series_overflow_total{family=\"requests\"} x\n";
        assert!(overflow_count(broken, "requests").is_err());
    }

    #[test]
    fn a_capped_run_checks_its_scrape() {
        let case = parse(&args(&["50", "max_series=20"])).expect("a valid case");
        let fields = run(&case).expect("the scrape holds the cap and the overflow");
        let get = |k: &str| {
            fields
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("len").as_deref(), Some("20"));
        assert_eq!(get("samples").as_deref(), Some("21"));
        assert_eq!(get("overflow").as_deref(), Some("30"));
    }
}
