#[metrics_core::count_exceptions]
fn work() {}

fn main() {
    work();
}
