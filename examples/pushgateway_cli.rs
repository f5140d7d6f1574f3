//! A small Pushgateway client for shell scripts and cron jobs: pushes
//! unlabelled gauges, or deletes a group.
//!
//! ```text
//! pushgateway_cli --op push --job backup --grouping host=db1,dir=/srv \
//!     --metrics backup_bytes=1024,backup_ok=1 --gateway localhost:9091
//!
//! PUSH_OP=delete PUSH_JOB=backup PUSH_GROUPING=host=db1,dir=/srv pushgateway_cli
//! ```
//!
//! Every flag has an environment variable; a flag wins over its variable:
//!
//! | flag | variable | value |
//! |---|---|---|
//! | `--op` | `PUSH_OP` | `push` (replace the group), `pushadd` (replace same-named metrics), `delete` |
//! | `--job` | `PUSH_JOB` | the job name (required) |
//! | `--grouping` | `PUSH_GROUPING` | `label=value,...` (values may hold `/` or be empty, not `,`) |
//! | `--metrics` | `PUSH_METRICS` | `name=value,...`, unlabelled gauges (required but for delete) |
//! | `--help-text` | `PUSH_HELP` | the gauges' help text |
//! | `--gateway` | `PUSHGATEWAY_URL` | `host:port` or URL (default `localhost:9091`) |
//! | `--timeout` | `PUSH_TIMEOUT` | seconds (default 30) |
//!
//! Exit status: 0 done, 1 the push failed (gateway down or refusing),
//! 2 bad input.

use std::collections::HashMap;
use std::time::Duration;

use promscribe::{Gauge, Registry};
use promscribe_export::{GroupingKey, PushError, Pushgateway};

const USAGE: &str = "usage: pushgateway_cli --op push|pushadd|delete --job JOB \
[--grouping label=value,...] [--metrics name=value,...] [--help-text TEXT] \
[--gateway HOST:PORT|URL] [--timeout SECONDS]
(or the environment variables PUSH_OP, PUSH_JOB, PUSH_GROUPING, PUSH_METRICS, \
PUSH_HELP, PUSHGATEWAY_URL, PUSH_TIMEOUT)";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Push,
    PushAdd,
    Delete,
}

#[derive(Debug)]
struct Args {
    op: Op,
    job: String,
    grouping: GroupingKey,
    metrics: Vec<(String, f64)>,
    help: String,
    gateway: String,
    timeout: Duration,
}

/// (flag, environment variable)
const OPTIONS: [(&str, &str); 7] = [
    ("--op", "PUSH_OP"),
    ("--job", "PUSH_JOB"),
    ("--grouping", "PUSH_GROUPING"),
    ("--metrics", "PUSH_METRICS"),
    ("--help-text", "PUSH_HELP"),
    ("--gateway", "PUSHGATEWAY_URL"),
    ("--timeout", "PUSH_TIMEOUT"),
];

/// `k=v,k=v` -> pairs; empty items are skipped, a missing `=` refused.
fn pairs(what: &str, list: &str) -> Result<Vec<(String, String)>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .ok_or_else(|| format!("{what}: `{item}` is not of the form name=value"))
        })
        .collect()
}

fn parse_args() -> Result<Args, String> {
    let mut given: HashMap<&str, String> = HashMap::new();
    for (flag, var) in OPTIONS {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() {
                given.insert(flag, v);
            }
        }
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let Some((known, _)) = OPTIONS.iter().find(|(f, _)| *f == flag) else {
            return Err(format!("unknown argument `{arg}`"));
        };
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| format!("{known} needs a value"))?,
        };
        given.insert(known, value);
    }

    let op = match given.get("--op").map(String::as_str) {
        Some("push") => Op::Push,
        Some("pushadd") => Op::PushAdd,
        Some("delete") => Op::Delete,
        Some(other) => {
            return Err(format!(
                "unknown operation `{other}`: use push, pushadd or delete"
            ))
        }
        None => return Err("no operation: give --op or PUSH_OP".into()),
    };
    let job = given
        .get("--job")
        .filter(|j| !j.is_empty())
        .cloned()
        .ok_or("no job: give --job or PUSH_JOB")?;
    let grouping = pairs(
        "grouping",
        given.get("--grouping").map_or("", String::as_str),
    )?
    .into_iter()
    .collect();
    let metrics = pairs("metrics", given.get("--metrics").map_or("", String::as_str))?
        .into_iter()
        .map(|(name, v)| {
            v.trim()
                .parse::<f64>()
                .map(|value| (name.clone(), value))
                .map_err(|_| format!("metrics: the value of `{name}`, `{v}`, is not a number"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    match op {
        Op::Delete if !metrics.is_empty() => {
            return Err("delete takes no metrics (it removes the whole group)".into())
        }
        Op::Push | Op::PushAdd if metrics.is_empty() => {
            return Err("no metrics: give --metrics or PUSH_METRICS as name=value,...".into())
        }
        _ => {}
    }
    let timeout = match given.get("--timeout") {
        Some(t) => t
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("timeout: `{t}` is not a positive number of seconds"))?,
        None => promscribe_export::DEFAULT_PUSH_TIMEOUT,
    };
    Ok(Args {
        op,
        job,
        grouping,
        metrics,
        help: given
            .get("--help-text")
            .cloned()
            .unwrap_or_else(|| "Pushed by pushgateway_cli".into()),
        gateway: given
            .get("--gateway")
            .cloned()
            .unwrap_or_else(|| "localhost:9091".into()),
        timeout,
    })
}

fn registry(args: &Args) -> Result<Registry, String> {
    let registry = Registry::new();
    for (name, value) in &args.metrics {
        let g = Gauge::new(name, &args.help).map_err(|e| format!("metrics: `{name}`: {e}"))?;
        g.set(*value);
        registry.register(g).map_err(|e| format!("metrics: {e}"))?;
    }
    Ok(registry)
}

/// Errors in what was given, rather than in the push itself.
fn is_input_error(e: &PushError) -> bool {
    matches!(
        e,
        PushError::InvalidGateway { .. }
            | PushError::InvalidGroupingKey(_)
            | PushError::InvalidHeader { .. }
            | PushError::Tls(_)
    )
}

fn main() {
    let bad_input = |e: String| -> ! {
        eprintln!("pushgateway_cli: {e}\n{USAGE}");
        std::process::exit(2);
    };
    let args = parse_args().unwrap_or_else(|e| bad_input(e));
    let registry = registry(&args).unwrap_or_else(|e| bad_input(e));
    let result = Pushgateway::builder(args.gateway.as_str())
        .timeout(args.timeout)
        .build()
        .and_then(|gw| match args.op {
            Op::Push => gw.push(&args.job, &args.grouping, &registry),
            Op::PushAdd => gw.pushadd(&args.job, &args.grouping, &registry),
            Op::Delete => gw.delete(&args.job, &args.grouping),
        });
    match result {
        Ok(()) => println!(
            "{:?} done: job {} {:?}, {} metric(s)",
            args.op,
            args.job,
            args.grouping.iter().collect::<Vec<_>>(),
            args.metrics.len()
        ),
        Err(e) if is_input_error(&e) => bad_input(e.to_string()),
        Err(e) => {
            eprintln!("pushgateway_cli: push failed: {e}");
            std::process::exit(1);
        }
    }
}
