promscribe::gauge!(G);
fn main() {}
