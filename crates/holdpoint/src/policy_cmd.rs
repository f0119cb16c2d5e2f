//! `holdpoint policy validate` and `holdpoint policy test`.

use std::path::PathBuf;

use clap::Subcommand;
use holdpoint_core::{Environment, Risk};
use holdpoint_policy::{Freeze, Grant, Outcome};
use serde::Deserialize;

use crate::check::{Checker, surface};
use crate::local;
use crate::{Failure, exit};

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Check policies against holdpoint's schema.
    ///
    /// Without DIR, checks the policies in force: $HOLDPOINT_POLICIES, else
    /// $HOLDPOINT_HOME/policies when it exists, else the built-in pack. A directory's
    /// `.cedar` files extend the built-in pack; a file named `default.cedar` replaces it.
    Validate {
        /// A directory of `.cedar` files.
        dir: Option<PathBuf>,
    },
    /// Run a policy test file: JSON lines, each an action and the decision expected.
    ///
    /// Each line: {"name":"…","surface":"shell"|"sql","input":"…","expect":"allow"|"ask"|"deny"}
    /// with optional "env", "agent", "target", "cwd", "frozen" (true: the environment is
    /// under a freeze) and "grant" (the highest risk an active grant allows the agent on
    /// the target: "read", "workspace", "change" or "destroy").
    ///
    /// Exit status: 0 when every case passes, 1 when any fails, 2 for a bad file.
    #[command(verbatim_doc_comment)]
    Test {
        /// The test file.
        file: PathBuf,
        /// A directory of `.cedar` policies to test [default: the policies in force].
        #[arg(long, value_name = "DIR")]
        policies: Option<PathBuf>,
    },
}

pub(crate) fn run(command: &PolicyCommand) -> Result<u8, Failure> {
    match command {
        PolicyCommand::Validate { dir } => validate(dir.as_deref()),
        PolicyCommand::Test { file, policies } => test(file, policies.as_deref()),
    }
}

fn validate(dir: Option<&std::path::Path>) -> Result<u8, Failure> {
    let source = local::policy_dir(dir);
    let engine = local::policy_engine(dir)?;
    match source {
        Some(dir) => println!("{} policies valid ({})", engine.len(), dir.display()),
        None => println!("{} policies valid (the built-in pack)", engine.len()),
    }
    Ok(exit::ALLOW)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestCase {
    name: Option<String>,
    surface: String,
    input: String,
    expect: String,
    env: Option<String>,
    agent: Option<String>,
    target: Option<String>,
    cwd: Option<String>,
    #[serde(default)]
    frozen: bool,
    grant: Option<String>,
}

fn test(file: &std::path::Path, policies: Option<&std::path::Path>) -> Result<u8, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", file.display())))?;
    let mut cases = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with("//") {
            continue;
        }
        let case: TestCase = serde_json::from_str(line).map_err(|e| {
            Failure::usage(format!(
                "{}:{}: not a valid test case: {e}",
                file.display(),
                index + 1
            ))
        })?;
        let expect: Outcome = match case.expect.as_str() {
            "allow" => Outcome::Allow,
            "ask" => Outcome::Ask,
            "deny" => Outcome::Deny,
            other => {
                return Err(Failure::usage(format!(
                    "{}:{}: `expect` is `{other}`; use `allow`, `ask` or `deny`",
                    file.display(),
                    index + 1
                )));
            }
        };
        cases.push((index + 1, case, expect));
    }
    if cases.is_empty() {
        return Err(Failure::usage(format!(
            "`{}` has no test cases",
            file.display()
        )));
    }

    let engine = local::policy_engine(policies)?;
    let cwd = local::current_dir()?;
    let now = local::now();
    let (mut passed, mut failed) = (0, 0);
    for (line, case, expect) in cases {
        let at = format!("{}:{line}", file.display());
        let name = case.name.clone().unwrap_or_else(|| case.input.clone());
        let surface = surface(&case.surface).map_err(|e| Failure::usage(format!("{at}: {e}")))?;
        let env: Environment = match &case.env {
            Some(env) => env
                .parse()
                .map_err(|e| Failure::usage(format!("{at}: {e}")))?,
            None => Environment::Production,
        };
        let agent = case.agent.clone().unwrap_or_else(|| "agent".to_owned());
        let target = case
            .target
            .clone()
            .unwrap_or_else(|| format!("{surface}:local@{env}"));
        let grants = match &case.grant {
            Some(risk) => {
                let max_risk: Risk = risk
                    .parse()
                    .map_err(|e| Failure::usage(format!("{at}: {e}")))?;
                vec![Grant {
                    id: "test-grant".to_owned(),
                    agent: agent.clone(),
                    task: "policy test".to_owned(),
                    targets: vec![target.clone()],
                    max_risk,
                    expires_at: now + 3_600,
                    revoked: false,
                }]
            }
            None => Vec::new(),
        };
        let freezes = if case.frozen {
            vec![Freeze {
                environment: env,
                reason: "policy test freeze".to_owned(),
                starts_at: now - 1,
                until: None,
                ended: false,
            }]
        } else {
            Vec::new()
        };
        let case_cwd = case.cwd.clone().unwrap_or_else(|| cwd.clone());
        let checker = Checker {
            engine: &engine,
            ctx: local::analysis_context(&case_cwd),
            cwd: case_cwd,
            env,
            agent: agent.clone(),
            target: Some(target),
            now,
            grants,
            freezes,
        };
        let evaluation = checker.evaluate(surface, case.input.clone(), None, None, None, None);
        let got = evaluation.decision.outcome;
        if got == expect {
            passed += 1;
        } else {
            failed += 1;
            println!(
                "FAIL {at} {name}: expected {expect}, got {got} ({})",
                evaluation.decision.reasons.join("; ")
            );
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        exit::ALLOW
    } else {
        exit::INTERNAL
    })
}
