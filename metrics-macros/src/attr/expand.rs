//! The expansion: the signature and attributes as written, the body
//! wrapped so that the metric sees the call. No binding the expansion
//! introduces can meet a user's item: guards live as `match` scrutinee
//! temporaries, and results flow through method calls.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Member, Type};

use super::args::{Args, ErrFilter};
use super::item::{self, Func};
use super::validate::{Kind, Shape};
use super::Attr;

/// The tuple impls of `LabelValues` stop at this arity; past it the values
/// go as an array of `&dyn LabelValue`.
const MAX_TUPLE: usize = 6;

/// The metric expression: `&METRIC`, or the child of a family for the
/// values of `labels = [...]`, taken by reference so the body can still
/// use them:
///
/// ```text
/// match <_ as LabelledMetric>::family(&METRIC) {
///     f => <_ as LabelValueCount<_, 2>>::child(f, (&a, &b), f),
/// }
/// ```
///
/// A metric without labels is one error, on the metric, from the first
/// trait. The family's number of label names comes from its type, the
/// number of values is written out, and the second trait holds only where
/// the two agree: a wrong number of values is one error, on the list, in
/// those numbers (see `LabelValueCount`). The binding is hygienic, out of
/// the label values' reach. A future holds its child across `.await`s,
/// possibly on other threads: it takes the owned handle (`owned_child`), a
/// plain call the borrowed one.
fn holder(args: &Args, owned: bool) -> TokenStream {
    let metric = &args.metric;
    let span = metric.span();
    let Some(list) = &args.labels else {
        return quote_spanned!(span=> &#metric);
    };
    let p = args.krate.private();
    let krate = args.krate.path();
    let values = &list.values;
    let tuple = if values.len() <= MAX_TUPLE {
        quote_spanned!(list.span=> (#(&#values,)*))
    } else {
        quote_spanned!(list.span=> [#(&#values as &dyn #krate::LabelValue,)*])
    };
    let given = proc_macro2::Literal::usize_unsuffixed(values.len());
    let method = if owned {
        quote!(owned_child)
    } else {
        quote!(child)
    };
    // The whole path is shown on the list, so the error points there.
    let lookup = located_at(
        quote!(<_ as #p::LabelValueCount<_, #given>>::#method),
        list.span,
    );
    let family = Ident::new("__promscribe_family", Span::mixed_site().located_at(span));
    let of = located_at(quote!(<_ as #p::LabelledMetric>::family), span);
    quote_spanned! {span=>
        match #of(&#metric) {
            #family => #lookup(#family, #tuple, #family),
        }
    }
}

/// Every identifier in `tokens`, groups included.
fn idents(tokens: TokenStream, out: &mut Vec<Ident>) {
    for t in tokens {
        match t {
            TokenTree::Ident(i) => out.push(i),
            TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}

/// The marker type that carries the metric's name into the error on the
/// wrong kind of metric (`{N}` of the support traits'
/// `#[diagnostic::on_unimplemented]`): the last identifier of the metric
/// path or field (`REQUESTS`, `self.latency` -> `latency`). It is declared
/// in a block of its own around the guard's constructor, so the body never
/// sees it; if what the user wrote uses that identifier anywhere else
/// (a label expression naming a type of that name, the `crate = path`),
/// or the metric is no path or named field (`self.0`, a literal), it is
/// called `metric`. (The names the expansion adds around the holder,
/// such as the `family` of `LabelledMetric`, do not count: a field called
/// `family` keeps its name.)
fn marker(args: &Args) -> Ident {
    let last = match &args.metric {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.clone()),
        Expr::Field(f) => match &f.member {
            Member::Named(i) => Some(i.clone()),
            Member::Unnamed(_) => None,
        },
        _ => None,
    };
    let metric = &args.metric;
    let values = args.labels.iter().flat_map(|l| &l.values);
    let krate = args.krate.path();
    let mut all = Vec::new();
    idents(quote!(#metric #(#values)* #krate), &mut all);
    match last {
        Some(mut name) if all.iter().filter(|i| **i == name).count() == 1 => {
            name.set_span(Span::mixed_site().located_at(name.span()));
            name
        }
        _ => Ident::new("metric", Span::mixed_site()),
    }
}

/// A guard constructor of `__private` called with the holder and what it
/// records with, named through the metric-kind trait with the marker type:
/// `f(holder, { struct M {} <_ as Trait<M>>::method })`. The kind is
/// checked where that path is named (the constructor has no bound), so a
/// metric of the wrong kind is one error, on the metric, naming only the
/// trait. With `exemplar`, the block also names
/// `<OtelFeature as FeatureEnabled>::check`, placed on the option: without
/// promscribe's `otel` feature that is one error, in words, on `exemplar`
/// (the traced constructors have no bound of their own).
fn checked(func: &str, args: &Args, owned: bool) -> TokenStream {
    let p = args.krate.private();
    let holder = holder(args, owned);
    let span = args.metric.span();
    let m = marker(args);
    let (tr, item) = match func {
        "timed" | "timed_later" => ("TimedMetric", "record_seconds"),
        "timed_traced" | "timed_traced_later" => ("TimedMetric", "record_seconds_traced"),
        "inprogress" | "inprogress_later" => ("InProgressMetric", "HOOKS"),
        "exceptions_traced" => ("ExceptionMetric", "count_one_traced"),
        _ => ("ExceptionMetric", "count_one"),
    };
    let func = Ident::new(func, span);
    let tr = Ident::new(tr, span);
    let item = Ident::new(item, span);
    // That whole path is placed on the metric, so the error points there.
    let check = located_at(quote!(<_ as #p::#tr<#m>>::#item), span);
    let feature = match &args.exemplar {
        Some(key) if func.to_string().contains("traced") => located_at(
            quote!(<#p::OtelFeature as #p::FeatureEnabled>::check();),
            key.span(),
        ),
        _ => TokenStream::new(),
    };
    quote_spanned! {span=>
        #p::#func(#holder, {
            #[allow(non_camel_case_types, dead_code, clippy::upper_case_acronyms)]
            struct #m {}
            #feature
            #check
        })
    }
}

/// `tokens`, resolved as before but shown at `span`.
fn located_at(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let TokenTree::Group(g) = &t {
                let mut n = proc_macro2::Group::new(g.delimiter(), located_at(g.stream(), span));
                n.set_span(g.span().located_at(span));
                t = TokenTree::Group(n);
            } else {
                t.set_span(t.span().located_at(span));
            }
            t
        })
        .collect()
}

/// The closure that tests an error against the `err = pattern` of
/// `#[count_exceptions]`: `|e| matches!(e, pattern)`. Its parameter must
/// bind whatever the user's scope holds: an identifier pattern naming a
/// `const`, a `static` or a unit struct in scope is not a binding (hygiene
/// does not cover items). So the parameter's name is one the pattern does
/// not use, and a local `fn` of that name, declared in a block around the
/// closure only, hides any item of the user's of that name from it.
fn err_test(pat: &syn::Pat) -> TokenStream {
    let mut used = Vec::new();
    idents(quote!(#pat), &mut used);
    let name = (0..)
        .map(|i| format!("__metrics_err{i}"))
        .find(|n| !used.iter().any(|u| u == n.as_str()))
        .unwrap_or_default();
    let err = Ident::new(&name, Span::mixed_site());
    quote! {{
        #[allow(dead_code, non_snake_case)]
        fn #err() {}
        |#err| ::core::matches!(#err, #pat)
    }}
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
    // A future holds its child across `.await`s: the owned handle.
    let owned = !matches!(shape.kind, Kind::Sync { .. });
    let Func {
        attrs,
        vis,
        sig,
        inner_attrs,
        body,
        brace,
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
            let (start, around, future) = if attr == Attr::Timed && args.exemplar.is_some() {
                ("timed_traced", "timed_traced_later", quote!(timed_future))
            } else if attr == Attr::Timed {
                ("timed", "timed_later", quote!(timed_future))
            } else {
                ("inprogress", "inprogress_later", quote!(inprogress_future))
            };
            let start = checked(start, args, owned);
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
                    let later = checked(around, args, owned);
                    let fut = quote!(#p::#future(#later, #p::call(move || { #fake #body })));
                    wrap(boxed, fut)
                }
            }
        }
        Attr::CountExceptions => {
            let (finish, counting) = match &args.filter {
                ErrFilter::Any => (quote!(finish()), quote!(counting())),
                // The output is tested through `ErrorReturn`, named at the
                // option's key: a function whose return type is not a
                // `Result` (an alias the macro cannot see through) gets that
                // trait's error, in words, there.
                ErrFilter::Pattern(key, pat) => {
                    let test = err_test(pat);
                    let out = Ident::new("__metrics_out", Span::mixed_site());
                    let check = quote_spanned! {key.span()=>
                        |#out| <_ as #p::ErrorReturn>::error(#out).is_some_and(#test)
                    };
                    (quote!(finish_when(#check)), quote!(counting_when(#check)))
                }
                ErrFilter::Type(key, ty) => {
                    let is_a = quote_spanned!(ty.span()=> #p::error_is::<#ty, _>);
                    let (out, e) = (
                        Ident::new("__metrics_out", Span::mixed_site()),
                        Ident::new("__metrics_e", Span::mixed_site()),
                    );
                    let check = quote_spanned! {key.span()=>
                        |#out| <_ as #p::ErrorReturn>::error(#out).is_some_and(|#e| #is_a(#e))
                    };
                    (quote!(finish_when(#check)), quote!(counting_when(#check)))
                }
            };
            let start = if args.exemplar.is_some() {
                checked("exceptions_traced", args, owned)
            } else {
                checked("exceptions", args, owned)
            };
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
    let mut block = proc_macro2::Group::new(
        proc_macro2::Delimiter::Brace,
        quote!(#inner_attrs #new_body),
    );
    block.set_span(brace);
    quote! {
        #(#attrs)*
        #vis #sig #block
    }
}
