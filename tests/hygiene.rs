//! Expansions use only absolute, private paths: they compile in a crate
//! that shadows `std`, `core`, `Result`, `Ok`, `Err`, `Option`, `Some`,
//! `None`, `Box` and `promscribe`.
#![no_implicit_prelude]
#![allow(dead_code, non_camel_case_types, non_upper_case_globals, clippy::all)]

// Shadows of everything an expansion could reach for by a relative path.
mod std {}
mod core {}
mod promscribe {}
mod linkme {}
struct Result;
struct Ok;
struct Err;
struct Option;
struct Some;
struct None;
struct Box;
struct Vec;
struct String;
struct Send;
struct Sync;
struct Drop;
struct Fn;
trait Into {}

use ::promscribe::{
    count_exceptions, counter, enumeration, gauge, histogram, info, summary, timed,
    track_inprogress,
};

counter!(H_COUNTER, "hyg_counter_total", "c", labels = ["a"]);
gauge!(H_GAUGE, "hyg_gauge", "g");
histogram!(H_HIST, "hyg_hist_seconds", "h", buckets = [0.1, 1.0]);
histogram!(
    H_HIST_DEFAULT,
    "hyg_hist_default_seconds",
    "h",
    labels = ["a"]
);
summary!(H_SUMMARY, "hyg_summary_seconds", "s");
info!(H_INFO, "hyg_build", "i");
enumeration!(H_ENUM, "hyg_state", "e", states = ["a", "b"]);
enumeration!(
    H_ENUM_FAMILY,
    "hyg_states",
    "e",
    labels = ["x"],
    states = ["a", "b"]
);
// Limits, a literal and a const expression each, beside user items named
// like the values the expansion holds.
const H_CAP: usize = 10;
const __limit: usize = 3;
const reason: &str = "";
counter!(
    H_LIMITED,
    "hyg_limited_total",
    "c",
    labels = ["a"],
    max_series = 10,
    expire_after = "1h"
);
gauge!(
    H_LIMITED_CONST,
    "hyg_limited_const",
    "g",
    labels = ["a"],
    max_series = H_CAP,
    expire_after = ::core::time::Duration::from_secs(60)
);

#[timed(H_HIST)]
#[track_inprogress(H_GAUGE)]
#[count_exceptions(H_COUNTER, labels = ["a"])]
fn work(x: i32) -> ::core::result::Result<i32, ::std::string::String> {
    if x < 0 {
        return ::core::result::Result::Err(::std::string::String::new());
    }
    ::core::result::Result::Ok(x)
}

#[timed(H_SUMMARY)]
#[count_exceptions(H_COUNTER, labels = ["b"], err = _)]
async fn work_async(x: i32) -> ::core::result::Result<i32, i32> {
    if x < 0 {
        ::core::result::Result::Err(x)
    } else {
        ::core::result::Result::Ok(x)
    }
}

#[count_exceptions(H_COUNTER, labels = ["c"], err_type = ::std::io::Error)]
fn typed() -> ::core::result::Result<(), ::std::io::Error> {
    ::core::result::Result::Err(::std::io::Error::other("x"))
}

#[test]
fn expansions_compile_and_work_with_everything_shadowed() {
    ::std::assert!(work(1).is_ok());
    ::std::assert!(work(-1).is_err());
    ::std::assert!(typed().is_err());
    ::std::assert_eq!(H_COUNTER.labels(["a"]).get(), 1.0);
    ::std::assert_eq!(H_COUNTER.labels(["c"]).get(), 1.0);
    ::std::assert_eq!(H_HIST.get_count(), 2);
    ::std::assert_eq!(H_GAUGE.get(), 0.0);
    let _ = H_ENUM.state("b");
    ::std::assert_eq!(H_ENUM.get(), "b");
    let _ = H_INFO.set([("k", "v")]);
    let _ = H_ENUM_FAMILY.labels(["1"]);
    let _ = H_HIST_DEFAULT.labels(["1"]);
    H_LIMITED.labels(["1"]).inc();
    H_LIMITED_CONST.labels(["1"]).set(2.0);
    ::std::assert_eq!(H_LIMITED_CONST.labels(["1"]).get(), 2.0);
    let rt = ::tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    ::std::assert!(rt.block_on(work_async(-2)).is_err());
    ::std::assert_eq!(H_COUNTER.labels(["b"]).get(), 1.0);
    ::std::assert_eq!(H_SUMMARY.get_count(), 1);
    ::promscribe::default_registry()
        .check()
        .expect("no clashing names");
}

// Items of the user's named like the parameter of the closure that tests
// `err = pattern`, used in the pattern or merely in scope: an identifier
// pattern naming a const or a static is not a binding, so the expansion
// must not bind a name the user's scope may hold.
const __metrics_err: i32 = 7;
const __metrics_err0: i32 = 8;
static __metrics_err1: i32 = 9;
static __metrics_err2: i32 = 10;

counter!(H_MATCHED, "hyg_matched_total", "c");

#[count_exceptions(H_MATCHED, err = &__metrics_err | &__metrics_err0)]
fn matched(x: i32) -> ::core::result::Result<(), i32> {
    ::core::result::Result::Err(x + __metrics_err1 - __metrics_err2 + 1)
}

#[count_exceptions(H_MATCHED, err = 100)]
async fn matched_async(x: i32) -> ::core::result::Result<(), i32> {
    ::core::result::Result::Err(x)
}

#[test]
fn err_pattern_with_user_items_named_like_the_expansion_binding() {
    ::std::assert!(matched(7).is_err());
    ::std::assert!(matched(8).is_err());
    ::std::assert!(matched(9).is_err());
    ::std::assert_eq!(H_MATCHED.get(), 2.0);
    let rt = ::tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    ::std::assert!(rt.block_on(matched_async(100)).is_err());
    ::std::assert!(rt.block_on(matched_async(1)).is_err());
    ::std::assert_eq!(H_MATCHED.get(), 3.0);
}
