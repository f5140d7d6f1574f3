//! The hot path allocates nothing: updates through a cached handle (inc,
//! observe, set, timers, `#[timed]`), a counter after contention spread it
//! over stripes, and a hit of `labels(...)` with string, integer and
//! derived enum values. Counted per thread with a counting global
//! allocator.

use promscribe::{Counter, Family, Gauge, Histogram, LabelValue, Opts, Summary};
use promscribe_test_support::{allocations_in, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

promscribe::counter!(REQUESTS, "hot_requests_total", "Requests");
promscribe::gauge!(IN_FLIGHT, "hot_in_flight", "In flight");
promscribe::histogram!(LATENCY, "hot_latency_seconds", "Latency");
promscribe::summary!(SIZES, "hot_sizes_bytes", "Sizes");
promscribe::counter!(
    BY_ROUTE,
    "hot_by_route_total",
    "By route",
    labels = ["method", "status"]
);
promscribe::histogram!(
    ROUTE_LATENCY,
    "hot_route_latency_seconds",
    "Route latency",
    labels = ["method"]
);

#[derive(Clone, Copy, LabelValue)]
enum Method {
    Get,
    Post,
}

#[derive(Clone, Copy, LabelValue)]
enum Status {
    Ok,
    #[label(rename = "5xx")]
    ServerError,
}

#[promscribe::timed(LATENCY)]
fn timed_work() -> u32 {
    std::hint::black_box(7)
}

#[test]
fn the_counting_allocator_sees_allocations() {
    // Without this, the zero-allocation tests would prove nothing.
    let n = allocations_in(|| drop(std::hint::black_box(String::from("x").repeat(100))));
    assert!(n >= 1);
}

#[test]
fn cached_handle_updates_allocate_nothing() {
    let child = BY_ROUTE.labels([Method::Post, Method::Get]);
    let route = ROUTE_LATENCY.labels([Method::Post]);
    let gauge = Gauge::new("hot_runtime_gauge", "g").expect("valid");
    let counter = Counter::new("hot_runtime_total", "c").expect("valid");
    // The first timer initializes (and calibrates) the clock once.
    drop(LATENCY.start_timer());
    let n = allocations_in(|| {
        for i in 0..1_000u32 {
            REQUESTS.inc();
            REQUESTS.inc_by_u64(3);
            REQUESTS.inc_by(0.5).expect("positive");
            counter.inc();
            child.inc();
            IN_FLIGHT.set(f64::from(i));
            IN_FLIGHT.inc();
            IN_FLIGHT.dec();
            gauge.set(1.5);
            LATENCY.observe(0.2);
            route.observe(0.02);
            SIZES.observe(512.0);
            drop(LATENCY.start_timer());
            SIZES.start_timer().observe_duration();
            let _in_flight = IN_FLIGHT.track_inprogress();
            assert_eq!(timed_work(), 7);
        }
    });
    assert_eq!(n, 0, "a cached-handle update allocated");
    assert_eq!(LATENCY.get_count(), 1 + 3 * 1_000);
    assert_eq!(route.get_count(), 1_000);
    assert_eq!(child.get(), 1_000.0);
}

#[test]
fn a_contended_counter_allocates_nothing_once_striped() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Barrier;

    const ROUNDS: usize = 8_192;
    const NONE: usize = usize::MAX;
    let c = Counter::new("hot_contended_total", "c").expect("valid");
    // Two threads increment in rounds that start together (a barrier), so
    // they contend whatever else the machine runs; the round in which the
    // counter switches to stripes allocates them (once), and the round
    // after it lets each thread reach its own stripe. Then every
    // increment, from either thread, allocates nothing. Bounded by rounds,
    // not by time.
    let barrier = Barrier::new(2);
    let switched = AtomicUsize::new(NONE);
    let round = |n: u32| {
        allocations_in(|| {
            for _ in 0..n {
                c.inc();
            }
        })
    };
    let counts: Vec<(usize, usize)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut rounds = 0;
                    while rounds < ROUNDS {
                        barrier.wait();
                        if round(1 << 16) > 0 {
                            switched.fetch_min(rounds, Ordering::SeqCst);
                        }
                        // Both threads read `switched` after both wrote it:
                        // they leave the warm-up after the same round.
                        barrier.wait();
                        let at = switched.load(Ordering::SeqCst);
                        rounds += 1;
                        if at != NONE && rounds > at + 1 {
                            break;
                        }
                    }
                    let measured = allocations_in(|| {
                        for _ in 0..(1 << 16) {
                            c.inc();
                            c.inc_by_u64(2);
                        }
                    });
                    (rounds, measured)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("no panic"))
            .collect()
    });
    assert_ne!(
        switched.load(Ordering::SeqCst),
        NONE,
        "no switch to stripes seen in {ROUNDS} rounds of contention"
    );
    let measured: Vec<usize> = counts.iter().map(|&(_, n)| n).collect();
    assert_eq!(measured, [0, 0], "a striped increment allocated");
    let warm_up: u32 = counts.iter().map(|&(r, _)| r as u32).sum();
    assert_eq!(
        c.get(),
        f64::from(warm_up) * f64::from(1u32 << 16) + 2.0 * 3.0 * f64::from(1u32 << 16)
    );
}

