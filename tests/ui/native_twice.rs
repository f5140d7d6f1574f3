use promscribe::NativeOpts;

promscribe::histogram!(
    H, "latency_seconds", "help",
    native = NativeOpts::new(),
    native = NativeOpts::new().max_buckets(160)
);

fn main() {
    H.observe(1.0);
}
