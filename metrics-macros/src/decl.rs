//! `counter!`, `gauge!`, `histogram!`, `summary!`: parse -> validate -> expand.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, ExprUnary, Ident, Lit, LitStr, Token, UnOp, Visibility};

use crate::names::{
    check_buckets, check_label_name, full_name, NameParts, Part, RuleError, RuleKind,
};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Info,
    Enum,
}

impl Kind {
    fn macro_name(self) -> &'static str {
        match self {
            Kind::Counter => "counter!",
            Kind::Gauge => "gauge!",
            Kind::Histogram => "histogram!",
            Kind::Summary => "summary!",
            Kind::Info => "info!",
            Kind::Enum => "enumeration!",
        }
    }

    fn type_ident(self) -> Ident {
        let s = match self {
            Kind::Counter => "Counter",
            Kind::Gauge => "Gauge",
            Kind::Histogram => "Histogram",
            Kind::Summary => "Summary",
            Kind::Info => "Info",
            Kind::Enum => "Enum",
        };
        Ident::new(s, Span::call_site())
    }

    /// The `MetricType` variant.
    fn metric_type(self) -> Ident {
        let s = match self {
            Kind::Info => "Info",
            Kind::Enum => "StateSet",
            other => return other.type_ident(),
        };
        Ident::new(s, Span::call_site())
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::Summary => "summary",
            Kind::Info => "info metric",
            Kind::Enum => "enum",
        }
    }

    fn options(self) -> &'static [&'static str] {
        match self {
            Kind::Histogram => &["labels", "buckets", "namespace", "subsystem", "unit"],
            Kind::Enum => &["states", "labels", "namespace", "subsystem"],
            Kind::Info => &["labels", "namespace", "subsystem"],
            _ => &["labels", "namespace", "subsystem", "unit"],
        }
    }

    /// The kind the shared rules know.
    fn rule_kind(self) -> RuleKind {
        match self {
            Kind::Counter => RuleKind::Counter,
            Kind::Gauge => RuleKind::Gauge,
            Kind::Histogram => RuleKind::Histogram,
            Kind::Summary => RuleKind::Summary,
            Kind::Info => RuleKind::Info,
            Kind::Enum => RuleKind::StateSet,
        }
    }
}

// ---- parse ---------------------------------------------------------------

/// `#[attrs] vis IDENT, "name", "help", key = value, ...`
struct Input {
    attrs: Vec<Attribute>,
    vis: Visibility,
    ident: Ident,
    name: LitStr,
    help: LitStr,
    options: Vec<(Ident, Expr)>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let ident: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the name of the static first, e.g. `counter!(REQUESTS, \"requests_total\", \"help\")`",
            )
        })?;
        if input.is_empty() {
            return Err(
                input.error("expected the metric name and help text after the static's name")
            );
        }
        input.parse::<Token![,]>()?;
        let name: LitStr = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "expected the metric name as a string literal")
        })?;
        if input.is_empty() {
            return Err(
                input.error("expected the help text after the metric name: every metric needs one")
            );
        }
        input.parse::<Token![,]>()?;
        let help: LitStr = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), "expected the help text as a string literal"))?;
        let mut options = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            options.push((key, value));
        }
        Ok(Input {
            attrs,
            vis,
            ident,
            name,
            help,
            options,
        })
    }
}

// ---- model + validate ----------------------------------------------------

struct Model {
    kind: Kind,
    attrs: Vec<Attribute>,
    vis: Visibility,
    ident: Ident,
    full_name: String,
    help: LitStr,
    unit: String,
    labels: Option<Vec<LitStr>>,
    buckets: Option<Vec<f64>>,
    states: Option<Vec<LitStr>>,
}

fn string_option(key: &Ident, value: &Expr) -> syn::Result<LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes a string literal"),
        )),
    }
}

fn list_option(key: &Ident, value: &Expr) -> syn::Result<Vec<Expr>> {
    match value {
        Expr::Array(a) => Ok(a.elems.iter().cloned().collect()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes a list in brackets, e.g. `{key} = [...]`"),
        )),
    }
}

