metrics_core::gauge!(G);
fn main() {}
