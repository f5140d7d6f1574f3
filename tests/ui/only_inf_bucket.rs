promscribe::histogram!(H, "latency_seconds", "help", buckets = [f64::INFINITY]);
fn main() {}
