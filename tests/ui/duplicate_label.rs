metrics_core::counter!(C, "requests_total", "help", labels = ["path", "path"]);
fn main() {}
