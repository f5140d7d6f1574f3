promscribe::gauge!(G, "temperature", "help", labels = ["__room"]);
fn main() {}
