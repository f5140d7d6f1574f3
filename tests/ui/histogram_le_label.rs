promscribe::histogram!(H, "latency_seconds", "help", labels = ["le"]);
fn main() {}
