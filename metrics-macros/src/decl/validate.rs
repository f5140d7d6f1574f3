//! The Prometheus rules, checked on the parsed input. Errors are
//! collected, not returned at the first one, and the model is still built
//! (invalid parts replaced by stand-ins), so that the static exists and
//! one mistake gives one message, not a cascade.

use proc_macro2::{Literal, Span};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprPath, ExprUnary, Ident, Lit, LitStr, UnOp};

use super::model::{Kind, Limit, Limits, Model, QuantileDecl, GAUGE_MODES};
use super::parse::Input;
use super::ungroup;
use crate::krate::Krate;
use crate::names::{check_buckets, check_label_name, full_name, NameParts, Part, RuleError};

fn string_option(key: &Ident, value: &Expr) -> syn::Result<LitStr> {
    match ungroup(value) {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes a string literal"),
        )),
    }
}

/// The elements of `[a, b, ...]`, also when forwarded by `macro_rules!`
/// as one `$list:expr` or element by element.
fn list_option(key: &Ident, value: &Expr) -> syn::Result<Vec<Expr>> {
    match ungroup(value) {
        Expr::Array(a) => Ok(a.elems.iter().cloned().collect()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes a list in brackets, e.g. `{key} = [...]`"),
        )),
    }
}

/// A bucket bound: a number literal, negated or not, or `f64::INFINITY`
/// by any of its paths (`::core::f64::INFINITY`, `std::f64::INFINITY`).
fn number(e: &Expr) -> Option<f64> {
    match ungroup(e) {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => f.base10_parse().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<f64>().ok(),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => number(expr).map(|v| -v),
        Expr::Path(ExprPath {
            qself: None, path, ..
        }) => {
            let segments: Vec<String> = path
                .segments
                .iter()
                .map(|s| {
                    if s.arguments.is_empty() {
                        s.ident.to_string()
                    } else {
                        String::new()
                    }
                })
                .collect();
            let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
            let infinity = match segments.as_slice() {
                ["f64", "INFINITY"] => path.leading_colon.is_none(),
                ["core" | "std", "f64", "INFINITY"] => true,
                _ => false,
            };
            infinity.then_some(f64::INFINITY)
        }
        _ => None,
    }
}

/// `max_series`: a positive integer literal, checked here; any other
/// expression is passed on, to be checked where the static is evaluated
/// (its type by the compiler, its value by a const panic).
fn max_series(value: &Expr) -> syn::Result<Limit> {
    const TAKES: &str =
        "`max_series` takes a positive integer, e.g. `max_series = 1000`, or a const expression of type `usize`";
    match ungroup(value) {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => {
            if !matches!(i.suffix(), "" | "usize") {
                return Err(syn::Error::new_spanned(
                    i,
                    format!("`max_series` is a `usize`, not a `{}`", i.suffix()),
                ));
            }
            match i.base10_parse::<u64>() {
                Ok(0) => Err(syn::Error::new_spanned(
                    i,
                    "`max_series` must be at least 1: a cap of 0 would send every series to the overflow series",
                )),
                Ok(_) => Ok(Limit::Checked(quote!(#i))),
                Err(_) => Err(syn::Error::new_spanned(i, "`max_series` is too large")),
            }
        }
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) if matches!(ungroup(expr), Expr::Lit(_)) => Err(syn::Error::new_spanned(
            value,
            format!("{TAKES}: it cannot be negative"),
        )),
        Expr::Lit(other) => Err(syn::Error::new_spanned(other, TAKES)),
        _ => Ok(Limit::Const(value.clone())),
    }
}

/// The longest `expire_after`, in milliseconds, exclusive: 24 days, the
/// limit promscribe documents (its clock would allow about 24.8).
const MAX_EXPIRE_MS: u64 = 24 * 24 * 60 * 60 * 1000;

/// A duration string: a whole number and a unit, `ms`, `s`, `m` or `h`
/// (`"500ms"`, `"30s"`, `"5m"`, `"1h"`), in milliseconds (`None`: more
/// than a `u64` of them); or what is wrong with its form.
fn duration_ms(text: &str) -> Result<Option<u64>, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let per_unit: u64 = match unit {
        _ if number.is_empty() || unit.is_empty() || !unit.bytes().all(|b| b.is_ascii_alphabetic()) => {
            return Err(format!(
                "`{text}` is not a duration: expected a whole number and a unit (ms, s, m or h), e.g. \"30s\" or \"5m\""
            ))
        }
        "ms" => 1,
        "s" => 1000,
        "m" => 60 * 1000,
        "h" => 60 * 60 * 1000,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in \"{text}\": expected ms, s, m or h"
            ))
        }
    };
    // Digits only: a number that does not fit is too long anyway.
    Ok(number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(per_unit)))
}

