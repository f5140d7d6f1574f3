//! The attributes compile where a user expects them to, without warnings
//! (this file denies them): one-line bodies, inner attributes, `Arc`
//! fields, owned label values used after the labels, `self.field` labels,
//! arguments forwarded by `macro_rules!`, a user item named like a name of
//! the expansion, `#[track_caller]` kept by `#[count_exceptions]`, and
//! labelled families held in fields (`Arc`, `&'static`).

#![deny(warnings)]

use std::panic::Location;
use std::sync::Arc;

use promscribe::{
    count_exceptions, counter, gauge, histogram, summary, timed, track_inprogress, Counter, Family,
    Gauge, Histogram,
};

#[derive(Debug, PartialEq)]
struct Failed;

// ---- one-line bodies and inner attributes --------------------------------

histogram!(OL_TIME, "attr_ol_seconds", "one-line bodies");
counter!(OL_ERRORS, "attr_ol_errors_total", "one-line bodies");
gauge!(OL_INPROGRESS, "attr_ol_inprogress", "one-line bodies");

#[timed(OL_TIME)]
fn one() -> u64 {
    1
}

#[count_exceptions(OL_ERRORS)]
fn two() -> Result<u64, Failed> {
    Ok(2)
}

#[track_inprogress(OL_INPROGRESS)]
fn three() -> u64 {
    3
}

#[count_exceptions(OL_ERRORS)]
fn unit() {}

#[timed(OL_TIME)]
async fn one_async() -> u64 {
    1
}

#[count_exceptions(OL_ERRORS)]
async fn two_async() -> Result<u64, Failed> {
    Ok(2)
}

#[count_exceptions(OL_ERRORS)]
fn four() -> u64 {
    4
}

#[timed(OL_TIME)]
fn pair() -> (u64, u8) {
    (1, 2)
}

#[timed(OL_TIME)]
#[count_exceptions(OL_ERRORS)]
fn with_inner_attribute() -> Result<u64, Failed> {
    #![allow(clippy::needless_return)]
    let x = 4;
    return Ok(x);
}

#[tokio::test]
async fn one_line_bodies_and_inner_attributes_compile_without_warnings() {
    assert_eq!(one_async().await, 1);
    assert_eq!(two_async().await, Ok(2));
    assert_eq!(four(), 4);
    assert_eq!(pair(), (1, 2));
    assert_eq!(one(), 1);
    assert_eq!(two(), Ok(2));
    assert_eq!(three(), 3);
    unit();
    assert_eq!(with_inner_attribute(), Ok(4));
    assert_eq!(OL_TIME.get_count(), 4);
}

// ---- Arc fields, self.field labels, owned label values -------------------

struct Service {
    time: Arc<Histogram>,
    busy: Arc<Gauge>,
    errors: Arc<Counter>,
    name: String,
}

gauge!(LB_BUSY, "attr_lb_busy", "by user", labels = ["user"]);
summary!(
    LB_TIME,
    "attr_lb_seconds",
    "by service",
    labels = ["service"]
);

impl Service {
    #[timed(self.time)]
    #[track_inprogress(self.busy)]
    #[count_exceptions(self.errors)]
    fn call(&self, fail: bool) -> Result<f64, Failed> {
        if fail {
            return Err(Failed);
        }
        Ok(self.busy.get())
    }

    #[timed(LB_TIME, labels = [self.name])]
    fn named(&self) -> usize {
        self.name.len()
    }
}

#[track_inprogress(LB_BUSY, labels = [user])]
fn owned_label(user: String) -> String {
    // `user` was not moved by the labels.
    user
}

#[test]
fn arc_fields_and_labels_by_reference() {
    let s = Service {
        time: Histogram::new("attr_arc_seconds", "help").expect("valid"),
        busy: Gauge::new("attr_arc_busy", "help").expect("valid"),
        errors: Counter::new("attr_arc_errors_total", "help").expect("valid"),
        name: "svc".into(),
    };
    assert_eq!(s.call(false), Ok(1.0));
    assert_eq!(s.call(true), Err(Failed));
    assert_eq!(s.time.get_count(), 2);
    assert_eq!(s.busy.get(), 0.0);
    assert_eq!(s.errors.get(), 1.0);
    assert_eq!(s.named(), 3);
    assert_eq!(LB_TIME.labels(["svc"]).get_count(), 1);
    assert_eq!(owned_label("ann".to_string()), "ann");
    assert_eq!(LB_BUSY.labels(["ann"]).get(), 0.0);
}

// ---- arguments forwarded by macro_rules! ---------------------------------

summary!(MR_TIME, "attr_mr_seconds", "forwarded", labels = ["a", "b"]);

