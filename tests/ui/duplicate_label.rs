promscribe::counter!(C, "requests_total", "help", labels = ["path", "path"]);
fn main() {}
