// An option with neither `=` nor a value: one error naming the option.
promscribe::counter!(C, "c_total", "h", unit);

fn main() {
    C.inc();
}
