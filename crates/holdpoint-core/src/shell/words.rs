//! Shell words: what a word expands to when that can be known without running anything.

use std::collections::HashMap;

use brush_parser::word::{
    BraceExpressionMember, BraceExpressionOrText, Parameter, ParameterExpr, SpecialParameter,
    SubstringMatchKind, TildeExpr, WordPiece, WordPieceWithSource,
};
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
    /// The several words the word becomes after field splitting (`$CMD` holding
    /// `rm -rf /x`, `"${args[@]}"`, `"$@"`), when they are known.
    pub fields: Option<Vec<String>>,
    /// The word has expansion syntax the parser does not read, which may run commands.
    pub unreadable: bool,
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
    /// Arrays assigned earlier with known elements; `@` holds the positional
    /// parameters set by `set --`.
    pub arrays: &'a HashMap<String, Vec<String>>,
    /// The output of a command substitution, where it is fixed by its words.
    pub substitute: &'a dyn Fn(&str) -> Option<String>,
}

pub(crate) fn expand(raw: &str, scope: &Scope<'_>, options: &ParserOptions) -> Expanded {
    // Brace expansion comes first, and makes several words of one: `{rm,-rf,/x}` is
    // `rm -rf /x` to the shell.
    if raw.contains('{') && long_number(raw) {
        // The brace parser takes numbers as 64-bit and fails on longer ones.
        return Expanded {
            text: raw.to_owned(),
            ..Expanded::default()
        };
    }
    if raw.contains('{')
        && let Ok(Some(pieces)) = word::parse_brace_expansions(raw, options)
        && pieces
            .iter()
            .any(|piece| matches!(piece, BraceExpressionOrText::Expr(_)))
    {
        let Some(words) = alternatives(&pieces) else {
            return Expanded {
                text: raw.to_owned(),
                ..Expanded::default()
            };
        };
        let expanded: Vec<Expanded> = words
            .iter()
            .map(|w| expand_word(w, scope, options))
            .collect();
        let values: Option<Vec<String>> = expanded.iter().map(|e| e.value.clone()).collect();
        return Expanded {
            value: values.as_ref().map(|v| v.join(" ")),
            text: raw.to_owned(),
            substitutions: expanded
                .iter()
                .flat_map(|e| e.substitutions.clone())
                .collect(),
            glob: expanded.iter().any(|e| e.glob),
            fields: values,
            unreadable: expanded.iter().any(|e| e.unreadable),
        };
    }
    expand_word(raw, scope, options)
}

/// Whether `raw` has a run of more than 15 digits.
fn long_number(raw: &str) -> bool {
    raw.split(|c: char| !c.is_ascii_digit())
        .any(|digits| digits.len() > 15)
}

/// The most words one brace expansion is followed to; past it, the word is unknown.
const MAX_BRACE_WORDS: usize = 256;

/// Every word brace expansion makes of `pieces`, in the shell's order; `None` past
/// `MAX_BRACE_WORDS`.
fn alternatives(pieces: &[BraceExpressionOrText]) -> Option<Vec<String>> {
    let mut words = vec![String::new()];
    for piece in pieces {
        let options: Vec<String> = match piece {
            BraceExpressionOrText::Text(text) => vec![text.clone()],
            BraceExpressionOrText::Expr(members) => {
                let mut options = Vec::new();
                for member in members {
                    match member {
                        BraceExpressionMember::Child(children) => {
                            options.extend(alternatives(children)?);
                        }
                        BraceExpressionMember::NumberSequence {
                            start,
                            end,
                            increment,
                        } => options
                            .extend(sequence(*start, *end, *increment)?.map(|n| n.to_string())),
                        BraceExpressionMember::CharSequence {
                            start,
                            end,
                            increment,
                        } => options.extend(
                            sequence(
                                i64::from(u32::from(*start)),
                                i64::from(u32::from(*end)),
                                *increment,
                            )?
                            .filter_map(|n| u32::try_from(n).ok().and_then(char::from_u32))
                            .map(String::from),
                        ),
                    }
                    if options.len() > MAX_BRACE_WORDS {
                        return None;
                    }
                }
                options
            }
        };
        if words.len().saturating_mul(options.len()) > MAX_BRACE_WORDS {
            return None;
        }
        words = words
            .iter()
            .flat_map(|word| options.iter().map(move |option| format!("{word}{option}")))
            .collect();
    }
    Some(words)
}

