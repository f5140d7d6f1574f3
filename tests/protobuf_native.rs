//! Native histograms in the protobuf exposition: the bytes are decoded
//! with prost (the message set of `protobuf_pb`) and compared with what
//! client_golang writes for the same buckets. The spans and deltas of
//! client_golang's own `TestNativeHistogram` table are ported exactly;
//! the corners of the span cutting (a gap of exactly 2 is filled, one of
//! 3 starts a span), empty histograms with and without their no-op span,
//! classic buckets alongside, native exemplars, the created timestamp and
//! the values the format cannot carry are checked on their own.

use std::sync::Arc;

use promscribe::{
    encode_families_bytes, Bounds, EncodeOptions, EscapingScheme, Exemplar, Format, HistogramPoint,
    LabelSet, MetricFamily, MetricType, NativeBuckets, Point,
};
use prost::Message;

#[path = "protobuf_pb/mod.rs"]
mod pb;

/// client_golang's default zero threshold, 2^-128.
const DEFAULT_ZERO_THRESHOLD: f64 = 2.938735877055719e-39;

/// Every length-delimited `MetricFamily` of `bytes`; the whole input must
/// be consumed (so each message's length prefix matches its fields).
fn decode(mut bytes: &[u8]) -> Vec<pb::MetricFamily> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        out.push(pb::MetricFamily::decode_length_delimited(&mut bytes).expect("a MetricFamily"));
    }
    out
}

fn native(
    schema: i32,
    zero_threshold: f64,
    zero_count: u64,
    positive: &[(i32, u64)],
    negative: &[(i32, u64)],
) -> NativeBuckets {
    NativeBuckets {
        schema,
        zero_threshold,
        zero_count,
        positive: positive.to_vec(),
        negative: negative.to_vec(),
        exemplars: vec![],
    }
}

/// A native-only histogram point: no classic buckets.
fn point(n: NativeBuckets, count: u64, sum: f64) -> HistogramPoint {
    HistogramPoint {
        bounds: Bounds::from(Vec::<f64>::new()),
        counts: vec![],
        count: Some(count as f64),
        sum: Some(sum),
        created: None,
        exemplars: vec![],
        native: Some(Box::new(n)),
    }
}

/// The family `name` with one histogram point per entry of `points`,
/// labelled `i="0"`, `i="1"`, ...
fn family(name: &str, kind: MetricType, points: Vec<HistogramPoint>) -> MetricFamily {
    let mut f = MetricFamily::new(name, "", kind);
    for (i, p) in points.into_iter().enumerate() {
        let p = if kind == MetricType::GaugeHistogram {
            Point::GaugeHistogram(p)
        } else {
            Point::Histogram(p)
        };
        f.add(LabelSet::new([("i", i.to_string().as_str())]), p)
            .expect("a point of the family's kind");
    }
    f
}

/// The `Histogram` messages `points` encode to, in order.
fn encode_points(points: Vec<HistogramPoint>, options: &EncodeOptions) -> Vec<pb::Histogram> {
    let f = family("h", MetricType::Histogram, points);
    let mut out = Vec::new();
    encode_families_bytes(&mut out, &[f], Format::Protobuf, options).expect("encodes");
    let families = decode(&out);
    assert_eq!(families.len(), 1);
    families[0]
        .metric
        .iter()
        .map(|m| m.histogram.clone().expect("a histogram"))
        .collect()
}

fn encode_one(p: HistogramPoint) -> pb::Histogram {
    encode_points(vec![p], &EncodeOptions::default())
        .pop()
        .expect("one histogram")
}

fn spans(s: &[(i32, u32)]) -> Vec<pb::BucketSpan> {
    s.iter()
        .map(|&(offset, length)| pb::BucketSpan {
            offset: Some(offset),
            length: Some(length),
        })
        .collect()
}

