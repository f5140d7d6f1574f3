promscribe::enumeration!(E, "task_state", "help", namespace = "ns:", states = ["a", "b"]);
fn main() {}
