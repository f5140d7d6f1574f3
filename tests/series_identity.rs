//! Series identity: which label values make a child, how children are
//! removed, what an Info child may hold, and that a counter never goes
//! down. Also the cases of the Python client's `tests/test_core.py` about
//! labels, `remove`, `remove_by_labels`, `clear`, `Info` and `Counter`.

use std::fmt;
use std::sync::Arc;

use promscribe::{
    encode_text, Counter, Family, Gauge, Info, LabelText, LabelValue, MetricError, Opts, Registry,
};
use promscribe_test_support::{allocations_in, CountingAlloc};

/// Counts the allocations made by the current thread, so a test can assert
/// that a piece of code allocates nothing (tests run on parallel threads).
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn registry_with(collector: Arc<dyn promscribe::Collector>) -> Registry {
    let r = Registry::new();
    r.register(collector).expect("fresh registry");
    r
}

fn counter_family<const N: usize>(name: &str, labels: [&str; N]) -> Arc<Family<Counter, N>> {
    Family::new(Opts::new(name, "help").labels(labels)).expect("valid family")
}

// ---------------------------------------------------------------------------
// Label values are compared in full.

/// Two URLs that share their first 60 bytes.
fn long_urls() -> (String, String) {
    let base = format!("https://example.com/{}", "segment/".repeat(5));
    assert!(base.len() > 40);
    (format!("{base}alpha"), format!("{base}beta"))
}

#[test]
fn str_values_sharing_a_long_prefix_are_distinct_children() {
    let f = counter_family("url_hits", ["url"]);
    let (a, b) = long_urls();
    f.labels([a.as_str()]).inc();
    f.labels([b.as_str()]).inc_by_u64(5);
    assert_eq!(f.len(), 2);
    assert_eq!(f.labels([a.as_str()]).get(), 1.0);
    assert_eq!(f.labels([b.as_str()]).get(), 5.0);
    let r = registry_with(f.clone());
    assert_eq!(
        r.get_sample_value("url_hits_total", &[("url", &a)]),
        Some(1.0)
    );
    assert_eq!(
        r.get_sample_value("url_hits_total", &[("url", &b)]),
        Some(5.0)
    );
}

#[test]
fn string_values_sharing_a_long_prefix_are_distinct_children() {
    let f = counter_family("user_hits", ["user", "url"]);
    let (a, b) = long_urls();
    f.labels([a.clone(), b.clone()]).inc();
    f.labels([b.clone(), a.clone()]).inc();
    f.labels((&a, &a)).inc();
    assert_eq!(f.len(), 3);
    assert!(f.remove([a.clone(), b.clone()]));
    assert!(!f.remove([a.clone(), b.clone()]));
    assert_eq!(f.len(), 2);
    assert_eq!(f.labels([&b, &a]).get(), 1.0);
}

/// A user type rendered through `Display`, longer than any inline buffer.
struct Endpoint {
    tenant: &'static str,
    id: u64,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "/tenants/{}/a/very/long/resource/path/to/item/",
            self.tenant
        )?;
        write!(f, "{}", self.id)
    }
}

impl LabelValue for Endpoint {
    fn label_text(&self) -> LabelText<'_> {
        LabelText::display(self)
    }
}

#[test]
fn user_display_values_sharing_a_long_prefix_are_distinct_children() {
    let f = counter_family("endpoint_hits", ["endpoint"]);
    let one = Endpoint {
        tenant: "acme",
        id: 1,
    };
    let two = Endpoint {
        tenant: "acme",
        id: 2,
    };
    assert!(one.to_string().len() > 40);
    f.labels([&one]).inc();
    f.labels([&two]).inc_by_u64(2);
    f.labels([&two]).inc();
    assert_eq!(f.len(), 2);
    assert_eq!(f.labels([one.to_string()]).get(), 1.0);
    assert_eq!(f.labels([two.to_string()]).get(), 3.0);
    let r = registry_with(f.clone());
    let text = encode_text(&r);
    assert!(
        text.contains(&format!("endpoint=\"{two}\"}} 3.0")),
        "full value exposed:\n{text}"
    );
}

