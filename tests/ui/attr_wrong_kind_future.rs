// The wrong kind of metric on the shapes that wrap a future: one error
// each, on the metric path, naming it.
use std::future::Future;

promscribe::counter!(CALLS, "calls_total", "help");
promscribe::histogram!(LATENCY, "latency_seconds", "help");

#[promscribe::timed(CALLS)]
fn fetch() -> impl Future<Output = u8> {
    async { 7 }
}

#[promscribe::track_inprogress(CALLS)]
async fn work() {}

#[promscribe::count_exceptions(LATENCY)]
async fn fallible() -> Result<(), ()> {
    Ok(())
}

struct Tuple(std::sync::Arc<promscribe::Gauge>);

impl Tuple {
    // No name to show for a tuple field: the message says "`metric`".
    #[promscribe::count_exceptions(self.0)]
    fn call(&self) {}
}

fn main() {
    let _ = fetch();
    let _ = work();
    let _ = fallible();
    Tuple(promscribe::Gauge::new("g", "help").unwrap()).call();
}
