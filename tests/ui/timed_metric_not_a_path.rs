// A metric that is no path (a string): the message says what it is.
#[promscribe::timed("latency_seconds")]
fn work() {}

fn main() {
    work();
}
