promscribe::counter!(C, "requests_total", "help", buckets = [1.0]);
fn main() {}
