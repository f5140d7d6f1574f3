//! The attribute macros: `#[timed]`, `#[count_exceptions]` and
//! `#[track_inprogress]`.
//!
//! `args` parses the attribute's arguments, `item` reads the function (its
//! signature parsed, its body kept as raw tokens) into a model of what it
//! returns, `validate` checks the two against each other, and `expand`
//! wraps the body. On any error the function is re-emitted untouched
//! beside the errors (`fallback`), so that one mistake gives one message
//! and the function's callers still compile.

mod args;
mod expand;
mod item;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

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
}

pub(crate) fn expand(attr: Attr, args: TokenStream, item: TokenStream) -> TokenStream {
    match expand_checked(attr, args, item.clone()) {
        Ok(out) => out,
        Err(e) => fallback(e, item),
    }
}

fn expand_checked(attr: Attr, args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let func = item::parse(attr, item)?;
    let args = args::parse(attr, args)?;
    let shape = validate::check(attr, &args, &func)?;
    Ok(expand::expand(attr, &args, func, shape))
}

/// The errors, and the item as it was written.
fn fallback(e: syn::Error, item: TokenStream) -> TokenStream {
    let e = e.to_compile_error();
    quote!(#e #item)
}