#[test]
fn integer_and_bool_values_are_exact() {
    let f = counter_family("ints", ["n"]);
    f.labels([u128::MAX]).inc();
    f.labels([u128::MAX - 1]).inc();
    f.labels([i128::MIN]).inc();
    f.labels([i128::MIN + 1]).inc();
    assert_eq!(f.len(), 4);
    assert_eq!(f.labels([u128::MAX.to_string()]).get(), 1.0);
    assert_eq!(f.labels([i128::MIN.to_string()]).get(), 1.0);
    let b = counter_family("bools", ["b"]);
    b.labels([true]).inc();
    b.labels([false]).inc();
    assert_eq!(b.labels(["true"]).get(), 1.0);
    assert_eq!(b.len(), 2);
}

#[test]
fn a_one_mib_value_is_its_own_child() {
    let f = Family::<Gauge, 1>::new(Opts::new("blob", "help").labels(["v"])).expect("valid");
    let big = "x".repeat(1 << 20);
    let big_too = format!("{}y", &big[1..]);
    let prefix_only = &big[..(1 << 20) - 1];
    f.labels([big.as_str()]).set(1.0);
    f.labels([big_too.as_str()]).set(2.0);
    f.labels([prefix_only]).set(3.0);
    let big_display = Endpoint {
        tenant: Box::leak(big.clone().into_boxed_str()),
        id: 9,
    };
    f.labels([&big_display]).set(4.0);
    assert_eq!(f.len(), 4);
    assert_eq!(f.labels([big.as_str()]).get(), 1.0);
    assert_eq!(f.labels([big_too.as_str()]).get(), 2.0);
    assert_eq!(f.labels([prefix_only]).get(), 3.0);
    assert_eq!(f.labels([big_display.to_string()]).get(), 4.0);
    let r = registry_with(f.clone());
    assert_eq!(r.get_sample_value("blob", &[("v", &big)]), Some(1.0));
}

#[test]
fn the_counting_allocator_sees_allocations() {
    // Without this, the zero-allocation test below would prove nothing.
    let n = allocations_in(|| drop(std::hint::black_box(String::from("x").repeat(100))));
    assert!(n >= 1);
    let f = counter_family("alloc_probe", ["k"]);
    // Creating a child allocates (the child, its stored values).
    assert!(allocations_in(|| f.labels(["new"]).inc()) >= 1);
}

#[test]
fn a_labels_hit_does_not_allocate() {
    let f = counter_family("hot", ["method", "code", "ok"]);
    let method = String::from("get");
    // The longest integers, and a value past the inline buffer size (a
    // borrowed `&str` is never copied).
    let long = "p".repeat(200);
    f.labels(("get", 200u16, true)).inc();
    f.labels((&method, i128::MIN, false)).inc();
    f.labels((long.as_str(), u128::MAX, true)).inc();
    f.labels([long.clone(), "1".into(), "x".into()]).inc();
    let (one, x) = (String::from("1"), String::from("x"));
    let n = allocations_in(|| {
        for _ in 0..100 {
            f.labels(("get", 200u16, true)).inc();
            f.labels([method.as_str(), "200", "true"]).inc();
            f.labels((&method, 200i64, true)).inc();
            f.labels((&method, i128::MIN, false)).inc();
            f.labels((long.as_str(), u128::MAX, true)).inc();
            f.labels([&long, &one, &x]).inc();
        }
    });
    assert_eq!(n, 0, "a labels hit allocated");
    assert_eq!(f.len(), 4);
    assert_eq!(f.labels(("get", 200u8, true)).get(), 301.0);
}

// ---------------------------------------------------------------------------
// remove_by_labels

fn three_children() -> Arc<Family<Counter, 2>> {
    let f = counter_family("rbl", ["method", "path"]);
    f.labels(["get", "/a"]).inc();
    f.labels(["get", "/b"]).inc();
    f.labels(["post", "/a"]).inc();
    f
}

#[test]
fn remove_by_no_labels_removes_nothing() {
    let f = three_children();
    assert_eq!(f.remove_by_labels(&[]), Ok(0));
    assert_eq!(f.len(), 3);
}

