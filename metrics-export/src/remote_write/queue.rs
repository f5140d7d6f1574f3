//! The bounded queue of samples waiting to be sent, the rule that a
//! series' timestamps only go forward, and the grouping of a batch into
//! series.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::proto::{Exemplar, Histogram, Label, Sample, TimeSeries};

/// One value of one series, waiting: a float sample or a native histogram.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Sample(Sample),
    Histogram(Histogram),
}

impl Value {
    fn timestamp(&self) -> i64 {
        match self {
            Value::Sample(s) => s.timestamp,
            Value::Histogram(h) => h.timestamp,
        }
    }
}

/// A queued value with its series' labels (shared by all its values) and
/// the exemplars gathered with it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Queued {
    pub(crate) labels: Arc<[Label]>,
    pub(crate) value: Value,
    pub(crate) exemplars: Vec<Exemplar>,
}

/// Values in the order they were gathered, at most `capacity` of them:
/// when full, the oldest is dropped to make room.
#[derive(Debug)]
pub(crate) struct Queue {
    items: VecDeque<Queued>,
    capacity: usize,
}

impl Queue {
    pub(crate) fn new(capacity: usize) -> Queue {
        Queue {
            items: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Appends `item`; returns how many of the oldest were dropped for it
    /// (0 or 1).
    pub(crate) fn push(&mut self, item: Queued) -> u64 {
        let mut dropped = 0;
        while self.items.len() >= self.capacity {
            self.items.pop_front();
            dropped += 1;
        }
        self.items.push_back(item);
        dropped
    }

    /// Takes the oldest `max` values (fewer if there are fewer).
    pub(crate) fn take(&mut self, max: usize) -> Vec<Queued> {
        let n = max.min(self.items.len());
        self.items.drain(..n).collect()
    }

    /// Empties the queue; returns how many values it held.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.items.len();
        self.items.clear();
        n
    }
}

/// The last timestamp queued for each series, so that a series whose
/// timestamp did not advance since the last gathering (a collector with
/// explicit timestamps, or two gatherings in one millisecond) is not sent
/// again: the receiver would refuse it as out of order or a duplicate.
/// Series absent from a gathering are forgotten, so the table is as large
/// as one gathering.
#[derive(Debug, Default)]
pub(crate) struct LastTimestamps {
    last: HashMap<Arc<[Label]>, i64>,
}

impl LastTimestamps {
    /// The values of `gathered` to queue, in order: those whose timestamp
    /// is later than the series' last one. Exemplars go with the series'
    /// first value.
    pub(crate) fn admit(&mut self, gathered: Vec<TimeSeries>) -> Vec<Queued> {
        let mut next: HashMap<Arc<[Label]>, i64> = HashMap::with_capacity(gathered.len());
        let mut out = Vec::with_capacity(gathered.len());
        for series in gathered {
            let labels: Arc<[Label]> = series.labels.into();
            let floor = next
                .get(&labels)
                .or_else(|| self.last.get(&labels))
                .copied()
                .unwrap_or(i64::MIN);
            let mut values: Vec<Value> = series
                .samples
                .into_iter()
                .map(Value::Sample)
                .chain(series.histograms.into_iter().map(Value::Histogram))
                .collect();
            values.sort_by_key(Value::timestamp);
            let mut latest = floor;
            let mut exemplars = Some(series.exemplars);
            for value in values {
                let ts = value.timestamp();
                if ts <= latest {
                    continue;
                }
                latest = ts;
                out.push(Queued {
                    labels: Arc::clone(&labels),
                    value,
                    exemplars: exemplars.take().unwrap_or_default(),
                });
            }
            next.insert(labels, latest);
        }
        self.last = next;
        out
    }
}

/// The series of a batch: values of one series grouped into one
/// [`TimeSeries`] (in queue order, so in time order), series in the order
/// of their first value.
pub(crate) fn group(batch: Vec<Queued>) -> Vec<TimeSeries> {
    let mut index: HashMap<Arc<[Label]>, usize> = HashMap::new();
    let mut out: Vec<TimeSeries> = Vec::new();
    for q in batch {
        let i = *index.entry(Arc::clone(&q.labels)).or_insert_with(|| {
            out.push(TimeSeries {
                labels: q.labels.to_vec(),
                samples: Vec::new(),
                exemplars: Vec::new(),
                histograms: Vec::new(),
            });
            out.len() - 1
        });
        let Some(series) = out.get_mut(i) else {
            continue;
        };
        match q.value {
            Value::Sample(s) => series.samples.push(s),
            Value::Histogram(h) => series.histograms.push(h),
        }
        series.exemplars.extend(q.exemplars);
    }
    out
}

/// How many values (samples and histograms) the series hold.
pub(crate) fn value_count(series: &[TimeSeries]) -> u64 {
    series
        .iter()
        .map(|s| (s.samples.len() + s.histograms.len()) as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, ts: &[i64]) -> TimeSeries {
        TimeSeries {
            labels: vec![Label {
                name: "__name__".into(),
                value: name.into(),
            }],
            samples: ts
                .iter()
                .map(|&t| Sample {
                    value: t as f64,
                    timestamp: t,
                })
                .collect(),
            exemplars: Vec::new(),
            histograms: Vec::new(),
        }
    }

    fn names(items: &[Queued]) -> Vec<(String, i64)> {
        items
            .iter()
            .map(|q| (q.labels[0].value.clone(), q.value.timestamp()))
            .collect()
    }

    #[test]
    fn a_full_queue_drops_the_oldest() {
        let mut last = LastTimestamps::default();
        let mut q = Queue::new(3);
        let mut dropped = 0;
        for item in last.admit(vec![series("a", &[1, 2, 3, 4, 5])]) {
            dropped += q.push(item);
        }
        assert_eq!(dropped, 2);
        assert_eq!(
            names(&q.take(10)),
            [("a".into(), 3), ("a".into(), 4), ("a".into(), 5)]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn take_keeps_queue_order() {
        let mut last = LastTimestamps::default();
        let mut q = Queue::new(100);
        for item in last.admit(vec![series("a", &[1]), series("b", &[1])]) {
            q.push(item);
        }
        for item in last.admit(vec![series("a", &[2]), series("b", &[2])]) {
            q.push(item);
        }
        assert_eq!(
            names(&q.take(3)),
            [("a".into(), 1), ("b".into(), 1), ("a".into(), 2)]
        );
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn a_timestamp_that_did_not_advance_is_not_queued_again() {
        let mut last = LastTimestamps::default();
        assert_eq!(last.admit(vec![series("a", &[10])]).len(), 1);
        // Same timestamp, then an older one: neither is sent.
        assert!(last.admit(vec![series("a", &[10])]).is_empty());
        assert!(last.admit(vec![series("a", &[9])]).is_empty());
        let later = last.admit(vec![series("a", &[11]), series("b", &[5])]);
        assert_eq!(names(&later), [("a".into(), 11), ("b".into(), 5)]);
    }

    #[test]
    fn a_series_absent_from_a_gathering_is_forgotten() {
        let mut last = LastTimestamps::default();
        last.admit(vec![series("a", &[10])]);
        last.admit(vec![series("b", &[11])]);
        assert_eq!(last.last.len(), 1);
    }

    #[test]
    fn group_merges_a_series_values_in_order() {
        let mut last = LastTimestamps::default();
        let mut items = last.admit(vec![series("a", &[1]), series("b", &[1])]);
        items.extend(last.admit(vec![series("a", &[2])]));
        let grouped = group(items);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].labels[0].value, "a");
        let ts: Vec<i64> = grouped[0].samples.iter().map(|s| s.timestamp).collect();
        assert_eq!(ts, [1, 2]);
        assert_eq!(value_count(&grouped), 3);
    }

    #[test]
    fn a_histogram_is_one_value_queued_grouped_and_timestamped_as_a_sample() {
        let hist = |t: i64| Histogram {
            timestamp: t,
            ..Histogram::default()
        };
        let mut h = series("h", &[]);
        h.histograms = vec![hist(2), hist(1)];
        let mut last = LastTimestamps::default();
        let mut q = Queue::new(2);
        let mut dropped = 0;
        for item in last.admit(vec![h.clone(), series("a", &[1])]) {
            dropped += q.push(item);
        }
        // Three values in a queue of two: the oldest (h at 1) dropped.
        assert_eq!(dropped, 1);
        assert!(last.admit(vec![h]).is_empty(), "not sent again");
        let grouped = group(q.take(10));
        assert_eq!(value_count(&grouped), 2);
        assert_eq!(grouped[0].histograms, [hist(2)]);
        assert!(grouped[0].samples.is_empty());
    }
}
