promscribe::enumeration!(S, "task_state", "help", states = []);
fn main() {}
