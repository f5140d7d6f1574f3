promscribe::counter!(C, "requests_total", "help", labels = []);
fn main() {}
