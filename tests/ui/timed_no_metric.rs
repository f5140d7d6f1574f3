metrics_core::summary!(S, "s_seconds", "help");

#[metrics_core::timed]
fn work() {}

fn main() {
    work();
}
