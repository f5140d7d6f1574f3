metrics_core::summary!(S, "s_seconds", "help", labels = ["path"]);

#[metrics_core::timed(S, labels = path)]
fn work(path: &str) {}

fn main() {
    work("/");
}
