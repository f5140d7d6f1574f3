//! Native histograms observe exactly as client_golang's: its
//! `TestNativeHistogram` table (`prometheus/histogram_test.go`) ported case
//! by case, with the expected spans and deltas copied as they are there
//! and decoded into absolute bucket counts; then subnormal values, the
//! negative-schema bucket keys client_golang fixed in 1.16 (issue #1279),
//! and scrapes that stay consistent while threads observe.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use promscribe::{Buckets, Collector, Family, Histogram, HistogramPoint, NativeOpts, Opts, Point};

thread_local! {
    /// The test clock, Unix seconds (observations run on the test thread).
    static NOW: Cell<f64> = const { Cell::new(0.0) };
}

fn clock() -> f64 {
    NOW.with(Cell::get)
}

const START: f64 = 1_700_000_000.0;
const MINUTE: f64 = 60.0;
const ZT: f64 = 2.938735877055719e-39;

fn point(h: &Histogram) -> HistogramPoint {
    let mut out = Vec::new();
    h.collect(&mut out);
    match out.remove(0).metrics.remove(0).point {
        Point::Histogram(p) => p,
        other => panic!("not a histogram: {other:?}"),
    }
}

/// Absolute, non-zero bucket counts from protobuf spans and deltas.
fn decode(spans: &[(i32, u32)], deltas: &[i64]) -> Vec<(i32, u64)> {
    let (mut index, mut count, mut out) = (0, 0i64, Vec::new());
    let mut deltas = deltas.iter();
    for (offset, len) in spans {
        index += offset;
        for _ in 0..*len {
            count += deltas.next().expect("a delta per bucket");
            if count != 0 {
                out.push((index, count as u64));
            }
            index += 1;
        }
    }
    assert!(deltas.next().is_none(), "more deltas than buckets");
    out
}

struct Want {
    count: u64,
    sum: f64,
    schema: i32,
    zero_threshold: f64,
    zero_count: u64,
    positive: (&'static [(i32, u32)], &'static [i64]),
    negative: (&'static [(i32, u32)], &'static [i64]),
    /// `_created`, in minutes after the histogram's creation.
    created: f64,
}

struct Case {
    name: &'static str,
    observations: &'static [f64],
    factor: f64,
    zero_threshold: f64,
    max_buckets: u32,
    min_reset: Duration,
    max_zero_threshold: f64,
    want: Want,
}

const NONE: (&[(i32, u32)], &[i64]) = (&[], &[]);

fn want(count: u64, sum: f64, schema: i32) -> Want {
    Want {
        count,
        sum,
        schema,
        zero_threshold: ZT,
        zero_count: 0,
        positive: NONE,
        negative: NONE,
        created: 0.0,
    }
}

fn case(name: &'static str, observations: &'static [f64], factor: f64, want: Want) -> Case {
    Case {
        name,
        observations,
        factor,
        zero_threshold: 0.0,
        max_buckets: 0,
        min_reset: Duration::ZERO,
        max_zero_threshold: 0.0,
        want,
    }
}

const POS_2: &[f64] = &[0.0, 1.0, 1.2, 1.4, 1.8, 2.0];
const NEG_2: &[f64] = &[0.0, -1.0, -1.2, -1.4, -1.8, -2.0];
const SPAN_5: &[(i32, u32)] = &[(0, 5)];
const DELTAS_5: &[i64] = &[1, -1, 2, -2, 2];

