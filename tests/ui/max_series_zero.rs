promscribe::counter!(C, "requests_total", "help", labels = ["route"], max_series = 0);
fn main() {
    C.labels(["/"]).inc();
}
