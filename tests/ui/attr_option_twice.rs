// An option given twice: the error names it, on its second key.
promscribe::histogram!(H, "h_seconds", "help", labels = ["p"]);
promscribe::counter!(C, "c_total", "help");

#[promscribe::timed(H, labels = [p], labels = [p])]
fn timed(p: &str) {
    let _ = p;
}

#[promscribe::count_exceptions(C, exemplar, exemplar)]
fn counted() {}

#[promscribe::count_exceptions(C, err = _, err = _)]
fn counted_err() -> Result<(), ()> {
    Ok(())
}

fn main() {
    timed("/");
    counted();
    let _ = counted_err();
}
