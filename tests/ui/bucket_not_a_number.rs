promscribe::histogram!(H, "latency_seconds", "help", buckets = [0.1, "1"]);
fn main() {}
