// 24 days is the limit; 575h (23 days 23 hours) is accepted.
promscribe::summary!(OK, "ok_bytes", "help", labels = ["route"], expire_after = "575h");
promscribe::summary!(S, "size_bytes", "help", labels = ["route"], expire_after = "576h");
fn main() {
    OK.labels(["/"]).observe(1.0);
    S.labels(["/"]).observe(1.0);
}
