//! What the tests of the metric types in multiprocess mode share: Python's
//! collector, the families in one comparable form, and a subscriber that
//! keeps the warnings. Each test binary turns multiprocess mode on (or
//! not) for its whole process.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use promscribe::multiprocess::MultiProcessCollector;
use promscribe::{Collector, MetricFamily};

/// Python's `MultiProcessCollector` on `sys.argv[1]`: a line per family
/// (`F name type help`) and per sample (`S family name labels value`),
/// tab separated, labels as `k=v` joined by `,`.
const PY_COLLECT: &str = r#"
import sys
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
r = CollectorRegistry()
MultiProcessCollector(r, path=sys.argv[1])
for m in r.collect():
    print('F\t%s\t%s\t%s' % (m.name, m.type, m.documentation))
    for s in m.samples:
        labels = ','.join('%s=%s' % kv for kv in sorted(s.labels.items()))
        print('S\t%s\t%s\t%s\t%r' % (m.name, s.name, labels, s.value))
"#;

/// Families: name to (type, help, (sample name, labels) to value).
pub(crate) type Families = BTreeMap<String, (String, String, BTreeMap<(String, String), f64>)>;

/// Runs Python's collector over `dir`. Panics (fails the test) when
/// python3 or prometheus_client is missing: never skips.
pub(crate) fn python_collect(dir: &Path) -> Families {
    let out = Command::new("python3")
        .arg("-c")
        .arg(PY_COLLECT)
        .arg(dir)
        .env_remove("PROMETHEUS_MULTIPROC_DIR")
        .env_remove("prometheus_multiproc_dir")
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed for this test and could not run: {e}"));
    assert!(
        out.status.success(),
        "python3 failed (is prometheus_client 0.26 installed?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("Python's output is UTF-8");
    let mut families = Families::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split('\t').collect();
        match parts.as_slice() {
            ["F", name, kind, help] => {
                let old = families.insert(
                    (*name).to_owned(),
                    ((*kind).to_owned(), (*help).to_owned(), BTreeMap::new()),
                );
                assert!(old.is_none(), "Python yields {name} twice");
            }
            ["S", family, name, labels, value] => {
                let pairs = labels
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(|p| p.split_once('=').expect("k=v"));
                let key = ((*name).to_owned(), canonical_labels(pairs));
                let value: f64 = value.parse().expect("a float");
                let samples = &mut families.get_mut(*family).expect("family first").2;
                assert!(samples.insert(key, value).is_none(), "{line} twice");
            }
            _ => panic!("unexpected line from Python: {line:?}"),
        }
    }
    families
}

/// Labels in one canonical text: sorted, `le` as a number.
pub(crate) fn canonical_labels<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(String, String)> = pairs
        .map(|(k, v)| {
            let v = if k == "le" {
                let le: f64 = match v {
                    "+Inf" => f64::INFINITY,
                    _ => v.parse().expect("a numeric le"),
                };
                format!("{le:?}")
            } else {
                v.to_owned()
            };
            (k.to_owned(), v)
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Our families in the comparable form, without `_created` samples, and
/// without the `pid` label (which `all` gauges gain in the files) when
/// `drop_pid`.
pub(crate) fn comparable(families: &[MetricFamily], drop_pid: bool) -> Families {
    let mut out = Families::new();
    for f in families {
        let mut samples = BTreeMap::new();
        for s in f.samples_with(false) {
            let labels = canonical_labels(
                s.labels
                    .iter()
                    .filter(|(k, _)| !(drop_pid && k == "pid"))
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
            let key = (s.name.clone(), labels);
            assert!(
                samples.insert(key, s.value).is_none(),
                "{} twice in {}",
                s.name,
                f.name
            );
        }
        let old = out.insert(
            f.name.clone(),
            (f.kind.as_str().to_owned(), f.help.clone(), samples),
        );
        assert!(old.is_none(), "{} twice", f.name);
    }
    out
}

/// What our `MultiProcessCollector` makes of `dir`.
pub(crate) fn collect(dir: &Path) -> Vec<MetricFamily> {
    let mut families = Vec::new();
    MultiProcessCollector::new(dir).collect(&mut families);
    families
}

/// The value of one sample of `families`.
pub(crate) fn value(
    families: &[MetricFamily],
    sample: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    families
        .iter()
        .flat_map(|f| f.samples_with(false))
        .find(|s| {
            s.name == sample
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(k2, v2)| k2 == k && v2 == v))
        })
        .map(|s| s.value)
}

/// The `*.db` files of `dir` a collector reads (hidden ones left out),
/// by name.
pub(crate) fn db_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a readable directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".db") && !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Keeps the message of every warning and error logged while it is the
/// global subscriber.
#[derive(Default)]
pub(crate) struct Logged(Mutex<Vec<String>>);

impl Logged {
    /// Installs a new one as the process's subscriber.
    pub(crate) fn install() -> Arc<Logged> {
        let logged = Arc::new(Logged::default());
        tracing::subscriber::set_global_default(Arc::clone(&logged))
            .expect("the first subscriber of this test binary");
        logged
    }

    /// The messages logged so far that contain `text`.
    pub(crate) fn containing(&self, text: &str) -> Vec<String> {
        self.0
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|m| m.contains(text))
            .cloned()
            .collect()
    }
}

impl tracing::Subscriber for Logged {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, e: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0.push_str(&format!("{v:?}"));
                }
            }
        }
        if *e.metadata().level() <= tracing::Level::WARN {
            let mut m = Message(String::new());
            e.record(&mut m);
            self.0.lock().expect("not poisoned").push(m.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
