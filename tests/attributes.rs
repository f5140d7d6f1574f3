//! `#[count_exceptions]` and `#[track_inprogress]` (with `#[timed]`):
//! every exit path (return, early return, `?`, panic, a dropped future),
//! sync and async, methods, trait impls, generic functions, `impl Trait`
//! returns, and stacking in any order.

use std::panic::catch_unwind;
use std::time::Duration;

use promscribe::{count_exceptions, counter, gauge, summary, timed, track_inprogress};

#[derive(Debug, PartialEq)]
enum AppError {
    Timeout,
    Io(String),
    Invalid,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for AppError {}

// ---- count_exceptions ----------------------------------------------------

counter!(CE_ANY, "ce_any_total", "any error");
counter!(CE_UNIT, "ce_unit_total", "unit function");
counter!(CE_PATTERN, "ce_pattern_total", "errors matching a pattern");
counter!(CE_TYPE, "ce_type_total", "errors of a type");
counter!(CE_ASYNC, "ce_async_total", "async errors");
counter!(CE_EARLY, "ce_early_total", "early returns");
counter!(CE_LABELLED, "ce_labelled_total", "by op", labels = ["op"]);

#[count_exceptions(CE_ANY)]
fn parse(s: &str) -> Result<i32, std::num::ParseIntError> {
    let v: i32 = s.parse()?;
    Ok(v)
}

#[test]
fn counts_err_returns_through_question_mark() {
    assert_eq!(parse("1"), Ok(1));
    assert!(parse("x").is_err());
    assert!(parse("").is_err());
    assert_eq!(CE_ANY.get(), 2.0);
}

#[count_exceptions(CE_UNIT)]
fn may_panic(p: bool) {
    if p {
        panic!("boom");
    }
}

#[test]
fn counts_panics_of_unit_functions_and_keeps_unwinding() {
    may_panic(false);
    let r = catch_unwind(|| may_panic(true));
    assert!(r.is_err(), "the panic kept unwinding");
    assert_eq!(CE_UNIT.get(), 1.0);
}

#[count_exceptions(CE_PATTERN, err = AppError::Timeout | AppError::Io(_))]
fn fails_with(e: Option<AppError>) -> Result<(), AppError> {
    match e {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[test]
fn pattern_filter_counts_only_matching_errors() {
    let _ = fails_with(Some(AppError::Timeout));
    let _ = fails_with(Some(AppError::Io("disk".into())));
    let _ = fails_with(Some(AppError::Invalid));
    let _ = fails_with(None);
    assert_eq!(CE_PATTERN.get(), 2.0);
}

#[count_exceptions(CE_TYPE, err_type = std::io::Error)]
fn boxed(kind: u8) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    match kind {
        0 => Ok(()),
        1 => Err(Box::new(std::io::Error::other("io"))),
        _ => Err(Box::new(AppError::Invalid)),
    }
}

#[test]
fn type_filter_sees_through_boxed_errors() {
    let _ = boxed(0);
    let _ = boxed(1);
    let _ = boxed(2);
    assert_eq!(CE_TYPE.get(), 1.0);
}

#[count_exceptions(CE_EARLY)]
fn early(x: i32) -> Result<i32, AppError> {
    if x < 0 {
        return Err(AppError::Invalid);
    }
    if x == 0 {
        return Ok(0);
    }
    Ok(x * 2)
}

#[test]
fn early_returns_are_classified() {
    assert_eq!(early(-1), Err(AppError::Invalid));
    assert_eq!(early(0), Ok(0));
    assert_eq!(early(2), Ok(4));
    assert_eq!(CE_EARLY.get(), 1.0);
}

#[count_exceptions(CE_ASYNC)]
async fn fetch(fail: bool) -> Result<u8, AppError> {
    tokio::task::yield_now().await;
    if fail {
        Err(AppError::Timeout)?;
    }
    Ok(1)
}

#[count_exceptions(CE_ASYNC)]
async fn hangs() -> Result<(), AppError> {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    Ok(())
}

#[tokio::test]
async fn async_errors_count_and_cancellation_does_not() {
    assert_eq!(fetch(false).await, Ok(1));
    assert_eq!(fetch(true).await, Err(AppError::Timeout));
    let cancelled = tokio::time::timeout(Duration::from_millis(10), hangs()).await;
    assert!(cancelled.is_err());
    assert_eq!(CE_ASYNC.get(), 1.0);
}

#[count_exceptions(CE_LABELLED, labels = [op])]
fn op(op: &str) -> Result<(), AppError> {
    if op == "bad" {
        Err(AppError::Invalid)
    } else {
        Ok(())
    }
}

#[test]
fn labelled_counter_child_from_arguments() {
    let _ = op("bad");
    let _ = op("good");
    assert_eq!(CE_LABELLED.labels(["bad"]).get(), 1.0);
    assert_eq!(CE_LABELLED.labels(["good"]).get(), 0.0);
}

#[test]
fn closure_form_matches_python_context_manager() {
    counter!(CTX, "ce_ctx_total", "with c.count_exceptions()");
    let r: Result<(), AppError> = CTX.count_exceptions(|| Err(AppError::Invalid));
    assert!(r.is_err());
    let p = catch_unwind(|| CTX.count_exceptions(|| -> () { panic!("inside") }));
    assert!(p.is_err());
    CTX.count_exceptions(|| ());
    assert_eq!(CTX.get(), 2.0);
}

// ---- track_inprogress ----------------------------------------------------

gauge!(IP_SYNC, "ip_sync", "sync in progress");
gauge!(IP_ASYNC, "ip_async", "async in progress");
gauge!(IP_LABELLED, "ip_labelled", "by queue", labels = ["queue"]);

#[track_inprogress(IP_SYNC)]
fn observe_inside(fail: bool) -> Result<f64, AppError> {
    let inside = IP_SYNC.get();
    if fail {
        Err(AppError::Invalid)?;
    }
    Ok(inside)
}

#[track_inprogress(IP_SYNC)]
fn panics_inside() {
    panic!("boom");
}

#[test]
fn sync_in_progress_is_balanced_on_every_exit() {
    assert_eq!(observe_inside(false), Ok(1.0));
    assert!(observe_inside(true).is_err());
    assert!(catch_unwind(panics_inside).is_err());
    assert_eq!(IP_SYNC.get(), 0.0);
}

#[track_inprogress(IP_ASYNC)]
async fn slow() {
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

#[tokio::test]
async fn async_in_progress_is_balanced_when_the_future_is_dropped() {
    let task = tokio::spawn(slow());
    // Let it start and raise the gauge.
    tokio::time::timeout(Duration::from_secs(5), async {
        while IP_ASYNC.get() < 1.0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the future started");
    assert_eq!(IP_ASYNC.get(), 1.0);
    task.abort();
    let _ = task.await;
    assert_eq!(IP_ASYNC.get(), 0.0);
}

#[track_inprogress(IP_LABELLED, labels = [queue])]
fn work_on(queue: &str) -> f64 {
    IP_LABELLED.labels([queue]).get()
}

#[test]
fn labelled_gauge_child() {
    assert_eq!(work_on("mail"), 1.0);
    assert_eq!(IP_LABELLED.labels(["mail"]).get(), 0.0);
}

// ---- stacking, methods, trait impls, generics, impl Trait ---------------

counter!(ST_ERRORS, "st_errors_total", "stacked errors");
gauge!(ST_INPROGRESS, "st_inprogress", "stacked in progress");
summary!(ST_TIME, "st_seconds", "stacked time");

trait Handler {
    fn handle(&self, x: i32) -> Result<i32, AppError>;
}

struct Doubler;

impl Handler for Doubler {
    /// Docs on a trait impl method survive.
    #[count_exceptions(ST_ERRORS)]
    #[track_inprogress(ST_INPROGRESS)]
    #[timed(ST_TIME)]
    fn handle(&self, x: i32) -> Result<i32, AppError> {
        if x < 0 {
            return Err(AppError::Invalid);
        }
        Ok(x * 2)
    }
}

struct Service;

impl Service {
    #[timed(ST_TIME)]
    #[track_inprogress(ST_INPROGRESS)]
    #[count_exceptions(ST_ERRORS)]
    #[must_use = "the doubled value"]
    async fn call(&self, x: i32) -> Result<i32, AppError> {
        tokio::task::yield_now().await;
        Doubler.handle(x)
    }
}

#[count_exceptions(ST_ERRORS)]
#[track_inprogress(ST_INPROGRESS)]
fn generic<T: Clone, const N: usize>(v: T) -> impl Iterator<Item = T> {
    std::iter::repeat_n(v, N)
}

#[count_exceptions(ST_ERRORS)]
fn with_lifetimes<'a>(a: &'a str, b: &str) -> Result<&'a str, AppError> {
    if b.is_empty() {
        Err(AppError::Invalid)
    } else {
        Ok(a)
    }
}

fn assert_send<T: Send>(_: &T) {}

#[tokio::test]
async fn stacked_attributes_in_any_order() {
    assert_eq!(Doubler.handle(2), Ok(4));
    assert!(Doubler.handle(-1).is_err());
    let fut = Service.call(3);
    assert_send(&fut);
    assert_eq!(fut.await, Ok(6));
    assert!(Service.call(-3).await.is_err());
    assert_eq!(generic::<_, 3>('x').count(), 3);
    assert_eq!(with_lifetimes("a", "b"), Ok("a"));
    assert!(with_lifetimes("a", "").is_err());
    // handle(-1), call(-3) counted twice (call and the inner handle),
    // with_lifetimes("a", "").
    assert_eq!(ST_ERRORS.get(), 4.0);
    assert_eq!(ST_INPROGRESS.get(), 0.0);
    // handle x2, call x2 (each also runs handle once): 6 timed calls.
    assert_eq!(ST_TIME.get_count(), 6);
}

// ---- early return and async panics for all three ----------------------

gauge!(AP_INPROGRESS, "ap_inprogress", "async panics in progress");
gauge!(EE_INPROGRESS, "ee_inprogress", "early exits in progress");
counter!(AP_ERRORS, "ap_errors_total", "async panics counted");
summary!(AP_TIME, "ap_seconds", "async panics timed");

#[track_inprogress(EE_INPROGRESS)]
fn early_exit(x: i32) -> i32 {
    if x > 0 {
        return EE_INPROGRESS.get() as i32;
    }
    -1
}

#[test]
fn track_inprogress_balanced_on_early_return() {
    assert_eq!(early_exit(1), 1);
    assert_eq!(early_exit(-1), -1);
    assert_eq!(EE_INPROGRESS.get(), 0.0);
}

#[timed(AP_TIME)]
#[track_inprogress(AP_INPROGRESS)]
#[count_exceptions(AP_ERRORS)]
async fn panics_after_await() -> Result<(), AppError> {
    tokio::task::yield_now().await;
    panic!("async boom");
}

#[tokio::test]
async fn async_panic_is_seen_by_all_three() {
    let joined = tokio::spawn(panics_after_await()).await;
    assert!(joined.expect_err("the task panicked").is_panic());
    assert_eq!(AP_ERRORS.get(), 1.0);
    assert_eq!(AP_INPROGRESS.get(), 0.0);
    assert_eq!(AP_TIME.get_count(), 1);
}
