use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

promscribe::histogram!(H, "h_seconds", "help");

struct Ready;

impl Future for Ready {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

trait Service {
    type Future: Future<Output = ()>;
    fn call(&mut self) -> Self::Future;
}

struct S;

impl Service for S {
    type Future = Ready;

    #[promscribe::timed(H)]
    fn call(&mut self) -> Self::Future {
        Ready
    }
}

fn main() {
    let _ = S.call();
}
