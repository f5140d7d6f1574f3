//! The RAID example of Python's README: a `raid_status` gauge written to
//! `raid.prom` for node_exporter's textfile collector, atomically (a
//! temporary file renamed into place).
//!
//! ```text
//! cargo run --example textfile -- --dir /var/lib/prometheus/node-exporter
//! TEXTFILE_DIR=/var/lib/prometheus/node-exporter cargo run --example textfile
//! ```

use std::path::PathBuf;

use promscribe::{Gauge, Registry};

const USAGE: &str = "usage: textfile [--dir DIR]   (or TEXTFILE_DIR=DIR)";

fn dir() -> Result<PathBuf, String> {
    let mut dir = std::env::var_os("TEXTFILE_DIR").filter(|d| !d.is_empty());
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--dir") => {
                dir = Some(args.next().ok_or("--dir needs a directory")?);
            }
            Some("-h" | "--help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => {
                return Err(format!(
                    "unknown argument `{}`; {USAGE}",
                    arg.to_string_lossy()
                ))
            }
        }
    }
    dir.map(PathBuf::from)
        .ok_or_else(|| format!("no directory given; {USAGE}"))
}

fn main() {
    let dir = match dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("textfile: {e}");
            std::process::exit(2);
        }
    };
    // A separate registry: the default one also holds process metrics.
    let registry = Registry::new();
    let written = Gauge::new("raid_status", "1 if raid array is okay")
        .map_err(|e| e.to_string())
        .and_then(|g| {
            registry.register(g.clone()).map_err(|e| e.to_string())?;
            g.set(1.0);
            let path = dir.join("raid.prom");
            promscribe_export::write_to_textfile(&path, &registry)
                .map(|()| path)
                .map_err(|e| e.to_string())
        });
    match written {
        Ok(path) => println!("wrote {}", path.display()),
        Err(e) => {
            eprintln!("textfile: {e}");
            std::process::exit(1);
        }
    }
}