fn cases() -> Vec<Case> {
    let min5 = Duration::from_secs(300);
    let min9 = Duration::from_secs(540);
    vec![
        case("no observations", &[], 1.1, want(0, 0.0, 3)),
        Case {
            zero_threshold: NativeOpts::ZERO_THRESHOLD_ZERO,
            ..case(
                "no observations and zero threshold of zero resulting in no-op span",
                &[],
                1.1,
                Want {
                    zero_threshold: 0.0,
                    ..want(0, 0.0, 3)
                },
            )
        },
        case(
            "factor 1.1 results in schema 3",
            &[0.0, 1.0, 2.0, 3.0],
            1.1,
            Want {
                zero_count: 1,
                positive: (&[(0, 1), (7, 1), (4, 1)], &[1, 0, 0]),
                ..want(4, 6.0, 3)
            },
        ),
        case(
            "factor 1.2 results in schema 2",
            &[0.0, 1.0, 1.2, 1.4, 1.8, 2.0],
            1.2,
            Want {
                zero_count: 1,
                positive: (SPAN_5, DELTAS_5),
                ..want(6, 7.4, 2)
            },
        ),
        case(
            "factor 4 results in schema -1",
            &[
                0.0156251, 0.0625, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 3.5, 5.0, 6.0, 7.0, 33.33,
            ],
            4.0,
            Want {
                positive: (&[(-2, 6)], &[2, 0, 0, 2, -1, -2]),
                ..want(14, 63.2581251, -1)
            },
        ),
        case(
            "factor 17 results in schema -2",
            &[
                0.0156251, 0.0625, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 3.5, 5.0, 6.0, 7.0, 33.33,
            ],
            17.0,
            Want {
                positive: (&[(-1, 4)], &[2, 2, 3, -6]),
                ..want(14, 63.2581251, -2)
            },
        ),
        case(
            "negative buckets",
            NEG_2,
            1.2,
            Want {
                zero_count: 1,
                negative: (SPAN_5, DELTAS_5),
                ..want(6, -7.4, 2)
            },
        ),
        case(
            "negative and positive buckets",
            &[0.0, -1.0, -1.2, -1.4, -1.8, -2.0, 1.0, 1.2, 1.4, 1.8, 2.0],
            1.2,
            Want {
                zero_count: 1,
                negative: (SPAN_5, DELTAS_5),
                positive: (SPAN_5, DELTAS_5),
                ..want(11, 0.0, 2)
            },
        ),
        Case {
            zero_threshold: 1.4,
            ..case(
                "wide zero bucket",
                &[0.0, -1.0, -1.2, -1.4, -1.8, -2.0, 1.0, 1.2, 1.4, 1.8, 2.0],
                1.2,
                Want {
                    zero_threshold: 1.4,
                    zero_count: 7,
                    negative: (&[(4, 1)], &[2]),
                    positive: (&[(4, 1)], &[2]),
                    ..want(11, 0.0, 2)
                },
            )
        },
        case(
            "NaN observation",
            &[0.0, 1.0, 1.2, 1.4, 1.8, 2.0, f64::NAN],
            1.2,
            Want {
                zero_count: 1,
                positive: (SPAN_5, DELTAS_5),
                ..want(7, f64::NAN, 2)
            },
        ),
        case(
            "+Inf observation",
            &[0.0, 1.0, 1.2, 1.4, 1.8, 2.0, f64::INFINITY],
            1.2,
            Want {
                zero_count: 1,
                positive: (&[(0, 5), (4092, 1)], &[1, -1, 2, -2, 2, -1]),
                ..want(7, f64::INFINITY, 2)
            },
        ),
        case(
            "-Inf observation",
            &[0.0, 1.0, 1.2, 1.4, 1.8, 2.0, f64::NEG_INFINITY],
            1.2,
            Want {
                zero_count: 1,
                negative: (&[(4097, 1)], &[1]),
                positive: (SPAN_5, DELTAS_5),
                ..want(7, f64::NEG_INFINITY, 2)
            },
        ),
        Case {
            max_buckets: 4,
            ..case(
                "limited buckets but nothing triggered",
                POS_2,
                1.2,
                Want {
                    zero_count: 1,
                    positive: (SPAN_5, DELTAS_5),
                    ..want(6, 7.4, 2)
                },
            )
        },
        Case {
            max_buckets: 4,
            ..case(
                "buckets limited by halving resolution",
                &[0.0, 1.0, 1.1, 1.2, 1.4, 1.8, 2.0, 3.0],
                1.2,
                Want {
                    zero_count: 1,
                    positive: (SPAN_5, &[1, 2, -1, -2, 1]),
                    ..want(8, 11.5, 1)
                },
            )
        },
        Case {
            max_buckets: 4,
            max_zero_threshold: 1.2,
            ..case(
                "buckets limited by widening the zero bucket",
                &[0.0, 1.0, 1.1, 1.2, 1.4, 1.8, 2.0, 3.0],
                1.2,
                Want {
                    zero_threshold: 1.0,
                    zero_count: 2,
                    positive: (&[(1, 7)], &[1, 1, -2, 2, -2, 0, 1]),
                    ..want(8, 11.5, 2)
                },
            )
        },
        Case {
            max_buckets: 4,
            max_zero_threshold: 1.2,
            ..case(
                "buckets limited by widening the zero bucket twice",
                &[0.0, 1.0, 1.1, 1.2, 1.4, 1.8, 2.0, 3.0, 4.0],
                1.2,
                Want {
                    zero_threshold: 1.189207115002721,
                    zero_count: 3,
                    positive: (&[(2, 7)], &[2, -2, 2, -2, 0, 1, 0]),
                    ..want(9, 15.5, 2)
                },
            )
        },
        Case {
            max_buckets: 4,
            max_zero_threshold: 1.2,
            min_reset: min5,
            ..case(
                "buckets limited by reset",
                &[0.0, 1.0, 1.1, 1.2, 1.4, 1.8, 2.0, 3.0, 4.0],
                1.2,
                Want {
                    positive: (&[(7, 2)], &[1, 0]),
                    created: 8.0,
                    ..want(2, 7.0, 2)
                },
            )
        },
        Case {
            max_buckets: 4,
            ..case(
                "limited buckets but nothing triggered, negative observations",
                NEG_2,
                1.2,
                Want {
                    zero_count: 1,
                    negative: (SPAN_5, DELTAS_5),
                    ..want(6, -7.4, 2)
                },
            )
        },
        Case {
            max_buckets: 4,
            ..case(
                "buckets limited by halving resolution, negative observations",
                &[0.0, -1.0, -1.1, -1.2, -1.4, -1.8, -2.0, -3.0],
                1.2,
                Want {
                    zero_count: 1,
                    negative: (SPAN_5, &[1, 2, -1, -2, 1]),
                    ..want(8, -11.5, 1)
                },
            )
        },
        Case {
            max_buckets: 4,
            max_zero_threshold: 1.2,
            ..case(
                "buckets limited by widening the zero bucket, negative observations",
                &[0.0, -1.0, -1.1, -1.2, -1.4, -1.8, -2.0, -3.0],
                1.2,
                Want {
                    zero_threshold: 1.0,
                    zero_count: 2,
                    negative: (&[(1, 7)], &[1, 1, -2, 2, -2, 0, 1]),
                    ..want(8, -11.5, 2)
                },
            )
        },
        Case {
            max_buckets: 4,
            max_zero_threshold: 1.2,
            ..case(
                "buckets limited by widening the zero bucket twice, negative observations",
                &[0.0, -1.0, -1.1, -1.2, -1.4, -1.8, -2.0, -3.0, -4.0],
                1.2,
                Want {
                    zero_threshold: 1.189207115002721,
                    zero_count: 3,
                    negative: (&[(2, 7)], &[2, -2, 2, -2, 0, 1, 0]),
                    ..want(9, -15.5, 2)
                },
            )
        },
        Case {
            max_buckets: 4,
            max_zero_threshold: 1.2,
            min_reset: min5,
            ..case(
                "buckets limited by reset, negative observations",
                &[0.0, -1.0, -1.1, -1.2, -1.4, -1.8, -2.0, -3.0, -4.0],
                1.2,
                Want {
                    negative: (&[(7, 2)], &[1, 0]),
                    created: 8.0,
                    ..want(2, -7.0, 2)
                },
            )
        },
        Case {
            max_buckets: 4,
            min_reset: min9,
            ..case(
                "buckets limited by halving resolution, then reset",
                &[0.0, 1.0, 1.1, 1.2, 1.4, 1.8, 2.0, 5.0, 5.1, 3.0, 4.0],
                1.2,
                Want {
                    positive: (&[(7, 4)], &[1, 0, -1, 1]),
                    created: 9.0,
                    ..want(3, 12.1, 2)
                },
            )
        },
        Case {
            max_buckets: 4,
            max_zero_threshold: 1.2,
            min_reset: min9,
            ..case(
                "buckets limited by widening the zero bucket, then reset",
                &[0.0, 1.0, 1.1, 1.2, 1.4, 1.8, 2.0, 5.0, 5.1, 3.0, 4.0],
                1.2,
                Want {
                    positive: (&[(7, 4)], &[1, 0, -1, 1]),
                    created: 9.0,
                    ..want(3, 12.1, 2)
                },
            )
        },
    ]
}

