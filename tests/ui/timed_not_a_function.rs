promscribe::summary!(S, "s_seconds", "help");

#[promscribe::timed(S)]
struct NotAFunction;

fn main() {}