/// `start..end` by `increment` (its sign ignored, as the shell does), when it is short.
fn sequence(start: i64, end: i64, increment: i64) -> Option<impl Iterator<Item = i64>> {
    let step = increment.checked_abs()?.max(1);
    let count = start.abs_diff(end) / step.unsigned_abs() + 1;
    if count > MAX_BRACE_WORDS as u64 {
        return None;
    }
    let up = start <= end;
    Some((0..i64::try_from(count).ok()?).filter_map(move |i| {
        let distance = i.checked_mul(step)?;
        if up {
            start.checked_add(distance)
        } else {
            start.checked_sub(distance)
        }
    }))
}

/// One word after brace expansion.
fn expand_word(raw: &str, scope: &Scope<'_>, options: &ParserOptions) -> Expanded {
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
        Ok(pieces) => {
            out.fields = split_fields(&pieces, scope);
            expand_pieces(&pieces, false, scope, &mut out);
            // Commands can run from inside arithmetic and parameter operands too.
            for piece in &pieces {
                hidden_substitutions(piece, raw, scope, options, &mut out.substitutions);
            }
            // A `${` the parser left as text is an expansion it does not know: bash 5.3
            // runs `${ cmd; }` and `${| cmd; }` as commands.
            out.unreadable |= unread_expansion(&pieces);
        }
        Err(_) => {
            out.value = None;
            out.text = raw.to_owned();
            // Syntax the parser does not know (`${ cmd; }` of newer shells) may run
            // commands holdpoint cannot see.
            out.unreadable = raw.contains(['$', '`']);
        }
    }
    if out.value.is_none() && out.text.is_empty() {
        out.text = raw.to_owned();
    }
    out
}

/// The command substitutions that `piece` (of the word `source`) runs from places plain
/// expansion does not look into: arithmetic (`$(( $(cmd) + 1 ))`, `a[$(cmd)]`), the
/// operands of a parameter expansion (`${x:-$(cmd)}`), and variables arithmetic reads
/// whose values hold a substitution (`x='a[$(cmd)]'; $(( x ))`).
fn hidden_substitutions(
    piece: &WordPieceWithSource,
    source: &str,
    scope: &Scope<'_>,
    options: &ParserOptions,
    out: &mut Vec<String>,
) {
    match &piece.piece {
        WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
            for piece in inner {
                hidden_substitutions(piece, source, scope, options, out);
            }
        }
        WordPiece::ArithmeticExpression(expr) => {
            arithmetic_substitutions(&expr.value, scope, options, out, 0);
        }
        WordPiece::ParameterExpansion(_) => {
            if let Some(inner) = source
                .get(piece.start_index..piece.end_index)
                .and_then(|text| text.strip_prefix("${"))
                .and_then(|text| text.strip_suffix('}'))
            {
                // `${ cmd; }` and `${| cmd; }` (bash 5.3) run `cmd` in the shell itself.
                if let Some(script) = inner
                    .strip_prefix('|')
                    .or_else(|| inner.starts_with(char::is_whitespace).then_some(inner))
                {
                    out.push(script.to_owned());
                } else {
                    substitutions_in(inner, scope, options, out);
                }
            }
        }
        _ => {}
    }
}

