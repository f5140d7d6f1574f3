promscribe::gauge!(G, "g", "help");

#[promscribe::count_exceptions(G)]
fn work() -> Result<(), ()> {
    Ok(())
}

fn main() {
    let _ = work();
}
