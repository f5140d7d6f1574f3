// `quantiles`, `max_age` and `age_buckets` are options of summary! alone.
promscribe::histogram!(H, "h_seconds", "help", quantiles = [(0.5, 0.05)]);
promscribe::counter!(C, "calls_total", "help", max_age = "10m");
promscribe::gauge!(G, "depth", "help", age_buckets = 5);

fn main() {
    H.observe(1.0);
    C.inc();
    G.set(1.0);
}
