// `max_age`: a duration string of at least 1 ms, as
// `SummaryQuantiles::max_age` takes.
promscribe::summary!(A, "a_seconds", "help", quantiles = [(0.5, 0.05)], max_age = "0ms");
promscribe::summary!(B, "b_seconds", "help", quantiles = [(0.5, 0.05)], max_age = "10 minutes");
promscribe::summary!(C, "c_seconds", "help", quantiles = [(0.5, 0.05)], max_age = "5d");
promscribe::summary!(D, "d_seconds", "help", quantiles = [(0.5, 0.05)], max_age = 600);
promscribe::summary!(E, "e_seconds", "help", quantiles = [(0.5, 0.05)], max_age = "99999999999999999999h");

fn main() {
    A.observe(1.0);
    B.observe(1.0);
    C.observe(1.0);
    D.observe(1.0);
    E.observe(1.0);
}