/// An `expire_after` duration string, in milliseconds, from 1 ms to under
/// 24 days; or what is wrong with it.
fn parse_duration(text: &str) -> Result<u64, String> {
    match duration_ms(text)? {
        Some(0) => Err(
            "`expire_after` must be at least 1 ms: leave the option out for series that never expire"
                .to_owned(),
        ),
        Some(ms) if ms < MAX_EXPIRE_MS => Ok(ms),
        _ => Err("`expire_after` must be under 24 days".to_owned()),
    }
}

/// A `max_age` duration string, in milliseconds, at least 1 ms (as
/// `SummaryQuantiles::max_age` requires); or what is wrong with it.
fn parse_max_age(text: &str) -> Result<u64, String> {
    match duration_ms(text)? {
        Some(0) => Err(
            "`max_age` must be at least 1 ms: how long an observation stays in the quantiles' window"
                .to_owned(),
        ),
        Some(ms) => Ok(ms),
        None => Err(format!("`max_age` \"{text}\" is too long")),
    }
}

/// `max_age`: a duration string.
fn max_age(value: &Expr) -> syn::Result<u64> {
    match ungroup(value) {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => parse_max_age(&s.value()).map_err(|e| syn::Error::new_spanned(s, e)),
        other => Err(syn::Error::new_spanned(
            other,
            "`max_age` takes a duration string, e.g. `max_age = \"10m\"` (a whole number and a unit: ms, s, m or h)",
        )),
    }
}

/// `age_buckets`: an integer literal from 1 to 60 (as
/// `SummaryQuantiles::age_buckets` requires).
fn age_buckets(value: &Expr) -> syn::Result<u32> {
    const TAKES: &str = "`age_buckets` takes an integer from 1 to 60, e.g. `age_buckets = 5`";
    match ungroup(value) {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => {
            if !matches!(i.suffix(), "" | "u32") {
                return Err(syn::Error::new_spanned(
                    i,
                    format!("`age_buckets` is a `u32`, not a `{}`", i.suffix()),
                ));
            }
            match i.base10_parse::<u64>() {
                Ok(n @ 1..=60) => Ok(n as u32),
                Ok(n) => Err(syn::Error::new_spanned(
                    i,
                    format!("`age_buckets` {n} is outside 1..=60: the window rotates through this many streams"),
                )),
                Err(_) => Err(syn::Error::new_spanned(i, TAKES)),
            }
        }
        other => Err(syn::Error::new_spanned(other, TAKES)),
    }
}

