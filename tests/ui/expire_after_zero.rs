promscribe::histogram!(H, "latency_seconds", "help", labels = ["route"], expire_after = "0s");
fn main() {
    H.labels(["/"]).observe(0.5);
}
