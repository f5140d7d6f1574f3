// `err = ..` and `err_type = ..` on a function that visibly returns no
// `Result`: said in words, on the option.
promscribe::counter!(C, "errors_total", "help");

#[promscribe::count_exceptions(C, err = 0)]
fn first(v: &[u8]) -> Option<u8> {
    v.first().copied()
}

#[promscribe::count_exceptions(C, err_type = std::io::Error)]
async fn len(v: &[u8]) -> (usize, bool) {
    (v.len(), v.is_empty())
}

fn main() {
    let _ = first(&[1]);
    let _ = len(&[1]);
}
