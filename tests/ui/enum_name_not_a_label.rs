promscribe::enumeration!(E, "__task.state", "help", states = ["a", "b"]);

fn main() {}
