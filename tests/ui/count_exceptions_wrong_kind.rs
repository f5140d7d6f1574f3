metrics_core::gauge!(G, "g", "help");

#[metrics_core::count_exceptions(G)]
fn work() -> Result<(), ()> {
    Ok(())
}

fn main() {
    let _ = work();
}
