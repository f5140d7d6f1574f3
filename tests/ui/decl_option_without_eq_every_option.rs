// Every option of every declaration macro, missing its `=` (or with `:` in
// its place): one error each, and each option keeps its value, so the uses
// below add none.
promscribe::counter!(crate ::promscribe, REQUESTS, "requests_total", "help", labels ["route"]);
promscribe::gauge!(TEMPERATURE, "temperature", "help", namespace "app", unit: "celsius");
promscribe::histogram!(LATENCY, "latency", "help", subsystem "http", buckets [0.1, 1.0], labels ["route"]);
promscribe::summary!(SIZES, "sizes", "help", unit "bytes", labels: ["route"]);
promscribe::info!(BUILD, "build", "help", labels ["version"]);
promscribe::enumeration!(STATE, "state", "help", states ["idle", "busy"], labels ["worker"]);
promscribe::counter!(JOBS, "jobs_total", "help", labels => ["kind"], crate ::promscribe);

fn main() {
    REQUESTS.labels(["/"]).inc();
    TEMPERATURE.set(1.0);
    LATENCY.labels(["/"]).observe(0.5);
    SIZES.labels(["/"]).observe(1.0);
    let _ = BUILD.labels(["1.0"]).set([("commit", "abc")]);
    let _ = STATE.labels(["w1"]).state("busy");
    JOBS.labels(["batch"]).inc();
}
