metrics_core::enumeration!(S, "task_state", "help", states = ["up", "down", "up"]);
fn main() {}
