//! MCP 2026-07-28's headers from tool arguments (`Mcp-Param-{Name}`). A tool's
//! `inputSchema` may mark a property with `x-mcp-header: "Region"`; a client calling
//! that tool over Streamable HTTP then mirrors the argument's value into the header
//! `Mcp-Param-Region`, so that intermediaries can route on it without reading the body,
//! and a server that reads the body refuses a request whose headers disagree with it.
//!
//! The gateway is both. It checks what a 2026-07-28 agent sends against the body
//! ([`check`]), and it mirrors the arguments of each call it forwards to a server that
//! speaks the revision ([`mirror`]). The rules are the transport specification's:
//! - only properties reached through a chain of `properties` keys may be marked, with a
//!   name that is an HTTP token, unique whatever its case, on a property whose `type`
//!   is `string`, `integer` or `boolean` (`number` is also mirrored, as the SDKs do);
//!   a mark anywhere else makes the tool's declarations invalid, and none of them
//!   counts;
//! - an argument that is null or absent has no header, and one that is there must
//!   have it;
//! - a value that is not plain printable ASCII without surrounding blanks, or that
//!   looks like the wrapper, travels as `=?base64?…?=` (UTF-8), and a wrapped value
//!   that does not decode is refused; numbers compare as numbers.
//!
//! Pure: no I/O.

use std::collections::HashMap;

use axum::http::HeaderMap;
use serde_json::Value;

/// What every such header's name begins with.
pub(super) const PREFIX: &str = "Mcp-Param-";

/// The schema keyword that marks a property.
const KEY: &str = "x-mcp-header";

/// Keywords whose subschemas are not reached through `properties` alone: a mark under
/// any of them makes the tool's declarations invalid.
const UNREACHED: &[&str] = &[
    "items",
    "prefixItems",
    "contains",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "patternProperties",
    "dependentSchemas",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "$defs",
    "definitions",
];

/// Of [`UNREACHED`], those whose value maps names to subschemas.
const NAMED_SUBSCHEMAS: &[&str] = &[
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
];

/// One argument mirrored into a header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Binding {
    /// The header's name after [`PREFIX`], as the schema gives it.
    pub(super) header: String,
    /// The argument: property names from the root of `arguments`.
    path: Vec<String>,
}

/// The bindings of the tools a server listed, by tool name.
#[derive(Debug, Default)]
pub(super) struct Bindings(HashMap<String, Vec<Binding>>);

impl Bindings {
    /// Learns the `tools` of a `tools/list` result (one page of it): each tool's valid
    /// bindings, or none when its declarations are invalid. Returns the tools whose
    /// declarations are invalid, with why.
    pub(super) fn learn(&mut self, tools: Option<&Value>) -> Vec<(String, String)> {
        let mut invalid = Vec::new();
        let tools = tools.and_then(Value::as_array);
        for tool in tools.into_iter().flatten() {
            let Some(name) = tool.get("name").and_then(Value::as_str) else {
                continue;
            };
            let schema = tool.get("inputSchema").unwrap_or(&Value::Null);
            match scan(schema) {
                Ok(bindings) if bindings.is_empty() => {
                    self.0.remove(name);
                }
                Ok(bindings) => {
                    self.0.insert(name.to_owned(), bindings);
                }
                Err(why) => {
                    self.0.remove(name);
                    invalid.push((name.to_owned(), why));
                }
            }
        }
        invalid
    }

    /// The bindings of `tool`: none when it has none or was not listed.
    pub(super) fn of(&self, tool: &str) -> &[Binding] {
        self.0.get(tool).map_or(&[], Vec::as_slice)
    }
}

/// The bindings a tool's `inputSchema` declares, in the order found; why not, when a
/// declaration breaks a rule.
pub(super) fn scan(schema: &Value) -> Result<Vec<Binding>, String> {
    let mut found = Vec::new();
    visit(schema, &mut Vec::new(), true, &mut found)?;
    Ok(found)
}

