metrics_core::counter!(CALLS, "calls_total", "help");

#[metrics_core::timed(CALLS)]
fn work() {}

fn main() {
    work();
}
