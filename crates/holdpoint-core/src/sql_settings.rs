//! Statements that change how PostgreSQL reads the SQL sent after them.
//!
//! holdpoint reads SQL text as UTF-8 with `standard_conforming_strings` on. The server
//! reads it with the session's `client_encoding` and `standard_conforming_strings`: under
//! `SJIS` the bytes `0x81 0x5C` are one character, not a character and a backslash, and
//! with `standard_conforming_strings` off a backslash escapes the quote after it. Change
//! either, and the same bytes split into other statements for the server than for
//! holdpoint. So a statement that changes them, or could, is an effect of its own: the
//! proxy, which pins them, refuses it as self-protection; elsewhere the SQL after it is
//! unreadable.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::effect::{Effect, ObjectKind, Risk, Verb};

/// The settings that decide how the server reads SQL text, and the value holdpoint reads
/// with (the one the proxy pins).
pub const PINNED: [(&str, &str); 2] = [
    ("client_encoding", "UTF8"),
    ("standard_conforming_strings", "on"),
];

/// Whether the server reads `sql` the same way whatever the settings: text that is all
/// ASCII (every client encoding PostgreSQL has agrees on ASCII, and only bytes above it
/// start a multibyte character) without a backslash (the only character
/// `standard_conforming_strings` changes the meaning of).
pub fn reads_the_same_everywhere(sql: &str) -> bool {
    sql.is_ascii() && !sql.contains('\\')
}

/// Whether `value` of `setting` is the one holdpoint reads with (`None`: the setting is
/// not one of them).
pub fn pinned(setting: &str, value: &str) -> Option<bool> {
    let value = value.trim_matches(['\'', '"']).to_ascii_lowercase();
    match setting {
        "client_encoding" | "names" => Some(matches!(value.as_str(), "utf8" | "utf-8" | "unicode")),
        "standard_conforming_strings" => {
            Some(matches!(value.as_str(), "on" | "true" | "yes" | "1"))
        }
        _ => None,
    }
}

/// Words whose presence makes a statement worth reading closely: a cheap test that
/// keeps the common case from being tokenized twice.
const HINTS: [&str; 6] = [
    "client_encoding",
    "standard_conforming",
    "pg_settings",
    "set_config",
    "names",
    "u&",
];

/// What `sql` does to how the server reads SQL: the effects of the first statement that
/// changes (or could change) a pinned setting, and whether statements follow it, which
/// the server then reads differently from holdpoint.
pub(crate) fn changes(sql: &str) -> Option<(Effect, bool)> {
    let lower = sql.to_ascii_lowercase();
    if !HINTS.iter().any(|hint| lower.contains(hint)) {
        return None;
    }
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        // Text the tokenizer cannot read is unanalysable elsewhere; what matters here is
        // that it cannot pass as harmless.
        return Some((
            effect("the SQL", "could change them: holdpoint cannot read it"),
            true,
        ));
    };
    let statements: Vec<Vec<&Token>> = tokens
        .split(|t| *t == Token::SemiColon)
        .map(|statement| {
            statement
                .iter()
                .filter(|t| !matches!(t, Token::Whitespace(_)))
                .collect::<Vec<_>>()
        })
        .filter(|statement| !statement.is_empty())
        .collect();
    let count = statements.len();
    statements
        .iter()
        .enumerate()
        .find_map(|(at, statement)| change(statement).map(|effect| (effect, at + 1 < count)))
}

