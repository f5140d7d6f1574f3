promscribe::counter!(C, "calls_total", "help");

#[promscribe::track_inprogress(C)]
fn work() {}

fn main() {
    work();
}
