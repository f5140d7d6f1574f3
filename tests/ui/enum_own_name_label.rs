promscribe::enumeration!(S, "task_state", "help", labels = ["task_state"], states = ["up"]);
fn main() {}
