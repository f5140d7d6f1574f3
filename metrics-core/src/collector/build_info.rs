//! Build information of the application: one info metric,
//! `<namespace>_build_info`, the way Go's `go_build_info` and Python's
//! `python_info` are.

use promscribe_rules::{Kind, NameParts};

use crate::collector::Collector;
use crate::error::MetricError;
use crate::model::{Descriptor, MetricFamily, MetricType};

/// The version of the rustc that compiled this build (`1.95.0`), read by
/// promscribe's build script from `$RUSTC -V`; `unknown` when it could
/// not be read. Every crate of one build is compiled by the same rustc, so
/// it is the application's.
///
/// ```
/// assert!(promscribe::RUSTC_VERSION.starts_with("1."));
/// ```
pub const RUSTC_VERSION: &str = env!("PROMSCRIBE_RUSTC_VERSION");

/// The target triple this build is compiled for (`x86_64-unknown-linux-gnu`),
/// Cargo's `TARGET` as promscribe's build script sees it.
///
/// ```
/// assert!(promscribe::TARGET.contains('-'));
/// ```
pub const TARGET: &str = env!("PROMSCRIBE_TARGET");

/// An opt-in collector exposing the application's build as one info
/// metric, value 1:
///
/// ```text
/// # TYPE myapp_build_info gauge
/// myapp_build_info{name="myapp",version="1.4.2",revision="3f2c1d0",rustc_version="1.95.0",target="x86_64-unknown-linux-gnu"} 1
/// ```
///
/// Build it with [`build_info!`](crate::build_info!), which reads the
/// package name and version of the crate that calls it (yours, not
/// promscribe's), or with [`BuildInfo::new`]. `rustc_version` and `target`
/// are [`RUSTC_VERSION`] and [`TARGET`]; `revision` is only there when the
/// build gives one (see [`build_info!`](crate::build_info!)).
///
/// Its use is the join that copies the version onto another series, e.g.
/// the error ratio by deployed version:
///
/// ```text
/// rate(http_requests_total{code=~"5.."}[5m])
///   * on (instance, job) group_left(version) myapp_build_info
/// ```
///
/// ```
/// use std::sync::Arc;
/// use promscribe::{BuildInfo, Registry};
///
/// let registry = Registry::new();
/// let info = BuildInfo::new("myapp", "myapp", "1.4.2")?.revision(Some("3f2c1d0"));
/// registry.register(Arc::new(info))?;
/// let labels = [
///     ("name", "myapp"),
///     ("version", "1.4.2"),
///     ("revision", "3f2c1d0"),
///     ("rustc_version", promscribe::RUSTC_VERSION),
///     ("target", promscribe::TARGET),
/// ];
/// assert_eq!(registry.get_sample_value("myapp_build_info", &labels), Some(1.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BuildInfo {
    /// The family name, without `_info`.
    family: String,
    name: String,
    version: String,
    revision: Option<String>,
}

impl BuildInfo {
    /// The build of application `name`, version `version`, exposed as
    /// `<namespace>_build_info` (`build_info` for an empty namespace).
    ///
    /// The namespace must keep to the legacy name characters
    /// (`[a-zA-Z0-9_:]`, no leading digit), so that the PromQL join can
    /// name the metric without quoting it; anything else is an error
    /// naming the namespace. A crate name (`my-app`) becomes one with its
    /// `-` replaced by `_`, as [`build_info!`](crate::build_info!) does.
    ///
    /// ```
    /// use promscribe::BuildInfo;
    /// let info = BuildInfo::new("myapp", "myapp", "1.4.2").unwrap();
    /// assert_eq!(info.metric_name(), "myapp_build_info");
    /// let err = BuildInfo::new("my-app", "my-app", "1.4.2").unwrap_err();
    /// assert!(err.to_string().contains("my-app"), "{err}");
    /// ```
    pub fn new(namespace: &str, name: &str, version: &str) -> Result<BuildInfo, MetricError> {
        let parts = NameParts {
            namespace,
            name: "build",
            ..NameParts::default()
        };
        let family = promscribe_rules::legacy_full_name(Kind::Info, &parts)?;
        Ok(BuildInfo {
            family,
            name: name.to_owned(),
            version: version.to_owned(),
            revision: None,
        })
    }

    /// Sets the VCS revision (a commit hash, a tag); `None` or an empty
    /// string leaves the `revision` label out.
    ///
    /// ```
    /// use promscribe::BuildInfo;
    /// let info = BuildInfo::new("myapp", "myapp", "1.0.0").unwrap();
    /// assert_eq!(info.clone().revision(Some("3f2c1d0")).revision_label(), Some("3f2c1d0"));
    /// assert_eq!(info.revision(Some("")).revision_label(), None);
    /// ```
    pub fn revision(mut self, revision: Option<&str>) -> BuildInfo {
        self.revision = revision.filter(|r| !r.is_empty()).map(str::to_owned);
        self
    }

