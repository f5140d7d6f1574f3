//! `counter!`, `gauge!`, `histogram!`, `summary!`, `info!`,
//! `enumeration!`: [`parse`] (syntax, read leniently) -> [`validate`] (the
//! rules, errors collected with spans, into a [`model::Model`]) ->
//! [`expand`] (the static and its registration). On a mistake the static
//! is still emitted, unregistered, beside the `compile_error!`s, so one
//! mistake gives one message and the static's uses add none.

mod expand;
mod model;
mod parse;
mod place;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Expr;

pub(crate) use model::Kind;

/// The expression inside the invisible groups `macro_rules!` wraps
/// forwarded fragments in (`$e:expr`, `$l:literal`).
pub(crate) fn ungroup(e: &Expr) -> &Expr {
    match e {
        Expr::Group(g) => ungroup(&g.expr),
        other => other,
    }
}

/// Expands one declaration.
pub(crate) fn declare(kind: Kind, input: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let input = match parse::parse(input, &mut errors) {
        Ok(i) => i,
        Err(e) => {
            errors.push(e);
            let errors = errors.iter().map(syn::Error::to_compile_error);
            return quote!(#(#errors)*);
        }
    };
    let model = validate::validate(kind, input, &mut errors);
    if errors.is_empty() {
        let registration = if place::call_site_is_associated() {
            expand::Registration::Associated
        } else {
            expand::Registration::Registered
        };
        expand::expand(model, registration)
    } else {
        // Keep the static (unregistered) so its uses still type-check and
        // the user sees only the real mistake.
        let errors = errors.iter().map(syn::Error::to_compile_error);
        let item = expand::expand(model, expand::Registration::Unregistered);
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
    use proc_macro2::{Span, TokenTree};
    use syn::punctuated::Punctuated;
    use syn::{ExprLit, Ident, Lit, LitStr, Token};

    include!("../../../metrics-rules/tests/shared/table.rs");

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