fn visit(
    node: &Value,
    path: &mut Vec<String>,
    reached: bool,
    found: &mut Vec<Binding>,
) -> Result<(), String> {
    let Some(schema) = node.as_object() else {
        return Ok(());
    };
    let at = || {
        if path.is_empty() {
            "the schema's root".to_owned()
        } else {
            format!("`{}`", path.join("."))
        }
    };
    if let Some(mark) = schema.get(KEY) {
        if !reached || path.is_empty() {
            return Err(format!(
                "{}: {KEY} may mark only a property reached through `properties` alone",
                at()
            ));
        }
        let Some(header) = mark.as_str().filter(|h| is_token(h)) else {
            return Err(format!(
                "{}: {KEY} {mark} is not a header name (letters, digits and !#$%&'*+-.^_`|~)",
                at()
            ));
        };
        let kind = schema.get("type").and_then(Value::as_str);
        if !matches!(kind, Some("string" | "integer" | "boolean" | "number")) {
            return Err(format!(
                "{}: {KEY} may mark only a string, integer or boolean property, not {}",
                at(),
                kind.unwrap_or("one without a type")
            ));
        }
        if let Some(other) = found.iter().find(|b| b.header.eq_ignore_ascii_case(header)) {
            return Err(format!(
                "{KEY} `{header}` is declared twice (also as `{}`)",
                other.header
            ));
        }
        found.push(Binding {
            header: header.to_owned(),
            path: path.clone(),
        });
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (key, child) in properties {
            path.push(key.clone());
            let visited = visit(child, path, reached, found);
            path.pop();
            visited?;
        }
    }
    for keyword in UNREACHED {
        let Some(sub) = schema.get(*keyword) else {
            continue;
        };
        let branches: Vec<&Value> = match sub {
            Value::Array(items) => items.iter().collect(),
            Value::Object(named) if NAMED_SUBSCHEMAS.contains(keyword) => named.values().collect(),
            other => vec![other],
        };
        path.push(format!("<{keyword}>"));
        let visited = branches
            .into_iter()
            .try_for_each(|branch| visit(branch, path, false, found));
        path.pop();
        visited?;
    }
    Ok(())
}

/// RFC 9110's `token`: one or more of its `tchar`s.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The argument a binding names, when it is there and not null.
fn argument<'a>(arguments: Option<&'a Value>, binding: &Binding) -> Option<&'a Value> {
    let mut node = arguments?;
    for key in &binding.path {
        node = node.get(key)?;
    }
    (!node.is_null()).then_some(node)
}

