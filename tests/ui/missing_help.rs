metrics_core::counter!(C, "requests_total");
fn main() {}
