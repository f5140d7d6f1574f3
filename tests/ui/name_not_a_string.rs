promscribe::counter!(C, requests_total, "help");
fn main() {}