#[test]
fn remove_by_an_unknown_label_is_an_error_naming_it() {
    let f = three_children();
    let err = f
        .remove_by_labels(&[("method", "get"), ("verb", "get")])
        .unwrap_err();
    assert_eq!(
        err,
        MetricError::UnknownLabel {
            metric: "rbl".into(),
            label: "verb".into()
        }
    );
    assert!(err.to_string().contains("`verb`") && err.to_string().contains("`rbl`"));
    assert_eq!(f.len(), 3, "nothing removed on error");
}

#[test]
fn remove_by_a_label_named_twice_is_an_error() {
    let f = three_children();
    let err = f
        .remove_by_labels(&[("method", "get"), ("method", "post")])
        .unwrap_err();
    assert!(matches!(err, MetricError::DuplicateLabelName { ref label, .. } if label == "method"));
    assert_eq!(f.len(), 3);
}

#[test]
fn remove_by_labels_matches_partially_and_in_full() {
    let f = three_children();
    assert_eq!(f.remove_by_labels(&[("path", "/a")]), Ok(2));
    assert_eq!(f.remove_by_labels(&[("path", "/a")]), Ok(0));
    assert_eq!(
        f.remove_by_labels(&[("path", "/b"), ("method", "post")]),
        Ok(0)
    );
    assert_eq!(
        f.remove_by_labels(&[("path", "/b"), ("method", "get")]),
        Ok(1)
    );
    assert!(f.is_empty());
    // A long value is matched in full, not by a prefix.
    let (a, b) = long_urls();
    f.labels(["get", a.as_str()]).inc();
    f.labels(["get", b.as_str()]).inc();
    assert_eq!(f.remove_by_labels(&[("path", &a)]), Ok(1));
    assert_eq!(f.labels(["get", b.as_str()]).get(), 1.0);
}

// ---------------------------------------------------------------------------
// Info

#[test]
fn info_child_key_repeating_a_family_label_is_an_error() {
    let f = Family::<Info, 1>::new(Opts::new("il", "help").labels(["l"])).expect("valid");
    let child = f.labels(["a"]);
    let err = child.set([("l", "")]).unwrap_err();
    assert_eq!(
        err,
        MetricError::DuplicateLabelName {
            metric: "il".into(),
            label: "l".into()
        }
    );
    assert!(child.get().is_empty(), "nothing set on error");
    child.set([("foo", "bar")]).expect("a free key");
    let err = child.set([("foo", "baz"), ("l", "x")]).unwrap_err();
    assert!(err.to_string().contains("`l`"));
    assert_eq!(child.get(), [("foo".to_string(), "bar".to_string())]);
    let r = registry_with(f.clone());
    assert_eq!(
        r.get_sample_value("il_info", &[("l", "a"), ("foo", "bar")]),
        Some(1.0)
    );
}

#[test]
fn info_keys_must_be_valid_unreserved_and_unique() {
    let i = Info::new("keys", "help").expect("valid");
    // Under the Prometheus 3 rules a label name is any non-empty UTF-8
    // text not starting with `__`.
    for bad in ["", "__reserved", "__name__"] {
        let err = i.set([(bad, "v")]).unwrap_err();
        assert_eq!(
            err,
            MetricError::InvalidLabelName {
                metric: "keys".into(),
                label: bad.into()
            }
        );
    }
    assert!(i.get().is_empty());
    for utf8 in ["bad key", "1st", "a-b", "a:b", "http.method"] {
        i.set([(utf8, "v")]).expect("a UTF-8 label name");
        assert_eq!(i.get(), [(utf8.to_string(), "v".to_string())]);
    }
    i.set(Vec::<(&str, &str)>::new()).expect("empty");
    let err = i.set([("k", "1"), ("k", "2")]).unwrap_err();
    assert!(matches!(err, MetricError::DuplicateLabelName { ref label, .. } if label == "k"));
    assert!(i.get().is_empty());
}

// ---------------------------------------------------------------------------
// A counter never goes down.