/// client_golang's `TestNativeHistogram`, every case but "no sparse
/// buckets" (below): observations one simulated minute apart, a scheduled
/// reset run once its time has come, then one scrape.
#[test]
fn client_golang_native_histogram_table() {
    let cases = cases();
    assert_eq!(cases.len(), 24);
    for c in cases {
        NOW.with(|n| n.set(START));
        let native = NativeOpts::new()
            .bucket_factor(c.factor)
            .zero_threshold(c.zero_threshold)
            .max_buckets(c.max_buckets)
            .min_reset_duration(c.min_reset)
            .max_zero_threshold(c.max_zero_threshold)
            .__clock(clock);
        let h = Histogram::with_native(Opts::new("name", "help"), None, native).unwrap();
        NOW.with(|n| n.set(n.get() + MINUTE));
        for o in c.observations {
            h.observe(*o);
            NOW.with(|n| n.set(n.get() + MINUTE));
        }
        let p = point(&h);
        let w = &c.want;
        let name = c.name;
        assert!(p.bounds.as_slice().is_empty(), "{name}: no classic buckets");
        assert!(p.counts.is_empty(), "{name}");
        assert_eq!(p.count, Some(w.count as f64), "{name}: count");
        let sum = p.sum.expect("a sum");
        assert!(
            sum == w.sum || (sum.is_nan() && w.sum.is_nan()),
            "{name}: sum {sum} != {}",
            w.sum
        );
        assert_eq!(
            p.created,
            Some(START + w.created * MINUTE),
            "{name}: created"
        );
        let n = p.native.expect("native buckets");
        assert_eq!(n.schema, w.schema, "{name}: schema");
        assert_eq!(n.zero_threshold, w.zero_threshold, "{name}: zero threshold");
        assert_eq!(n.zero_count, w.zero_count, "{name}: zero count");
        assert_eq!(
            n.positive,
            decode(w.positive.0, w.positive.1),
            "{name}: positive"
        );
        assert_eq!(
            n.negative,
            decode(w.negative.0, w.negative.1),
            "{name}: negative"
        );
        assert!(n.exemplars.is_empty(), "{name}");
    }
}