#[test]
fn a_labels_hit_allocates_nothing() {
    let strings =
        Family::<Counter, 2>::new(Opts::new("hot_strings_total", "s").labels(["method", "path"]))
            .expect("valid");
    let enums =
        Family::<Counter, 2>::new(Opts::new("hot_enums_total", "e").labels(["method", "status"]))
            .expect("valid");
    let mixed = Family::<Counter, 3>::new(
        Opts::new("hot_mixed_total", "m").labels(["method", "code", "big"]),
    )
    .expect("valid");
    let path = String::from("/api/v1/items");
    // Enough children that the lookup table grew several times.
    for i in 0..10_000u32 {
        strings.labels(("put", i)).inc();
    }
    strings.labels(["get", path.as_str()]).inc();
    enums.labels((Method::Get, Status::ServerError)).inc();
    mixed.labels(("get", 200u16, i128::MIN)).inc();
    mixed.labels((Method::Post, 404u16, u128::MAX)).inc();
    BY_ROUTE.labels([Method::Get, Method::Post]).inc();
    let n = allocations_in(|| {
        for _ in 0..1_000 {
            strings.labels(["get", path.as_str()]).inc();
            enums.labels((Method::Get, Status::ServerError)).inc();
            mixed.labels(("get", 200u16, i128::MIN)).inc();
            mixed.labels((Method::Post, 404u16, u128::MAX)).inc();
            BY_ROUTE.labels([Method::Get, Method::Post]).inc();
            // The owned handle of an existing child: a reference count, no
            // allocation.
            drop(strings.labels_owned(("put", 1234u32)));
        }
    });
    assert_eq!(n, 0, "a labels hit allocated");
    // The typed values and their texts are one series.
    assert_eq!(enums.labels(["get", "5xx"]).get(), 1_001.0);
    assert_eq!(
        mixed
            .labels(["post", "404", u128::MAX.to_string().as_str()])
            .get(),
        1_001.0
    );
    assert_eq!(enums.len(), 1);
    assert_eq!(strings.len(), 10_001);
    let _ = Status::Ok.label_text();
}

#[test]
fn summary_and_histogram_handles_do_not_allocate() {
    let h = Histogram::new("hot_rt_seconds", "h").expect("valid");
    let s = Summary::new("hot_rt_summary", "s").expect("valid");
    let n = allocations_in(|| {
        for i in 0..1_000 {
            h.observe(f64::from(i) * 1e-3);
            s.observe(1.0);
        }
    });
    assert_eq!(n, 0);
    assert_eq!(h.get_count(), 1_000);
}