/// The populated buckets that spans and deltas stand for: an independent
/// decoding (absolute counts, empty buckets left out), as Prometheus
/// reads them.
fn populated(spans: &[(i32, u32)], deltas: &[i64]) -> Vec<(i32, u64)> {
    let mut out = Vec::new();
    let mut deltas = deltas.iter();
    let mut index = 0i32;
    let mut count = 0i64;
    for &(offset, length) in spans {
        // The first offset counts from index 0, the others from the end
        // of the previous span.
        index += offset;
        for _ in 0..length {
            count += deltas.next().expect("a delta per bucket");
            assert!(count >= 0, "a negative bucket count");
            if count > 0 {
                out.push((index, count as u64));
            }
            index += 1;
        }
    }
    assert!(deltas.next().is_none(), "more deltas than buckets");
    out
}

/// One native-histogram scenario of client_golang's `TestNativeHistogram`
/// (`prometheus/histogram_test.go`): the `want` message, field by field.
struct GoCase {
    name: &'static str,
    count: u64,
    sum: f64,
    schema: i32,
    zero_threshold: f64,
    zero_count: u64,
    negative_spans: &'static [(i32, u32)],
    negative_deltas: &'static [i64],
    positive_spans: &'static [(i32, u32)],
    positive_deltas: &'static [i64],
}

