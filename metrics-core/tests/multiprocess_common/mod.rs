//! What the multiprocess tests share: Python run on a directory (its
//! collector, or a script writing files), families in one comparable
//! form, the files of a directory, and a subscriber that keeps what is
//! logged. Each test binary that records metrics turns multiprocess mode
//! on (or not) for its whole process.
#![allow(dead_code)] // each test target uses some of it

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use promscribe::multiprocess::MultiProcessCollector;
use promscribe::{Collector, MetricFamily};

/// Runs `script` with `python3`, the arguments after it, with
/// `PROMETHEUS_MULTIPROC_DIR` set to `env_dir` (and unset without one);
/// its standard output. Panics (fails the test, never skips) if Python
/// or prometheus_client is missing, or the script fails.
pub(crate) fn python(script: &str, args: &[&str], env_dir: Option<&Path>) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).args(args);
    cmd.env_remove("PROMETHEUS_MULTIPROC_DIR")
        .env_remove("prometheus_multiproc_dir");
    if let Some(dir) = env_dir {
        cmd.env("PROMETHEUS_MULTIPROC_DIR", dir);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed for this test and could not run: {e}"));
    assert!(
        out.status.success(),
        "python3 failed (is prometheus_client 0.26 installed?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("Python's output is UTF-8")
}

/// A path as an argument of [`python`].
pub(crate) fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Python's `MultiProcessCollector` on `sys.argv[1]`: a line per family
/// (`F name type help`) and per sample (`S family name labels value`),
/// tab separated, labels as `k=v` joined by `,`.
pub(crate) const PY_COLLECT: &str = r#"
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

/// What Python's collector makes of `dir`, in the comparable form.
/// Panics (fails the test, never skips) when python3 or
/// prometheus_client is missing.
pub(crate) fn python_collect(dir: &Path) -> Families {
    parse_python(&python(PY_COLLECT, &[utf8(dir)], None))
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

/// The output of [`PY_COLLECT`] in the comparable form.
pub(crate) fn parse_python(out: &str) -> Families {
    let mut families = Families::new();
    for line in out.lines() {
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

/// Our families in the comparable form, without `_created` samples
/// (which the files never hold), and without the `pid` label (which
/// `all` gauges gain in the files) when `drop_pid`.
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
        assert!(old.is_none(), "we yield {} twice", f.name);
    }
    out
}

/// What our `MultiProcessCollector` makes of `dir`.
pub(crate) fn collect(dir: &Path) -> Vec<MetricFamily> {
    let mut families = Vec::new();
    MultiProcessCollector::new(dir).collect(&mut families);
    families
}

/// What our `MultiProcessCollector` makes of `dir`, and the warnings and
/// errors it logged (on this thread).
pub(crate) fn collect_logged(dir: &Path) -> (Vec<MetricFamily>, Vec<String>) {
    Logged::during(|| collect(dir))
}

/// The value of one sample of `families` (not `_created`).
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
/// subscriber: of the whole process ([`install`](Self::install)), or of
/// this thread for one call ([`during`](Self::during)).
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

    /// Runs `f` with a new one as this thread's subscriber; what `f`
    /// returned, and the messages logged meanwhile.
    pub(crate) fn during<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
        let logged = Arc::new(Logged::default());
        let r = tracing::subscriber::with_default(Arc::clone(&logged), f);
        (r, logged.all())
    }

    /// Every message logged so far.
    pub(crate) fn all(&self) -> Vec<String> {
        self.0.lock().expect("not poisoned").clone()
    }

    /// The messages logged so far that contain `text`.
    pub(crate) fn containing(&self, text: &str) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|m| m.contains(text))
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
