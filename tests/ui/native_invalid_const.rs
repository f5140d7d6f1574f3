// The options are checked where the static is evaluated: an invalid one
// fails the build at the expression, with the constructor's message; a
// literal, or an expression of another type, is refused at it too.
use promscribe::NativeOpts;

const BAD: NativeOpts = NativeOpts::new().zero_threshold(f64::INFINITY);
promscribe::histogram!(H, "a_seconds", "help", native = BAD);
promscribe::histogram!(
    F, "b_seconds", "help", labels = ["path"],
    native = NativeOpts::new().bucket_factor(f64::NAN)
);
promscribe::histogram!(
    B, "c_seconds", "help", buckets = [1.0],
    native = NativeOpts::new().max_zero_threshold(-1.0)
);
promscribe::histogram!(L, "d_seconds", "help", native = 1.1);
const BUCKETS: u32 = 160;
promscribe::histogram!(T, "e_seconds", "help", native = BUCKETS);

fn main() {
    H.observe(1.0);
    F.labels(["/"]).observe(1.0);
    B.observe(1.0);
    L.observe(1.0);
    T.observe(1.0);
}
