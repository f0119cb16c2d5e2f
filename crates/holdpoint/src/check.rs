//! `holdpoint check`: one decision for a person or a script, or a batch of them as JSON
//! lines.

use std::io::{BufRead, BufWriter, Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use holdpoint_core::{Action, Analysis, AnalysisContext, Environment, Surface};
use holdpoint_policy::{Decision, DecisionRequest, Freeze, Grant, Outcome, PolicyEngine};
use serde::{Deserialize, Serialize};

use crate::local;
use crate::{Failure, exit};

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The environment the action targets: production, staging or development
    /// [default: $HOLDPOINT_ENV, else production].
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// How to print the decision.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The working directory the action would run in [default: the current directory].
    #[arg(long, value_name = "DIR")]
    cwd: Option<String>,
    /// The agent proposing the action.
    #[arg(long, default_value = "agent")]
    agent: String,
    /// The target system (default: `<surface>:local@<env>`).
    #[arg(long)]
    target: Option<String>,
    /// A directory of `.cedar` policies [default: $HOLDPOINT_POLICIES, else
    /// $HOLDPOINT_HOME/policies when it exists, else the built-in pack].
    #[arg(long, value_name = "DIR")]
    policies: Option<PathBuf>,
    /// Decide every JSON line of FILE (`-` for standard input); print one JSON line per
    /// input line, in order. Each line: {"surface":"shell"|"sql"|"mcp","input":"…","env":"…"}
    /// with `env`, `cwd`, `agent` and `target` optional.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["surface", "input"])]
    batch: Option<String>,
    /// What the input is: `shell`, `sql` or `mcp` (an MCP call as JSON: `server`,
    /// `method`, `name`, `arguments`).
    #[arg(value_name = "SURFACE", required_unless_present = "batch")]
    surface: Option<String>,
    /// The command or SQL, after `--`; `-` reads it from standard input.
    #[arg(
        value_name = "INPUT",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    input: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// One action to decide, as a batch line gives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    surface: String,
    input: String,
    /// `env` is read too, as earlier versions named it.
    #[serde(alias = "env")]
    environment: Option<String>,
    cwd: Option<String>,
    agent: Option<String>,
    target: Option<String>,
}

/// A decision as printed in JSON.
#[derive(Debug, Serialize)]
struct Answer<'a> {
    /// The API's names: `outcome` as `/decide` answers it, `environment` as its requests
    /// name it.
    outcome: Outcome,
    risk: holdpoint_core::Risk,
    reasons: &'a [String],
    policies: &'a [String],
    digest: String,
    surface: Surface,
    environment: Environment,
    target: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    quorum: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    confirm_target: bool,
    opaque: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    unanalysable: Option<&'a str>,
    effects: &'a [holdpoint_core::Effect],
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Everything needed to decide actions the same way.
pub(crate) struct Checker<'a> {
    pub engine: &'a PolicyEngine,
    pub cwd: String,
    /// The analysis context for `cwd`, worked out once.
    pub ctx: AnalysisContext,
    pub env: Environment,
    pub agent: String,
    pub target: Option<String>,
    pub now: i64,
    pub grants: Vec<Grant>,
    pub freezes: Vec<Freeze>,
}

pub(crate) struct Evaluation {
    pub action: Action,
    pub analysis: Analysis,
    pub decision: Decision,
}

impl Checker<'_> {
    pub fn evaluate(
        &self,
        surface: Surface,
        input: String,
        env: Option<Environment>,
        cwd: Option<String>,
        agent: Option<String>,
        target: Option<String>,
    ) -> Evaluation {
        let env = env.unwrap_or(self.env);
        let cwd = cwd.unwrap_or_else(|| self.cwd.clone());
        let own_ctx;
        let ctx = if cwd == self.ctx.cwd {
            &self.ctx
        } else {
            own_ctx = local::analysis_context(&cwd);
            &own_ctx
        };
        let target = target
            .or_else(|| self.target.clone())
            .unwrap_or_else(|| local::default_target(surface, env));
        let mut action = Action {
            surface,
            input,
            cwd,
            target,
            environment: env,
            agent: agent.unwrap_or_else(|| self.agent.clone()),
            session: None,
            executed_content: Vec::new(),
        };
        let analysis = local::analyse_here(&mut action, ctx);
        let decision = self.engine.decide(&DecisionRequest {
            action: &action,
            analysis: &analysis,
            now: self.now,
            grants: &self.grants,
            freezes: &self.freezes,
            destroy_quorum: 1,
            instructed: false,
        });
        Evaluation {
            action,
            analysis,
            decision,
        }
    }
}

