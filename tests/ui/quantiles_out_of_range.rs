// A quantile outside [0, 1] is blamed on the quantile, a rank error
// outside (0, 1) on the error: the rules of `SummaryQuantiles::new`.
promscribe::summary!(A, "a_seconds", "help", quantiles = [(0.5, 0.05), (1.5, 0.01)]);
promscribe::summary!(B, "b_seconds", "help", quantiles = [(-0.1, 0.01)]);
promscribe::summary!(C, "c_seconds", "help", quantiles = [(0.9, 0.0), (0.99, 1.0)]);
promscribe::summary!(D, "d_seconds", "help", labels = ["path"], quantiles = [(0.9, 1.5)]);

fn main() {
    A.observe(1.0);
    B.observe(1.0);
    C.observe(1.0);
    D.labels(["/"]).observe(1.0);
}
