//! Process metrics: CPU, memory, file descriptors, start time (Linux).

#[cfg(all(target_os = "linux", feature = "process"))]
pub use imp::ProcessCollector;

#[cfg(all(target_os = "linux", feature = "process"))]
mod imp {
    use std::sync::Arc;

    use procfs::process::{LimitValue, Process};
    use procfs::WithCurrentSystemInfo;

    use crate::collector::Collector;
    use crate::model::{Descriptor, MetricFamily, MetricType};

    type PidFn = Arc<dyn Fn() -> Option<i32> + Send + Sync>;

    /// Exports `process_*` metrics of this process (or another one) the way
    /// Python's `ProcessCollector` does: `process_cpu_seconds_total`,
    /// `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
    /// `process_open_fds`, `process_max_fds`, `process_start_time_seconds`.
    ///
    /// The default registry already holds one for this process. A value the
    /// kernel does not give (another user's process, say) is left out; a
    /// process that does not exist yields no samples.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use promscribe::{ProcessCollector, Registry};
    /// let r = Registry::new();
    /// let pid = std::process::id() as i32;
    /// r.register(Arc::new(ProcessCollector::for_pid(pid).namespace("mydaemon"))).unwrap();
    /// assert!(r.get_sample_value("mydaemon_process_open_fds", &[]).unwrap() > 0.0);
    /// ```
    #[derive(Clone)]
    pub struct ProcessCollector {
        pid: PidFn,
        prefix: String,
    }

    impl std::fmt::Debug for ProcessCollector {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("ProcessCollector")
                .field("prefix", &self.prefix)
                .finish()
        }
    }

    impl Default for ProcessCollector {
        fn default() -> Self {
            Self::new()
        }
    }

    impl ProcessCollector {
        /// This process.
        ///
        /// ```
        /// let _ = promscribe::ProcessCollector::new();
        /// ```
        pub fn new() -> Self {
            ProcessCollector {
                pid: Arc::new(|| None),
                prefix: "process_".into(),
            }
        }

        /// Another process, by pid.
        ///
        /// ```
        /// let _ = promscribe::ProcessCollector::for_pid(1);
        /// ```
        pub fn for_pid(pid: i32) -> Self {
            Self::with_pid_fn(move || Some(pid))
        }

        /// A process whose pid is looked up at every scrape (Python's
        /// `pid=lambda: ...`, e.g. read from a pid file); `None` means
        /// this process.
        ///
        /// ```
        /// let c = promscribe::ProcessCollector::with_pid_fn(|| {
        ///     std::fs::read_to_string("/var/run/daemon.pid").ok()?.trim().parse().ok()
        /// });
        /// ```
        pub fn with_pid_fn(f: impl Fn() -> Option<i32> + Send + Sync + 'static) -> Self {
            ProcessCollector {
                pid: Arc::new(f),
                prefix: "process_".into(),
            }
        }

        /// Prefixes the names with `namespace_`.
        ///
        /// ```
        /// let _ = promscribe::ProcessCollector::new().namespace("mydaemon");
        /// ```
        pub fn namespace(mut self, namespace: &str) -> Self {
            self.prefix = if namespace.is_empty() {
                "process_".into()
            } else {
                format!("{namespace}_process_")
            };
            self
        }

        fn families(&self) -> [(&'static str, &'static str, MetricType); 6] {
            [
                (
                    "cpu_seconds",
                    "Total user and system CPU time spent in seconds.",
                    MetricType::Counter,
                ),
                (
                    "virtual_memory_bytes",
                    "Virtual memory size in bytes.",
                    MetricType::Gauge,
                ),
                (
                    "resident_memory_bytes",
                    "Resident memory size in bytes.",
                    MetricType::Gauge,
                ),
                (
                    "start_time_seconds",
                    "Start time of the process since unix epoch in seconds.",
                    MetricType::Gauge,
                ),
                (
                    "open_fds",
                    "Number of open file descriptors.",
                    MetricType::Gauge,
                ),
                (
                    "max_fds",
                    "Maximum number of open file descriptors.",
                    MetricType::Gauge,
                ),
            ]
        }
    }

    impl Collector for ProcessCollector {
        fn collect(&self, out: &mut Vec<MetricFamily>) {
            let process = match (self.pid)() {
                Some(pid) => Process::new(pid),
                None => Process::myself(),
            };
            let Ok(p) = process else { return };
            let stat = p.stat().ok();
            let ticks = procfs::ticks_per_second() as f64;
            let values: [Option<f64>; 6] = [
                stat.as_ref().map(|s| (s.utime + s.stime) as f64 / ticks),
                stat.as_ref().map(|s| s.vsize as f64),
                stat.as_ref().map(|s| s.rss_bytes().get() as f64),
                crate::time::start_time_of(&p),
                p.fd_count().ok().map(|n| n as f64),
                p.limits()
                    .ok()
                    .and_then(|l| match l.max_open_files.soft_limit {
                        LimitValue::Value(v) => Some(v as f64),
                        LimitValue::Unlimited => None,
                    }),
            ];
            for ((name, help, kind), value) in self.families().into_iter().zip(values) {
                let Some(value) = value else { continue };
                let mut f = MetricFamily::new(format!("{}{name}", self.prefix), help, kind);
                let suffix = if kind == MetricType::Counter {
                    "_total"
                } else {
                    ""
                };
                // Suffixes of the families' own types: never refused.
                let _ = f.push(suffix, Vec::new(), value);
                out.push(f);
            }
        }

        fn describe(&self) -> Vec<Descriptor> {
            self.families()
                .into_iter()
                .map(|(name, _, kind)| Descriptor {
                    name: format!("{}{name}", self.prefix),
                    kind,
                })
                .collect()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn reads_this_process() {
            let mut out = Vec::new();
            ProcessCollector::new().collect(&mut out);
            let get = |n: &str| {
                out.iter()
                    .flat_map(|f| f.samples())
                    .find(|s| s.name == n)
                    .map(|s| s.value)
            };
            assert!(get("process_resident_memory_bytes").unwrap() > 0.0);
            assert!(get("process_virtual_memory_bytes").unwrap() > 0.0);
            assert!(get("process_open_fds").unwrap() >= 3.0);
            assert!(get("process_max_fds").unwrap() >= get("process_open_fds").unwrap());
            assert!(get("process_cpu_seconds_total").unwrap() >= 0.0);
            let start = get("process_start_time_seconds").unwrap();
            assert!(start > 1.6e9 && start <= crate::time::unix_now());
        }

        #[test]
        fn missing_process_yields_nothing() {
            let mut out = Vec::new();
            ProcessCollector::for_pid(i32::MAX).collect(&mut out);
            assert!(out.is_empty());
        }
    }
}
