promscribe::gauge!(G, "", "help");
fn main() {}