/// Whether `pieces` hold a `${` as plain text, unquoted or in double quotes.
fn unread_expansion(pieces: &[WordPieceWithSource]) -> bool {
    let mut dollar = false;
    for piece in pieces {
        match &piece.piece {
            WordPiece::Text(text) => {
                if text.contains("${") || (dollar && text.starts_with('{')) {
                    return true;
                }
                dollar = text.ends_with('$');
            }
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                if unread_expansion(inner) {
                    return true;
                }
                dollar = false;
            }
            _ => dollar = false,
        }
    }
    false
}

/// Every command substitution in `text` read as a word, wherever it stands.
fn substitutions_in(text: &str, scope: &Scope<'_>, options: &ParserOptions, out: &mut Vec<String>) {
    if !text.contains(['$', '`', '<', '>']) {
        return;
    }
    let Ok(pieces) = word::parse(text, options) else {
        return;
    };
    for piece in &pieces {
        if let WordPiece::CommandSubstitution(script)
        | WordPiece::BackquotedCommandSubstitution(script) = &piece.piece
        {
            out.push(script.clone());
        }
        hidden_substitutions(piece, text, scope, options, out);
    }
}

/// The command substitutions an arithmetic expression runs: its own, and those in the
/// values of the variables it names, which arithmetic evaluates as expressions in turn.
pub(crate) fn arithmetic_substitutions(
    expr: &str,
    scope: &Scope<'_>,
    options: &ParserOptions,
    out: &mut Vec<String>,
    depth: u32,
) {
    substitutions_in(expr, scope, options, out);
    if depth >= 8 {
        return;
    }
    for name in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if let Some(value) = scope.vars.get(name)
            && value.contains(['$', '`'])
        {
            arithmetic_substitutions(value, scope, options, out, depth + 1);
        }
    }
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
            WordPiece::AnsiCQuotedText(s) => match ansi_c(s) {
                Some(text) => push(out, &text),
                None => unknown(out, s),
            },
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
                match (scope.substitute)(script) {
                    Some(text) => push(out, &text),
                    None => unknown(out, &format!("$({script})")),
                }
            }
            WordPiece::ArithmeticExpression(_) => unknown(out, "$((…))"),
        }
    }
}

