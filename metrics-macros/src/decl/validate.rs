//! The Prometheus rules, checked on the parsed input. Errors are
//! collected, not returned at the first one, and the model is still built
//! (invalid parts replaced by stand-ins), so that the static exists and
//! one mistake gives one message, not a cascade.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprPath, ExprUnary, Ident, Lit, LitStr, UnOp};

use super::model::{Kind, Model};
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

/// Checks the input and builds the model (see the module comment).
pub(super) fn validate(kind: Kind, input: Input, errors: &mut Vec<syn::Error>) -> Model {
    let mut labels: Option<Vec<LitStr>> = None;
    let mut buckets: Option<Vec<f64>> = None;
    let mut bucket_input: Option<(Vec<f64>, Vec<Expr>, Expr)> = None;
    let mut states: Option<Vec<LitStr>> = None;
    let (mut namespace, mut subsystem, mut unit) = (None, None, None);
    let mut krate = Krate::default();
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
}
