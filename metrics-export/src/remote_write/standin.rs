//! A minimal stand-in for the encoder (`series_of`, `encode_request`),
//! enough for the sender and its tests until the real one replaces this
//! file: every sample of the flat view becomes one series, labels sorted
//! by name with `__name__`, the metric's timestamp or `now_ms`.

use promscribe::MetricFamily;

use super::error::RemoteWriteError;
use super::proto::{Label, MetricMetadata, Sample, TimeSeries, WriteRequest};

/// What the encoder is told about the families.
#[derive(Debug, Clone, Default)]
pub(crate) struct SeriesOptions {}

pub(crate) fn series_of(
    families: &[MetricFamily],
    now_ms: i64,
    _opts: &SeriesOptions,
) -> (Vec<TimeSeries>, Vec<MetricMetadata>, Vec<RemoteWriteError>) {
    let mut series = Vec::new();
    let mut errors = Vec::new();
    for family in families {
        for s in family.samples() {
            let mut labels: Vec<Label> = s
                .labels
                .iter()
                .map(|(n, v)| Label {
                    name: n.clone(),
                    value: v.clone(),
                })
                .collect();
            labels.push(Label {
                name: "__name__".into(),
                value: s.name.clone(),
            });
            labels.sort_by(|a, b| a.name.cmp(&b.name));
            if let Some(l) = labels.iter().find(|l| l.value.is_empty()) {
                errors.push(RemoteWriteError::Series {
                    series: s.name.clone(),
                    reason: format!("the label `{}` is empty", l.name),
                });
                continue;
            }
            let timestamp = s.timestamp.and_then(|t| t.as_millis()).unwrap_or(now_ms);
            series.push(TimeSeries {
                labels,
                samples: vec![Sample {
                    value: s.value,
                    timestamp,
                }],
                exemplars: Vec::new(),
                histograms: Vec::new(),
            });
        }
    }
    (series, Vec::new(), errors)
}

pub(crate) fn encode_request(req: &WriteRequest) -> Vec<u8> {
    use prost::Message;
    let raw = req.encode_to_vec();
    snap::raw::Encoder::new()
        .compress_vec(&raw)
        .unwrap_or_default()
}
