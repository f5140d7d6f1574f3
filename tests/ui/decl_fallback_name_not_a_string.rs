// The name is not a string: one error; the labelled static still exists.
promscribe::counter!(C, requests_total, "help", labels = ["method"]);

fn main() {
    C.labels(["get"]).inc();
}
