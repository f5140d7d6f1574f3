metrics_core::enumeration!(S, "task_state", "help", states = []);
fn main() {}
