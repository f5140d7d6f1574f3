promscribe::histogram!(LATENCY, "latency_seconds", "help", labels = ["path"]);

#[promscribe::timed(LATENCY, labels = [path, 1])]
fn work(path: &str) {}

fn main() {
    work("/");
}
