promscribe::summary!(S, "latency_seconds", "help", labels = ["path", "quantile"]);
fn main() {}
