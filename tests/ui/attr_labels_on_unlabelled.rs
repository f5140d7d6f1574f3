promscribe::counter!(FAILURES, "failures_total", "help");

#[promscribe::count_exceptions(FAILURES, labels = [method])]
fn call(method: &str) -> Result<(), String> {
    let _ = method;
    Ok(())
}

fn main() {
    let _ = call("GET");
}
