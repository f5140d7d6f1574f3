//! The Graphite bridge: every sample of a registry sent to Graphite
//! (carbon) over TCP in the plaintext protocol, as Python's
//! `prometheus_client.bridge.graphite.GraphiteBridge` does.

use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use promscribe::{default_registry, write_float_repr, MetricFamily, Registry};

/// The default timeout of one connection (connect, then send), as in
/// Python's bridge.
///
/// ```
/// assert_eq!(promscribe_export::DEFAULT_GRAPHITE_TIMEOUT.as_secs(), 30);
/// ```
pub const DEFAULT_GRAPHITE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long [`GraphiteHandle::stop`] waits for a push in progress before
/// it lets the thread finish alone.
const STOP_GRACE: Duration = Duration::from_secs(2);

type Resolver = dyn Fn() -> io::Result<Vec<SocketAddr>> + Send + Sync;

/// Sends the samples of a registry to Graphite in the plaintext protocol,
/// one line per sample: `path value unix_seconds`.
///
/// A sample's path is its name followed by its labels as path parts,
/// sorted by label name, `name.label1.value1.label2.value2`, or with
/// [`tags`](Self::tags), Graphite 1.1 tags: `name;label1=value1`. Every
/// character outside `[a-zA-Z0-9_-]` of a name, label name or value
/// becomes `_` (as in Python's bridge), so that a path is always valid.
/// Unlike Python's bridge, a label with an empty value is left out (an
/// empty value means "no label" in Prometheus, and would make an empty
/// path part) and NaN samples are not sent (carbon drops them).
///
/// ```no_run
/// use std::time::Duration;
/// use promscribe_export::GraphiteBridge;
///
/// let gb = GraphiteBridge::new(("graphite.your.org", 2003));
/// // Push once.
/// gb.push()?;
/// // Push every 10 seconds from a background thread, until the handle
/// // is stopped or dropped.
/// let handle = gb.start(Duration::from_secs(10))?;
/// # drop(handle);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct GraphiteBridge {
    resolve: Arc<Resolver>,
    registry: &'static Registry,
    timeout: Duration,
    tags: bool,
    backoff_initial: Duration,
    backoff_max: Duration,
}

impl fmt::Debug for GraphiteBridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphiteBridge")
            .field("timeout", &self.timeout)
            .field("tags", &self.tags)
            .field("backoff_initial", &self.backoff_initial)
            .field("backoff_max", &self.backoff_max)
            .finish_non_exhaustive()
    }
}

impl GraphiteBridge {
    /// A bridge to the carbon plaintext receiver at `addr` (e.g.
    /// `("graphite.your.org", 2003)` or `"127.0.0.1:2003"`), reading the
    /// [default registry](promscribe::default_registry). The address is
    /// resolved at each connection, so a name that does not resolve yet is
    /// no error here.
    ///
    /// ```
    /// let gb = promscribe_export::GraphiteBridge::new("127.0.0.1:2003");
    /// let gb = promscribe_export::GraphiteBridge::new((String::from("localhost"), 2003));
    /// # let _ = gb;
    /// ```
    pub fn new(addr: impl ToSocketAddrs + Send + Sync + 'static) -> Self {
        let resolve = move || addr.to_socket_addrs().map(Iterator::collect);
        GraphiteBridge {
            resolve: Arc::new(resolve),
            registry: default_registry(),
            timeout: DEFAULT_GRAPHITE_TIMEOUT,
            tags: false,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
        }
    }

    /// Reads `registry` instead of the default one.
    ///
    /// ```
    /// use std::sync::OnceLock;
    /// static REGISTRY: OnceLock<promscribe::Registry> = OnceLock::new();
    /// let gb = promscribe_export::GraphiteBridge::new("127.0.0.1:2003")
    ///     .with_registry(REGISTRY.get_or_init(promscribe::Registry::new));
    /// # let _ = gb;
    /// ```
    #[must_use]
    pub fn with_registry(mut self, registry: &'static Registry) -> Self {
        self.registry = registry;
        self
    }

