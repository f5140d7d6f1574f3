//! The static a declaration becomes, and the fallback on error.
//!
//! Everything lives in the static's initializer: the metadata, the bucket
//! and state arrays, and the link-time registration. So the attributes the
//! user puts on the static (`#[cfg(..)]`, `#[deprecated]`, `#[allow]`)
//! apply to its registration too, no item is named after the user's
//! static (no second lint on a lowercase name), and the private module is
//! imported once (`use <krate>::__private::vX_Y_Z as __promscribe;`), so a
//! promscribe of another version gives one unresolved import.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, LitStr};

use super::model::{Kind, Limit, Model};

fn float_tokens(v: f64) -> TokenStream {
    if v == f64::INFINITY {
        quote!(::core::f64::INFINITY)
    } else {
        let lit = proc_macro2::Literal::f64_suffixed(v);
        quote!(#lit)
    }
}

/// The `Option` argument of a limit. A const expression is checked where
/// it is written: its type by a `const` of the limit's type, its value by
/// a const panic with the constructor's message (`check` is the private
/// function that gives it), so that a mistake is blamed on the expression
/// rather than on the whole declaration. The value is held by a `const`
/// item, not a `let`: a `const` or unit struct of the user's of the same
/// name would turn a `let`'s binding into a pattern.
fn limit(p: &Ident, limit: Option<Limit>, ty: TokenStream, check: &str) -> TokenStream {
    match limit {
        None => quote!(::core::option::Option::None),
        Some(Limit::Checked(value)) => quote!(::core::option::Option::Some(#value)),
        Some(Limit::Const(e)) => {
            let check = Ident::new(check, Span::call_site());
            let value = Ident::new("__PROMSCRIBE_LIMIT", Span::mixed_site());
            // The type at the expression too: a mismatch is its own.
            let ty: TokenStream = ty
                .into_iter()
                .map(|mut t| {
                    t.set_span(e.span());
                    t
                })
                .collect();
            quote_spanned! {e.span()=>
                ::core::option::Option::Some({
                    const #value: #ty = #e;
                    if !#p::#check(#value).is_empty() {
                        ::core::panic!("{}", #p::#check(#value));
                    }
                    #value
                })
            }
        }
    }
}

/// The items of a `native = <expr>` option, and the statement that
/// checks it. The items: the const of the options (typed at the
/// expression, so that a mismatch is blamed on it), for the lengths
/// computed from them, and the static the histogram keeps a reference
/// to. The statement, for the static's own initializer: a const panic
/// with the constructor's message, at the expression, as [`limit`] does
/// (in the const, the panic would also blame the whole declaration, which
/// uses it).
fn native_items(p: &Ident, e: &syn::Expr) -> (TokenStream, TokenStream) {
    let opts = Ident::new("__PROMSCRIBE_NATIVE_OPTS", Span::mixed_site());
    let stat = Ident::new("__PROMSCRIBE_NATIVE", Span::mixed_site());
    let ty = quote_spanned!(e.span()=> #p::NativeOpts);
    let items = quote! {
        const #opts: #ty = #e;
        static #stat: #p::NativeOpts = #opts;
    };
    let check = quote_spanned! {e.span()=>
        if !#p::__native_error(&#opts).is_empty() {
            ::core::panic!("{}", #p::__native_error(&#opts));
        }
    };
    (items, check)
}

/// Whether and how the static is registered.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Registration {
    /// Registered at link time: the input had no mistake.
    Registered,
    /// Not registered: the input had a mistake, reported beside it.
    Unregistered,
    /// Written directly in an `impl` or `trait` block, where rustc refuses
    /// a `static` (its one error) and recovers it as an associated
    /// `const`, which a registration could not name. Not registered, and
    /// the initializer names `Self`, which only exists there: were the
    /// placement ever misread, the build fails instead of leaving the
    /// metric silently unregistered.
    Associated,
}

/// The static, registered as `registration` says.
pub(super) fn expand(m: Model, registration: Registration) -> TokenStream {
    let Model {
        kind,
        krate,
        attrs,
        vis,
        ident,
        full_name,
        help,
        unit,
        labels,
        buckets,
        states,
        native,
        quantiles,
        multiprocess_mode,
        limits,
    } = m;
    let private = krate.private();
    let k = krate.path();
    let p = Ident::new("__promscribe", Span::mixed_site());
    let ty = kind.type_ident();
    let kind_variant = kind.metric_type();
    let label_lits: Vec<&LitStr> = labels.iter().flatten().collect();
    let n = label_lits.len();
    let mode = multiprocess_mode.map(|m| quote!(.__multiprocess_mode(#m)));
    let meta = quote! {
        static __META: #p::Meta = #p::Meta::new_static(
            #p::MetricType::#kind_variant, #full_name, #help, #unit, &[#(#label_lits),*],
        )#mode;
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
    let (native_def, native_check) = match native.as_ref().map(|e| native_items(&p, e)) {
        Some((items, check)) => (Some(items), Some(check)),
        None => (None, None),
    };
    let quantiles_def = quantiles.as_ref().map(|q| {
        let pairs = q.objectives.iter().map(|&(phi, eps)| {
            let (phi, eps) = (float_tokens(phi), float_tokens(eps));
            quote!((#phi, #eps))
        });
        let some = |t: Option<TokenStream>| match t {
            Some(t) => quote!(::core::option::Option::Some(#t)),
            None => quote!(::core::option::Option::None),
        };
        let max_age = some(q.max_age_ms.map(|ms| {
            let ms = proc_macro2::Literal::u64_suffixed(ms);
            quote!(#ms)
        }));
        let age_buckets = some(q.age_buckets.map(|n| {
            let n = proc_macro2::Literal::u32_suffixed(n);
            quote!(#n)
        }));
        quote! {
            static __QUANTILES: #p::DeclaredQuantiles =
                #p::DeclaredQuantiles::new(&[#(#pairs),*], #max_age, #age_buckets);
        }
    });
    let native_opts = Ident::new("__PROMSCRIBE_NATIVE_OPTS", Span::mixed_site());
    let native_static = Ident::new("__PROMSCRIBE_NATIVE", Span::mixed_site());
    let (static_ty, init) = match (labels.is_some(), kind) {
        (false, Kind::Histogram) if native_def.is_some() => {
            let (bounds_def, bounds_arg, classic_len) = match &bounds {
                Some(b) => {
                    let len = buckets.as_ref().map(Vec::len).unwrap_or(0);
                    (
                        b.clone(),
                        quote!(::core::option::Option::Some(&__BOUNDS)),
                        quote!(#len),
                    )
                }
                None => (
                    quote!(),
                    quote!(::core::option::Option::None),
                    quote!(#p::DEFAULT_BUCKETS.len()),
                ),
            };
            (
                quote!(#k::Histogram),
                quote! {
                    #native_def
                    #bounds_def
                    static __COUNTS: [#p::AtomicU64; #p::__declared_counts(&#native_opts, #classic_len)] =
                        [#p::ZERO; #p::__declared_counts(&#native_opts, #classic_len)];
                    #native_check
                    #p::Histogram::__from_static_native(&__META, #bounds_arg, &__COUNTS, &#native_static)
                },
            )
        }
        (false, Kind::Histogram) => {
            let (bounds_def, bounds_ref, len) = match &bounds {
                Some(b) => {
                    let len = buckets.as_ref().map(Vec::len).unwrap_or(0);
                    (b.clone(), quote!(&__BOUNDS), quote!(#len))
                }
                None => (
                    quote!(),
                    quote!(&#p::DEFAULT_BUCKETS),
                    quote!(#p::DEFAULT_BUCKETS.len()),
                ),
            };
            (
                quote!(#k::Histogram),
                quote! {
                    #bounds_def
                    static __COUNTS: [#p::AtomicU64; #len] = [#p::ZERO; #len];
                    #p::Histogram::__from_static(&__META, #bounds_ref, &__COUNTS)
                },
            )
        }
        (false, Kind::Enum) => (
            quote!(#k::Enum),
            quote! {
                #states_def
                #p::Enum::__from_static(&__META, &__STATES)
            },
        ),
        (false, Kind::Summary) if quantiles_def.is_some() => (
            quote!(#k::DeclaredSummary),
            quote! {
                #quantiles_def
                #p::DeclaredSummary::__from_static(&__META, &__QUANTILES)
            },
        ),
        (false, _) => (quote!(#k::#ty), quote!(#p::#ty::__from_static(&__META))),
        (true, _) => {
            let config = match (kind, &bounds) {
                (Kind::Histogram, b) if native_def.is_some() => {
                    let bounds_arg = match b {
                        Some(_) => quote!(::core::option::Option::Some(&__BOUNDS)),
                        None => quote!(::core::option::Option::None),
                    };
                    quote! {{
                        #native_def
                        #b
                        #native_check
                        #p::HistogramConfig::__declared(#bounds_arg, &#native_static)
                    }}
                }
                (Kind::Histogram, Some(b)) => quote! {{
                    #b
                    #p::HistogramConfig::classic(#p::Buckets::__from_static(&__BOUNDS))
                }},
                (Kind::Histogram, None) => {
                    quote!(#p::HistogramConfig::classic(#p::Buckets::DEFAULT))
                }
                (Kind::Enum, _) => quote! {{
                    #states_def
                    #p::States::__from_static(&__STATES)
                }},
                (Kind::Summary, _) if quantiles_def.is_some() => quote! {{
                    #quantiles_def
                    #p::SummaryConfig::__declared(&__QUANTILES)
                }},
                (Kind::Summary, _) => quote!(#p::SummaryConfig::plain()),
                _ => quote!(()),
            };
            let init = if limits.is_set() {
                let max_series = limit(&p, limits.max_series, quote!(usize), "__max_series_error");
                let expire_after = limit(
                    &p,
                    limits.expire_after,
                    quote!(::core::time::Duration),
                    "__expire_after_error",
                );
                quote!(#p::Family::__from_static_limited(&__META, #config, #max_series, #expire_after))
            } else {
                quote!(#p::Family::__from_static(&__META, #config))
            };
            (quote!(#k::Family<#k::#ty, #n>), init)
        }
    };
    let registration = match registration {
        Registration::Registered => quote! {
            #p::register! {
                #ident,
                #p::Site {
                    file: ::core::file!(),
                    line: ::core::line!(),
                    column: ::core::column!(),
                }
            }
        },
        Registration::Unregistered => quote!(),
        Registration::Associated => quote! {
            let _: ::core::marker::PhantomData<Self> = ::core::marker::PhantomData;
        },
    };
    quote! {
        #doc
        #(#attrs)*
        #vis static #ident: #static_ty = {
            use #private as #p;
            #meta
            #registration
            #init
        };
    }
}
