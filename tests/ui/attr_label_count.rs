use std::sync::Arc;

promscribe::gauge!(BUSY, "busy", "help", labels = ["method", "path"]);
promscribe::histogram!(LATENCY, "latency_seconds", "help", labels = ["method", "path"]);

// One error per attribute, on its list of values, in numbers.
#[promscribe::track_inprogress(BUSY, labels = [method])]
fn busy(method: &str) {
    let _ = method;
}

#[promscribe::timed(LATENCY, labels = [method, path, "extra"])]
async fn timed(method: &str, path: &str) {
    let _ = (method, path);
}

struct Service {
    failures: Arc<promscribe::Family<promscribe::Counter, 2>>,
}

impl Service {
    #[promscribe::count_exceptions(self.failures, labels = [method])]
    fn call(&self, method: &str) -> Result<(), String> {
        let _ = method;
        Ok(())
    }
}

fn main() {
    let failures = promscribe::Family::new(
        promscribe::Opts::new("failures_total", "help").labels(["method", "path"]),
    )
    .unwrap();
    busy("GET");
    let _ = timed("GET", "/");
    let _ = Service { failures }.call("GET");
}
