//! Native histogram buckets as spans and deltas, the form Prometheus'
//! protobuf formats carry them in (the exposition's `Histogram` of
//! `client_model`, remote write's `Histogram` of `prompb`): the rule of
//! client_golang's `makeBuckets`, shared by the protobuf exposition (which
//! writes them straight to the wire) and
//! [`NativeBuckets::spans_and_deltas`] (which collects them, for other
//! encoders).

use crate::model::NativeBuckets;

/// Refuses native buckets the format (or a scraper) cannot take: a schema
/// outside -4..=8, a zero threshold that is negative or not finite,
/// bucket indexes not strictly increasing or too far apart for a span's
/// `sint32` offset, a bucket count beyond the `sint64` of the deltas.
pub(crate) fn check_native(n: &NativeBuckets) -> Result<(), String> {
    if !(-4..=8).contains(&n.schema) {
        return Err(format!("native schema {} is outside -4..=8", n.schema));
    }
    if !(n.zero_threshold.is_finite() && n.zero_threshold >= 0.0) {
        return Err(format!(
            "native zero threshold {} is not a non-negative finite number",
            n.zero_threshold
        ));
    }
    for (side, buckets) in [("positive", &n.positive), ("negative", &n.negative)] {
        let mut next: Option<i32> = None;
        for &(i, c) in buckets.iter() {
            if let Some(prev) = next {
                if i <= prev {
                    return Err(format!(
                        "native {side} bucket indexes are not strictly increasing ({prev} then {i})"
                    ));
                }
                if i64::from(i) - i64::from(prev) - 1 > i64::from(i32::MAX) {
                    return Err(format!(
                        "native {side} buckets {prev} and {i} are too far apart for a span offset"
                    ));
                }
            }
            if i64::try_from(c).is_err() {
                return Err(format!(
                    "native {side} bucket {i} count {c} is beyond the int64 of a delta"
                ));
            }
            next = Some(i);
        }
    }
    Ok(())
}

/// Calls `span` with each span of `buckets` (indexes strictly increasing,
/// as `check_native` makes sure) as `(offset, length)`, as client_golang's
/// `makeBuckets` cuts them: a gap of more than two empty buckets starts a
/// new span, a smaller one is filled with empty buckets.
pub(crate) fn for_each_span(buckets: &[(i32, u64)], mut span: impl FnMut(i32, u32)) {
    let mut current: Option<(i32, u32)> = None;
    // The index after the last bucket written.
    let mut next = 0i64;
    for &(i, _) in buckets {
        let gap = i64::from(i) - next;
        match current.as_mut() {
            Some(s) if gap <= 2 => s.1 = s.1.saturating_add(gap as u32 + 1),
            _ => {
                if let Some((offset, length)) = current.take() {
                    span(offset, length);
                }
                // `check_native` bounds the gap to `i32`.
                current = Some((gap as i32, 1));
            }
        }
        next = i64::from(i) + 1;
    }
    if let Some((offset, length)) = current {
        span(offset, length);
    }
}

/// Calls `delta` with each bucket's count minus the previous one's (the
/// first one's from 0), the empty buckets that fill a small gap included,
/// in the order of the spans of [`for_each_span`].
pub(crate) fn for_each_delta(buckets: &[(i32, u64)], mut delta: impl FnMut(i64)) {
    let mut prev = 0i64;
    let mut next: Option<i64> = None;
    for &(i, c) in buckets {
        if let Some(next) = next {
            let gap = i64::from(i) - next;
            if gap <= 2 {
                for _ in 0..gap {
                    delta(-prev);
                    prev = 0;
                }
            }
        }
        // `check_native` bounds the counts to `i64`.
        let c = c as i64;
        delta(c - prev);
        prev = c;
        next = Some(i64::from(i) + 1);
    }
}

