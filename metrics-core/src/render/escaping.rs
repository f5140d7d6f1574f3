//! The name-escaping schemes of the exposition formats (Prometheus 3): how
//! a metric or label name outside the legacy character set is written for
//! a scraper. A legacy-valid name is written as it is by every scheme, so
//! such names cost nothing here.
//!
//! The rules are client_golang's (`model.EscapeName`, applied by
//! `model.EscapeMetricFamily`: the family name is escaped and the sample
//! suffixes appended) and client_python's
//! (`openmetrics.exposition.escape_metric_name` / `escape_label_name`), whose
//! test cases `tests` ports.

use std::fmt::{self, Write};

use promscribe_rules::{is_legacy_label_charset, is_valid_legacy_metric_name};

/// How names outside the legacy character set (`[a-zA-Z_:][a-zA-Z0-9_:]*`
/// for metric names, `[a-zA-Z_][a-zA-Z0-9_]*` for label names) are written,
/// as the exposition spec and client_golang name the schemes. A scraper
/// asks for one with the `escaping=` parameter of its `Accept` header;
/// [`Underscores`](EscapingScheme::Underscores) is the default, for
/// scrapers that do not ask (Prometheus before 3.0). Legacy-valid names are
/// written as they are by every scheme.
///
/// ```
/// use promscribe::{encode_families, EncodeOptions, EscapingScheme, Format, MetricFamily, MetricType};
/// let mut f = MetricFamily::new("my.metric", "Help", MetricType::Gauge);
/// f.push("", vec![("my.label".into(), "x".into())], 1.0).unwrap();
/// let write = |scheme| {
///     let mut out = String::new();
///     let options = EncodeOptions::default().escaping(scheme);
///     encode_families(&mut out, &[f.clone()], Format::Text, &options).unwrap();
///     out.lines().last().unwrap().to_owned()
/// };
/// assert_eq!(write(EscapingScheme::AllowUtf8), r#"{"my.metric","my.label"="x"} 1.0"#);
/// assert_eq!(write(EscapingScheme::Underscores), r#"my_metric{my_label="x"} 1.0"#);
/// assert_eq!(write(EscapingScheme::Dots), r#"my_dot_metric{my_dot_label="x"} 1.0"#);
/// assert_eq!(write(EscapingScheme::Values), r#"U__my_2e_metric{U__my_2e_label="x"} 1.0"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EscapingScheme {
    /// `allow-utf-8`: names are written as they are, in double quotes
    /// (`{"my.metric",label="x"}`, `# TYPE "my.metric" gauge`) when they
    /// are not legacy-valid.
    AllowUtf8,
    /// `underscores`: every character a legacy name cannot hold becomes `_`
    /// (`my.metric` -> `my_metric`). The default.
    #[default]
    Underscores,
    /// `dots`: `.` becomes `_dot_`, `_` becomes `__`, any other character a
    /// legacy name cannot hold `__` (`my.metric_x` -> `my_dot_metric__x`).
    Dots,
    /// `values`: a `U__` prefix, `_` doubled, any other character a legacy
    /// name cannot hold written as `_<hex code point>_` (`my.metric` ->
    /// `U__my_2e_metric`): the original can be read back.
    Values,
}

impl EscapingScheme {
    /// The four schemes.
    ///
    /// ```
    /// assert_eq!(promscribe::EscapingScheme::ALL.len(), 4);
    /// ```
    pub const ALL: [EscapingScheme; 4] = [
        EscapingScheme::AllowUtf8,
        EscapingScheme::Underscores,
        EscapingScheme::Dots,
        EscapingScheme::Values,
    ];

