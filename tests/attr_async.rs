//! The attributes on the shapes of asynchronous code that are not a plain
//! `async fn`: `#[async_trait]` methods (the attribute must instrument the
//! inner future, not the function that boxes it), functions returning
//! `impl Future` or `Pin<Box<dyn Future>>`, and futures dropped because a
//! sibling panicked (a cancellation, not an exception).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use promscribe::{count_exceptions, counter, gauge, summary, timed, track_inprogress};

#[derive(Debug, PartialEq)]
struct Failed;

// ---- #[async_trait] --------------------------------------------------------

counter!(AT_ERRORS, "attr_at_errors_total", "async-trait errors");
gauge!(
    AT_INPROGRESS,
    "attr_at_inprogress",
    "async-trait in progress"
);
summary!(AT_TIME, "attr_at_seconds", "async-trait time");
counter!(AT_PANICS, "attr_at_panics_total", "async-trait panics");

#[async_trait]
trait Store {
    async fn get(&self, key: u32) -> Result<f64, Failed>;
    async fn boom(&self);
}

struct Memory;

#[async_trait]
impl Store for Memory {
    #[timed(AT_TIME)]
    #[count_exceptions(AT_ERRORS)]
    #[track_inprogress(AT_INPROGRESS)]
    async fn get(&self, key: u32) -> Result<f64, Failed> {
        tokio::time::sleep(Duration::from_millis(30)).await;
        if key == 0 {
            return Err(Failed);
        }
        // Seen from inside the running future.
        Ok(AT_INPROGRESS.get())
    }

    #[count_exceptions(AT_PANICS)]
    async fn boom(&self) {
        tokio::task::yield_now().await;
        panic!("inside the future");
    }
}

#[tokio::test]
async fn async_trait_methods_instrument_the_running_future() {
    let store = Memory;
    let fut = store.get(1);
    // Creating the future is not the call: nothing recorded yet.
    assert_eq!(AT_INPROGRESS.get(), 0.0);
    assert_eq!(AT_TIME.get_count(), 0);
    assert_eq!(fut.await, Ok(1.0), "in progress while the body runs");
    assert_eq!(AT_INPROGRESS.get(), 0.0);
    assert_eq!(store.get(0).await, Err(Failed));
    assert_eq!(AT_ERRORS.get(), 1.0, "the Err of the inner future counts");
    assert_eq!(AT_TIME.get_count(), 2);
    assert!(
        AT_TIME.get_sum() >= 0.060,
        "the time awaiting is measured: {}",
        AT_TIME.get_sum()
    );
    let joined = tokio::spawn(async { Memory.boom().await }).await;
    assert!(joined.expect_err("the task panicked").is_panic());
    assert_eq!(AT_PANICS.get(), 1.0, "a panic in the inner future counts");
}

/// The other order of the attributes, and metrics held in `Arc` fields.
#[async_trait]
trait Fetch {
    async fn fetch(&self, fail: bool) -> Result<f64, Failed>;
}

struct Fetcher {
    time: std::sync::Arc<promscribe::Summary>,
    busy: std::sync::Arc<promscribe::Gauge>,
    errors: std::sync::Arc<promscribe::Counter>,
}

#[async_trait]
impl Fetch for Fetcher {
    #[track_inprogress(self.busy)]
    #[count_exceptions(self.errors)]
    #[timed(self.time)]
    async fn fetch(&self, fail: bool) -> Result<f64, Failed> {
        tokio::task::yield_now().await;
        if fail {
            Err(Failed)?;
        }
        Ok(self.busy.get())
    }
}

#[tokio::test]
async fn async_trait_in_any_order_with_arc_fields() {
    let f = Fetcher {
        time: promscribe::Summary::new("attr_at2_seconds", "help").expect("valid"),
        busy: promscribe::Gauge::new("attr_at2_busy", "help").expect("valid"),
        errors: promscribe::Counter::new("attr_at2_errors_total", "help").expect("valid"),
    };
    let fut = f.fetch(false);
    assert_eq!(f.busy.get(), 0.0);
    assert_eq!(fut.await, Ok(1.0));
    assert_eq!(f.fetch(true).await, Err(Failed));
    assert_eq!(f.errors.get(), 1.0);
    assert_eq!(f.time.get_count(), 2);
    assert_eq!(f.busy.get(), 0.0);
}

// ---- functions returning futures -----------------------------------------

summary!(FR_IMPL, "attr_fr_impl_seconds", "impl Future");
gauge!(
    FR_BOXED,
    "attr_fr_boxed_inprogress",
    "boxed future in progress"
);
counter!(FR_ERRORS, "attr_fr_errors_total", "future errors");

#[timed(FR_IMPL)]
fn later(ms: u64) -> impl Future<Output = u64> {
    async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }
}

#[track_inprogress(FR_BOXED)]
fn boxed(fail: bool) -> Pin<Box<dyn Future<Output = Result<f64, Failed>> + Send>> {
    if fail {
        return Box::pin(async { Err(Failed) });
    }
    Box::pin(async {
        tokio::task::yield_now().await;
        Ok(FR_BOXED.get())
    })
}

