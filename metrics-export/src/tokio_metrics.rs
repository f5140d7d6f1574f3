//! A tokio runtime's own metrics (`tokio::runtime::RuntimeMetrics`), read
//! at scrape time.

use tokio::runtime::{Handle, RuntimeMetrics, TryCurrentError};

use promscribe::{Collector, Descriptor, MetricFamily, MetricType};

/// How one family reads its value(s) from the runtime.
#[derive(Clone, Copy)]
enum Read {
    /// One value for the runtime.
    Runtime(fn(&RuntimeMetrics) -> f64),
    /// One value per worker, labelled `worker="0"`, `"1"`, ...
    #[cfg_attr(not(any(target_has_atomic = "64", tokio_unstable)), allow(dead_code))]
    Worker(fn(&RuntimeMetrics, usize) -> f64),
}

/// One family: its name without the namespace (and without a counter's
/// `_total`), help, type and reader.
struct Spec {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
    read: Read,
}

fn gauge(name: &'static str, help: &'static str, read: Read) -> Spec {
    Spec {
        name,
        help,
        kind: MetricType::Gauge,
        read,
    }
}

#[cfg_attr(not(any(target_has_atomic = "64", tokio_unstable)), allow(dead_code))]
fn counter(name: &'static str, help: &'static str, read: Read) -> Spec {
    Spec {
        name,
        help,
        kind: MetricType::Counter,
        read,
    }
}

/// A count as a sample value (exact below 2^53).
#[allow(clippy::cast_precision_loss)]
fn n(v: impl Into<u64>) -> f64 {
    v.into() as f64
}

/// A `usize` count as a sample value.
#[allow(clippy::cast_precision_loss)]
fn u(v: usize) -> f64 {
    v as f64
}

/// The families read from the stable `RuntimeMetrics`, then (built with
/// `--cfg tokio_unstable`) from the unstable ones.
fn specs() -> Vec<Spec> {
    #[cfg_attr(
        not(any(target_has_atomic = "64", tokio_unstable)),
        allow(unused_imports)
    )]
    use Read::{Runtime, Worker};
    let mut s = vec![
        gauge(
            "tokio_workers",
            "Number of worker threads of the tokio runtime.",
            Runtime(|m| u(m.num_workers())),
        ),
        gauge(
            "tokio_alive_tasks",
            "Number of tasks of the tokio runtime that are alive (spawned, not yet completed).",
            Runtime(|m| u(m.num_alive_tasks())),
        ),
        gauge(
            "tokio_global_queue_depth",
            "Number of tasks in the tokio runtime's global (injection) queue.",
            Runtime(|m| u(m.global_queue_depth())),
        ),
    ];
    #[cfg(target_has_atomic = "64")]
    s.extend([
        counter(
            "tokio_worker_busy_seconds",
            "Time the worker thread has spent busy (polling tasks) since the runtime started.",
            Worker(|m, w| m.worker_total_busy_duration(w).as_secs_f64()),
        ),
        counter(
            "tokio_worker_parks",
            "Times the worker thread has parked (gone idle waiting for work).",
            Worker(|m, w| n(m.worker_park_count(w))),
        ),
        counter(
            "tokio_worker_park_unparks",
            "Times the worker thread has parked or unparked.",
            Worker(|m, w| n(m.worker_park_unpark_count(w))),
        ),
    ]);
    #[cfg(tokio_unstable)]
    s.extend([
        gauge(
            "tokio_blocking_threads",
            "Number of threads of the tokio runtime's blocking pool.",
            Runtime(|m| u(m.num_blocking_threads())),
        ),
        gauge(
            "tokio_idle_blocking_threads",
            "Number of idle threads of the tokio runtime's blocking pool.",
            Runtime(|m| u(m.num_idle_blocking_threads())),
        ),
        gauge(
            "tokio_blocking_queue_depth",
            "Number of tasks waiting in the tokio runtime's blocking pool queue.",
            Runtime(|m| u(m.blocking_queue_depth())),
        ),
        gauge(
            "tokio_worker_local_queue_depth",
            "Number of tasks in the worker thread's local queue.",
            Worker(|m, w| u(m.worker_local_queue_depth(w))),
        ),
    ]);
    #[cfg(all(tokio_unstable, target_has_atomic = "64"))]
    s.extend([
        counter(
            "tokio_spawned_tasks",
            "Tasks spawned on the tokio runtime since it started.",
            Runtime(|m| n(m.spawned_tasks_count())),
        ),
        counter(
            "tokio_remote_schedules",
            "Tasks scheduled from outside the tokio runtime.",
            Runtime(|m| n(m.remote_schedule_count())),
        ),
        counter(
            "tokio_budget_forced_yields",
            "Times a task was forced to yield after exhausting its budget.",
            Runtime(|m| n(m.budget_forced_yield_count())),
        ),
        counter(
            "tokio_worker_polls",
            "Tasks the worker thread has polled.",
            Worker(|m, w| n(m.worker_poll_count(w))),
        ),
        counter(
            "tokio_worker_steals",
            "Tasks the worker thread has stolen from other workers.",
            Worker(|m, w| n(m.worker_steal_count(w))),
        ),
        counter(
            "tokio_worker_steal_operations",
            "Times the worker thread has stolen tasks from other workers.",
            Worker(|m, w| n(m.worker_steal_operations(w))),
        ),
        counter(
            "tokio_worker_noops",
            "Times the worker thread unparked to find no work.",
            Worker(|m, w| n(m.worker_noop_count(w))),
        ),
        counter(
            "tokio_worker_local_schedules",
            "Tasks the worker thread scheduled on its own local queue.",
            Worker(|m, w| n(m.worker_local_schedule_count(w))),
        ),
        counter(
            "tokio_worker_overflows",
            "Times the worker thread's local queue overflowed.",
            Worker(|m, w| n(m.worker_overflow_count(w))),
        ),
        gauge(
            "tokio_worker_mean_poll_time_seconds",
            "Moving average of the time the worker thread takes to poll a task.",
            Worker(|m, w| m.worker_mean_poll_time(w).as_secs_f64()),
        ),
    ]);
    s
}

