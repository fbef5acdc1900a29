//! From a parsed `async fn` to the synchronous fn that runs it on a corio runtime.

use proc_macro::{Delimiter, Ident, Span, TokenStream, TokenTree};

use crate::args::{parse_args, Options};
use crate::parse::{is_ident, parse_fn, AsyncFn, Kind};
use crate::tokens::{Error, Tokens};

/// The whole expansion of `#[corio::main]` or `#[corio::test]`.
///
/// A malformed item gives its error alongside a stub of the item (see [`fallback`]). A
/// function that is fine under a wrong argument is expanded anyway, next to the error, so
/// the user sees that one error and nothing else.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match parse_fn(item.clone(), kind) {
        Ok(function) => function,
        Err(error) => return fallback(error, item),
    };
    let (options, error) = match parse_args(args, kind) {
        Ok(options) => (options, None),
        Err(error) => (Options::default(), Some(error)),
    };
    let mut out = error.map(Error::into_tokens).unwrap_or_default();
    out.extend(wrap(kind, function, options).into_trees());
    out.into()
}

/// `[#[::core::prelude::v1::test]] #[attrs] vis fn name() -> Ret { runtime.block_on(body) }`.
fn wrap(kind: Kind, function: AsyncFn, options: Options) -> Tokens {
    let mut out = Tokens::default();
    if kind == Kind::Test {
        // The harness's attribute by absolute path: a user's own `test` item cannot shadow it.
        let mut test = Tokens::default();
        test.path("::core::prelude::v1::test");
        out.punct("#").group(Delimiter::Bracket, test);
    }
    out.extend(function.attrs)
        .extend(function.vis)
        .ident("fn")
        .push(function.name)
        .empty_parens()
        .extend(function.ret);

    // Mixed-site hygiene: the user's body cannot see or shadow this local.
    let future = Ident::new("body", Span::mixed_site());
    let mut block_on_arg = Tokens::default();
    block_on_arg.push(future.clone());
    let mut message = Tokens::default();
    message.string(match kind {
        Kind::Main => "#[corio::main]: cannot create the corio runtime",
        Kind::Test => "#[corio::test]: cannot create the corio runtime",
    });

    let mut body = Tokens::default();
    body.ident("let")
        .push(future)
        .punct("=")
        .ident("async")
        .ident("move")
        .push(function.body)
        .punct(";");
    match options.krate {
        Some(krate) => body.extend(krate),
        None => body.path("::corio"),
    };
    body.path("::runtime::Builder::new_current_thread")
        .empty_parens()
        .punct(".")
        .ident("enable_all")
        .empty_parens();
    if options.start_paused {
        let mut yes = Tokens::default();
        yes.ident("true");
        body.punct(".")
            .ident("start_paused")
            .group(Delimiter::Parenthesis, yes);
    }
    body.punct(".")
        .ident("build")
        .empty_parens()
        .punct(".")
        .ident("expect")
        .group(Delimiter::Parenthesis, message)
        .punct(".")
        .ident("block_on")
        .group(Delimiter::Parenthesis, block_on_arg);
    out.group(Delimiter::Brace, body);
    out
}

/// The error, then the item as written if it is not a function, or else its stub
/// `#[attrs] vis fn name() -> Ret { loop {} }`: the compiler then reports the attribute's
/// error alone, not also a missing `main` (E0601), an `async fn main` (E0752), a `main`
/// with parameters (E0580), or awaits outside `async`.
fn fallback(error: Error, item: TokenStream) -> TokenStream {
    let mut out = error.into_tokens();
    let tokens: Vec<TokenTree> = item.into_iter().collect();
    // `fn name`, not a type such as `fn()` in `type F = fn();`.
    let fn_name = |at: &usize| matches!(tokens.get(at + 1), Some(TokenTree::Ident(_)));
    let fn_at = tokens.iter().position(|t| is_ident(Some(t), "fn"));
    let Some(fn_at) = fn_at.filter(fn_name) else {
        out.extend(tokens);
        return out.into();
    };
    // Attributes and visibility end where the qualifiers (`async`, `unsafe`, `extern "C"`,
    // ...) before `fn` begin.
    let is_qualifier = |token: &TokenTree| match token {
        TokenTree::Ident(ident) => {
            matches!(
                ident.to_string().as_str(),
                "async" | "const" | "unsafe" | "extern"
            )
        }
        TokenTree::Literal(_) => true,
        _ => false,
    };
    let mut prefix_end = fn_at;
    while prefix_end > 0 && is_qualifier(&tokens[prefix_end - 1]) {
        prefix_end -= 1;
    }
    out.extend(tokens[..prefix_end].iter().cloned())
        .ident("fn")
        .push(tokens[fn_at + 1].clone())
        .empty_parens();
    // The return type: from `->` after the parameter list up to a `where` or the body.
    let after_params = tokens[fn_at..]
        .iter()
        .position(|t| matches!(t, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis))
        .map_or(tokens.len(), |at| fn_at + at + 1);
    if let Some(TokenTree::Punct(dash)) = tokens.get(after_params) {
        if dash.as_char() == '-' {
            let ret = tokens[after_params..]
                .iter()
                .take_while(|t| !is_ident(Some(t), "where"))
                .take_while(
                    |t| !matches!(t, TokenTree::Group(g) if g.delimiter() == Delimiter::Brace),
                )
                .cloned();
            out.extend(ret);
        }
    }
    let mut forever = Tokens::default();
    forever
        .ident("loop")
        .group(Delimiter::Brace, Tokens::default());
    out.group(Delimiter::Brace, forever);
    out.into()
}