    /// Sends labels as Graphite 1.1 tags (`name;label=value`) instead of
    /// path parts.
    ///
    /// ```
    /// let gb = promscribe_export::GraphiteBridge::new("127.0.0.1:2003").tags(true);
    /// # let _ = gb;
    /// ```
    #[must_use]
    pub fn tags(mut self, on: bool) -> Self {
        self.tags = on;
        self
    }

    /// The time allowed to connect, and then to send a push; 30 s by
    /// default.
    ///
    /// ```
    /// let gb = promscribe_export::GraphiteBridge::new("127.0.0.1:2003")
    ///     .timeout(std::time::Duration::from_secs(5));
    /// # let _ = gb;
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// After a failed push, the periodic pusher of [`start`](Self::start)
    /// skips its slots for `initial`, then twice as long after each further
    /// failure, up to `max`; the first success resets it. 1 s and 30 s by
    /// default.
    ///
    /// ```
    /// use std::time::Duration;
    /// let gb = promscribe_export::GraphiteBridge::new("127.0.0.1:2003")
    ///     .backoff(Duration::from_millis(500), Duration::from_secs(10));
    /// # let _ = gb;
    /// ```
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff_initial = initial;
        self.backoff_max = max.max(initial);
        self
    }

    /// Pushes every sample once, on a new connection. Blocking (at most
    /// the timeout to connect, then to send): from async code, call it in
    /// `spawn_blocking`, or use [`start`](Self::start).
    ///
    /// ```no_run
    /// promscribe_export::GraphiteBridge::new(("localhost", 2003)).push()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn push(&self) -> io::Result<()> {
        self.push_with_prefix("")
    }

    /// Pushes every sample once, each path starting with `prefix.` (its
    /// dot-separated parts sanitised like names).
    ///
    /// ```no_run
    /// promscribe_export::GraphiteBridge::new(("localhost", 2003)).push_with_prefix("prod.web1")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn push_with_prefix(&self, prefix: &str) -> io::Result<()> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let text = format_lines(&self.registry.gather(), prefix, self.tags, now);
        let mut stream = self.connect()?;
        stream.set_write_timeout(Some(self.timeout))?;
        stream.write_all(text.as_bytes())?;
        stream.flush()?;
        // Tell carbon we are done, so it reads everything before the close.
        let _ = stream.shutdown(std::net::Shutdown::Write);
        Ok(())
    }

    fn connect(&self) -> io::Result<TcpStream> {
        let addrs = (self.resolve)()?;
        let mut last = io::Error::new(
            io::ErrorKind::InvalidInput,
            "the Graphite address resolved to nothing",
        );
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(s) => return Ok(s),
                Err(e) => last = io::Error::new(e.kind(), format!("connect to {addr}: {e}")),
            }
        }
        Err(last)
    }

    /// Pushes every `interval` from a background thread, at a fixed rate:
    /// the first push is immediate, and a slot missed (a slow push) is
    /// skipped, not caught up. A failed push (carbon down) is logged
    /// through `tracing` and retried with [`backoff`](Self::backoff); the
    /// instrumented program is never blocked, nor disturbed.
    ///
    /// Pushing stops when the returned handle is [stopped](GraphiteHandle::stop)
    /// or dropped; [`detach`](GraphiteHandle::detach) it to push until the
    /// process exits, like Python's daemon thread.
    ///
    /// ```no_run
    /// let handle = promscribe_export::GraphiteBridge::new(("localhost", 2003))
    ///     .start(std::time::Duration::from_secs(10))?;
    /// // ... the program runs ...
    /// handle.stop();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start(&self, interval: Duration) -> io::Result<GraphiteHandle> {
        self.start_with_prefix(interval, "")
    }

    /// [`start`](Self::start), each path starting with `prefix.`.
    ///
    /// ```no_run
    /// let handle = promscribe_export::GraphiteBridge::new(("localhost", 2003))
    ///     .start_with_prefix(std::time::Duration::from_secs(10), "prod")?;
    /// # drop(handle);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_with_prefix(
        &self,
        interval: Duration,
        prefix: &str,
    ) -> io::Result<GraphiteHandle> {
        if interval.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the push interval must be longer than zero",
            ));
        }
        let stop = Arc::new(StopFlag::default());
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let bridge = self.clone();
        let prefix = prefix.to_owned();
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("metrics-graphite".into())
            .spawn(move || {
                bridge.run(interval, &prefix, &flag);
                drop(done_tx);
            })?;
        Ok(GraphiteHandle {
            stop,
            done: done_rx,
            thread: Some(thread),
        })
    }

    fn run(&self, interval: Duration, prefix: &str, stop: &StopFlag) {
        let mut next = Instant::now();
        let mut failures: u32 = 0;
        let mut retry_at: Option<Instant> = None;
        loop {
            if stop.wait_until(next) {
                return;
            }
            let now = Instant::now();
            next = next_slot(next, now, interval);
            if retry_at.is_some_and(|t| now < t) {
                continue;
            }
            match self.push_with_prefix(prefix) {
                Ok(()) => {
                    if failures > 0 {
                        tracing::info!(failures, "Graphite pushes resumed");
                    }
                    failures = 0;
                    retry_at = None;
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let delay = backoff_delay(self.backoff_initial, self.backoff_max, failures);
                    retry_at = Some(Instant::now() + delay);
                    tracing::warn!(%error, failures, retry_in = ?delay, "Graphite push failed");
                }
            }
        }
    }
}

