promscribe::counter!("requests_total", "help");
fn main() {}