    /// The revision exposed, if any.
    ///
    /// ```
    /// let info = promscribe::BuildInfo::new("myapp", "myapp", "1.0.0").unwrap();
    /// assert_eq!(info.revision_label(), None);
    /// ```
    pub fn revision_label(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    /// The exposed metric's name, `<namespace>_build_info`.
    ///
    /// ```
    /// let info = promscribe::BuildInfo::new("", "myapp", "1.0.0").unwrap();
    /// assert_eq!(info.metric_name(), "build_info");
    /// ```
    pub fn metric_name(&self) -> String {
        format!("{}_info", self.family)
    }

    /// The labels, in exposition order: `name`, `version`, `revision`
    /// (when set), `rustc_version`, `target`.
    ///
    /// ```
    /// let info = promscribe::BuildInfo::new("myapp", "myapp", "1.0.0").unwrap();
    /// assert_eq!(info.labels()[1], ("version", "1.0.0"));
    /// ```
    pub fn labels(&self) -> Vec<(&'static str, &str)> {
        let mut labels = vec![("name", self.name.as_str()), ("version", &self.version)];
        if let Some(r) = &self.revision {
            labels.push(("revision", r));
        }
        labels.push(("rustc_version", RUSTC_VERSION));
        labels.push(("target", TARGET));
        labels
    }
}

impl Collector for BuildInfo {
    fn collect(&self, out: &mut Vec<MetricFamily>) {
        let mut f = MetricFamily::new(
            self.family.clone(),
            "Build information of the application: name, version, VCS revision, rustc version and target.",
            MetricType::Info,
        );
        let labels = self
            .labels()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        // An info family's own suffix, distinct label names: never refused.
        let _ = f.push("_info", labels, 1.0);
        out.push(f);
    }

    fn describe(&self) -> Vec<Descriptor> {
        vec![Descriptor {
            name: self.family.clone(),
            kind: MetricType::Info,
        }]
    }
}

/// A [`BuildInfo`] of the crate that calls it, as a
/// `Result<BuildInfo, MetricError>`: its package name and version
/// (`CARGO_PKG_NAME`, `CARGO_PKG_VERSION`, read where the macro is
/// expanded), exposed as `<namespace>_build_info`, the namespace being the
/// crate's name (`CARGO_CRATE_NAME`: the binary's name for a binary, `-`
/// replaced by `_`) or the one given.
///
/// The revision is the first non-empty one of these variables, read when
/// the calling crate is compiled (set by its build script with
/// `cargo:rustc-env=...`, or in the environment of `cargo build`):
/// `VERGEN_GIT_SHA` (what the `vergen` crates set), then `GIT_HASH`.
/// Without either, the `revision` label is left out. For example:
///
/// ```text
/// GIT_HASH=$(git rev-parse --short HEAD) cargo build --release
/// ```
///
/// ```
/// use std::sync::Arc;
/// let registry = promscribe::Registry::new();
/// // `<crate name>_build_info`, or with a namespace of your own:
/// let info = promscribe::build_info!("myapp")?;
/// registry.register(Arc::new(info))?;
/// let text = promscribe::encode_text(&registry);
/// assert!(text.contains("myapp_build_info{name=\""), "{text}");
/// assert!(promscribe::build_info!().is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! build_info {
    () => {
        $crate::build_info!(::core::env!("CARGO_CRATE_NAME"))
    };
    ($namespace:expr) => {
        $crate::BuildInfo::new(
            $namespace,
            ::core::env!("CARGO_PKG_NAME"),
            ::core::env!("CARGO_PKG_VERSION"),
        )
        .map(|info| {
            let revision = match ::core::option_env!("VERGEN_GIT_SHA") {
                ::core::option::Option::Some(r) if !r.is_empty() => ::core::option::Option::Some(r),
                _ => ::core::option_env!("GIT_HASH"),
            };
            info.revision(revision)
        })
    };
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{MetricError, Registry};

    #[test]
    fn one_info_sample_with_every_label() {
        let info = BuildInfo::new("svc", "svc-bin", "2.0.1")
            .unwrap()
            .revision(Some("abc123"));
        let mut out = Vec::new();
        info.collect(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, MetricType::Info);
        let samples = out[0].samples();
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].name, "svc_build_info");
        assert_eq!(samples[0].value, 1.0);
        let labels: Vec<(&str, &str)> = samples[0]
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            labels,
            [
                ("name", "svc-bin"),
                ("version", "2.0.1"),
                ("revision", "abc123"),
                ("rustc_version", RUSTC_VERSION),
                ("target", TARGET),
            ]
        );
    }

    #[test]
    fn build_time_values_are_read() {
        // `1.95.0` or `1.97.0-nightly`: a version, not the fallback.
        let numeric = RUSTC_VERSION
            .split(['.', '-'])
            .take(3)
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        assert!(numeric, "{RUSTC_VERSION}");
        assert_ne!(TARGET, "unknown");
        assert!(TARGET.starts_with(std::env::consts::ARCH), "{TARGET}");
    }

    #[test]
    fn bad_namespaces_are_errors_naming_them() {
        for bad in ["my-app", "0app", "my app", "é"] {
            let err = BuildInfo::new(bad, "x", "1").unwrap_err();
            assert!(
                matches!(&err, MetricError::InvalidNamePart { part: "namespace", value, .. } if value == bad),
                "{bad}: {err:?}"
            );
            assert!(err.to_string().contains(bad), "{err}");
        }
        assert_eq!(
            BuildInfo::new("a:b_9", "x", "1").unwrap().metric_name(),
            "a:b_9_build_info"
        );
    }

    #[test]
    fn registered_twice_is_a_clash() {
        let r = Registry::new();
        r.register(Arc::new(BuildInfo::new("app", "a", "1").unwrap()))
            .unwrap();
        assert!(r
            .register(Arc::new(BuildInfo::new("app", "b", "2").unwrap()))
            .is_err());
        assert!(r
            .register(Arc::new(BuildInfo::new("other", "b", "2").unwrap()))
            .is_ok());
    }

    #[test]
    fn the_macro_reads_the_calling_crate() {
        // Called from this crate's tests: this crate's name and version.
        let info = crate::build_info!().unwrap();
        assert_eq!(info.metric_name(), "promscribe_build_info");
        assert_eq!(info.labels()[0], ("name", "promscribe"));
        assert_eq!(info.labels()[1], ("version", env!("CARGO_PKG_VERSION")));
    }
}
