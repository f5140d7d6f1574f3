//! `#[derive(LabelValue)]`: a fieldless enum as a label value.
//!
//! Each variant renders as a `&'static str` (its name in snake_case, or
//! `#[label(rename = "...")]`), so a label value costs no formatting and
//! no allocation. The expansion also implements `LabelEnum` (the number of
//! variants, their texts in declaration order, a variant's index), which a
//! family keyed by such values can index by position.
//!
//! Every mistake is reported, each at its own span: an input that is not
//! an enum, a variant with fields, an unknown option, two variants with the
//! same text (they would be one series).

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{Attribute, Data, DeriveInput, Expr, Fields, LitStr};

use crate::krate::Krate;

/// The expansion of `#[derive(LabelValue)]` on `input`, or its errors.
pub(crate) fn label_value(input: TokenStream) -> TokenStream {
    match syn::parse2::<DeriveInput>(input).and_then(|input| expand(&input)) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

/// Adds `e` to the errors collected so far.
fn push(errors: &mut Option<syn::Error>, e: syn::Error) {
    match errors {
        Some(all) => all.combine(e),
        None => *errors = Some(e),
    }
}

/// The options of the enum itself: `#[label(crate = path)]`.
fn enum_options(attrs: &[Attribute], errors: &mut Option<syn::Error>) -> Krate {
    let mut krate = Krate::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("label")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let value: Expr = meta.value()?.parse()?;
                krate = Krate::from_option(&value)?;
                Ok(())
            } else {
                Err(meta.error(
                    "unknown `#[label]` option on the enum: expected `crate = path` (on a variant: `rename = \"...\"`)",
                ))
            }
        });
        if let Err(e) = parsed {
            push(errors, e);
        }
    }
    krate
}

/// A variant's `#[label(rename = "...")]`, if any.
fn variant_rename(attrs: &[Attribute], errors: &mut Option<syn::Error>) -> Option<LitStr> {
    let mut rename = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("label")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                rename = Some(meta.value()?.parse::<LitStr>()?);
                Ok(())
            } else {
                Err(meta
                    .error("unknown `#[label]` option on a variant: expected `rename = \"...\"`"))
            }
        });
        if let Err(e) = parsed {
            push(errors, e);
        }
    }
    rename
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let name = &input.ident;
    let data = match &input.data {
        Data::Enum(data) => data,
        Data::Struct(s) => {
            return Err(syn::Error::new_spanned(
                s.struct_token,
                format!(
                    "`#[derive(LabelValue)]` takes an enum whose variants have no fields, and `{name}` is a struct: \
                     implement `LabelValue` for it by hand, or make it such an enum"
                ),
            ))
        }
        Data::Union(u) => {
            return Err(syn::Error::new_spanned(
                u.union_token,
                format!(
                    "`#[derive(LabelValue)]` takes an enum whose variants have no fields, and `{name}` is a union: \
                     implement `LabelValue` for it by hand"
                ),
            ))
        }
    };

    let mut errors = None;
    let krate = enum_options(&input.attrs, &mut errors);
    let mut idents = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    for variant in &data.variants {
        let ident = &variant.ident;
        if !matches!(variant.fields, Fields::Unit) {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    &variant.fields,
                    format!(
                        "variant `{name}::{ident}` has fields: `#[derive(LabelValue)]` takes only variants \
                         without fields, each one label value"
                    ),
                ),
            );
            continue;
        }
        let (text, span_of) = match variant_rename(&variant.attrs, &mut errors) {
            Some(lit) => (lit.value(), Some(lit)),
            None => (ident.unraw().to_string().to_snake_case(), None),
        };
        if let Some(first) = texts.iter().position(|t| *t == text) {
            let message = format!(
                "`{name}::{ident}` renders as label value \"{text}\", as `{name}::{}` does: \
                 the two would be one series; give one of them another `#[label(rename = \"...\")]`",
                idents
                    .get(first)
                    .map(ToString::to_string)
                    .unwrap_or_default()
            );
            let e = match span_of {
                Some(lit) => syn::Error::new_spanned(lit, message),
                None => syn::Error::new_spanned(ident, message),
            };
            push(&mut errors, e);
            continue;
        }
        idents.push(ident.clone());
        texts.push(text);
    }
    if let Some(e) = errors {
        return Err(e);
    }

    let krate = krate.path();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let count = idents.len();
    let indexes = 0..count;
    let text_arms = idents
        .iter()
        .zip(&texts)
        .map(|(v, t)| quote!(Self::#v => #t));
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #krate::LabelValue for #name #ty_generics #where_clause {
            #[inline]
            fn label_text(&self) -> #krate::LabelText<'_> {
                #krate::LabelText::borrowed(match *self { #(#text_arms,)* })
            }
            #[inline]
            fn enum_index(&self) -> ::core::option::Option<(usize, usize)> {
                ::core::option::Option::Some((#krate::LabelEnum::index(self), #count))
            }
        }

        #[automatically_derived]
        impl #impl_generics #krate::LabelEnum for #name #ty_generics #where_clause {
            const COUNT: usize = #count;
            const TEXTS: &'static [&'static str] = &[#(#texts),*];
            #[inline]
            fn index(&self) -> usize {
                match *self { #(Self::#idents => #indexes,)* }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(src: &str) -> Result<String, String> {
        let input: DeriveInput = syn::parse_str(src).map_err(|e| e.to_string())?;
        expand(&input)
            .map(|t| t.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn snake_case_and_rename() {
        let out = expand_str(
            r#"enum M { Get, NotFound, HTTPError, r#Type, #[label(rename = "DELETE")] Delete }"#,
        )
        .unwrap();
        for text in [
            "\"get\"",
            "\"not_found\"",
            "\"http_error\"",
            "\"type\"",
            "\"DELETE\"",
        ] {
            assert!(out.contains(text), "{text} in {out}");
        }
        assert!(out.contains("const COUNT : usize = 5usize"), "{out}");
    }

    #[test]
    fn duplicate_texts_are_refused() {
        let e = expand_str(r#"enum M { Get, #[label(rename = "get")] Other }"#).unwrap_err();
        assert!(
            e.contains("`M::Other` renders as label value \"get\", as `M::Get` does"),
            "{e}"
        );
    }

    #[test]
    fn unknown_options_are_refused() {
        let e = expand_str(r#"enum M { #[label(renam = "x")] A }"#).unwrap_err();
        assert!(e.contains("unknown `#[label]` option on a variant"), "{e}");
        let e = expand_str(r#"#[label(rename = "x")] enum M { A }"#).unwrap_err();
        assert!(e.contains("unknown `#[label]` option on the enum"), "{e}");
    }
}
