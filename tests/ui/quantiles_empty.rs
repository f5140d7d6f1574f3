// No objective: a summary with quantiles needs at least one.
promscribe::summary!(S, "s_seconds", "help", quantiles = []);

fn main() {
    S.observe(1.0);
}
