//! The HTTP side: one POST of a Snappy-compressed `WriteRequest`, what its
//! answer means (sent, retry, refused), and the delivery of a batch with
//! retries, backoff, `Retry-After`, and the split of a batch a receiver
//! refused with 400 to find the series at fault.

use std::time::{Duration, Instant, SystemTime};

use ureq::http::{HeaderName, HeaderValue};

use super::error::RemoteWriteError;
use super::metrics::Stats;
use super::proto::{TimeSeries, WriteRequest};
use super::queue::value_count;
use super::wire::encode_request;
use crate::push::{body_reason, status_reason};

/// A `Retry-After` longer than this is waited for this long only.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// At most this many requests are spent splitting one refused batch to
/// find its bad series (a binary search costs about twice the depth per
/// bad series: 22 requests for one bad series among 2,000); what remains
/// when they are spent is counted as failed.
pub(crate) const SPLIT_BUDGET: u32 = 100;

/// The HTTP client of one receiver.
#[derive(Clone)]
pub(crate) struct Client {
    pub(crate) url: String,
    pub(crate) agent: ureq::Agent,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) timeout: Duration,
}

/// What one POST came to.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// 2xx.
    Sent,
    /// 5xx, 429, a timeout or a connection error: send it again, after
    /// `after` when the receiver said so (`Retry-After`).
    Retry {
        after: Option<Duration>,
        error: RemoteWriteError,
    },
    /// 400: something in the request is refused (Prometheus refuses a
    /// whole request for one out-of-order sample).
    BadRequest(RemoteWriteError),
    /// Any other status: never retried.
    Refused(RemoteWriteError),
}

impl Client {
    pub(crate) fn post(&self, body: &[u8]) -> Outcome {
        let mut r = self
            .agent
            .post(&self.url)
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0");
        for (n, v) in &self.headers {
            r = r.header(n, v);
        }
        let mut resp = match r.send(body) {
            Ok(resp) => resp,
            Err(ureq::Error::Timeout(_)) => {
                return Outcome::Retry {
                    after: None,
                    error: RemoteWriteError::Timeout {
                        url: self.url.clone(),
                        timeout: self.timeout,
                    },
                }
            }
            Err(e) => {
                return Outcome::Retry {
                    after: None,
                    error: RemoteWriteError::Transport {
                        url: self.url.clone(),
                        source: Box::new(e),
                    },
                }
            }
        };
        let status = resp.status();
        if status.is_success() {
            return Outcome::Sent;
        }
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let reason = body_reason(&mut resp).unwrap_or_else(|| status_reason(status));
        let code = status.as_u16();
        let error = RemoteWriteError::Status {
            url: self.url.clone(),
            status: code,
            reason,
        };
        match code {
            429 => Outcome::Retry {
                after: retry_after,
                error,
            },
            500..=599 => Outcome::Retry { after: None, error },
            400 => Outcome::BadRequest(error),
            _ => Outcome::Refused(error),
        }
    }
}

/// `Retry-After`: whole seconds, or an HTTP date (then the time until it;
/// zero if past); at most [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The wait before retry number `attempt` (1 for the first): `min`
/// doubled at each attempt, at most `max`, as Prometheus'
/// `min_backoff`/`max_backoff`.
pub(crate) fn backoff(min: Duration, max: Duration, attempt: u32) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(20);
    min.saturating_mul(factor).min(max)
}

/// How a delivery waits between retries: `false` when it must give up
/// instead (a one-shot push's deadline, a stopped sender's flush
/// deadline).
pub(crate) trait Pacer {
    fn wait(&self, delay: Duration) -> bool;
}

/// Waits by sleeping, until a fixed deadline.
pub(crate) struct Deadline(pub(crate) Instant);

impl Pacer for Deadline {
    fn wait(&self, delay: Duration) -> bool {
        let now = Instant::now();
        if now + delay >= self.0 {
            std::thread::sleep(self.0.saturating_duration_since(now));
            return false;
        }
        std::thread::sleep(delay);
        true
    }
}

/// What a delivery came to, beyond the counters of [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) requests: u64,
    pub(crate) retries: u64,
    pub(crate) sent: u64,
    pub(crate) failed: u64,
    /// The series a receiver refused alone (after splitting).
    pub(crate) rejected: Vec<RemoteWriteError>,
    /// The first failure that was not a series' own: a refusal other than
    /// 400, or retries given up.
    pub(crate) fatal: Option<RemoteWriteError>,
}

/// Delivers batches to one receiver.
pub(crate) struct Delivery<'a> {
    pub(crate) client: &'a Client,
    pub(crate) stats: &'a Stats,
    pub(crate) pacer: &'a dyn Pacer,
    pub(crate) min_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) tally: Tally,
}

enum Failure {
    BadRequest(RemoteWriteError),
    Other(RemoteWriteError),
}

