promscribe::counter!(C, "requests_total", "help", labels = "method");
fn main() {}
