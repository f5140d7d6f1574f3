// An option missing its `=`: one error, and the option keeps its value, so
// the static is still a labelled family and its use adds no error.
promscribe::counter!(C, "c_total", "h", labels ["a"]);

fn main() {
    C.labels(["x"]).inc();
}
