//! Reading the annotated item and the attribute's arguments from raw tokens.
//!
//! Only the shape `#[attrs] [pub[(..)]] async fn name() [-> Type] { body }` is accepted, so
//! the parser walks it token by token and stops at the first token that does not fit, with
//! an error spanned on that token.

use proc_macro::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};

use crate::tokens::Error;

/// Which attribute is expanding: they differ in wording and in the `#[test]` they add.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The attribute as the user wrote it, for messages.
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[corio::main]",
            Kind::Test => "#[corio::test]",
        }
    }
}

/// The parts of an `async fn` the expansion reuses, as the user's tokens (spans kept).
pub(crate) struct AsyncFn {
    /// Every outer attribute, `#` and `[...]` alike, doc comments included.
    pub(crate) attrs: Vec<TokenTree>,
    /// `pub`, `pub(crate)`, ..., or nothing.
    pub(crate) vis: Vec<TokenTree>,
    pub(crate) name: Ident,
    /// `-> Type`, or nothing.
    pub(crate) ret: Vec<TokenTree>,
    pub(crate) body: Group,
}

/// Splits `item` into the parts of an `async fn` with no parameters and no generics.
pub(crate) fn parse_fn(item: TokenStream, kind: Kind) -> Result<AsyncFn, Error> {
    let tokens: Vec<TokenTree> = item.into_iter().collect();
    let (attrs, vis, mut at) = parse_attrs_and_vis(&tokens, kind)?;

    let mut is_async = false;
    let fn_span = loop {
        let token = tokens.get(at);
        let word = match token {
            Some(TokenTree::Ident(ident)) => ident.to_string(),
            _ => String::new(),
        };
        match word.as_str() {
            "async" => is_async = true,
            "fn" => break span_of(token),
            "const" | "unsafe" | "extern" => {
                return Err(Error::new(
                    span_of(token),
                    format!("{} takes a plain `async fn`: remove `{word}`", kind.attr()),
                ));
            }
            _ => return Err(not_a_fn(span_of(token), kind)),
        }
        at += 1;
    };
    at += 1;
    if !is_async {
        return Err(Error::new(
            fn_span,
            format!(
                "{} goes on an `async fn`: write `async fn` here (the attribute runs its body \
                 on a corio runtime)",
                kind.attr()
            ),
        ));
    }

    let name = match tokens.get(at) {
        Some(TokenTree::Ident(name)) => name.clone(),
        other => return Err(Error::new(span_of(other), "expected the function's name")),
    };
    at += 1;

    if let Some(TokenTree::Punct(lt)) = tokens.get(at) {
        if lt.as_char() == '<' {
            return Err(Error::new(
                lt.span(),
                format!(
                    "{} cannot go on a generic function: the caller (the test harness or the \
                     program's start) has no types to choose",
                    kind.attr()
                ),
            ));
        }
    }

    match tokens.get(at) {
        Some(TokenTree::Group(params)) if params.delimiter() == Delimiter::Parenthesis => {
            if !params.stream().is_empty() {
                return Err(Error::new(params.span(), takes_no_arguments(kind)));
            }
        }
        other => return Err(Error::new(span_of(other), "expected `()` after the name")),
    }
    at += 1;

    let body = match tokens.last() {
        Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => body.clone(),
        other => {
            return Err(Error::new(
                span_of(other),
                format!("{} needs a function with a body `{{ ... }}`", kind.attr()),
            ));
        }
    };
    let ret = tokens[at..tokens.len() - 1].to_vec();
    check_return_type(&ret, kind)?;

    Ok(AsyncFn {
        attrs,
        vis,
        name,
        ret,
        body,
    })
}

/// The outer attributes (doc comments included) and the visibility, and the index of the
/// first token after them.
fn parse_attrs_and_vis(
    tokens: &[TokenTree],
    kind: Kind,
) -> Result<(Vec<TokenTree>, Vec<TokenTree>, usize), Error> {
    let mut at = 0;

    let mut attrs = Vec::new();
    while let (Some(TokenTree::Punct(hash)), Some(TokenTree::Group(group))) =
        (tokens.get(at), tokens.get(at + 1))
    {
        if hash.as_char() != '#' || group.delimiter() != Delimiter::Bracket {
            break;
        }
        if kind == Kind::Test && is_test_attr(group) {
            return Err(Error::new(
                group.span(),
                "#[corio::test] already adds `#[test]`: remove this one",
            ));
        }
        attrs.extend_from_slice(&tokens[at..at + 2]);
        at += 2;
    }

    let mut vis = Vec::new();
    if is_ident(tokens.get(at), "pub") {
        vis.push(tokens[at].clone());
        at += 1;
        if let Some(TokenTree::Group(group)) = tokens.get(at) {
            if group.delimiter() == Delimiter::Parenthesis {
                vis.push(tokens[at].clone());
                at += 1;
            }
        }
    }

    Ok((attrs, vis, at))
}

/// `ret` is empty or `-> Type`; a `where` clause means generics, which are refused.
fn check_return_type(ret: &[TokenTree], kind: Kind) -> Result<(), Error> {
    if let Some(where_kw) = ret.iter().find(|token| is_ident(Some(token), "where")) {
        return Err(Error::new(
            where_kw.span(),
            format!(
                "{} cannot go on a function with a `where` clause",
                kind.attr()
            ),
        ));
    }
    match ret {
        [] => Ok(()),
        [TokenTree::Punct(dash), TokenTree::Punct(gt), _, ..]
            if dash.as_char() == '-' && gt.as_char() == '>' =>
        {
            Ok(())
        }
        [first, ..] => Err(Error::new(
            first.span(),
            "expected `-> Type` or the body `{ ... }`",
        )),
    }
}

fn takes_no_arguments(kind: Kind) -> String {
    match kind {
        Kind::Main => "`main` takes no arguments: read them with `std::env::args()` inside \
                       the body"
            .to_string(),
        Kind::Test => "a test takes no arguments: build its inputs inside the body".to_string(),
    }
}

fn not_a_fn(span: Span, kind: Kind) -> Error {
    Error::new(span, format!("{} goes on an `async fn`", kind.attr()))
}

/// A token's span, or the attribute's own place when the item ends early.
fn span_of(token: Option<&TokenTree>) -> Span {
    token.map_or_else(Span::call_site, TokenTree::span)
}

pub(crate) fn is_ident(token: Option<&TokenTree>, word: &str) -> bool {
    matches!(token, Some(TokenTree::Ident(ident)) if ident.to_string() == word)
}

/// `[test]`: the standard test attribute, which `#[corio::test]` adds itself.
fn is_test_attr(group: &Group) -> bool {
    let mut inner = group.stream().into_iter();
    is_ident(inner.next().as_ref(), "test") && inner.next().is_none()
}