fn answer(evaluation: &Evaluation) -> Answer<'_> {
    let Evaluation {
        action,
        analysis,
        decision,
    } = evaluation;
    Answer {
        outcome: decision.outcome,
        risk: decision.risk,
        reasons: &decision.reasons,
        policies: &decision.policies,
        digest: action.digest().to_string(),
        surface: action.surface,
        environment: action.environment,
        target: &action.target,
        quorum: decision.quorum,
        confirm_target: decision.confirm_target,
        opaque: analysis.opaque(),
        unanalysable: analysis.unanalysable.as_deref(),
        effects: &analysis.effects,
    }
}

pub(crate) fn surface(name: &str) -> Result<Surface, String> {
    match name.parse::<Surface>() {
        Ok(surface @ (Surface::Shell | Surface::Sql | Surface::Mcp)) => Ok(surface),
        Ok(other) => Err(format!(
            "the `{other}` surface cannot be checked yet: use `shell`, `sql` or `mcp`"
        )),
        Err(error) => Err(error.to_string()),
    }
}

pub(crate) fn run(args: &CheckArgs) -> Result<u8, Failure> {
    let home = crate::home::Home::locate();
    let config = home.load_config()?;
    // Where holdpoint is set up, the grants and freezes in force count, as they would
    // for an agent.
    let (grants, freezes) = if home.has_store(&config) {
        crate::pipeline::scope(&home.open_store_as(&config, crate::home::Opening::ToRead)?)?
    } else {
        (Vec::new(), Vec::new())
    };
    let env = crate::home::environment(args.env.as_deref(), &config)?;
    let cwd = match &args.cwd {
        Some(cwd) => cwd.clone(),
        None => local::current_dir()?,
    };
    let engine = local::policy_engine(args.policies.as_deref())?;
    let checker = Checker {
        engine: &engine,
        ctx: local::analysis_context(&cwd),
        cwd,
        env,
        agent: args.agent.clone(),
        target: args.target.clone(),
        now: local::now(),
        grants,
        freezes,
    };
    match &args.batch {
        Some(file) => batch(&checker, file),
        None => single(&checker, args),
    }
}

fn single(checker: &Checker, args: &CheckArgs) -> Result<u8, Failure> {
    let surface = surface(args.surface.as_deref().unwrap_or_default()).map_err(Failure::usage)?;
    let input = match args.input.as_slice() {
        [] => {
            return Err(Failure::usage(format!(
                "no {surface} input: give it after `--`, e.g. `holdpoint check {surface} -- '…'`, or `-` to read standard input"
            )));
        }
        [dash] if dash == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
            text
        }
        words => words.join(" "),
    };
    if input.trim().is_empty() {
        return Err(Failure::usage(format!("the {surface} input is empty")));
    }
    let evaluation = checker.evaluate(surface, input, None, None, None, None);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match args.format {
        Format::Json => serde_json::to_writer(&mut out, &answer(&evaluation))
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Text => write_text(&mut out, &evaluation),
    };
    // A reader that stops early (`| head`) is not an error; the exit status still says
    // what was decided.
    match written {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(Failure::internal(format!(
                "cannot write the decision: {error}"
            )));
        }
        _ => {}
    }
    Ok(match evaluation.decision.outcome {
        Outcome::Allow => exit::ALLOW,
        Outcome::Ask => exit::ASK,
        Outcome::Deny => exit::DENY,
    })
}

