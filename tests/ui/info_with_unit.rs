promscribe::info!(B, "build", "help", unit = "seconds");
fn main() {}