macro_rules! timed_fn {
    ($name:ident, $metric:expr, [$($l:expr),*]) => {
        #[timed($metric, labels = [$($l),*])]
        fn $name() -> u8 { 7 }
    };
}

macro_rules! timed_fn_list {
    ($name:ident, $metric:expr, $labels:expr) => {
        #[timed($metric, labels = $labels)]
        fn $name() -> u8 {
            8
        }
    };
}

timed_fn!(forwarded, MR_TIME, ["x", "y"]);
timed_fn_list!(forwarded_list, MR_TIME, ["x", "z"]);

#[test]
fn fragments_forwarded_by_macro_rules_parse() {
    assert_eq!(forwarded(), 7);
    assert_eq!(forwarded_list(), 8);
    assert_eq!(MR_TIME.labels(["x", "y"]).get_count(), 1);
    assert_eq!(MR_TIME.labels(["x", "z"]).get_count(), 1);
}

// ---- seven labels ---------------------------------------------------------

counter!(
    SEVEN,
    "attr_seven_total",
    "seven labels",
    labels = ["a", "b", "c", "d", "e", "f", "g"]
);

#[count_exceptions(SEVEN, labels = ["1", 2, "3", 4u8, "5", true, c])]
fn seven(c: char) -> Result<(), Failed> {
    let _ = c;
    Err(Failed)
}

#[test]
fn seven_labels_are_taken() {
    assert!(seven('z').is_err());
    assert_eq!(
        SEVEN.labels(["1", "2", "3", "4", "5", "true", "z"]).get(),
        1.0
    );
}

// ---- families held in fields ---------------------------------------------

/// Families reached through an `Arc` and a `&'static` reference: the
/// child is found through them, for a call and for a future.
struct Routes {
    hits: Arc<Family<Counter, 1>>,
    busy: &'static Family<Gauge, 2>,
}

gauge!(
    FF_BUSY,
    "attr_ff_busy",
    "by route",
    labels = ["route", "method"]
);

impl Routes {
    #[count_exceptions(self.hits, labels = [route])]
    #[track_inprogress(self.busy, labels = [route, "GET"])]
    fn get(&self, route: &str) -> Result<f64, Failed> {
        let busy = self.busy.labels([route, "GET"]).get();
        if busy == 1.0 {
            Err(Failed)
        } else {
            Ok(busy)
        }
    }

    #[count_exceptions(self.hits, labels = [route])]
    #[track_inprogress(self.busy, labels = [route, "POST"])]
    async fn post(&self, route: &str) -> Result<f64, Failed> {
        tokio::task::yield_now().await;
        Err(Failed)
    }
}

#[tokio::test]
async fn families_in_fields_take_labels() {
    let r = Routes {
        hits: Family::new(promscribe::Opts::new("attr_ff_hits_total", "help").labels(["route"]))
            .expect("valid"),
        busy: &FF_BUSY,
    };
    assert_eq!(r.get("/a"), Err(Failed));
    assert_eq!(r.post("/b").await, Err(Failed));
    assert_eq!(r.hits.labels(["/a"]).get(), 1.0);
    assert_eq!(r.hits.labels(["/b"]).get(), 1.0);
    assert_eq!(FF_BUSY.labels(["/a", "GET"]).get(), 0.0);
    assert_eq!(FF_BUSY.labels(["/b", "POST"]).get(), 0.0);
}

// ---- names of the expansion cannot clash ---------------------------------

#[allow(non_upper_case_globals, dead_code)]
mod clash {
    use promscribe::{count_exceptions, counter, gauge, summary, timed, track_inprogress};

    const __metrics_guard: u8 = 0;
    const __metrics_result: u8 = 0;
    const __metrics_fake_return: u8 = 0;

    summary!(CL_TIME, "attr_clash_seconds", "clash");
    gauge!(CL_BUSY, "attr_clash_busy", "clash");
    counter!(pub(crate) CL_ERRORS, "attr_clash_errors_total", "clash");

    #[timed(CL_TIME)]
    #[track_inprogress(CL_BUSY)]
    #[count_exceptions(CL_ERRORS)]
    pub(crate) fn f(fail: bool) -> Result<u8, super::Failed> {
        if fail {
            Err(super::Failed)
        } else {
            Ok(__metrics_guard)
        }
    }

    #[count_exceptions(CL_ERRORS)]
    pub(crate) async fn g() -> Result<u8, super::Failed> {
        Err(super::Failed)
    }

    summary!(
        pub(crate) CL_LABELLED,
        "attr_clash_labelled_seconds",
        "clash",
        labels = ["family"]
    );