/// An argument as header text (before encoding): `None` for what no header can carry
/// (an object, an array, a number that is not finite).
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => {
            if let Some(n) = number.as_i64() {
                Some(n.to_string())
            } else if let Some(n) = number.as_u64() {
                Some(n.to_string())
            } else {
                number
                    .as_f64()
                    .filter(|n| n.is_finite())
                    .map(|n| n.to_string())
            }
        }
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Header text as it travels: as it is when it is plain printable ASCII (tabs
/// allowed) with no blank at either end and not in the wrapper's shape; else wrapped,
/// `=?base64?…?=`.
fn encode(text: &str) -> String {
    let wrapper_shaped = text.starts_with("=?base64?") && text.ends_with("?=");
    let blank_at_an_end = text.starts_with([' ', '\t']) || text.ends_with([' ', '\t']);
    let printable = text
        .bytes()
        .all(|b| b == b'\t' || (0x20..=0x7e).contains(&b));
    let plain = !text.is_empty() && !wrapper_shaped && !blank_at_an_end && printable;
    if plain {
        return text.to_owned();
    }
    use base64::Engine as _;
    format!(
        "=?base64?{}?=",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// The `Mcp-Param-*` headers for a call of a tool with `bindings`: one for each
/// argument that is there, not null, and a string, a number or a boolean.
pub(super) fn mirror(bindings: &[Binding], arguments: Option<&Value>) -> Vec<(String, String)> {
    bindings
        .iter()
        .filter_map(|binding| {
            let text = as_text(argument(arguments, binding)?)?;
            Some((format!("{PREFIX}{}", binding.header), encode(&text)))
        })
        .collect()
}

/// Whether `headers` say of a call of a tool with `bindings` what its `arguments` say:
/// every argument that is there (and not null) has its header, with the same value;
/// else the header-mismatch error's message.
pub(super) fn check(
    bindings: &[Binding],
    arguments: Option<&Value>,
    headers: &HeaderMap,
) -> Result<(), String> {
    for binding in bindings {
        let Some(value) = argument(arguments, binding) else {
            continue;
        };
        let Some(body) = as_text(value) else {
            continue;
        };
        let name = format!("{PREFIX}{}", binding.header);
        let said = match super::modern::header_text(headers, &name) {
            None => {
                return Err(format!(
                    "Header mismatch: the {name} header is missing, and the body's `{}` is `{body}`",
                    binding.path.join(".")
                ));
            }
            Some(Err(why)) => return Err(format!("Header mismatch: {why}")),
            Some(Ok(said)) => said,
        };
        let agrees = match value {
            Value::Number(number) => said
                .parse::<f64>()
                .ok()
                .zip(number.as_f64())
                .is_some_and(|(said, body)| said == body),
            _ => said == body,
        };
        if !agrees {
            return Err(format!(
                "Header mismatch: {name} header value `{said}` does not match body value `{body}`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"},
                "priority": {"type": "integer", "x-mcp-header": "Priority"},
                "verbose": {"type": "boolean", "x-mcp-header": "Verbose"},
                "target": {"type": "object", "properties": {
                    "zone": {"type": "string", "x-mcp-header": "Zone"}
                }},
                "query": {"type": "string"}
            }
        })
    }

    #[test]
    fn declarations_reached_through_properties_are_found_at_any_depth() {
        let found = scan(&schema()).unwrap();
        let names: Vec<&str> = found.iter().map(|b| b.header.as_str()).collect();
        assert_eq!(names, ["Region", "Priority", "Verbose", "Zone"]);
        assert_eq!(found[3].path, ["target", "zone"]);
        assert_eq!(scan(&json!({"type": "object"})).unwrap(), []);
    }

    #[test]
    fn a_declaration_that_breaks_a_rule_makes_the_tool_invalid() {
        let invalid = [
            json!({"properties": {"v": {"type": "string", "x-mcp-header": ""}}}),
            json!({"properties": {"v": {"type": "string", "x-mcp-header": "My Region"}}}),
            json!({"properties": {"v": {"type": "string", "x-mcp-header": "Region:Primary"}}}),
            json!({"properties": {"v": {"type": "string", "x-mcp-header": "Région"}}}),
            json!({"properties": {"v": {"type": "string", "x-mcp-header": "Region\t1"}}}),
            json!({"properties": {"v": {"type": "string", "x-mcp-header": 7}}}),
            json!({"properties": {"v": {"type": "object", "x-mcp-header": "Data"}}}),
            json!({"properties": {"v": {"type": "array", "x-mcp-header": "Items"}}}),
            json!({"properties": {"v": {"type": "null", "x-mcp-header": "Nil"}}}),
            json!({"properties": {"v": {"x-mcp-header": "Untyped"}}}),
            json!({"properties": {
                "a": {"type": "string", "x-mcp-header": "MyField"},
                "b": {"type": "string", "x-mcp-header": "myfield"}
            }}),
            json!({"x-mcp-header": "Root", "type": "string"}),
            json!({"properties": {"v": {"type": "array", "items": {"type": "string", "x-mcp-header": "Item"}}}}),
            json!({"oneOf": [{"properties": {"v": {"type": "string", "x-mcp-header": "V"}}}]}),
            json!({"$defs": {"d": {"properties": {"v": {"type": "string", "x-mcp-header": "V"}}}}}),
            json!({"additionalProperties": {"type": "string", "x-mcp-header": "Extra"}}),
        ];
        for schema in invalid {
            assert!(scan(&schema).is_err(), "{schema} was accepted");
        }
        let mut bindings = Bindings::default();
        let refused = bindings.learn(Some(&json!([
            {"name": "good", "inputSchema": schema()},
            {"name": "bad", "inputSchema": {"properties": {"v": {"type": "object", "x-mcp-header": "V"}}}},
        ])));
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].0, "bad");
        assert_eq!(bindings.of("good").len(), 4);
        assert!(bindings.of("bad").is_empty());
        assert!(bindings.of("unlisted").is_empty());
    }

    #[test]
    fn arguments_are_mirrored_as_the_revision_encodes_them() {
        let bindings = scan(&schema()).unwrap();
        let mirrored = mirror(
            &bindings,
            Some(
                &json!({"region": "us-west1", "priority": 42, "verbose": false,
                        "target": {"zone": "b"}, "query": "SELECT 1"}),
            ),
        );
        assert_eq!(
            mirrored,
            [
                ("Mcp-Param-Region".to_owned(), "us-west1".to_owned()),
                ("Mcp-Param-Priority".to_owned(), "42".to_owned()),
                ("Mcp-Param-Verbose".to_owned(), "false".to_owned()),
                ("Mcp-Param-Zone".to_owned(), "b".to_owned()),
            ]
        );
        // Null and absent arguments have no header; nor has what no header can carry.
        let mirrored = mirror(&bindings, Some(&json!({"region": null, "priority": [1]})));
        assert_eq!(mirrored, []);
        assert_eq!(mirror(&bindings, None), []);
        // What is not plain ASCII without blanks at its ends is wrapped.
        for (text, wrapped) in [
            ("Hello", "Hello"),
            ("in between spaces", "in between spaces"),
            ("Région", "=?base64?UsOpZ2lvbg==?="),
            (" leading", "=?base64?IGxlYWRpbmc=?="),
            ("trailing\t", "=?base64?dHJhaWxpbmcJ?="),
            ("a\r\nb", "=?base64?YQ0KYg==?="),
            ("", "=?base64??="),
            ("=?base64?abc?=", "=?base64?PT9iYXNlNjQ/YWJjPz0=?="),
        ] {
            assert_eq!(encode(text), wrapped, "{text:?}");
        }
    }

    #[test]
    fn headers_must_say_what_the_arguments_say() {
        let bindings = scan(&schema()).unwrap();
        let arguments = json!({"region": "Hello", "priority": 42, "query": "x"});
        let ok = |pairs: &[(&str, &str)]| check(&bindings, Some(&arguments), &headers(pairs));
        assert_eq!(
            ok(&[("mcp-param-region", "Hello"), ("Mcp-Param-Priority", "42")]),
            Ok(())
        );
        // Wrapped values are decoded; numbers compare as numbers.
        assert_eq!(
            ok(&[
                ("Mcp-Param-Region", "=?base64?SGVsbG8=?="),
                ("Mcp-Param-Priority", "42.0")
            ]),
            Ok(())
        );
        // A value without the exact wrapper is literal.
        let literal = json!({"region": "=?base64?SGVsbG8=", "priority": 42});
        assert_eq!(
            check(
                &bindings,
                Some(&literal),
                &headers(&[
                    ("Mcp-Param-Region", "=?base64?SGVsbG8="),
                    ("Mcp-Param-Priority", "42")
                ])
            ),
            Ok(())
        );
        for (pairs, why) in [
            (
                &[("Mcp-Param-Priority", "42")][..],
                "Mcp-Param-Region header is missing",
            ),
            (
                &[("Mcp-Param-Region", "World"), ("Mcp-Param-Priority", "42")][..],
                "value `World` does not match body value `Hello`",
            ),
            (
                &[("Mcp-Param-Region", "Hello"), ("Mcp-Param-Priority", "41")][..],
                "does not match",
            ),
            (
                &[
                    ("Mcp-Param-Region", "=?base64?SGVsbG8?="),
                    ("Mcp-Param-Priority", "42"),
                ][..],
                "does not decode",
            ),
            (
                &[
                    ("Mcp-Param-Region", "=?base64?SGVs!!!bG8=?="),
                    ("Mcp-Param-Priority", "42"),
                ][..],
                "does not decode",
            ),
        ] {
            let refused = ok(pairs).unwrap_err();
            assert!(refused.starts_with("Header mismatch: "), "{refused}");
            assert!(refused.contains(why), "{pairs:?}: {refused}");
        }
        // An argument that is not there needs no header.
        assert_eq!(
            check(&bindings, Some(&json!({"query": "x"})), &HeaderMap::new()),
            Ok(())
        );
    }
}
