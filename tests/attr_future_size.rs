//! What the attributes add to the size of the future they wrap: at most
//! 256 bytes each, whatever the future holds. The future of a function
//! holding a 4 KiB buffer across an `.await` is measured plain and under
//! each attribute, stacked, for an `async fn`, a returned `impl Future`,
//! a returned `Pin<Box<dyn Future>>` and an `#[async_trait]` method: an
//! attribute that stored the user's future twice (an `async` wrapper
//! awaiting a future it also holds) would add 4 KiB or more.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use promscribe::{count_exceptions, counter, gauge, histogram, timed, track_inprogress};

/// What each attribute may add.
const PER_ATTRIBUTE: usize = 256;

const BUF: usize = 4096;

#[derive(Debug)]
struct Failed;

histogram!(SZ_TIME, "attr_size_seconds", "time");
counter!(SZ_ERRORS, "attr_size_errors_total", "errors");
gauge!(SZ_INPROGRESS, "attr_size_inprogress", "in progress");

/// A buffer that lives across a suspension point.
async fn work(fill: u8) -> Result<usize, Failed> {
    let buf = [fill; BUF];
    tokio::task::yield_now().await;
    let sum: usize = std::hint::black_box(&buf).iter().map(|b| *b as usize).sum();
    if sum == 0 {
        Err(Failed)
    } else {
        Ok(sum)
    }
}

// ---- async fn ----------------------------------------------------------------

