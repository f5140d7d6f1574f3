//! The path expansions reach promscribe by: `::promscribe` unless the
//! caller says `crate = path` (a renamed dependency, a facade crate that
//! re-exports promscribe), as linkme's `#[linkme(crate = path)]` and
//! serde's `#[serde(crate = "...")]`.
//!
//! Everything an expansion calls goes through one private module stamped
//! with this crate's version, `<krate>::__private::v0_1_0`: promscribe
//! defines exactly the module of its own version, so a promscribe-macros
//! of another version than the promscribe it expands against fails to
//! resolve that module (one error, at the macro call) instead of calling
//! items whose meaning may have changed.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Expr, ExprLit, ExprPath, Ident, Lit, Path};

/// The crate path of one expansion.
#[derive(Clone)]
pub(crate) struct Krate {
    path: TokenStream,
}

impl Default for Krate {
    fn default() -> Self {
        Krate {
            path: quote!(::promscribe),
        }
    }
}

impl Krate {
    /// The value of a `crate = ...` option: a path (`crate = prom`,
    /// `crate = ::facade::metrics`, `crate = $crate::reexport`), or, as
    /// serde takes it, a string holding one (`crate = "prom"`).
    pub(crate) fn from_option(value: &Expr) -> syn::Result<Self> {
        let path: Path = match crate::decl::ungroup(value) {
            Expr::Path(ExprPath {
                qself: None, path, ..
            }) => path.clone(),
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => s.parse().map_err(|_| {
                syn::Error::new_spanned(
                    s,
                    format!("`{}` is not a path to promscribe", s.value()),
                )
            })?,
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    "`crate` takes the path promscribe is reached by, e.g. `crate = prom` or `crate = ::my_facade::promscribe`",
                ))
            }
        };
        Ok(Krate {
            path: path.into_token_stream(),
        })
    }

    /// The crate itself: `::promscribe` or the given path.
    pub(crate) fn path(&self) -> &TokenStream {
        &self.path
    }

    /// The version-stamped private module the expansions call.
    pub(crate) fn private(&self) -> TokenStream {
        let path = &self.path;
        let version = version_module();
        quote!(#path::__private::#version)
    }
}

/// `v0_1_0` for version 0.1.0 (any character that cannot be in an
/// identifier becomes `_`).
pub(crate) fn version_module() -> Ident {
    let stamp: String = env!("CARGO_PKG_VERSION")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    Ident::new(&format!("v{stamp}"), Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_private_module_is_stamped_with_this_crate_version() {
        let want = format!(
            "v{}",
            env!("CARGO_PKG_VERSION").replace(['.', '-', '+'], "_")
        );
        assert_eq!(version_module().to_string(), want);
        let p = Krate::default().private().to_string().replace(' ', "");
        assert_eq!(p, format!("::promscribe::__private::{want}"));
    }

    #[test]
    fn a_crate_option_takes_a_path_or_a_string() {
        let e: Expr = syn::parse_quote!(::facade::metrics);
        let k = Krate::from_option(&e).expect("a path");
        assert_eq!(k.path().to_string().replace(' ', ""), "::facade::metrics");
        let e: Expr = syn::parse_quote!("prom");
        assert_eq!(
            Krate::from_option(&e).expect("a string").path().to_string(),
            "prom"
        );
        let e: Expr = syn::parse_quote!(1 + 2);
        assert!(Krate::from_option(&e).is_err());
    }
}
