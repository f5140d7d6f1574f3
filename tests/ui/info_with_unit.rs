metrics_core::info!(B, "build", "help", unit = "seconds");
fn main() {}
