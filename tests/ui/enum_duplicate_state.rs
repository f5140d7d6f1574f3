promscribe::enumeration!(S, "task_state", "help", states = ["up", "down", "up"]);
fn main() {}
