// A path where the static's name goes: one error (not read as a `crate`
// option missing its `=`).
promscribe::counter!(crate::REQUESTS, "requests_total", "help");

fn main() {}
