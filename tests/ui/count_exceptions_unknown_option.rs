metrics_core::counter!(C, "errors_total", "help");

#[metrics_core::count_exceptions(C, error = _)]
fn work() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = work();
}