/// The table's "no sparse buckets" case: a factor of 1 makes a classic
/// histogram with the default buckets.
#[test]
fn a_factor_of_one_is_classic_with_the_default_buckets() {
    let h = Histogram::with_native(
        Opts::new("name", "help"),
        None,
        NativeOpts::new().bucket_factor(1.0),
    )
    .unwrap();
    for v in [1.0, 2.0, 3.0] {
        h.observe(v);
    }
    let p = point(&h);
    assert!(p.native.is_none());
    assert_eq!(p.bounds.as_slice(), Buckets::DEFAULT.bounds());
    assert_eq!(p.count, Some(3.0));
    assert_eq!(p.sum, Some(6.0));
    // Cumulative: 0.005 .. 0.75 hold nothing, 1 holds one, 2.5 two, 5 three.
    let expected: Vec<f64> = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3]
        .iter()
        .map(|c| f64::from(*c))
        .collect();
    assert_eq!(p.counts, expected);
}

fn native_of(values: &[f64], factor: f64) -> promscribe::NativeBuckets {
    let h = Histogram::with_native(
        Opts::new("n", "n"),
        None,
        NativeOpts::new()
            .bucket_factor(factor)
            .zero_threshold(NativeOpts::ZERO_THRESHOLD_ZERO),
    )
    .expect("a histogram");
    for v in values {
        h.observe(*v);
    }
    *point(&h).native.expect("native")
}

