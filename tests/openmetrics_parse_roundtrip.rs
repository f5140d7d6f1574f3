//! Round trips through both parsers: families of every type, generated
//! deterministically with hostile label values, help texts and numbers,
//! and hostile UTF-8 metric and label names (quoted with `allow-utf-8`),
//! are encoded (OpenMetrics and text 0.0.4) and parsed back to the same
//! typed model; the other escaping schemes give legacy names both parsers
//! read; and garbage or mutated bodies never make the parsers panic.

use std::sync::Arc;

use fastrand::Rng;
use promscribe::{
    encode_families, is_valid_legacy_label_name, is_valid_legacy_metric_name, parse_openmetrics,
    parse_text, Bounds, CounterPoint, EncodeOptions, EscapingScheme, Exemplar, Format,
    HistogramPoint, LabelSet, Metric, MetricFamily, MetricType, Point, SummaryPoint, Timestamp,
};

/// Label values and help texts that break naive encoders and parsers.
const HOSTILE: &[&str] = &[
    "",
    "\"",
    "\\",
    "\n",
    "\\n",
    "\\\"",
    "é",
    "日本語",
    "🦀",
    " # {",
    "}",
    "{",
    "a,b=\"c\"",
    "le",
    "+Inf",
    "\0",
    "\t",
    "x y",
    "#",
    " ",
    "=",
    "\\\\",
    "\"\"",
    "EOF",
    "# EOF",
];

const LABEL_NAMES: &[&str] = &[
    "path", "method", "code", "_x", "a1", "Le", "zone", "trace_id",
];

/// UTF-8 label names (Prometheus 3) that break naive encoders and parsers.
const UTF8_LABEL_NAMES: &[&str] = &[
    "http.method",
    "é",
    "a b",
    "x\"y",
    "back\\slash",
    "new\nline",
    "🦀",
    "{",
    "=",
    ",",
    "#",
    "9lives",
    "a:b",
    "le.x",
];

/// Pieces of UTF-8 metric names.
const UTF8_NAME_PIECES: &[&str] = &[
    ".", "é", " ", "\"", "\\", "\n", "🦀", "{", "}", ",", "=", "#", "-", "日本",
];

fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

fn hostile(rng: &mut Rng) -> String {
    (0..rng.usize(0..4)).map(|_| pick(rng, HOSTILE)).collect()
}

/// Distinct label names (in a random order), none of `reserved`.
fn label_names(rng: &mut Rng, reserved: &str) -> Vec<&'static str> {
    label_names_from(rng, reserved, LABEL_NAMES)
}