fn write_text(out: &mut impl Write, evaluation: &Evaluation) -> std::io::Result<()> {
    let Evaluation {
        action,
        analysis,
        decision,
    } = evaluation;
    let detail = match decision.outcome {
        Outcome::Ask => {
            let who = if decision.quorum > 1 {
                format!("{} distinct humans must approve", decision.quorum)
            } else {
                "a human must approve".to_owned()
            };
            let confirm = if decision.confirm_target {
                ", typing the name of what it destroys to confirm"
            } else {
                ""
            };
            format!(" ({who}{confirm})")
        }
        Outcome::Allow | Outcome::Deny => String::new(),
    };
    writeln!(out, "decision  {}{detail}", decision.outcome)?;
    writeln!(out, "risk      {}", decision.risk)?;
    writeln!(out, "target    {} ({})", action.target, action.environment)?;
    writeln!(out, "digest    {}", action.digest())?;
    if !analysis.effects.is_empty() {
        writeln!(out, "effects")?;
        for effect in &analysis.effects {
            let marks = match (effect.opaque, effect.self_protection) {
                (_, true) => " [self-protection]",
                (true, false) => " [opaque]",
                _ => "",
            };
            writeln!(
                out,
                "  {:<9} {}{marks}",
                effect.risk.as_str(),
                effect.summary
            )?;
        }
    }
    writeln!(out, "reasons")?;
    for reason in &decision.reasons {
        writeln!(out, "  - {reason}")?;
    }
    if !decision.policies.is_empty() {
        writeln!(out, "policies  {}", decision.policies.join(", "))?;
    }
    Ok(())
}

/// An error object for a batch line that could not be decided. It carries `deny`, so a
/// consumer that reads only `outcome` never lets a bad line through.
#[derive(Debug, Serialize)]
struct LineError {
    line: usize,
    outcome: Outcome,
    error: String,
}

/// Lines decided together: read, split between the cores, written back in order.
const BATCH_CHUNK: usize = 4096;

fn batch(checker: &Checker, file: &str) -> Result<u8, Failure> {
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let opened = std::fs::File::open(file)
            .map_err(|e| Failure::usage(format!("cannot open `{file}`: {e}")))?;
        Box::new(std::io::BufReader::new(opened))
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut lines = reader.lines().enumerate();
    loop {
        let mut chunk: Vec<(usize, String)> = Vec::with_capacity(BATCH_CHUNK);
        for (index, line) in lines.by_ref() {
            let line = line.map_err(|e| {
                Failure::usage(format!("cannot read line {} of `{file}`: {e}", index + 1))
            })?;
            if !line.trim().is_empty() {
                chunk.push((index + 1, line));
            }
            if chunk.len() == BATCH_CHUNK {
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        let per_thread = chunk.len().div_ceil(threads);
        let answers: Vec<Vec<String>> = std::thread::scope(|scope| {
            let workers: Vec<_> = chunk
                .chunks(per_thread)
                .map(|part| {
                    local::analysis_thread("holdpoint check worker").spawn_scoped(
                        scope,
                        move || {
                            part.iter()
                                .map(|(number, line)| answer_line(checker, *number, line))
                                .collect::<Vec<String>>()
                        },
                    )
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.ok().and_then(|w| w.join().ok()).unwrap_or_default())
                .collect()
        });
        let answered: usize = answers.iter().map(Vec::len).sum();
        if answered != chunk.len() {
            return Err(Failure::internal(
                "a batch worker failed; no further lines were decided",
            ));
        }
        for answer in answers.iter().flatten() {
            writeln!(out, "{answer}")
                .map_err(|e| Failure::internal(format!("cannot write the decisions: {e}")))?;
        }
    }
    out.flush()
        .map_err(|e| Failure::internal(format!("cannot write the decisions: {e}")))?;
    Ok(exit::ALLOW)
}

/// The JSON answer for one batch line: a decision, or an error object that denies.
fn answer_line(checker: &Checker, number: usize, line: &str) -> String {
    let written = match decide_line(checker, line) {
        Ok(evaluation) => serde_json::to_string(&answer(&evaluation)),
        Err(error) => serde_json::to_string(&LineError {
            line: number,
            outcome: Outcome::Deny,
            error,
        }),
    };
    written.unwrap_or_else(|e| {
        format!(
            "{{\"line\":{number},\"outcome\":\"deny\",\"error\":\"cannot encode the answer: {}\"}}",
            e.to_string().replace('"', "'")
        )
    })
}

fn decide_line(checker: &Checker, line: &str) -> Result<Evaluation, String> {
    let item: Item =
        serde_json::from_str(line).map_err(|e| format!("not a valid action line: {e}"))?;
    let surface = surface(&item.surface)?;
    let env = item
        .environment
        .as_deref()
        .map(str::parse::<Environment>)
        .transpose()
        .map_err(|e| e.to_string())?;
    if item.input.trim().is_empty() {
        return Err("the input is empty".to_owned());
    }
    Ok(checker.evaluate(surface, item.input, env, item.cwd, item.agent, item.target))
}
