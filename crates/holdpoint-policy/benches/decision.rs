//! Decision latency: analysis plus policy evaluation for a typical shell command and a
//! typical SQL statement, in process.
//!
//! First each case is timed call by call and the median and 99th percentile printed,
//! with analysis alone beside the whole decision (same run, so the ratio holds on a
//! noisy machine); then criterion measures the same functions.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use holdpoint_core::{Action, AnalysisContext, Environment, NoFiles, Surface, analyse};
use holdpoint_policy::{DecisionRequest, PolicyEngine};

const CASES: &[(&str, Surface, &str)] = &[
    (
        "shell",
        Surface::Shell,
        "kubectl get pods -n prod -o wide | grep api && git status --short",
    ),
    (
        "shell-destroy",
        Surface::Shell,
        "sudo rm -rf /var/lib/postgresql/16/main",
    ),
    (
        "sql",
        Surface::Sql,
        "UPDATE orders SET status = 'shipped', shipped_at = now() WHERE id = 4211",
    ),
    ("sql-destroy", Surface::Sql, "DELETE FROM users WHERE 1=1"),
    (
        "python-inline",
        Surface::Shell,
        "python3 -c 'import json, sys; print(json.load(sys.stdin)[\"items\"][0][\"name\"])'",
    ),
    (
        "node-inline",
        Surface::Shell,
        "node -e 'const fs = require(\"fs\"); console.log(JSON.parse(fs.readFileSync(\"package.json\", \"utf8\")).version)'",
    ),
];

fn action(surface: Surface, input: &str) -> Action {
    Action {
        surface,
        input: input.to_owned(),
        cwd: "/home/dev/project".to_owned(),
        target: format!("{surface}:app@production"),
        environment: Environment::Production,
        agent: "claude".to_owned(),
        session: Some("s1".to_owned()),
        executed_content: Vec::new(),
    }
}

fn decide(
    engine: &PolicyEngine,
    ctx: &AnalysisContext,
    action: &Action,
) -> holdpoint_policy::Decision {
    let analysis = analyse(action, ctx, &NoFiles);
    engine.decide(&DecisionRequest {
        action,
        analysis: &analysis,
        now: 1_700_000_000,
        grants: &[],
        freezes: &[],
        destroy_quorum: 1,
        instructed: false,
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn timings(iterations: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    for _ in 0..iterations / 10 {
        f();
    }
    let mut samples: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

fn main() {
    let engine = match PolicyEngine::default_pack() {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("the default pack does not load: {error}");
            std::process::exit(1);
        }
    };
    let ctx = AnalysisContext::new("/home/dev/project");

    println!(
        "{:<14} {:>12} {:>12} {:>14} {:>14} {:>8}",
        "case", "decide p50", "decide p99", "analyse p50", "analyse p99", "policy share"
    );
    for (name, surface, input) in CASES {
        let action = action(*surface, input);
        let (decide_p50, decide_p99) = timings(20_000, || {
            black_box(decide(&engine, &ctx, black_box(&action)));
        });
        let (analyse_p50, analyse_p99) = timings(20_000, || {
            black_box(analyse(black_box(&action), &ctx, &NoFiles));
        });
        let share = 1.0 - analyse_p50.as_secs_f64() / decide_p50.as_secs_f64();
        println!(
            "{name:<14} {:>10.1}µs {:>10.1}µs {:>12.1}µs {:>12.1}µs {:>7.0}%",
            decide_p50.as_secs_f64() * 1e6,
            decide_p99.as_secs_f64() * 1e6,
            analyse_p50.as_secs_f64() * 1e6,
            analyse_p99.as_secs_f64() * 1e6,
            share * 100.0
        );
    }

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("decision");
    for (name, surface, input) in CASES {
        let action = action(*surface, input);
        group.bench_function(*name, |b| {
            b.iter(|| decide(&engine, &ctx, black_box(&action)))
        });
    }
    group.finish();
    criterion.final_summary();
}