/// The fields a word splits into, for the shapes that split: one unquoted expansion of
/// a known variable (split on white space or `$IFS`), or `"${name[@]}"` / `"$@"`.
fn split_fields(pieces: &[WordPieceWithSource], scope: &Scope<'_>) -> Option<Vec<String>> {
    let [only] = pieces else { return None };
    match &only.piece {
        WordPiece::ParameterExpansion(expr) => {
            if let Some(elements) = array_value(expr, scope) {
                return Some(elements);
            }
            let value = parameter_value(expr, scope)?;
            let separators: Vec<char> = match scope.vars.get("IFS") {
                Some(ifs) => ifs.chars().collect(),
                None => vec![' ', '\t', '\n'],
            };
            let fields: Vec<String> = value
                .split(|c| separators.contains(&c))
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect();
            (fields.len() > 1).then_some(fields)
        }
        WordPiece::DoubleQuotedSequence(inner) => match inner.as_slice() {
            [one] => match &one.piece {
                WordPiece::ParameterExpansion(expr) => array_value(expr, scope),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

fn array_value(expr: &ParameterExpr, scope: &Scope<'_>) -> Option<Vec<String>> {
    let ParameterExpr::Parameter {
        parameter,
        indirect: false,
    } = expr
    else {
        return None;
    };
    match parameter {
        Parameter::NamedWithAllIndices {
            name,
            concatenate: false,
        } => scope.arrays.get(name).cloned(),
        Parameter::Special(SpecialParameter::AllPositionalParameters { concatenate: false }) => {
            scope.arrays.get("@").cloned()
        }
        _ => None,
    }
}

/// The text of an ANSI-C quoted string (`$'\x72m'`), where its escapes are the common ones.
pub(crate) fn ansi_c(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escape = chars.next()?;
        let decoded = match escape {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'a' => '\u{7}',
            'b' => '\u{8}',
            'e' | 'E' => '\u{1b}',
            'f' => '\u{c}',
            'v' => '\u{b}',
            '\\' | '\'' | '"' | '?' => escape,
            'x' => {
                let mut hex = String::new();
                while hex.len() < 2 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
                    hex.extend(chars.next());
                }
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            '0'..='7' => {
                let mut octal = String::from(escape);
                while octal.len() < 3 && chars.peek().is_some_and(|d| ('0'..='7').contains(d)) {
                    octal.extend(chars.next());
                }
                char::from_u32(u32::from_str_radix(&octal, 8).ok()?)?
            }
            _ => return None,
        };
        out.push(decoded);
    }
    Some(out)
}

/// What `printf FORMAT ARGS…` prints: the shell's escapes and the `%s`, `%b`, `%d`, `%u`,
/// `%i`, `%c` and `%%` conversions, the format used again while arguments are left;
/// `None` for anything else.
pub(crate) fn printf<S: AsRef<str>>(format: &str, args: &[S]) -> Option<String> {
    // Past this, what it prints is not followed (as for variables' values).
    const LIMIT: usize = 64 * 1024;
    let mut out = String::new();
    let mut args = args.iter().map(AsRef::as_ref).peekable();
    loop {
        let mut consumed = false;
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    let mut escape = String::from('\\');
                    escape.extend(chars.next());
                    // Up to three octal digits, or `x` and two hex digits.
                    while escape.len() < 5
                        && chars
                            .peek()
                            .is_some_and(|d| d.is_ascii_hexdigit() && escape.len() > 1)
                        && (escape.starts_with("\\x")
                            || escape.chars().nth(1).is_some_and(|d| d.is_digit(8)))
                    {
                        escape.extend(chars.next());
                    }
                    out.push_str(&ansi_c(&escape)?);
                }
                '%' => match chars.next()? {
                    '%' => out.push('%'),
                    conversion @ ('s' | 'b' | 'd' | 'i' | 'u' | 'c') => {
                        let arg = args.next().unwrap_or("");
                        consumed = true;
                        match conversion {
                            's' => out.push_str(arg),
                            'b' => out.push_str(&ansi_c(arg)?),
                            'c' => out.extend(arg.chars().next()),
                            _ => out.push_str(&arg.trim().parse::<i64>().ok()?.to_string()),
                        }
                    }
                    _ => return None,
                },
                other => out.push(other),
            }
            if out.len() > LIMIT {
                return None;
            }
        }
        if !consumed || args.peek().is_none() {
            return Some(out);
        }
    }
}

