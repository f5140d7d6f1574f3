promscribe::counter!(C, "_total", "help");
fn main() {}
