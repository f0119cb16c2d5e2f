//! Positive knowledge of inline code: Python and JavaScript are parsed with tree-sitter's
//! grammars, and the functions, methods and modules the code calls, as the tree shows them
//! (aliases and imports followed), are each checked against what is known to be harmless
//! for its language. Code whose every call is known is `read` (as far as calls go); one
//! unknown call makes it at least a change; code that builds what it calls at run time
//! (`getattr(os, "sys" + "tem")`, `eval`, `__import__`, `new Function`, a computed
//! callee) is unanalysable, and so is code that does not parse or is past the budgets.

use std::collections::HashMap;
use std::ops::ControlFlow;

use tree_sitter::{Node, ParseOptions, Parser};

use super::code::Language;

/// What the calls in a piece of code are.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Calls {
    /// Calls, imports and requires not known to be harmless, as resolved.
    pub unknown: Vec<String>,
    /// Calls that decide at run time what they call or evaluate.
    pub dynamic: Vec<String>,
    /// Modules the code imports, for finding a local file that stands in for one.
    pub imports: Vec<String>,
    /// Every call the code makes, known or not, by the name it resolves to (`os.remove`
    /// for `r` after `from os import remove as r`; `.write` for a method of a value).
    pub called: Vec<String>,
    /// Why the code could not be read call by call (it does not parse, or is past a
    /// budget), as the end of a sentence.
    pub unreadable: Option<String>,
    /// The code with its comments and the text of its string literals blanked out: what
    /// is code, for matching names in (`print("os.remove(x)")` names no call). Empty
    /// when the code could not be read.
    pub visible: String,
}

/// The most bytes of code parsed; longer code is not read call by call.
const MAX_CODE: usize = 1024 * 1024;

/// The parser reports its progress every hundred or so operations; past this many
/// reports for each KiB of code (plus a base), parsing is cancelled. Well-formed code takes
/// a few; input built to make error recovery explode is cut off, whatever its size.
const PARSE_REPORTS_PER_KIB: usize = 64;
const PARSE_REPORTS_BASE: usize = 1_000;

/// The most syntax nodes walked, and how deeply nested one may lie.
const MAX_NODES: usize = 400_000;
const MAX_DEPTH: usize = 1_000;

/// How many names one callee may resolve to, through aliases bound several ways.
const MAX_CANDIDATES: usize = 32;

/// How many aliases are followed one after another (`a = b; b = os.remove`).
const MAX_ALIAS_STEPS: usize = 4;

/// Names whose use is reflection on the interpreter's own tables: what they reach is
/// decided at run time.
const REFLECTION: &[&str] = &[
    "__builtins__",
    "__dict__",
    "__globals__",
    "__code__",
    "__subclasses__",
];