#[count_exceptions(FR_ERRORS)]
fn boxed_errors(fail: bool) -> Pin<Box<dyn Future<Output = Result<(), Failed>> + Send>> {
    Box::pin(async move {
        tokio::task::yield_now().await;
        if fail {
            Err(Failed)
        } else {
            Ok(())
        }
    })
}

#[tokio::test]
async fn returned_futures_are_measured_from_first_poll_to_completion() {
    let fut = later(30);
    assert_eq!(
        FR_IMPL.get_count(),
        0,
        "creating the future is not the call"
    );
    assert_eq!(fut.await, 30);
    assert_eq!(FR_IMPL.get_count(), 1);
    assert!(FR_IMPL.get_sum() >= 0.030, "{}", FR_IMPL.get_sum());

    let fut = boxed(false);
    assert_eq!(FR_BOXED.get(), 0.0);
    assert_eq!(fut.await, Ok(1.0), "in progress while the future runs");
    assert_eq!(boxed(true).await, Err(Failed));
    assert_eq!(FR_BOXED.get(), 0.0);

    assert_eq!(boxed_errors(true).await, Err(Failed));
    assert_eq!(boxed_errors(false).await, Ok(()));
    assert_eq!(FR_ERRORS.get(), 1.0, "the future's Err counts");
}

// ---- Result<impl Trait, E> -------------------------------------------------

counter!(RI_ANY, "attr_ri_any_total", "Result<impl Trait, E>");
counter!(
    RI_PATTERN,
    "attr_ri_pattern_total",
    "Result<impl Trait, E>, err ="
);
counter!(RI_SYNC, "attr_ri_sync_total", "sync Result<impl Trait, E>");

#[count_exceptions(RI_ANY)]
async fn handler(fail: bool) -> Result<impl std::fmt::Display, Failed> {
    tokio::task::yield_now().await;
    if fail {
        Err(Failed)?;
    }
    Ok("fine")
}

#[count_exceptions(RI_PATTERN, err = Failed)]
async fn handler_filtered(fail: bool) -> Result<impl std::fmt::Display, Failed> {
    if fail {
        return Err(Failed);
    }
    Ok(1)
}

#[count_exceptions(RI_SYNC)]
fn sync_handler(fail: bool) -> Result<impl std::fmt::Debug, Failed> {
    if fail {
        return Err(Failed);
    }
    Ok(vec![1])
}

#[tokio::test]
async fn result_of_impl_trait_counts_err() {
    assert_eq!(
        handler(false).await.map(|v| v.to_string()),
        Ok("fine".into())
    );
    assert!(handler(true).await.is_err());
    assert_eq!(RI_ANY.get(), 1.0);
    assert!(handler_filtered(true).await.is_err());
    assert!(handler_filtered(false).await.is_ok());
    assert_eq!(RI_PATTERN.get(), 1.0);
    assert!(sync_handler(true).is_err());
    assert!(sync_handler(false).is_ok());
    assert_eq!(RI_SYNC.get(), 1.0);
}

// ---- cancellation is not an exception ------------------------------------

counter!(SIB_ERRORS, "attr_sibling_errors_total", "sibling panics");
counter!(OWN_ERRORS, "attr_own_errors_total", "own panics");

#[count_exceptions(SIB_ERRORS)]
async fn waits_forever() -> Result<(), Failed> {
    std::future::pending::<()>().await;
    Ok(())
}

#[count_exceptions(OWN_ERRORS)]
async fn panics_itself() -> Result<(), Failed> {
    tokio::task::yield_now().await;
    panic!("own panic");
}

async fn sibling_panics() {
    tokio::task::yield_now().await;
    panic!("sibling");
}

#[tokio::test]
async fn a_future_dropped_because_a_sibling_panicked_is_not_an_exception() {
    // `join!` polls both in one task: the sibling's panic unwinds through
    // the join and drops `waits_forever()` while the thread is panicking.
    let joined = tokio::spawn(async {
        let _ = tokio::join!(waits_forever(), sibling_panics());
    })
    .await;
    assert!(joined.expect_err("the sibling panicked").is_panic());
    assert_eq!(SIB_ERRORS.get(), 0.0, "cancelled, not failed");

    // The same with the panic caught around the whole join.
    let caught = futures_catch(async {
        let _ = tokio::join!(waits_forever(), sibling_panics());
    })
    .await;
    assert!(caught);
    assert_eq!(SIB_ERRORS.get(), 0.0);

    // Its own panic still counts, also when caught around a join.
    let caught = futures_catch(async {
        let _ = tokio::join!(panics_itself(), waits_forever());
    })
    .await;
    assert!(caught);
    assert_eq!(OWN_ERRORS.get(), 1.0);
}

/// Polls `fut` to completion inside `catch_unwind`; true if it panicked.
async fn futures_catch(fut: impl Future<Output = ()>) -> bool {
    let mut fut = Box::pin(fut);
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(())) => std::task::Poll::Ready(false),
            Err(_) => std::task::Poll::Ready(true),
        }
    })
    .await
}
