promscribe::counter!(A, "a_total", "help", labels = ["route"], max_series = -1);
promscribe::counter!(B, "b_total", "help", labels = ["route"], max_series = 2.5);
promscribe::counter!(C, "c_total", "help", labels = ["route"], max_series = "100");
promscribe::counter!(D, "d_total", "help", labels = ["route"], max_series = 100u32);
fn main() {
    A.labels(["/"]).inc();
    B.labels(["/"]).inc();
    C.labels(["/"]).inc();
    D.labels(["/"]).inc();
}
