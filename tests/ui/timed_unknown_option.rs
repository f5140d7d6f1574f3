promscribe::summary!(S, "s_seconds", "help");

#[promscribe::timed(S, buckets = [1.0])]
fn work() {}

fn main() {
    work();
}
