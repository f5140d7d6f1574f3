//! The function an attribute is on: its signature parsed, its body kept as
//! raw tokens (so that a syntax error in it stays the user's own error, at
//! its own place), and what it returns.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, GenericArgument, PathArguments, ReturnType, Signature, Stmt, Type,
    TypeParamBound, Visibility,
};

use super::Attr;

pub(super) struct Func {
    pub(super) attrs: Vec<Attribute>,
    pub(super) vis: Visibility,
    pub(super) sig: Signature,
    /// `#![...]` at the top of the body, kept at the top.
    pub(super) inner_attrs: TokenStream,
    /// The statements of the body, as written.
    pub(super) body: TokenStream,
    /// The span of the body's braces, kept on the wrapped body so that
    /// what the compiler says about the whole function points at it.
    pub(super) brace: Span,
}

pub(super) fn parse(attr: Attr, item: TokenStream) -> syn::Result<Func> {
    let not_fn = |span: Span| {
        syn::Error::new(
            span,
            format!(
                "#[{}] applies to functions and methods with a body",
                attr.name()
            ),
        )
    };
    let span = item
        .clone()
        .into_iter()
        .next()
        .map_or(Span::call_site(), |t| t.span());
    let parsed = (|input: ParseStream<'_>| {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let body: TokenTree = input.parse()?;
        Ok((attrs, vis, sig, body, input.is_empty()))
    })
    .parse2(item);
    let Ok((attrs, vis, sig, TokenTree::Group(body), true)) = parsed else {
        return Err(not_fn(span));
    };
    if body.delimiter() != Delimiter::Brace {
        return Err(not_fn(span));
    }
    let (inner_attrs, body_tokens) = split_inner_attrs(body.stream());
    Ok(Func {
        attrs,
        vis,
        sig,
        inner_attrs,
        body: body_tokens,
        brace: body.span(),
    })
}

/// Splits the leading `#![...]` attributes from the statements.
fn split_inner_attrs(body: TokenStream) -> (TokenStream, TokenStream) {
    let tokens: Vec<TokenTree> = body.into_iter().collect();
    let mut i = 0;
    while let [TokenTree::Punct(hash), TokenTree::Punct(bang), TokenTree::Group(g), ..] =
        &tokens[i..]
    {
        if hash.as_char() == '#' && bang.as_char() == '!' && g.delimiter() == Delimiter::Bracket {
            i += 3;
        } else {
            break;
        }
    }
    let inner = tokens[..i].iter().cloned().collect();
    let rest = tokens[i..].iter().cloned().collect();
    (inner, rest)
}

/// A function returning a future without being `async fn`.
pub(super) enum FutureReturn {
    /// `impl Future<Output = T>`: the body's future is wrapped.
    Impl(Option<Type>),
    /// `Pin<Box<dyn Future<Output = T>>>`, `BoxFuture<'_, T>`: wrapped and
    /// boxed again.
    Boxed(Option<Type>),
    /// A named future type (`Self::Future`, `MyFuture`) that cannot be
    /// replaced by a wrapper.
    Named,
}

fn last_ident(ty: &Type) -> Option<(String, &PathArguments)> {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| (s.ident.to_string(), &s.arguments)),
        Type::Group(g) => last_ident(&g.elem),
        Type::Paren(p) => last_ident(&p.elem),
        _ => None,
    }
}