/// u64::MAX - 1, u64::MAX, then +1 and +u64::MAX: the value never drops.
fn climb_past_u64_max(inc_by_u64: impl Fn(u64), get: impl Fn() -> f64) {
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    let mut last = get();
    let mut step = |n: u64| {
        inc_by_u64(n);
        let now = get();
        assert!(now >= last, "went down from {last} to {now} adding {n}");
        last = now;
        now
    };
    step(u64::MAX - 1);
    step(1);
    assert!(step(1) >= TWO_64 * 0.99, "wrapped");
    assert_eq!(step(u64::MAX), 2.0 * TWO_64);
    assert_eq!(step(u64::MAX), 3.0 * TWO_64);
}

#[test]
fn plain_counter_does_not_wrap() {
    let c = Counter::new("wrap_total", "help").expect("valid");
    climb_past_u64_max(|n| c.inc_by_u64(n), || c.get());
    // `inc()` at the boundary too.
    let c = Counter::new("wrap_inc_total", "help").expect("valid");
    c.inc_by_u64(u64::MAX);
    c.inc();
    assert!(c.get() >= 1.8e19, "wrapped to {}", c.get());
    let r = registry_with(c.clone());
    assert!(r.get_sample_value("wrap_inc_total", &[]).expect("sample") >= 1.8e19);
}

#[test]
fn family_child_counter_does_not_wrap() {
    let f = counter_family("wrap_child", ["k"]);
    let r = registry_with(f.clone());
    let sample = || {
        r.get_sample_value("wrap_child_total", &[("k", "a")])
            .unwrap_or(0.0)
    };
    climb_past_u64_max(|n| f.labels(["a"]).inc_by_u64(n), sample);
    let child = f.labels(["b"]);
    child.inc_by_u64(u64::MAX);
    child.inc();
    assert!(child.get() >= 1.8e19, "wrapped to {}", child.get());
}

// ---------------------------------------------------------------------------
// Python client, tests/test_core.py

/// TestCounter.test_increment
#[test]
fn py_counter_increment() {
    let c = Counter::new("c_total", "help").expect("valid");
    let r = registry_with(c.clone());
    assert_eq!(r.get_sample_value("c_total", &[]), Some(0.0));
    c.inc();
    assert_eq!(r.get_sample_value("c_total", &[]), Some(1.0));
    c.inc_by(7.0).expect("positive");
    assert_eq!(r.get_sample_value("c_total", &[]), Some(8.0));
}

/// TestCounter.test_negative_increment_raises
#[test]
fn py_counter_negative_increment_raises() {
    let c = Counter::new("c_total", "help").expect("valid");
    let err = c.inc_by(-1.0).unwrap_err();
    assert!(err.to_string().contains("`c`"), "{err}");
    assert_eq!(c.get(), 0.0);
}

/// TestInfo.test_info
#[test]
fn py_info() {
    let i = Info::new("i", "help").expect("valid");
    let r = registry_with(i.clone());
    assert_eq!(r.get_sample_value("i_info", &[]), Some(1.0));
    i.set([("a", "b"), ("c", "d")]).expect("valid keys");
    assert_eq!(r.get_sample_value("i_info", &[]), None);
    assert_eq!(
        r.get_sample_value("i_info", &[("a", "b"), ("c", "d")]),
        Some(1.0)
    );
}

/// TestInfo.test_labels
#[test]
fn py_info_labels() {
    let f = Family::<Info, 1>::new(Opts::new("il", "help").labels(["l"])).expect("valid");
    let r = registry_with(f.clone());
    assert!(f.labels(["a"]).set([("l", "")]).is_err());
    f.labels(["a"]).set([("foo", "bar")]).expect("free key");
    assert_eq!(
        r.get_sample_value("il_info", &[("l", "a"), ("foo", "bar")]),
        Some(1.0)
    );
}

/// TestMetricWrapper.test_child
#[test]
fn py_child() {
    let c = counter_family("c_total", ["l"]);
    let two = counter_family("two", ["a", "b"]);
    let r = Registry::new();
    r.register(c.clone()).expect("free");
    r.register(two.clone()).expect("free");
    c.labels(["x"]).inc();
    assert_eq!(r.get_sample_value("c_total", &[("l", "x")]), Some(1.0));
    two.labels(["x", "y"]).inc_by(2.0).expect("positive");
    assert_eq!(
        r.get_sample_value("two_total", &[("a", "x"), ("b", "y")]),
        Some(2.0)
    );
}