async fn plain(fill: u8) -> Result<usize, Failed> {
    let buf = [fill; BUF];
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

#[timed(SZ_TIME)]
async fn timed_fn(fill: u8) -> Result<usize, Failed> {
    let buf = [fill; BUF];
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

#[count_exceptions(SZ_ERRORS)]
async fn counted_fn(fill: u8) -> Result<usize, Failed> {
    let buf = [fill; BUF];
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

#[count_exceptions(SZ_ERRORS, err = Failed)]
async fn counted_pattern_fn(fill: u8) -> Result<usize, Failed> {
    let buf = [fill; BUF];
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

#[track_inprogress(SZ_INPROGRESS)]
async fn tracked_fn(fill: u8) -> Result<usize, Failed> {
    let buf = [fill; BUF];
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

#[timed(SZ_TIME)]
#[count_exceptions(SZ_ERRORS)]
#[track_inprogress(SZ_INPROGRESS)]
async fn stacked_fn(fill: u8) -> Result<usize, Failed> {
    let buf = [fill; BUF];
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

// The buffer as an argument: an `async fn` keeps its arguments, and the
// body's copy of them.

async fn plain_arg(buf: [u8; BUF]) -> Result<usize, Failed> {
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

#[timed(SZ_TIME)]
async fn timed_arg(buf: [u8; BUF]) -> Result<usize, Failed> {
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

#[count_exceptions(SZ_ERRORS)]
async fn counted_arg(buf: [u8; BUF]) -> Result<usize, Failed> {
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

#[track_inprogress(SZ_INPROGRESS)]
async fn tracked_arg(buf: [u8; BUF]) -> Result<usize, Failed> {
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

#[timed(SZ_TIME)]
#[count_exceptions(SZ_ERRORS)]
#[track_inprogress(SZ_INPROGRESS)]
async fn stacked_arg(buf: [u8; BUF]) -> Result<usize, Failed> {
    tokio::task::yield_now().await;
    Ok(std::hint::black_box(&buf).len())
}

// ---- -> impl Future ------------------------------------------------------------

fn plain_impl(fill: u8) -> impl Future<Output = Result<usize, Failed>> {
    work(fill)
}

#[timed(SZ_TIME)]
fn timed_impl(fill: u8) -> impl Future<Output = Result<usize, Failed>> {
    work(fill)
}

#[count_exceptions(SZ_ERRORS)]
fn counted_impl(fill: u8) -> impl Future<Output = Result<usize, Failed>> {
    work(fill)
}

#[track_inprogress(SZ_INPROGRESS)]
fn tracked_impl(fill: u8) -> impl Future<Output = Result<usize, Failed>> {
    work(fill)
}

#[timed(SZ_TIME)]
#[count_exceptions(SZ_ERRORS)]
#[track_inprogress(SZ_INPROGRESS)]
fn stacked_impl(fill: u8) -> impl Future<Output = Result<usize, Failed>> {
    work(fill)
}

// ---- -> Pin<Box<dyn Future>> ---------------------------------------------------

/// What the boxed shapes return (for the measure; the functions spell the
/// type out, as the attributes read the written return type).
type Boxed = Pin<Box<dyn Future<Output = Result<usize, Failed>> + Send>>;

fn plain_boxed(fill: u8) -> Pin<Box<dyn Future<Output = Result<usize, Failed>> + Send>> {
    Box::pin(work(fill))
}

#[timed(SZ_TIME)]
fn timed_boxed(fill: u8) -> Pin<Box<dyn Future<Output = Result<usize, Failed>> + Send>> {
    Box::pin(work(fill))
}

#[count_exceptions(SZ_ERRORS)]
fn counted_boxed(fill: u8) -> Pin<Box<dyn Future<Output = Result<usize, Failed>> + Send>> {
    Box::pin(work(fill))
}

#[track_inprogress(SZ_INPROGRESS)]
fn tracked_boxed(fill: u8) -> Pin<Box<dyn Future<Output = Result<usize, Failed>> + Send>> {
    Box::pin(work(fill))
}

#[timed(SZ_TIME)]
#[count_exceptions(SZ_ERRORS)]
#[track_inprogress(SZ_INPROGRESS)]
fn stacked_boxed(fill: u8) -> Pin<Box<dyn Future<Output = Result<usize, Failed>> + Send>> {
    Box::pin(work(fill))
}

// ---- #[async_trait] ------------------------------------------------------------

#[async_trait]
trait Work {
    async fn plain(&self, fill: u8) -> Result<usize, Failed>;
    async fn timed(&self, fill: u8) -> Result<usize, Failed>;
    async fn counted(&self, fill: u8) -> Result<usize, Failed>;
    async fn tracked(&self, fill: u8) -> Result<usize, Failed>;
    async fn stacked(&self, fill: u8) -> Result<usize, Failed>;
}

struct Worker;

#[async_trait]
impl Work for Worker {
    async fn plain(&self, fill: u8) -> Result<usize, Failed> {
        let buf = [fill; BUF];
        tokio::task::yield_now().await;
        Ok(std::hint::black_box(&buf).len())
    }

    #[timed(SZ_TIME)]
    async fn timed(&self, fill: u8) -> Result<usize, Failed> {
        let buf = [fill; BUF];
        tokio::task::yield_now().await;
        Ok(std::hint::black_box(&buf).len())
    }

    #[count_exceptions(SZ_ERRORS)]
    async fn counted(&self, fill: u8) -> Result<usize, Failed> {
        let buf = [fill; BUF];
        tokio::task::yield_now().await;
        Ok(std::hint::black_box(&buf).len())
    }

    #[track_inprogress(SZ_INPROGRESS)]
    async fn tracked(&self, fill: u8) -> Result<usize, Failed> {
        let buf = [fill; BUF];
        tokio::task::yield_now().await;
        Ok(std::hint::black_box(&buf).len())
    }

    #[timed(SZ_TIME)]
    #[count_exceptions(SZ_ERRORS)]
    #[track_inprogress(SZ_INPROGRESS)]
    async fn stacked(&self, fill: u8) -> Result<usize, Failed> {
        let buf = [fill; BUF];
        tokio::task::yield_now().await;
        Ok(std::hint::black_box(&buf).len())
    }
}

/// Checks each `(name, attributes, size)` against `plain`, and prints the
/// table (`--nocapture`).
fn check(shape: &str, plain: usize, rows: &[(&str, usize, usize)]) {
    println!("{shape}: plain {plain} B");
    let mut over = Vec::new();
    for &(name, attributes, size) in rows {
        let bound = plain + attributes * PER_ATTRIBUTE;
        println!("{shape}: {name} {size} B (bound {bound} B)");
        if size > bound {
            over.push(format!("{name}: {size} B > {bound} B"));
        }
    }
    assert!(
        over.is_empty(),
        "{shape}, plain {plain} B: over the bound: {over:?}"
    );
}

#[test]
fn an_attribute_adds_a_bounded_size_to_an_async_fn() {
    // The buffer is in the future: the measure sees the body.
    assert!(std::mem::size_of_val(&plain(1)) >= BUF);
    check(
        "async fn",
        std::mem::size_of_val(&plain(1)),
        &[
            ("#[timed]", 1, std::mem::size_of_val(&timed_fn(1))),
            (
                "#[count_exceptions]",
                1,
                std::mem::size_of_val(&counted_fn(1)),
            ),
            (
                "#[count_exceptions(err = ..)]",
                1,
                std::mem::size_of_val(&counted_pattern_fn(1)),
            ),
            (
                "#[track_inprogress]",
                1,
                std::mem::size_of_val(&tracked_fn(1)),
            ),
            ("all three", 3, std::mem::size_of_val(&stacked_fn(1))),
        ],
    );
}

#[test]
fn an_attribute_adds_a_bounded_size_to_an_async_fn_taking_the_buffer() {
    let b = [1; BUF];
    assert!(std::mem::size_of_val(&plain_arg(b)) >= BUF);
    check(
        "async fn (argument)",
        std::mem::size_of_val(&plain_arg(b)),
        &[
            ("#[timed]", 1, std::mem::size_of_val(&timed_arg(b))),
            (
                "#[count_exceptions]",
                1,
                std::mem::size_of_val(&counted_arg(b)),
            ),
            (
                "#[track_inprogress]",
                1,
                std::mem::size_of_val(&tracked_arg(b)),
            ),
            ("all three", 3, std::mem::size_of_val(&stacked_arg(b))),
        ],
    );
}

#[test]
fn an_attribute_adds_a_bounded_size_to_a_returned_impl_future() {
    assert!(std::mem::size_of_val(&plain_impl(1)) >= BUF);
    check(
        "-> impl Future",
        std::mem::size_of_val(&plain_impl(1)),
        &[
            ("#[timed]", 1, std::mem::size_of_val(&timed_impl(1))),
            (
                "#[count_exceptions]",
                1,
                std::mem::size_of_val(&counted_impl(1)),
            ),
            (
                "#[track_inprogress]",
                1,
                std::mem::size_of_val(&tracked_impl(1)),
            ),
            ("all three", 3, std::mem::size_of_val(&stacked_impl(1))),
        ],
    );
}

#[test]
fn an_attribute_adds_a_bounded_size_to_a_returned_boxed_future() {
    // The boxed future itself, not the box.
    // The function boxes its future, and the attribute boxes its wrapper
    // around that box: the wrapper is measured against the box it holds.
    let size = |f: Boxed| std::mem::size_of_val(&*f);
    assert!(size(plain_boxed(1)) >= BUF);
    check(
        "-> Pin<Box<dyn Future>> (the outer box)",
        std::mem::size_of::<Boxed>(),
        &[
            ("#[timed]", 1, size(timed_boxed(1))),
            ("#[count_exceptions]", 1, size(counted_boxed(1))),
            ("#[track_inprogress]", 1, size(tracked_boxed(1))),
            ("all three", 3, size(stacked_boxed(1))),
        ],
    );
}

#[test]
fn an_attribute_adds_a_bounded_size_to_an_async_trait_method() {
    let size = |f: Pin<Box<dyn Future<Output = Result<usize, Failed>> + Send + '_>>| {
        std::mem::size_of_val(&*f)
    };
    let w = Worker;
    assert!(size(w.plain(1)) >= BUF);
    check(
        "#[async_trait]",
        size(w.plain(1)),
        &[
            ("#[timed]", 1, size(w.timed(1))),
            ("#[count_exceptions]", 1, size(w.counted(1))),
            ("#[track_inprogress]", 1, size(w.tracked(1))),
            ("all three", 3, size(w.stacked(1))),
        ],
    );
}

#[tokio::test]
async fn the_measured_futures_still_run_and_record() {
    let errors = SZ_ERRORS.get();
    assert_eq!(stacked_fn(1).await.ok(), Some(BUF));
    assert_eq!(stacked_impl(1).await.ok(), Some(BUF));
    assert!(stacked_boxed(0).await.is_err());
    assert_eq!(Worker.stacked(1).await.ok(), Some(BUF));
    assert_eq!(SZ_ERRORS.get(), errors + 1.0, "the one Err counted");
    assert_eq!(SZ_INPROGRESS.get(), 0.0);
    assert_eq!(SZ_TIME.get_count(), 4);
}

histogram!(DROP_TIME, "attr_size_drop_seconds", "time");
counter!(DROP_ERRORS, "attr_size_drop_errors_total", "errors");
gauge!(DROP_INPROGRESS, "attr_size_drop_inprogress", "in progress");

#[timed(DROP_TIME)]
#[count_exceptions(DROP_ERRORS)]
#[track_inprogress(DROP_INPROGRESS)]
fn dropped_impl(fill: u8) -> impl Future<Output = Result<usize, Failed>> {
    work(fill)
}

#[test]
fn a_wrapped_future_dropped_after_its_first_poll_is_timed_and_not_counted() {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut fut = Box::pin(dropped_impl(0));
    assert_eq!(
        DROP_INPROGRESS.get(),
        0.0,
        "not in progress before its first poll"
    );
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert_eq!(
        DROP_INPROGRESS.get(),
        1.0,
        "in progress from its first poll"
    );
    assert_eq!(DROP_TIME.get_count(), 0);
    drop(fut);
    assert_eq!(DROP_INPROGRESS.get(), 0.0, "lowered when dropped");
    assert_eq!(DROP_TIME.get_count(), 1, "timed up to its drop");
    assert_eq!(DROP_ERRORS.get(), 0.0, "a cancellation is not an exception");
}
