//! Mutation fuzzing of both analysers, run briefly on every test run: inputs derived from
//! the corpus by random edits must never panic, and whatever cannot be analysed must
//! never come out as `read`.

use holdpoint_core::{ANALYSIS_STACK, AnalysisContext, NoFiles, Risk, mcp, shell, sql, sql_shape};

use crate::budget::on_stack;

/// A small deterministic generator, so that a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "'",
    "\"",
    "`",
    "$(",
    ")",
    "(",
    "{",
    "}",
    ";",
    "&&",
    "||",
    "|",
    ">",
    ">>",
    "<<EOF\n",
    "\nEOF\n",
    "\\",
    "$",
    "${",
    "*",
    " -rf ",
    " / ",
    "--",
    "=",
    "\n",
    "#",
    "~",
    "..",
    "/*",
    "*/",
    "--",
    "$$",
    "DROP ",
    "DELETE FROM ",
    " WHERE ",
    "1=1",
    "bash -c ",
    "eval ",
    "sudo ",
    "xargs ",
    "rm ",
    "psql -c ",
    "\u{0}",
    "é",
    "\t",
    "[[",
    "]]",
    "((",
    "))",
];

/// Every case of the labelled corpora and of the hostile probes, as seeds.
fn corpus_inputs() -> Vec<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus");
    let mut out = Vec::new();
    let files = [root.to_owned(), format!("{root}/hostile")]
        .into_iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|x| x == "jsonl"));
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            out.push((
                value["surface"].as_str().unwrap().to_owned(),
                value["input"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out.sort();
    out
}

fn mutate(rng: &mut Rng, input: &str, other: &str) -> String {
    let mut chars: Vec<char> = input.chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 => {
                let piece = PIECES[rng.below(PIECES.len())];
                chars.splice(at..at, piece.chars());
            }
            1 if !chars.is_empty() => {
                let end = (at + rng.below(8)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            2 => {
                let other: Vec<char> = other.chars().collect();
                let from = rng.below(other.len());
                let to = (from + rng.below(40)).min(other.len());
                chars.splice(at..at, other[from..to].iter().copied());
            }
            _ => {
                let from = rng.below(chars.len());
                let to = (from + rng.below(20)).min(chars.len());
                let copy: Vec<char> = chars[from..to].to_vec();
                chars.splice(at..at, copy);
            }
        }
    }
    chars.into_iter().collect()
}

fn check_invariants(surface: &str, input: &str) {
    let analysis = analysed(surface, input);
    if analysis.unanalysable.is_some() || analysis.opaque() {
        assert!(
            analysis.risk() >= Risk::Change,
            "opaque input judged {}: {input:?}",
            analysis.risk()
        );
    }
}

/// `input` analysed on the stack holdpoint gives analysis.
fn analysed(surface: &str, input: &str) -> holdpoint_core::Analysis {
    let ctx = AnalysisContext::new("/home/dev/project");
    on_stack(ANALYSIS_STACK, || match surface {
        "shell" => shell::analyse(input, &ctx, &NoFiles),
        "mcp" => mcp::analyse(input, &ctx, &NoFiles),
        _ => sql::analyse(input, sql::Dialect::Postgres),
    })
}

#[test]
fn mutated_corpus_inputs_never_panic_and_never_read_when_opaque() {
    let inputs = corpus_inputs();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..4_000 {
        let (surface, input) = &inputs[rng.below(inputs.len())];
        let (_, other) = &inputs[rng.below(inputs.len())];
        let mutated = mutate(&mut rng, input, other);
        check_invariants(surface, &mutated);
        check_invariants(if surface == "shell" { "sql" } else { "shell" }, &mutated);
    }
}

/// What a proxy may learn from a statement's shape: when a statement and its shape
/// (numbers made parameters) are both reads, every statement of that shape, whatever
/// numbers it holds, is a read too. Returns how many variants were checked: most inputs
/// have no shape or are not reads, and a run that checked none has proved nothing.
fn check_shape(input: &str) -> usize {
    let Some(shape) = sql_shape::shape(input) else {
        return 0;
    };
    let reads = |sql: &str| {
        let analysis = sql::analyse(sql, sql::Dialect::Postgres);
        analysis.risk() == Risk::Read && !analysis.opaque()
    };
    if input.contains('$') || !reads(input) || !reads(&shape) {
        return 0;
    }
    let mut checked = 0;
    for number in ["0", "42", "-1", "1.5", "2e10", "99999999999999999999"] {
        let variant = shape.replace("$1", number);
        if sql_shape::shape(&variant).as_deref() == Some(shape.as_str()) {
            assert!(
                reads(&variant),
                "{input:?} and its shape {shape:?} read, but {variant:?} does not"
            );
            checked += 1;
        }
    }
    checked
}

/// The corpus's statements whose shape reads, when this was written.
const MIN_CORPUS: usize = 154;
/// At least one mutated statement in this many keeps a shape that reads (about one in
/// fifty does).
const MUTATED_ONE_IN: usize = 100;

#[test]
fn statements_whose_shape_reads_read() {
    let inputs = corpus_inputs();
    let sql: Vec<&String> = inputs
        .iter()
        .filter(|(surface, _)| surface == "sql")
        .map(|(_, input)| input)
        .collect();
    let corpus_checked = sql.iter().filter(|input| check_shape(input) > 0).count();
    let mut rng = Rng(std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x2545_f491_4f6c_dd1d));
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4_000);
    let numbers = [
        "0",
        "1",
        "-1",
        "1=1",
        " OR 1=1",
        "0x10",
        "1e9",
        "2.5",
        "$1",
        "99999999999999999999",
    ];
    let mut mutated_checked = 0;
    for _ in 0..rounds {
        let input = sql[rng.below(sql.len())];
        let other = sql[rng.below(sql.len())];
        let mut mutated = mutate(&mut rng, input, other);
        let at = rng.below(mutated.len() + 1);
        if mutated.is_char_boundary(at) {
            mutated.insert_str(at, numbers[rng.below(numbers.len())]);
        }
        if check_shape(&mutated) > 0 {
            mutated_checked += 1;
        }
    }
    // The property holds only where it was tested: at least the corpus's reads with a
    // number in them when this was written (the corpus only grows), and a share of the
    // mutations, must have reached the assertion.
    assert!(
        corpus_checked >= MIN_CORPUS,
        "only {corpus_checked} corpus statements have a shape that reads; there were {MIN_CORPUS}"
    );
    let min_mutated = rounds / MUTATED_ONE_IN;
    assert!(
        mutated_checked >= min_mutated,
        "only {mutated_checked} of {rounds} mutated statements had a shape that reads, fewer than {min_mutated}"
    );
}