fn label_names_from(rng: &mut Rng, reserved: &str, from: &[&'static str]) -> Vec<&'static str> {
    let mut names: Vec<&str> = from.iter().copied().filter(|n| *n != reserved).collect();
    rng.shuffle(&mut names);
    names.truncate(rng.usize(0..4));
    names
}

fn any_value(rng: &mut Rng) -> f64 {
    match rng.usize(0..10) {
        0 => f64::NAN,
        1 => f64::NEG_INFINITY,
        2 => f64::INFINITY,
        3 => -0.0,
        4 => -(rng.f64() * 1e6),
        5 => 1e-300 * rng.f64(),
        6 => 1.7976931348623157e308 * rng.f64(),
        _ => non_negative(rng),
    }
}

fn non_negative(rng: &mut Rng) -> f64 {
    match rng.usize(0..4) {
        0 => 0.0,
        1 => f64::from(rng.u32(..)),
        2 => rng.f64() * 10f64.powi(rng.i32(-20..20)),
        _ => (rng.f64() * 1e6).round() / 8.0,
    }
}

fn count(rng: &mut Rng) -> f64 {
    f64::from(rng.u32(0..1000))
}

fn maybe<T>(rng: &mut Rng, f: impl FnOnce(&mut Rng) -> T) -> Option<T> {
    rng.bool().then(|| f(rng))
}

fn timestamp_s(rng: &mut Rng) -> f64 {
    1.7e9 + (rng.f64() * 1e6).round() / 1000.0
}

/// An exemplar whose value is at most `max`, labels sorted by name (as
/// the encoder writes them), at most 128 characters.
fn exemplar(rng: &mut Rng, max: f64) -> Arc<Exemplar> {
    let mut names = label_names(rng, "");
    names.sort_unstable();
    let mut labels = Vec::new();
    let mut chars = 0;
    for n in names {
        let v = hostile(rng);
        chars += n.chars().count() + v.chars().count();
        if chars > 128 {
            break;
        }
        labels.push((n.to_owned(), v));
    }
    let value = if max.is_finite() {
        max - rng.f64() * 10.0
    } else {
        any_value(rng)
    };
    Arc::new(Exemplar {
        labels,
        value: if value.is_nan() { 0.5 } else { value },
        timestamp: maybe(rng, timestamp_s),
    })
}

fn histogram(rng: &mut Rng, gauge: bool, text: bool) -> HistogramPoint {
    let negative = rng.usize(0..4) == 0;
    let mut bounds: Vec<f64> = (0..rng.usize(0..6))
        .map(|_| {
            let b = (rng.f64() * 100.0).round() / 4.0;
            if negative {
                b - 20.0
            } else {
                b
            }
        })
        .collect();
    if negative {
        bounds.push(-20.5);
    }
    bounds.sort_by(f64::total_cmp);
    bounds.dedup();
    bounds.push(f64::INFINITY);
    let mut total = 0.0;
    let counts: Vec<f64> = bounds
        .iter()
        .map(|_| {
            total += count(rng);
            total
        })
        .collect();
    let (count, sum) = if text && gauge || rng.bool() {
        let sum = if negative && !gauge {
            None
        } else if negative {
            Some(-non_negative(rng))
        } else {
            Some(non_negative(rng))
        };
        (sum.map(|_| total), sum)
    } else {
        (None, None)
    };
    let mut exemplars: Vec<_> = if !text && rng.bool() {
        bounds
            .iter()
            .map(|b| maybe(rng, |r| exemplar(r, *b)))
            .collect()
    } else {
        Vec::new()
    };
    // No exemplar at all is an empty list.
    if exemplars.iter().all(Option::is_none) {
        exemplars.clear();
    }
    HistogramPoint {
        bounds: Bounds::from(bounds),
        counts,
        count,
        sum,
        created: if gauge { None } else { maybe(rng, timestamp_s) },
        exemplars,
        native: None,
    }
}

fn point(rng: &mut Rng, kind: MetricType, family: &str, text: bool) -> Point {
    match kind {
        MetricType::Counter => Point::Counter(CounterPoint {
            value: if rng.usize(0..8) == 0 {
                f64::INFINITY
            } else {
                non_negative(rng)
            },
            created: maybe(rng, timestamp_s),
            exemplar: if text {
                None
            } else {
                maybe(rng, |r| exemplar(r, f64::INFINITY))
            },
        }),
        MetricType::Gauge => Point::Gauge(any_value(rng)),
        MetricType::Unknown => Point::Unknown(any_value(rng)),
        MetricType::Histogram => Point::Histogram(histogram(rng, false, text)),
        MetricType::GaugeHistogram => Point::GaugeHistogram(histogram(rng, true, text)),
        MetricType::Summary => {
            let mut qs = vec![0.0, 0.5, 0.9, 0.99, 1.0, rng.f64()];
            rng.shuffle(&mut qs);
            qs.truncate(rng.usize(0..4));
            let value = |r: &mut Rng| {
                if r.usize(0..5) == 0 {
                    f64::NAN
                } else {
                    non_negative(r)
                }
            };
            // A point with no sample at all would not be written.
            let with_count = qs.is_empty() || rng.bool();
            Point::Summary(SummaryPoint {
                count: with_count.then(|| count(rng)),
                sum: with_count.then(|| non_negative(rng)),
                quantiles: qs.into_iter().map(|q| (q, value(rng))).collect(),
                created: maybe(rng, timestamp_s),
            })
        }
        MetricType::Info => Point::Info,
        MetricType::StateSet => {
            let mut states: Vec<String> = (0..rng.usize(1..4)).map(|_| hostile(rng)).collect();
            states.sort();
            states.dedup();
            let _ = family;
            Point::StateSet(states.into_iter().map(|s| (s, rng.bool())).collect())
        }
    }
}

const OM_KINDS: [MetricType; 8] = [
    MetricType::Counter,
    MetricType::Gauge,
    MetricType::Histogram,
    MetricType::GaugeHistogram,
    MetricType::Summary,
    MetricType::Info,
    MetricType::StateSet,
    MetricType::Unknown,
];

/// Families of every kind (`text`: only what the text format 0.0.4
/// carries: no info, state set, unit or exemplar; one point per metric).
fn families(rng: &mut Rng, text: bool) -> Vec<MetricFamily> {
    families_with(rng, text, false)
}

/// [`families`], with UTF-8 metric and label names when `utf8`.
fn families_with(rng: &mut Rng, text: bool, utf8: bool) -> Vec<MetricFamily> {
    let kinds: &[MetricType] = if text { &OM_KINDS[..5] } else { &OM_KINDS };
    let mut out = Vec::new();
    for (i, kind) in kinds.iter().copied().enumerate() {
        if rng.usize(0..6) == 0 {
            continue;
        }
        let mut name = format!("f{i}_{}", kind.as_str());
        if utf8 && rng.usize(0..4) != 0 {
            let pieces: String = (0..rng.usize(1..4))
                .map(|_| pick(rng, UTF8_NAME_PIECES))
                .collect();
            name = match rng.usize(0..3) {
                0 => format!("{pieces}f{i}_{}", kind.as_str()),
                1 => format!("f{i}{pieces}{}", kind.as_str()),
                _ => format!("f{i}_{}{pieces}", kind.as_str()),
            };
        }
        let mut unit = String::new();
        if !text && !matches!(kind, MetricType::Info | MetricType::StateSet) && rng.bool() {
            name.push_str("_seconds");
            unit = "seconds".to_owned();
        }
        let mut help = hostile(rng);
        if text {
            // The text format cannot carry a help's leading blanks.
            help = help.trim_start_matches([' ', '\t']).to_owned();
        }
        let mut family = MetricFamily::new(name.clone(), help, kind);
        family.unit = unit;
        let timestamps = rng.usize(0..3) == 0;
        // An empty gauge histogram reads back as a histogram in the text
        // format (nothing tells them apart).
        for m in 0..rng.usize(usize::from(text)..4) {
            let mut labels = vec![("id".to_owned(), m.to_string())];
            let names = if utf8 {
                let mut all: Vec<&'static str> = LABEL_NAMES.to_vec();
                all.extend_from_slice(UTF8_LABEL_NAMES);
                label_names_from(rng, &name, &all)
            } else {
                label_names(rng, &name)
            };
            for n in names {
                labels.push((n.to_owned(), hostile(rng)));
            }
            rng.shuffle(&mut labels);
            let labels = LabelSet::new(labels);
            let mut ms = rng.i64(-2_000_000_000_000..2_000_000_000_000);
            for _ in 0..if text || !timestamps {
                1
            } else {
                rng.usize(1..3)
            } {
                // OpenMetrics carries nanoseconds, the text format whole
                // milliseconds. The nanoseconds come from the milliseconds
                // (not the generator), so the cases stay those of a seed.
                let t = Timestamp::from_millis(ms);
                let sub_ms = if text { 0 } else { ms.rem_euclid(999_983) };
                let t = Timestamp::new(t.secs(), t.subsec_nanos() + sub_ms as u32)
                    .expect("below a second");
                family.metrics.push(Metric {
                    labels: labels.clone(),
                    point: point(rng, kind, &name, text),
                    timestamp: timestamps.then_some(t),
                });
                ms += rng.i64(1..1_000_000);
            }
        }
        out.push(family);
    }
    out
}

fn encode(families: &[MetricFamily], format: Format) -> String {
    encode_with(families, format, EscapingScheme::AllowUtf8)
}

fn encode_with(families: &[MetricFamily], format: Format, scheme: EscapingScheme) -> String {
    let mut out = String::new();
    encode_families(
        &mut out,
        families,
        format,
        &EncodeOptions::default().created(true).escaping(scheme),
    )
    .expect("writes to a String");
    out
}

/// Families compared through `Debug`, so that NaN equals NaN and `-0.0`
/// differs from `0.0`.
fn same(a: &[MetricFamily], b: &[MetricFamily]) -> bool {
    difference(a, b).is_none()
}

/// The first line where the `Debug` forms differ, with its neighbours.
fn difference(a: &[MetricFamily], b: &[MetricFamily]) -> Option<String> {
    let (a, b) = (format!("{a:#?}"), format!("{b:#?}"));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = (0..a.len().max(b.len())).find(|i| a.get(*i) != b.get(*i))?;
    let around = |l: &[&str]| l[i.saturating_sub(12).min(l.len())..(i + 3).min(l.len())].join("\n");
    Some(format!("got:\n{}\nexpected:\n{}", around(&a), around(&b)))
}

#[test]
fn openmetrics_round_trips_every_type() {
    let mut rng = Rng::with_seed(0x0e4d_e7a1);
    let mut seen = std::collections::HashSet::new();
    for case in 0..500 {
        let families = families(&mut rng, false);
        seen.extend(families.iter().map(|f| f.kind.as_str()));
        let body = encode(&families, Format::OpenMetrics);
        let parsed = parse_openmetrics(&body)
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{body}\n{families:#?}"));
        if let Some(d) = difference(&parsed, &families) {
            panic!("case {case}:\n{body}\n{d}");
        }
    }
    assert_eq!(seen.len(), 8, "{seen:?}");
}

#[test]
fn openmetrics_round_trips_utf8_names() {
    let mut rng = Rng::with_seed(0x0e4d_7f80);
    let mut quoted = 0;
    for case in 0..500 {
        let families = families_with(&mut rng, false, true);
        let body = encode(&families, Format::OpenMetrics);
        quoted += usize::from(body.contains("{\""));
        let parsed = parse_openmetrics(&body)
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{body}\n{families:#?}"));
        if let Some(d) = difference(&parsed, &families) {
            panic!("case {case}:\n{body}\n{d}");
        }
    }
    assert!(quoted > 300, "{quoted} bodies with quoted names");
}

#[test]
fn text_round_trips_utf8_names() {
    let mut rng = Rng::with_seed(0x7e47_7f80);
    let mut quoted = 0;
    for case in 0..500 {
        let families = families_with(&mut rng, true, true);
        let body = encode(&families, Format::Text);
        quoted += usize::from(body.contains("# TYPE \""));
        let parsed =
            parse_text(&body).unwrap_or_else(|e| panic!("case {case}: {e}\n{body}\n{families:#?}"));
        if let Some(d) = difference(&parsed, &families) {
            panic!("case {case}:\n{body}\n{d}");
        }
    }
    assert!(quoted > 300, "{quoted} bodies with quoted names");
}

/// Whether escaping makes two label names of one series the same (`{` and
/// `=` are both `_` with `underscores`) or a label name reserved (`9x` is
/// `__x` with `dots`): the schemes are lossy, as in client_golang, and
/// such a series has a label twice or one a strict parser refuses.
fn escaping_collides(families: &[MetricFamily], scheme: EscapingScheme) -> bool {
    families.iter().any(|f| {
        f.metrics.iter().any(|m| {
            let mut names: Vec<String> = m
                .labels
                .pairs()
                .map(|(k, _)| scheme.label_name(k))
                .collect();
            if f.kind == MetricType::StateSet {
                names.push(scheme.label_name(&f.name));
            }
            if names.iter().any(|n| n.starts_with("__")) {
                return true;
            }
            let n = names.len();
            names.sort();
            names.dedup();
            names.len() != n
        })
    })
}

/// With `underscores`, `dots` and `values`, UTF-8 names are escaped into
/// legacy names that both parsers read, and nothing is quoted.
#[test]
fn escaped_names_are_legacy_names() {
    let mut rng = Rng::with_seed(0xe5c4);
    let mut checked = 0;
    for case in 0..300 {
        for scheme in [
            EscapingScheme::Underscores,
            EscapingScheme::Dots,
            EscapingScheme::Values,
        ] {
            let om = families_with(&mut rng, false, true);
            let text = families_with(&mut rng, true, true);
            if escaping_collides(&om, scheme) || escaping_collides(&text, scheme) {
                continue;
            }
            checked += 1;
            let body = encode_with(&om, Format::OpenMetrics, scheme);
            let parsed = parse_openmetrics(&body)
                .unwrap_or_else(|e| panic!("case {case} {scheme}: {e}\n{body}"));
            let text_body = encode_with(&text, Format::Text, scheme);
            let text_parsed = parse_text(&text_body)
                .unwrap_or_else(|e| panic!("case {case} {scheme}: {e}\n{text_body}"));
            for f in parsed.iter().chain(&text_parsed) {
                assert!(is_valid_legacy_metric_name(&f.name), "{scheme}: {}", f.name);
                for m in &f.metrics {
                    for (k, _) in m.labels.pairs() {
                        assert!(is_valid_legacy_label_name(k), "{scheme}: {k}\n{body}");
                    }
                }
            }
            assert_eq!(parsed.len(), om.len(), "{scheme}\n{body}");
        }
    }
    assert!(checked > 300, "{checked} cases without a collision");
}

#[test]
fn text_round_trips_what_it_carries() {
    let mut rng = Rng::with_seed(0x7e47);
    for case in 0..500 {
        let families = families(&mut rng, true);
        let body = encode(&families, Format::Text);
        let parsed =
            parse_text(&body).unwrap_or_else(|e| panic!("case {case}: {e}\n{body}\n{families:#?}"));
        if let Some(d) = difference(&parsed, &families) {
            panic!("case {case}:\n{body}\n{d}");
        }
    }
}

/// Garbage and mutated valid bodies: the parsers return, never panic;
/// what the OpenMetrics parser accepts, written again, reads the same.
#[test]
fn mutated_bodies_never_panic() {
    const PIECES: &[&str] = &[
        "#", " ", "{", "}", "\"", "\\", "\n", ",", "=", "e", "+", "-", ".", "1", "_", "é", "# EOF",
        "_total", "_bucket", "le=\"", "Inf", "NaN", "\r", "\0", "# TYPE ", "# HELP ", "# UNIT ",
    ];
    let mut rng = Rng::with_seed(0xf422);
    let (mut accepted, mut rejected) = (0, 0);
    for case in 0..3000 {
        let base = encode(&families(&mut rng, false), Format::OpenMetrics);
        let mut body: Vec<char> = base.chars().collect();
        for _ in 0..rng.usize(1..4) {
            let at = rng.usize(..=body.len());
            match rng.usize(0..6) {
                0 => body.truncate(at),
                1 if at < body.len() => {
                    body.remove(at);
                }
                2 => {
                    let piece = pick(&mut rng, PIECES);
                    body.splice(at..at, piece.chars());
                }
                3 => {
                    // A line repeated, or moved.
                    let text: String = body.iter().collect();
                    let mut lines: Vec<&str> = text.split('\n').collect();
                    let i = rng.usize(..lines.len());
                    let j = rng.usize(..lines.len());
                    if rng.bool() {
                        lines.insert(j, lines[i]);
                    } else {
                        lines.swap(i, j);
                    }
                    body = lines.join("\n").chars().collect();
                }
                4 => body = (0..rng.usize(0..80)).map(|_| rng.char(..)).collect(),
                _ => {}
            }
        }
        let body: String = body.into_iter().collect();
        let _ = parse_text(&body);
        match parse_openmetrics(&body) {
            Ok(families) => {
                accepted += 1;
                let again = encode(&families, Format::OpenMetrics);
                let reparsed = parse_openmetrics(&again)
                    .unwrap_or_else(|e| panic!("case {case}: {e}\n{body:?}\n{again}"));
                assert!(same(&reparsed, &families), "case {case}: {body:?}");
            }
            Err(e) => {
                rejected += 1;
                assert!(e.line() >= 1 && !e.message().is_empty());
            }
        }
    }
    assert!(
        accepted > 100 && rejected > 1000,
        "{accepted} accepted, {rejected} rejected"
    );
}
