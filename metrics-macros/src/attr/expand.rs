//! The expansion: the signature and attributes as written, the body
//! wrapped so that the metric sees the call. No binding the expansion
//! introduces can meet a user's item: guards live as `match` scrutinee
//! temporaries, and results flow through method calls.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::args::{Args, ErrFilter};
use super::item::{self, Func};
use super::validate::{Kind, Shape};
use super::Attr;

/// The tuple impls of `LabelValues` stop at this arity; past it the values
/// go as an array of `&dyn LabelValue`.
const MAX_TUPLE: usize = 6;

/// The metric expression: `&METRIC`, or `METRIC.labels((&a, &b, ...))`
/// (label values taken by reference, so the body can still use them).
/// A future holds its child across `.await`s, possibly on other threads:
/// it takes the owned handle (`labels_owned`), a plain call the borrowed
/// one.
fn holder(args: &Args, owned: bool) -> TokenStream {
    let metric = &args.metric;
    let span = metric.span();
    let labels = if owned {
        quote_spanned!(span=> labels_owned)
    } else {
        quote_spanned!(span=> labels)
    };
    match &args.labels {
        None => quote_spanned!(span=> &#metric),
        Some(values) if values.len() <= MAX_TUPLE => {
            quote_spanned!(span=> #metric.#labels((#(&#values,)*)))
        }
        Some(values) => {
            let krate = args.krate.path();
            quote_spanned!(span=> #metric.#labels([#(&#values as &dyn #krate::LabelValue,)*]))
        }
    }
}

/// A never-taken `return` that gives a wrapped body the function's type,
/// so that `?` and `return` inside it keep their meaning.
fn typed_return(ty: Option<&Type>, p: &TokenStream) -> TokenStream {
    let ty = match ty {
        Some(ty) => item::inferable(ty),
        None => syn::parse_quote!(()),
    };
    if matches!(ty, Type::Infer(_)) {
        return TokenStream::new();
    }
    quote! {
        #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::empty_loop)]
        if false {
            return #p::typed::<#ty>(loop {});
        }
    }
}

pub(super) fn expand(attr: Attr, args: &Args, func: Func, shape: Shape) -> TokenStream {
    let p = args.krate.private();
    let holder = holder(args, !matches!(shape.kind, Kind::Sync { .. }));
    let span = args.metric.span();
    let Func {
        attrs,
        vis,
        sig,
        inner_attrs,
        body,
        ..
    } = func;
    let declared = item::output(&sig).cloned();
    let output = shape.output.as_ref();
    let wrap = |boxed: bool, fut: TokenStream| {
        if boxed {
            quote!(::std::boxed::Box::pin(#fut))
        } else {
            fut
        }
    };
    let new_body = match attr {
        Attr::Timed | Attr::TrackInprogress => {
            let (start, around) = if attr == Attr::Timed {
                (
                    quote_spanned!(span=> #p::timed(#holder)),
                    quote_spanned!(span=> #p::timed_future),
                )
            } else {
                (
                    quote_spanned!(span=> #p::inprogress(#holder)),
                    quote_spanned!(span=> #p::inprogress_future),
                )
            };
            match shape.kind {
                Kind::Sync { .. } | Kind::Async => quote! {
                    match #start { _ => { #body } }
                },
                Kind::AsyncTrait(at) => {
                    let (prefix, pin, head, inner) = (at.prefix, at.pin, at.async_head, at.inner);
                    quote! {
                        #prefix
                        #pin(#head {
                            match #start { _ => { #inner } }
                        })
                    }
                }
                Kind::Future { boxed } => {
                    let fake = typed_return(declared.as_ref(), &p);
                    wrap(
                        boxed,
                        quote!(#around(#holder, #p::call(move || { #fake #body }))),
                    )
                }
            }
        }
        Attr::CountExceptions => {
            let err = Ident::new("__metrics_err", Span::mixed_site());
            let (finish, counting) = match &args.filter {
                ErrFilter::Any => (quote!(finish()), quote!(counting())),
                ErrFilter::Pattern(_, pat) => (
                    quote_spanned!(pat.span()=> finish_if(|#err| ::core::matches!(#err, #pat))),
                    quote_spanned!(pat.span()=> counting_if(|#err| ::core::matches!(#err, #pat))),
                ),
                ErrFilter::Type(_, ty) => (
                    quote_spanned!(ty.span()=> finish_err_type::<#ty>()),
                    quote_spanned!(ty.span()=> counting_err_type::<#ty>()),
                ),
            };
            let start = quote_spanned!(span=> #p::exceptions(#holder));
            let uses = quote! {
                #[allow(unused_imports)]
                use #p::{CountingAny as _, FinishAny as _};
            };
            match shape.kind {
                Kind::Sync { track_caller } => match (output, track_caller) {
                    (None, _) => quote!(match #start { _ => { #body } }),
                    (Some(_), true) => quote! {
                        #uses
                        #start.outcome(match () { () => { #body } }).#finish
                    },
                    (Some(out), false) => {
                        let fake = typed_return(Some(out), &p);
                        quote! {
                            #uses
                            #start.outcome(#p::call(move || { #fake #body })).#finish
                        }
                    }
                },
                Kind::Async => {
                    let fake = typed_return(output, &p);
                    quote! {
                        #uses
                        #start.pending(async move { #fake #body }).#counting.await
                    }
                }
                Kind::AsyncTrait(at) => {
                    let (prefix, pin, head, inner) = (at.prefix, at.pin, at.async_head, at.inner);
                    let fake = typed_return(output, &p);
                    quote! {
                        #prefix
                        #pin(#head {
                            #uses
                            #start.pending(async move { #fake #inner }).#counting.await
                        })
                    }
                }
                Kind::Future { boxed } => {
                    let fake = typed_return(declared.as_ref(), &p);
                    let fut = quote! {
                        #start.pending(#p::call(move || { #fake #body })).#counting
                    };
                    let fut = wrap(boxed, fut);
                    quote! {
                        #uses
                        #fut
                    }
                }
            }
        }
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #inner_attrs
            #new_body
        }
    }
}
