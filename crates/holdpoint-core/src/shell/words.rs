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
    /// The word stands for whatever `find` finds below the directory of its value, at
    /// any depth and dotfiles included, named like the value's last component.
    pub found: bool,
    /// What the word would be once text it decodes on the same line (`$(echo … |
    /// base64 -d)`, `$(rev <<< …)`) is decoded, where its value is otherwise unknown. It
    /// is not run as a command (decoded code stays unseen), but the paths it names are
    /// judged by it.
    pub decoded: Option<String>,
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
    /// The output of a command substitution, where it is fixed by its words, and
    /// whether it was decoded (see [`Substituted`]).
    pub substitute: &'a dyn Fn(&str) -> Option<Substituted>,
}

/// What a command substitution prints, as far as it can be known without running it.
pub(crate) struct Substituted {
    pub text: String,
    /// The text was decoded or unscrambled on the way (`base64 -d`, `rev`, `tr`, `xxd
    /// -r`): it names paths, but is never taken as a command.
    pub decoded: bool,
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
            ..Expanded::default()
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
        decoded: Some(String::new()),
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
            out.decoded = None;
            out.text = raw.to_owned();
            // Syntax the parser does not know (`${ cmd; }` of newer shells) may run
            // commands holdpoint cannot see.
            out.unreadable = raw.contains(['$', '`']);
        }
    }
    if out.value.is_none() && out.text.is_empty() {
        out.text = raw.to_owned();
    }
    // `decoded` only matters where the value is unknown.
    if out.value.is_some() {
        out.decoded = None;
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
    if let Some(d) = out.decoded.as_mut() {
        d.push_str(s);
    }
    out.text.push_str(s);
}