/// The calls of `code` in `language`; `None` for a language holdpoint has no knowledge
/// of calls in.
pub(crate) fn calls(code: &str, language: Language) -> Option<Calls> {
    let known = Known::of(language)?;
    let mut out = Calls::default();
    if code.len() > MAX_CODE {
        out.unreadable = Some(format!(
            "is {} bytes long; holdpoint reads at most {MAX_CODE} bytes of inline code call by call",
            code.len()
        ));
        return Some(out);
    }
    let grammar: tree_sitter::Language = match language {
        Language::Python => tree_sitter_python::LANGUAGE.into(),
        _ => tree_sitter_javascript::LANGUAGE.into(),
    };
    let mut parser = Parser::new();
    if parser.set_language(&grammar).is_err() {
        out.unreadable = Some("could not be parsed".to_owned());
        return Some(out);
    }
    let bytes = code.as_bytes();
    let budget = PARSE_REPORTS_BASE + PARSE_REPORTS_PER_KIB * (bytes.len() / 1024);
    let mut reports = 0usize;
    let mut progress = |_: &tree_sitter::ParseState| {
        reports += 1;
        if reports > budget {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let tree = parser.parse_with_options(
        &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
        None,
        Some(ParseOptions::new().progress_callback(&mut progress)),
    );
    let Some(tree) = tree else {
        out.unreadable = Some("takes too long to parse".to_owned());
        return Some(out);
    };
    let root = tree.root_node();
    if root.has_error() {
        let name = match language {
            Language::Python => "Python",
            _ => "JavaScript",
        };
        out.unreadable = Some(format!("does not parse as {name}"));
        return Some(out);
    }
    let mut reader = Reader {
        code: bytes,
        language,
        known,
        bindings: HashMap::new(),
        out,
    };
    let nodes = match nodes(root) {
        Ok(nodes) => nodes,
        Err(reason) => {
            reader.out.unreadable = Some(reason);
            return Some(reader.out);
        }
    };
    for node in &nodes {
        reader.bind(*node);
    }
    let mut visible = bytes.to_vec();
    for node in &nodes {
        reader.visit(*node);
        if matches!(
            node.kind(),
            "comment" | "string_content" | "string_fragment" | "regex_pattern"
        ) || (node.kind() == "escape_sequence"
            && node
                .parent()
                .is_some_and(|p| matches!(p.kind(), "string" | "template_string")))
        {
            // Whole nodes lie on character boundaries: spaces in their place keep the
            // text UTF-8.
            if let Some(range) = visible.get_mut(node.byte_range()) {
                range.fill(b' ');
            }
        }
    }
    reader.out.visible = String::from_utf8(visible).unwrap_or_default();
    Some(reader.out)
}

/// Every node of the tree under `root`, walked without recursion, within the budgets.
fn nodes(root: Node<'_>) -> Result<Vec<Node<'_>>, String> {
    let mut out = Vec::new();
    let mut stack = vec![(root, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(format!(
                "nests more than {MAX_DEPTH} levels deep, too deep to read call by call"
            ));
        }
        out.push(node);
        if out.len() > MAX_NODES {
            return Err(format!(
                "has more than {MAX_NODES} syntax nodes, too many to read call by call"
            ));
        }
        let mut cursor = node.walk();
        // Children are pushed in reverse so that they are visited in source order.
        let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        for child in children.into_iter().rev() {
            stack.push((child, depth + 1));
        }
    }
    Ok(out)
}

/// What a called name stands for once its aliases are followed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Callee {
    /// A dotted name: a builtin, a module's member or a method of a named value.
    Name(String),
    /// A function or value the code binds itself (`def f`, `x = f()`), called as itself.
    Local(String),
    /// A method of a value holdpoint does not follow (`f().write`), by its method name.
    Method(String),
}

/// Reads one parsed piece of code.
struct Reader<'a> {
    code: &'a [u8],
    language: Language,
    known: &'static Known,
    /// What each name (or dotted name) is bound to anywhere in the code: a static name
    /// (`r` after `from os import remove as r`), or `None` for a value computed at run
    /// time. Bindings are read without regard to order, so a name bound two ways stands
    /// for both.
    bindings: HashMap<String, Vec<Option<String>>>,
    out: Calls,
}

impl Reader<'_> {
    fn text(&self, node: Node<'_>) -> &str {
        node.utf8_text(self.code).unwrap_or("")
    }

    fn python(&self) -> bool {
        self.language == Language::Python
    }

    fn dynamic(&mut self, name: impl Into<String>) {
        let name = name.into();
        if !self.out.dynamic.contains(&name) {
            self.out.dynamic.push(name);
        }
    }

    fn unknown(&mut self, name: impl Into<String>) {
        let name = name.into();
        if !self.out.unknown.contains(&name) {
            self.out.unknown.push(name);
        }
    }

    fn called(&mut self, name: &str) {
        if !self.out.called.iter().any(|c| c == name) {
            self.out.called.push(name.to_owned());
        }
    }

    fn bind(&mut self, node: Node<'_>) {
        match node.kind() {
            // Python: `import a.b`, `import a.b as c`, `from m import f as g`.
            "import_statement" if self.python() => {
                let mut cursor = node.walk();
                for name in node.children_by_field_name("name", &mut cursor) {
                    self.bind_python_import(name, None);
                }
            }
            "import_from_statement" => {
                let module = node
                    .child_by_field_name("module_name")
                    .filter(|m| m.kind() == "dotted_name")
                    .map(|m| self.text(m).to_owned());
                let mut cursor = node.walk();
                for name in node.children_by_field_name("name", &mut cursor) {
                    match &module {
                        Some(module) => self.bind_python_import(name, Some(module)),
                        // `from . import x`: a package's module, which holdpoint does not
                        // follow.
                        None => {
                            let bound = match name.child_by_field_name("alias") {
                                Some(alias) => alias,
                                None => name,
                            };
                            let bound = self.text(bound).to_owned();
                            self.bindings.entry(bound).or_default().push(None);
                        }
                    }
                }
            }
            "assignment" | "named_expression" | "variable_declarator" | "assignment_expression" => {
                let (left, right) = match node.kind() {
                    "assignment" | "assignment_expression" => ("left", "right"),
                    "named_expression" => ("name", "value"),
                    _ => ("name", "value"),
                };
                let value = node
                    .child_by_field_name(right)
                    .and_then(|v| self.written_name(v));
                if let Some(target) = node.child_by_field_name(left) {
                    self.bind_pattern(target, value);
                }
            }
            "augmented_assignment" | "augmented_assignment_expression" => {
                if let Some(target) = node.child_by_field_name("left") {
                    self.bind_pattern(target, None);
                }
            }
            "for_statement" | "for_in_clause" | "for_in_statement" => {
                if let Some(target) = node.child_by_field_name("left") {
                    self.bind_pattern(target, None);
                }
            }
            "function_definition"
            | "class_definition"
            | "function_declaration"
            | "generator_function_declaration"
            | "class_declaration"
            | "function_expression"
            | "class" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.bind_pattern(name, None);
                }
            }
            "as_pattern_target" | "catch_clause" => {
                let target = if node.kind() == "catch_clause" {
                    node.child_by_field_name("parameter")
                } else {
                    Some(node)
                };
                if let Some(target) = target {
                    self.bind_pattern(target, None);
                }
            }
            "parameters" | "lambda_parameters" | "formal_parameters" => {
                self.bind_pattern(node, None);
            }
            "arrow_function" => {
                if let Some(parameter) = node.child_by_field_name("parameter") {
                    self.bind_pattern(parameter, None);
                }
            }
            // JavaScript: `import fs from "fs"`, `import * as fs from "node:fs"`,
            // `import {unlinkSync as u} from "fs"`.
            "import_statement" => {
                let Some(module) = node
                    .child_by_field_name("source")
                    .and_then(|s| self.string_value(s))
                else {
                    return;
                };
                let module = module.trim_start_matches("node:").to_owned();
                let mut stack = vec![node];
                while let Some(n) = stack.pop() {
                    match n.kind() {
                        "import_specifier" => {
                            let name = n.child_by_field_name("name").map(|x| {
                                self.string_value(x)
                                    .unwrap_or_else(|| self.text(x).to_owned())
                            });
                            let bound = n
                                .child_by_field_name("alias")
                                .or(n.child_by_field_name("name"));
                            if let (Some(name), Some(bound)) = (name, bound) {
                                let bound = self.text(bound).to_owned();
                                self.bindings
                                    .entry(bound)
                                    .or_default()
                                    .push(Some(format!("{module}.{name}")));
                            }
                        }
                        "identifier" => {
                            let bound = self.text(n).to_owned();
                            self.bindings
                                .entry(bound)
                                .or_default()
                                .push(Some(module.clone()));
                        }
                        "string" => {}
                        _ => {
                            let mut cursor = n.walk();
                            stack.extend(n.named_children(&mut cursor));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Binds a Python import's name (`a.b`, `a.b as c`), from `module` if it is a
    /// `from` import.
    fn bind_python_import(&mut self, name: Node<'_>, module: Option<&str>) {
        let (dotted, alias) = match name.kind() {
            "aliased_import" => (
                name.child_by_field_name("name")
                    .map(|n| self.text(n).to_owned()),
                name.child_by_field_name("alias")
                    .map(|n| self.text(n).to_owned()),
            ),
            _ => (Some(self.text(name).to_owned()), None),
        };
        let Some(dotted) = dotted else {
            return;
        };
        let (bound, target) = match (module, alias) {
            (Some(module), alias) => (
                alias.unwrap_or(dotted.clone()),
                format!("{module}.{dotted}"),
            ),
            (None, Some(alias)) => (alias, dotted),
            // `import a.b` binds `a`.
            (None, None) => {
                let root = dotted.split('.').next().unwrap_or(&dotted).to_owned();
                (root.clone(), root)
            }
        };
        self.bindings.entry(bound).or_default().push(Some(target));
    }

    /// Binds the names a target pattern assigns: a plain name or a static dotted name to
    /// `value`; names inside a destructuring pattern to the member they take, or to a
    /// computed value.
    fn bind_pattern(&mut self, target: Node<'_>, value: Option<String>) {
        match target.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => {
                let name = self.text(target).to_owned();
                self.bindings.entry(name).or_default().push(value);
            }
            "attribute" | "member_expression" => {
                if let Some(name) = self.written_name(target) {
                    self.bindings.entry(name).or_default().push(value);
                }
            }
            // `const {rmSync: r, unlinkSync} = require("fs")`.
            "object_pattern" => {
                let mut cursor = target.walk();
                let children: Vec<Node<'_>> = target.named_children(&mut cursor).collect();
                for child in children {
                    match child.kind() {
                        "pair_pattern" => {
                            let key =
                                child
                                    .child_by_field_name("key")
                                    .and_then(|k| match k.kind() {
                                        "property_identifier" => Some(self.text(k).to_owned()),
                                        "string" => self.string_value(k),
                                        _ => None,
                                    });
                            let member = match (&value, key) {
                                (Some(value), Some(key)) => Some(format!("{value}.{key}")),
                                _ => None,
                            };
                            if let Some(inner) = child.child_by_field_name("value") {
                                self.bind_names_in(inner, member);
                            }
                        }
                        "shorthand_property_identifier_pattern" => {
                            let key = self.text(child).to_owned();
                            let member = value.as_ref().map(|v| format!("{v}.{key}"));
                            self.bindings.entry(key).or_default().push(member);
                        }
                        _ => self.bind_names_in(child, None),
                    }
                }
            }
            _ => self.bind_names_in(target, None),
        }
    }

    /// Binds every name a pattern holds (`a, (b, c)`, `[x, ...rest]`, a default value's
    /// target), each to `value` if the pattern is only that name, otherwise to a computed
    /// value. Names inside subscripts and attributes are read, not bound.
    fn bind_names_in(&mut self, pattern: Node<'_>, value: Option<String>) {
        if matches!(
            pattern.kind(),
            "identifier" | "shorthand_property_identifier_pattern"
        ) {
            let name = self.text(pattern).to_owned();
            self.bindings.entry(name).or_default().push(value);
            return;
        }
        let mut stack = vec![pattern];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "identifier" | "shorthand_property_identifier_pattern" => {
                    let name = self.text(node).to_owned();
                    self.bindings.entry(name).or_default().push(None);
                }
                "attribute" | "member_expression" => {
                    if let Some(name) = self.written_name(node) {
                        self.bindings.entry(name).or_default().push(None);
                    }
                }
                "subscript" | "subscript_expression" | "string" => {}
                // A parameter's default value and type are read, not bound.
                "default_parameter"
                | "typed_default_parameter"
                | "assignment_pattern"
                | "typed_parameter" => {
                    let name = node
                        .child_by_field_name("name")
                        .or(node.child_by_field_name("left"))
                        .or(node.named_child(0));
                    stack.extend(name);
                }
                "pair_pattern" => stack.extend(node.child_by_field_name("value")),
                _ => {
                    let mut cursor = node.walk();
                    stack.extend(node.named_children(&mut cursor));
                }
            }
        }
    }

    /// The text of a string literal without interpolation, unquoted.
    fn string_value(&self, node: Node<'_>) -> Option<String> {
        match node.kind() {
            "string" | "template_string" => {}
            _ => return None,
        }
        let mut text = String::new();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "string_content" | "string_fragment" => text.push_str(self.text(child)),
                "string_start" | "string_end" => {}
                // Escapes, interpolations and substitutions: not a plain value.
                _ => return None,
            }
        }
        // A prefixed Python string (`f"…"`, `b"…"`) is a plain value only unprefixed or raw.
        if self.python() {
            let prefix: String = self
                .text(node)
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if !prefix.is_empty()
                && !prefix.eq_ignore_ascii_case("r")
                && !prefix.eq_ignore_ascii_case("u")
            {
                return None;
            }
        }
        Some(text)
    }

    /// The dotted name an expression is written as (`os.path.join`; `fs.rmSync` for
    /// `require("fs").rmSync` or `fs["rmSync"]`), or `None` when it is computed.
    fn written_name(&self, node: Node<'_>) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        let mut node = node;
        loop {
            match node.kind() {
                "identifier" => {
                    parts.push(self.text(node).to_owned());
                    break;
                }
                "attribute" => {
                    parts.push(self.text(node.child_by_field_name("attribute")?).to_owned());
                    node = node.child_by_field_name("object")?;
                }
                "member_expression" => {
                    parts.push(self.text(node.child_by_field_name("property")?).to_owned());
                    node = node.child_by_field_name("object")?;
                }
                "subscript_expression" => {
                    parts.push(self.string_value(node.child_by_field_name("index")?)?);
                    node = node.child_by_field_name("object")?;
                }
                "parenthesized_expression" if node.named_child_count() == 1 => {
                    node = node.named_child(0)?;
                }
                "call_expression" => {
                    parts.push(self.required(node)?.trim_start_matches("node:").to_owned());
                    break;
                }
                _ => return None,
            }
            if parts.len() > 64 {
                return None;
            }
        }
        parts.reverse();
        Some(parts.join("."))
    }

    /// The module a `require("m")` call names, if the call is one with a literal name.
    fn required(&self, call: Node<'_>) -> Option<String> {
        let function = call.child_by_field_name("function")?;
        if self.python() || function.kind() != "identifier" || self.text(function) != "require" {
            return None;
        }
        let arguments = call.child_by_field_name("arguments")?;
        if arguments.named_child_count() != 1 {
            return None;
        }
        self.string_value(arguments.named_child(0)?)
    }

    /// What a written name stands for, its aliases followed.
    fn resolve(&self, written: &str) -> Vec<Callee> {
        let mut done = Vec::new();
        let mut pending = vec![(written.to_owned(), 0usize)];
        while let Some((name, steps)) = pending.pop() {
            if done.len() + pending.len() > MAX_CANDIDATES {
                break;
            }
            // The longest bound prefix: `console.log` before `console`.
            let bound = prefixes(&name).find_map(|prefix| {
                self.bindings
                    .get(prefix)
                    .map(|targets| (prefix.len(), targets))
            });
            let Some((length, targets)) = bound else {
                done.push(Callee::Name(name));
                continue;
            };
            let rest = name.get(length..).unwrap_or("");
            for target in targets {
                match target {
                    Some(target) if steps < MAX_ALIAS_STEPS => {
                        let next = format!("{target}{rest}");
                        if next == name {
                            done.push(Callee::Name(next));
                        } else {
                            pending.push((next, steps + 1));
                        }
                    }
                    Some(_) => done.push(Callee::Local(name.clone())),
                    None => done.push(match rest.rsplit_once('.') {
                        Some((_, method)) => Callee::Method(method.to_owned()),
                        None => Callee::Local(name.clone()),
                    }),
                }
            }
        }
        if done.len() + pending.len() > MAX_CANDIDATES {
            return vec![Callee::Local(written.to_owned())];
        }
        done.dedup();
        done
    }

    fn visit(&mut self, node: Node<'_>) {
        match node.kind() {
            "call" | "call_expression" => {
                if let Some(function) = node.child_by_field_name("function") {
                    self.call(function, node.child_by_field_name("arguments"));
                }
            }
            "new_expression" => {
                if let Some(constructor) = node.child_by_field_name("constructor") {
                    self.call(constructor, node.child_by_field_name("arguments"));
                }
            }
            // `@d` calls `d` with what follows; `@d(x)` is a call already.
            "decorator" => {
                if let Some(inner) = node.named_child(0)
                    && !matches!(inner.kind(), "call" | "call_expression")
                {
                    self.call(inner, None);
                }
            }
            "exec_statement" => self.dynamic("exec"),
            "import_statement" | "import_from_statement" if self.python() => {
                self.python_import(node)
            }
            "import_statement" => {
                if let Some(module) = node
                    .child_by_field_name("source")
                    .and_then(|s| self.string_value(s))
                {
                    self.module(&module, format!("import \"{module}\""));
                }
            }
            "identifier" | "property_identifier" if REFLECTION.contains(&self.text(node)) => {
                let name = self.text(node).to_owned();
                self.dynamic(name);
            }
            _ => {}
        }
    }

    /// A Python import: the modules it loads.
    fn python_import(&mut self, node: Node<'_>) {
        let mut modules = Vec::new();
        if node.kind() == "import_from_statement" {
            match node.child_by_field_name("module_name") {
                Some(m) if m.kind() == "dotted_name" => modules.push(self.text(m).to_owned()),
                Some(m) => {
                    let text = self.text(m).to_owned();
                    self.unknown(format!("from {text} import"));
                }
                None => {}
            }
        } else {
            let mut cursor = node.walk();
            let names: Vec<Node<'_>> = node.children_by_field_name("name", &mut cursor).collect();
            for name in names {
                let dotted = match name.kind() {
                    "aliased_import" => name.child_by_field_name("name"),
                    _ => Some(name),
                };
                if let Some(dotted) = dotted {
                    modules.push(self.text(dotted).to_owned());
                }
            }
        }
        for module in modules {
            let root = module.split('.').next().unwrap_or(&module).to_owned();
            if !self.out.imports.contains(&root) {
                self.out.imports.push(root.clone());
            }
            if !self.known.modules.contains(&root.as_str())
                && !PURE_MODULES.contains(&root.as_str())
            {
                self.unknown(format!("import {module}"));
            }
        }
    }

    /// A JavaScript module loaded by name: known, or unknown as `written`. The load is a
    /// call of its own, so the module's name stays visible to the markers
    /// (`child_process`) though it is written in a string.
    fn module(&mut self, module: &str, written: String) {
        self.called(&written);
        let root = module.trim_start_matches("node:");
        // A JSON file is parsed as data, never run.
        let data = module.ends_with(".json") && !self.python();
        if !data && !self.known.modules.contains(&root) {
            self.unknown(written);
        }
    }

    /// A call of `callee` with `arguments`.
    fn call(&mut self, callee: Node<'_>, arguments: Option<Node<'_>>) {
        let mut callee = callee;
        while callee.kind() == "parenthesized_expression" && callee.named_child_count() == 1 {
            match callee.named_child(0) {
                Some(inner) => callee = inner,
                None => break,
            }
        }
        match callee.kind() {
            // `import("fs")`: a module chosen at run time.
            "import" => return self.dynamic("import"),
            // A function written in place: its body is read with the rest.
            "lambda" | "function_expression" | "arrow_function" | "function" => return,
            "identifier"
                if !self.python()
                    && self.text(callee) == "require"
                    && !self.bindings.contains_key("require") =>
            {
                let module = arguments
                    .filter(|a| a.named_child_count() == 1)
                    .and_then(|a| a.named_child(0))
                    .and_then(|m| self.string_value(m));
                match module {
                    Some(module) => self.module(&module, format!("require(\"{module}\")")),
                    None => self.dynamic("require"),
                }
                return;
            }
            _ => {}
        }
        let callees = match self.written_name(callee) {
            Some(written) => self.resolve(&written),
            // A method of a value an expression gives (`f().write(…)`, `"x".join(…)`).
            None => match callee.kind() {
                "attribute" => callee
                    .child_by_field_name("attribute")
                    .map(|m| vec![Callee::Method(self.text(m).to_owned())])
                    .unwrap_or_default(),
                "member_expression" => callee
                    .child_by_field_name("property")
                    .map(|m| vec![Callee::Method(self.text(m).to_owned())])
                    .unwrap_or_default(),
                // `f()()`, `a[k](x)`, `fs["unlink" + "Sync"](…)`: something unnamed.
                _ => return self.dynamic("a computed function"),
            },
        };
        // Code in a string, run later (`setTimeout("…", 1)`).
        let code_argument = arguments
            .and_then(|a| a.named_child(0))
            .is_some_and(|a| matches!(a.kind(), "string" | "template_string"));
        for callee in callees {
            match callee {
                Callee::Name(name) => {
                    self.called(&name);
                    if !self.python()
                        && code_argument
                        && matches!(name.as_str(), "setTimeout" | "setInterval")
                    {
                        self.dynamic(name);
                        continue;
                    }
                    self.judge(&name);
                }
                Callee::Local(name) => {
                    self.called(&name);
                    self.unknown(name);
                }
                Callee::Method(method) => {
                    let name = format!(".{method}");
                    self.called(&name);
                    if self.known.dynamic.contains(&method.as_str()) {
                        self.dynamic(name);
                    } else if !self.known.methods.contains(&method.as_str()) {
                        self.unknown(name);
                    }
                }
            }
        }
    }

    /// Judges a call of a resolved dotted name against what is known.
    fn judge(&mut self, name: &str) {
        let known = self.known;
        if known.dynamic.contains(&name)
            || known
                .dynamic
                .iter()
                .any(|d| name.ends_with(&format!(".{d}")))
        {
            return self.dynamic(name);
        }
        // Modules that only compute: any call but those that write, save or run.
        let root = name.split('.').next().unwrap_or(name);
        if PURE_MODULES.contains(&root) && name.contains('.') {
            let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
            let risky = [
                "to_", "save", "write", "dump", "remove", "unlink", "system", "exec", "eval",
                "load", "connect", "download", "open", "rm", "delete",
            ]
            .iter()
            .any(|r| last.starts_with(r) || last.contains(r));
            if !risky {
                return;
            }
        }
        if !known.harmless(name) {
            self.unknown(name);
        }
    }
}

