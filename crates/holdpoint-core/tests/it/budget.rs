//! The nesting budget against inputs built to exhaust the stack: at the budget every
//! construct is analysed in half of `ANALYSIS_STACK`, and past it the input is opaque,
//! never a crash.

use holdpoint_core::{ANALYSIS_STACK, AnalysisContext, MAX_OPENERS, NoFiles, Risk, openers, shell};

/// Runs `work` on a thread with `stack` bytes of stack, as the `holdpoint` command runs
/// analysis. A stack overflow aborts the whole test binary, which fails the run.
pub fn on_stack<T: Send>(stack: usize, work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn_scoped(scope, work)
            .unwrap()
            .join()
            .unwrap()
    })
}

/// Every way the shell parser or the walker can recurse, as opening and closing text
/// around `rm -rf /x`, with what a shallow nest of it is judged.
const CONSTRUCTS: &[(&str, &str, Risk)] = &[
    ("if true; then ", "; fi", Risk::Destroy),
    ("while true; do ", "; done", Risk::Destroy),
    ("until false; do ", "; done", Risk::Destroy),
    ("for a in b; do ", "; done", Risk::Destroy),
    // A menu whose body runs only when someone picks an entry: not followed.
    ("select a in b; do ", "; done", Risk::Change),
    ("case x in x) ", ";; esac", Risk::Destroy),
    ("{ ", "; }", Risk::Destroy),
    ("( ", " )", Risk::Destroy),
    // `((…))` without spaces is arithmetic, which bash evaluates and never runs.
    ("(", ")", Risk::Read),
    ("$(", ")", Risk::Destroy),
    ("\"$(", ")\"", Risk::Destroy),
    ("cat <(", ")", Risk::Destroy),
    ("echo ${a:-", "}", Risk::Read),
    ("f() { ", "; }; f", Risk::Destroy),
    ("function g { ", "; }; g", Risk::Destroy),
    ("true && { ", "; }", Risk::Destroy),
    ("! { ", "; }", Risk::Destroy),
];

/// `rm -rf /x` inside `levels` texts that each run the next: shell giving SQL to `psql`,
/// whose `COPY … FROM PROGRAM` runs shell, and so on, every level quoted with its own
/// delimiters so that nothing needs escaping.
fn chain(levels: usize) -> String {
    let mut text = "rm -rf /x".to_owned();
    for level in 0..levels {
        text = if level % 2 == 0 {
            format!("COPY t FROM PROGRAM $p{level}${text}$p{level}$;")
        } else {
            format!("psql <<'S{level}'\n{text}\nS{level}\n")
        };
    }
    if levels % 2 == 1 {
        text = format!("psql <<'S{levels}'\n{text}\nS{levels}\n");
    }
    text
}

#[test]
fn chains_of_shell_and_sql_share_one_budget() {
    let ctx = AnalysisContext::new("/home/dev/project");
    let shallow = on_stack(ANALYSIS_STACK, || shell::analyse(&chain(3), &ctx, &NoFiles));
    assert_eq!(shallow.risk(), Risk::Destroy);
    for levels in [40, 400] {
        let deep = chain(levels);
        let analysis = on_stack(ANALYSIS_STACK / 2, || shell::analyse(&deep, &ctx, &NoFiles));
        assert!(analysis.risk() >= Risk::Change, "{levels} levels");
        assert!(analysis.opaque(), "{levels} levels");
    }
}

/// `construct` nested as often as the budget allows, around `rm -rf /x`.
fn nested(open: &str, close: &str, budget: usize) -> String {
    let per_level = openers(open) + openers(close);
    let levels = budget / per_level.max(1);
    format!("{}rm -rf /x{}", open.repeat(levels), close.repeat(levels))
}

#[test]
fn every_construct_at_the_budget_fits_in_half_the_analysis_stack() {
    let ctx = AnalysisContext::new("/home/dev/project");
    for (open, close, _) in CONSTRUCTS {
        let input = nested(open, close, MAX_OPENERS);
        assert!(openers(&input) <= MAX_OPENERS, "{open:?}");
        let analysis = on_stack(ANALYSIS_STACK / 2, || {
            shell::analyse(&input, &ctx, &NoFiles)
        });
        // Deep nests of some constructs stop being followed (functions, nested command
        // lines) and are opaque, never less than a shallow nest.
        let shallow = nested(open, close, 8);
        let shallow = on_stack(ANALYSIS_STACK, || shell::analyse(&shallow, &ctx, &NoFiles));
        assert!(
            analysis.risk() >= shallow.risk().min(Risk::Change),
            "{open:?} at the budget judged {}",
            analysis.risk()
        );
    }
    // The `[[` test expression recurses once per `!`.
    let bangs = format!("[[ {}-f x ]] && rm -rf /x", "! ".repeat(MAX_OPENERS));
    let analysis = on_stack(ANALYSIS_STACK / 2, || {
        shell::analyse(&bangs, &ctx, &NoFiles)
    });
    assert!(analysis.risk() >= Risk::Change);
}

