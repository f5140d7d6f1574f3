promscribe::counter!(C, "calls_total", "help");

fn main() {
    C.labels(["get"]).inc();
}
