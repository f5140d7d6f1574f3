//! `#[timed]` on sync and async functions, methods, generic functions and
//! `impl Trait` returns: it records on normal return, early return, `?`,
//! panic, and a future dropped before completion.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use promscribe::{gauge, histogram, summary, timed};

summary!(T_SYNC, "timed_sync_seconds", "sync");
summary!(T_EARLY, "timed_early_seconds", "early return");
summary!(T_TRY, "timed_try_seconds", "question mark");
summary!(T_PANIC, "timed_panic_seconds", "panic");
histogram!(
    T_ASYNC,
    "timed_async_seconds",
    "async",
    buckets = [0.01, 0.05, 1.0]
);
summary!(T_DROPPED, "timed_dropped_seconds", "dropped future");
gauge!(T_GAUGE, "timed_last_seconds", "last duration");
summary!(
    T_LABELLED,
    "timed_labelled_seconds",
    "by path",
    labels = ["path", "attempt"]
);
summary!(T_METHOD, "timed_method_seconds", "method");
summary!(T_GENERIC, "timed_generic_seconds", "generic");
summary!(T_GUARD, "timed_guard_seconds", "guard");

#[timed(T_SYNC)]
fn sleepy(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

#[test]
fn sync_function_records_its_duration() {
    assert_eq!(sleepy(30), 30);
    assert_eq!(T_SYNC.get_count(), 1);
    assert!(T_SYNC.get_sum() >= 0.030, "{}", T_SYNC.get_sum());
    assert!(T_SYNC.get_sum() < 5.0);
}

#[timed(T_EARLY)]
fn early(x: i32) -> i32 {
    if x > 0 {
        return 1;
    }
    std::thread::sleep(Duration::from_millis(1));
    0
}

#[test]
fn early_return_is_recorded() {
    assert_eq!(early(5), 1);
    assert_eq!(early(-5), 0);
    assert_eq!(T_EARLY.get_count(), 2);
}

#[timed(T_TRY)]
fn parse(s: &str) -> Result<i32, std::num::ParseIntError> {
    let v: i32 = s.parse()?;
    Ok(v * 2)
}

#[test]
fn question_mark_exit_is_recorded() {
    assert!(parse("nope").is_err());
    assert_eq!(parse("21"), Ok(42));
    assert_eq!(T_TRY.get_count(), 2);
}

#[timed(T_PANIC)]
fn explode() {
    panic!("boom");
}

#[test]
fn panic_is_recorded_and_keeps_unwinding() {
    let r = catch_unwind(explode);
    assert!(r.is_err());
    assert_eq!(T_PANIC.get_count(), 1);
}

#[timed(T_ASYNC)]
async fn fetch(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

#[timed(T_DROPPED)]
async fn never_finishes() {
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

#[tokio::test]
async fn async_function_records_across_await() {
    assert_eq!(fetch(20).await, 20);
    assert_eq!(T_ASYNC.get_count(), 1);
    assert!(T_ASYNC.get_sum() >= 0.020);
}

#[tokio::test]
async fn dropped_future_records_the_time_spent() {
    let r = tokio::time::timeout(Duration::from_millis(30), never_finishes()).await;
    assert!(r.is_err(), "the future was cancelled");
    assert_eq!(T_DROPPED.get_count(), 1);
    assert!(T_DROPPED.get_sum() >= 0.030);
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn instrumented_future_stays_send() {
    let f = fetch(0);
    assert_send(&f);
    drop(f);
}

#[timed(T_GAUGE)]
fn set_gauge() {
    std::thread::sleep(Duration::from_millis(5));
}

#[test]
fn gauge_is_set_to_the_duration() {
    set_gauge();
    let v = T_GAUGE.get();
    assert!((0.005..5.0).contains(&v), "{v}");
}

struct Router {
    prefix: String,
}

impl Router {
    #[timed(T_LABELLED, labels = [path, attempt])]
    fn route(&self, path: &str, attempt: u32) -> String {
        format!("{}{path}", self.prefix)
    }

    /// Docs and attributes survive.
    #[must_use]
    #[timed(T_METHOD)]
    fn method(&self) -> usize {
        self.prefix.len()
    }
}

#[test]
fn labels_are_computed_from_arguments() {
    let r = Router {
        prefix: "/api".into(),
    };
    assert_eq!(r.route("/a", 1), "/api/a");
    assert_eq!(r.route("/a", 1), "/api/a");
    assert_eq!(r.route("/b", 2), "/api/b");
    assert_eq!(T_LABELLED.labels(["/a", "1"]).get_count(), 2);
    assert_eq!(T_LABELLED.labels(("/b", 2u32)).get_count(), 1);
    assert_eq!(r.method(), 4);
    assert_eq!(T_METHOD.get_count(), 1);
}

#[timed(T_GENERIC)]
fn generic<T: Clone + std::fmt::Debug>(v: &T) -> impl Iterator<Item = T> {
    std::iter::repeat_n(v.clone(), 2)
}

#[test]
fn generic_and_impl_trait_functions() {
    assert_eq!(generic(&7).collect::<Vec<_>>(), [7, 7]);
    assert_eq!(T_GENERIC.get_count(), 1);
}

#[test]
fn timer_guard_api() {
    let secs = T_SYNC.start_timer().stop_and_discard();
    assert!(secs >= 0.0);
    let h = catch_unwind(AssertUnwindSafe(|| {
        let _t = T_GUARD.start_timer();
        panic!("inside a timer");
    }));
    assert!(h.is_err());
    assert_eq!(T_GUARD.get_count(), 1);
}
