promscribe::counter!(C, "errors_total", "help");

#[derive(Debug)]
enum MyError { Timeout }

#[promscribe::count_exceptions(C, err = MyError::Timeout)]
fn work() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = work();
    let _ = MyError::Timeout;
}
