promscribe::enumeration!(E, "task.state", "help", namespace = "__ns", states = ["a", "b"]);

fn main() {}
