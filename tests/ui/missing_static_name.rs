metrics_core::counter!("requests_total", "help");
fn main() {}
