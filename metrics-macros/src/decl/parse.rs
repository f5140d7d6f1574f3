//! The syntax of a declaration, read leniently: the input is cut at its
//! top-level commas and each piece is read on its own, so a mistake in
//! one piece is reported and the others are still read (and the static
//! still emitted). Only a missing static name stops the parse.
//!
//! `[crate = path,] #[attrs] vis IDENT, "name", "help", key = value, ...`

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Expr, Ident, Token, Visibility};

/// A declaration as written.
pub(super) struct Input {
    pub(super) attrs: Vec<Attribute>,
    pub(super) vis: Visibility,
    pub(super) ident: Ident,
    /// `None` when missing or not an expression (the error is recorded).
    pub(super) name: Option<Expr>,
    pub(super) help: Option<Expr>,
    /// `key = value` in order, `crate = path` given first included.
    pub(super) options: Vec<(Ident, Expr)>,
}

/// One comma-separated piece and the span to blame when it is empty.
struct Piece {
    tokens: TokenStream,
    span: Span,
}

fn split(input: TokenStream) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut current = TokenStream::new();
    let mut span = Span::call_site();
    for tt in input {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                pieces.push(Piece {
                    tokens: std::mem::take(&mut current),
                    span,
                });
                span = p.span();
            }
            _ => current.extend([tt]),
        }
    }
    pieces.push(Piece {
        tokens: current,
        span,
    });
    pieces
}

/// Whether a piece is the `crate = path` option, which may be given
/// before the static: `Some(true)` for `crate = ...`, `Some(false)` for
/// `crate` followed by anything else (the option missing its `=`, or not
/// an option at all: the caller looks at the next piece). A forwarded
/// fragment is looked into.
fn crate_option(tokens: &TokenStream) -> Option<bool> {
    let mut it = tokens.clone().into_iter();
    match (it.next(), it.next()) {
        (Some(TokenTree::Ident(i)), Some(next)) if i == "crate" => {
            Some(matches!(next, TokenTree::Punct(p) if p.as_char() == '='))
        }
        (Some(TokenTree::Group(g)), None) if g.delimiter() == Delimiter::None => {
            crate_option(&g.stream())
        }
        _ => None,
    }
}

/// Reads `key = value`. A missing `=` (`labels ["a"]`), or a stray
/// punctuation in its place (`labels: ["a"]`), is pushed to `errors` and
/// the value is still read, so that the option keeps its meaning and the
/// static's uses add no error of their own: one mistake, one message.
fn parse_option(piece: &Piece, errors: &mut Vec<syn::Error>) -> syn::Result<(Ident, Expr)> {
    let mut missing_eq = None;
    let parser = |input: ParseStream<'_>| {
        let key = Ident::parse_any(input)?;
        if input.peek(Token![=]) && !input.peek(Token![==]) && !input.peek(Token![=>]) {
            input.parse::<Token![=]>()?;
        } else if input.is_empty() {
            return Err(syn::Error::new_spanned(
                &key,
                format!("expected `= value` after `{key}`"),
            ));
        } else {
            missing_eq = Some(input.error("expected `=`"));
            // A punctuation written for `=` (`:`, `=>`, `==`) is skipped;
            // anything else starts the value.
            if input.peek(Token![=>]) {
                input.parse::<Token![=>]>()?;
            } else if input.peek(Token![==]) {
                input.parse::<Token![==]>()?;
            } else if input.peek(Token![:]) && !input.peek(Token![::]) {
                input.parse::<Token![:]>()?;
            }
        }
        let value: Expr = input.parse()?;
        Ok((key, value))
    };
    let parsed = parser.parse2(piece.tokens.clone());
    match (parsed, missing_eq) {
        (Ok(option), Some(e)) => {
            errors.push(e);
            Ok(option)
        }
        (Ok(option), None) => Ok(option),
        // The missing `=` is the one mistake to report.
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(e),
    }
}

fn parse_header(piece: &Piece) -> syn::Result<(Vec<Attribute>, Visibility, Ident)> {
    let parser = |input: ParseStream<'_>| {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let ident: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the name of the static first, e.g. `counter!(REQUESTS, \"requests_total\", \"help\")`",
            )
        })?;
        if !input.is_empty() {
            return Err(input.error("expected `,` after the name of the static"));
        }
        Ok((attrs, vis, ident))
    };
    parser.parse2(piece.tokens.clone())
}

/// Parses a declaration; mistakes that leave the static nameable are
/// pushed to `errors`, the others returned.
pub(super) fn parse(input: TokenStream, errors: &mut Vec<syn::Error>) -> syn::Result<Input> {
    let all = split(input);
    // `crate` without its `=` is still the option when the static's name
    // follows it, so that its value is kept.
    let leading_crate = match all.first().and_then(|p| crate_option(&p.tokens)) {
        Some(true) => true,
        Some(false) => all.get(1).is_some_and(|p| parse_header(p).is_ok()),
        None => false,
    };
    let mut pieces = all.into_iter().peekable();
    let mut options = Vec::new();
    if let Some(first) = pieces.next_if(|_| leading_crate) {
        match parse_option(&first, errors) {
            Ok(opt) => options.push(opt),
            Err(e) => errors.push(e),
        }
    }
    let header = pieces.next().ok_or_else(|| {
        syn::Error::new(Span::call_site(), "expected the name of the static first")
    })?;
    let (attrs, vis, ident) = parse_header(&header)?;
    let expr = |piece: &Piece, msg: &str, errors: &mut Vec<syn::Error>| -> Option<Expr> {
        match syn::parse2::<Expr>(piece.tokens.clone()) {
            Ok(e) => Some(e),
            Err(e) => {
                let span = piece
                    .tokens
                    .clone()
                    .into_iter()
                    .next()
                    .map_or(e.span(), |t| t.span());
                errors.push(syn::Error::new(span, msg));
                None
            }
        }
    };
    let mut name = None;
    let mut help = None;
    match pieces.next() {
        Some(p) if !p.tokens.is_empty() => {
            name = expr(&p, "expected the metric name as a string literal", errors);
            match pieces.next() {
                Some(p) if !p.tokens.is_empty() => {
                    help = expr(&p, "expected the help text as a string literal", errors);
                }
                _ => errors.push(syn::Error::new(
                    Span::call_site(),
                    "unexpected end of input, expected the help text after the metric name: every metric needs one",
                )),
            }
        }
        _ => errors.push(syn::Error::new(
            Span::call_site(),
            "unexpected end of input, expected the metric name and help text after the static's name",
        )),
    }
    while let Some(piece) = pieces.next() {
        if piece.tokens.is_empty() {
            if pieces.peek().is_some() {
                errors.push(syn::Error::new(
                    piece.span,
                    "expected an option after this comma, e.g. `labels = [...]`",
                ));
            }
            continue;
        }
        match parse_option(&piece, errors) {
            Ok(opt) => options.push(opt),
            Err(e) => errors.push(e),
        }
    }
    Ok(Input {
        attrs,
        vis,
        ident,
        name,
        help,
        options,
    })
}