fn unknown(out: &mut Expanded, shown: &str) {
    out.value = None;
    out.decoded = None;
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
                    Some(Substituted {
                        text,
                        decoded: false,
                    }) => push(out, &text),
                    Some(Substituted {
                        text,
                        decoded: true,
                    }) => {
                        out.value = None;
                        out.text.push_str(&format!("$({script})"));
                        if let Some(d) = out.decoded.as_mut() {
                            d.push_str(&text);
                        }
                    }
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

/// The text of an ANSI-C quoted string (`$'\x72m'`): the escapes `printf` reads in its
/// format.
pub(crate) fn ansi_c(text: &str) -> Option<String> {
    escaped(text, false).map(|(text, _)| text)
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
    let positional = scope.arrays.get("@");
    let name = match parameter {
        Parameter::Named(name) => name,
        // `$*` joins the positional parameters with the first character of `$IFS`.
        Parameter::Special(SpecialParameter::AllPositionalParameters { concatenate: true }) => {
            let separator = match scope.vars.get("IFS") {
                Some(ifs) => ifs.chars().next().map(String::from).unwrap_or_default(),
                None => " ".to_owned(),
            };
            return positional.map(|values| values.join(&separator));
        }
        Parameter::Special(SpecialParameter::PositionalParameterCount) => {
            return positional.map(|values| values.len().to_string());
        }
        Parameter::Positional(n) if *n > 0 => {
            let index = usize::try_from(*n).ok()?.checked_sub(1)?;
            return positional.map(|values| values.get(index).cloned().unwrap_or_default());
        }
        _ => return None,
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
/// `printf 'r%s' m`, `command -v holdpoint` (where `which` says where a program is).
pub(crate) fn printed(argv: &[String], which: &dyn Fn(&str) -> String) -> Option<String> {
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["echo", rest @ ..] => echo(rest).map(|(text, _)| text),
        ["printf", rest @ ..] => printf_arguments(rest)
            .and_then(|(format, args)| printf(format, args))
            .map(|(text, _)| text),
        ["command", "-v", name] | ["which", name] | ["type", "-p" | "-P", name] => {
            Some(which(name))
        }
        _ => None,
    }
}

/// What `echo` prints (without its final newline), with its `-n`, `-e` and `-E` flags,
/// and whether escapes spelled out letters or digits.
pub(crate) fn echo(args: &[&str]) -> Option<(String, bool)> {
    let mut escapes = false;
    let mut rest = args;
    while let Some((first, tail)) = rest.split_first() {
        let Some(letters) = first.strip_prefix('-') else {
            break;
        };
        if letters.is_empty() || !letters.chars().all(|c| matches!(c, 'n' | 'e' | 'E')) {
            break;
        }
        for letter in letters.chars() {
            match letter {
                'e' => escapes = true,
                'E' => escapes = false,
                _ => {}
            }
        }
        rest = tail;
    }
    let text = rest.join(" ");
    if escapes {
        escaped(&text, true)
    } else {
        Some((text, false))
    }
}

/// The format and arguments of `printf ARGS…`: after `--`, or when the first is not an
/// option; `None` for options (`-v NAME` is left to the caller).
pub(crate) fn printf_arguments<S: AsRef<str>>(args: &[S]) -> Option<(&str, &[S])> {
    match args {
        [dash, format, rest @ ..] if dash.as_ref() == "--" => Some((format.as_ref(), rest)),
        [format, rest @ ..] if !format.as_ref().starts_with('-') => Some((format.as_ref(), rest)),
        _ => None,
    }
}

/// The text of `printf FORMAT ARGS…` (the shell's escapes, the `%s`, `%b`, `%c`, `%d`,
/// `%i`, `%u` and `%%` conversions with their widths, the format used again while
/// arguments are left), and whether escapes spelled out letters or digits (`\x72\x6d`):
/// text hidden from a reader. `None` for conversions it does not know, and past 64 KiB
/// of output (which is not followed, as for variables' values).
pub(crate) fn printf<S: AsRef<str>>(format: &str, args: &[S]) -> Option<(String, bool)> {
    const LIMIT: usize = 64 * 1024;
    let mut out = String::new();
    let mut hidden = false;
    let mut args = args.iter().map(AsRef::as_ref).peekable();
    loop {
        let mut consumed = false;
        let mut chars = format.chars().peekable();
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            let (text, was_hidden) = escaped(&std::mem::take(&mut literal), false)?;
            out.push_str(&text);
            hidden |= was_hidden;
            let mut spec = String::new();
            while let Some(&next) = chars.peek() {
                if next.is_ascii_digit() || matches!(next, '-' | '.' | '+' | ' ' | '#') {
                    spec.push(next);
                    chars.next();
                } else {
                    break;
                }
            }
            let conversion = chars.next()?;
            if conversion == '%' {
                out.push('%');
                continue;
            }
            consumed = true;
            let arg = args.next().unwrap_or("");
            let piece = match conversion {
                's' => arg.to_owned(),
                'b' => {
                    let (text, was_hidden) = escaped(arg, true)?;
                    hidden |= was_hidden;
                    text
                }
                'c' => arg.chars().next().map(String::from).unwrap_or_default(),
                'd' | 'i' | 'u' => {
                    let arg = arg.trim();
                    let number: i64 = if arg.is_empty() { 0 } else { arg.parse().ok()? };
                    number.to_string()
                }
                _ => return None,
            };
            out.push_str(&pad(&piece, &spec)?);
            if out.len() > LIMIT {
                return None;
            }
        }
        let (text, was_hidden) = escaped(&literal, false)?;
        out.push_str(&text);
        hidden |= was_hidden;
        if out.len() > LIMIT {
            return None;
        }
        // The format is used again while arguments are left.
        if !consumed || args.peek().is_none() {
            break;
        }
    }
    Some((out, hidden))
}

/// A conversion's text padded or cut as its flags say (`%5s`, `%-3s`, `%.2s`).
fn pad(piece: &str, spec: &str) -> Option<String> {
    if spec.is_empty() {
        return Some(piece.to_owned());
    }
    let left = spec.starts_with('-');
    let spec = spec.trim_start_matches(['-', '+', ' ', '#']);
    let (width, precision) = spec.split_once('.').unwrap_or((spec, ""));
    let mut text: String = if precision.is_empty() {
        piece.to_owned()
    } else {
        piece.chars().take(precision.parse().ok()?).collect()
    };
    let width: usize = if width.is_empty() {
        0
    } else {
        width.parse().ok()?
    };
    let missing = width.saturating_sub(text.chars().count()).min(4096);
    if left {
        text.push_str(&" ".repeat(missing));
    } else {
        text.insert_str(0, &" ".repeat(missing));
    }
    Some(text)
}

/// Backslash escapes as `printf` reads them in its format (and `%b` and `echo -e` in
/// their arguments, where octal takes a leading `0`), and whether any of them spelled out
/// a letter or a digit.
fn escaped(text: &str, argument: bool) -> Option<(String, bool)> {
    let mut out = String::new();
    let mut hidden = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(escape) = chars.next() else {
            out.push('\\');
            break;
        };
        let code =
            |radix: u32, max: usize, chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                let mut digits = String::new();
                while digits.len() < max && chars.peek().is_some_and(|d| d.is_digit(radix)) {
                    digits.extend(chars.next());
                }
                u32::from_str_radix(&digits, radix)
                    .ok()
                    .and_then(char::from_u32)
            };
        let decoded = match escape {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'a' => '\u{7}',
            'b' => '\u{8}',
            'e' | 'E' => '\u{1b}',
            'f' => '\u{c}',
            'v' => '\u{b}',
            '\\' | '"' | '\'' | '?' => escape,
            'c' if argument => break,
            'x' => {
                let c = code(16, 2, &mut chars)?;
                hidden |= c.is_alphanumeric() || c == '/' || c == '.';
                c
            }
            'u' => code(16, 4, &mut chars)?,
            'U' => code(16, 8, &mut chars)?,
            '0' if argument => {
                let c = code(8, 3, &mut chars).unwrap_or('\0');
                hidden |= c.is_alphanumeric() || c == '/' || c == '.';
                c
            }
            '0'..='7' if !argument => {
                let mut digits = String::from(escape);
                while digits.len() < 3 && chars.peek().is_some_and(|d| d.is_digit(8)) {
                    digits.extend(chars.next());
                }
                let c = u32::from_str_radix(&digits, 8)
                    .ok()
                    .and_then(char::from_u32)?;
                hidden |= c.is_alphanumeric() || c == '/' || c == '.';
                c
            }
            other => {
                out.push('\\');
                other
            }
        };
        out.push(decoded);
    }
    Some((out, hidden))
}