#[test]
fn deep_nesting_and_huge_inputs_are_refused_not_crashed() {
    for depth in [100, 1_000, 20_000] {
        for (open, close) in [
            ("( ", " )"),
            ("$(", ")"),
            ("{ ", "; }"),
            ("bash -c '", "'"),
            ("\"$(", ")\""),
        ] {
            // However deep, the deletion inside is never let through as less.
            let input = format!("{}rm -rf /x{}", open.repeat(depth), close.repeat(depth));
            let analysis = analysed("shell", &input);
            assert!(
                analysis.risk() >= Risk::Change,
                "{open}…{close} × {depth} judged {}",
                analysis.risk()
            );
        }
        // A read, however deep, is either seen to be one or unanalysable.
        let sql = format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth));
        let analysis = analysed("sql", &sql);
        assert!(
            analysis.unanalysable.is_some() || analysis.risk() == Risk::Read,
            "SELECT (…1…) × {depth} judged {}",
            analysis.risk()
        );
        if analysis.unanalysable.is_some() {
            assert!(analysis.risk() >= Risk::Change);
        }
    }
    for long in [
        "a | ".repeat(20_000) + "a",
        "a && ".repeat(20_000) + "a",
        "echo $(ls) ".repeat(10_000),
        "x=1; ".repeat(20_000),
    ] {
        check_invariants("shell", &long);
    }
    // Nested subshells are followed; past the nesting bounds the rest is opaque, so the
    // answer is never below `change`.
    let shallow = format!("{}rm -rf /x{}", "( ".repeat(8), " )".repeat(8));
    assert_eq!(
        shell::analyse(&shallow, &AnalysisContext::new("/w"), &NoFiles).risk(),
        Risk::Destroy
    );
    let at_the_limit = format!("{}rm -rf /x{}", "( ".repeat(64), " )".repeat(64));
    assert!(
        shell::analyse(&at_the_limit, &AnalysisContext::new("/w"), &NoFiles).risk() >= Risk::Change
    );
    // Regression: functions that each call the next ten times multiply the walk; a
    // budget stops it.
    let explosion: Vec<String> = (0..30)
        .map(|i| format!("f{i}() {{ {} }}", format!("f{}; ", i + 1).repeat(10)))
        .collect();
    let explosion = explosion.join("\n") + "\nf0";
    assert!(
        shell::analyse(&explosion, &AnalysisContext::new("/w"), &NoFiles).risk() >= Risk::Change
    );
    let huge = "echo a; ".repeat(100_000);
    let analysis = shell::analyse(&huge, &AnalysisContext::new("/w"), &NoFiles);
    assert!(analysis.unanalysable.is_some());
}
