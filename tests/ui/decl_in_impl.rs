// A static cannot be an associated item. rustc's parser says so and
// recovers the static as an associated const; the declaration sees that it
// stands in an `impl` (or a `trait`) and leaves its registration out, so
// rustc's error is the only one, and the uses through `Self::` add none.
struct Server;

impl Server {
    promscribe::counter!(REQUESTS, "requests_total", "help");

    fn handle(&self) {
        Self::REQUESTS.inc();
    }
}

trait Handler {
    promscribe::histogram!(LATENCY, "latency_seconds", "help", labels = ["path"]);

    fn handle(&self) {
        Self::LATENCY.labels(["/"]).observe(1.0);
    }
}

fn main() {
    Server.handle();
}
