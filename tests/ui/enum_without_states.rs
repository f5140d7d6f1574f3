promscribe::enumeration!(S, "task_state", "help");
fn main() {}