/// The effect of one statement (its tokens, without whitespace) on the pinned settings.
fn change(statement: &[&Token]) -> Option<Effect> {
    let word = |t: &Token| match t {
        Token::Word(w) => Some(w.value.to_ascii_lowercase()),
        _ => None,
    };
    let text = |t: &Token| match t {
        Token::Word(w) => Some(w.value.to_ascii_lowercase()),
        Token::SingleQuotedString(s)
        | Token::EscapedStringLiteral(s)
        | Token::NationalStringLiteral(s)
        | Token::UnicodeStringLiteral(s) => Some(s.to_ascii_lowercase()),
        Token::DollarQuotedString(s) => Some(s.value.to_ascii_lowercase()),
        _ => None,
    };
    let words: Vec<String> = statement.iter().filter_map(|t| word(t)).collect();
    let first = words.first().map(String::as_str);
    // `U&'…'` and `U&"…"` spell text with escapes, which can spell any setting's name.
    let escaped = statement
        .iter()
        .any(|t| matches!(t, Token::UnicodeStringLiteral(_)))
        || statement.windows(2).any(|pair| {
            matches!(pair, [Token::Word(u), Token::Ampersand] if u.value.eq_ignore_ascii_case("u"))
        });

    // `SET [SESSION | LOCAL] name {TO | =} value`, `SET NAMES value`.
    if first == Some("set") {
        if escaped {
            return Some(effect("a setting", "could change them"));
        }
        let mut rest = statement.iter().skip(1).peekable();
        if rest
            .peek()
            .and_then(|t| word(t))
            .is_some_and(|w| w == "session" || w == "local")
        {
            rest.next();
        }
        let name = rest.next().and_then(|t| text(t)).unwrap_or_default();
        let value: Vec<String> = rest
            .filter(|t| !matches!(t, Token::Eq) && word(t).is_none_or(|w| w != "to"))
            .filter_map(|t| text(t).or_else(|| Some(t.to_string())))
            .collect();
        return match (pinned(&name, &value.join(" ")), value.len()) {
            (Some(true), 1) => None,
            (Some(_), _) => Some(effect(&name, "changes it")),
            (None, _) => None,
        };
    }

    let mentions = statement.iter().filter_map(|t| text(t)).any(|t| {
        t.contains("client_encoding")
            || t.contains("standard_conforming_strings")
            || t.contains("pg_settings")
    });
    let calls_set_config = words.iter().any(|w| w == "set_config");
    if !(mentions || calls_set_config || escaped) {
        return None;
    }
    // Reading the settings changes nothing: `SHOW client_encoding`, `SELECT
    // current_setting('client_encoding')`, `SELECT … FROM pg_settings`.
    let writes = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "update" | "insert" | "delete" | "into" | "set_config" | "alter" | "create" | "do"
        )
    });
    if matches!(first, Some("show" | "select" | "table" | "values")) && !writes && !escaped {
        return None;
    }
    let name = PINNED
        .iter()
        .map(|(name, _)| *name)
        .find(|name| {
            statement
                .iter()
                .filter_map(|t| text(t))
                .any(|t| t.contains(name))
        })
        .unwrap_or("pg_settings");
    Some(effect(name, "could change them"))
}

pub(crate) fn effect(name: &str, what: &str) -> Effect {
    let name = if name == "names" {
        "client_encoding"
    } else {
        name
    };
    let mut effect = Effect::new(
        Verb::Admin,
        ObjectKind::SqlReading,
        name,
        Risk::Change,
        format!(
            "sets how the database reads the SQL sent after it (`{name}`) and {what}: holdpoint reads SQL as UTF-8 with standard_conforming_strings on"
        ),
    );
    effect.opaque = true;
    effect
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(sql: &str) -> bool {
        changes(sql).is_some()
    }

    #[test]
    fn changes_to_the_pinned_settings_are_found_however_they_are_written() {
        for sql in [
            "SET client_encoding = 'SJIS'",
            "set CLIENT_ENCODING to gbk",
            "SET SESSION client_encoding = 'BIG5'",
            "SET LOCAL standard_conforming_strings = off",
            "SET standard_conforming_strings TO false",
            "SET NAMES 'GB18030'",
            "SET \"standard_conforming_strings\" = 'off'",
            "SELECT set_config('standard_conforming_strings', 'off', false)",
            "SELECT pg_catalog.set_config(lower('CLIENT_ENCODING'), 'UHC', false)",
            "SELECT set_config(chr(115) || 'tandard_conforming_strings', 'off', false)",
            "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'",
            "UPDATE pg_catalog.pg_settings SET setting = 'JOHAB' WHERE name = chr(99)",
            "ALTER ROLE agent SET standard_conforming_strings = off",
            "ALTER DATABASE app SET client_encoding = 'SJIS'",
            "ALTER SYSTEM SET standard_conforming_strings = off",
            "DO $$ BEGIN PERFORM set_config('client_encoding', 'GBK', false); END $$",
            "CREATE FUNCTION f() RETURNS void AS $$ SET standard_conforming_strings = off $$ LANGUAGE sql",
            "SELECT 1; SET client_encoding = 'SJIS'",
            "SET U&\"client_encodin\\0067\" = 'SJIS'",
        ] {
            assert!(changed(sql), "{sql}");
        }
    }

    #[test]
    fn the_pinned_values_and_reads_of_the_settings_change_nothing() {
        for sql in [
            "SET client_encoding = 'UTF8'",
            "SET NAMES 'utf8'",
            "SET standard_conforming_strings = on",
            "SHOW client_encoding",
            "SELECT current_setting('standard_conforming_strings')",
            "SELECT name, setting FROM pg_settings WHERE name = 'client_encoding'",
            "SELECT first_names FROM people",
            "SET search_path = app, public",
            "RESET ALL",
        ] {
            assert!(!changed(sql), "{sql}");
        }
    }

    #[test]
    fn statements_after_a_change_are_flagged() {
        let (_, after) =
            changes("SET standard_conforming_strings = off; SELECT 'a\\' , ' ; DROP TABLE t; -- '")
                .unwrap();
        assert!(after);
        let (_, after) = changes("SELECT 1; SET client_encoding = 'SJIS'").unwrap();
        assert!(!after);
    }
}
