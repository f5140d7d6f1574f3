promscribe::histogram!(H, "latency_seconds", "help", buckets = [0.1, 1.0, 0.5]);
fn main() {}