/// The expected messages of client_golang's `TestNativeHistogram`, every
/// scenario with native buckets (the first, classic-only one is left
/// out), in its order and with its names.
const GO_CASES: &[GoCase] = &[
    GoCase {
        name: "no observations",
        count: 0,
        sum: 0.0,
        schema: 3,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 0,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[],
        positive_deltas: &[],
    },
    GoCase {
        name: "no observations and zero threshold of zero resulting in no-op span",
        count: 0,
        sum: 0.0,
        schema: 3,
        zero_threshold: 0.0,
        zero_count: 0,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(0, 0)],
        positive_deltas: &[],
    },
    GoCase {
        name: "factor 1.1 results in schema 3",
        count: 4,
        sum: 6.0,
        schema: 3,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(0, 1), (7, 1), (4, 1)],
        positive_deltas: &[1, 0, 0],
    },
    GoCase {
        name: "factor 1.2 results in schema 2",
        count: 6,
        sum: 7.4,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(0, 5)],
        positive_deltas: &[1, -1, 2, -2, 2],
    },
    GoCase {
        name: "factor 4 results in schema -1",
        count: 14,
        sum: 63.2581251,
        schema: -1,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 0,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(-2, 6)],
        positive_deltas: &[2, 0, 0, 2, -1, -2],
    },
    GoCase {
        name: "factor 17 results in schema -2",
        count: 14,
        sum: 63.2581251,
        schema: -2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 0,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(-1, 4)],
        positive_deltas: &[2, 2, 3, -6],
    },
    GoCase {
        name: "negative buckets",
        count: 6,
        sum: -7.4,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[(0, 5)],
        negative_deltas: &[1, -1, 2, -2, 2],
        positive_spans: &[],
        positive_deltas: &[],
    },
    GoCase {
        name: "negative and positive buckets",
        count: 11,
        sum: 0.0,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[(0, 5)],
        negative_deltas: &[1, -1, 2, -2, 2],
        positive_spans: &[(0, 5)],
        positive_deltas: &[1, -1, 2, -2, 2],
    },
    GoCase {
        name: "wide zero bucket",
        count: 11,
        sum: 0.0,
        schema: 2,
        zero_threshold: 1.4,
        zero_count: 7,
        negative_spans: &[(4, 1)],
        negative_deltas: &[2],
        positive_spans: &[(4, 1)],
        positive_deltas: &[2],
    },
    GoCase {
        name: "NaN observation",
        count: 7,
        sum: f64::NAN,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(0, 5)],
        positive_deltas: &[1, -1, 2, -2, 2],
    },
    GoCase {
        name: "+Inf observation",
        count: 7,
        sum: f64::INFINITY,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(0, 5), (4092, 1)],
        positive_deltas: &[1, -1, 2, -2, 2, -1],
    },
    GoCase {
        name: "-Inf observation",
        count: 7,
        sum: f64::NEG_INFINITY,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[(4097, 1)],
        negative_deltas: &[1],
        positive_spans: &[(0, 5)],
        positive_deltas: &[1, -1, 2, -2, 2],
    },
    GoCase {
        name: "limited buckets but nothing triggered",
        count: 6,
        sum: 7.4,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(0, 5)],
        positive_deltas: &[1, -1, 2, -2, 2],
    },
    GoCase {
        name: "buckets limited by halving resolution",
        count: 8,
        sum: 11.5,
        schema: 1,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(0, 5)],
        positive_deltas: &[1, 2, -1, -2, 1],
    },
    GoCase {
        name: "buckets limited by widening the zero bucket",
        count: 8,
        sum: 11.5,
        schema: 2,
        zero_threshold: 1.0,
        zero_count: 2,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(1, 7)],
        positive_deltas: &[1, 1, -2, 2, -2, 0, 1],
    },
    GoCase {
        name: "buckets limited by widening the zero bucket twice",
        count: 9,
        sum: 15.5,
        schema: 2,
        zero_threshold: 1.189207115002721,
        zero_count: 3,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(2, 7)],
        positive_deltas: &[2, -2, 2, -2, 0, 1, 0],
    },
    GoCase {
        name: "buckets limited by reset",
        count: 2,
        sum: 7.0,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 0,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(7, 2)],
        positive_deltas: &[1, 0],
    },
    GoCase {
        name: "limited buckets but nothing triggered, negative observations",
        count: 6,
        sum: -7.4,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[(0, 5)],
        negative_deltas: &[1, -1, 2, -2, 2],
        positive_spans: &[],
        positive_deltas: &[],
    },
    GoCase {
        name: "buckets limited by halving resolution, negative observations",
        count: 8,
        sum: -11.5,
        schema: 1,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 1,
        negative_spans: &[(0, 5)],
        negative_deltas: &[1, 2, -1, -2, 1],
        positive_spans: &[],
        positive_deltas: &[],
    },
    GoCase {
        name: "buckets limited by widening the zero bucket, negative observations",
        count: 8,
        sum: -11.5,
        schema: 2,
        zero_threshold: 1.0,
        zero_count: 2,
        negative_spans: &[(1, 7)],
        negative_deltas: &[1, 1, -2, 2, -2, 0, 1],
        positive_spans: &[],
        positive_deltas: &[],
    },
    GoCase {
        name: "buckets limited by widening the zero bucket twice, negative observations",
        count: 9,
        sum: -15.5,
        schema: 2,
        zero_threshold: 1.189207115002721,
        zero_count: 3,
        negative_spans: &[(2, 7)],
        negative_deltas: &[2, -2, 2, -2, 0, 1, 0],
        positive_spans: &[],
        positive_deltas: &[],
    },
    GoCase {
        name: "buckets limited by reset, negative observations",
        count: 2,
        sum: -7.0,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 0,
        negative_spans: &[(7, 2)],
        negative_deltas: &[1, 0],
        positive_spans: &[],
        positive_deltas: &[],
    },
    GoCase {
        name: "buckets limited by halving resolution, then reset",
        count: 3,
        sum: 12.1,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 0,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(7, 4)],
        positive_deltas: &[1, 0, -1, 1],
    },
    GoCase {
        name: "buckets limited by widening the zero bucket, then reset",
        count: 3,
        sum: 12.1,
        schema: 2,
        zero_threshold: 2.938735877055719e-39,
        zero_count: 0,
        negative_spans: &[],
        negative_deltas: &[],
        positive_spans: &[(7, 4)],
        positive_deltas: &[1, 0, -1, 1],
    },
];

