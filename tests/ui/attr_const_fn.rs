promscribe::histogram!(H, "h_seconds", "help");

#[promscribe::timed(H)]
const fn answer() -> u32 {
    42
}

fn main() {
    answer();
}