/// The dotted prefixes of `name`, longest first: `a.b.c`, `a.b`, `a`.
fn prefixes(name: &str) -> impl Iterator<Item = &str> {
    std::iter::once(name).chain(
        name.char_indices()
            .rev()
            .filter(|(_, c)| *c == '.')
            .filter_map(|(i, _)| name.get(..i)),
    )
}

/// What is known to be harmless in one language.
struct Known {
    /// Functions and methods that only compute, print or read.
    functions: &'static [&'static str],
    /// Method names harmless on any value (`.split`, `.join`).
    methods: &'static [&'static str],
    /// Modules whose import runs nothing and whose harmful members are not in
    /// `functions`.
    modules: &'static [&'static str],
    /// Calls that decide at run time what they call or evaluate.
    dynamic: &'static [&'static str],
}

impl Known {
    fn of(language: Language) -> Option<&'static Known> {
        match language {
            Language::Python => Some(&PYTHON),
            Language::JavaScript => Some(&JAVASCRIPT),
            _ => None,
        }
    }

    fn harmless(&self, name: &str) -> bool {
        if self.functions.contains(&name) {
            return true;
        }
        // A method of a value: harmless when the method is, unless the value is a module
        // whose members are listed by their full names.
        match name.rsplit_once('.') {
            Some((receiver, method)) => {
                let root = receiver.split('.').next().unwrap_or(receiver);
                let module = self.modules.contains(&root) || MODULE_ROOTS.contains(&root);
                !module && self.methods.contains(&method)
            }
            None => false,
        }
    }
}

