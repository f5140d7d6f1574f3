promscribe::gauge!(G, "temperature", "help", unit = "celsius", unit = "kelvin");
fn main() {}
