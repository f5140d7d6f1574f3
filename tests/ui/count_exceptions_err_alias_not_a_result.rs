// `err =` and `err_type =` on a function whose return type is an alias the
// macro cannot see through, of a type that is not a `Result`: one error, in
// words, on the option.
use promscribe::{count_exceptions, counter};

counter!(FAILURES, "failures_total", "Failures");

type Maybe = Option<u8>;
type Pair = (u8, u8);

#[count_exceptions(FAILURES, err = 0)]
fn first(v: &[u8]) -> Maybe {
    v.first().copied()
}

#[count_exceptions(FAILURES, err_type = std::io::Error)]
async fn pair() -> Pair {
    (1, 2)
}

fn main() {
    let _ = first(&[]);
    let _ = pair();
}