    /// The scheme's name in the `escaping=` parameter of a media type.
    ///
    /// ```
    /// assert_eq!(promscribe::EscapingScheme::AllowUtf8.as_str(), "allow-utf-8");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            EscapingScheme::AllowUtf8 => "allow-utf-8",
            EscapingScheme::Underscores => "underscores",
            EscapingScheme::Dots => "dots",
            EscapingScheme::Values => "values",
        }
    }

    /// The scheme an `escaping=` parameter names (exactly, as client_golang
    /// compares it); `None` for any other text.
    ///
    /// ```
    /// use promscribe::EscapingScheme;
    /// assert_eq!(EscapingScheme::from_param("dots"), Some(EscapingScheme::Dots));
    /// assert_eq!(EscapingScheme::from_param("utf8"), None);
    /// ```
    pub fn from_param(param: &str) -> Option<EscapingScheme> {
        EscapingScheme::ALL
            .into_iter()
            .find(|s| s.as_str() == param)
    }

    /// `name` as a metric name written with this scheme: unchanged when it
    /// is legacy-valid; else quoted (`allow-utf-8`, with `\`, `"` and
    /// newlines escaped) or escaped.
    ///
    /// ```
    /// use promscribe::EscapingScheme;
    /// assert_eq!(EscapingScheme::AllowUtf8.metric_name("my.metric"), "\"my.metric\"");
    /// assert_eq!(EscapingScheme::Values.metric_name("ok_name"), "ok_name");
    /// ```
    pub fn metric_name(self, name: &str) -> String {
        let mut s = String::new();
        // Writing into a `String` cannot fail.
        let _ = write_metric_name(&mut s, name, self);
        s
    }

    /// `name` as a label name written with this scheme (see
    /// [`metric_name`](Self::metric_name); `:` is not a legacy label
    /// character).
    ///
    /// ```
    /// use promscribe::EscapingScheme;
    /// assert_eq!(EscapingScheme::Underscores.label_name("a:b"), "a_b");
    /// assert_eq!(EscapingScheme::AllowUtf8.label_name("a:b"), "\"a:b\"");
    /// ```
    pub fn label_name(self, name: &str) -> String {
        let mut s = String::new();
        let _ = write_label_name(&mut s, name, self);
        s
    }
}

impl std::fmt::Display for EscapingScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `c` at character index `i` may stay in an escaped name.
fn legacy_rune(c: char, i: usize, colon: bool) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (colon && c == ':') || (c.is_ascii_digit() && i > 0)
}

/// Writes `name` as a metric name (see [`EscapingScheme::metric_name`]).
pub(crate) fn write_metric_name<W: Write + ?Sized>(
    out: &mut W,
    name: &str,
    scheme: EscapingScheme,
) -> fmt::Result {
    if is_valid_legacy_metric_name(name) {
        return out.write_str(name);
    }
    write_escaped(out, name, scheme, true)
}

/// Writes `name` as a label name (see [`EscapingScheme::label_name`]).
pub(crate) fn write_label_name<W: Write + ?Sized>(
    out: &mut W,
    name: &str,
    scheme: EscapingScheme,
) -> fmt::Result {
    if is_legacy_label_charset(name) {
        return out.write_str(name);
    }
    write_escaped(out, name, scheme, false)
}

/// Writes the unit of a family whose name `scheme` escapes: each character
/// as it is within the escaped name (no `U__` prefix, no leading-digit
/// rule), so that the escaped unit stays a suffix of the escaped name, as
/// OpenMetrics requires (`room.temperature_°C` with unit `°C` is
/// `room_temperature__C` with unit `_C` with `underscores`).
pub(crate) fn write_unit<W: Write + ?Sized>(
    out: &mut W,
    unit: &str,
    scheme: EscapingScheme,
) -> fmt::Result {
    for c in unit.chars() {
        let legacy = legacy_rune(c, 1, true);
        match scheme {
            EscapingScheme::AllowUtf8 => out.write_char(c)?,
            EscapingScheme::Underscores => out.write_char(if legacy { c } else { '_' })?,
            EscapingScheme::Dots => match c {
                '_' => out.write_str("__")?,
                '.' => out.write_str("_dot_")?,
                c if legacy => out.write_char(c)?,
                _ => out.write_str("__")?,
            },
            EscapingScheme::Values => match c {
                '_' => out.write_str("__")?,
                c if legacy => out.write_char(c)?,
                c => write!(out, "_{:x}_", u32::from(c))?,
            },
        }
    }
    Ok(())
}

