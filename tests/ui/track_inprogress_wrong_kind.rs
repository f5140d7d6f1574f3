metrics_core::counter!(C, "calls_total", "help");

#[metrics_core::track_inprogress(C)]
fn work() {}

fn main() {
    work();
}
