//! Shell words: what a word expands to when that can be known without running anything.

use std::collections::HashMap;

use brush_parser::word::{Parameter, ParameterExpr, TildeExpr, WordPiece, WordPieceWithSource};
use brush_parser::{ParserOptions, word};

/// A word after the expansions that can be done statically.
#[derive(Clone, Debug, Default)]
pub(crate) struct Expanded {
    /// The word's value, when every piece of it is known.
    pub value: Option<String>,
    /// The word for display, with unknown parts shown as they were written.
    pub text: String,
    /// Scripts of command substitutions inside the word; they run when the word expands.
    pub substitutions: Vec<String>,
    /// The word has an unquoted glob character, so it may name many files.
    pub glob: bool,
}

impl Expanded {
    pub fn literal(value: &str) -> Self {
        Expanded {
            value: Some(value.to_owned()),
            text: value.to_owned(),
            ..Expanded::default()
        }
    }

    /// The value, or the text as written where it is not known.
    pub fn best(&self) -> &str {
        self.value.as_deref().unwrap_or(&self.text)
    }
}

/// The static facts word expansion may use.
pub(crate) struct Scope<'a> {
    pub home: Option<&'a str>,
    pub cwd: &'a str,
    pub holdpoint_home: Option<&'a str>,
    /// Variables assigned earlier in the same command line with a known value.
    pub vars: &'a HashMap<String, String>,
}

pub(crate) fn expand(raw: &str, scope: &Scope<'_>, options: &ParserOptions) -> Expanded {
    // Most words are plain text: no quoting, expansion or pattern to work out.
    if !raw.is_empty() && !raw.contains(['$', '`', '\\', '\'', '"', '*', '?', '[', '~', '{', '(']) {
        return Expanded::literal(raw);
    }
    let mut out = Expanded {
        value: Some(String::new()),
        text: String::new(),
        ..Expanded::default()
    };
    match word::parse(raw, options) {
        Ok(pieces) => expand_pieces(&pieces, false, scope, &mut out),
        Err(_) => {
            out.value = None;
            out.text = raw.to_owned();
        }
    }
    if out.value.is_none() && out.text.is_empty() {
        out.text = raw.to_owned();
    }
    out
}

fn push(out: &mut Expanded, s: &str) {
    if let Some(v) = out.value.as_mut() {
        v.push_str(s);
    }
    out.text.push_str(s);
}

fn unknown(out: &mut Expanded, shown: &str) {
    out.value = None;
    out.text.push_str(shown);
}

fn expand_pieces(
    pieces: &[WordPieceWithSource],
    quoted: bool,
    scope: &Scope<'_>,
    out: &mut Expanded,
) {
    for piece in pieces {
        match &piece.piece {
            WordPiece::Text(s) => {
                if !quoted && s.contains(['*', '?', '[']) {
                    out.glob = true;
                }
                push(out, s);
            }
            WordPiece::SingleQuotedText(s) => push(out, s),
            WordPiece::AnsiCQuotedText(s) => {
                if s.contains('\\') {
                    unknown(out, s);
                } else {
                    push(out, s);
                }
            }
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                expand_pieces(inner, true, scope, out);
            }
            WordPiece::EscapeSequence(s) => push(out, s.strip_prefix('\\').unwrap_or(s)),
            WordPiece::TildeExpansion(tilde) => match (tilde, scope.home) {
                (TildeExpr::Home, Some(home)) => push(out, home),
                (TildeExpr::WorkingDir, _) => push(out, scope.cwd),
                (TildeExpr::Home, None) => unknown(out, "~"),
                _ => unknown(out, "~?"),
            },
            WordPiece::ParameterExpansion(expr) => match parameter_value(expr, scope) {
                Some(value) => push(out, &value),
                None => unknown(out, &parameter_text(expr)),
            },
            WordPiece::CommandSubstitution(script)
            | WordPiece::BackquotedCommandSubstitution(script) => {
                out.substitutions.push(script.clone());
                match echoed(script) {
                    Some(text) => push(out, &text),
                    None => unknown(out, &format!("$({script})")),
                }
            }
            WordPiece::ArithmeticExpression(_) => unknown(out, "$((…))"),
        }
    }
}

fn parameter_value(expr: &ParameterExpr, scope: &Scope<'_>) -> Option<String> {
    let ParameterExpr::Parameter {
        parameter: Parameter::Named(name),
        indirect: false,
    } = expr
    else {
        return None;
    };
    if let Some(value) = scope.vars.get(name) {
        return Some(value.clone());
    }
    match name.as_str() {
        "HOME" => scope.home.map(str::to_owned),
        "PWD" => Some(scope.cwd.to_owned()),
        "HOLDPOINT_HOME" => scope.holdpoint_home.map(str::to_owned),
        _ => None,
    }
}

fn parameter_text(expr: &ParameterExpr) -> String {
    match expr {
        ParameterExpr::Parameter { parameter, .. } => parameter.to_string(),
        _ => "${…}".to_owned(),
    }
}

/// The output of a command substitution that only echoes fixed words (`$(echo rm)`),
/// which is known without running anything.
fn echoed(script: &str) -> Option<String> {
    let rest = script
        .trim()
        .strip_prefix("echo ")
        .or_else(|| script.trim().strip_prefix("printf "))?;
    let mut words = Vec::new();
    for word in rest.split_whitespace() {
        let unquoted = word
            .strip_prefix('\'')
            .and_then(|w| w.strip_suffix('\''))
            .or_else(|| word.strip_prefix('"').and_then(|w| w.strip_suffix('"')))
            .unwrap_or(word);
        if unquoted.contains([
            '$', '`', ';', '|', '&', '<', '>', '(', ')', '{', '}', '*', '?', '\\', '\'', '"', '%',
        ]) || unquoted.starts_with('-')
        {
            return None;
        }
        words.push(unquoted);
    }
    Some(words.join(" "))
}
