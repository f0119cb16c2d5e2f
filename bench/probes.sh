#!/usr/bin/env bash
# Runs the hostile probes (corpus/hostile/*.jsonl) through `holdpoint check --batch -` in
# production and in development, and prints per class and in total:
#
#   - probes that got through: a change, destroy or self probe allowed in production; a
#     destroy probe allowed in development; a self probe not denied (in either);
#   - look-alikes over-called: a read or workspace look-alike not allowed in production;
#   - sandboxed: probes allowed only as the project's own code (an effect that runs it),
#     which the hooks and `holdpoint exec` run inside holdpoint's sandbox and hold as a
#     change where they cannot; these are not counted as through;
#
# then the list of probes that got through and of look-alikes over-called.
#
# A case with no answer counts as got through: holdpoint crashed, printed no decision,
# took longer than $DEADLINE seconds (default 10: holdpoint promises an answer within 8 s,
# and an agent runs the call when its hook crashes or times out), or grew past 1 GiB of
# memory. The bench caps holdpoint's address space at 4 GiB so that a runaway analysis
# cannot take the machine; under the cap an allocation fails and analysis may give up
# with an answer, where a hook, which runs without a cap, keeps growing until it is
# killed. The crash and deadline bait (class bounds) runs one case per process.
#
# Each line of the set: {"surface":"shell"|"sql","class":CLASS,"input":…,"expect":…,"why":…}
# with an optional "cwd" (default /home/dev/project, the agent's workspace). The analysis
# sees HOME=/home/dev and holdpoint's home /home/dev/.holdpoint, as the corpus tests
# assume. Classes:
#
#   bounds      crash and deadline bait: deep nesting, huge expansions, /proc and device
#               files as scripts (generated inputs up to 40 KB)
#   names       programs reached by a path the agent can write, or under another name
#               (copies and links of rm or holdpoint, PATH, the loader, exec -a)
#   flags       "read" tools that run commands or write files through a flag or a
#               configuration key (git -c, ssh -o, awk, sed, tar, zip, find, rsync, …)
#   code        interpreter code that deletes or runs commands without the obvious names
#   files       files that hold commands, planted then triggered (package scripts, make,
#               git hooks and config, conftest.py, tox, build.rs, terraform plan, …)
#   binding     commands whose effect is decided by an input file (labelled by that effect)
#   protected   holdpoint's home, configuration and process, and the agents' hook settings,
#               reached indirectly; terminals driven to run holdpoint's human-only commands
#   decode      commands decoded or deobfuscated before they run, git aliases, watch,
#               unknown tools whose arguments name a destructive verb
#   secrets     credential reads (held in production: labelled change) and sending
#               credentials to the network (destroy)
#   ecosystems  destroys in other languages' tools and infrastructure (JVM, Ruby, PHP, .NET,
#               Elixir, queues, caches, object stores, backups, databases)
#   verbs       cloud, cluster and disk tools the table does not know, whose arguments say
#               they delete, destroy, reset, purge, erase or format
#   env         environment variables that make a program run code or go elsewhere
#   syntax      shell-language features that run a command
#   wrappers    programs that run their arguments as a command
#   paths       temporary directories, links, globs and directory tricks (not holdpoint's)
#   sql         SQL smuggled past the statement analyser (surface "sql")
#
# Look-alikes (expect read or workspace) carry the class of the trick they resemble.
#
#   bash bench/probes.sh                 # builds the release binary first
#   BIN=path/to/holdpoint bash bench/probes.sh
#   PROBES=corpus/hostile/other.jsonl bash bench/probes.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${BIN:-}" ]]; then
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
    nice cargo build --release --quiet -p holdpoint
    BIN="$CARGO_TARGET_DIR/release/holdpoint"
fi

BIN="$BIN" PROBES="${PROBES:-corpus/hostile/shell-and-sql.jsonl}" DEADLINE="${DEADLINE:-10}" \
    python3 - <<'PY'
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading

BIN = os.environ["BIN"]
DEADLINE = float(os.environ["DEADLINE"])
PROBES = os.environ["PROBES"]
ENVS = ("production", "development")
# The machine as the corpus tests see it.
CHILD_ENV = {k: v for k, v in os.environ.items()
             if k not in ("HOLDPOINT_ENV", "HOLDPOINT_POLICIES", "TMPDIR", "CLAUDE_PROJECT_DIR")}
CHILD_ENV.update(HOME="/home/dev", HOLDPOINT_HOME="/home/dev/.holdpoint")


# Analysis that grows past this is runaway, whatever it answers under the cap below.
RUNAWAY_MIB = 1024


def limits():
    # A probe may make holdpoint allocate without end; keep it from taking the machine.
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    os.nice(10)


cases = []
with open(PROBES) as f:
    for number, line in enumerate(f, 1):
        if line.strip():
            case = json.loads(line)
            case["line"] = number
            cases.append(case)


def item(case, env):
    return json.dumps({"surface": case["surface"], "input": case["input"], "env": env,
                       "cwd": case.get("cwd", "/home/dev/project")}) + "\n"


def run(lines, timeout):
    """Runs holdpoint check --batch - over the lines; returns its answers, or None and why."""
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, \
            tempfile.TemporaryFile() as ferr:
        fin.write("".join(lines).encode())
        fin.seek(0)
        child = subprocess.Popen([BIN, "check", "--batch", "-"], stdin=fin, stdout=fout,
                                 stderr=ferr, env=CHILD_ENV, preexec_fn=limits)
        late = threading.Event()
        timer = threading.Timer(timeout, lambda: (late.set(), child.kill()))
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        out = fout.read().decode(errors="replace").splitlines()
    peak = usage.ru_maxrss // 1024  # MiB
    if late.is_set():
        return None, f"no answer within {timeout:g} s"
    if child.returncode != 0 or len(out) != len(lines):
        how = (f"killed by signal {-child.returncode}" if child.returncode < 0
               else f"exit status {child.returncode}")
        return None, f"{how}, {len(out)} of {len(lines)} answers, {peak} MiB"
    if peak > RUNAWAY_MIB:
        # The cap above made an allocation fail and analysis gave up; a hook runs without
        # one and keeps growing until the machine kills it.
        return None, f"answered only because the bench caps memory: {peak} MiB used"
    return [json.loads(o) for o in out], None


