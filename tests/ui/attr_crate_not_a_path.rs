promscribe::histogram!(H, "attr_crate_seconds", "help");

#[promscribe::timed(H, crate = 1)]
fn f() {}

fn main() {
    f();
}