/// Subnormal values land in the buckets their magnitude says: the
/// smallest subnormal is 2^-1074, so at schema 0 it is the upper bound of
/// bucket -1074; at schema 3, bucket -1074 * 8. Around 2^-1022 (the
/// smallest normal), the last subnormal and the smallest normal are in
/// neighbouring buckets, and 2^-1022 itself bounds bucket -1022.
#[test]
fn subnormal_values_land_in_their_buckets() {
    let tiny = f64::from_bits(1);
    let normal = f64::MIN_POSITIVE; // 2^-1022
    let below = f64::from_bits(normal.to_bits() - 1); // largest subnormal
    let above = f64::from_bits(normal.to_bits() + 1);
    // Schema 0 (factor 2): bucket k holds (2^(k-1), 2^k].
    let n = native_of(&[tiny, 2.0 * tiny, 3.0 * tiny, below, normal, above], 2.0);
    assert_eq!(
        n.positive,
        vec![(-1074, 1), (-1073, 1), (-1072, 1), (-1022, 2), (-1021, 1)]
    );
    // Schema 3 (factor 1.1): 2^-1074 = 2^(8 * -1074 / 8) bounds bucket
    // -8592; the next subnormal, 2^-1073, bucket -8584.
    let n = native_of(&[tiny, 2.0 * tiny, -tiny, normal, below], 1.1);
    assert_eq!(n.positive, vec![(-8592, 1), (-8584, 1), (-8176, 2)]);
    assert_eq!(n.negative, vec![(-8592, 1)]);
    // Schema -4: 2^-1074 in (2^-1088, 2^-1072]: bucket -67.
    let n = native_of(&[tiny, normal], 70000.0);
    assert_eq!(n.positive, vec![(-67, 1), (-63, 1)]);
    // Nothing subnormal is in the default zero bucket's reach? It is: all
    // of them are below 2^-128, so they count as zeros by default.
    let h = Histogram::with_native(Opts::new("z", "z"), None, NativeOpts::new()).unwrap();
    h.observe(tiny);
    h.observe(-below);
    let n = point(&h).native.expect("native");
    assert_eq!(n.zero_count, 2);
    assert!(n.positive.is_empty() && n.negative.is_empty());
}

/// client_golang before 1.16 computed negative-schema keys with a division
/// that truncates toward zero (issue #1279): values at or below 1 landed
/// one bucket too high. The fixed keys round up: at schema -1 (factor 4)
/// bucket k holds (4^(k-1), 4^k].
#[test]
fn negative_schema_keys_round_up() {
    // Schema -1: 0.0625 = 4^-2 bounds bucket -2; 0.0625's successor is in
    // -1; 0.25 = 4^-1 bounds -1; 1 bounds 0; 0.3 is in 0.
    let n = native_of(
        &[
            0.0625,
            0.0625f64.next_up(),
            0.25,
            0.3,
            1.0,
            1.0f64.next_up(),
        ],
        4.0,
    );
    assert_eq!(n.positive, vec![(-2, 1), (-1, 2), (0, 2), (1, 1)]);
    // Schema -2 (factor 17): bucket k holds (16^(k-1), 16^k]; 1/16 bounds
    // -1, 1/256 bounds -2, 0.001 is in -2 (1/4096 < 0.001 <= 1/256).
    let n = native_of(&[1.0 / 16.0, 1.0 / 256.0, 0.001, 0.5], 17.0);
    assert_eq!(n.positive, vec![(-2, 2), (-1, 1), (0, 1)]);
    // Schema -4 (factor 2^16 and more): bucket k holds (2^(16(k-1)), 2^16k].
    let n = native_of(&[2f64.powi(-16), 2f64.powi(-17), 2f64.powi(-15), 1.0], 1e6);
    assert_eq!(n.positive, vec![(-1, 2), (0, 2)]);
    // Negative values mirror positive ones.
    let n = native_of(&[-0.0625, -0.25, -1.0], 4.0);
    assert_eq!(n.negative, vec![(-2, 1), (-1, 1), (0, 1)]);
}

