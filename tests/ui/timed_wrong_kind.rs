promscribe::counter!(CALLS, "calls_total", "help");

#[promscribe::timed(CALLS)]
fn work() {}

fn main() {
    work();
}
