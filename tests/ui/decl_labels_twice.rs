// `labels` given twice: one error at the second, and the static (with the
// first labels) still type-checks where it is used.
promscribe::counter!(C, "requests_total", "help", labels = ["method"], labels = ["code"]);

fn main() {
    C.labels(["get"]).inc();
}
