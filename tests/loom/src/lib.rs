//! Loom models of promscribe's lock-free child index and of the liveness
//! of its children: the sources (`metrics-core/src/metrics/index.rs`,
//! `metrics-core/src/metrics/liveness.rs`) compiled as they are, against this
//! crate's `sync` module (loom's primitives under `--cfg loom`), with
//! `crossbeam-epoch` built on loom's atomics (`--cfg crossbeam_loom`).
//!
//! ```text
//! scripts/loom   # RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo test -p promscribe-loom --release
//! ```
//!
//! Without `--cfg loom` the crate builds with the standard library's
//! primitives and its tests are the index's own unit tests.

// The crate only compiles the index for its tests: its items are used
// there, or by promscribe.
#[allow(dead_code, unreachable_pub)]
#[path = "../../../metrics-core/src/metrics/index.rs"]
mod index;
#[allow(dead_code, unreachable_pub)]
#[path = "../../../metrics-core/src/metrics/liveness.rs"]
mod liveness;
pub(crate) mod sync;

#[cfg(all(test, loom))]
mod liveness_models;
#[cfg(all(test, loom))]
mod models;
