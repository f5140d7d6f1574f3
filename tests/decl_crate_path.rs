//! `crate = path`: a crate that depends on promscribe under another name
//! (`renamed_facade`, which has `prom = { package = "promscribe" }`), and a
//! crate that reaches promscribe only through that facade (`facade_user`),
//! declare statics that register in the one default registry.

use promscribe::default_registry;

#[test]
fn statics_of_a_crate_that_renames_promscribe_are_registered() {
    renamed_facade::run_job();
    let r = default_registry();
    assert_eq!(r.get_sample_value("renamed_jobs_total", &[]), Some(1.0));
    assert_eq!(
        r.get_sample_value(
            "renamed_latency_seconds_bucket",
            &[("kind", "batch"), ("le", "1.0")]
        ),
        Some(1.0)
    );
    assert_eq!(
        r.get_sample_value(
            "renamed_latency_seconds_bucket",
            &[("kind", "batch"), ("le", "0.1")]
        ),
        Some(0.0)
    );
    assert_eq!(
        r.get_sample_value("renamed_default_latency_seconds_count", &[]),
        Some(1.0)
    );
    assert_eq!(
        r.get_sample_value("renamed_queue_length", &[("queue", "mail")]),
        Some(3.0)
    );
    assert_eq!(
        r.get_sample_value("renamed_state", &[("renamed_state", "busy")]),
        Some(1.0)
    );
    r.check().expect("no clashing names");
}

#[test]
fn statics_declared_through_a_facade_are_registered() {
    facade_user::handle("get");
    facade_user::handle("get");
    let r = default_registry();
    assert_eq!(
        r.get_sample_value("facade_requests_total", &[("method", "get")]),
        Some(2.0)
    );
    assert_eq!(r.get_sample_value("facade_workers", &[]), Some(4.0));
    let text = promscribe::encode_text(r);
    assert!(
        text.contains("# HELP facade_requests_total Requests counted through a facade\n"),
        "{text}"
    );
}

// `crate = path` given before the static, as a facade's wrapper passes it,
// and as an option, with the same path as the default.
promscribe::counter!(
    crate = ::promscribe,
    PREFIXED,
    "decl_prefixed_total",
    "help"
);
promscribe::gauge!(SUFFIXED, "decl_suffixed", "help", crate = ::promscribe);

#[test]
fn the_option_is_taken_first_or_among_the_options() {
    PREFIXED.inc();
    SUFFIXED.set(2.0);
    let r = default_registry();
    assert_eq!(r.get_sample_value("decl_prefixed_total", &[]), Some(1.0));
    assert_eq!(r.get_sample_value("decl_suffixed", &[]), Some(2.0));
}

/// The attribute macros take `crate = path` too: a crate that renames
/// promscribe instruments its functions through its own name for it.
#[test]
fn attributes_of_a_crate_that_renames_promscribe_record() {
    let r = default_registry();
    let before = r
        .get_sample_value("renamed_latency_seconds_count", &[("kind", "attr")])
        .unwrap_or(0.0);
    assert_eq!(renamed_facade::attempt("attr", false), Ok(1.0));
    assert!(renamed_facade::attempt("attr", true).is_err());
    assert_eq!(
        r.get_sample_value("renamed_latency_seconds_count", &[("kind", "attr")]),
        Some(before + 2.0)
    );
    assert_eq!(r.get_sample_value("renamed_failures_total", &[]), Some(1.0));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    assert_eq!(rt.block_on(renamed_facade::attempt_async()), 7);
    assert_eq!(
        r.get_sample_value("renamed_async_seconds_count", &[]),
        Some(1.0)
    );
}