fn type_args(args: &PathArguments) -> Vec<&Type> {
    match args {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The `Output = T` of a `Future` bound among `bounds`; `Some(None)` for a
/// `Future` bound without one.
fn future_bound<'a>(bounds: impl IntoIterator<Item = &'a TypeParamBound>) -> Option<Option<Type>> {
    for b in bounds {
        let TypeParamBound::Trait(t) = b else {
            continue;
        };
        let Some(seg) = t.path.segments.last() else {
            continue;
        };
        if seg.ident != "Future" {
            continue;
        }
        if let PathArguments::AngleBracketed(a) = &seg.arguments {
            for arg in &a.args {
                if let GenericArgument::AssocType(at) = arg {
                    if at.ident == "Output" {
                        return Some(Some(at.ty.clone()));
                    }
                }
            }
        }
        return Some(None);
    }
    None
}

/// Whether (and how) a return type is a future.
pub(super) fn future_return(ty: &Type) -> Option<FutureReturn> {
    match ty {
        Type::Group(g) => return future_return(&g.elem),
        Type::Paren(p) => return future_return(&p.elem),
        Type::ImplTrait(i) => return future_bound(&i.bounds).map(FutureReturn::Impl),
        _ => {}
    }
    let (name, args) = last_ident(ty)?;
    match name.as_str() {
        "Pin" => {
            let inner = *type_args(args).first()?;
            let (bx, bargs) = last_ident(inner)?;
            if bx != "Box" {
                return None;
            }
            match type_args(bargs).first()? {
                Type::TraitObject(o) => future_bound(&o.bounds).map(FutureReturn::Boxed),
                _ => None,
            }
        }
        "BoxFuture" | "LocalBoxFuture" => Some(FutureReturn::Boxed(
            type_args(args).first().map(|t| (*t).clone()),
        )),
        n if n.ends_with("Future") => Some(FutureReturn::Named),
        _ => None,
    }
}

/// The shape `#[async_trait]` gives a method: the body ends with
/// `Box::pin(async move { .. })`.
pub(super) struct AsyncTraitBody {
    /// The statements before the `Box::pin(..)`.
    pub(super) prefix: TokenStream,
    /// `Box::pin`, as written.
    pub(super) pin: TokenStream,
    /// `async move`, its attributes, as written.
    pub(super) async_head: TokenStream,
    /// The statements of the async block.
    pub(super) inner: TokenStream,
}

pub(super) fn async_trait_body(body: &TokenStream) -> Option<AsyncTraitBody> {
    let stmts = (|input: ParseStream<'_>| syn::Block::parse_within(input))
        .parse2(body.clone())
        .ok()?;
    let (last, prefix) = stmts.split_last()?;
    let Stmt::Expr(Expr::Call(call), None) = last else {
        return None;
    };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let segs: Vec<String> = func
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if !segs.ends_with(&["Box".to_string(), "pin".to_string()]) || call.args.len() != 1 {
        return None;
    }
    let Some(Expr::Async(block)) = call.args.first() else {
        return None;
    };
    let mut async_head = TokenStream::new();
    for a in &block.attrs {
        a.to_tokens(&mut async_head);
    }
    block.async_token.to_tokens(&mut async_head);
    block.capture.to_tokens(&mut async_head);
    let mut inner = TokenStream::new();
    for s in &block.block.stmts {
        s.to_tokens(&mut inner);
    }
    let mut prefix_tokens = TokenStream::new();
    for s in prefix {
        s.to_tokens(&mut prefix_tokens);
    }
    Some(AsyncTraitBody {
        prefix: prefix_tokens,
        pin: func.to_token_stream(),
        async_head,
        inner,
    })
}

/// `()` or nothing.
pub(super) fn is_unit(ty: Option<&Type>) -> bool {
    match ty {
        None => true,
        Some(Type::Tuple(t)) => t.elems.is_empty(),
        Some(Type::Group(g)) => is_unit(Some(&g.elem)),
        Some(Type::Paren(p)) => is_unit(Some(&p.elem)),
        _ => false,
    }
}

pub(super) fn output(sig: &Signature) -> Option<&Type> {
    match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, t) => Some(t),
    }
}

/// The type with every `impl Trait` in it replaced by `_`, for a
/// never-taken `return` that gives a wrapped body its type.
pub(super) fn inferable(ty: &Type) -> Type {
    let mut ty = ty.clone();
    replace_impl(&mut ty);
    ty
}

fn replace_impl(ty: &mut Type) {
    match ty {
        Type::ImplTrait(i) => {
            *ty = Type::Infer(syn::TypeInfer {
                attrs: Vec::new(),
                underscore_token: syn::Token![_](i.span()),
            });
        }
        Type::Path(p) => {
            if let Some(q) = &mut p.qself {
                replace_impl(&mut q.ty);
            }
            for seg in &mut p.path.segments {
                if let PathArguments::AngleBracketed(a) = &mut seg.arguments {
                    for arg in &mut a.args {
                        if let GenericArgument::Type(t) = arg {
                            replace_impl(t);
                        }
                    }
                }
            }
        }
        Type::Tuple(t) => t.elems.iter_mut().for_each(replace_impl),
        Type::Reference(r) => replace_impl(&mut r.elem),
        Type::Array(a) => replace_impl(&mut a.elem),
        Type::Slice(s) => replace_impl(&mut s.elem),
        Type::Paren(p) => replace_impl(&mut p.elem),
        Type::Group(g) => replace_impl(&mut g.elem),
        Type::Ptr(p) => replace_impl(&mut p.elem),
        _ => {}
    }
}

/// The first `return` or `?` of the body (anywhere, nested closures
/// included: a conservative answer).
pub(super) fn early_exit(body: &TokenStream) -> Option<Span> {
    body.clone().into_iter().find_map(|t| match t {
        TokenTree::Ident(i) if i == "return" => Some(i.span()),
        TokenTree::Punct(p) if p.as_char() == '?' => Some(p.span()),
        TokenTree::Group(g) => early_exit(&g.stream()),
        _ => None,
    })
}