/// What a filter prints for a known input, for the ones that decode or unscramble text:
/// `base64 -d`, `base32 -d`, `xxd -r -p`, `rev`, `tr SET1 SET2`, `tr -d SET`, `cat`.
pub(crate) fn transform(argv: &[String], input: &str) -> Option<String> {
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    let flags = |wanted: &[&str]| words.iter().skip(1).any(|w| wanted.contains(w));
    match words.as_slice() {
        ["cat"] | ["cat", "-"] => Some(input.to_owned()),
        ["base64", ..] if flags(&["-d", "--decode", "-D", "-di", "-id"]) => {
            use base64::Engine as _;
            let clean: String = input.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(clean.as_bytes())
                .ok()?;
            String::from_utf8(bytes).ok()
        }
        ["base32", ..] if flags(&["-d", "--decode"]) => base32(input),
        ["xxd", ..]
            if flags(&["-rp", "-pr"])
                || (flags(&["-r", "-revert"])
                    && flags(&["-p", "-ps", "-plain", "-postscript"])) =>
        {
            let hex: Vec<u8> = input.bytes().filter(u8::is_ascii_hexdigit).collect();
            let bytes: Option<Vec<u8>> = hex
                .chunks(2)
                .map(|pair| {
                    let text = std::str::from_utf8(pair).ok()?;
                    u8::from_str_radix(text, 16).ok()
                })
                .collect();
            String::from_utf8(bytes?).ok()
        }
        ["rev"] => Some(
            input
                .lines()
                .map(|line| line.chars().rev().collect::<String>())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ["tr", "-d", set] => {
            let set = tr_set(set)?;
            Some(input.chars().filter(|c| !set.contains(c)).collect())
        }
        ["tr", from, to] if !from.starts_with('-') => {
            let (from, to) = (tr_set(from)?, tr_set(to)?);
            let last = *to.last()?;
            Some(
                input
                    .chars()
                    .map(|c| match from.iter().position(|f| *f == c) {
                        Some(i) => to.get(i).copied().unwrap_or(last),
                        None => c,
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

/// The characters of a `tr` set: ranges (`a-z`) and the common escapes.
fn tr_set(set: &str) -> Option<Vec<char>> {
    let (text, _) = escaped(set, false)?;
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if chars.get(i + 1) == Some(&'-')
            && let Some(&end) = chars.get(i + 2)
        {
            if end < c || (end as u32) - (c as u32) > 1024 {
                return None;
            }
            out.extend((c..=end).collect::<Vec<char>>());
            i += 3;
        } else {
            if c == '[' || c == ']' {
                return None;
            }
            out.push(c);
            i += 1;
        }
    }
    Some(out)
}

/// RFC 4648 base32, as `base32 -d` reads it.
fn base32(input: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut count = 0u32;
    let mut out = Vec::new();
    for byte in input
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
    {
        let value = ALPHABET.iter().position(|a| *a == byte)?;
        bits = (bits << 5) | u64::try_from(value).ok()?;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
        }
    }
    String::from_utf8(out).ok()
}
