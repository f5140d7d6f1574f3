promscribe::counter!(C, "errors_total", "help");

#[promscribe::count_exceptions(C, err = _, err_type = std::io::Error)]
fn work() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = work();
}