/// The native buckets of a histogram as spans and deltas, as Prometheus'
/// protobuf formats carry them (the exposition's `Histogram` of
/// `client_model`, remote write's `Histogram` of `prompb`); returned by
/// [`NativeBuckets::spans_and_deltas`].
#[doc(hidden)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NativeSpans {
    /// The positive buckets' spans, `(offset, length)`: the first offset
    /// from index 0, each next one from the end of the previous span.
    pub positive_spans: Vec<(i32, u32)>,
    /// The positive buckets' counts, each minus the previous one's (the
    /// first minus 0), the empty buckets inside a span included.
    pub positive_deltas: Vec<i64>,
    /// The negative buckets' spans, as `positive_spans`.
    pub negative_spans: Vec<(i32, u32)>,
    /// The negative buckets' deltas, as `positive_deltas`.
    pub negative_deltas: Vec<i64>,
}

impl NativeBuckets {
    /// The buckets as spans and deltas, cut as client_golang cuts them (a
    /// gap of one or two empty buckets is filled, a longer one starts a
    /// new span) and as the protobuf exposition writes them, or why they
    /// cannot be: a schema outside -4..=8, a zero threshold that is
    /// negative or not finite, indexes not strictly increasing or too far
    /// apart for an `i32` offset, a count beyond `i64`. No no-op span is
    /// added for an empty histogram (the exposition adds one: a scraper
    /// needs it to tell a native histogram from a classic one).
    ///
    /// ```
    /// let b = promscribe::NativeBuckets { schema: 0, zero_threshold: 0.0, zero_count: 0,
    ///     positive: vec![(0, 2), (2, 1), (7, 4)], negative: vec![(-1, 1)], exemplars: vec![] };
    /// let s = b.spans_and_deltas()?;
    /// // Bucket 1 is an empty bucket inside the first span; 3 to 6 are a gap.
    /// assert_eq!(s.positive_spans, [(0, 3), (4, 1)]);
    /// assert_eq!(s.positive_deltas, [2, -2, 1, 3]);
    /// assert_eq!(s.negative_spans, [(-1, 1)]);
    /// assert_eq!(s.negative_deltas, [1]);
    /// # Ok::<(), String>(())
    /// ```
    #[doc(hidden)]
    pub fn spans_and_deltas(&self) -> Result<NativeSpans, String> {
        check_native(self)?;
        let mut out = NativeSpans::default();
        for_each_span(&self.positive, |o, l| out.positive_spans.push((o, l)));
        for_each_delta(&self.positive, |d| out.positive_deltas.push(d));
        for_each_span(&self.negative, |o, l| out.negative_spans.push((o, l)));
        for_each_delta(&self.negative, |d| out.negative_deltas.push(d));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(positive: Vec<(i32, u64)>) -> NativeBuckets {
        NativeBuckets {
            schema: 0,
            zero_threshold: 0.0,
            zero_count: 0,
            positive,
            negative: Vec::new(),
            exemplars: Vec::new(),
        }
    }

    #[test]
    fn spans_and_deltas_fill_gaps_of_two_and_cut_at_three() {
        // Two empty buckets (2 and 3) are filled; three (6 to 8) start a
        // new span, whose offset counts them.
        let s = buckets(vec![(1, 5), (4, 5), (5, 1), (9, 2)])
            .spans_and_deltas()
            .expect("valid");
        assert_eq!(s.positive_spans, [(1, 5), (3, 1)]);
        assert_eq!(s.positive_deltas, [5, -5, 0, 5, -4, 1]);
        assert!(s.negative_spans.is_empty() && s.negative_deltas.is_empty());
        // An empty histogram has no span (the exposition's no-op span is
        // its own).
        assert_eq!(
            buckets(Vec::new()).spans_and_deltas(),
            Ok(NativeSpans::default())
        );
    }

    #[test]
    fn spans_and_deltas_refuse_what_the_exposition_refuses() {
        for bad in [
            buckets(vec![(2, 1), (2, 1)]),
            buckets(vec![(3, 1), (1, 1)]),
            buckets(vec![(i32::MIN, 1), (i32::MAX, 1)]),
            buckets(vec![(0, u64::MAX)]),
            NativeBuckets {
                schema: 9,
                ..buckets(Vec::new())
            },
            NativeBuckets {
                zero_threshold: f64::NAN,
                ..buckets(Vec::new())
            },
        ] {
            let err = bad.spans_and_deltas().expect_err("refused");
            assert_eq!(Err(err), check_native(&bad), "{bad:?}");
        }
    }
}
