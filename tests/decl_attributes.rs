//! Attributes on a declared static apply to its registration too: a
//! `#[cfg]`'d-out static is neither compiled nor registered, and a
//! `#[deprecated]` static is flagged where the user uses it, never by the
//! expansion itself (this file denies `deprecated` and never uses it).
#![deny(deprecated, warnings)]

use promscribe::{counter, default_registry, gauge, histogram};

counter!(
    #[cfg(any())]
    GONE,
    "decl_cfg_gone_total",
    "A static compiled out"
);

counter!(
    #[cfg(all())]
    KEPT,
    "decl_cfg_kept_total",
    "A static compiled in"
);

histogram!(
    #[cfg(not(all()))]
    GONE_HISTOGRAM,
    "decl_cfg_gone_seconds",
    "A labelled histogram compiled out",
    labels = ["a"]
);

gauge!(
    #[deprecated(note = "use KEPT")]
    OLD,
    "decl_deprecated_gauge",
    "A deprecated static"
);

fn main_like() {
    KEPT.inc();
}

#[test]
fn a_cfgd_out_static_is_not_registered() {
    main_like();
    let r = default_registry();
    assert_eq!(r.get_sample_value("decl_cfg_kept_total", &[]), Some(1.0));
    let names: Vec<String> = r.gather().into_iter().map(|f| f.name).collect();
    assert!(names.iter().any(|n| n == "decl_cfg_kept"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("decl_cfg_gone")),
        "{names:?}"
    );
}

#[test]
fn a_deprecated_static_is_still_registered() {
    assert_eq!(
        default_registry().get_sample_value("decl_deprecated_gauge", &[]),
        Some(0.0)
    );
}

mod lowercase {
    #![allow(non_upper_case_globals)]
    // Allowing the lint on the module covers the expansion: nothing in it
    // is named after the static.
    promscribe::counter!(pub(super) lower_requests, "decl_lower_requests_total", "help");
}

#[test]
fn a_lowercase_static_works_where_its_lint_is_allowed() {
    lowercase::lower_requests.inc();
    assert_eq!(
        default_registry().get_sample_value("decl_lower_requests_total", &[]),
        Some(1.0)
    );
}

#[test]
fn statics_declared_in_a_function_body_register() {
    counter!(LOCAL, "decl_local_total", "Declared in a function");
    LOCAL.inc();
    assert_eq!(
        default_registry().get_sample_value("decl_local_total", &[]),
        Some(1.0)
    );
}
