// `age_buckets` from 1 to 60, as `SummaryQuantiles::age_buckets` takes.
promscribe::summary!(A, "a_seconds", "help", quantiles = [(0.5, 0.05)], age_buckets = 0);
promscribe::summary!(B, "b_seconds", "help", quantiles = [(0.5, 0.05)], age_buckets = 61);
promscribe::summary!(C, "c_seconds", "help", quantiles = [(0.5, 0.05)], age_buckets = 5u8);
promscribe::summary!(D, "d_seconds", "help", quantiles = [(0.5, 0.05)], age_buckets = "5");

fn main() {
    A.observe(1.0);
    B.observe(1.0);
    C.observe(1.0);
    D.observe(1.0);
}
