promscribe::enumeration!(
    E, "task_state", "help", states = ["idle", "busy"], labels = ["worker"],
    max_series = 10, expire_after = "1m", max_series = 20, expire_after = "2m"
);
fn main() {
    let _ = E.labels(["w1"]).state("busy");
}