/// Powers of two land in the bucket they bound, at every schema (the
/// bounds tables are client_golang's digits, so a power of two meets a
/// bound exactly).
#[test]
fn powers_of_two_land_in_the_bucket_they_bound() {
    for schema in -4..=8 {
        // Just above 2^(2^-schema), so that rounding in the logarithms
        // cannot pick the next finer schema.
        let factor = 2f64.powf(2f64.powi(-schema)) * (1.0 + 1e-9);
        for e in [-1074, -1022, -100, -1, 0, 1, 3, 100, 1023] {
            let v = 2f64.powi(e);
            let v = if e < -1022 { f64::from_bits(1) } else { v };
            let n = native_of(&[v], factor);
            let (index, _) = n.positive[0];
            // v = 2^e bounds bucket e * 2^schema (schema >= 0), or
            // ceil(e / 2^-schema) (schema < 0).
            let expected = if schema >= 0 {
                e * (1 << schema)
            } else {
                e.div_euclid(1 << -schema) + i32::from(e.rem_euclid(1 << -schema) != 0)
            };
            assert_eq!(index, expected, "2^{e} at schema {schema}");
        }
    }
}

/// Family children are native too, each its own.
#[test]
fn family_children_are_native() {
    let f = Family::<Histogram, 1>::with_native(
        Opts::new("latency_seconds", "L").labels(["path"]),
        Some(Buckets::new([1.0]).unwrap()),
        NativeOpts::new(),
    )
    .unwrap();
    f.labels(["/a"]).observe(0.5);
    f.labels(["/b"]).observe(2.0);
    f.labels(["/b"]).observe(f64::NAN);
    let mut out = Vec::new();
    f.collect(&mut out);
    let mut points: Vec<HistogramPoint> = out
        .remove(0)
        .metrics
        .into_iter()
        .map(|m| match m.point {
            Point::Histogram(p) => p,
            other => panic!("{other:?}"),
        })
        .collect();
    points.sort_by(|a, b| a.count.partial_cmp(&b.count).unwrap());
    let (a, b) = (&points[0], &points[1]);
    assert_eq!(a.count, Some(1.0));
    assert_eq!(a.counts, [1.0, 1.0]);
    assert_eq!(a.native.as_ref().unwrap().positive, vec![(-8, 1)]);
    assert_eq!(b.count, Some(2.0));
    // Classic: 2.0 and NaN in +Inf; native: NaN counted, in no bucket.
    assert_eq!(b.counts, [0.0, 2.0]);
    assert!(b.sum.unwrap().is_nan());
    assert_eq!(b.native.as_ref().unwrap().positive, vec![(8, 1)]);
    let err = Family::<Histogram, 1>::with_native(
        Opts::new("bad", "b").labels(["x"]),
        None,
        NativeOpts::new().zero_threshold(f64::INFINITY),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("`zero_threshold` of metric `bad`"),
        "{err}"
    );
}

/// Timers and exemplars record into native histograms; native exemplars
/// are kept beside the classic bucket's.
#[test]
fn timers_and_exemplars_record_into_native_buckets() {
    let h = Histogram::with_native(
        Opts::new("t_seconds", "t"),
        Some(Buckets::DEFAULT),
        NativeOpts::new().__clock(clock),
    )
    .unwrap();
    h.start_timer().observe_duration();
    NOW.with(|n| n.set(START));
    h.observe_with_exemplar(0.3, &[("trace_id", "abc")])
        .unwrap();
    NOW.with(|n| n.set(START + 1.0));
    h.observe_with_exemplar(0.1, &[("trace_id", "def")])
        .unwrap();
    let p = point(&h);
    assert_eq!(p.count, Some(3.0));
    assert_eq!(p.counts.last(), Some(&3.0));
    let n = p.native.as_ref().unwrap();
    assert_eq!(n.count(), 3);
    // The oldest first, as the model has them (Go keeps them by value).
    let values: Vec<f64> = n.exemplars.iter().map(|e| e.value).collect();
    assert_eq!(values, [0.3, 0.1]);
    assert_eq!(n.exemplars[1].timestamp, Some(START + 1.0));
    assert!(p.exemplars.iter().flatten().any(|e| e.value == 0.3));
}