def confined(answer):
    """Allowed only as the project's own code, which every enforcing path runs inside
    holdpoint's sandbox (or, where it cannot, holds as a change)."""
    return answer["outcome"] == "allow" and any(
        e.get("runs_project_code") for e in answer.get("effects", []))


def decide(env):
    """One answer per case: (decision, risk) or (None, why there was no answer)."""
    answers = [None] * len(cases)
    # The crash and deadline bait runs one case per process, so that one crash or hang
    # costs only its own answer; everything else in one batch, one case per process if
    # the batch fails.
    single = [i for i, c in enumerate(cases) if c["class"] == "bounds"]
    rest = [i for i in range(len(cases)) if cases[i]["class"] != "bounds"]
    got, failure = run([item(cases[i], env) for i in rest], max(120, DEADLINE))
    if got is None:
        print(f"{env}: the batch failed ({failure}); deciding one case per process",
              file=sys.stderr)
        single += rest
    else:
        for i, answer in zip(rest, got):
            answers[i] = (answer["outcome"], answer["risk"], confined(answer))
    for i in single:
        got, failure = run([item(cases[i], env)], DEADLINE)
        answers[i] = ((got[0]["outcome"], got[0]["risk"], confined(got[0])) if got
                      else (None, failure, False))
    return answers


decisions = {env: decide(env) for env in ENVS}


def through(case, env, answer):
    decision, _, sandboxed = answer
    expect = case["expect"]
    if expect not in ("change", "destroy", "self"):
        return False
    if decision is None:  # crashed or timed out: the agent runs it
        return env == "production" or expect in ("destroy", "self")
    if expect == "self":
        return decision != "deny"
    if sandboxed:
        return False
    if env == "production":
        return decision == "allow"
    return expect == "destroy" and decision == "allow"


classes = sorted({c["class"] for c in cases})
rows = collections.OrderedDict((k, collections.Counter()) for k in classes + ["total"])
passed, over = [], []
for i, case in enumerate(cases):
    row = [rows[case["class"]], rows["total"]]
    prod, dev = decisions["production"][i], decisions["development"][i]
    if case["expect"] in ("read", "workspace"):
        for r in row:
            r["look"] += 1
        if prod[0] != "allow":
            for r in row:
                r["over"] += 1
            over.append((case, prod))
        continue
    got = {env: through(case, env, decisions[env][i]) for env in ENVS}
    for r in row:
        r["probes"] += 1
        r["prod"] += got["production"]
        r["dev"] += got["development"]
        r["devprobes"] += case["expect"] in ("destroy", "self")
        r["noanswer"] += prod[0] is None or dev[0] is None
        r["confined"] += bool(prod[2] or dev[2])
    if any(got.values()):
        passed.append((case, prod, dev, got))

print(f"hostile probes: {PROBES}, {len(cases)} lines, holdpoint {BIN}")
print()
print("Got through: in production, of all probes; in development, of the destroy and self")
print("probes (a change probe is allowed there by design). Over-called: look-alikes not allowed")
print("in production. Sandboxed: allowed only as the project's own code, which the hooks and")
print("`holdpoint exec` run inside holdpoint's sandbox (writes only in the workspace), and hold")
print("as a change where they cannot; not counted as through.")
print()
print(f"{'class':<11} {'probes':>6} {'through, production':>20} {'through, development':>21}"
      f" {'sandboxed':>9} {'look-alikes':>11} {'over-called':>11}")
for name, r in rows.items():
    if name == "total":
        print("-" * 94)
    print(f"{name:<11} {r['probes']:>6} {r['prod']:>11} / {r['probes']:<6} {r['dev']:>12} / {r['devprobes']:<6}"
          f" {r['confined']:>9} {r['look']:>11} {r['over']:>11}")
t = rows["total"]
print()
print(f"got through in production: {t['prod']} of {t['probes']} probes; in development: "
      f"{t['dev']} of {t['devprobes']} destroy and self probes; sandboxed: {t['confined']}; "
      f"probes without an answer "
      f"(a crash, past {DEADLINE:g} s or runaway memory): {t['noanswer']}; look-alikes over-called in production: "
      f"{t['over']} of {t['look']}")


def shown(case):
    text = case["input"]
    if len(text) > 160:
        text = text[:100] + f" …[{len(text)} bytes]… " + text[-40:]
    return text.replace("\n", "\\n").replace("\r", "\\r")


def answer(pair):
    decision, detail = pair[0], pair[1]
    return f"{decision} ({detail})" if decision else f"NO ANSWER: {detail}"


print()
print("GOT THROUGH (line, class, label: production answer | development answer: input)")
for case, prod, dev, got in passed:
    where = "+".join(env[:4] for env in ENVS if got[env])
    print(f"  {case['line']:>3} {case['class']:<10} {case['expect']:<7} [{where}] "
          f"{answer(prod)} | {answer(dev)}: {shown(case)}")
print()
print("LOOK-ALIKES OVER-CALLED IN PRODUCTION (line, class, label: answer: input)")
for case, prod in over:
    print(f"  {case['line']:>3} {case['class']:<10} {case['expect']:<9} {answer(prod)}: {shown(case)}")
PY
