metrics_core::histogram!(LATENCY, "latency_seconds", "help", labels = ["path"]);

#[metrics_core::timed(LATENCY, labels = [path, 1])]
fn work(path: &str) {}

fn main() {
    work("/");
}
