//! `#[timed(METRIC)]` and `#[timed(FAMILY, labels = [...])]`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, ItemFn, Token};

/// The attribute's arguments.
struct Args {
    metric: Expr,
    labels: Option<Vec<Expr>>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "#[timed] needs the metric to record into, e.g. #[timed(REQUEST_TIME)]",
            ));
        }
        let metric: Expr = input.parse()?;
        let mut labels = None;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            if key != "labels" {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!("unknown option `{key}` for #[timed]: expected `labels = [...]`"),
                ));
            }
            if labels.is_some() {
                return Err(syn::Error::new_spanned(
                    &key,
                    "option `labels` is given twice",
                ));
            }
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            match value {
                Expr::Array(a) => labels = Some(a.elems.into_iter().collect()),
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "`labels` takes a list in brackets, e.g. `labels = [method, path]`",
                    ))
                }
            }
        }
        Ok(Args { metric, labels })
    }
}

pub(crate) fn timed(args: TokenStream, item: TokenStream) -> TokenStream {
    let func = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let e = syn::Error::new(
                Span::call_site(),
                "#[timed] applies to functions and methods with a body",
            )
            .to_compile_error();
            return quote!(#e #item);
        }
    };
    let args = match syn::parse2::<Args>(args) {
        Ok(a) => a,
        Err(e) => {
            // Keep the function so that its callers still compile.
            let e = e.to_compile_error();
            return quote!(#e #func);
        }
    };
    let metric = &args.metric;
    let span = metric.span();
    let target = match &args.labels {
        None => quote_spanned!(span=> &#metric),
        Some(values) => {
            // A tuple, so that values of different types can be mixed.
            quote_spanned!(span=> #metric.labels((#(#values,)*)))
        }
    };
    let guard = Ident::new("__metrics_timed_guard", Span::mixed_site());
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = func;
    let start = quote_spanned!(span=> ::metrics_core::__private::TimedGuard::start(#target));
    quote! {
        #(#attrs)*
        #vis #sig {
            let #guard = #start;
            #block
        }
    }
}
