//! Building output tokens by hand (there is no `quote!` here), and the one error type.

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Tokens under construction, appended left to right so an expansion reads like the code it
/// produces. Tokens made here carry [`Span::call_site`]: they resolve where the attribute is
/// written, as if the user had typed them.
#[derive(Default)]
pub(crate) struct Tokens(Vec<TokenTree>);

impl Tokens {
    /// Appends one token as it is (keeping its span).
    pub(crate) fn push(&mut self, token: impl Into<TokenTree>) -> &mut Tokens {
        self.0.push(token.into());
        self
    }

    /// Appends tokens as they are (keeping their spans).
    pub(crate) fn extend(&mut self, tokens: impl IntoIterator<Item = TokenTree>) -> &mut Tokens {
        self.0.extend(tokens);
        self
    }

    /// Appends a keyword or an identifier.
    pub(crate) fn ident(&mut self, name: &str) -> &mut Tokens {
        self.push(Ident::new(name, Span::call_site()))
    }

    /// Appends an operator such as `::`, `.`, `=` or `;`: its characters are joined to each
    /// other and not to whatever follows.
    pub(crate) fn punct(&mut self, op: &str) -> &mut Tokens {
        let count = op.chars().count();
        for (index, ch) in op.chars().enumerate() {
            let spacing = if index + 1 < count {
                Spacing::Joint
            } else {
                Spacing::Alone
            };
            self.push(Punct::new(ch, spacing));
        }
        self
    }

    /// Appends a path written as `::a::b` or `a::b`, one identifier per segment.
    pub(crate) fn path(&mut self, path: &str) -> &mut Tokens {
        for (index, segment) in path.split("::").enumerate() {
            if index > 0 {
                self.punct("::");
            }
            if !segment.is_empty() {
                self.ident(segment);
            }
        }
        self
    }

    /// Appends `inner` wrapped in `delimiter`.
    pub(crate) fn group(&mut self, delimiter: Delimiter, inner: Tokens) -> &mut Tokens {
        self.push(Group::new(delimiter, inner.into()))
    }

    /// Appends `()`.
    pub(crate) fn empty_parens(&mut self) -> &mut Tokens {
        self.group(Delimiter::Parenthesis, Tokens::default())
    }

    /// The tokens appended so far.
    pub(crate) fn into_trees(self) -> Vec<TokenTree> {
        self.0
    }

    /// Appends a string literal.
    pub(crate) fn string(&mut self, text: &str) -> &mut Tokens {
        self.push(Literal::string(text))
    }
}

impl From<Tokens> for TokenStream {
    fn from(tokens: Tokens) -> TokenStream {
        tokens.0.into_iter().collect()
    }
}

/// A misuse of an attribute: the message the user reads, and the token it points at.
pub(crate) struct Error {
    span: Span,
    message: String,
}

impl Error {
    /// An error reported at `span`.
    pub(crate) fn new(span: Span, message: impl Into<String>) -> Error {
        Error {
            span,
            message: message.into(),
        }
    }

    /// `::core::compile_error!("message");`, every token spanned at the offending token so
    /// the compiler underlines that token.
    pub(crate) fn into_tokens(self) -> Tokens {
        let mut message = Tokens::default();
        message.string(&self.message);
        let mut call = Tokens::default();
        call.path("::core::compile_error")
            .punct("!")
            .group(Delimiter::Parenthesis, message)
            .punct(";");
        let mut spanned = Tokens::default();
        for mut token in call.into_trees() {
            if let TokenTree::Group(group) = &token {
                let mut inner = Tokens::default();
                for mut token in group.stream() {
                    token.set_span(self.span);
                    inner.push(token);
                }
                token = Group::new(group.delimiter(), inner.into()).into();
            }
            token.set_span(self.span);
            spanned.push(token);
        }
        spanned
    }
}