/// Fixed rate: the first slot after `now` on the grid `slot + k * interval`,
/// skipping the slots a slow push has missed.
fn next_slot(slot: Instant, now: Instant, interval: Duration) -> Instant {
    if slot > now {
        return slot;
    }
    let behind = now.duration_since(slot).as_nanos();
    let step = interval.as_nanos().max(1);
    let missed = u32::try_from(behind / step + 1).unwrap_or(u32::MAX);
    slot + interval.saturating_mul(missed)
}

/// `initial * 2^(failures-1)`, at most `max`.
fn backoff_delay(initial: Duration, max: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(20);
    initial.saturating_mul(factor).min(max)
}

#[derive(Default)]
struct StopFlag {
    stopped: Mutex<bool>,
    cond: Condvar,
}

impl StopFlag {
    /// Waits until `deadline` or a stop; whether stopped.
    fn wait_until(&self, deadline: Instant) -> bool {
        let mut stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if *stopped {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            stopped = self
                .cond
                .wait_timeout(stopped, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.cond.notify_all();
    }
}

/// The periodic pusher started by [`GraphiteBridge::start`]. Dropping it,
/// or calling [`stop`](Self::stop), stops the pushes.
///
/// ```no_run
/// use std::time::Duration;
/// let bridge = promscribe_export::GraphiteBridge::new(("localhost", 2003));
/// {
///     let _pusher = bridge.start(Duration::from_secs(10))?;
///     // ... pushes every 10 s while `_pusher` lives ...
/// } // dropped: pushing stops here
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "pushing stops when the handle is dropped: keep it in a variable, or call .detach()"]
pub struct GraphiteHandle {
    stop: Arc<StopFlag>,
    done: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for GraphiteHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphiteHandle")
            .field("running", &self.thread.is_some())
            .finish()
    }
}

impl GraphiteHandle {
    /// Stops pushing. Waits for a push in progress for at most 2 s; a
    /// slower one (carbon not answering) finishes alone, bounded by the
    /// bridge's timeout, and no push follows it.
    ///
    /// ```no_run
    /// let handle = promscribe_export::GraphiteBridge::new(("localhost", 2003))
    ///     .start(std::time::Duration::from_secs(10))?;
    /// handle.stop();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(mut self) {
        self.stop_and_join();
    }

    /// Lets the pusher run until the process exits.
    ///
    /// ```no_run
    /// promscribe_export::GraphiteBridge::new(("localhost", 2003))
    ///     .start(std::time::Duration::from_secs(10))?
    ///     .detach();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn detach(mut self) {
        self.thread.take();
    }

    fn stop_and_join(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stop.stop();
        // The thread drops its sender when it ends.
        if let Err(mpsc::RecvTimeoutError::Disconnected) = self.done.recv_timeout(STOP_GRACE) {
            let _ = thread.join();
        }
    }
}

