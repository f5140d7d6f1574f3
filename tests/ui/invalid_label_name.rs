metrics_core::counter!(C, "requests_total", "help", labels = ["ok", "bad-label"]);
fn main() {}
