promscribe::counter!(C, "requests_total", "help", labels = ["ok", "http.method", ""]);

fn main() {}
