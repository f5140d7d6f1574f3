// `crate` given before the static and again as an option.
promscribe::counter!(crate = ::promscribe, C, "requests_total", "help", crate = ::promscribe);

fn main() {
    C.inc();
}
