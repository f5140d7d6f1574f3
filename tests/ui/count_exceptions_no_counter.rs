#[promscribe::count_exceptions]
fn work() {}

fn main() {
    work();
}
