promscribe::summary!(S, "s_seconds", "help");

#[promscribe::timed]
fn work() {}

fn main() {
    work();
}
