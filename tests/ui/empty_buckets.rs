promscribe::histogram!(H, "latency_seconds", "help", buckets = []);
fn main() {}
