promscribe::summary!(S, "s_seconds", "help", labels = ["path"]);

#[promscribe::timed(S, labels = path)]
fn work(path: &str) {}

fn main() {
    work("/");
}
