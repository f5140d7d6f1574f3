promscribe::counter!(FAILURES, "failures_total", "help");

#[derive(Debug)]
enum AppError {
    Timeout,
}

#[promscribe::count_exceptions(FAILURES, err = AppError::Timeout)]
fn work() {}

#[promscribe::count_exceptions(FAILURES, err_type = std::io::Error)]
async fn work_async() {}

fn main() {
    work();
    let _ = work_async();
    let _ = AppError::Timeout;
}
