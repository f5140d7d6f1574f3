promscribe::gauge!(G, "up", "help", namespace = "app", subsystem = "http(s)");
fn main() {}