impl Drop for GraphiteHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Replaces every character outside `[a-zA-Z0-9_-]` with `_`.
fn push_sanitized(out: &mut String, s: &str) {
    out.extend(s.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '_'
        }
    }));
}

/// The plaintext lines of `families`, all stamped `now` (Unix seconds).
pub(crate) fn format_lines(
    families: &[MetricFamily],
    prefix: &str,
    tags: bool,
    now: u64,
) -> String {
    let mut prefix_path = String::new();
    for part in prefix.split('.').filter(|p| !p.is_empty()) {
        push_sanitized(&mut prefix_path, part);
        prefix_path.push('.');
    }
    let mut out = String::with_capacity(4096);
    for family in families {
        // The flat sample view of the typed model, as Python's bridge reads it.
        let samples = family.samples();
        let mut labels: Vec<(&str, &str)> = Vec::new();
        for sample in &samples {
            if sample.value.is_nan() {
                continue;
            }
            out.push_str(&prefix_path);
            push_sanitized(&mut out, &sample.name);
            labels.clear();
            labels.extend(
                sample
                    .labels
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
            labels.sort_unstable();
            for (k, v) in &labels {
                out.push(if tags { ';' } else { '.' });
                push_sanitized(&mut out, k);
                out.push(if tags { '=' } else { '.' });
                push_sanitized(&mut out, v);
            }
            // As Python's bridge: `str(float(value))` and `int(now)`.
            out.push(' ');
            write_float_repr(&mut out, sample.value);
            out.push(' ');
            out.push_str(&now.to_string());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use promscribe::{MetricFamily, MetricType};

    fn families() -> Vec<MetricFamily> {
        let mut c = MetricFamily::new("http_requests", "Requests", MetricType::Counter);
        c.push(
            "_total",
            vec![
                ("path".into(), "/api/v1".into()),
                ("method".into(), "get".into()),
            ],
            3.0,
        )
        .unwrap();
        let mut g = MetricFamily::new("ns:temp", "T", MetricType::Gauge);
        g.push("", vec![], -1.5).unwrap();
        g.push("", vec![("zone".into(), String::new())], 2.0)
            .unwrap();
        g.push("", vec![("x".into(), "nan".into())], f64::NAN)
            .unwrap();
        g.push("", vec![("x".into(), "inf".into())], f64::INFINITY)
            .unwrap();
        vec![c, g]
    }

    #[test]
    fn path_labels_sorted_and_sanitised() {
        let text = format_lines(&families(), "", false, 1700000000);
        assert_eq!(
            text,
            "http_requests_total.method.get.path._api_v1 3.0 1700000000\n\
             ns_temp -1.5 1700000000\n\
             ns_temp 2.0 1700000000\n\
             ns_temp.x.inf inf 1700000000\n"
        );
    }

    #[test]
    fn tags() {
        let text = format_lines(&families(), "", true, 7);
        assert!(
            text.starts_with("http_requests_total;method=get;path=_api_v1 3.0 7\n"),
            "{text}"
        );
    }

    #[test]
    fn prefix() {
        let mut g = MetricFamily::new("up", "Up", MetricType::Gauge);
        g.push("", vec![("a b".into(), "é.x".into())], 1.0).unwrap();
        assert_eq!(
            format_lines(&[g.clone()], "prod.web-1", false, 5),
            "prod.web-1.up.a_b.__x 1.0 5\n"
        );
        assert_eq!(
            format_lines(&[g], ".odd..pre fix.", true, 5),
            "odd.pre_fix.up;a_b=__x 1.0 5\n"
        );
    }

    #[test]
    fn values_are_written_as_python_str_of_the_float() {
        // Expected strings are Python's `str(float)`, which its bridge writes.
        let mut g = MetricFamily::new("v", "V", MetricType::Gauge);
        let values = [
            1e-7,
            1e21,
            0.25,
            -0.0,
            1796097533.816191,
            -1234567.0,
            1e16,
            1e15,
        ];
        for v in values {
            g.push("", vec![], v).unwrap();
        }
        assert_eq!(
            format_lines(&[g], "", false, 1),
            "v 1e-07 1\nv 1e+21 1\nv 0.25 1\nv -0.0 1\nv 1796097533.816191 1\n\
             v -1234567.0 1\nv 1e+16 1\nv 1000000000000000.0 1\n"
        );
    }

    /// The cases of Python's `tests/test_graphite_bridge.py` (its timer
    /// gives 1434898897.5; the line carries `int(now)`).
    #[test]
    fn python_bridge_cases() {
        let now = 1434898897;
        let gauge = |name: &str, labels: &[(&str, &str)]| {
            let mut g = MetricFamily::new(name, "help", MetricType::Gauge);
            let labels = labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            g.push("", labels, 1.0).unwrap();
            vec![g]
        };
        let ab = gauge("labels", &[("a", "c"), ("b", "d")]);
        let cases = [
            (gauge("g", &[]), "", false, "g 1.0 1434898897\n"),
            (ab.clone(), "", false, "labels.a.c.b.d 1.0 1434898897\n"),
            (ab.clone(), "", true, "labels;a=c;b=d 1.0 1434898897\n"),
            (
                ab.clone(),
                "pre.fix",
                false,
                "pre.fix.labels.a.c.b.d 1.0 1434898897\n",
            ),
            (
                ab,
                "pre.fix",
                true,
                "pre.fix.labels;a=c;b=d 1.0 1434898897\n",
            ),
            (
                gauge("labels", &[("a", "c.:8")]),
                "",
                false,
                "labels.a.c__8 1.0 1434898897\n",
            ),
            (
                gauge("labels", &[("a", "c.:8")]),
                "",
                true,
                "labels;a=c__8 1.0 1434898897\n",
            ),
        ];
        for (families, prefix, tags, want) in cases {
            assert_eq!(format_lines(&families, prefix, tags, now), want);
        }
    }

    #[test]
    fn fixed_rate_skips_missed_slots() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // On time: the next slot is one interval later.
        assert_eq!(next_slot(t0, t0, ms(100)), t0 + ms(100));
        // A push that took 250 ms: the slots at 100 and 200 are skipped.
        assert_eq!(next_slot(t0, t0 + ms(250), ms(100)), t0 + ms(300));
        assert_eq!(next_slot(t0, t0 + ms(300), ms(100)), t0 + ms(400));
        // Woken early: the slot stays.
        assert_eq!(next_slot(t0 + ms(100), t0 + ms(99), ms(100)), t0 + ms(100));
    }

    #[test]
    fn backoff_doubles_up_to_max() {
        let s = Duration::from_secs;
        let d: Vec<_> = (1..=7).map(|n| backoff_delay(s(1), s(30), n)).collect();
        assert_eq!(d, [s(1), s(2), s(4), s(8), s(16), s(30), s(30)]);
        assert_eq!(backoff_delay(s(1), s(30), u32::MAX), s(30));
    }

    #[test]
    fn zero_interval_is_refused() {
        let gb = GraphiteBridge::new("127.0.0.1:1");
        assert!(gb.start(Duration::ZERO).is_err());
    }

    #[test]
    fn stop_is_prompt_when_nothing_listens() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let gb = GraphiteBridge::new(("127.0.0.1", port)).with_registry(Box::leak(Box::default()));
        assert!(gb.push().is_err());
        let handle = gb.start(Duration::from_millis(10)).expect("started");
        std::thread::sleep(Duration::from_millis(50));
        handle.stop();
    }
}
