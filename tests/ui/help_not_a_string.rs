metrics_core::counter!(C, "requests_total", help);
fn main() {}
