promscribe::counter!(C, "errors_total", "help");

#[promscribe::count_exceptions(C, error = _)]
fn work() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = work();
}
