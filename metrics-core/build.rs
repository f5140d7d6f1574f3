//! Records the rustc version and the target this crate is compiled with,
//! for [`BuildInfo`](promscribe::BuildInfo): every crate of one build is
//! compiled by the same rustc for the same target (build scripts and
//! procedural macros aside), so they are the application's too.
//!
//! `PROMSCRIBE_RUSTC_VERSION` is the second word of `$RUSTC -V`
//! (`1.95.0`, `1.97.0-nightly`), `PROMSCRIBE_TARGET` Cargo's `TARGET`
//! (`x86_64-unknown-linux-gnu`); either is `unknown` when it cannot be
//! read. Cargo runs this script again when the toolchain changes.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(&rustc)
        .arg("-V")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=PROMSCRIBE_RUSTC_VERSION={version}");
    println!("cargo:rustc-env=PROMSCRIBE_TARGET={target}");
}
