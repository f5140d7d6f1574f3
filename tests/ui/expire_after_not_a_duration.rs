// Whole numbers and one unit, no space; a number alone is not a duration.
promscribe::gauge!(A, "a", "help", labels = ["room"], expire_after = "1.5h");
promscribe::gauge!(B, "b", "help", labels = ["room"], expire_after = "5 m");
promscribe::gauge!(C, "c", "help", labels = ["room"], expire_after = "300");
promscribe::gauge!(D, "d", "help", labels = ["room"], expire_after = 300);
fn main() {
    A.labels(["hall"]).set(1.0);
    B.labels(["hall"]).set(1.0);
    C.labels(["hall"]).set(1.0);
    D.labels(["hall"]).set(1.0);
}
