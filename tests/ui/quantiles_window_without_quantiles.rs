// The window belongs to the quantiles: without them, one error at each
// of its options.
promscribe::summary!(S, "s_seconds", "help", max_age = "10m", age_buckets = 5);
promscribe::summary!(F, "f_seconds", "help", labels = ["path"], age_buckets = 3);

fn main() {
    S.observe(1.0);
    F.labels(["/"]).observe(1.0);
}