#[test]
fn past_the_budget_every_construct_is_opaque() {
    let ctx = AnalysisContext::new("/home/dev/project");
    for (open, close, _) in CONSTRUCTS {
        let input = nested(open, close, MAX_OPENERS * 10);
        let analysis = on_stack(ANALYSIS_STACK, || shell::analyse(&input, &ctx, &NoFiles));
        assert!(analysis.unanalysable.is_some(), "{open:?}");
        assert!(analysis.risk() >= Risk::Change, "{open:?}");
    }
}

#[test]
fn a_shallow_nest_is_still_followed_to_what_it_runs() {
    let ctx = AnalysisContext::new("/home/dev/project");
    for (open, close, risk) in CONSTRUCTS {
        let input = nested(open, close, 8);
        let analysis = on_stack(ANALYSIS_STACK, || shell::analyse(&input, &ctx, &NoFiles));
        assert_eq!(analysis.risk(), *risk, "{input}");
    }
}

#[test]
fn a_budget_that_runs_out_anywhere_leaves_the_whole_action_unanalysable() {
    // Regression: a budget spent inside `bash -c`, inside SQL or by a long walk was an
    // opaque `change`, which development allows; the rest could be a destroy.
    let ctx = AnalysisContext::new("/home/dev/project");
    let deep = nested("if true; then ", "; fi", MAX_OPENERS * 2);
    let cases = [
        format!("ls; bash -c '{deep}'"),
        format!("psql <<'S'\nCOPY t FROM PROGRAM $p${deep}$p$;\nS\n"),
        format!("python3 -c 'import os; os.system(\"\"\"{deep}\"\"\")'"),
        format!("{}rm -rf /x", ":; ".repeat(20_001)),
    ];
    for input in cases {
        let analysis = on_stack(ANALYSIS_STACK, || shell::analyse(&input, &ctx, &NoFiles));
        assert!(
            analysis.unanalysable.is_some(),
            "{}: {:?}",
            &input[..60],
            analysis.effects
        );
    }
    let sql = format!("COPY t FROM PROGRAM $p${deep}$p$");
    let analysis = on_stack(ANALYSIS_STACK, || {
        holdpoint_core::sql::analyse(&sql, holdpoint_core::sql::Dialect::Postgres)
    });
    assert!(analysis.unanalysable.is_some());
}

#[test]
fn parentheses_left_open_are_refused_before_the_parser_tries_every_way_to_close_them() {
    // The parser's time doubles with each `(` never closed: forty would take longer
    // than any deadline. `)` in quotes, after a backslash or ending a case pattern
    // opened after them closes none of them.
    let ctx = AnalysisContext::new("/home/dev/project");
    let open = "(".repeat(40);
    let patterns: String = (0..50).map(|i| format!("p{i}) ;; ")).collect();
    for input in [
        format!("{open} rm -rf /srv/data"),
        format!("{open} rm -rf /srv/data; case x in {patterns} esac"),
        format!("{open} rm -rf /srv/data; echo '{}' \\) \\)", ")".repeat(50)),
        format!("BEGIN;{open}\nINSERT INTO t VAL((((UES (1);"),
    ] {
        let analysis = on_stack(ANALYSIS_STACK, || shell::analyse(&input, &ctx, &NoFiles));
        let reason = analysis.unanalysable.clone().unwrap_or_default();
        assert!(reason.contains("never closed"), "{input}: {analysis:?}");
        assert!(analysis.risk() >= Risk::Change);
    }
    // A few left open (a count a here-document's text can throw off) are given to the
    // parser; closed ones are analysed as usual.
    let few = shell::analyse("cat <<EOF\n:( :( :(\nEOF\nrm -rf /srv/data", &ctx, &NoFiles);
    assert_eq!(few.risk(), Risk::Destroy, "{few:?}");
    assert_eq!(few.unanalysable, None);
    let deep = format!("{} rm -rf /srv/data {}", "( ".repeat(10), " )".repeat(10));
    let deep = on_stack(ANALYSIS_STACK, || shell::analyse(&deep, &ctx, &NoFiles));
    assert_eq!(deep.risk(), Risk::Destroy, "{deep:?}");
}
