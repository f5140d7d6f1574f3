metrics_core::summary!(S, "s_seconds", "help");

#[metrics_core::timed(S)]
struct NotAFunction;

fn main() {}
