metrics_core::enumeration!(S, "task_state", "help");
fn main() {}
