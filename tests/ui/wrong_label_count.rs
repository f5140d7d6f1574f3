promscribe::counter!(C, "requests_total", "help", labels = ["method", "path"]);
fn main() {
    C.labels(["get"]).inc();
}
