// A lowercase static name: one lint, on the user's name, and nothing about
// an item of the expansion.
#![deny(non_upper_case_globals)]

promscribe::counter!(requests, "requests_total", "help");

fn main() {
    requests.inc();
}
