use std::sync::Arc;

promscribe::histogram!(H, "h_seconds", "help", labels = ["path"]);

struct S {
    c: Arc<promscribe::Counter>,
}

impl S {
    #[promscribe::track_inprogress(H, labels = [path])]
    fn route(&self, path: &str) {
        let _ = path;
    }

    #[promscribe::timed(self.c)]
    fn field(&self) {}
}

fn main() {
    let s = S { c: promscribe::Counter::new("c_total", "help").unwrap() };
    s.route("/");
    s.field();
}
