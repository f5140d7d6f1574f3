// A gauge mode that is none of Python's ten: one error at the mode, naming
// them all; a mode that is not a string literal; and the option on another
// macro. The statics still type-check where they are used.
promscribe::gauge!(G, "workers", "help", multiprocess_mode = "average");
promscribe::gauge!(H, "threads", "help", multiprocess_mode = max);
promscribe::counter!(C, "jobs_total", "help", multiprocess_mode = "sum");

fn main() {
    G.inc();
    H.set(1.0);
    C.inc();
}