/// Python libraries that only compute (arrays, tables, statistics, models): their calls
/// are harmless but for the ones that save, write, load or run.
const PURE_MODULES: &[&str] = &[
    "numpy",
    "pandas",
    "scipy",
    "sklearn",
    "torch",
    "tensorflow",
    "jax",
    "polars",
    "sympy",
    "networkx",
    "numba",
    "pyarrow",
    "statsmodels",
    "math",
    "cmath",
];

/// Names that are modules when they lead a dotted call, whatever a language's list says.
const MODULE_ROOTS: &[&str] = &[
    "os",
    "sys",
    "shutil",
    "subprocess",
    "pathlib",
    "socket",
    "fs",
    "child_process",
    "process",
    "Deno",
    "Bun",
    "require",
    "ctypes",
    "pty",
    "signal",
    "tempfile",
    "glob",
    "io",
];

static PYTHON: Known = Known {
    functions: &[
        "print",
        "len",
        "range",
        "sorted",
        "sum",
        "min",
        "max",
        "abs",
        "round",
        "int",
        "float",
        "str",
        "repr",
        "bool",
        "list",
        "dict",
        "set",
        "frozenset",
        "tuple",
        "enumerate",
        "zip",
        "map",
        "filter",
        "isinstance",
        "issubclass",
        "type",
        "hex",
        "oct",
        "bin",
        "chr",
        "ord",
        "format",
        "hash",
        "any",
        "all",
        "reversed",
        "divmod",
        "pow",
        "iter",
        "next",
        "slice",
        "bytes",
        "bytearray",
        "complex",
        "id",
        "input",
        "callable",
        "hasattr",
        "super",
        "object",
        "ascii",
        "memoryview",
        "property",
        "staticmethod",
        "classmethod",
        "json.load",
        "json.loads",
        "json.dumps",
        "sys.stdin.read",
        "sys.stdin.readline",
        "sys.stdin.readlines",
        "sys.stdout.write",
        "sys.stderr.write",
        "sys.stdout.flush",
        "sys.exit",
        "sys.getsizeof",
        "sys.getrecursionlimit",
        "os.getcwd",
        "os.getenv",
        "os.environ.get",
        "os.path.join",
        "os.path.exists",
        "os.path.isfile",
        "os.path.isdir",
        "os.path.basename",
        "os.path.dirname",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.expanduser",
        "os.path.splitext",
        "os.path.getsize",
        "os.path.getmtime",
        "os.path.relpath",
        "os.path.normpath",
        "os.path.split",
        "os.path.islink",
        "os.listdir",
        "os.walk",
        "os.scandir",
        "os.stat",
        "os.lstat",
        "os.cpu_count",
        "os.getpid",
        "os.getuid",
        "os.uname",
        "os.get_terminal_size",
        "os.fspath",
        "shutil.disk_usage",
        "shutil.which",
        "shutil.get_terminal_size",
        "glob.glob",
        "glob.iglob",
        "pathlib.Path",
        "Path",
        "time.time",
        "time.sleep",
        "time.monotonic",
        "time.perf_counter",
        "time.strftime",
        "time.localtime",
        "time.gmtime",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.fromtimestamp",
        "datetime.datetime.strptime",
        "datetime.date.today",
        "datetime.timedelta",
        "datetime.datetime",
        "datetime.date",
        "datetime.now",
        "platform.system",
        "platform.machine",
        "platform.python_version",
        "platform.platform",
        "platform.release",
        "platform.node",
        "hashlib.sha256",
        "hashlib.md5",
        "hashlib.sha1",
        "base64.b64decode",
        "base64.b64encode",
        "base64.urlsafe_b64decode",
        "base64.urlsafe_b64encode",
        "csv.reader",
        "csv.DictReader",
        "open",
        "collections.Counter",
        "collections.defaultdict",
        "collections.OrderedDict",
        "collections.deque",
        "collections.namedtuple",
        "Counter",
        "defaultdict",
        "textwrap.dedent",
        "textwrap.fill",
        "pprint.pprint",
        "pprint.pformat",
        "uuid.uuid4",
        "uuid.UUID",
        "random.random",
        "random.randint",
        "random.choice",
        "random.shuffle",
        "random.sample",
        "decimal.Decimal",
        "fractions.Fraction",
        "urllib.parse.quote",
        "urllib.parse.unquote",
        "urllib.parse.urlparse",
        "urllib.parse.urlencode",
        "urllib.parse.parse_qs",
        "shlex.quote",
        "shlex.split",
        "struct.pack",
        "struct.unpack",
        "binascii.hexlify",
        "binascii.unhexlify",
        "ipaddress.ip_address",
        "ipaddress.ip_network",
        "tomllib.load",
        "tomllib.loads",
        "statistics.mean",
        "statistics.median",
        "statistics.stdev",
        "difflib.unified_diff",
        "itertools.chain",
        "itertools.groupby",
        "itertools.islice",
        "itertools.product",
        "itertools.permutations",
        "itertools.combinations",
        "functools.reduce",
        "locale.getpreferredencoding",
        "unicodedata.normalize",
        "calendar.monthrange",
    ],
    methods: &[
        "split",
        "rsplit",
        "join",
        "strip",
        "lstrip",
        "rstrip",
        "lower",
        "upper",
        "title",
        "capitalize",
        "replace",
        "format",
        "items",
        "keys",
        "values",
        "get",
        "append",
        "extend",
        "insert",
        "startswith",
        "endswith",
        "encode",
        "decode",
        "count",
        "index",
        "find",
        "rfind",
        "splitlines",
        "sort",
        "pop",
        "update",
        "copy",
        "setdefault",
        "isdigit",
        "isalpha",
        "isalnum",
        "isspace",
        "zfill",
        "ljust",
        "rjust",
        "center",
        "partition",
        "rpartition",
        "hexdigest",
        "digest",
        "read",
        "readline",
        "readlines",
        "read_text",
        "read_bytes",
        "exists",
        "is_file",
        "is_dir",
        "iterdir",
        "glob",
        "rglob",
        "resolve",
        "absolute",
        "stat",
        "most_common",
        "group",
        "groups",
        "match",
        "search",
        "findall",
        "finditer",
        "sub",
        "fullmatch",
        "isoformat",
        "strftime",
        "timestamp",
        "total_seconds",
        "date",
        "time",
        "add",
        "discard",
        "union",
        "intersection",
        "difference",
        "issubset",
        "issuperset",
        "casefold",
        "expandtabs",
        "translate",
        "maketrans",
        "splitext",
        "with_suffix",
        "with_name",
        "relative_to",
        "as_posix",
        "joinpath",
        "hex",
        "to_bytes",
        "from_bytes",
        "bit_length",
        "is_integer",
        "real",
        "imag",
        "conjugate",
        "popleft",
        "appendleft",
        "clear",
        "remove_prefix",
        "removeprefix",
        "removesuffix",
        "most_common",
        "elements",
        "subtract",
        "__len__",
        "__str__",
        "__repr__",
    ],
    modules: &[
        "json",
        "sys",
        "os",
        "re",
        "math",
        "cmath",
        "datetime",
        "time",
        "collections",
        "itertools",
        "functools",
        "statistics",
        "string",
        "textwrap",
        "pprint",
        "csv",
        "base64",
        "hashlib",
        "hmac",
        "platform",
        "pathlib",
        "glob",
        "decimal",
        "fractions",
        "random",
        "uuid",
        "struct",
        "binascii",
        "html",
        "urllib",
        "typing",
        "dataclasses",
        "enum",
        "operator",
        "copy",
        "bisect",
        "heapq",
        "zoneinfo",
        "calendar",
        "locale",
        "unicodedata",
        "difflib",
        "shlex",
        "tomllib",
        "ipaddress",
        "argparse",
        "array",
        "numbers",
        "abc",
        "contextlib",
        "fnmatch",
        "secrets",
        "zlib",
        "gzip",
        "bz2",
        "lzma",
        "codecs",
        "shutil",
        "__future__",
    ],
    dynamic: &[
        "eval",
        "exec",
        "compile",
        "getattr",
        "setattr",
        "__import__",
        "globals",
        "locals",
        "vars",
        "import_module",
        "run_path",
        "run_module",
        "execfile",
        "__getattribute__",
        "reload",
        "load_source",
        "exec_module",
    ],
};