impl Delivery<'_> {
    /// Sends `req` until it is accepted, refused, or the pacer gives up.
    /// A 400 for several series splits them in halves, recursively, so
    /// that only the series refused alone are dropped.
    pub(crate) fn deliver(&mut self, req: WriteRequest) {
        let mut budget = SPLIT_BUDGET;
        self.deliver_split(req, &mut budget);
    }

    fn deliver_split(&mut self, mut req: WriteRequest, budget: &mut u32) {
        let n = value_count(&req.timeseries);
        if req.timeseries.is_empty() && req.metadata.is_empty() {
            return;
        }
        match self.send_retrying(&req, n) {
            Ok(()) => {
                self.tally.sent += n;
                Stats::add(&self.stats.sent, n);
                if let Some(ts) = newest(&req.timeseries) {
                    self.stats.sent_up_to(ts);
                }
            }
            Err(Failure::BadRequest(_)) if req.timeseries.len() > 1 && *budget >= 2 => {
                *budget -= 2;
                let right = req.timeseries.split_off(req.timeseries.len() / 2);
                let metadata = std::mem::take(&mut req.metadata);
                self.deliver_split(
                    WriteRequest {
                        timeseries: req.timeseries,
                        metadata,
                    },
                    budget,
                );
                self.deliver_split(
                    WriteRequest {
                        timeseries: right,
                        metadata: Vec::new(),
                    },
                    budget,
                );
            }
            Err(Failure::BadRequest(error)) => {
                self.fail(n);
                let error = match (req.timeseries.as_slice(), error) {
                    (
                        [one],
                        RemoteWriteError::Status {
                            url,
                            status,
                            reason,
                        },
                    ) => RemoteWriteError::Rejected {
                        url,
                        series: series_name(one),
                        status,
                        reason,
                    },
                    (_, error) => error,
                };
                tracing::warn!(%error, samples = n, "remote write: samples refused, dropped");
                self.tally.rejected.push(error);
            }
            Err(Failure::Other(error)) => {
                self.fail(n);
                tracing::warn!(%error, samples = n, "remote write: samples dropped");
                if self.tally.fatal.is_none() {
                    self.tally.fatal = Some(error);
                }
            }
        }
    }

    fn fail(&mut self, n: u64) {
        self.tally.failed += n;
        Stats::add(&self.stats.failed, n);
    }

    fn send_retrying(&mut self, req: &WriteRequest, n: u64) -> Result<(), Failure> {
        let body = encode_request(req);
        let mut attempt: u32 = 0;
        loop {
            self.tally.requests += 1;
            match self.client.post(&body) {
                Outcome::Sent => return Ok(()),
                Outcome::BadRequest(e) => return Err(Failure::BadRequest(e)),
                Outcome::Refused(e) => return Err(Failure::Other(e)),
                Outcome::Retry { after, error } => {
                    attempt = attempt.saturating_add(1);
                    let delay = after
                        .unwrap_or_else(|| backoff(self.min_backoff, self.max_backoff, attempt));
                    tracing::debug!(%error, attempt, retry_in = ?delay, "remote write: will retry");
                    if !self.pacer.wait(delay) {
                        return Err(Failure::Other(error));
                    }
                    self.tally.retries += 1;
                    Stats::add(&self.stats.retried, n);
                }
            }
        }
    }
}

/// The newest timestamp of the series' values.
fn newest(series: &[TimeSeries]) -> Option<i64> {
    series
        .iter()
        .flat_map(|s| {
            s.samples
                .iter()
                .map(|v| v.timestamp)
                .chain(s.histograms.iter().map(|h| h.timestamp))
        })
        .max()
}

/// `name{label="value",...}`, as PromQL writes a series.
pub(crate) fn series_name(series: &TimeSeries) -> String {
    let mut name = String::new();
    let mut labels = Vec::new();
    for l in &series.labels {
        if l.name == "__name__" {
            name.push_str(&l.value);
        } else {
            labels.push(format!("{}={:?}", l.name, l.value));
        }
    }
    if !labels.is_empty() {
        name.push('{');
        name.push_str(&labels.join(","));
        name.push('}');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_min_to_max() {
        let (min, max) = (Duration::from_millis(30), Duration::from_secs(5));
        let waits: Vec<u128> = (1..=10).map(|a| backoff(min, max, a).as_millis()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3840, 5000, 5000]);
        assert_eq!(backoff(min, max, u32::MAX), max);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        // 2015-10-21 07:28:00 UTC is 1445412480.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn a_series_is_named_as_promql_writes_it() {
        use super::super::proto::Label;
        let s = TimeSeries {
            labels: vec![
                Label {
                    name: "__name__".into(),
                    value: "up".into(),
                },
                Label {
                    name: "job".into(),
                    value: "a\"b".into(),
                },
            ],
            ..TimeSeries::default()
        };
        assert_eq!(series_name(&s), "up{job=\"a\\\"b\"}");
    }
}
