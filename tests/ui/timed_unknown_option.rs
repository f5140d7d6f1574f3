metrics_core::summary!(S, "s_seconds", "help");

#[metrics_core::timed(S, buckets = [1.0])]
fn work() {}

fn main() {
    work();
}
