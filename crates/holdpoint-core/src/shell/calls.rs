//! Positive knowledge of inline code: the functions, methods and modules it calls, each
//! checked against what is known to be harmless for its language. Code whose every call
//! is known is `read` (as far as calls go); one unknown call makes it at least a change;
//! code that builds what it calls at run time (`getattr(os, "sys" + "tem")`, `eval`,
//! `__import__`, `new Function`) is unanalysable.

use super::code::Language;

/// What the calls in a piece of code are.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Calls {
    /// Calls, imports and requires not known to be harmless, as written.
    pub unknown: Vec<String>,
    /// Calls that decide at run time what they call or evaluate.
    pub dynamic: Vec<String>,
    /// Modules the code imports, for finding a local file that stands in for one.
    pub imports: Vec<String>,
}

/// The calls of `code` in `language`; `None` for a language holdpoint has no knowledge
/// of calls in.
pub(crate) fn calls(code: &str, language: Language) -> Option<Calls> {
    let known = Known::of(language)?;
    let tokens = tokens(code, language);
    let mut out = Calls::default();
    // `import pandas as pd`: `pd.x` is `pandas.x`.
    let mut aliases: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        i += 1;
        let Token::Name(name) = token else {
            continue;
        };
        let member = i >= 2 && matches!(tokens.get(i - 2), Some(Token::Dot));
        // `import a, b` / `import a as b` / `from a import b` / `require("a")`.
        if language == Language::Python && (name == "import" || name == "from") {
            while let Some(Token::Name(module)) = tokens.get(i) {
                let root = module.split('.').next().unwrap_or(module).to_owned();
                if !out.imports.contains(&root) {
                    out.imports.push(root.clone());
                }
                let pure = PURE_MODULES.contains(&root.as_str());
                if !known.modules.contains(&root.as_str()) && !pure {
                    out.unknown.push(format!("import {module}"));
                }
                i += 1;
                if let (Some(Token::Name(as_)), Some(Token::Name(alias))) =
                    (tokens.get(i), tokens.get(i + 1))
                    && as_ == "as"
                {
                    aliases.push((alias.clone(), module.clone()));
                    i += 2;
                }
                // `from a import b`: what follows `import` names members, not modules.
                if name == "from" {
                    break;
                }
                if !matches!(tokens.get(i), Some(Token::Comma)) {
                    break;
                }
                i += 1;
            }
            if name == "from" {
                // Skip `import x, y` after `from m`.
                while let Some(Token::Name(_) | Token::Comma) = tokens.get(i) {
                    i += 1;
                }
            }
            continue;
        }
        if !matches!(tokens.get(i), Some(Token::Open)) {
            continue;
        }
        if known.keywords.contains(&name.as_str()) {
            continue;
        }
        if known.dynamic.contains(&name.as_str())
            || known
                .dynamic
                .iter()
                .any(|d| name.ends_with(&format!(".{d}")))
        {
            out.dynamic.push(name.clone());
            continue;
        }
        if language == Language::JavaScript && name == "require" {
            match tokens.get(i + 1) {
                Some(Token::Text(module)) => {
                    let root = module.trim_start_matches("node:").to_owned();
                    if !known.modules.contains(&root.as_str()) {
                        out.unknown.push(format!("require(\"{module}\")"));
                    }
                }
                _ => out.dynamic.push("require".to_owned()),
            }
            continue;
        }
        // A method of a value an expression gives (`require('fs').readFileSync(…)`).
        if member {
            if !known.methods.contains(&name.as_str()) && !out.unknown.contains(name) {
                out.unknown.push(format!(".{name}"));
            }
            continue;
        }
        let name = &match name.split_once('.') {
            Some((root, rest)) => match aliases.iter().find(|(alias, _)| alias == root) {
                Some((_, module)) => format!("{module}.{rest}"),
                None => name.clone(),
            },
            None => name.clone(),
        };
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
                continue;
            }
        }
        if !known.harmless(name) && !out.unknown.contains(name) {
            out.unknown.push(name.clone());
        }
    }
    // Calls of what an expression gives (`f()()`, `a[k](x)`) call something unnamed.
    for pair in tokens.windows(2) {
        if let [Token::Close | Token::Index, Token::Open] = pair {
            out.dynamic.push("a computed function".to_owned());
            break;
        }
    }
    Some(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An identifier, with its dotted path (`os.path.join`).
    Name(String),
    /// A string literal's text.
    Text(String),
    Open,
    Close,
    /// `]`: the end of an index, after which a call calls what was indexed.
    Index,
    Comma,
    /// A `.` not inside a name: a member of what comes before (`f().x`).
    Dot,
    Other,
}

