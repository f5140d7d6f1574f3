// A const expression is checked where the static is evaluated: the build
// fails at the expression, with the constructor's message.
use std::time::Duration;

const CAP: usize = 0;
const SMALL: u32 = 10;
promscribe::info!(I, "build", "help", labels = ["version"], max_series = CAP);
promscribe::counter!(
    C, "calls_total", "help", labels = ["route"],
    expire_after = Duration::from_secs(30 * 24 * 60 * 60)
);
promscribe::gauge!(G, "depth", "help", labels = ["queue"], max_series = SMALL);

fn main() {
    let _ = I.labels(["1.0"]).set([("commit", "abc")]);
    C.labels(["/"]).inc();
    G.labels(["mail"]).set(1.0);
}
