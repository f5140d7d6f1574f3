promscribe::counter!(C, "bad-name_total", "help");
fn main() {}