static JAVASCRIPT: Known = Known {
    functions: &[
        "console.log",
        "console.error",
        "console.warn",
        "console.info",
        "console.table",
        "console.dir",
        "JSON.parse",
        "JSON.stringify",
        "parseInt",
        "parseFloat",
        "Number",
        "String",
        "Boolean",
        "Array",
        "Array.from",
        "Array.isArray",
        "Object.keys",
        "Object.values",
        "Object.entries",
        "Object.assign",
        "Object.fromEntries",
        "Object.freeze",
        "Math.max",
        "Math.min",
        "Math.floor",
        "Math.ceil",
        "Math.round",
        "Math.abs",
        "Math.random",
        "Math.sqrt",
        "Math.pow",
        "Date",
        "Date.now",
        "Date.parse",
        "Set",
        "Map",
        "Promise.all",
        "Promise.resolve",
        "encodeURIComponent",
        "decodeURIComponent",
        "encodeURI",
        "decodeURI",
        "isNaN",
        "isFinite",
        "Buffer.from",
        "RegExp",
        "Symbol",
        "structuredClone",
        "atob",
        "btoa",
        "process.cwd",
        "process.memoryUsage",
        "process.uptime",
        "process.exit",
        "process.stdout.write",
        "process.stderr.write",
        "process.stdin.on",
        "process.hrtime",
        "process.version",
        "require.resolve",
        "fs.readFileSync",
        "fs.existsSync",
        "fs.readdirSync",
        "fs.statSync",
        "fs.lstatSync",
        "fs.readFile",
        "fs.readdir",
        "fs.stat",
        "fs.promises.readFile",
        "fs.promises.readdir",
        "fs.promises.stat",
        "fs.realpathSync",
        "fs.accessSync",
        "path.join",
        "path.resolve",
        "path.basename",
        "path.dirname",
        "path.extname",
        "path.relative",
        "path.normalize",
        "path.parse",
        "os.cpus",
        "os.platform",
        "os.arch",
        "os.hostname",
        "os.homedir",
        "os.tmpdir",
        "os.totalmem",
        "os.freemem",
        "os.release",
        "os.type",
        "os.uptime",
        "os.userInfo",
        "util.format",
        "util.inspect",
        "util.promisify",
        "url.parse",
        "URL",
        "URLSearchParams",
        "crypto.createHash",
        "crypto.randomUUID",
        "crypto.randomBytes",
        "setTimeout",
        "setInterval",
        "clearTimeout",
        "clearInterval",
        "queueMicrotask",
        "Error",
        "TypeError",
        "Intl.NumberFormat",
        "Intl.DateTimeFormat",
    ],
    methods: &[
        "map",
        "filter",
        "reduce",
        "forEach",
        "find",
        "findIndex",
        "some",
        "every",
        "includes",
        "indexOf",
        "lastIndexOf",
        "join",
        "split",
        "slice",
        "concat",
        "push",
        "pop",
        "shift",
        "unshift",
        "sort",
        "reverse",
        "flat",
        "flatMap",
        "keys",
        "values",
        "entries",
        "get",
        "has",
        "set",
        "add",
        "toString",
        "toFixed",
        "toUpperCase",
        "toLowerCase",
        "trim",
        "trimStart",
        "trimEnd",
        "startsWith",
        "endsWith",
        "replace",
        "replaceAll",
        "match",
        "matchAll",
        "padStart",
        "padEnd",
        "repeat",
        "charAt",
        "charCodeAt",
        "codePointAt",
        "substring",
        "substr",
        "at",
        "then",
        "catch",
        "finally",
        "toISOString",
        "getTime",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDay",
        "getHours",
        "getMinutes",
        "valueOf",
        "localeCompare",
        "normalize",
        "test",
        "exec",
        "digest",
        "update",
        "isFile",
        "isDirectory",
        "size",
        "length",
        "toJSON",
        "toLocaleString",
        "format",
        "fill",
        "splice",
        "search",
        "on",
        "once",
        "setEncoding",
        "resume",
        "pipe",
        "readFileSync",
        "existsSync",
        "readdirSync",
        "statSync",
        "lstatSync",
        "realpathSync",
        "readFile",
        "readdir",
        "stat",
        "accessSync",
        "log",
    ],
    modules: &[
        "path",
        "util",
        "url",
        "os",
        "crypto",
        "events",
        "assert",
        "string_decoder",
        "querystring",
        "readline",
        "buffer",
        "timers",
        "fs",
        "stream",
    ],
    dynamic: &[
        "eval",
        "Function",
        "import",
        "runInNewContext",
        "runInThisContext",
        "runInContext",
        "compileFunction",
        "Reflect.apply",
        "Reflect.construct",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    /// What `calls` finds, as one line: `unknown: …; dynamic: …; unreadable: …`, each
    /// part only when it has something.
    fn summary(code: &str, language: Language) -> String {
        let calls = calls(code, language).unwrap();
        let mut parts = Vec::new();
        if !calls.unknown.is_empty() {
            parts.push(format!("unknown: {}", calls.unknown.join(", ")));
        }
        if !calls.dynamic.is_empty() {
            parts.push(format!("dynamic: {}", calls.dynamic.join(", ")));
        }
        if let Some(reason) = calls.unreadable {
            parts.push(format!("unreadable: {reason}"));
        }
        parts.join("; ")
    }

    fn check(language: Language, cases: &[(&str, &str)]) {
        for (code, expected) in cases {
            assert_eq!(summary(code, language), *expected, "{code}");
        }
    }

    #[test]
    fn python_calls_are_known_or_not() {
        check(
            Language::Python,
            &[
                ("import json,sys; print(json.load(sys.stdin)['x'])", ""),
                ("print(sum(int(l.split()[1]) for l in open('a.txt')))", ""),
                (
                    "import os; os.spawnlp(os.P_WAIT, 'rm', 'rm', '-rf', '/x')",
                    "unknown: os.spawnlp",
                ),
                // An alias is read as the module it stands for.
                (
                    "import shutil as s; s.rmtree('/x')",
                    "unknown: shutil.rmtree",
                ),
                ("import shutil; print(shutil.disk_usage('/'))", ""),
                ("import runpy", "unknown: import runpy"),
                (
                    "import os; getattr(os, 'sys' + 'tem')('id')",
                    "dynamic: a computed function, getattr",
                ),
                (
                    "__import__('os').system('id')",
                    "unknown: .system; dynamic: __import__",
                ),
                // Names inside strings and comments are not calls.
                ("print('os.remove(x)')  # shutil.rmtree(y)", ""),
                ("print(\"\"\"\nos.system('id')\n\"\"\")", ""),
                // A call split across lines and brackets is one call.
                ("import os\nos.remove(\n  '/x'\n)", "unknown: os.remove"),
                ("import os\n(os\n .remove)('/x')", "unknown: os.remove"),
                // `from m import f as g`: `g` is `m.f`.
                (
                    "from os import remove as r; r('/var/lib/app/x')",
                    "unknown: os.remove",
                ),
                ("from os.path import join; print(join('a', 'b'))", ""),
                ("import numpy as np; print(np.sum(np.array([1])))", ""),
                // A name rebound to another function stands for it.
                ("import os; p = os.system; p('id')", "unknown: os.system"),
                ("print = eval; print('1')", "dynamic: eval"),
                ("def print(x): pass\nprint(1)", "unknown: print"),
                // A decorator calls what it names.
                (
                    "import atexit\n@atexit.register\ndef f(): pass",
                    "unknown: import atexit, atexit.register",
                ),
                // Calls of what an expression gives call something unnamed.
                (
                    "import os; (lambda: os.system)()('id')",
                    "dynamic: a computed function",
                ),
                (
                    "import os; [os.remove][0]('/x')",
                    "dynamic: a computed function",
                ),
                (
                    "getattr(__builtins__, 'ev' + 'al')('1')",
                    "dynamic: a computed function, getattr, __builtins__",
                ),
                (
                    "globals()['os'].system('id')",
                    "unknown: .system; dynamic: globals",
                ),
                // Code in f-strings is code.
                (
                    "import os; print(f\"{os.getcwd()} {os.popen('id').read()}\")",
                    "unknown: os.popen",
                ),
                // Code that does not parse is not read.
                ("print('x'", "unreadable: does not parse as Python"),
                (
                    "import os; os.remove('/x') )",
                    "unreadable: does not parse as Python",
                ),
            ],
        );
        assert_eq!(
            calls("import json", Language::Python).unwrap().imports,
            ["json"]
        );
        assert_eq!(
            calls("from os import remove as r; r('/x')", Language::Python)
                .unwrap()
                .called,
            ["os.remove"]
        );
    }

    #[test]
    fn javascript_calls_are_known_or_not() {
        check(
            Language::JavaScript,
            &[
                // A tagged template calls its tag; a template after `return` is only text.
                ("await Bun.$`rm -rf /x`", "unknown: Bun.$"),
                ("console.log([1].map(x => { return `n${x}` }).join())", ""),
                (
                    "console.log(JSON.parse(require('fs').readFileSync('a.json','utf8')).x)",
                    "",
                ),
                (
                    "require('fs').truncateSync('/x')",
                    "unknown: fs.truncateSync",
                ),
                (
                    "const {rmSync: r} = require('fs'); r('/x', {recursive: true})",
                    "unknown: fs.rmSync",
                ),
                (
                    "const {unlinkSync} = require('node:fs'); unlinkSync('/x')",
                    "unknown: fs.unlinkSync",
                ),
                (
                    "import * as fs from 'node:fs'; fs.rmSync('/x')",
                    "unknown: fs.rmSync",
                ),
                (
                    "import {rmSync as r} from 'fs'; r('/x')",
                    "unknown: fs.rmSync",
                ),
                ("const fs = require('fs'); fs.readdirSync('.')", ""),
                ("console.log(require('./package.json').version)", ""),
                (
                    "new Function('return 1')()",
                    "dynamic: a computed function, Function",
                ),
                (
                    "console.log(`${require('child_process').execSync('id')}`)",
                    "unknown: child_process.execSync, require(\"child_process\")",
                ),
                (
                    "require('child_process')['ex' + 'ecSync']('id')",
                    "unknown: require(\"child_process\"); dynamic: a computed function",
                ),
                (
                    "require('child_process')['execSync']('id')",
                    "unknown: child_process.execSync, require(\"child_process\")",
                ),
                (
                    "const m = 'fs'; require(m).rmSync('/x')",
                    "unknown: .rmSync; dynamic: require",
                ),
                (
                    "import('fs').then(fs => fs.rmSync('/x'))",
                    "unknown: .rmSync; dynamic: import",
                ),
                ("setTimeout('process.exit(1)', 1)", "dynamic: setTimeout"),
                ("console.log = eval; console.log('1')", "dynamic: eval"),
                // Names in strings and comments are not calls.
                (
                    "console.log('fs.rmSync(x)') // require('child_process')",
                    "",
                ),
                ("console.log(1", "unreadable: does not parse as JavaScript"),
            ],
        );
    }

    #[test]
    fn parsing_stays_within_its_budgets() {
        let deep = format!("{}1{}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(summary(&deep, Language::Python).starts_with("unreadable"));
        assert!(summary(&deep, Language::JavaScript).starts_with("unreadable"));
        let long = "x = 1\n".repeat(200_000);
        assert!(summary(&long, Language::Python).starts_with("unreadable"));
        let garbage = "(([{<".repeat(50_000);
        assert!(summary(&garbage, Language::JavaScript).starts_with("unreadable"));
    }
}
