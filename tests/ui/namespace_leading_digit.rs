promscribe::gauge!(G, "up", "help", namespace = "9app");
fn main() {}