/// `quantiles`: `[(quantile, rank error), ...]` of number literals, by the
/// rules of `SummaryQuantiles::new`: at least one, each quantile in
/// `[0, 1]`, each error in `(0, 1)`, no quantile twice. Every mistake is
/// pushed to `errors`, at the number or the pair it is about; the
/// objectives are returned when there is none.
fn quantile_objectives(
    key: &Ident,
    value: &Expr,
    errors: &mut Vec<syn::Error>,
) -> Option<Vec<(f64, f64)>> {
    let elems = match list_option(key, value) {
        Ok(e) => e,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    if elems.is_empty() {
        errors.push(syn::Error::new_spanned(
            value,
            "`quantiles` is empty: give at least one `(quantile, rank error)` objective, e.g. `quantiles = [(0.5, 0.05), (0.9, 0.01), (0.99, 0.001)]`, or leave the option out for a summary without quantiles",
        ));
        return None;
    }
    let before = errors.len();
    let mut out: Vec<(f64, f64)> = Vec::new();
    for e in &elems {
        let pair = match ungroup(e) {
            Expr::Tuple(t) if t.elems.len() == 2 => Some((&t.elems[0], &t.elems[1])),
            _ => None,
        };
        let Some((qe, ee)) = pair else {
            errors.push(syn::Error::new_spanned(
                e,
                "an objective is a `(quantile, rank error)` pair of number literals, e.g. `(0.99, 0.001)`",
            ));
            continue;
        };
        let (Some(q), Some(eps)) = (number(qe), number(ee)) else {
            for part in [qe, ee] {
                if number(part).is_none() {
                    errors.push(syn::Error::new_spanned(
                        part,
                        "a quantile and its rank error must be number literals",
                    ));
                }
            }
            continue;
        };
        let mut ok = true;
        if !(0.0..=1.0).contains(&q) {
            errors.push(syn::Error::new_spanned(
                qe,
                format!("quantile {q} is outside [0, 1]"),
            ));
            ok = false;
        }
        if !(eps > 0.0 && eps < 1.0) {
            errors.push(syn::Error::new_spanned(
                ee,
                format!("rank error {eps} of quantile {q} is outside (0, 1): it is the allowed error in rank, a fraction of the observations"),
            ));
            ok = false;
        }
        if out.iter().any(|&(seen, _)| seen == q) {
            errors.push(syn::Error::new_spanned(
                qe,
                format!("quantile {q} is given twice"),
            ));
            ok = false;
        }
        if ok {
            out.push((q, eps));
        }
    }
    (errors.len() == before).then_some(out)
}

/// `expire_after`: a duration string, checked and turned into
/// milliseconds here; any other expression is passed on as for
/// `max_series`.
fn expire_after(value: &Expr) -> syn::Result<Limit> {
    match ungroup(value) {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => {
            let ms = parse_duration(&s.value()).map_err(|e| syn::Error::new_spanned(s, e))?;
            let mut ms = Literal::u64_suffixed(ms);
            ms.set_span(s.span());
            Ok(Limit::Checked(
                quote_spanned!(s.span()=> ::core::time::Duration::from_millis(#ms)),
            ))
        }
        Expr::Lit(other) => Err(syn::Error::new_spanned(
            other,
            "`expire_after` takes a duration string, e.g. `expire_after = \"5m\"` (a whole number and a unit: ms, s, m or h), or a const expression of type `Duration`",
        )),
        _ => Ok(Limit::Const(value.clone())),
    }
}

/// `native`: a const expression of type `NativeOpts`, passed on to be
/// checked where the static is evaluated (its type by the compiler, its
/// value by a const panic); a literal cannot be one.
fn native_option(value: &Expr) -> syn::Result<Expr> {
    match ungroup(value) {
        Expr::Lit(other) => Err(syn::Error::new_spanned(
            other,
            "`native` takes a const expression of type `NativeOpts`, e.g. `native = promscribe::NativeOpts::new()`",
        )),
        _ => Ok(value.clone()),
    }
}

/// `multiprocess_mode`: a string literal naming one of Python's ten gauge
/// modes.
fn multiprocess_mode(key: &Ident, value: &Expr) -> syn::Result<LitStr> {
    let modes = GAUGE_MODES.map(|m| format!("\"{m}\"")).join(", ");
    let s = string_option(key, value).map_err(|_| {
        syn::Error::new_spanned(
            value,
            format!("`multiprocess_mode` takes a string literal, one of {modes}"),
        )
    })?;
    if GAUGE_MODES.contains(&s.value().as_str()) {
        Ok(s)
    } else {
        Err(syn::Error::new_spanned(
            &s,
            format!(
                "unknown multiprocess mode \"{}\": expected one of {modes}",
                s.value()
            ),
        ))
    }
}

/// The kind with its article, as a sentence names it.
fn a_noun(kind: Kind) -> String {
    let noun = kind.noun();
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

/// Checks the input and builds the model (see the module comment).
pub(super) fn validate(kind: Kind, input: Input, errors: &mut Vec<syn::Error>) -> Model {
    let mut labels: Option<Vec<LitStr>> = None;
    let mut buckets: Option<Vec<f64>> = None;
    let mut bucket_input: Option<(Vec<f64>, Vec<Expr>, Expr)> = None;
    let mut states: Option<Vec<LitStr>> = None;
    let mut native: Option<Expr> = None;
    let mut mp_mode: Option<LitStr> = None;
    // `quantiles` (`None` inside: given, but invalid), `max_age`,
    // `age_buckets`, and the keys of the latter two.
    let mut quantiles: Option<Option<Vec<(f64, f64)>>> = None;
    let (mut window_max_age, mut window_age_buckets) = (None, None);
    let mut window_keys: Vec<&Ident> = Vec::new();
    let (mut namespace, mut subsystem, mut unit) = (None, None, None);
    let mut krate = Krate::default();
    let mut limits = Limits::default();
    let mut limit_keys: Vec<&Ident> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in &input.options {
        let k = key.to_string();
        if seen.contains(&k) {
            errors.push(syn::Error::new_spanned(
                key,
                format!("option `{k}` is given twice"),
            ));
            continue;
        }
        seen.push(k.clone());
        if k == "unit" && matches!(kind, Kind::Info | Kind::Enum) {
            errors.push(syn::Error::new_spanned(
                key,
                format!("an {} cannot have a unit", kind.noun()),
            ));
            continue;
        }
        if k == "native" && kind != Kind::Histogram {
            errors.push(syn::Error::new_spanned(
                key,
                format!(
                    "`native` is an option of histogram! (native histogram buckets): {} has no buckets",
                    a_noun(kind)
                ),
            ));
            continue;
        }
        if matches!(k.as_str(), "quantiles" | "max_age" | "age_buckets") && kind != Kind::Summary {
            errors.push(syn::Error::new_spanned(
                key,
                format!(
                    "`{k}` is an option of summary! (streaming quantiles over a sliding window): {} keeps none",
                    a_noun(kind)
                ),
            ));
            continue;
        }
        if k == "multiprocess_mode" && kind != Kind::Gauge {
            errors.push(syn::Error::new_spanned(
                key,
                format!(
                    "`multiprocess_mode` is an option of gauge! (how the values of several processes merge): {} takes none",
                    a_noun(kind)
                ),
            ));
            continue;
        }
        if !kind.options().contains(&k.as_str()) {
            errors.push(syn::Error::new_spanned(
                key,
                format!(
                    "unknown option `{k}` for {}: expected one of {}",
                    kind.macro_name(),
                    kind.options().join(", ")
                ),
            ));
            continue;
        }
        match k.as_str() {
            "crate" => match Krate::from_option(value) {
                Ok(k) => krate = k,
                Err(e) => errors.push(e),
            },
            "labels" => {
                let mut out: Vec<LitStr> = Vec::new();
                for e in list_option(key, value).unwrap_or_else(|e| {
                    errors.push(e);
                    Vec::new()
                }) {
                    match string_option(key, &e) {
                        Ok(s) => out.push(s),
                        Err(err) => {
                            errors.push(err);
                            out.push(LitStr::new(&format!("__invalid{}", out.len()), e.span()));
                        }
                    }
                }
                if out.is_empty() && matches!(ungroup(value), Expr::Array(_)) {
                    errors.push(syn::Error::new_spanned(
                        value,
                        "`labels` is empty: leave the option out for a metric without labels",
                    ));
                } else if !out.is_empty() {
                    labels = Some(out);
                }
            }
            "buckets" => {
                let elems = list_option(key, value).unwrap_or_else(|e| {
                    errors.push(e);
                    Vec::new()
                });
                let mut out: Vec<f64> = Vec::new();
                for e in &elems {
                    match number(e) {
                        Some(v) => out.push(v),
                        None => errors.push(syn::Error::new_spanned(
                            e,
                            "a bucket bound must be a number literal",
                        )),
                    }
                }
                if matches!(ungroup(value), Expr::Array(_)) && out.len() == elems.len() {
                    bucket_input = Some((out, elems, value.clone()));
                }
            }
            "states" => {
                let mut out: Vec<LitStr> = Vec::new();
                for e in list_option(key, value).unwrap_or_else(|e| {
                    errors.push(e);
                    Vec::new()
                }) {
                    match string_option(key, &e) {
                        Ok(s) if out.iter().any(|o| o.value() == s.value()) => {
                            errors.push(syn::Error::new_spanned(
                                &s,
                                format!("state `{}` appears twice", s.value()),
                            ))
                        }
                        Ok(s) => out.push(s),
                        Err(err) => errors.push(err),
                    }
                }
                if out.is_empty() && matches!(ungroup(value), Expr::Array(a) if a.elems.is_empty())
                {
                    errors.push(syn::Error::new_spanned(
                        value,
                        "`states` is empty: an enum needs at least one state",
                    ));
                }
                states = Some(out);
            }
            "max_series" => {
                limit_keys.push(key);
                match max_series(value) {
                    Ok(t) => limits.max_series = Some(t),
                    Err(e) => errors.push(e),
                }
            }
            "expire_after" => {
                limit_keys.push(key);
                match expire_after(value) {
                    Ok(t) => limits.expire_after = Some(t),
                    Err(e) => errors.push(e),
                }
            }
            "quantiles" => quantiles = Some(quantile_objectives(key, value, errors)),
            "max_age" => {
                window_keys.push(key);
                match max_age(value) {
                    Ok(ms) => window_max_age = Some(ms),
                    Err(e) => errors.push(e),
                }
            }
            "age_buckets" => {
                window_keys.push(key);
                match age_buckets(value) {
                    Ok(n) => window_age_buckets = Some(n),
                    Err(e) => errors.push(e),
                }
            }
            "native" => match native_option(value) {
                Ok(e) => native = Some(e),
                Err(e) => errors.push(e),
            },
            "multiprocess_mode" => match multiprocess_mode(key, value) {
                Ok(s) => mp_mode = Some(s),
                Err(e) => errors.push(e),
            },
            "namespace" => match string_option(key, value) {
                Ok(s) => namespace = Some(s),
                Err(e) => errors.push(e),
            },
            "subsystem" => match string_option(key, value) {
                Ok(s) => subsystem = Some(s),
                Err(e) => errors.push(e),
            },
            "unit" => match string_option(key, value) {
                Ok(s) => unit = Some(s),
                Err(e) => errors.push(e),
            },
            // `options()` lists exactly the keys handled above.
            _ => {}
        }
    }

    // The limits bound the series of a family: a metric without labels is
    // one series. (Given with a `labels` that is invalid, they wait for it
    // to be fixed: that mistake is reported already.)
    if !seen.iter().any(|k| k == "labels") {
        for key in limit_keys {
            errors.push(syn::Error::new_spanned(
                key,
                format!(
                    "`{key}` bounds the series of a family: it needs `labels = [...]` (a metric without labels is one series)"
                ),
            ));
        }
        limits = Limits::default();
    }

    // The window belongs to the quantiles: without them, a summary has
    // none.
    if quantiles.is_none() {
        for key in window_keys {
            errors.push(syn::Error::new_spanned(
                key,
                format!(
                    "`{key}` sets the window of a summary's quantiles: it needs `quantiles = [...]`, e.g. `quantiles = [(0.5, 0.05), (0.9, 0.01), (0.99, 0.001)]`"
                ),
            ));
        }
    }
    // Given but invalid (reported): a stand-in keeps the static's type.
    let quantiles = quantiles.map(|objectives| QuantileDecl {
        objectives: objectives.unwrap_or_else(|| vec![(0.5, 0.05)]),
        max_age_ms: window_max_age,
        age_buckets: window_age_buckets,
    });

    // The metric name and help: string literals. A missing one was
    // reported by the parser; a stand-in keeps the static.
    let literal = |e: &Option<Expr>, what: &str, errors: &mut Vec<syn::Error>| match e
        .as_ref()
        .map(ungroup)
    {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        })) => Some(s.clone()),
        Some(other) => {
            errors.push(syn::Error::new_spanned(
                other,
                format!("expected the {what} as a string literal"),
            ));
            None
        }
        None => None,
    };
    let name_lit = literal(&input.name, "metric name", errors);
    let help = literal(&input.help, "help text", errors)
        .unwrap_or_else(|| LitStr::new("", Span::call_site()));

    // The full name, by the rules the run-time constructors use too.
    let value_of = |s: &Option<LitStr>| s.as_ref().map(LitStr::value).unwrap_or_default();
    let (ns_value, ss_value, unit_value) =
        (value_of(&namespace), value_of(&subsystem), value_of(&unit));
    let full = match &name_lit {
        None => String::from("__invalid"),
        Some(name_lit) => {
            let name = name_lit.value();
            let parts = NameParts {
                namespace: &ns_value,
                subsystem: &ss_value,
                name: &name,
                unit: &unit_value,
            };
            match full_name(kind.rule_kind(), &parts) {
                Ok(full) => full,
                Err(e) => {
                    let blamed = match e.part() {
                        Some(Part::Namespace) => namespace.as_ref(),
                        Some(Part::Subsystem) => subsystem.as_ref(),
                        Some(Part::Unit) => unit.as_ref(),
                        // An enum's name is also a label name: point at the
                        // prefix that starts it with the reserved `__`, if one does.
                        _ if matches!(e, RuleError::NameNotALabel { .. }) => {
                            [&namespace, &subsystem]
                                .into_iter()
                                .flatten()
                                .find(|p| !p.value().is_empty())
                                .filter(|p| p.value().starts_with("__"))
                        }
                        _ => None,
                    };
                    errors.push(syn::Error::new_spanned(
                        blamed.unwrap_or(name_lit),
                        e.to_string(),
                    ));
                    // Keep going with a stand-in so that the labels are still checked.
                    [
                        ns_value.as_str(),
                        ss_value.as_str(),
                        name.as_str(),
                        unit_value.as_str(),
                    ]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join("_")
                }
            }
        }
    };
    if let Some(ls) = &mut labels {
        let mut checked: Vec<String> = Vec::new();
        for (i, l) in ls.iter_mut().enumerate() {
            let v = l.value();
            if v.starts_with("__invalid") {
                continue;
            }
            if let Err(e) = check_label_name(&full, kind.rule_kind(), &v, &checked) {
                errors.push(syn::Error::new_spanned(&*l, e.to_string()));
                *l = LitStr::new(&format!("__invalid{i}"), l.span());
            } else {
                checked.push(v);
            }
        }
    }
    if let Some((values, elems, list)) = bucket_input {
        match check_buckets(&full, &values) {
            Ok(b) => buckets = Some(b),
            Err(e) => {
                let at = match &e {
                    RuleError::InvalidBuckets { index: Some(i), .. } => elems.get(*i),
                    _ => None,
                };
                let hint = if values.is_empty() {
                    "; leave the option out for the default buckets"
                } else {
                    ""
                };
                match at {
                    Some(el) => errors.push(syn::Error::new_spanned(el, format!("{e}{hint}"))),
                    None => errors.push(syn::Error::new_spanned(list, format!("{e}{hint}"))),
                }
            }
        }
    }
    if kind == Kind::Enum && states.is_none() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "enumeration! needs its states: add `states = [\"first\", \"second\", ...]` (the first is the default)",
        ));
    }
    let states = match states {
        Some(s) if !s.is_empty() => Some(s),
        _ if kind == Kind::Enum => Some(vec![LitStr::new("__invalid", Span::call_site())]),
        _ => None,
    };
    Model {
        kind,
        krate,
        attrs: input.attrs,
        vis: input.vis,
        ident: input.ident,
        full_name: full,
        help,
        unit: unit_value,
        labels,
        buckets,
        states,
        native,
        quantiles,
        multiprocess_mode: mp_mode,
        limits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinity_by_any_path_and_through_groups() {
        for src in [
            "f64::INFINITY",
            "::core::f64::INFINITY",
            "core::f64::INFINITY",
            "std::f64::INFINITY",
            "::std::f64::INFINITY",
        ] {
            let e: Expr = syn::parse_str(src).expect(src);
            assert_eq!(number(&e), Some(f64::INFINITY), "{src}");
        }
        for src in ["f64::NAN", "my::f64::INFINITY", "::f64::INFINITY", "x"] {
            let e: Expr = syn::parse_str(src).expect(src);
            assert_eq!(number(&e), None, "{src}");
        }
        let grouped = Expr::Group(syn::ExprGroup {
            attrs: Vec::new(),
            group_token: Default::default(),
            expr: Box::new(syn::parse_quote!(-2.5)),
        });
        assert_eq!(number(&grouped), Some(-2.5));
    }

    #[test]
    fn duration_strings() {
        for (text, ms) in [
            ("1ms", 1),
            ("500ms", 500),
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h", 3_600_000),
            ("0001s", 1000),
            ("575h", 575 * 3_600_000),
            ("2073599999ms", MAX_EXPIRE_MS - 1),
        ] {
            assert_eq!(parse_duration(text), Ok(ms), "{text}");
        }
        for (text, says) in [
            ("", "not a duration"),
            ("5", "not a duration"),
            ("m", "not a duration"),
            ("1.5h", "not a duration"),
            ("-5m", "not a duration"),
            ("5 m", "not a duration"),
            ("1h30m", "not a duration"),
            ("5d", "unknown unit `d`"),
            ("5M", "unknown unit `M`"),
            ("5sec", "unknown unit `sec`"),
            ("0s", "at least 1 ms"),
            ("0ms", "at least 1 ms"),
            ("576h", "under 24 days"),
            ("2073600000ms", "under 24 days"),
            ("99999999999999999999999h", "under 24 days"),
            ("18446744073709551615h", "under 24 days"),
        ] {
            match parse_duration(text) {
                Err(e) => assert!(e.contains(says), "{text}: `{e}` does not say `{says}`"),
                Ok(ms) => panic!("{text} read as {ms} ms"),
            }
        }
    }

    /// The rules of `SummaryQuantiles::new`, `max_age` and `age_buckets`,
    /// at their edges: what the macro accepts, the constructors accept
    /// (`tests/decl_quantiles.rs` builds the accepted edges with both).
    #[test]
    fn quantile_options_at_the_edges() {
        let key: Ident = syn::parse_str("quantiles").expect("ident");
        let objectives = |src: &str| {
            let mut errors = Vec::new();
            let e: Expr = syn::parse_str(src).expect(src);
            let out = quantile_objectives(&key, &e, &mut errors);
            assert_eq!(out.is_none(), !errors.is_empty(), "{src}");
            out
        };
        assert_eq!(
            objectives("[(0, 0.5), (1, 1e-9), (0.5, 0.999)]"),
            Some(vec![(0.0, 0.5), (1.0, 1e-9), (0.5, 0.999)])
        );
        for bad in [
            "[]",
            "[(1.0000001, 0.1)]",
            "[(-0.0001, 0.1)]",
            "[(0.5, 0)]",
            "[(0.5, 1)]",
            "[(0.5, -0.1)]",
            "[(0.5, 0.1), (0.50, 0.2)]",
            "[(0.5, 0.1), (-0.0, 0.1), (0.0, 0.1)]",
            "[(f64::INFINITY, 0.1)]",
            "[0.5]",
            "[(0.5,)]",
        ] {
            assert_eq!(objectives(bad), None, "{bad}");
        }
        assert_eq!(parse_max_age("1ms"), Ok(1));
        assert_eq!(parse_max_age("10m"), Ok(600_000));
        assert_eq!(parse_max_age("1000h"), Ok(3_600_000_000));
        for bad in [
            "0ms",
            "0h",
            "",
            "10",
            "1.5s",
            "5d",
            "18446744073709551616ms",
        ] {
            assert!(parse_max_age(bad).is_err(), "{bad}");
        }
        let buckets = |src: &str| age_buckets(&syn::parse_str(src).expect(src)).ok();
        assert_eq!(buckets("1"), Some(1));
        assert_eq!(buckets("60u32"), Some(60));
        for bad in ["0", "61", "-1", "5u8", "\"5\"", "4294967301"] {
            assert_eq!(buckets(bad), None, "{bad}");
        }
    }

    #[test]
    fn limit_literals_and_expressions() {
        fn text(limit: syn::Result<Limit>) -> Option<String> {
            match limit.ok()? {
                Limit::Checked(t) => Some(t.to_string()),
                Limit::Const(e) => Some(format!("const {}", quote!(#e))),
            }
        }
        let ok = |src: &str| text(max_series(&syn::parse_str(src).expect(src)));
        assert_eq!(ok("2").as_deref(), Some("2"));
        assert_eq!(ok("1_000usize").as_deref(), Some("1_000usize"));
        assert_eq!(ok("CAP").as_deref(), Some("const CAP"));
        for bad in ["0", "0usize", "-1", "2.5", "\"10\"", "2u32", "true"] {
            assert_eq!(ok(bad), None, "{bad}");
        }
        let ok = |src: &str| text(expire_after(&syn::parse_str(src).expect(src)));
        assert_eq!(
            ok("\"5m\"").as_deref(),
            Some(":: core :: time :: Duration :: from_millis (300000u64)")
        );
        assert_eq!(ok("TIMEOUT").as_deref(), Some("const TIMEOUT"));
        for bad in ["300", "\"\"", "\"0s\"", "1.5"] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }
}