fn parameter_value(expr: &ParameterExpr, scope: &Scope<'_>) -> Option<String> {
    // A pattern or replacement that is plain text: no glob, quote or expansion.
    let plain = |text: &str| !text.contains(['*', '?', '[', '\\', '$', '`', '\'', '"']);
    match expr {
        ParameterExpr::Parameter {
            parameter,
            indirect: false,
        } => named_value(parameter, scope),
        // The operations that only rearrange a known value are done here, so that a
        // command name spelt with them (`${x:2}`, `${c,,}`, `${c/n/m}`) is known.
        ParameterExpr::Substring {
            parameter,
            indirect: false,
            offset,
            length,
        } => {
            let value: Vec<char> = named_value(parameter, scope)?.chars().collect();
            let count = i64::try_from(value.len()).ok()?;
            let offset: i64 = offset.value.trim().parse().ok()?;
            let start = if offset < 0 { count + offset } else { offset }.clamp(0, count);
            let end = match length {
                None => count,
                Some(length) => {
                    let length: i64 = length.value.trim().parse().ok()?;
                    if length < 0 {
                        count + length
                    } else {
                        start.saturating_add(length)
                    }
                }
            }
            .clamp(start, count);
            let (start, end) = (usize::try_from(start).ok()?, usize::try_from(end).ok()?);
            Some(value.get(start..end)?.iter().collect())
        }
        ParameterExpr::ParameterLength {
            parameter,
            indirect: false,
        } => Some(named_value(parameter, scope)?.chars().count().to_string()),
        ParameterExpr::UppercasePattern {
            parameter,
            indirect: false,
            pattern,
        } if pattern.as_deref().is_none_or(str::is_empty) => {
            Some(named_value(parameter, scope)?.to_uppercase())
        }
        ParameterExpr::LowercasePattern {
            parameter,
            indirect: false,
            pattern,
        } if pattern.as_deref().is_none_or(str::is_empty) => {
            Some(named_value(parameter, scope)?.to_lowercase())
        }
        ParameterExpr::UppercaseFirstChar {
            parameter,
            indirect: false,
            pattern,
        }
        | ParameterExpr::LowercaseFirstChar {
            parameter,
            indirect: false,
            pattern,
        } if pattern.as_deref().is_none_or(str::is_empty) => {
            let value = named_value(parameter, scope)?;
            let mut chars = value.chars();
            let first = chars.next().map(|c| {
                if matches!(expr, ParameterExpr::UppercaseFirstChar { .. }) {
                    c.to_uppercase().collect::<String>()
                } else {
                    c.to_lowercase().collect::<String>()
                }
            });
            Some(first.unwrap_or_default() + chars.as_str())
        }
        ParameterExpr::ReplaceSubstring {
            parameter,
            indirect: false,
            pattern,
            replacement,
            match_kind,
        } if plain(pattern) && replacement.as_deref().is_none_or(plain) && !pattern.is_empty() => {
            let value = named_value(parameter, scope)?;
            let replacement = replacement.as_deref().unwrap_or("");
            Some(match match_kind {
                SubstringMatchKind::Anywhere => value.replace(pattern.as_str(), replacement),
                SubstringMatchKind::FirstOccurrence => {
                    value.replacen(pattern.as_str(), replacement, 1)
                }
                SubstringMatchKind::Prefix => match value.strip_prefix(pattern.as_str()) {
                    Some(rest) => format!("{replacement}{rest}"),
                    None => value,
                },
                SubstringMatchKind::Suffix => match value.strip_suffix(pattern.as_str()) {
                    Some(rest) => format!("{rest}{replacement}"),
                    None => value,
                },
            })
        }
        ParameterExpr::RemoveSmallestPrefixPattern {
            parameter,
            indirect: false,
            pattern: Some(pattern),
        }
        | ParameterExpr::RemoveLargestPrefixPattern {
            parameter,
            indirect: false,
            pattern: Some(pattern),
        } if plain(pattern) => {
            let value = named_value(parameter, scope)?;
            Some(
                value
                    .strip_prefix(pattern.as_str())
                    .map_or(value.clone(), str::to_owned),
            )
        }
        ParameterExpr::RemoveSmallestSuffixPattern {
            parameter,
            indirect: false,
            pattern: Some(pattern),
        }
        | ParameterExpr::RemoveLargestSuffixPattern {
            parameter,
            indirect: false,
            pattern: Some(pattern),
        } if plain(pattern) => {
            let value = named_value(parameter, scope)?;
            Some(
                value
                    .strip_suffix(pattern.as_str())
                    .map_or(value.clone(), str::to_owned),
            )
        }
        _ => None,
    }
}

/// The value of a named parameter, where it is known.
fn named_value(parameter: &Parameter, scope: &Scope<'_>) -> Option<String> {
    let Parameter::Named(name) = parameter else {
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

/// What a command prints when that is fixed by its words alone: `echo rm`,
/// `printf 'r%s' m`, `command -v holdpoint`.
pub(crate) fn printed(argv: &[String]) -> Option<String> {
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["echo", rest @ ..] if rest.first().is_none_or(|w| !w.starts_with('-')) => {
            Some(rest.join(" "))
        }
        ["printf", format, args @ ..] if !format.starts_with('-') => printf(format, args),
        ["command", "-v", name] | ["which", name] | ["type", "-p" | "-P", name] => {
            Some((*name).to_owned())
        }
        _ => None,
    }
}
