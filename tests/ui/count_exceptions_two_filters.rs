metrics_core::counter!(C, "errors_total", "help");

#[metrics_core::count_exceptions(C, err = _, err_type = std::io::Error)]
fn work() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = work();
}
