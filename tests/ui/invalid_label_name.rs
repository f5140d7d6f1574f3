promscribe::counter!(C, "requests_total", "help", labels = ["ok", "bad-label"]);
fn main() {}
