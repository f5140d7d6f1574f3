// `native` is an option of histogram! alone: every other macro refuses
// it at the key.
promscribe::counter!(C, "calls_total", "help", native = promscribe::NativeOpts::new());
promscribe::gauge!(G, "depth", "help", native = promscribe::NativeOpts::new());
promscribe::summary!(S, "wait_seconds", "help", native = promscribe::NativeOpts::new());
promscribe::info!(I, "build", "help", native = promscribe::NativeOpts::new());
promscribe::enumeration!(
    E, "state", "help", states = ["a", "b"], native = promscribe::NativeOpts::new()
);

fn main() {
    C.inc();
    G.set(1.0);
    S.observe(1.0);
    let _ = I.set([("version", "1")]);
    let _ = E.get();
}
