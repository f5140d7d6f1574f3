promscribe::counter!(C, "requests_total");
fn main() {}