/// A collector of one tokio runtime's metrics, read from its stable
/// `RuntimeMetrics` at every scrape:
///
/// | metric | type | |
/// |---|---|---|
/// | `tokio_workers` | gauge | worker threads |
/// | `tokio_alive_tasks` | gauge | tasks spawned and not completed |
/// | `tokio_global_queue_depth` | gauge | tasks in the global queue |
/// | `tokio_worker_busy_seconds_total{worker}` | counter | time each worker spent polling |
/// | `tokio_worker_parks_total{worker}` | counter | times each worker parked |
/// | `tokio_worker_park_unparks_total{worker}` | counter | times each worker parked or unparked |
///
/// (the per-worker counters on targets with 64-bit atomics, as in tokio).
/// Built with `RUSTFLAGS="--cfg tokio_unstable"`, it adds the unstable
/// ones: `tokio_blocking_threads`, `tokio_idle_blocking_threads`,
/// `tokio_blocking_queue_depth`, `tokio_spawned_tasks_total`,
/// `tokio_remote_schedules_total`, `tokio_budget_forced_yields_total`,
/// and per worker `tokio_worker_local_queue_depth`,
/// `tokio_worker_polls_total`, `tokio_worker_steals_total`,
/// `tokio_worker_steal_operations_total`, `tokio_worker_noops_total`,
/// `tokio_worker_local_schedules_total`, `tokio_worker_overflows_total`,
/// `tokio_worker_mean_poll_time_seconds`.
///
/// Feature `tokio-metrics`. A scrape reads a few atomics per worker: no
/// lock, nothing the runtime waits on.
///
/// ```
/// use std::sync::Arc;
/// use promscribe::Registry;
/// use promscribe_export::TokioCollector;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
/// let registry = Registry::new();
/// rt.block_on(async {
///     // One line, inside the runtime:
///     registry.register(Arc::new(TokioCollector::current()?))?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// assert_eq!(registry.get_sample_value("tokio_workers", &[]), Some(2.0));
/// // Outside a runtime, `current` is an error, not a panic.
/// assert!(TokioCollector::current().is_err());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TokioCollector {
    handle: Handle,
    prefix: String,
}

