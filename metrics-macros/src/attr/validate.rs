//! What the attribute can do with the function, or one error naming the
//! real problem at the offending token.

use quote::ToTokens;
use syn::{ReturnType, Type};

use super::args::{Args, ErrFilter};
use super::item::{self, AsyncTraitBody, Func, FutureReturn};
use super::Attr;

pub(super) enum Kind {
    /// A plain function: the body is the call.
    Sync {
        /// `#[track_caller]` on it: the body stays inline (no closure), so
        /// that `Location::caller()` keeps pointing at the caller.
        track_caller: bool,
    },
    /// `async fn`: the body runs from the first poll.
    Async,
    /// The `#[async_trait]` shape: the inner async block is the call.
    AsyncTrait(AsyncTraitBody),
    /// A function returning a future: the returned future is the call.
    Future { boxed: bool },
}

pub(super) struct Shape {
    pub(super) kind: Kind,
    /// What the call produces (the future's output for futures); `None`
    /// for `()`.
    pub(super) output: Option<Type>,
}

pub(super) fn check(attr: Attr, args: &Args, func: &Func) -> syn::Result<Shape> {
    let name = attr.name();
    let sig = &func.sig;
    if let Some(c) = &sig.constness {
        return Err(syn::Error::new_spanned(
            c,
            format!(
                "#[{name}] cannot apply to a `const fn`: it updates a metric at run time; remove `const` or the attribute"
            ),
        ));
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if matches!(**ty, Type::Never(_)) {
            return Err(syn::Error::new_spanned(
                ty,
                format!(
                    "#[{name}] cannot apply to a function that never returns (`-> !`): it has no end to measure or classify"
                ),
            ));
        }
    }
    let declared = item::output(sig);
    let (kind, output) = if sig.asyncness.is_some() {
        (Kind::Async, declared.cloned())
    } else {
        match declared.and_then(item::future_return) {
            Some(FutureReturn::Named) => {
                let ty = declared
                    .map(|t| t.to_token_stream().to_string().replace(" :: ", "::"))
                    .unwrap_or_default();
                return Err(syn::Error::new_spanned(
                    declared,
                    format!(
                        "#[{name}] cannot see inside `{ty}`: it would only measure creating the future, not running it; \
                         return `impl Future<Output = ..>` or `Pin<Box<dyn Future<Output = ..>>>` (both are instrumented from their first poll to completion), \
                         or put #[{name}] on the `async fn` the future runs"
                    ),
                ));
            }
            Some(FutureReturn::Boxed(out)) => match item::async_trait_body(&func.body) {
                Some(body) => (Kind::AsyncTrait(body), out),
                None => (Kind::Future { boxed: true }, out),
            },
            Some(FutureReturn::Impl(out)) => (Kind::Future { boxed: false }, out),
            None => {
                let track_caller = func.attrs.iter().any(|a| a.path().is_ident("track_caller"));
                (Kind::Sync { track_caller }, declared.cloned())
            }
        }
    };
    let output = output.filter(|t| !item::is_unit(Some(t)));
    if let ErrFilter::Pattern(key, _) | ErrFilter::Type(key, _) = &args.filter {
        if output.is_none() {
            return Err(syn::Error::new_spanned(
                key,
                format!(
                    "`{key}` needs a function that can return an error, but `{}` returns `()`: only its panics can be counted; remove `{key} = ..`",
                    sig.ident
                ),
            ));
        }
    }
    if let (ErrFilter::Pattern(key, _) | ErrFilter::Type(key, _), Some(out)) =
        (&args.filter, &output)
    {
        if visibly_not_result(out) {
            let ty = out.to_token_stream().to_string().replace(" :: ", "::");
            let ty = ty.replace(" < ", "<").replace(" >", ">").replace("< ", "<");
            return Err(syn::Error::new_spanned(
                key,
                format!(
                    "`{key} = ..` needs a function returning a `Result`, but `{}` returns `{ty}`: \
                     only an `Err` can be tested; remove `{key} = ..` (its panics are still counted)",
                    sig.ident
                ),
            ));
        }
    }
    if attr == Attr::CountExceptions {
        if let Kind::Sync { track_caller: true } = kind {
            if let (Some(_), Some(exit)) = (&output, item::early_exit(&func.body)) {
                return Err(syn::Error::new(
                    exit,
                    "#[count_exceptions] on a #[track_caller] function sees its result only at the end of the body: \
                     this `return` or `?` would escape uncounted (and a closure would break #[track_caller]); \
                     end the body with its result, e.g. by moving the body into a helper function",
                ));
            }
        }
    }
    Ok(Shape { kind, output })
}

/// A type that is certainly not a `Result`: not a path, or a path to a
/// well-known type of another kind. A path the macro cannot see through (a
/// type alias) is not one of them.
fn visibly_not_result(ty: &Type) -> bool {
    match ty {
        Type::Group(g) => visibly_not_result(&g.elem),
        Type::Paren(p) => visibly_not_result(&p.elem),
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "Option"
                    | "Vec"
                    | "String"
                    | "Box"
                    | "Rc"
                    | "Arc"
                    | "Cow"
                    | "HashMap"
                    | "HashSet"
                    | "BTreeMap"
                    | "BTreeSet"
                    | "VecDeque"
                    | "PathBuf"
                    | "bool"
                    | "char"
                    | "str"
                    | "u8"
                    | "u16"
                    | "u32"
                    | "u64"
                    | "u128"
                    | "usize"
                    | "i8"
                    | "i16"
                    | "i32"
                    | "i64"
                    | "i128"
                    | "isize"
                    | "f32"
                    | "f64"
            )
        }),
        Type::Path(_) | Type::Macro(_) | Type::Verbatim(_) | Type::Infer(_) => false,
        Type::ImplTrait(_) | Type::TraitObject(_) => false,
        _ => true,
    }
}
