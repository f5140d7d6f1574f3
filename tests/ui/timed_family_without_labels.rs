metrics_core::histogram!(LATENCY, "latency_seconds", "help", labels = ["path"]);

#[metrics_core::timed(LATENCY)]
fn work() {}

fn main() {
    work();
}
