promscribe::counter!(C, "requests_total", "help", crate = 1 + 1);

fn main() {
    C.inc();
}
