metrics_core::counter!(C, "bad-name_total", "help");
fn main() {}
