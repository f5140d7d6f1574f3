metrics_core::counter!(C, "requests_total", "help", labels = []);
fn main() {}
