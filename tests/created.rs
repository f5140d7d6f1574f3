//! `_created` series: written after their family as a separate gauge, as
//! Python's client does in the text format.

use promscribe::{counter, histogram, Counter, Registry};

counter!(CREATED_C, "created_jobs_total", "Jobs", labels = ["queue"]);
histogram!(
    CREATED_H,
    "created_latency_seconds",
    "Latency",
    buckets = [1.0]
);

#[test]
fn created_follows_each_family_as_a_gauge() {
    CREATED_C.labels(["a"]).inc();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64();
    let families: Vec<_> = promscribe::default_registry()
        .gather()
        .into_iter()
        .filter(|f| f.name.starts_with("created_"))
        .collect();
    let mut text = String::new();
    promscribe::encode_text_families(&mut text, &families);
    let lines: Vec<&str> = text.lines().collect();

    let c = lines
        .iter()
        .position(|l| *l == "# HELP created_jobs_created Jobs")
        .expect("counter _created family");
    assert_eq!(lines[c + 1], "# TYPE created_jobs_created gauge");
    let v: f64 = lines[c + 2]
        .strip_prefix("created_jobs_created{queue=\"a\"} ")
        .expect("child _created sample")
        .parse()
        .expect("a number");
    // A child is created when first used: just now.
    assert!(
        v <= before && v > before - 60.0,
        "created {v} vs now {before}"
    );

    let h = lines
        .iter()
        .position(|l| *l == "# TYPE created_latency_seconds_created gauge")
        .expect("histogram _created family");
    let v: f64 = lines[h + 1]
        .strip_prefix("created_latency_seconds_created ")
        .expect("static _created sample")
        .parse()
        .expect("a number");
    // A static exists from the start of the process.
    assert!(v <= before && v > before - 3600.0);
    let (ok, report) = promscribe_test_support::promtool_check(&text);
    assert!(ok, "{report}");
}

#[test]
fn runtime_counter_created_is_its_construction_time_and_reset_moves_it() {
    let r = Registry::new();
    let c = Counter::new("rt_total", "Runtime").expect("valid");
    r.register(c.clone()).expect("registers");
    let first = r
        .get_sample_value("rt_created", &[])
        .expect("created sample");
    std::thread::sleep(std::time::Duration::from_millis(20));
    c.reset();
    let second = r
        .get_sample_value("rt_created", &[])
        .expect("created sample");
    assert!(second > first);
}
