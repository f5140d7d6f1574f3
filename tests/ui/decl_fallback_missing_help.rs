// The help is missing: that is the one error; the uses of the static add none.
promscribe::counter!(C, "requests_total");

fn main() {
    C.inc();
}
