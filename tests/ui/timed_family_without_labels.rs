promscribe::histogram!(LATENCY, "latency_seconds", "help", labels = ["path"]);

#[promscribe::timed(LATENCY)]
fn work() {}

fn main() {
    work();
}
