promscribe::enumeration!(E, "ns:task_state", "help", states = ["a", "b"]);
fn main() {}
