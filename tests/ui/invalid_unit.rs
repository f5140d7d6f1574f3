promscribe::gauge!(G, "temperature", "help", unit = "deg-c");
fn main() {}