/// A name that is not legacy-valid, in `scheme`.
fn write_escaped<W: Write + ?Sized>(
    out: &mut W,
    name: &str,
    scheme: EscapingScheme,
    colon: bool,
) -> fmt::Result {
    if name.is_empty() {
        return Ok(());
    }
    match scheme {
        EscapingScheme::AllowUtf8 => {
            out.write_char('"')?;
            crate::render::float::write_label_value(out, name)?;
            out.write_char('"')
        }
        EscapingScheme::Underscores => {
            for (i, c) in name.chars().enumerate() {
                out.write_char(if legacy_rune(c, i, colon) { c } else { '_' })?;
            }
            Ok(())
        }
        EscapingScheme::Dots => {
            for (i, c) in name.chars().enumerate() {
                match c {
                    '_' => out.write_str("__")?,
                    '.' => out.write_str("_dot_")?,
                    c if legacy_rune(c, i, colon) => out.write_char(c)?,
                    _ => out.write_str("__")?,
                }
            }
            Ok(())
        }
        EscapingScheme::Values => {
            out.write_str("U__")?;
            for (i, c) in name.chars().enumerate() {
                match c {
                    '_' => out.write_str("__")?,
                    c if legacy_rune(c, i, colon) => out.write_char(c)?,
                    c => write!(out, "_{:x}_", u32::from(c))?,
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EscapingScheme::{self, *};

    /// client_golang's `TestEscapeName` (common/model/metric_test.go) and
    /// client_python's `test_escape_metric_name` cases: (input, underscores,
    /// dots, values). A legacy-valid name is left as it is by every scheme
    /// (client_golang escapes a family only when its name is not
    /// legacy-valid; Python's `dots` would also double the `_` of a legacy
    /// name).
    const METRIC_CASES: &[(&str, &str, &str, &str)] = &[
        ("", "", "", ""),
        (
            "no:escaping_required",
            "no:escaping_required",
            "no:escaping_required",
            "no:escaping_required",
        ),
        (
            "mysystem.prod.west.cpu.load",
            "mysystem_prod_west_cpu_load",
            "mysystem_dot_prod_dot_west_dot_cpu_dot_load",
            "U__mysystem_2e_prod_2e_west_2e_cpu_2e_load",
        ),
        (
            "mysystem.prod.west.cpu.load_total",
            "mysystem_prod_west_cpu_load_total",
            "mysystem_dot_prod_dot_west_dot_cpu_dot_load__total",
            "U__mysystem_2e_prod_2e_west_2e_cpu_2e_load__total",
        ),
        (
            "http.status:sum",
            "http_status:sum",
            "http_dot_status:sum",
            "U__http_2e_status:sum",
        ),
        (
            "label with 😱",
            "label_with__",
            "label__with____",
            "U__label_20_with_20__1f631_",
        ),
        (
            "label with \u{00b5}nicode",
            "label_with__nicode",
            "label__with____nicode",
            "U__label_20_with_20__b5_nicode",
        ),
        ("花火", "__", "____", "U___82b1__706b_"),
        (
            "label with \u{0100}",
            "label_with__",
            "label__with____",
            "U__label_20_with_20__100_",
        ),
        ("1234", "_234", "__234", "U___31_234"),
        (
            "semi;colon",
            "semi_colon",
            "semi__colon",
            "U__semi_3b_colon",
        ),
        ("\"quoted\"", "_quoted_", "__quoted__", "U___22_quoted_22_"),
    ];

    fn metric(s: EscapingScheme, n: &str) -> String {
        s.metric_name(n)
    }

    #[test]
    fn metric_names_follow_client_golang() {
        for (input, under, dots, values) in METRIC_CASES {
            assert_eq!(metric(Underscores, input), *under, "{input}");
            assert_eq!(metric(Dots, input), *dots, "{input}");
            assert_eq!(metric(Values, input), *values, "{input}");
        }
    }

    #[test]
    fn allow_utf8_quotes_only_what_needs_it() {
        assert_eq!(metric(AllowUtf8, "http_requests"), "http_requests");
        assert_eq!(metric(AllowUtf8, "my.metric"), "\"my.metric\"");
        assert_eq!(metric(AllowUtf8, "a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(EscapingScheme::AllowUtf8.label_name("le"), "le");
        assert_eq!(EscapingScheme::AllowUtf8.label_name("ns:x"), "\"ns:x\"");
    }

    #[test]
    fn label_names_do_not_keep_colons() {
        // Python's `escape_label_name` (client_golang checks label names
        // against the metric-name rule, which would leave `a:b` unquoted,
        // a label name Prometheus' legacy parsers refuse).
        assert_eq!(Underscores.label_name("a:b"), "a_b");
        assert_eq!(Dots.label_name("a:b.c"), "a__b_dot_c");
        assert_eq!(Values.label_name("a:b"), "U__a_3a_b");
        assert_eq!(Underscores.label_name("a_b"), "a_b");
    }

    #[test]
    fn escaped_units_stay_suffixes_of_escaped_names() {
        for (name, unit) in [
            ("room.temperature_°C", "°C"),
            ("disk.io_kilo_bytes", "kilo_bytes"),
            ("x.y_9s", "9s"),
            ("a.b_seconds", "seconds"),
        ] {
            for scheme in [Underscores, Dots, Values] {
                let mut u = String::new();
                super::write_unit(&mut u, unit, scheme).unwrap();
                let n = scheme.metric_name(name);
                assert!(n.ends_with(&format!("_{u}")), "{scheme}: {n} / {u}");
            }
        }
    }

    #[test]
    fn params_round_trip() {
        for s in EscapingScheme::ALL {
            assert_eq!(EscapingScheme::from_param(s.as_str()), Some(s));
        }
        assert_eq!(EscapingScheme::from_param("Allow-UTF-8"), None);
        assert_eq!(EscapingScheme::default(), Underscores);
    }
}