#[test]
fn client_golang_native_histogram_table_encodes_to_the_same_spans_and_deltas() {
    assert_eq!(GO_CASES.len(), 24);
    for c in GO_CASES {
        let n = native(
            c.schema,
            c.zero_threshold,
            c.zero_count,
            &populated(c.positive_spans, c.positive_deltas),
            &populated(c.negative_spans, c.negative_deltas),
        );
        let mut p = point(n, c.count, c.sum);
        p.created = Some(1_700_000_000.5);
        let got = encode_points(vec![p], &EncodeOptions::default().created(true))
            .pop()
            .expect("one histogram");
        let want = pb::Histogram {
            sample_count: Some(c.count),
            sample_sum: Some(c.sum),
            schema: Some(c.schema),
            zero_threshold: Some(c.zero_threshold),
            zero_count: Some(c.zero_count),
            negative_span: spans(c.negative_spans),
            negative_delta: c.negative_deltas.to_vec(),
            positive_span: spans(c.positive_spans),
            positive_delta: c.positive_deltas.to_vec(),
            created_timestamp: Some(pb::Timestamp {
                seconds: 1_700_000_000,
                nanos: 500_000_000,
            }),
            ..Default::default()
        };
        // NaN != NaN: the sum is compared by its bits.
        assert_eq!(
            got.sample_sum.map(f64::to_bits),
            want.sample_sum.map(f64::to_bits),
            "{}",
            c.name
        );
        let got = pb::Histogram {
            sample_sum: None,
            ..got
        };
        let want = pb::Histogram {
            sample_sum: None,
            ..want
        };
        assert_eq!(got, want, "{}", c.name);
    }
}

/// Spans and deltas of one side, written as the positive one.
fn positive(buckets: &[(i32, u64)]) -> (Vec<pb::BucketSpan>, Vec<i64>) {
    let count = buckets.iter().map(|(_, c)| c).sum();
    let h = encode_one(point(
        native(3, DEFAULT_ZERO_THRESHOLD, 0, buckets, &[]),
        count,
        1.0,
    ));
    assert!(h.negative_span.is_empty() && h.negative_delta.is_empty());
    (h.positive_span, h.positive_delta)
}