    // A label value named like the binding the expansion holds the family in.
    #[timed(CL_LABELLED, labels = [__promscribe_family])]
    pub(crate) fn h(__promscribe_family: &str) -> usize {
        __promscribe_family.len()
    }
}

#[tokio::test]
async fn user_items_named_like_expansion_names_do_not_clash() {
    assert_eq!(clash::f(false), Ok(0));
    assert!(clash::f(true).is_err());
    assert!(clash::g().await.is_err());
    assert_eq!(clash::CL_ERRORS.get(), 2.0);
    assert_eq!(clash::h("f"), 1);
    assert_eq!(clash::CL_LABELLED.labels(["f"]).get_count(), 1);
}

// ---- #[track_caller] -------------------------------------------------------

counter!(TC_ERRORS, "attr_tc_errors_total", "track_caller");

#[count_exceptions(TC_ERRORS)]
#[track_caller]
fn caller_line(fail: bool) -> Result<u32, Failed> {
    let line = Location::caller().line();
    if fail {
        Err(Failed)
    } else {
        Ok(line)
    }
}

#[track_caller]
#[count_exceptions(TC_ERRORS)]
fn caller_line_unit(out: &mut u32) {
    *out = Location::caller().line();
}

#[test]
fn count_exceptions_keeps_track_caller() {
    let expected = line!() + 1;
    let got = caller_line(false);
    assert_eq!(got, Ok(expected), "Location::caller() is the call site");
    assert!(caller_line(true).is_err());
    assert_eq!(TC_ERRORS.get(), 1.0);
    let mut line = 0;
    let expected = line!() + 1;
    caller_line_unit(&mut line);
    assert_eq!(line, expected);
}

// ---- errors borrowing from the input ---------------------------------------

/// An error that borrows from what was parsed.
#[derive(Debug, PartialEq)]
struct ParseError<'a>(&'a str);

impl std::fmt::Display for ParseError<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot parse {:?}", self.0)
    }
}

impl std::error::Error for ParseError<'_> {}

counter!(BR_IO, "attr_borrowed_io_total", "borrowed errors, err_type");
counter!(
    BR_OWN,
    "attr_borrowed_own_total",
    "borrowed errors, own type"
);
counter!(
    BR_PAT,
    "attr_borrowed_pattern_total",
    "borrowed errors, err"
);
counter!(BR_ANY, "attr_borrowed_any_total", "borrowed errors");

#[count_exceptions(BR_IO, err_type = std::io::Error)]
fn parse_io(s: &str) -> Result<u8, ParseError<'_>> {
    s.parse().map_err(|_| ParseError(s))
}

#[count_exceptions(BR_OWN, err_type = ParseError<'static>)]
fn parse_own(s: &str) -> Result<u8, ParseError<'_>> {
    s.parse().map_err(|_| ParseError(s))
}

#[count_exceptions(BR_PAT, err = ParseError("x"))]
fn parse_pattern(s: &str) -> Result<u8, ParseError<'_>> {
    s.parse().map_err(|_| ParseError(s))
}

#[count_exceptions(BR_ANY)]
fn parse_any(s: &str) -> Result<u8, ParseError<'_>> {
    s.parse().map_err(|_| ParseError(s))
}

#[count_exceptions(BR_IO, err_type = std::io::Error)]
async fn parse_io_async(s: &str) -> Result<u8, ParseError<'_>> {
    s.parse().map_err(|_| ParseError(s))
}

#[count_exceptions(BR_IO, err_type = std::io::Error)]
fn read_io(fail: bool) -> std::io::Result<u8> {
    if fail {
        Err(std::io::Error::other("x"))
    } else {
        Ok(1)
    }
}

#[tokio::test]
async fn borrowed_errors_are_taken_and_counted_as_what_they_are() {
    // A borrowed error is never a `std::io::Error`: nothing counted.
    assert_eq!(parse_io("7"), Ok(7));
    assert_eq!(parse_io("x"), Err(ParseError("x")));
    assert_eq!(parse_io_async("x").await, Err(ParseError("x")));
    assert_eq!(BR_IO.get(), 0.0);
    // A matching 'static one is counted by the same attribute.
    assert!(read_io(true).is_err());
    assert!(read_io(false).is_ok());
    assert_eq!(BR_IO.get(), 1.0);
    // The error's own type (its lifetimes aside), a pattern, any error.
    assert!(parse_own("y").is_err());
    assert_eq!(BR_OWN.get(), 1.0);
    assert!(parse_pattern("x").is_err());
    assert!(parse_pattern("y").is_err());
    assert_eq!(BR_PAT.get(), 1.0);
    assert!(parse_any("z").is_err());
    assert_eq!(parse_any("3"), Ok(3));
    assert_eq!(BR_ANY.get(), 1.0);
}
