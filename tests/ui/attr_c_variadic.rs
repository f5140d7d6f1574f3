// A C-variadic function: the compiler's own error stays on the function,
// not on the attribute.
promscribe::histogram!(H, "h_seconds", "help");

#[promscribe::timed(H)]
unsafe extern "C" fn sum(n: u32, _args: ...) -> u32 {
    n
}

fn main() {}
