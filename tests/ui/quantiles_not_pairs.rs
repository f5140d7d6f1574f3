// Objectives are pairs of number literals.
promscribe::summary!(A, "a_seconds", "help", quantiles = [0.5]);
promscribe::summary!(B, "b_seconds", "help", quantiles = [(0.5, 0.05, 1)]);
promscribe::summary!(C, "c_seconds", "help", quantiles = [(Q, 0.05)]);
promscribe::summary!(D, "d_seconds", "help", quantiles = (0.5, 0.05));

const Q: f64 = 0.5;

fn main() {
    A.observe(1.0);
    B.observe(1.0);
    C.observe(Q);
    D.observe(1.0);
}
