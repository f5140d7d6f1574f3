promscribe::counter!(C, "requests_total", "help", namespace = "my-app");
fn main() {}
