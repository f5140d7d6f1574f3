//! The attribute's arguments: `METRIC`, then `labels = [...]`,
//! `crate = path`, for `#[timed]` and `#[count_exceptions]` the flag
//! `exemplar`, and for `#[count_exceptions]` `err = pattern` or
//! `err_type = Type`.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, Pat, Token, Type};

use super::Attr;
use crate::krate::Krate;

/// Which errors `#[count_exceptions]` counts.
pub(super) enum ErrFilter {
    Any,
    Pattern(Ident, Pat),
    Type(Ident, Type),
}

/// The values of `labels = [...]`, and where the list is written (the
/// brackets), where a wrong number of values is reported.
pub(super) struct LabelList {
    pub(super) values: Vec<Expr>,
    pub(super) span: Span,
}

pub(super) struct Args {
    pub(super) metric: Expr,
    pub(super) labels: Option<LabelList>,
    pub(super) filter: ErrFilter,
    /// The path promscribe is reached by (`crate = path`).
    pub(super) krate: Krate,
    /// `exemplar` (`#[timed]`, `#[count_exceptions]`), as written: the
    /// current trace goes with the observation or the count.
    pub(super) exemplar: Option<Ident>,
}

fn metric_kind(attr: Attr) -> &'static str {
    match attr {
        Attr::Timed => "metric to record into, e.g. #[timed(REQUEST_TIME)]",
        Attr::CountExceptions => "counter to increment, e.g. #[count_exceptions(FAILURES)]",
        Attr::TrackInprogress => "gauge to track with, e.g. #[track_inprogress(IN_PROGRESS)]",
    }
}

fn options(attr: Attr) -> &'static str {
    match attr {
        Attr::CountExceptions => {
            "`labels = [...]`, `crate = path`, `err = pattern`, `err_type = Type` or `exemplar`"
        }
        Attr::Timed => "`labels = [...]`, `crate = path` or `exemplar`",
        Attr::TrackInprogress => "`labels = [...]` or `crate = path`",
    }
}

/// An expression as written, seen through the invisible groups that a
/// `macro_rules!` fragment (`$e:expr`) is wrapped in.
pub(super) fn ungroup(e: Expr) -> Expr {
    match e {
        Expr::Group(g) => ungroup(*g.expr),
        Expr::Paren(p) if matches!(*p.expr, Expr::Group(_)) => ungroup(*p.expr),
        other => other,
    }
}

pub(super) fn parse(attr: Attr, args: TokenStream) -> syn::Result<Args> {
    (|input: ParseStream<'_>| parse_args(attr, input)).parse2(args)
}

fn parse_args(attr: Attr, input: ParseStream<'_>) -> syn::Result<Args> {
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            format!("#[{}] needs the {}", attr.name(), metric_kind(attr)),
        ));
    }
    let metric = ungroup(input.parse::<Expr>()?);
    let mut labels = None;
    let mut filter = ErrFilter::Any;
    let mut krate = Krate::default();
    let mut exemplar = None;
    let mut seen: Vec<String> = Vec::new();
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        let k = key.to_string();
        let allowed = match attr {
            Attr::CountExceptions => {
                matches!(
                    k.as_str(),
                    "labels" | "crate" | "err" | "err_type" | "exemplar"
                )
            }
            Attr::Timed => matches!(k.as_str(), "labels" | "crate" | "exemplar"),
            Attr::TrackInprogress => matches!(k.as_str(), "labels" | "crate"),
        };
        if !allowed {
            return Err(syn::Error::new_spanned(
                &key,
                format!(
                    "unknown option `{k}` for #[{}]: expected {}",
                    attr.name(),
                    options(attr)
                ),
            ));
        }
        if seen.contains(&k) {
            return Err(syn::Error::new_spanned(
                &key,
                format!("`{k}` is given twice: give it once"),
            ));
        }
        if let Some(other) = seen.iter().find(|s| s.starts_with("err")) {
            if k.starts_with("err") {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!("`{other}` is given already: `err` and `err_type` exclude each other, give one of them"),
                ));
            }
        }
        seen.push(k.clone());
        if k == "exemplar" {
            exemplar = Some(key);
            continue;
        }
        input.parse::<Token![=]>()?;
        match k.as_str() {
            "labels" => match ungroup(input.parse::<Expr>()?) {
                Expr::Array(a) => {
                    labels = Some(LabelList {
                        span: a.bracket_token.span.join(),
                        values: a.elems.into_iter().map(ungroup).collect(),
                    })
                }
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "`labels` takes a list in brackets, e.g. `labels = [method, path]`",
                    ))
                }
            },
            "crate" => krate = Krate::from_option(&input.parse::<Expr>()?)?,
            "err" => filter = ErrFilter::Pattern(key, Pat::parse_multi_with_leading_vert(input)?),
            _ => filter = ErrFilter::Type(key, input.parse()?),
        }
    }
    Ok(Args {
        metric,
        labels,
        filter,
        krate,
        exemplar,
    })
}
