//! A metric declared only in a dependency crate, whose items this test
//! never uses, is collected once the crate is linked with `use ... as _`.

use dep_metrics as _;

#[test]
fn metric_of_a_dependency_is_in_the_default_registry() {
    let registry = promscribe::default_registry();
    assert_eq!(registry.get_sample_value("dep_jobs_total", &[]), Some(0.0));
    let text = promscribe::encode_text(registry);
    assert!(
        text.contains("# TYPE dep_jobs_total counter\ndep_jobs_total 0.0\n"),
        "{text}"
    );
    registry.check().expect("no clashing names");
}