fn number(e: &Expr) -> Option<f64> {
    match e {
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
        Expr::Path(p) => {
            let s = p.to_token_stream().to_string().replace(' ', "");
            matches!(
                s.as_str(),
                "f64::INFINITY" | "core::f64::INFINITY" | "std::f64::INFINITY"
            )
            .then_some(f64::INFINITY)
        }
        _ => None,
    }
}

/// Checks the input. Errors are collected, not returned at the first one,
/// and the model is still built (invalid parts replaced), so that the
/// static exists and one mistake gives one message, not a cascade.
fn validate(kind: Kind, input: Input, errors: &mut Vec<syn::Error>) -> Model {
    let mut labels: Option<Vec<LitStr>> = None;
    let mut buckets: Option<Vec<f64>> = None;
    let mut bucket_input: Option<(Vec<f64>, Vec<Expr>, Expr)> = None;
    let mut states: Option<Vec<LitStr>> = None;
    let (mut namespace, mut subsystem, mut unit) = (None, None, None);
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in &input.options {
        let k = key.to_string();
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
        if seen.contains(&k) {
            errors.push(syn::Error::new_spanned(
                key,
                format!("option `{k}` is given twice"),
            ));
            continue;
        }
        seen.push(k.clone());
        match k.as_str() {
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
                if out.is_empty() && matches!(value, Expr::Array(_)) {
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
                if matches!(value, Expr::Array(_)) && out.len() == elems.len() {
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
                if out.is_empty() && matches!(value, Expr::Array(a) if a.elems.is_empty()) {
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
            _ => unreachable!("options are checked against the list above"),
        }
    }

    // The full name, by the rules the run-time constructors use too.
    let value_of = |s: &Option<LitStr>| s.as_ref().map(LitStr::value).unwrap_or_default();
    let (ns_value, ss_value, unit_value) =
        (value_of(&namespace), value_of(&subsystem), value_of(&unit));
    let name = input.name.value();
    let parts = NameParts {
        namespace: &ns_value,
        subsystem: &ss_value,
        name: &name,
        unit: &unit_value,
    };
    let full = match full_name(kind.rule_kind(), &parts) {
        Ok(full) => full,
        Err(e) => {
            let blamed = match e.part() {
                Some(Part::Namespace) => namespace.as_ref(),
                Some(Part::Subsystem) => subsystem.as_ref(),
                Some(Part::Unit) => unit.as_ref(),
                // An enum's name is also a label name: point at the
                // prefix that holds the `:`, if one does.
                _ if matches!(e, RuleError::NameNotALabel { .. }) => [&namespace, &subsystem]
                    .into_iter()
                    .flatten()
                    .find(|p| p.value().contains(':')),
                _ => None,
            };
            errors.push(syn::Error::new_spanned(
                blamed.unwrap_or(&input.name),
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
        attrs: input.attrs,
        vis: input.vis,
        ident: input.ident,
        full_name: full,
        help: input.help,
        unit: unit_value,
        labels,
        buckets,
        states,
    }
}

// ---- expand --------------------------------------------------------------

fn float_tokens(v: f64) -> TokenStream {
    if v == f64::INFINITY {
        quote!(::core::f64::INFINITY)
    } else {
        let lit = proc_macro2::Literal::f64_suffixed(v);
        quote!(#lit)
    }
}

fn expand(m: Model, register: bool) -> TokenStream {
    let Model {
        kind,
        attrs,
        vis,
        ident,
        full_name,
        help,
        unit,
        labels,
        buckets,
        states,
    } = m;
    let p = quote!(::promscribe::__private);
    let ty = kind.type_ident();
    let kind_variant = kind.metric_type();
    let label_lits: Vec<&LitStr> = labels.iter().flatten().collect();
    let n = label_lits.len();
    let site = quote!(#p::Site {
        file: ::core::file!(),
        line: ::core::line!(),
        column: ::core::column!(),
    });
    let meta = quote! {
        static __META: #p::Meta = #p::Meta::new_static(
            #p::MetricType::#kind_variant, #full_name, #help, #unit, &[#(#label_lits),*],
        );
    };
    let has_doc = attrs.iter().any(|a| a.path().is_ident("doc"));
    let doc = (!has_doc).then(|| {
        let text = format!(" {} `{full_name}`: {}", kind.type_ident(), help.value());
        quote!(#[doc = #text])
    });

    let bounds = buckets.as_ref().map(|b| {
        let len = b.len();
        let vals = b.iter().map(|v| float_tokens(*v));
        quote!(static __BOUNDS: [f64; #len] = [#(#vals),*];)
    });
    let states_def = states.as_ref().map(|s| {
        let len = s.len();
        quote!(static __STATES: [&str; #len] = [#(#s),*];)
    });
    let (static_ty, init) = match (labels.is_some(), kind) {
        (false, Kind::Histogram) => {
            let (bounds_def, bounds_ref, len) = match &bounds {
                Some(b) => {
                    let len = buckets.as_ref().map(Vec::len).unwrap_or(0);
                    (b.clone(), quote!(&__BOUNDS), quote!(#len))
                }
                None => (
                    quote!(),
                    quote!(&::promscribe::DEFAULT_BUCKETS),
                    quote!(::promscribe::DEFAULT_BUCKETS.len()),
                ),
            };
            (
                quote!(::promscribe::Histogram),
                quote! {
                    #bounds_def
                    static __COUNTS: [#p::AtomicU64; #len] = [#p::ZERO; #len];
                    ::promscribe::Histogram::__from_static(&__META, #bounds_ref, &__COUNTS)
                },
            )
        }
        (false, Kind::Enum) => (
            quote!(::promscribe::Enum),
            quote! {
                #states_def
                ::promscribe::Enum::__from_static(&__META, &__STATES)
            },
        ),
        (false, _) => (
            quote!(::promscribe::#ty),
            quote!(::promscribe::#ty::__from_static(&__META)),
        ),
        (true, _) => {
            let config = match (kind, &bounds) {
                (Kind::Histogram, Some(b)) => quote! {{
                    #b
                    ::promscribe::Buckets::__from_static(&__BOUNDS)
                }},
                (Kind::Histogram, None) => quote!(::promscribe::Buckets::DEFAULT),
                (Kind::Enum, _) => quote! {{
                    #states_def
                    ::promscribe::States::__from_static(&__STATES)
                }},
                _ => quote!(()),
            };
            (
                quote!(::promscribe::Family<::promscribe::#ty, #n>),
                quote!(::promscribe::Family::__from_static(&__META, #config)),
            )
        }
    };
    let reg = format_ident!("__METRICS_CORE_REGISTER_{}", ident);
    let registration = register.then(|| {
        quote! {
            const _: () = {
                #[#p::linkme::distributed_slice(#p::STATIC_METRICS)]
                #[linkme(crate = #p::linkme)]
                static #reg: #p::StaticMetric = #p::StaticMetric::new(&#ident, #site);
            };
        }
    });
    quote! {
        #doc
        #(#attrs)*
        #vis static #ident: #static_ty = {
            #meta
            #init
        };
        #registration
    }
}

pub(crate) fn declare(kind: Kind, input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<Input>(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Vec::new();
    let model = validate(kind, input, &mut errors);
    if errors.is_empty() {
        expand(model, true)
    } else {
        // Keep the static (unregistered) so its uses still type-check and
        // the user sees only the real mistake.
        let errors = errors.iter().map(syn::Error::to_compile_error);
        let item = expand(model, false);
        quote!(#(#errors)* #item)
    }
}

#[cfg(test)]
mod tests {
    //! The macro's side of the agreement on the shared table of names:
    //! each row goes through `declare`, the expansion itself, and must give
    //! the family name or the message the table expects (the runtime's
    //! side is `tests/rules_agree.rs` at the workspace root).

    use super::*;
    use proc_macro2::TokenTree;
    use syn::punctuated::Punctuated;

    include!("../../metrics-rules/tests/shared/table.rs");

    fn kind_of(s: &str) -> Kind {
        match s {
            "counter" => Kind::Counter,
            "gauge" => Kind::Gauge,
            "histogram" => Kind::Histogram,
            "summary" => Kind::Summary,
            "info" => Kind::Info,
            "enum" => Kind::Enum,
            other => panic!("unknown kind `{other}` in the table"),
        }
    }

    fn bound(v: f64) -> TokenStream {
        if v == f64::INFINITY {
            quote!(f64::INFINITY)
        } else {
            let lit = proc_macro2::Literal::f64_unsuffixed(v.abs());
            if v < 0.0 {
                quote!(-#lit)
            } else {
                quote!(#lit)
            }
        }
    }

    /// The macro input of a row.
    fn input(c: &Case) -> TokenStream {
        let name = c.name;
        let mut opts: Vec<TokenStream> = Vec::new();
        for (key, value) in [
            ("namespace", c.namespace),
            ("subsystem", c.subsystem),
            ("unit", c.unit),
        ] {
            if !value.is_empty() {
                let key = Ident::new(key, Span::call_site());
                opts.push(quote!(#key = #value));
            }
        }
        if !c.labels.is_empty() {
            let labels = c.labels;
            opts.push(quote!(labels = [#(#labels),*]));
        }
        if let Some(b) = c.buckets {
            let b = b.iter().map(|v| bound(*v));
            opts.push(quote!(buckets = [#(#b),*]));
        }
        if c.kind == "enum" {
            opts.push(quote!(states = ["a", "b"]));
        }
        quote!(S, #name, "help" #(, #opts)*)
    }

    /// The `compile_error!` messages of an expansion, and the family name
    /// given to `Meta::new_static`.
    fn read(ts: TokenStream, errors: &mut Vec<String>, name: &mut Option<String>) {
        let tokens: Vec<TokenTree> = ts.into_iter().collect();
        for (i, t) in tokens.iter().enumerate() {
            match t {
                TokenTree::Ident(id) if id == "compile_error" || id == "new_static" => {
                    let group = tokens[i + 1..].iter().find_map(|t| match t {
                        TokenTree::Group(g) => Some(g.stream()),
                        _ => None,
                    });
                    let Some(group) = group else { continue };
                    if id == "compile_error" {
                        let msg: LitStr = syn::parse2(group).expect("a message literal");
                        errors.push(msg.value());
                    } else {
                        let args = syn::parse::Parser::parse2(
                            Punctuated::<Expr, Token![,]>::parse_terminated,
                            group,
                        )
                        .expect("new_static arguments");
                        if let Some(Expr::Lit(ExprLit {
                            lit: Lit::Str(s), ..
                        })) = args.iter().nth(1)
                        {
                            *name = Some(s.value());
                        }
                    }
                }
                TokenTree::Group(g) => read(g.stream(), errors, name),
                _ => {}
            }
        }
    }

    #[test]
    fn the_macros_follow_the_shared_table() {
        for case in CASES {
            let out = declare(kind_of(case.kind), input(case));
            let (mut errors, mut name) = (Vec::new(), None);
            read(out, &mut errors, &mut name);
            match case.expect {
                Ok(want) => {
                    assert!(errors.is_empty(), "{case:?} refused: {errors:?}");
                    assert_eq!(name.as_deref(), Some(want), "{case:?}");
                }
                Err(want) => {
                    assert_eq!(
                        errors.len(),
                        1,
                        "{case:?}: one message expected: {errors:?}"
                    );
                    assert!(
                        errors[0].contains(want),
                        "{case:?}: `{}` does not say `{want}`",
                        errors[0]
                    );
                }
            }
        }
    }
}