/// Populated buckets, the spans and deltas they are written as.
type SpanCase = (&'static [(i32, u64)], &'static [(i32, u32)], &'static [i64]);

#[test]
fn gaps_of_one_or_two_buckets_are_filled_and_longer_ones_start_a_span() {
    let cases: &[SpanCase] = &[
        // One bucket: the first offset is its index.
        (&[(5, 3)], &[(5, 1)], &[3]),
        (&[(-7, 1)], &[(-7, 1)], &[1]),
        // Adjacent buckets: one span.
        (&[(0, 1), (1, 4), (2, 2)], &[(0, 3)], &[1, 3, -2]),
        // A gap of 1: filled with one empty bucket.
        (&[(0, 2), (2, 5)], &[(0, 3)], &[2, -2, 5]),
        // A gap of exactly 2: filled with two empty buckets.
        (&[(0, 2), (3, 5)], &[(0, 4)], &[2, -2, 0, 5]),
        // A gap of exactly 3: a new span, its offset the gap.
        (&[(0, 2), (4, 5)], &[(0, 1), (3, 1)], &[2, 3]),
        // Both in one: 10, gap 2, 13, gap 3, 17, 18.
        (
            &[(10, 1), (13, 1), (17, 2), (18, 7)],
            &[(10, 4), (3, 2)],
            &[1, -1, 0, 1, 1, 5],
        ),
        // Negative indexes, a span across index 0.
        (
            &[(-3, 1), (-1, 2), (0, 2), (1, 1)],
            &[(-3, 5)],
            &[1, -1, 2, 0, -1],
        ),
        // Far apart: 4096 buckets between.
        (&[(-2048, 1), (2049, 1)], &[(-2048, 1), (4096, 1)], &[1, 0]),
    ];
    for (buckets, want_spans, want_deltas) in cases {
        let (got_spans, got_deltas) = positive(buckets);
        assert_eq!(got_spans, spans(want_spans), "{buckets:?}");
        assert_eq!(got_deltas, want_deltas.to_vec(), "{buckets:?}");
        assert_eq!(populated(want_spans, want_deltas), buckets.to_vec());
    }
}

#[test]
fn negative_buckets_have_their_own_spans_and_deltas() {
    let h = encode_one(point(
        native(0, DEFAULT_ZERO_THRESHOLD, 0, &[], &[(1, 2), (2, 1), (6, 4)]),
        7,
        -40.0,
    ));
    assert!(h.positive_span.is_empty() && h.positive_delta.is_empty());
    assert_eq!(h.negative_span, spans(&[(1, 2), (3, 1)]));
    assert_eq!(h.negative_delta, vec![2, -1, 3]);
    assert_eq!(h.schema, Some(0));
    assert_eq!(h.sample_count, Some(7));
    assert_eq!(h.sample_sum, Some(-40.0));
}

#[test]
fn empty_histograms_are_still_native() {
    // The default zero threshold (> 0) marks the histogram native: no span.
    let h = encode_one(point(
        native(3, DEFAULT_ZERO_THRESHOLD, 0, &[], &[]),
        0,
        0.0,
    ));
    assert_eq!(h.schema, Some(3));
    assert_eq!(h.zero_threshold, Some(DEFAULT_ZERO_THRESHOLD));
    assert_eq!(h.zero_count, Some(0));
    assert!(h.positive_span.is_empty() && h.negative_span.is_empty());
    assert!(h.bucket.is_empty());
    assert_eq!(h.sample_count, Some(0));

    // A zero threshold of 0 and no observation: the no-op span, on the
    // positive side, with no delta.
    let h = encode_one(point(native(-2, 0.0, 0, &[], &[]), 0, 0.0));
    assert_eq!(h.schema, Some(-2));
    assert_eq!(h.zero_threshold, Some(0.0));
    assert_eq!(h.positive_span, spans(&[(0, 0)]));
    assert!(h.positive_delta.is_empty());
    assert!(h.negative_span.is_empty() && h.negative_delta.is_empty());

    // Only the zero bucket (threshold 0): the zero count marks it; no span.
    let h = encode_one(point(native(3, 0.0, 4, &[], &[]), 4, 0.0));
    assert_eq!(h.zero_count, Some(4));
    assert!(h.positive_span.is_empty() && h.negative_span.is_empty());
    assert!(h.positive_delta.is_empty() && h.negative_delta.is_empty());

    // NaN observations only: in the count, not in a bucket; still the
    // no-op span when the threshold is 0.
    let h = encode_one(point(native(3, 0.0, 0, &[], &[]), 2, f64::NAN));
    assert_eq!(h.sample_count, Some(2));
    assert!(h.sample_sum.is_some_and(f64::is_nan));
    assert_eq!(h.positive_span, spans(&[(0, 0)]));
}

fn exemplar(labels: &[(&str, &str)], value: f64, timestamp: Option<f64>) -> Arc<Exemplar> {
    Arc::new(Exemplar {
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        value,
        timestamp,
    })
}

#[test]
fn classic_buckets_native_exemplars_and_created_time_travel_together() {
    let mut n = native(3, DEFAULT_ZERO_THRESHOLD, 1, &[(0, 1), (8, 1)], &[(0, 1)]);
    n.exemplars = vec![
        exemplar(&[("trace_id", "a")], 1.0, Some(1_700_000_001.25)),
        exemplar(&[("trace_id", "b")], -1.0, Some(1_700_000_002.0)),
    ];
    let p = HistogramPoint {
        bounds: Bounds::from(vec![0.0, 1.0, 2.5, f64::INFINITY]),
        counts: vec![2.0, 3.0, 4.0, 4.0],
        count: Some(4.0),
        sum: Some(2.0),
        created: Some(1_700_000_000.0),
        exemplars: vec![
            None,
            Some(exemplar(&[("trace_id", "c")], 1.0, Some(1_700_000_003.0))),
            None,
            None,
        ],
        native: Some(Box::new(n)),
    };
    let h = encode_points(vec![p], &EncodeOptions::default().created(true))
        .pop()
        .expect("one histogram");
    // Classic buckets, with their exemplar, beside the native fields.
    assert_eq!(h.bucket.len(), 4);
    assert_eq!(h.bucket[1].cumulative_count, Some(3));
    assert_eq!(h.bucket[1].upper_bound, Some(1.0));
    let e = h.bucket[1]
        .exemplar
        .as_ref()
        .expect("the bucket's exemplar");
    assert_eq!(e.label[0].value.as_deref(), Some("c"));
    assert_eq!(h.sample_count, Some(4));
    assert_eq!(h.sample_sum, Some(2.0));
    assert_eq!(h.schema, Some(3));
    assert_eq!(h.zero_count, Some(1));
    assert_eq!(h.positive_span, spans(&[(0, 1), (7, 1)]));
    assert_eq!(h.positive_delta, vec![1, 0]);
    assert_eq!(h.negative_span, spans(&[(0, 1)]));
    assert_eq!(h.negative_delta, vec![1]);
    assert_eq!(
        h.created_timestamp,
        Some(pb::Timestamp {
            seconds: 1_700_000_000,
            nanos: 0
        })
    );
    // The native exemplars, oldest first, each with its timestamp.
    assert_eq!(h.exemplars.len(), 2);
    assert_eq!(h.exemplars[0].label[0].name.as_deref(), Some("trace_id"));
    assert_eq!(h.exemplars[0].label[0].value.as_deref(), Some("a"));
    assert_eq!(h.exemplars[0].value, Some(1.0));
    assert_eq!(
        h.exemplars[0].timestamp,
        Some(pb::Timestamp {
            seconds: 1_700_000_001,
            nanos: 250_000_000
        })
    );
    assert_eq!(h.exemplars[1].value, Some(-1.0));

    // Without `created`, no created timestamp; the rest unchanged.
    let mut n = native(3, DEFAULT_ZERO_THRESHOLD, 0, &[(0, 1)], &[]);
    n.exemplars = vec![exemplar(&[("id", "x")], 1.0, Some(5.0))];
    let mut p = point(n, 1, 1.0);
    p.created = Some(1_700_000_000.0);
    let h = encode_points(vec![p], &EncodeOptions::default().created(false))
        .pop()
        .expect("one histogram");
    assert_eq!(h.created_timestamp, None);
    assert_eq!(h.exemplars.len(), 1);
}

#[test]
fn a_native_gauge_histogram_has_no_created_time() {
    let mut p = point(native(1, DEFAULT_ZERO_THRESHOLD, 0, &[(2, 3)], &[]), 3, 6.0);
    p.created = Some(1_700_000_000.0);
    let f = family("queue_sizes", MetricType::GaugeHistogram, vec![p]);
    let mut out = Vec::new();
    encode_families_bytes(
        &mut out,
        &[f],
        Format::Protobuf,
        &EncodeOptions::default().created(true),
    )
    .expect("encodes");
    let families = decode(&out);
    assert_eq!(
        families[0].r#type,
        Some(pb::MetricType::GaugeHistogram as i32)
    );
    let h = families[0].metric[0]
        .histogram
        .as_ref()
        .expect("a histogram");
    assert_eq!(h.created_timestamp, None);
    assert_eq!(h.positive_span, spans(&[(2, 1)]));
    assert_eq!(h.positive_delta, vec![3]);
}

#[test]
fn a_missing_count_is_the_native_buckets_count() {
    let mut p = point(
        native(3, DEFAULT_ZERO_THRESHOLD, 2, &[(1, 3)], &[(4, 5)]),
        0,
        1.0,
    );
    p.count = None;
    let h = encode_one(p);
    assert_eq!(h.sample_count, Some(10));
}

#[test]
fn native_buckets_the_format_cannot_carry_are_errors_naming_the_family() {
    let cases: Vec<(NativeBuckets, &str)> = vec![
        (native(9, 0.0, 0, &[], &[]), "native schema 9"),
        (native(-5, 0.0, 0, &[], &[]), "native schema -5"),
        (
            native(3, f64::NAN, 0, &[], &[]),
            "native zero threshold NaN",
        ),
        (native(3, -1.0, 0, &[], &[]), "native zero threshold -1"),
        (
            native(3, f64::INFINITY, 0, &[], &[]),
            "native zero threshold inf",
        ),
        (
            native(3, 0.0, 0, &[(2, 1), (1, 1)], &[]),
            "native positive bucket indexes are not strictly increasing (2 then 1)",
        ),
        (
            native(3, 0.0, 0, &[], &[(2, 1), (2, 1)]),
            "native negative bucket indexes are not strictly increasing",
        ),
        (
            native(3, 0.0, 0, &[(i32::MIN, 1), (i32::MAX, 1)], &[]),
            "too far apart",
        ),
        (
            native(3, 0.0, 0, &[(0, u64::MAX)], &[]),
            "native positive bucket 0 count 18446744073709551615",
        ),
        (
            {
                let mut n = native(3, 0.0, 0, &[], &[]);
                n.exemplars = vec![exemplar(&[], 1.0, Some(1e300))];
                n
            },
            "exemplar timestamp",
        ),
    ];
    for (n, want) in cases {
        let f = family("bad_native", MetricType::Histogram, vec![point(n, 0, 0.0)]);
        let mut out = b"kept".to_vec();
        let err =
            encode_families_bytes(&mut out, &[f], Format::Protobuf, &EncodeOptions::default())
                .expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains("bad_native"), "{msg}");
        assert!(msg.contains(want), "{msg} lacks {want}");
        assert_eq!(out, b"kept", "nothing appended on an error");
    }
}

