//! Registries: duplicate names are reported with both declaration sites,
//! never merged; separate registries; process metrics in the default one.

use std::sync::Arc;

use promscribe::{counter, gauge, Collector, Counter, Gauge, Origin, Registry, Summary};

// Two statics claiming one name, and a gauge clashing with a counter's
// derived `_total` sample name.
counter!(DUP_A, "dup_events_total", "First");
counter!(DUP_B, "dup_events_total", "Second");
gauge!(
    DUP_C,
    "dup_events_total",
    "Clashes with the counters' sample name"
);

#[test]
fn duplicate_statics_are_reported_with_both_sites() {
    let err = promscribe::default_registry()
        .check()
        .expect_err("clashing statics are reported");
    let about_dup: Vec<_> = err
        .clashes
        .iter()
        .filter(|c| c.name.starts_with("dup_events"))
        .collect();
    assert!(!about_dup.is_empty());
    for clash in &about_dup {
        for origin in [&clash.first, &clash.second] {
            match origin {
                Origin::Static(site) => assert!(site.file.ends_with("registry.rs"), "{site}"),
                Origin::Runtime => panic!("both sides are statics: {clash}"),
            }
        }
        assert_ne!(clash.first, clash.second);
    }
    let msg = err.to_string();
    assert!(
        msg.contains("duplicate metric name `dup_events_total`"),
        "{msg}"
    );
    assert!(msg.contains("registry.rs:10:"), "first site in: {msg}");
    assert!(msg.contains("registry.rs:11:"), "second site in: {msg}");
}

#[test]
fn only_one_family_of_a_name_is_exposed() {
    DUP_A.inc();
    DUP_B.inc();
    DUP_C.set(3.0);
    let text = promscribe::encode_text(promscribe::default_registry());
    assert_eq!(
        text.matches("# TYPE dup_events_total ").count(),
        1,
        "{text}"
    );
    assert_eq!(text.matches("\ndup_events_total ").count(), 1, "{text}");
}

#[test]
fn runtime_registration_refuses_a_static_name() {
    let g = Gauge::new("dup_events_total", "Clash").expect("valid");
    let err = promscribe::default_registry()
        .register(g)
        .expect_err("refused");
    assert!(matches!(err.clashes[0].first, Origin::Static(_)));
    assert!(err.to_string().contains("declared at"), "{err}");
}

#[test]
fn derived_names_clash_in_a_registry() {
    let r = Registry::new();
    r.register(Summary::new("rpc_seconds", "RPC").expect("valid"))
        .expect("first registration");
    let err = r
        .register(Gauge::new("rpc_seconds_count", "Clash").expect("valid"))
        .expect_err("`_count` is the summary's");
    assert_eq!(err.clashes[0].name, "rpc_seconds_count");
    // Nothing was added by the refused registration.
    assert_eq!(r.gather().len(), 1);
}

#[test]
fn separate_registry_starts_empty_and_unregisters() {
    let r = Registry::new();
    assert!(r.gather().is_empty());
    let c = Counter::new("batch_total", "Batch").expect("valid");
    let handle: Arc<dyn Collector> = c.clone();
    r.register(handle.clone()).expect("registers");
    c.inc();
    assert_eq!(r.get_sample_value("batch_total", &[]), Some(1.0));
    assert!(r.unregister(&handle));
    assert_eq!(r.get_sample_value("batch_total", &[]), None);
    // The default registry never saw it.
    assert_eq!(
        promscribe::default_registry().get_sample_value("batch_total", &[]),
        None
    );
}

#[cfg(target_os = "linux")]
#[test]
fn default_registry_has_process_metrics() {
    let r = promscribe::default_registry();
    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        let v = r.get_sample_value(name, &[]);
        assert!(v.is_some_and(|v| v >= 0.0), "{name}: {v:?}");
    }
}

struct Handler;

impl Handler {
    // A declaration in a method body is an ordinary static (only one
    // written directly in the `impl` block is an associated item).
    fn handle(&self) -> f64 {
        promscribe::counter!(HANDLED, "impl_method_handled_total", "Handled");
        HANDLED.inc();
        HANDLED.get()
    }
}

trait Served {
    fn serve(&self) {
        promscribe::counter!(SERVED, "trait_default_served_total", "Served");
        SERVED.inc();
    }
}

impl Served for Handler {}

#[test]
fn declarations_in_method_bodies_are_registered() {
    assert_eq!(Handler.handle(), 1.0);
    Handler.serve();
    let r = promscribe::default_registry();
    assert_eq!(
        r.get_sample_value("impl_method_handled_total", &[]),
        Some(1.0)
    );
    assert_eq!(
        r.get_sample_value("trait_default_served_total", &[]),
        Some(1.0)
    );
}
