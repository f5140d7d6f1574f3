promscribe::enumeration!(S, "task_state", "help", states = ["up"], unit = "seconds");
fn main() {}