/// The tokens of `code` that matter for calls: dotted names, strings, brackets. Comments
/// and string contents are not names.
fn tokens(code: &str, language: Language) -> Vec<Token> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '#' if matches!(language, Language::Python | Language::Ruby | Language::Perl) => {
                while chars.get(i).is_some_and(|c| *c != '\n') {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'/') && language != Language::Python => {
                while chars.get(i).is_some_and(|c| *c != '\n') {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') && language != Language::Python => {
                i += 2;
                while i < chars.len()
                    && !(chars.get(i) == Some(&'*') && chars.get(i + 1) == Some(&'/'))
                {
                    i += 1;
                }
                i += 2;
            }
            '"' | '\'' | '`' => {
                let quote = c;
                let start_token = out.len();
                // Python's triple quotes.
                let triple = chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote);
                i += if triple { 3 } else { 1 };
                let mut text = String::new();
                while let Some(&d) = chars.get(i) {
                    if d == '\\' {
                        text.extend(chars.get(i + 1));
                        i += 2;
                        continue;
                    }
                    let closes = d == quote
                        && (!triple
                            || (chars.get(i + 1) == Some(&quote)
                                && chars.get(i + 2) == Some(&quote)));
                    if closes {
                        i += if triple { 3 } else { 1 };
                        break;
                    }
                    // Template literals run code in `${…}`: its names count.
                    if quote == '`' && d == '$' && chars.get(i + 1) == Some(&'{') {
                        let start = i + 2;
                        let mut depth = 1;
                        i += 2;
                        while let Some(&e) = chars.get(i) {
                            match e {
                                '{' => depth += 1,
                                '}' => {
                                    depth -= 1;
                                    if depth == 0 {
                                        break;
                                    }
                                }
                                _ => {}
                            }
                            i += 1;
                        }
                        let inner: String = chars.get(start..i).unwrap_or(&[]).iter().collect();
                        out.extend(tokens(&inner, language));
                        i += 1;
                        continue;
                    }
                    text.push(d);
                    i += 1;
                }
                // A tagged template (`` Bun.$`rm -rf x` ``, `` sql`…` ``) calls its tag.
                let tagged = quote == '`'
                    && matches!(
                        start_token.checked_sub(1).and_then(|t| out.get(t)),
                        Some(Token::Name(n)) if !matches!(
                            n.as_str(),
                            "return" | "await" | "yield" | "typeof" | "void" | "delete"
                                | "in" | "of" | "case" | "throw" | "new" | "else" | "do"
                        )
                    );
                if tagged {
                    out.insert(start_token, Token::Open);
                    out.push(Token::Text(text));
                    out.push(Token::Close);
                    continue;
                }
                // An f-string's braces hold code.
                let prefixed = i > 0
                    && matches!(out.last(), Some(Token::Name(n)) if n == "f" || n == "rf" || n == "fr");
                if prefixed {
                    out.pop();
                    out.extend(tokens(&text.replace(['{', '}'], " "), language));
                }
                out.push(Token::Text(text));
            }
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            ']' => {
                out.push(Token::Index);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '.' => {
                out.push(Token::Dot);
                i += 1;
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let mut name = String::new();
                while let Some(&d) = chars.get(i) {
                    // A dot joins a name only when a name goes on after it.
                    let part = d.is_alphanumeric()
                        || d == '_'
                        || d == '$'
                        || (d == '.'
                            && chars
                                .get(i + 1)
                                .is_some_and(|e| e.is_alphabetic() || *e == '_'));
                    if !part {
                        break;
                    }
                    name.push(d);
                    i += 1;
                }
                out.push(Token::Name(name));
            }
            c if c.is_whitespace() => i += 1,
            _ => {
                out.push(Token::Other);
                i += 1;
            }
        }
    }
    out
}

