//! The attribute's arguments: `name = value` pairs separated by commas, under tokio's names.

use proc_macro::{Span, TokenStream, TokenTree};

use crate::parse::Kind;
use crate::tokens::{Error, Tokens};

/// What the arguments ask of the expansion.
#[derive(Default)]
pub(crate) struct Options {
    /// The path the expansion names corio by (`crate = "..."`); `::corio` when absent.
    pub(crate) krate: Option<Vec<TokenTree>>,
    /// `start_paused = true`: build the runtime with its clock paused.
    pub(crate) start_paused: bool,
}

/// Reads `flavor = "current_thread"`, `crate = "path"`, `start_paused = bool`, and refuses
/// with an explanation what corio cannot honour (`flavor = "multi_thread"`,
/// `worker_threads`).
pub(crate) fn parse_args(args: TokenStream, kind: Kind) -> Result<Options, Error> {
    let args: Vec<TokenTree> = args.into_iter().collect();
    let mut options = Options::default();
    let mut seen: Vec<String> = Vec::new();
    let is_comma = |token: &TokenTree| matches!(token, TokenTree::Punct(p) if p.as_char() == ',');
    for arg in args.split(is_comma).filter(|arg| !arg.is_empty()) {
        let (key, value) = match arg {
            [TokenTree::Ident(key), TokenTree::Punct(eq), value @ ..]
                if eq.as_char() == '=' && !value.is_empty() =>
            {
                (key, value)
            }
            _ => {
                return Err(Error::new(
                    arg[0].span(),
                    format!(
                        "{} expects `name = value` arguments, such as \
                         `flavor = \"current_thread\"`",
                        kind.attr()
                    ),
                ));
            }
        };
        let name = key.to_string();
        if seen.contains(&name) {
            return Err(Error::new(key.span(), format!("`{name}` is given twice")));
        }
        match name.as_str() {
            "flavor" => check_flavor(value)?,
            "crate" => options.krate = Some(crate_path(value)?),
            "worker_threads" => {
                return Err(Error::new(
                    key.span(),
                    format!(
                        "`worker_threads` has no meaning in corio: a corio runtime runs on one \
                         thread. Remove it; for one runtime per core, use `corio::workers` \
                         (`corio::Runtime::builder().workers(n).build_workers()`). {}",
                        one_thread_note(kind)
                    ),
                ));
            }
            "start_paused" => options.start_paused = bool_value(value)?,
            _ => {
                return Err(Error::new(
                    key.span(),
                    format!(
                        "unknown argument `{name}` for {}: it accepts `flavor = \
                         \"current_thread\"`, `crate = \"path\"` and `start_paused = true`",
                        kind.attr()
                    ),
                ));
            }
        }
        seen.push(name);
    }
    Ok(options)
}

fn check_flavor(value: &[TokenTree]) -> Result<(), Error> {
    let (flavor, span) = string_value(value)?;
    match flavor.as_str() {
        "current_thread" => Ok(()),
        "multi_thread" => Err(Error::new(
            span,
            "corio has no \"multi_thread\" flavor: each corio runtime runs its tasks on the \
             thread that starts it (which is why futures need not be `Send`). Remove the \
             `flavor` argument or write \"current_thread\"; for one runtime per core, use \
             `corio::workers` (`corio::Runtime::builder().workers(n).build_workers()`)",
        )),
        other => Err(Error::new(
            span,
            format!("unknown flavor \"{other}\": corio's only flavor is \"current_thread\""),
        )),
    }
}

/// `true` or `false`.
fn bool_value(value: &[TokenTree]) -> Result<bool, Error> {
    match value {
        [TokenTree::Ident(word)] if word.to_string() == "true" => Ok(true),
        [TokenTree::Ident(word)] if word.to_string() == "false" => Ok(false),
        _ => Err(Error::new(
            value[0].span(),
            "`start_paused` expects `true` or `false`",
        )),
    }
}

fn one_thread_note(kind: Kind) -> &'static str {
    match kind {
        Kind::Main => "Without it, #[corio::main] runs `main` on the current thread.",
        Kind::Test => "Without it, #[corio::test] runs the test on the test's thread.",
    }
}

/// `crate = "some::path"` as the path's tokens, spanned at the string so a wrong path is
/// reported there.
fn crate_path(value: &[TokenTree]) -> Result<Vec<TokenTree>, Error> {
    let (text, span) = string_value(value)?;
    let relative = text.strip_prefix("::").unwrap_or(&text);
    if !relative.split("::").all(is_identifier) {
        return Err(Error::new(
            span,
            format!("`crate` expects a path such as \"::corio\", not \"{text}\""),
        ));
    }
    let mut path = Tokens::default();
    path.path(&text);
    let mut tokens = path.into_trees();
    for token in &mut tokens {
        token.set_span(span);
    }
    Ok(tokens)
}

/// An ASCII identifier or keyword (`crate`, `self` and `super` start paths too).
fn is_identifier(word: &str) -> bool {
    let mut chars = word.chars();
    let head = chars.next();
    word != "_"
        && matches!(head, Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The text of a plain string literal `"..."` (no escapes, not raw), and its span.
fn string_value(value: &[TokenTree]) -> Result<(String, Span), Error> {
    if let [TokenTree::Literal(literal)] = value {
        let text = literal.to_string();
        let inner = text
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'));
        if let Some(inner) = inner.filter(|inner| !inner.contains('\\')) {
            return Ok((inner.to_string(), literal.span()));
        }
    }
    Err(Error::new(
        value[0].span(),
        "expected a string in double quotes, such as \"current_thread\"",
    ))
}
