//! Benchmarks only: see `benches/hot_path.rs`, run with
//! `cargo bench -p metrics-bench --bench hot_path`.
