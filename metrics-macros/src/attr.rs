//! The attribute macros: `#[timed]`, `#[count_exceptions]` and
//! `#[track_inprogress]`. Each parses its arguments, keeps the function's
//! signature and attributes as they are, and wraps the body.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Block, Expr, Ident, ItemFn, Pat, ReturnType, Token, Type};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attr {
    Timed,
    CountExceptions,
    TrackInprogress,
}

impl Attr {
    fn name(self) -> &'static str {
        match self {
            Attr::Timed => "timed",
            Attr::CountExceptions => "count_exceptions",
            Attr::TrackInprogress => "track_inprogress",
        }
    }

    fn metric_kind(self) -> &'static str {
        match self {
            Attr::Timed => "metric to record into, e.g. #[timed(REQUEST_TIME)]",
            Attr::CountExceptions => "counter to increment, e.g. #[count_exceptions(FAILURES)]",
            Attr::TrackInprogress => "gauge to track with, e.g. #[track_inprogress(IN_PROGRESS)]",
        }
    }

    fn options(self) -> &'static str {
        match self {
            Attr::CountExceptions => "`labels = [...]`, `err = pattern` or `err_type = Type`",
            _ => "`labels = [...]`",
        }
    }
}

/// Which errors `#[count_exceptions]` counts.
enum ErrFilter {
    Any,
    Pattern(Pat),
    Type(Type),
}

struct Args {
    metric: Expr,
    labels: Option<Vec<Expr>>,
    filter: ErrFilter,
}

fn parse_args(attr: Attr, input: ParseStream<'_>) -> syn::Result<Args> {
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            format!("#[{}] needs the {}", attr.name(), attr.metric_kind()),
        ));
    }
    let metric: Expr = input.parse()?;
    let mut labels = None;
    let mut filter = ErrFilter::Any;
    let mut seen: Vec<String> = Vec::new();
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let key: Ident = input.parse()?;
        let k = key.to_string();
        let allowed = match attr {
            Attr::CountExceptions => matches!(k.as_str(), "labels" | "err" | "err_type"),
            _ => k == "labels",
        };
        if !allowed {
            return Err(syn::Error::new_spanned(
                &key,
                format!(
                    "unknown option `{k}` for #[{}]: expected {}",
                    attr.name(),
                    attr.options()
                ),
            ));
        }
        if seen.contains(&k) || (k.starts_with("err") && seen.iter().any(|s| s.starts_with("err")))
        {
            return Err(syn::Error::new_spanned(
                &key,
                "this option is given twice (`err` and `err_type` exclude each other)",
            ));
        }
        seen.push(k.clone());
        input.parse::<Token![=]>()?;
        match k.as_str() {
            "labels" => match input.parse::<Expr>()? {
                Expr::Array(a) => labels = Some(a.elems.into_iter().collect()),
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "`labels` takes a list in brackets, e.g. `labels = [method, path]`",
                    ))
                }
            },
            "err" => filter = ErrFilter::Pattern(Pat::parse_multi_with_leading_vert(input)?),
            _ => filter = ErrFilter::Type(input.parse()?),
        }
    }
    Ok(Args {
        metric,
        labels,
        filter,
    })
}

/// The metric expression: `&METRIC`, or `METRIC.labels((a, b, ...))`
/// (a tuple, so label values of different types can be mixed).
fn target(args: &Args) -> TokenStream {
    let metric = &args.metric;
    let span = metric.span();
    match &args.labels {
        None => quote_spanned!(span=> &#metric),
        Some(values) => quote_spanned!(span=> #metric.labels((#(#values,)*))),
    }
}

/// Whether a return type can be named in a `let` (no `impl Trait` in it).
fn nameable(ty: &Type) -> bool {
    !ty.to_token_stream()
        .into_iter()
        .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == "impl"))
}

pub(crate) fn expand(attr: Attr, args: TokenStream, item: TokenStream) -> TokenStream {
    let func = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let e = syn::Error::new(
                Span::call_site(),
                format!(
                    "#[{}] applies to functions and methods with a body",
                    attr.name()
                ),
            )
            .to_compile_error();
            return quote!(#e #item);
        }
    };
    let args =
        match syn::parse::Parser::parse2(|input: ParseStream<'_>| parse_args(attr, input), args) {
            Ok(a) => a,
            Err(e) => {
                // Keep the function so that its callers still compile.
                let e = e.to_compile_error();
                return quote!(#e #func);
            }
        };
    let target = target(&args);
    let span = args.metric.span();
    let p = quote!(::promscribe::__private);
    let guard = Ident::new("__metrics_guard", Span::mixed_site());
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = func;
    let body = match attr {
        Attr::Timed => {
            let start = quote_spanned!(span=> #p::TimedGuard::start(#target));
            quote!({
                let #guard = #start;
                #block
            })
        }
        Attr::TrackInprogress => {
            let start = quote_spanned!(span=> #p::InProgressGuard::start(#target));
            quote!({
                let #guard = #start;
                #block
            })
        }
        Attr::CountExceptions => count_exceptions_body(&sig, block, &args, target, span),
    };
    quote! {
        #(#attrs)*
        #vis #sig #body
    }
}

fn count_exceptions_body(
    sig: &syn::Signature,
    block: Box<Block>,
    args: &Args,
    target: TokenStream,
    span: Span,
) -> TokenStream {
    let p = quote!(::promscribe::__private);
    let guard = Ident::new("__metrics_guard", Span::mixed_site());
    let result = Ident::new("__metrics_result", Span::mixed_site());
    let start = quote_spanned!(span=> #p::ExceptionGuard::new(#target));
    let ret = match &sig.output {
        ReturnType::Type(_, ty) if nameable(ty) => Some(ty.as_ref()),
        _ => None,
    };
    // A function returning `()` or an `impl Trait` has no error to see:
    // only panics count.
    let Some(ret) = ret else {
        return quote!({
            let #guard = #start;
            #block
        });
    };
    // Give the wrapped body a known return type so that `?` and `return`
    // inside it keep their meaning.
    let fake_return = quote! {
        #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::empty_loop, clippy::let_unit_value)]
        if false {
            let __metrics_fake_return: #ret = loop {};
            return __metrics_fake_return;
        }
    };
    let run = if sig.asyncness.is_some() {
        quote!(async move { #fake_return #block }.await)
    } else {
        quote!(#p::call(move || { #fake_return #block }))
    };
    let classify = match &args.filter {
        ErrFilter::Any => quote! {
            #[allow(unused_imports)]
            use #p::{IsErrOther as _, IsErrResult as _};
            if (&#p::Probe(&#result)).__metrics_is_err() {
                #guard.record();
            }
        },
        ErrFilter::Pattern(pat) => quote_spanned! {pat.span()=>
            #[allow(unused_variables)]
            if let ::core::result::Result::Err(#pat) = &#result {
                #guard.record();
            }
        },
        ErrFilter::Type(ty) => quote_spanned! {ty.span()=>
            if let ::core::result::Result::Err(__metrics_err) = &#result {
                if #p::error_is::<#ty, _>(__metrics_err) {
                    #guard.record();
                }
            }
        },
    };
    quote!({
        let #guard = #start;
        let #result = #run;
        {
            #classify
        }
        #result
    })
}
