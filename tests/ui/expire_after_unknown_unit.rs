promscribe::gauge!(A, "a", "help", labels = ["room"], expire_after = "2d");
promscribe::gauge!(B, "b", "help", labels = ["room"], expire_after = "30sec");
fn main() {
    A.labels(["hall"]).set(1.0);
    B.labels(["hall"]).set(1.0);
}
