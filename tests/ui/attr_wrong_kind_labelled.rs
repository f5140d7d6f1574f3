use std::sync::Arc;

promscribe::histogram!(H, "h_seconds", "help", labels = ["path"]);

struct S {
    c: Arc<promscribe::Counter>,
    family: Arc<promscribe::Family<promscribe::Counter, 1>>,
}

impl S {
    #[promscribe::track_inprogress(H, labels = [path])]
    fn route(&self, path: &str) {
        let _ = path;
    }

    #[promscribe::timed(self.c)]
    fn field(&self) {}

    // A field called like a name of the expansion keeps its name.
    #[promscribe::timed(self.family, labels = [path])]
    fn labelled_field(&self, path: &str) {
        let _ = path;
    }
}

fn main() {
    let s = S {
        c: promscribe::Counter::new("c_total", "help").unwrap(),
        family: promscribe::Family::new(promscribe::Opts::new("f_total", "help").labels(["path"]))
            .unwrap(),
    };
    s.route("/");
    s.field();
    s.labelled_field("/");
}
