// An option that is not `key = value`: one error; the rest is still read.
promscribe::histogram!(H, "latency_seconds", "help", buckets: [1.0], labels = ["route"]);

fn main() {
    H.labels(["/"]).observe(0.5);
}