impl TokioCollector {
    /// The runtime this is called in; an error outside one.
    ///
    /// ```
    /// assert!(promscribe_export::TokioCollector::current().is_err());
    /// ```
    pub fn current() -> Result<TokioCollector, TryCurrentError> {
        Handle::try_current().map(TokioCollector::new)
    }

    /// The runtime of `handle` (`runtime.handle().clone()`).
    ///
    /// ```
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let c = promscribe_export::TokioCollector::new(rt.handle().clone());
    /// ```
    pub fn new(handle: Handle) -> TokioCollector {
        TokioCollector {
            handle,
            prefix: String::new(),
        }
    }

    /// Prefixes the names with `namespace_` (`io_tokio_workers`), to
    /// collect two runtimes into one registry.
    ///
    /// ```
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let c = promscribe_export::TokioCollector::new(rt.handle().clone()).namespace("io");
    /// ```
    pub fn namespace(mut self, namespace: &str) -> TokioCollector {
        self.prefix = if namespace.is_empty() {
            String::new()
        } else {
            format!("{namespace}_")
        };
        self
    }
}

impl Collector for TokioCollector {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let m = self.handle.metrics();
        let workers = m.num_workers();
        for spec in specs() {
            let mut f = MetricFamily::new(
                format!("{}{}", self.prefix, spec.name),
                spec.help,
                spec.kind,
            );
            let suffix = if spec.kind == MetricType::Counter {
                "_total"
            } else {
                ""
            };
            // Suffixes of the families' own types and one `worker` label:
            // never refused.
            match spec.read {
                Read::Runtime(read) => {
                    let _ = f.push(suffix, Vec::new(), read(&m));
                }
                Read::Worker(read) => {
                    for w in 0..workers {
                        let labels = vec![("worker".to_owned(), w.to_string())];
                        let _ = f.push(suffix, labels, read(&m, w));
                    }
                }
            }
            out.push(f);
        }
    }

    fn describe(&self) -> Vec<Descriptor> {
        specs()
            .into_iter()
            .map(|s| Descriptor {
                name: format!("{}{}", self.prefix, s.name),
                kind: s.kind,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use promscribe::Registry;

    use super::*;

    fn value(r: &Registry, name: &str, labels: &[(&str, &str)]) -> f64 {
        r.get_sample_value(name, labels)
            .unwrap_or_else(|| panic!("no {name}{labels:?}"))
    }

    #[test]
    fn alive_tasks_and_workers_as_the_runtime_reports_them() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(3)
            .enable_time()
            .build()
            .unwrap();
        let r = Registry::new();
        r.register(Arc::new(TokioCollector::new(rt.handle().clone())))
            .unwrap();
        assert_eq!(value(&r, "tokio_workers", &[]), 3.0);
        assert_eq!(value(&r, "tokio_alive_tasks", &[]), 0.0);

        // Five tasks held alive until released.
        let (tx, rx) = tokio::sync::watch::channel(false);
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let mut rx = rx.clone();
                rt.spawn(async move {
                    let _ = rx.wait_for(|go| *go).await;
                })
            })
            .collect();
        assert_eq!(rt.metrics().num_alive_tasks(), 5);
        assert_eq!(value(&r, "tokio_alive_tasks", &[]), 5.0);
        #[cfg(all(tokio_unstable, target_has_atomic = "64"))]
        assert_eq!(value(&r, "tokio_spawned_tasks_total", &[]), 5.0);
        tx.send(true).unwrap();
        rt.block_on(async {
            for t in tasks {
                t.await.unwrap();
            }
        });
        // A task is counted until the runtime has released it, shortly
        // after its join handle completes.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while value(&r, "tokio_alive_tasks", &[]) != 0.0 {
            assert!(std::time::Instant::now() < deadline, "tasks never released");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(value(&r, "tokio_global_queue_depth", &[]), 0.0);
    }

    #[cfg(target_has_atomic = "64")]
    #[test]
    fn per_worker_counters_follow_the_runtime() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        // Work that keeps a worker busy, then idle time (parks).
        rt.block_on(async {
            tokio::spawn(async {
                let until = std::time::Instant::now() + Duration::from_millis(30);
                while std::time::Instant::now() < until {
                    std::hint::spin_loop();
                }
            })
            .await
            .unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        });
        let c = TokioCollector::new(rt.handle().clone());
        let r = Registry::new();
        r.register(Arc::new(c)).unwrap();
        let m = rt.metrics();
        let mut busy = 0.0;
        for (i, w) in ["0", "1"].into_iter().enumerate() {
            let labels = [("worker", w)];
            let parks = n(m.worker_park_count(i));
            let park_unparks = n(m.worker_park_unpark_count(i));
            let busy_before = m.worker_total_busy_duration(i).as_secs_f64();
            // Read after the runtime's own figures: never below them.
            let worker_busy = value(&r, "tokio_worker_busy_seconds_total", &labels);
            assert!(worker_busy >= busy_before, "{worker_busy} < {busy_before}");
            busy += worker_busy;
            assert!(value(&r, "tokio_worker_parks_total", &labels) >= parks);
            assert!(value(&r, "tokio_worker_park_unparks_total", &labels) >= park_unparks);
            // Every worker parked at least once: nothing ran for 20 ms.
            assert!(parks >= 1.0, "worker {w} never parked");
        }
        // The spinning task alone kept one worker busy 30 ms.
        assert!(busy >= 0.03, "{busy}");
        assert!(r
            .get_sample_value("tokio_worker_parks_total", &[("worker", "2")])
            .is_none());
    }

    #[test]
    fn names_types_and_namespace() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let c = TokioCollector::new(rt.handle().clone()).namespace("io");
        let mut out = Vec::new();
        c.collect(&mut out);
        let described: Vec<(String, MetricType)> =
            c.describe().into_iter().map(|d| (d.name, d.kind)).collect();
        let collected: Vec<(String, MetricType)> =
            out.iter().map(|f| (f.name.clone(), f.kind)).collect();
        assert_eq!(described, collected);
        let kind = |name: &str| collected.iter().find(|(n, _)| n == name).map(|(_, k)| *k);
        assert_eq!(kind("io_tokio_workers"), Some(MetricType::Gauge));
        assert_eq!(kind("io_tokio_alive_tasks"), Some(MetricType::Gauge));
        assert_eq!(kind("io_tokio_global_queue_depth"), Some(MetricType::Gauge));
        #[cfg(target_has_atomic = "64")]
        {
            assert_eq!(
                kind("io_tokio_worker_busy_seconds"),
                Some(MetricType::Counter)
            );
            let samples: Vec<String> = out
                .iter()
                .flat_map(|f| f.samples())
                .map(|s| s.name)
                .collect();
            assert!(samples
                .iter()
                .any(|s| s == "io_tokio_worker_busy_seconds_total"));
            assert!(samples.iter().any(|s| s == "io_tokio_worker_parks_total"));
        }
        #[cfg(tokio_unstable)]
        {
            assert_eq!(kind("io_tokio_blocking_threads"), Some(MetricType::Gauge));
            assert_eq!(
                kind("io_tokio_worker_local_queue_depth"),
                Some(MetricType::Gauge)
            );
        }
        #[cfg(all(tokio_unstable, target_has_atomic = "64"))]
        {
            assert_eq!(kind("io_tokio_spawned_tasks"), Some(MetricType::Counter));
            assert_eq!(kind("io_tokio_worker_polls"), Some(MetricType::Counter));
            assert_eq!(
                kind("io_tokio_worker_mean_poll_time_seconds"),
                Some(MetricType::Gauge)
            );
        }
        // A current-thread runtime has one worker, worker 0.
        let sample = |name: &str| {
            out.iter()
                .flat_map(|f| f.samples())
                .find(|s| s.name == name)
                .map(|s| (s.labels, s.value))
        };
        assert_eq!(sample("io_tokio_workers"), Some((Vec::new(), 1.0)));
        #[cfg(target_has_atomic = "64")]
        assert_eq!(
            sample("io_tokio_worker_parks_total").map(|(l, _)| l),
            Some(vec![("worker".to_owned(), "0".to_owned())])
        );
    }

    #[test]
    fn current_outside_a_runtime_is_an_error() {
        let err = TokioCollector::current().unwrap_err();
        assert!(err.is_missing_context(), "{err}");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let c = rt.block_on(async { TokioCollector::current() }).unwrap();
        let mut out = Vec::new();
        c.collect(&mut out);
        assert!(!out.is_empty());
    }
}