#[test]
fn native_exemplar_labels_follow_the_escaping_scheme() {
    let mut n = native(3, DEFAULT_ZERO_THRESHOLD, 0, &[(0, 1)], &[]);
    n.exemplars = vec![exemplar(&[("trace.id", "a")], 1.0, Some(5.0))];
    let h = encode_points(
        vec![point(n.clone(), 1, 1.0)],
        &EncodeOptions::default().escaping(EscapingScheme::Underscores),
    )
    .pop()
    .expect("one histogram");
    assert_eq!(h.exemplars[0].label[0].name.as_deref(), Some("trace_id"));
    let h = encode_points(
        vec![point(n, 1, 1.0)],
        &EncodeOptions::default().escaping(EscapingScheme::AllowUtf8),
    )
    .pop()
    .expect("one histogram");
    assert_eq!(h.exemplars[0].label[0].name.as_deref(), Some("trace.id"));
}

#[test]
fn every_child_of_a_family_carries_its_own_native_fields() {
    // The first child empty (what Prometheus 2.42 looks at to tell native
    // from classic), the others populated.
    let h = encode_points(
        vec![
            point(native(3, DEFAULT_ZERO_THRESHOLD, 0, &[], &[]), 0, 0.0),
            point(native(3, DEFAULT_ZERO_THRESHOLD, 0, &[(8, 2)], &[]), 2, 4.0),
            point(native(3, 0.0, 0, &[], &[]), 0, 0.0),
        ],
        &EncodeOptions::default(),
    );
    assert_eq!(h.len(), 3);
    assert!(h[0].positive_span.is_empty());
    assert_eq!(h[0].zero_threshold, Some(DEFAULT_ZERO_THRESHOLD));
    assert_eq!(h[1].positive_span, spans(&[(8, 1)]));
    assert_eq!(h[1].positive_delta, vec![2]);
    assert_eq!(h[2].positive_span, spans(&[(0, 0)]));
}