/// Threads observe while scrapes check that every scrape reads one set of
/// observations. Without a bucket limit each value has a bucket of its
/// own, so the sum is known from the buckets: it must match exactly, and
/// the count must be the buckets plus the zero bucket.
#[test]
fn scrapes_are_consistent_while_threads_observe() {
    let h = Histogram::with_native(Opts::new("c", "c"), None, NativeOpts::new()).unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for values in [[1.0, 2.0, 4.0], [-1.0, -2.0, 0.0], [1.0, 8.0, -4.0]] {
            let (h, stop) = (&h, &stop);
            s.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    h.observe(values[i % 3]);
                    i += 1;
                }
            });
        }
        let (mut last, mut scrapes) = (0.0, 0);
        // Until the observers have done plenty too (two cores may run the
        // scrapes first).
        while scrapes < 2000 || last < 100_000.0 {
            scrapes += 1;
            let p = point(&h);
            let n = p.native.as_ref().unwrap();
            let count = p.count.unwrap();
            assert_eq!(n.count() as f64, count);
            assert!(count >= last);
            last = count;
            // Schema 3: bucket 8k has upper bound 2^k, so holds 2^k only.
            let side = |b: &[(i32, u64)]| -> f64 {
                b.iter()
                    .map(|(i, c)| {
                        assert_eq!(i % 8, 0, "{b:?}");
                        2f64.powi(i / 8) * *c as f64
                    })
                    .sum()
            };
            assert_eq!(p.sum.unwrap(), side(&n.positive) - side(&n.negative));
        }
        stop.store(true, Ordering::Relaxed);
    });
}

/// The same with NaN observations, classic buckets beside the native ones
/// and a bucket limit that keeps halving the resolution and widening the
/// zero bucket while scrapes read: the classic +Inf bucket holds exactly
/// the NaNs (every other value is at most 8), and the count is always the
/// native buckets plus the zero bucket plus those NaNs.
#[test]
fn scrapes_are_consistent_while_the_bucket_limit_acts() {
    let h = Histogram::with_native(
        Opts::new("c", "c"),
        Some(Buckets::new([1.0, 2.0, 4.0, 8.0]).unwrap()),
        NativeOpts::new().max_buckets(2).max_zero_threshold(1.0),
    )
    .unwrap();
    let stop = AtomicBool::new(false);
    // Each writer's observations: the limit only lowers the schema once
    // the third writer's values are in (on a loaded machine a writer may
    // not have run yet when the others have made 100,000).
    let progress = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
    // The writers stop even when an assertion below fails.
    struct Stop<'a>(&'a AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    std::thread::scope(|s| {
        let _stop = Stop(&stop);
        let all = [[0.5, 2.0, 4.0], [-1.0, f64::NAN, 0.0], [1.5, 8.0, -4.0]];
        for (values, done) in all.into_iter().zip(&progress) {
            let (h, stop) = (&h, &stop);
            s.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    h.observe(values[i % 3]);
                    i += 1;
                    done.store(i as u64, Ordering::Release);
                }
            });
        }
        let mut schemas = std::collections::BTreeSet::new();
        let mut scrapes = 0;
        loop {
            // Read before the scrape: a scrape after every writer's first
            // 1,000 observations (their limiting included) must show it.
            let all_wrote = progress.iter().all(|p| p.load(Ordering::Acquire) >= 1000);
            scrapes += 1;
            let p = point(&h);
            let n = p.native.as_ref().unwrap();
            let count = p.count.unwrap();
            let nans = p.counts[4] - p.counts[3];
            assert_eq!(p.counts[4], count);
            assert_eq!(n.count() as f64 + nans, count);
            schemas.insert(n.schema);
            if all_wrote && scrapes >= 2000 && count >= 100_000.0 {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        assert!(
            schemas.iter().any(|s| *s < 3),
            "the limit acted: {schemas:?}"
        );
    });
}