/// TestMetricWrapper.test_remove
#[test]
fn py_remove() {
    let c = counter_family("c_total", ["l"]);
    let r = registry_with(c.clone());
    c.labels(["x"]).inc();
    c.labels(["y"]).inc_by(2.0).expect("positive");
    assert_eq!(r.get_sample_value("c_total", &[("l", "x")]), Some(1.0));
    assert_eq!(r.get_sample_value("c_total", &[("l", "y")]), Some(2.0));
    assert!(c.remove(["x"]));
    assert_eq!(r.get_sample_value("c_total", &[("l", "x")]), None);
    assert_eq!(r.get_sample_value("c_total", &[("l", "y")]), Some(2.0));
}

/// TestMetricWrapper.test_clear
#[test]
fn py_clear() {
    let c = counter_family("c_total", ["l"]);
    let r = registry_with(c.clone());
    c.labels(["x"]).inc();
    c.labels(["y"]).inc_by(2.0).expect("positive");
    c.clear();
    assert_eq!(r.get_sample_value("c_total", &[("l", "x")]), None);
    assert_eq!(r.get_sample_value("c_total", &[("l", "y")]), None);
    // The family is still there, and takes new children.
    c.labels(["x"]).inc();
    assert_eq!(r.get_sample_value("c_total", &[("l", "x")]), Some(1.0));
}

/// TestMetricWrapper.test_remove_by_labels (client_python 0.21+): a partial
/// match removes every child it names; an empty dict removes none.
#[test]
fn py_remove_by_labels() {
    let c = counter_family("c_total", ["l", "m"]);
    let r = registry_with(c.clone());
    c.labels(["x", "1"]).inc();
    c.labels(["x", "2"]).inc();
    c.labels(["y", "1"]).inc();
    assert_eq!(c.remove_by_labels(&[]), Ok(0));
    assert_eq!(c.len(), 3);
    assert_eq!(c.remove_by_labels(&[("l", "x")]), Ok(2));
    assert_eq!(
        r.get_sample_value("c_total", &[("l", "x"), ("m", "1")]),
        None
    );
    assert_eq!(
        r.get_sample_value("c_total", &[("l", "x"), ("m", "2")]),
        None
    );
    assert_eq!(
        r.get_sample_value("c_total", &[("l", "y"), ("m", "1")]),
        Some(1.0)
    );
    assert!(c.remove_by_labels(&[("nope", "x")]).is_err());
}

/// TestMetricWrapper.test_labels_by_kwarg
#[test]
fn py_labels_by_kwarg() {
    let c = counter_family("c_total", ["l"]);
    let two = counter_family("two", ["a", "b"]);
    c.labels_named(&[("l", "x")]).expect("named").inc();
    assert_eq!(c.labels(["x"]).get(), 1.0);
    assert!(c.labels_named(&[("l", "x"), ("m", "y")]).is_err());
    assert!(c.labels_named(&[("m", "y")]).is_err());
    assert!(c.labels_named(&[]).is_err());
    two.labels_named(&[("a", "x"), ("b", "y")])
        .expect("named")
        .inc();
    assert_eq!(two.labels(["x", "y"]).get(), 1.0);
    assert!(two
        .labels_named(&[("a", "x"), ("b", "y"), ("c", "z")])
        .is_err());
    assert!(two.labels_named(&[("a", "x"), ("c", "z")]).is_err());
    assert!(two.labels_named(&[("b", "y"), ("c", "z")]).is_err());
    assert!(two.labels_named(&[("c", "z")]).is_err());
    assert!(two.labels_named(&[]).is_err());
}

/// TestMetricWrapper.test_labels_coerced_to_string: values of other types
/// are their text, so `labels([1])` and `labels(["1"])` are one child.
#[test]
fn py_labels_coerced_to_string() {
    let c = counter_family("c_total", ["l"]);
    let r = registry_with(c.clone());
    c.labels([7u8]).inc();
    c.labels_named(&[("l", "7")]).expect("named").inc();
    c.labels([7i64]).inc();
    assert_eq!(r.get_sample_value("c_total", &[("l", "7")]), Some(3.0));
    assert!(c.remove([7u32]));
    assert_eq!(r.get_sample_value("c_total", &[("l", "7")]), None);
}