/// What is known to be harmless in one language.
struct Known {
    /// Words that take parentheses but are not calls (`if (`, `while (`).
    keywords: &'static [&'static str],
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
    keywords: &[
        "if", "elif", "while", "for", "in", "not", "and", "or", "return", "yield", "lambda",
        "with", "assert", "del", "print", "is", "else", "except", "raise", "await", "async",
    ],
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
    keywords: &[
        "if",
        "while",
        "for",
        "switch",
        "catch",
        "return",
        "typeof",
        "function",
        "await",
        "async",
        "new",
        "in",
        "of",
        "delete",
        "void",
        "instanceof",
        "with",
        "yield",
    ],
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
        "setTimeout\"",
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

    fn unknown(code: &str, language: Language) -> Vec<String> {
        calls(code, language).unwrap().unknown
    }

    fn dynamic(code: &str, language: Language) -> Vec<String> {
        calls(code, language).unwrap().dynamic
    }

    #[test]
    fn python_calls_are_known_or_not() {
        let py = Language::Python;
        assert!(unknown("import json,sys; print(json.load(sys.stdin)['x'])", py).is_empty());
        assert!(unknown("print(sum(int(l.split()[1]) for l in open('a.txt')))", py).is_empty());
        assert_eq!(
            unknown(
                "import os; os.spawnlp(os.P_WAIT, 'rm', 'rm', '-rf', '/x')",
                py
            ),
            ["os.spawnlp"]
        );
        // An alias is read as the module it stands for.
        assert_eq!(
            unknown("import shutil as s; s.rmtree('/x')", py),
            ["import shutil", "shutil.rmtree"]
        );
        assert_eq!(unknown("import runpy", py), ["import runpy"]);
        assert_eq!(
            dynamic("import os; getattr(os, 'sys' + 'tem')('id')", py),
            ["getattr", "a computed function"]
        );
        assert_eq!(dynamic("__import__('os').system('id')", py), ["__import__"]);
        // Names inside strings and comments are not calls.
        assert!(unknown("print('os.remove(x)')  # shutil.rmtree(y)", py).is_empty());
        assert_eq!(calls("import json", py).unwrap().imports, ["json"]);
    }

    #[test]
    fn javascript_calls_are_known_or_not() {
        let js = Language::JavaScript;
        // A tagged template calls its tag; a template after `return` is only text.
        assert_eq!(unknown("await Bun.$`rm -rf /x`", js), [".$"]);
        assert!(unknown("console.log([1].map(x => { return `n${x}` }).join())", js).is_empty());
        assert!(
            unknown(
                "console.log(JSON.parse(require('fs').readFileSync('a.json','utf8')).x)",
                js
            )
            .is_empty()
        );
        assert_eq!(
            unknown("require('fs').truncateSync('/x')", js),
            [".truncateSync"]
        );
        assert_eq!(
            unknown(
                "const {rmSync: r} = require('fs'); r('/x', {recursive: true})",
                js
            ),
            ["r"]
        );
        assert_eq!(
            dynamic("new Function('return 1')()", js)
                .first()
                .map(String::as_str),
            Some("Function")
        );
        assert!(
            !unknown(
                "console.log(`${require('child_process').execSync('id')}`)",
                js
            )
            .is_empty()
        );
    }
}
